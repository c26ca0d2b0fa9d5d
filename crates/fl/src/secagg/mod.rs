//! Secure aggregation (Bonawitz et al., CCS 2017) as explicit messages and two state machines.
//!
//! The [`aggregator::Aggregator`] is what medshare's chain runs: it orders and checks messages,
//! closes each phase at a block height, and fixes the survivor sets — every participant reads the
//! same sets from it, which is what Bonawitz's consistency round otherwise has to enforce.
//!
//! 1. **Advertise keys** (`U1`): each participant signs two X25519 public keys, one to seal
//!    shares (`c`) and one for pairwise masks (`s`), and a hash commitment to its self-mask seed `b`.
//! 2. **Share keys** (`U2`): t-of-n Shamir shares of `b` and of the seed of `s`'s secret key,
//!    sealed to each peer of `U1` with ChaCha20-Poly1305 under `KDF(X25519(c_i, c_j))`.
//! 3. **Masked input** (`U3`): `y_i = x_i + PRG(b_i) + Σ_{j∈U2, i<j} PRG(s_ij) − Σ_{j∈U2, i>j} PRG(s_ij)`
//!    in `Z_{2^64}`, with `s_ij = KDF(X25519(s_i, s_j))` expanded by ChaCha20.
//! 4. **Unmasking** (`U4 ⊆ U3`): survivors reveal shares of `b_j` for `j ∈ U3` and of `s_j` for
//!    `j ∈ U2 \ U3` — never both for one user; at least t answers let the aggregator remove every
//!    mask and output `Σ_{i∈U3} x_i`, and nothing else.
//!
//! Below t at any phase the round aborts without reconstructing anything. SecAgg+ (a
//! `O(log n)`-regular mask graph) would cut the `O(n)` per-client cost; consortium rosters
//! (n ≤ 100) keep the complete graph, whose cost `examples/bench.rs` measures.

use ed25519_dalek::VerifyingKey;

pub mod aggregator;
mod keys;
pub mod messages;
pub mod participant;
pub mod simulation;

/// Index of a participant in the round's roster.
pub type ParticipantId = u32;

/// A round of a task; every message and every derived key is bound to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RoundId {
    pub task: [u8; 32],
    pub round: u64,
}

impl RoundId {
    pub fn to_bytes(&self) -> [u8; 40] {
        let mut bytes = [0u8; 40];
        bytes[..32].copy_from_slice(&self.task);
        bytes[32..].copy_from_slice(&self.round.to_be_bytes());
        bytes
    }
}

/// The round's phases, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    AdvertiseKeys,
    ShareKeys,
    MaskedInput,
    Unmasking,
}

/// Block heights at which each phase closes; a message is on time below its phase's deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhaseDeadlines {
    pub advertise_keys: u64,
    pub share_keys: u64,
    pub masked_input: u64,
    pub unmasking: u64,
}

impl PhaseDeadlines {
    /// Each phase `blocks_per_phase` blocks long, the first opening at `start`.
    pub fn every(start: u64, blocks_per_phase: u64) -> PhaseDeadlines {
        PhaseDeadlines {
            advertise_keys: start + blocks_per_phase,
            share_keys: start + 2 * blocks_per_phase,
            masked_input: start + 3 * blocks_per_phase,
            unmasking: start + 4 * blocks_per_phase,
        }
    }

    pub fn of(&self, phase: Phase) -> u64 {
        match phase {
            Phase::AdvertiseKeys => self.advertise_keys,
            Phase::ShareKeys => self.share_keys,
            Phase::MaskedInput => self.masked_input,
            Phase::Unmasking => self.unmasking,
        }
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("threshold {threshold} must satisfy n/2 < t ≤ n for n = {participants}")]
    Threshold {
        threshold: usize,
        participants: usize,
    },
    #[error("the input vector must have at least one coordinate")]
    EmptyInput,
    #[error("phase deadlines must strictly increase")]
    Deadlines,
    #[error("roster key {0} appears twice")]
    DuplicateMember(usize),
    #[error("a roster of {0} does not fit participant ids")]
    RosterTooLarge(usize),
}

