//! Settling the expensive claims of a batch of transactions together: every group signature in
//! one batch (one final exponentiation for all groups), every proof of a circuit in one batch
//! (a random linear combination). A failed batch falls back to finding the bad claims, so one bad
//! signature or proof costs its submitter, not the others.

use crate::{
    circuits::CircuitKeys,
    error::TxError,
    kind::Kind,
    ops::{GroupClaim, ProofClaim},
};
use medshare_crypto::groupsig;
use medshare_zk::{CircuitId, Fr, Proof, batch_verify_inputs};
use rand::{CryptoRng, RngCore};
use std::collections::BTreeMap;

/// Verifies every group signature of a batch at once; if the batch fails, finds the bad ones and
/// marks their transactions.
pub fn group_signatures<T>(
    claims: &[(usize, GroupClaim)],
    results: &mut [Result<T, TxError>],
    rng: &mut (impl RngCore + CryptoRng),
) {
    if claims.is_empty() {
        return;
    }
    let items: Vec<_> = claims
        .iter()
        .map(|(_, c)| (c.key.as_ref(), c.message.as_slice(), &c.signature))
        .collect();
    if groupsig::verify_batch(&items, rng).is_ok() {
        return;
    }
    for bad in groupsig::find_invalid(&items, rng) {
        let (index, claim) = &claims[bad];
        results[*index] = Err(TxError::BadGroupSignature {
            group: claim.group.clone(),
            epoch: claim.epoch,
        });
    }
}

/// Verifies the proofs of each circuit in one batch (circuits in id order); if a batch fails,
/// one by one, marking each bad proof's transaction. A transaction already refused (its group
/// signature failed) keeps that error, the more useful one: its proof is bound to the signature.
pub fn proofs<T>(
    keys: &CircuitKeys,
    claims: Vec<(usize, Kind, ProofClaim)>,
    results: &mut [Result<T, TxError>],
    rng: &mut (impl RngCore + CryptoRng),
) {
    let mut by_circuit: BTreeMap<CircuitId, Vec<(usize, Kind, ProofClaim)>> = BTreeMap::new();
    for claim in claims.into_iter().filter(|claim| results[claim.0].is_ok()) {
        by_circuit.entry(claim.2.circuit).or_default().push(claim);
    }
    for (circuit, claims) in by_circuit {
        let key = keys.get(circuit);
        let batch: Vec<(&[Fr], &Proof)> = claims
            .iter()
            .map(|(_, _, c)| (c.inputs.as_slice(), &c.proof))
            .collect();
        if batch_verify_inputs(key, &batch, rng).is_ok() {
            continue;
        }
        for (index, kind, claim) in &claims {
            if key.verify_inputs(&claim.inputs, &claim.proof).is_err() {
                results[*index] = Err(TxError::InvalidProof(*kind));
            }
        }
    }
}
