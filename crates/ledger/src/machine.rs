//! The deterministic state machine: the "smart contracts" of seed 000 §IV.
//!
//! A transaction goes through two stages:
//!
//! 1. [`Machine::check`] — signatures and zero-knowledge proofs. Expensive and independent of
//!    everything but the group's current key, so the node runs it once per transaction on its
//!    verification workers (in batches) and caches the [`Checked`] result by transaction id. Each
//!    operation family declares its claims ([`crate::ops::Claims`]); [`crate::settle`] verifies
//!    the claims of a whole batch together.
//! 2. [`Machine::apply`] — the state rules (α uniqueness, recent roots, epochs, replays) and the
//!    effects, by the transaction's family. Cheap, sequential, run by every validator for every
//!    block.
//!
//! Nothing here does I/O: the same code runs in a unit test and on a 7-validator network.

use crate::{
    circuits::CircuitKeys,
    error::TxError,
    kind::Kind,
    ops::{ApplyContext, BlockEnv, ChainParams, CheckContext, Claims, GroupKeys},
    settle,
    state::{self, Head, TxRecord},
    store::{ChangeSet, Kv, Overlay},
    tree::{self, TreeId},
    tx::Transaction,
    types::Hash,
};
use medshare_crypto::groupsig::GroupPublicKey;
use std::{collections::HashMap, sync::Arc};

/// The result of [`Machine::check`]: the transaction's signatures and proof verified, and
/// against which group key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub id: Hash,
    /// [`Transaction::encoding_hash`] of the bytes checked: the id leaves the proof out, so a
    /// check is reused only for these exact bytes.
    pub encoding: Hash,
    /// SHA-256 of the group public key the group signature was verified against.
    pub group_key: Option<Hash>,
}

impl Checked {
    pub fn new(tx: &Transaction, group_key: Option<Hash>) -> Self {
        Self {
            id: tx.id(),
            encoding: tx.encoding_hash(),
            group_key,
        }
    }

    /// Whether this check was made of exactly `tx`'s bytes.
    pub fn covers(&self, tx: &Transaction) -> bool {
        self.encoding == tx.encoding_hash()
    }
}

/// What applying a transaction did, for the submitter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub id: Hash,
    pub kind: Kind,
    /// Leaf position for registrations and authorizations.
    pub position: Option<u64>,
}

pub struct Machine {
    chain: ChainParams,
    keys: CircuitKeys,
    group_keys: GroupKeys,
}

impl Machine {
    pub fn new(chain: ChainParams, keys: CircuitKeys) -> Self {
        Self {
            chain,
            keys,
            group_keys: GroupKeys::default(),
        }
    }

    pub fn chain_id(&self) -> &str {
        &self.chain.chain_id
    }

    /// Decodes a group public key (cached by its bytes).
    pub fn parse_group_key(&self, bytes: &[u8]) -> Result<Arc<GroupPublicKey>, String> {
        self.group_keys.get(bytes).map(|(_, key)| key)
    }

    /// The family's cheap checks; what is expensive comes back as claims.
    fn claims(&self, state: &dyn Kv, tx: &Transaction) -> Result<Claims, TxError> {
        let ctx = CheckContext {
            chain: &self.chain,
            state,
            group_keys: &self.group_keys,
            message: tx.signed_message(&self.chain.chain_id),
            binding: tx.binding(&self.chain.chain_id),
        };
        tx.operation().check(&ctx)
    }

    /// Verifies one transaction's signatures and proof.
    pub fn check(&self, state: &dyn Kv, tx: &Transaction) -> Result<Checked, TxError> {
        self.check_all(state, std::slice::from_ref(tx)).remove(0)
    }

    /// Verifies many transactions, settling their group signatures in one batch and the proofs
    /// of each circuit in one batch.
    pub fn check_all(&self, state: &dyn Kv, txs: &[Transaction]) -> Vec<Result<Checked, TxError>> {
        let mut results = Vec::with_capacity(txs.len());
        let mut group_claims = Vec::new();
        let mut proof_claims = Vec::new();
        for (index, tx) in txs.iter().enumerate() {
            let claims = match self.claims(state, tx) {
                Ok(claims) => claims,
                Err(error) => {
                    results.push(Err(error));
                    continue;
                }
            };
            results.push(Ok(Checked::new(
                tx,
                claims.group_signature.as_ref().map(|c| c.key_hash),
            )));
            if let Some(claim) = claims.group_signature {
                group_claims.push((index, claim));
            }
            if let Some(claim) = claims.proof {
                proof_claims.push((index, tx.kind(), claim));
            }
        }
        let mut rng = rand::thread_rng();
        settle::group_signatures(&group_claims, &mut results, &mut rng);
        settle::proofs(&self.keys, proof_claims, &mut results, &mut rng);
        results
    }

