//! FedAvg over SecAgg rounds, and the plaintext runs it is measured against.
//!
//! Both federated runs share [`local_uploads`] and [`FixedPoint::average`]: the secure run only
//! replaces the plain ring sum by a SecAgg round, so its model must equal the plaintext
//! fixed-point model bit for bit.

use std::sync::Arc;

use ed25519_dalek::SigningKey;
use rand_core::{CryptoRng, RngCore};

use crate::data::Dataset;
use crate::fixed::{FixedPoint, FixedPointError, ring_sum};
use crate::model::{Training, train, zero_parameters};
use crate::secagg::aggregator::AbortReason;
use crate::secagg::simulation::{Dropouts, SimulationError, run_round};
use crate::secagg::{ConfigError, PhaseDeadlines, RoundConfig, RoundId};

/// A federated task: rounds of local training, fixed-point encoding and the SecAgg threshold.
#[derive(Clone, Copy, Debug)]
pub struct Task {
    pub id: [u8; 32],
    pub rounds: usize,
    pub local: Training,
    pub fixed: FixedPoint,
    pub threshold: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum FederatedError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Simulation(#[from] SimulationError),
    #[error(transparent)]
    FixedPoint(#[from] FixedPointError),
    #[error("round {round} aborted: {reason}")]
    Aborted { round: usize, reason: AbortReason },
}

/// Each hospital trains from the global fixed-point model and encodes its weighted upload.
pub fn local_uploads(hospitals: &[Dataset], global: &[i64], task: &Task) -> Vec<Vec<u64>> {
    let start = task.fixed.dequantize(global);
    hospitals
        .iter()
        .map(|data| {
            task.fixed
                .encode_update(&train(&start, data, &task.local), data.len())
        })
        .collect()
}

fn initial_model(hospitals: &[Dataset]) -> Vec<i64> {
    vec![0; zero_parameters(hospitals.first().map_or(0, Dataset::dims)).len()]
}

/// FedAvg with the plain ring sum: what the secure run must reproduce exactly.
pub fn plaintext_fedavg(hospitals: &[Dataset], task: &Task) -> Result<Vec<i64>, FederatedError> {
    let mut global = initial_model(hospitals);
    for _ in 0..task.rounds {
        let uploads = local_uploads(hospitals, &global, task);
        let sum = ring_sum(uploads.iter().map(Vec::as_slice), global.len() + 1);
        global = task.fixed.average(&sum, global.len())?;
    }
    Ok(global)
}

/// FedAvg where every round's sum comes out of a SecAgg round among the hospitals.
pub fn secure_fedavg<R: RngCore + CryptoRng>(
    hospitals: &[Dataset],
    task: &Task,
    rng: &mut R,
) -> Result<Vec<i64>, FederatedError> {
    let identities: Vec<SigningKey> = hospitals
        .iter()
        .map(|_| SigningKey::generate(rng))
        .collect();
    let roster: Vec<_> = identities.iter().map(SigningKey::verifying_key).collect();
    let mut global = initial_model(hospitals);
    for round in 0..task.rounds {
        let uploads = local_uploads(hospitals, &global, task);
        let round_id = RoundId {
            task: task.id,
            round: round as u64,
        };
        let deadlines = PhaseDeadlines::every(4 * round as u64, 1);
        let config = Arc::new(RoundConfig::new(
            round_id,
            task.threshold,
            roster.clone(),
            global.len() + 1,
            deadlines,
        )?);
        let report = run_round(config, &identities, &uploads, &Dropouts::none(), rng)?;
        let sum = report
            .outcome
            .map_err(|reason| FederatedError::Aborted { round, reason })?;
        global = task.fixed.average(&sum, global.len())?;
    }
    Ok(global)
}

/// The centralized reference: the same gradient descent on the union, `rounds × epochs` steps.
pub fn centralized(union: &Dataset, task: &Task) -> Vec<f64> {
    let training = Training {
        epochs: task.rounds * task.local.epochs,
        ..task.local
    };
    train(&zero_parameters(union.dims()), union, &training)
}
