//! One round run in process: honest participants, the aggregator, and scripted dropouts.
//!
//! Used by the federated driver, the tests and the benchmark; every message goes through
//! [`Aggregator::receive`] at a height inside its phase, and phases close by [`Aggregator::tick`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use rand_core::{CryptoRng, RngCore};

use super::aggregator::{AbortReason, Aggregator, Event, Rejection};
use super::messages::{SignedMessage, delivery_encoded_len};
use super::participant::{Participant, ParticipantError};
use super::{ParticipantId, Phase, RoundConfig};

/// Participants that go silent from a phase on (they send nothing in it or later).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dropouts {
    pub silent_from: BTreeMap<ParticipantId, Phase>,
}

impl Dropouts {
    pub fn none() -> Dropouts {
        Dropouts::default()
    }

    /// `users` go silent at `phase`.
    pub fn at(phase: Phase, users: impl IntoIterator<Item = ParticipantId>) -> Dropouts {
        Dropouts {
            silent_from: users.into_iter().map(|u| (u, phase)).collect(),
        }
    }

    fn speaks(&self, user: ParticipantId, phase: Phase) -> bool {
        self.silent_from.get(&user).is_none_or(|&from| phase < from)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimulationError {
    #[error("participant {id}: {source}")]
    Participant {
        id: ParticipantId,
        source: ParticipantError,
    },
    #[error("aggregator rejected an honest message from {id}: {source}")]
    Rejected {
        id: ParticipantId,
        source: Rejection,
    },
    #[error("{identities} identities and {inputs} inputs for a roster of {roster}")]
    Sizes {
        identities: usize,
        inputs: usize,
        roster: usize,
    },
}

/// The outcome and what it cost.
#[derive(Clone, Debug)]
pub struct RoundReport {
    pub outcome: Result<Vec<u64>, AbortReason>,
    /// Per participant: time spent computing its messages (all phases it took part in).
    pub client_compute: Vec<Duration>,
    /// Aggregator time: checking messages and closing phases, unmasking included.
    pub server_compute: Duration,
    /// Per participant: bytes it sent, and bytes it received from the aggregator.
    pub upload_bytes: Vec<usize>,
    pub download_bytes: Vec<usize>,
}

/// Runs one round with `inputs[i]` for roster member `i`.
pub fn run_round<R: RngCore + CryptoRng>(
    config: Arc<RoundConfig>,
    identities: &[SigningKey],
    inputs: &[Vec<u64>],
    dropouts: &Dropouts,
    rng: &mut R,
) -> Result<RoundReport, SimulationError> {
    let n = config.participants();
    if identities.len() != n || inputs.len() != n {
        return Err(SimulationError::Sizes {
            identities: identities.len(),
            inputs: inputs.len(),
            roster: n,
        });
    }
    let mut client_compute = vec![Duration::ZERO; n];
    let mut upload_bytes = vec![0usize; n];
    let mut download_bytes = vec![0usize; n];
    let mut server_compute = Duration::ZERO;
    let mut participants = Vec::with_capacity(n);
    for (i, (identity, input)) in identities.iter().zip(inputs).enumerate() {
        let id = i as ParticipantId;
        let start = Instant::now();
        let participant =
            Participant::new(config.clone(), id, identity.clone(), input.clone(), rng)
                .map_err(|source| SimulationError::Participant { id, source })?;
        client_compute[i] += start.elapsed();
        participants.push(participant);
    }
    let mut aggregator = Aggregator::new(config.clone());
    let mut event: Option<Event> = None;

    for phase in [
        Phase::AdvertiseKeys,
        Phase::ShareKeys,
        Phase::MaskedInput,
        Phase::Unmasking,
    ] {
        let deadline = config.deadlines.of(phase);
        for participant in &mut participants {
            let id = participant.id();
            let i = id as usize;
            if !dropouts.speaks(id, phase) {
                continue;
            }
            let start = Instant::now();
            let message: Result<SignedMessage, ParticipantError> = match (phase, &event) {
                (Phase::AdvertiseKeys, None) => participant.advertise_keys(),
                (Phase::ShareKeys, Some(Event::KeysAdvertised(advertisements))) => {
                    download_bytes[i] += advertisements
                        .iter()
                        .map(SignedMessage::encoded_len)
                        .sum::<usize>();
                    participant.share_keys(advertisements, rng)
                }
                (Phase::MaskedInput, Some(Event::KeysShared(deliveries))) => {
                    match deliveries.get(&id) {
                        Some(delivery) => {
                            download_bytes[i] += delivery_encoded_len(delivery);
                            participant.masked_input(delivery)
                        }
                        None => continue,
                    }
                }
                (Phase::Unmasking, Some(Event::InputsMasked(request))) => {
                    if request.survivors.binary_search(&id).is_err() {
                        continue;
                    }
                    download_bytes[i] += request.encoded_len();
                    participant.unmask(request)
                }
                _ => continue,
            };
            let message = message.map_err(|source| SimulationError::Participant { id, source })?;
            client_compute[i] += start.elapsed();
            upload_bytes[i] += message.encoded_len();
            let start = Instant::now();
            aggregator
                .receive(&message, deadline - 1)
                .map_err(|source| SimulationError::Rejected { id, source })?;
            server_compute += start.elapsed();
        }
        let start = Instant::now();
        let mut closed = aggregator.tick(deadline);
        server_compute += start.elapsed();
        event = closed.pop();
        match &event {
            Some(Event::Aborted(reason)) => {
                return Ok(RoundReport {
                    outcome: Err(reason.clone()),
                    client_compute,
                    server_compute,
                    upload_bytes,
                    download_bytes,
                });
            }
            Some(Event::Aggregated(sum)) => {
                return Ok(RoundReport {
                    outcome: Ok(sum.clone()),
                    client_compute,
                    server_compute,
                    upload_bytes,
                    download_bytes,
                });
            }
            _ => {}
        }
    }
    unreachable!("the unmasking phase always ends in an aggregate or an abort")
}

/// The roster members that reached the masked-input phase and submitted: whose inputs the sum holds.
pub fn contributors(n: usize, dropouts: &Dropouts) -> BTreeSet<ParticipantId> {
    (0..n as ParticipantId)
        .filter(|&i| dropouts.speaks(i, Phase::MaskedInput))
        .collect()
}