    /// Applies one checked transaction: the state rules of its family and their effects. On
    /// error nothing is written (the caller drops the nested overlay).
    pub fn apply(
        &self,
        state: &mut Overlay,
        env: BlockEnv,
        index: u32,
        tx: &Transaction,
        checked: &Checked,
    ) -> Result<Receipt, TxError> {
        let id = checked.id;
        debug_assert!(checked.covers(tx), "checked result belongs to other bytes");
        if let Some(seen) = state::read::<TxRecord>(state, &state::tx_key(&id)) {
            return Err(TxError::Replayed(seen.height));
        }
        let mut ctx = ApplyContext {
            state,
            env,
            chain: &self.chain,
            group_keys: &self.group_keys,
            id,
            kind: tx.kind(),
            checked_group_key: checked.group_key,
        };
        let position = tx.operation().apply(&mut ctx)?;
        let record = TxRecord {
            height: env.height,
            index,
            kind: tx.kind(),
        };
        state::write(state, state::tx_key(&id), &record);
        Ok(Receipt {
            id,
            kind: tx.kind(),
            position,
        })
    }

    /// Executes a proposed block on `base`: every transaction must apply, or the block is
    /// invalid. `checked` holds the cached check of each transaction that has one; the rest are
    /// checked here, in one batch.
    pub fn execute(
        &self,
        base: &dyn Kv,
        env: BlockEnv,
        txs: &[Transaction],
        checked: &HashMap<Hash, Checked>,
    ) -> Result<(ChangeSet, Vec<Receipt>), (usize, TxError)> {
        let cached = |tx: &Transaction| checked.get(&tx.id()).filter(|c| c.covers(tx));
        let missing: Vec<usize> = (0..txs.len())
            .filter(|&i| cached(&txs[i]).is_none())
            .collect();
        let missing_txs: Vec<Transaction> = missing.iter().map(|&i| txs[i].clone()).collect();
        let mut fresh = HashMap::new();
        for (&index, result) in missing.iter().zip(self.check_all(base, &missing_txs)) {
            fresh.insert(index, result.map_err(|e| (index, e))?);
        }
        let mut state = Overlay::new(base);
        let mut receipts = Vec::with_capacity(txs.len());
        for (index, tx) in txs.iter().enumerate() {
            let check = match fresh.get(&index) {
                Some(check) => check,
                None => cached(tx).expect("checked above"),
            };
            let mut nested = Overlay::new(&state);
            let receipt = self
                .apply_rechecking(&mut nested, env, index as u32, tx, check)
                .map_err(|e| (index, e))?;
            receipts.push(receipt);
            let changes = nested.into_changes();
            state.absorb(changes);
        }
        finish_block(&mut state, env);
        Ok((state.into_changes(), receipts))
    }

    /// [`Machine::apply`], re-checking once if the group key changed since the cached check
    /// (another block on this fork advanced the group's epoch).
    pub fn apply_rechecking(
        &self,
        state: &mut Overlay,
        env: BlockEnv,
        index: u32,
        tx: &Transaction,
        checked: &Checked,
    ) -> Result<Receipt, TxError> {
        match self.apply(state, env, index, tx, checked) {
            Err(TxError::GroupKeyChanged(_)) => {
                let fresh = self.check(state, tx)?;
                self.apply(state, env, index, tx, &fresh)
            }
            other => other,
        }
    }
}

/// Closes a block: rehashes the commitment trees and records the proposer and the head.
pub fn finish_block(state: &mut Overlay, env: BlockEnv) {
    tree::finish_block(state, TreeId::Registration);
    tree::finish_block(state, TreeId::Authorization);
    state.put(state::proposer_key(env.height), env.proposer.to_vec());
    state::write(
        state,
        state::head_key(),
        &Head {
            height: env.height,
            timestamp_ms: env.timestamp_ms,
        },
    );
}
