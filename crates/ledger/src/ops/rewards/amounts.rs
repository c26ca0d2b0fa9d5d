//! What the reward operations credit, computed on chain: the FSP's payouts to MDAPs (seed 000 §V), revenue shared by
//! Shapley values (seed 003 ch. 7), and the reward accounts they credit.
//!
//! Everything here is exact: the incentive crate solves the valorization model and the Shapley
//! shares in rational arithmetic (`num-rational` over big integers), and amounts become integer
//! tokens by rounding down ([`floor_tokens`]) or by the largest-remainder method ([`apportion`]),
//! whose parts sum exactly to what is split. No floating point decides a credit, so validators on
//! different machines, compilers or CPUs compute the same bits — the same code in f64 would also
//! be deterministic for one binary, but not across builds that fuse or reorder operations
//! differently, and a consortium runs many builds.

use super::terms::{PayoutTerms, RevenueTerms};
use crate::{
    error::TxError,
    kind::Kind,
    state::{self, AccountId, AuditLog},
    store::{Kv, Overlay},
    types::Field,
};
use medshare_incentive::{
    Rational,
    apportion::{apportion, floor_tokens},
    shapley::{
        simple::{F1Scores, SimpleModel},
        validators::ValidatorWeights,
    },
    valorization::{Matrix, quadratic::QuadraticParams},
};
use std::collections::BTreeSet;

/// Longest period whose block proposers weigh the validators of one revenue: one state read per
/// block.
pub const MAX_PERIOD_BLOCKS: u64 = 1 << 16;

fn bad_parameters(error: impl std::fmt::Display) -> TxError {
    TxError::BadIncentiveParameters(error.to_string())
}

/// A range of finished blocks: `1 ≤ from ≤ to < height` (the block executing now is not finished,
/// so it cannot be counted).
fn closed_range(from: u64, to: u64, height: u64) -> Result<(), TxError> {
    let reason = if from == 0 {
        "starts at genesis"
    } else if from > to {
        "is empty"
    } else if to >= height {
        "is not over: it must end below the current height"
    } else {
        return Ok(());
    };
    Err(TxError::BadEpoch { from, to, reason })
}

/// Adds `amount` tokens to `account`; an overflow of `u128` is refused, not wrapped or clipped.
pub fn credit(state: &mut Overlay, account: &AccountId, amount: u128) -> Result<(), TxError> {
    if amount == 0 {
        return Ok(());
    }
    let mut record = state::account(state, account);
    record.balance = record
        .balance
        .checked_add(amount)
        .ok_or(TxError::BalanceOverflow)?;
    state::write(state, state::account_key(account), &record);
    Ok(())
}