/// What every participant and the aggregator agree on before the round (on chain: the task).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundConfig {
    pub round: RoundId,
    /// `t`: shares needed to reconstruct, and the minimum size of every survivor set.
    pub threshold: usize,
    /// Long-term Ed25519 keys; a participant's id is its index here.
    pub roster: Vec<VerifyingKey>,
    /// Coordinates of each input vector in `Z_{2^64}`.
    pub dims: usize,
    pub deadlines: PhaseDeadlines,
}

impl RoundConfig {
    /// `t > n/2`, so two disjoint groups can never each reconstruct a different view of the round.
    pub fn new(
        round: RoundId,
        threshold: usize,
        roster: Vec<VerifyingKey>,
        dims: usize,
        deadlines: PhaseDeadlines,
    ) -> Result<RoundConfig, ConfigError> {
        let participants = roster.len();
        if ParticipantId::try_from(participants).is_err() {
            return Err(ConfigError::RosterTooLarge(participants));
        }
        if threshold > participants || 2 * threshold <= participants {
            return Err(ConfigError::Threshold {
                threshold,
                participants,
            });
        }
        if dims == 0 {
            return Err(ConfigError::EmptyInput);
        }
        let d = deadlines;
        if !(d.advertise_keys < d.share_keys
            && d.share_keys < d.masked_input
            && d.masked_input < d.unmasking)
        {
            return Err(ConfigError::Deadlines);
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(i) = roster.iter().position(|k| !seen.insert(k.to_bytes())) {
            return Err(ConfigError::DuplicateMember(i));
        }
        Ok(RoundConfig {
            round,
            threshold,
            roster,
            dims,
            deadlines,
        })
    }

    pub fn participants(&self) -> usize {
        self.roster.len()
    }
}

/// `⌈2n/3⌉`, the spec's default (§7.2): tolerates a third of the roster dropping.
pub fn default_threshold(participants: usize) -> usize {
    (2 * participants).div_ceil(3).max(participants / 2 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    fn roster(n: u8) -> Vec<VerifyingKey> {
        (0..n)
            .map(|i| SigningKey::from_bytes(&[i + 1; 32]).verifying_key())
            .collect()
    }

    #[test]
    fn config_requires_an_honest_majority_threshold_and_ordered_deadlines() {
        let round = RoundId {
            task: [0; 32],
            round: 0,
        };
        let deadlines = PhaseDeadlines::every(0, 1);
        assert!(RoundConfig::new(round, 3, roster(5), 4, deadlines).is_ok());
        assert_eq!(
            RoundConfig::new(round, 2, roster(4), 4, deadlines),
            Err(ConfigError::Threshold {
                threshold: 2,
                participants: 4
            })
        );
        assert_eq!(
            RoundConfig::new(round, 6, roster(5), 4, deadlines),
            Err(ConfigError::Threshold {
                threshold: 6,
                participants: 5
            })
        );
        assert_eq!(
            RoundConfig::new(round, 3, roster(5), 0, deadlines),
            Err(ConfigError::EmptyInput)
        );
        let backwards = PhaseDeadlines {
            share_keys: 0,
            ..deadlines
        };
        assert_eq!(
            RoundConfig::new(round, 3, roster(5), 4, backwards),
            Err(ConfigError::Deadlines)
        );
        let mut twice = roster(5);
        twice[4] = twice[1];
        assert_eq!(
            RoundConfig::new(round, 3, twice, 4, deadlines),
            Err(ConfigError::DuplicateMember(4))
        );
    }

    #[test]
    fn default_threshold_is_two_thirds_and_a_strict_majority() {
        assert_eq!(
            [1, 2, 3, 10, 50, 100].map(default_threshold),
            [1, 2, 2, 7, 34, 67]
        );
    }
}
