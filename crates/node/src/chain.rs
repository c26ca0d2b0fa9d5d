//! The validator's view of the chain: finalized state on disk, executed-but-not-final blocks in
//! memory, and the three things consensus asks of it — build a block, verify a block, apply a
//! finalized block.
//!
//! Simplex pipelines: a leader proposes on a parent that is notarized but not yet final. So every
//! executed block keeps its [`ChangeSet`] in memory, keyed by digest, and the state a block runs
//! on is the finalized state with the change sets of its not-yet-final ancestors layered on top.
//! Finalizing a block writes its change set to disk and drops every layer at or below its height
//! (including those of abandoned forks).

use crate::{
    block::{ChainBlock, Context},
    mempool::Mempool,
    state_db::{Snapshot, StateDb, StateDbError, Tip},
    workers::Workers,
};
use commonware_consensus::Heightable;
use commonware_cryptography::{Digestible, ed25519, lthash::LtHash, sha256::Digest};
use medshare_ledger::{
    Block, BlockEnv, ChangeSet, Checked, Hash, Header, Machine, Overlay, Transaction, TxError,
    block::tx_root,
    store::{Layered, state_root},
};
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};
use tracing::{debug, warn};

/// How far in the future a block's timestamp may be, against the verifier's clock.
pub const MAX_CLOCK_SKEW_MS: u64 = 2_000;

#[derive(Clone, Debug)]
pub struct ChainParams {
    /// Most transactions per block (seed 000 studies 4 to 64).
    pub max_block_txs: usize,
    /// How long a leader waits for a full block before proposing what it has.
    pub block_timeout: Duration,
}

impl Default for ChainParams {
    fn default() -> Self {
        Self {
            max_block_txs: 64,
            block_timeout: Duration::from_millis(100),
        }
    }
}

/// A block this validator executed, not yet final.
pub struct Executed {
    pub height: u64,
    pub parent: Digest,
    pub changes: ChangeSet,
}

/// The state some block runs on: a finalized snapshot plus the layers of non-final ancestors.
pub struct StateView {
    pub snapshot: Snapshot,
    pub layers: Vec<Arc<Executed>>,
}

impl StateView {
    pub fn kv(&self) -> Layered<'_> {
        Layered {
            base: &self.snapshot,
            layers: self.layers.iter().map(|e| &e.changes).collect(),
        }
    }

    pub fn hash(&self) -> LtHash {
        let mut hash = self
            .snapshot
            .tip
            .as_ref()
            .map(|t| t.hash.clone())
            .unwrap_or_default();
        for layer in &self.layers {
            hash.combine(&layer.changes.delta);
        }
        hash
    }
}

/// Counters the API and the benchmarks read.
#[derive(Default)]
pub struct Stats {
    pub proofs_verified: AtomicU64,
    pub verify_micros: AtomicU64,
    pub finalized_height: AtomicU64,
    pub finalized_txs: AtomicU64,
    /// The newest finalized height consensus told us of (we may still be applying up to it).
    pub tip_height: AtomicU64,
    /// Blocks applied by [`Chain::finalize`], and the sum over them of the time from the
    /// block's timestamp (its proposal) to its application here, in milliseconds.
    pub finalized_blocks: AtomicU64,
    pub finalization_ms: AtomicU64,
}

pub struct Chain {
    pub machine: Arc<Machine>,
    pub db: Arc<StateDb>,
    pub mempool: Mempool,
    pub workers: Workers,
    pub params: ChainParams,
    pub stats: Stats,
    genesis: ChainBlock,
    pending: Mutex<HashMap<Digest, Arc<Executed>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error(transparent)]
    Db(#[from] StateDbError),
    #[error("genesis: {0}")]
    Genesis(String),
    #[error("the state on disk belongs to another chain: {0}")]
    WrongChain(String),
}