/// `h_i`: the distinct MDAs `pk` authorized in blocks `from..=to`, read from its audit log. The
/// log is in height order, so a binary search finds the epoch's first event and the scan costs
/// the events of the epoch, not the pseudonym's whole history.
pub fn authorized_mdas(state: &dyn Kv, pk: &Field, from: u64, to: u64) -> u64 {
    let log = AuditLog::Pseudonym(pk);
    let height_at = |seq: u32| log.read(state, seq, 1).first().map(|e| e.height);
    let (mut low, mut high) = (0u32, log.len(state));
    while low < high {
        let mid = low + (high - low) / 2;
        if height_at(mid).is_some_and(|h| h < from) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    let mut alphas = BTreeSet::new();
    let mut seq = low;
    while let Some(event) = log.read(state, seq, 1).pop() {
        if event.height > to {
            break;
        }
        if event.kind == Kind::Authorize && event.pk_a == *pk {
            alphas.insert(event.alpha);
        }
        seq += 1;
    }
    alphas.len() as u64
}

/// What a payout credits each of its MDAPs, in order (seed 000 §V-C, Appendix A.2):
///
/// 1. `h_i` = distinct MDAs MDAP i authorized in the epoch, capped by its holdings `g_i`;
/// 2. the FSP's problem (3)-(6) solved exactly for the published parameters, giving the
///    valorization `V_i(h) = x_i h + y_i` of (7);
/// 3. `⌊V_i(h_i) · tokens_per_unit⌋` tokens (nothing for an MDAP that shared nothing, never a
///    charge: see `Valorization::payout`);
/// 4. if these exceed `budget`, the budget is apportioned in proportion to them instead, so the
///    payout never exceeds it and still pays every MDAP by its due.
pub fn payout_amounts(state: &dyn Kv, height: u64, tx: &PayoutTerms) -> Result<Vec<u128>, TxError> {
    closed_range(tx.from_height, tx.to_height, height)?;
    let n = tx.mdaps.len();
    if n == 0 {
        return Err(bad_parameters("a payout needs at least one MDAP"));
    }
    let mut seen = BTreeSet::new();
    if let Some(twice) = tx.mdaps.iter().find(|m| !seen.insert(m.pk)) {
        return Err(bad_parameters(format_args!(
            "MDAP {} is listed twice",
            twice.pk
        )));
    }
    let phi = Matrix::from_upper_triangle(
        n,
        &tx.phi.iter().map(|r| r.to_rational()).collect::<Vec<_>>(),
    )
    .ok_or_else(|| {
        bad_parameters(format_args!(
            "φ has {} values; {n} MDAPs need n(n−1)/2 = {}",
            tx.phi.len(),
            n * (n - 1) / 2
        ))
    })?;
    let params = QuadraticParams {
        holdings: tx
            .mdaps
            .iter()
            .map(|m| Rational::from_integer(m.holdings.into()))
            .collect(),
        tau: tx.mdaps.iter().map(|m| m.tau.to_rational()).collect(),
        b: tx.mdaps.iter().map(|m| m.b.to_rational()).collect(),
        phi,
        rho: tx.rho.to_rational(),
        a: tx.a.to_rational(),
        sigma: tx.sigma.to_rational(),
    };
    let valorization = params
        .model()
        .and_then(|model| model.solve())
        .map_err(bad_parameters)?;
    let due = tx
        .mdaps
        .iter()
        .enumerate()
        .map(|(i, mdap)| {
            let shared =
                authorized_mdas(state, &mdap.pk, tx.from_height, tx.to_height).min(mdap.holdings);
            let value = valorization.payout(i, shared).map_err(bad_parameters)?;
            floor_tokens(&value, tx.tokens_per_unit.into()).map_err(bad_parameters)
        })
        .collect::<Result<Vec<u128>, TxError>>()?;
    let total = due
        .iter()
        .try_fold(0u128, |sum, d| sum.checked_add(*d))
        .ok_or(TxError::BalanceOverflow)?;
    if total <= tx.budget {
        return Ok(due);
    }
    let weights: Vec<Rational> = due
        .iter()
        .map(|d| Rational::from_integer((*d).into()))
        .collect();
    apportion(tx.budget, &weights).map_err(bad_parameters)
}

/// How a revenue's fee is split (seed 003 Theorem 2, (7.9)-(7.10)): the data-owner groups by
/// their F1-based Shapley values, the validators by `P_k |M| φ_M` with `P_k` from (7.16), and the
/// third party by `φ_T`; then the fee is apportioned by those exact shares, so the credits sum to
/// the fee to the token.
///
/// `P_k` is computed from block proposers, which the state machine records for every block: the
/// finalization certificates that would give seed 003's "healthy in round i" never reach it
/// (consensus keeps them). A round's proposer is its one healthy node (`q_i = 1`), so `P_k` is
/// the fraction of the period's blocks validator k proposed. Blocks proposed by a key outside the
/// genesis validators (the genesis block) are not rounds.
pub fn revenue_split(
    state: &dyn Kv,
    height: u64,
    validators: &[[u8; 32]],
    tx: &RevenueTerms,
) -> Result<Vec<(AccountId, u128)>, TxError> {
    closed_range(tx.from_height, tx.to_height, height)?;
    if tx.to_height - tx.from_height >= MAX_PERIOD_BLOCKS {
        return Err(TxError::BadEpoch {
            from: tx.from_height,
            to: tx.to_height,
            reason: "spans more than 65536 blocks",
        });
    }
    let mut seen = BTreeSet::new();
    for owner in &tx.owners {
        if !seen.insert(owner) {
            return Err(bad_parameters(format_args!(
                "group {owner} is listed twice"
            )));
        }
        if state.get(&state::group_key(owner)).is_none() {
            return Err(TxError::UnknownGroup(owner.clone()));
        }
    }
    let rounds: Vec<[usize; 1]> = (tx.from_height..=tx.to_height)
        .filter_map(|h| {
            let proposer = state.get(&state::proposer_key(h))?;
            validators
                .iter()
                .position(|v| v.as_slice() == proposer)
                .map(|k| [k])
        })
        .collect();
    if rounds.is_empty() {
        return Err(TxError::BadEpoch {
            from: tx.from_height,
            to: tx.to_height,
            reason: "has no block proposed by a validator",
        });
    }
    let weights =
        ValidatorWeights::from_finalizations(validators.len(), &rounds).map_err(bad_parameters)?;
    let f1 = F1Scores::new(tx.owners.len(), tx.f1.clone()).map_err(bad_parameters)?;
    let split = SimpleModel::new(f1, validators.len())
        .and_then(|model| model.shares(&weights))
        .and_then(|shares| shares.split(tx.fee))
        .map_err(bad_parameters)?;
    let owners = tx
        .owners
        .iter()
        .map(|g| AccountId::Group(g.clone()))
        .zip(split.owners);
    let miners = validators
        .iter()
        .map(|v| AccountId::Validator(*v))
        .zip(split.miners);
    let third = std::iter::once(AccountId::Pseudonym(tx.third_party)).zip(split.third_parties);
    Ok(owners.chain(miners).chain(third).collect())
}
