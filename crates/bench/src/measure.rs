//! The one measurement helper of the benchmarks: medians, and wall-clock and thread-CPU time.
//!
//! The machine is shared: wall time counts the time other processes held the core, CPU time
//! (from `/proc/thread-self/schedstat`, Linux) counts only the benchmark thread's. On a quiet
//! machine they agree.

use std::cmp::Ordering;
use std::time::{Duration, Instant};

/// A measurement that has a median: ordered, with a midpoint of two values.
pub trait Sample: Copy {
    /// What the median of no values is.
    const NONE: Self;
    fn compare(&self, other: &Self) -> Ordering;
    fn midpoint(self, other: Self) -> Self;
}

impl Sample for f64 {
    const NONE: Self = f64::NAN;
    fn compare(&self, other: &Self) -> Ordering {
        self.total_cmp(other)
    }
    fn midpoint(self, other: Self) -> Self {
        (self + other) / 2.0
    }
}

impl Sample for Duration {
    const NONE: Self = Duration::ZERO;
    fn compare(&self, other: &Self) -> Ordering {
        self.cmp(other)
    }
    fn midpoint(self, other: Self) -> Self {
        (self + other) / 2
    }
}

/// The median: the middle value, or the mean of the two middle values of an even count (the
/// median of "N runs" in BENCHMARKS.md, e.g. the 100 runs of `bench zk` and `bench groupsig`).
/// NaN (for `f64`) or zero (for `Duration`) when there are no values.
pub fn median<T: Sample>(values: &[T]) -> T {
    let mut sorted = values.to_vec();
    sorted.sort_by(T::compare);
    let mid = sorted.len() / 2;
    match sorted.len() {
        0 => T::NONE,
        n if n.is_multiple_of(2) => sorted[mid - 1].midpoint(sorted[mid]),
        _ => sorted[mid],
    }
}

/// How long one run took: wall-clock time, and this thread's CPU time if the system tells it.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub wall: Duration,
    pub cpu: Option<Duration>,
}

/// Runs `work` on this thread and returns its output with its wall-clock and CPU time.
pub fn timed<T>(work: impl FnOnce() -> T) -> (T, Timing) {
    let cpu_before = thread_cpu_time();
    let started = Instant::now();
    let output = work();
    let wall = started.elapsed();
    let cpu = cpu_before
        .zip(thread_cpu_time())
        .map(|(before, after)| after.saturating_sub(before));
    (output, Timing { wall, cpu })
}

/// CPU time of the calling thread so far (Linux: `/proc/thread-self/schedstat`, nanoseconds on
/// a CPU; updated at scheduler ticks, so only sums over many runs are precise); `None` elsewhere.
pub fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median::<f64>(&[]).is_nan());
        let ms = Duration::from_millis;
        assert_eq!(
            median(&[ms(4), ms(1), ms(2), ms(3)]),
            Duration::from_micros(2500)
        );
        assert_eq!(median(&[ms(5)]), ms(5));
    }

    #[test]
    fn timed_returns_the_output_and_a_wall_time() {
        let (value, timing) = timed(|| {
            std::thread::sleep(Duration::from_millis(5));
            7
        });
        assert_eq!(value, 7);
        assert!(timing.wall >= Duration::from_millis(5));
        if let Some(cpu) = timing.cpu {
            assert!(cpu <= timing.wall + Duration::from_millis(50));
        }
    }
}
