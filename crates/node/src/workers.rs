//! The verification workers: seed 000's "workers", the threads that verify proofs.
//!
//! Proof and group-signature checks take milliseconds of pure CPU; running them on the async
//! executor would stall consensus messages behind them. A pool of `K` OS threads takes the jobs
//! instead. With `K = 0` jobs run inline on the caller, which keeps the deterministic runtime of
//! the fault tests deterministic.

use futures::channel::oneshot;
use std::{
    sync::{Arc, Mutex, mpsc},
    thread,
};

type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct Workers {
    sender: Option<mpsc::Sender<Job>>,
    count: usize,
}

impl Workers {
    /// `count` threads, or inline execution for `count = 0`.
    pub fn new(count: usize) -> Self {
        if count == 0 {
            return Self {
                sender: None,
                count,
            };
        }
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..count {
            let receiver = receiver.clone();
            thread::Builder::new()
                .name(format!("verify-{index}"))
                .spawn(move || {
                    loop {
                        let job = receiver.lock().expect("worker queue lock").recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
                .expect("spawn verification worker");
        }
        Self {
            sender: Some(sender),
            count,
        }
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// Runs `job` on a worker and waits for its result.
    pub async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> T {
        let Some(sender) = &self.sender else {
            return job();
        };
        let (reply, result) = oneshot::channel();
        sender
            .send(Box::new(move || {
                let _ = reply.send(job());
            }))
            .expect("verification workers stopped");
        result.await.expect("verification worker panicked")
    }

    /// Splits `items` into one chunk per worker, runs `job` on each chunk in parallel, and
    /// returns the results in the original order.
    pub async fn map_chunks<I, T, F>(&self, items: Vec<I>, job: F) -> Vec<T>
    where
        I: Send + 'static,
        T: Send + 'static,
        F: Fn(Vec<I>) -> Vec<T> + Send + Sync + 'static,
    {
        if items.is_empty() {
            return Vec::new();
        }
        let chunks = self.count.max(1);
        let size = items.len().div_ceil(chunks);
        let job = Arc::new(job);
        let mut items = items;
        let mut pending = Vec::new();
        while !items.is_empty() {
            let rest = items.split_off(size.min(items.len()));
            let chunk = std::mem::replace(&mut items, rest);
            let job = job.clone();
            pending.push(self.run(move || job(chunk)));
        }
        futures::future::join_all(pending)
            .await
            .into_iter()
            .flatten()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_come_back_in_order() {
        for count in [0, 1, 3] {
            let workers = Workers::new(count);
            let doubled = futures::executor::block_on(
                workers.map_chunks((0..10).collect(), |chunk: Vec<u32>| {
                    chunk.into_iter().map(|x| x * 2).collect()
                }),
            );
            assert_eq!(doubled, (0..10).map(|x| x * 2).collect::<Vec<_>>());
        }
    }
}