impl Chain {
    /// Opens the state on disk, writing the genesis state on first start.
    pub fn open(
        genesis: &medshare_ledger::Genesis,
        machine: Arc<Machine>,
        db: StateDb,
        params: ChainParams,
        workers: Workers,
        mempool_capacity: usize,
    ) -> Result<Self, ChainError> {
        let empty = medshare_ledger::store::MemoryStore::default();
        let initial = genesis
            .initial_state(&machine, &empty)
            .map_err(|e| ChainError::Genesis(e.to_string()))?;
        let genesis_block = ChainBlock::genesis(
            genesis.timestamp_ms,
            state_root(&initial.hash_after(&LtHash::new())),
        );
        match db.tip() {
            None => {
                db.apply(0, genesis_block.digest().0, &initial)?;
            }
            Some(tip) if tip.height == 0 && tip.digest != genesis_block.digest().0 => {
                return Err(ChainError::WrongChain(
                    "genesis digest differs from the one on disk".into(),
                ));
            }
            Some(_) => {}
        }
        Ok(Self {
            machine,
            db: Arc::new(db),
            mempool: Mempool::new(mempool_capacity),
            workers,
            params,
            stats: Stats::default(),
            genesis: genesis_block,
            pending: Mutex::default(),
        })
    }

    /// A consistent view of the finalized state.
    pub fn finalized(&self) -> Snapshot {
        self.db.snapshot()
    }

    pub fn genesis(&self) -> &ChainBlock {
        &self.genesis
    }

    pub fn tip(&self) -> Tip {
        self.db.tip().expect("genesis is applied on open")
    }

    /// The state after `parent`, if it can be assembled from the finalized state and the
    /// executed blocks in memory alone.
    pub fn view_from_pending(&self, parent: &Digest) -> Option<StateView> {
        let snapshot = self.db.snapshot();
        let tip = snapshot.tip.clone()?;
        let pending = self.pending.lock().expect("pending lock");
        let mut layers = Vec::new();
        let mut cursor = *parent;
        while cursor.0 != tip.digest {
            let executed = pending.get(&cursor)?;
            if executed.height <= tip.height {
                return None;
            }
            cursor = executed.parent;
            layers.push(executed.clone());
        }
        layers.reverse();
        Some(StateView { snapshot, layers })
    }

    /// The state after the last of `ancestors` (given newest first, reaching back to a child of
    /// the finalized tip in `snapshot`), executing the ones this validator has not executed.
    /// `None` if they do not connect to the tip or one of them does not execute.
    pub fn view_from_ancestors(
        &self,
        snapshot: Snapshot,
        ancestors: Vec<ChainBlock>,
    ) -> Option<StateView> {
        let tip = snapshot.tip.clone()?;
        if ancestors.last().map(|b| b.header().parent) != Some(tip.digest) {
            return None;
        }
        let mut view = StateView {
            snapshot,
            layers: Vec::new(),
        };
        for block in ancestors.into_iter().rev() {
            let known = self
                .pending
                .lock()
                .expect("pending lock")
                .get(&block.digest())
                .cloned();
            let executed = match known {
                Some(executed) => executed,
                None => {
                    let cached = self.cached_checks(&block.block.txs);
                    let changes = self.execute(&view, &block, &cached).ok()?;
                    let executed = Arc::new(Executed {
                        height: block.height().get(),
                        parent: block.context.parent.1,
                        changes,
                    });
                    self.remember(block.digest(), executed.clone());
                    executed
                }
            };
            view.layers.push(executed);
        }
        Some(view)
    }

    fn remember(&self, digest: Digest, executed: Arc<Executed>) {
        self.pending
            .lock()
            .expect("pending lock")
            .insert(digest, executed);
    }

    fn cached_checks(&self, txs: &[Transaction]) -> HashMap<Hash, Checked> {
        txs.iter()
            .filter_map(|tx| self.mempool.check(&tx.id()).filter(|c| c.covers(tx)))
            .map(|checked| (checked.id, checked))
            .collect()
    }

    /// Checks each transaction once: a cached check (from the mempool or an earlier block) is
    /// reused, the rest are verified in parallel on the workers and remembered.
    pub async fn checks(&self, txs: &[Transaction]) -> Vec<Result<Checked, TxError>> {
        let mut results: Vec<Option<Result<Checked, TxError>>> = txs
            .iter()
            .map(|tx| {
                self.mempool
                    .check(&tx.id())
                    .filter(|c| c.covers(tx))
                    .map(Ok)
            })
            .collect();
        let missing: Vec<usize> = (0..txs.len()).filter(|&i| results[i].is_none()).collect();
        if !missing.is_empty() {
            let fresh = self
                .check_on_workers(missing.iter().map(|&i| txs[i].clone()).collect())
                .await;
            self.mempool
                .remember_checks(fresh.iter().filter_map(|r| r.as_ref().ok().cloned()));
            for (i, result) in missing.into_iter().zip(fresh) {
                results[i] = Some(result);
            }
        }
        results
            .into_iter()
            .map(|r| r.expect("every transaction checked"))
            .collect()
    }

