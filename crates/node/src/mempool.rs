//! Transactions waiting for a block, and what became of the ones that left.
//!
//! Only checked transactions enter (their proofs and signatures verified by the workers), so a
//! proposer never spends block space on something that cannot apply. The [`Checked`] results are
//! also the verification cache: a validator verifies each proof once, when the transaction enters
//! its mempool, and reuses the result when the transaction shows up in a block.

use medshare_ledger::{Checked, Hash, Transaction};
use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    sync::{Arc, Mutex},
};

/// What the node knows of a transaction it has seen.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TxStatus {
    Pending,
    Rejected { reason: String },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MempoolError {
    #[error("the mempool is full ({0} transactions); retry later")]
    Full(usize),
}

struct Entry {
    seq: u64,
    tx: Arc<Transaction>,
    checked: Checked,
}

#[derive(Default)]
struct Inner {
    queue: BTreeMap<u64, Hash>,
    entries: HashMap<Hash, Entry>,
    next_seq: u64,
    /// Checks of transactions met only in blocks (proposed by others before gossip arrived).
    checks: HashMap<Hash, Checked>,
    checks_order: VecDeque<Hash>,
    rejected: HashMap<Hash, String>,
    rejected_order: VecDeque<Hash>,
}

pub struct Mempool {
    inner: Mutex<Inner>,
    capacity: usize,
}

/// How many outcomes (rejections, block-only checks) are remembered.
const REMEMBERED: usize = 100_000;

fn remember<V>(map: &mut HashMap<Hash, V>, order: &mut VecDeque<Hash>, id: Hash, value: V) {
    if map.insert(id, value).is_none() {
        order.push_back(id);
        if order.len() > REMEMBERED
            && let Some(old) = order.pop_front()
        {
            map.remove(&old);
        }
    }
}

impl Mempool {
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::default(),
            capacity,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("mempool lock")
    }

    /// Adds a checked transaction. Returns `Ok(false)` if it was already there.
    pub fn insert(&self, tx: Arc<Transaction>, checked: Checked) -> Result<bool, MempoolError> {
        let mut inner = self.lock();
        if inner.entries.contains_key(&checked.id) {
            return Ok(false);
        }
        if inner.entries.len() >= self.capacity {
            return Err(MempoolError::Full(self.capacity));
        }
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.queue.insert(seq, checked.id);
        inner.rejected.remove(&checked.id);
        inner.entries.insert(checked.id, Entry { seq, tx, checked });
        Ok(true)
    }

    pub fn contains(&self, id: &Hash) -> bool {
        self.lock().entries.contains_key(id)
    }

    /// Up to `max` transactions, oldest first.
    pub fn candidates(&self, max: usize) -> Vec<(Arc<Transaction>, Checked)> {
        let inner = self.lock();
        inner
            .queue
            .values()
            .take(max)
            .map(|id| {
                let entry = &inner.entries[id];
                (entry.tx.clone(), entry.checked.clone())
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cached check of a transaction, from the mempool or from an earlier block.
    pub fn check(&self, id: &Hash) -> Option<Checked> {
        let inner = self.lock();
        inner
            .entries
            .get(id)
            .map(|entry| entry.checked.clone())
            .or_else(|| inner.checks.get(id).cloned())
    }

    /// Remembers checks made while verifying a block.
    pub fn remember_checks(&self, new: impl IntoIterator<Item = Checked>) {
        let mut inner = self.lock();
        let Inner {
            checks,
            checks_order,
            ..
        } = &mut *inner;
        for checked in new {
            remember(checks, checks_order, checked.id, checked);
        }
    }

    /// Drops transactions that a finalized block included.
    pub fn remove_included(&self, ids: &[Hash]) {
        let mut inner = self.lock();
        for id in ids {
            if let Some(entry) = inner.entries.remove(id) {
                inner.queue.remove(&entry.seq);
            }
            inner.checks.remove(id);
        }
    }

    /// Drops a transaction that can never apply, keeping the reason for its submitter.
    pub fn reject(&self, id: Hash, reason: String) {
        let mut inner = self.lock();
        if let Some(entry) = inner.entries.remove(&id) {
            inner.queue.remove(&entry.seq);
        }
        let Inner {
            rejected,
            rejected_order,
            ..
        } = &mut *inner;
        remember(rejected, rejected_order, id, reason);
    }

    /// `Pending` or `Rejected`; final transactions are found in the ledger state.
    pub fn status(&self, id: &Hash) -> Option<TxStatus> {
        let inner = self.lock();
        if inner.entries.contains_key(id) {
            return Some(TxStatus::Pending);
        }
        inner.rejected.get(id).map(|reason| TxStatus::Rejected {
            reason: reason.clone(),
        })
    }
}