    /// The checks of a block's transactions, or the first transaction that fails.
    pub async fn prefetch_checks(
        &self,
        txs: &[Transaction],
    ) -> Result<HashMap<Hash, Checked>, (Hash, TxError)> {
        let mut checks = HashMap::with_capacity(txs.len());
        for (tx, result) in txs.iter().zip(self.checks(txs).await) {
            let checked = result.map_err(|e| (tx.id(), e))?;
            checks.insert(checked.id, checked);
        }
        Ok(checks)
    }

    /// Applies `tx` to the finalized state without keeping anything, so a submitter learns at
    /// once that its transaction can never apply (duplicate α, unknown or stale root, revoked
    /// member...) instead of finding it rejected later.
    pub fn dry_run(&self, tx: &Transaction, checked: &Checked) -> Result<(), TxError> {
        let snapshot = self.db.snapshot();
        let tip = snapshot.tip.clone().expect("genesis is applied on open");
        let env = BlockEnv {
            height: tip.height + 1,
            timestamp_ms: 0,
            // Read only when a block finishes, which a dry run never does.
            proposer: [0; 32],
        };
        let mut overlay = Overlay::new(&snapshot);
        self.machine
            .apply_rechecking(&mut overlay, env, 0, tx, checked)
            .map(|_| ())
    }

    /// Checks transactions against the finalized state on the verification workers.
    pub async fn check_on_workers(&self, txs: Vec<Transaction>) -> Vec<Result<Checked, TxError>> {
        let count = txs.len() as u64;
        let machine = self.machine.clone();
        let db = self.db.clone();
        let started = std::time::Instant::now();
        let results = self
            .workers
            .map_chunks(txs, move |chunk: Vec<Transaction>| {
                let snapshot = db.snapshot();
                machine.check_all(&snapshot, &chunk)
            })
            .await;
        self.stats
            .proofs_verified
            .fetch_add(count, Ordering::Relaxed);
        self.stats
            .verify_micros
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        results
    }

    fn execute(
        &self,
        view: &StateView,
        block: &ChainBlock,
        checked: &HashMap<Hash, Checked>,
    ) -> Result<ChangeSet, (usize, TxError)> {
        let header = block.header();
        let env = BlockEnv {
            height: header.height,
            timestamp_ms: header.timestamp_ms,
            proposer: proposer_bytes(&header.proposer),
        };
        let kv = view.kv();
        let (changes, _) = self.machine.execute(&kv, env, &block.block.txs, checked)?;
        Ok(changes)
    }

    /// Builds a block on `parent`: as many mempool transactions as apply, up to the block size.
    /// Transactions that can never apply are dropped from the mempool with their reason.
    pub fn build(
        &self,
        view: &StateView,
        context: Context,
        parent: &ChainBlock,
        now_ms: u64,
    ) -> ChainBlock {
        let env = BlockEnv {
            height: parent.header().height + 1,
            timestamp_ms: now_ms.max(parent.header().timestamp_ms + 1),
            proposer: proposer_bytes(&context.leader),
        };
        let kv = view.kv();
        let mut state = Overlay::new(&kv);
        let mut included = Vec::new();
        for (tx, checked) in self.mempool.candidates(self.params.max_block_txs * 2) {
            if included.len() == self.params.max_block_txs {
                break;
            }
            let changes = {
                let mut nested = Overlay::new(&state);
                match self.machine.apply_rechecking(
                    &mut nested,
                    env,
                    included.len() as u32,
                    &tx,
                    &checked,
                ) {
                    Ok(_) => Some(nested.into_changes()),
                    // Already in a not-yet-final ancestor: it leaves the mempool when that
                    // ancestor is finalized.
                    Err(TxError::Replayed(_)) => None,
                    Err(error) => {
                        debug!(id = hex::encode(checked.id), %error, "dropping transaction");
                        self.mempool.reject(checked.id, error.to_string());
                        None
                    }
                }
            };
            if let Some(changes) = changes {
                state.absorb(changes);
                included.push(tx.as_ref().clone());
            }
        }
        medshare_ledger::machine::finish_block(&mut state, env);
        let changes = state.into_changes();
        let mut hash = view.hash();
        hash.combine(&changes.delta);
        let ids: Vec<Hash> = included.iter().map(Transaction::encoding_hash).collect();
        let block = Block {
            header: Header {
                height: env.height,
                parent: parent.digest().0,
                timestamp_ms: env.timestamp_ms,
                proposer: context.leader.clone(),
                tx_root: tx_root(&ids),
                state_root: state_root(&hash),
            },
            txs: included,
        };
        let block = ChainBlock::new(context, block);
        self.remember(
            block.digest(),
            Arc::new(Executed {
                height: env.height,
                parent: parent.digest(),
                changes,
            }),
        );
        block
    }

    /// Verifies `block` on `parent` (whose state is `view`): header rules, every transaction,
    /// and the state root. Marshal has already checked height and parent linkage.
    pub async fn verify(
        &self,
        view: StateView,
        block: &ChainBlock,
        parent: &ChainBlock,
        now_ms: u64,
    ) -> bool {
        let header = block.header();
        let reject = |why: &str| {
            warn!(height = header.height, why, "rejecting block");
            false
        };
        if header.proposer != block.context.leader {
            return reject("proposer is not the round's leader");
        }
        if header.timestamp_ms <= parent.header().timestamp_ms {
            return reject("timestamp does not advance");
        }
        if header.timestamp_ms > now_ms + MAX_CLOCK_SKEW_MS {
            return reject("timestamp is in the future");
        }
        if block.block.txs.len() > self.params.max_block_txs {
            return reject("too many transactions");
        }
        let ids: Vec<Hash> = block
            .block
            .txs
            .iter()
            .map(Transaction::encoding_hash)
            .collect();
        if header.tx_root != tx_root(&ids) {
            return reject("transaction root mismatch");
        }
        let checked = match self.prefetch_checks(&block.block.txs).await {
            Ok(checked) => checked,
            Err((id, error)) => {
                warn!(id = hex::encode(id), %error, "block carries an invalid transaction");
                return false;
            }
        };
        let changes = match self.execute(&view, block, &checked) {
            Ok(changes) => changes,
            Err((index, error)) => {
                warn!(index, %error, "block transaction does not apply");
                return false;
            }
        };
        let mut hash = view.hash();
        hash.combine(&changes.delta);
        if state_root(&hash) != header.state_root {
            return reject("state root mismatch");
        }
        self.remember(
            block.digest(),
            Arc::new(Executed {
                height: header.height,
                parent: parent.digest(),
                changes,
            }),
        );
        true
    }

    /// Applies a finalized block to disk. Idempotent: blocks at or below the tip are skipped.
    pub fn finalize(&self, block: &ChainBlock) -> Result<(), ChainError> {
        let tip = self.tip();
        let height = block.header().height;
        if height <= tip.height {
            return Ok(());
        }
        let digest = block.digest();
        let known = self
            .pending
            .lock()
            .expect("pending lock")
            .get(&digest)
            .cloned();
        let changes =
            match known {
                Some(executed) => executed,
                None => {
                    // Not executed here (we were catching up): run it on the finalized state.
                    let view = StateView {
                        snapshot: self.db.snapshot(),
                        layers: Vec::new(),
                    };
                    let checked = self.cached_checks(&block.block.txs);
                    let changes = self.execute(&view, block, &checked).map_err(|(index, error)| {
                    ChainError::WrongChain(format!(
                        "finalized block {height} does not execute here (tx {index}: {error})"
                    ))
                })?;
                    Arc::new(Executed {
                        height,
                        parent: block.context.parent.1,
                        changes,
                    })
                }
            };
        let applied = self.db.apply(height, digest.0, &changes.changes)?;
        if applied.root() != block.header().state_root {
            return Err(ChainError::WrongChain(format!(
                "state root after finalized block {height} differs from its header"
            )));
        }
        let ids: Vec<Hash> = block.block.txs.iter().map(Transaction::id).collect();
        self.mempool.remove_included(&ids);
        self.pending
            .lock()
            .expect("pending lock")
            .retain(|_, executed| executed.height > height);
        self.stats.finalized_height.store(height, Ordering::Relaxed);
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        self.stats.finalized_blocks.fetch_add(1, Ordering::Relaxed);
        self.stats.finalization_ms.fetch_add(
            now_ms.saturating_sub(block.header().timestamp_ms),
            Ordering::Relaxed,
        );
        self.stats
            .finalized_txs
            .fetch_add(ids.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

fn proposer_bytes(key: &ed25519::PublicKey) -> [u8; 32] {
    key.as_ref().try_into().expect("ed25519 keys are 32 bytes")
}
