//! The server's side of the round — in medshare, the chain's state machine.
//!
//! It holds no secret and uses only integer arithmetic. Phases close at block heights
//! ([`Aggregator::tick`]); the survivor sets it fixes are the only ones any participant sees.

use std::collections::BTreeMap;
use std::sync::Arc;

use curve25519_dalek::Scalar;
use x25519_dalek::PublicKey;

use super::messages::{Body, ShareCiphertext, ShareDelivery, SignedMessage, UnmaskRequest};
use super::{ParticipantId, Phase, RoundConfig, keys};
use crate::shamir;

/// Why a message was refused; the round goes on without it.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("message is for another round")]
    WrongRound,
    #[error("sender {0} is not in the roster")]
    NotMember(ParticipantId),
    #[error("the round is over")]
    RoundClosed,
    #[error("{phase:?} closed at height {deadline}, message at {height}")]
    AfterDeadline {
        phase: Phase,
        deadline: u64,
        height: u64,
    },
    #[error("a {got:?} message during {expected:?}")]
    WrongPhase { expected: Phase, got: Phase },
    #[error("bad signature")]
    BadSignature,
    #[error("sender already sent its {0:?} message")]
    Duplicate(Phase),
    #[error("sender took no part in the previous phase")]
    NotEligible,
    #[error("malformed: {0}")]
    Malformed(&'static str),
}

/// Why a round ended without an aggregate. Nothing was reconstructed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AbortReason {
    #[error("{phase:?} closed with {got} participants, the threshold is {need}")]
    BelowThreshold {
        phase: Phase,
        got: usize,
        need: usize,
    },
    #[error(
        "shares of participant {0} reconstruct a secret that does not match its advertised key"
    )]
    InconsistentShares(ParticipantId),
}

/// What closing a phase announces to the participants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// `U1`'s signed advertisements, verified by every participant.
    KeysAdvertised(Vec<SignedMessage>),
    /// For each member of `U2`, the ciphertexts the others sealed to it.
    KeysShared(BTreeMap<ParticipantId, ShareDelivery>),
    /// `U3` and `U2 \ U3`.
    InputsMasked(UnmaskRequest),
    /// `Σ_{i∈U3} x_i` in `Z_{2^64}`.
    Aggregated(Vec<u64>),
    Aborted(AbortReason),
}

/// Shares revealed by one survivor, parsed.
struct Revealed {
    self_mask: BTreeMap<ParticipantId, Scalar>,
    mask_key: BTreeMap<ParticipantId, Scalar>,
}

pub struct Aggregator {
    config: Arc<RoundConfig>,
    /// `None` once the round has an outcome.
    phase: Option<Phase>,
    advertisements: BTreeMap<ParticipantId, SignedMessage>,
    shared: BTreeMap<ParticipantId, Vec<(ParticipantId, ShareCiphertext)>>,
    masked: BTreeMap<ParticipantId, Vec<u64>>,
    revealed: BTreeMap<ParticipantId, Revealed>,
    request: Option<UnmaskRequest>,
}

impl Aggregator {
    pub fn new(config: Arc<RoundConfig>) -> Aggregator {
        Aggregator {
            config,
            phase: Some(Phase::AdvertiseKeys),
            advertisements: BTreeMap::new(),
            shared: BTreeMap::new(),
            masked: BTreeMap::new(),
            revealed: BTreeMap::new(),
            request: None,
        }
    }

    /// The open phase, `None` after the round finished or aborted.
    pub fn phase(&self) -> Option<Phase> {
        self.phase
    }

    /// Checks and records one message received in a block at `height`.
    pub fn receive(&mut self, message: &SignedMessage, height: u64) -> Result<(), Rejection> {
        if message.round != self.config.round {
            return Err(Rejection::WrongRound);
        }
        let key = self
            .config
            .roster
            .get(message.sender as usize)
            .ok_or(Rejection::NotMember(message.sender))?;
        let phase = self.phase.ok_or(Rejection::RoundClosed)?;
        let deadline = self.config.deadlines.of(phase);
        if height >= deadline {
            return Err(Rejection::AfterDeadline {
                phase,
                deadline,
                height,
            });
        }
        if message.body.phase() != phase {
            return Err(Rejection::WrongPhase {
                expected: phase,
                got: message.body.phase(),
            });
        }
        if !message.verify(key) {
            return Err(Rejection::BadSignature);
        }
        let sender = message.sender;
        let (already, eligible) = match phase {
            Phase::AdvertiseKeys => (self.advertisements.contains_key(&sender), true),
            Phase::ShareKeys => (
                self.shared.contains_key(&sender),
                self.advertisements.contains_key(&sender),
            ),
            Phase::MaskedInput => (
                self.masked.contains_key(&sender),
                self.shared.contains_key(&sender),
            ),
            Phase::Unmasking => (
                self.revealed.contains_key(&sender),
                self.masked.contains_key(&sender),
            ),
        };
        if already {
            return Err(Rejection::Duplicate(phase));
        }
        if !eligible {
            return Err(Rejection::NotEligible);
        }
        match &message.body {
            Body::AdvertiseKeys {
                cipher_public,
                mask_public,
                ..
            } => {
                self.check_advertisement(cipher_public, mask_public)?;
                self.advertisements.insert(sender, message.clone());
            }
            Body::ShareKeys { ciphertexts } => {
                let recipients = ciphertexts.iter().map(|(to, _)| *to);
                if !recipients.eq(self.advertisements.keys().copied().filter(|&j| j != sender)) {
                    return Err(Rejection::Malformed(
                        "ciphertexts must address every other member of U1, in order",
                    ));
                }
                self.shared.insert(sender, ciphertexts.clone());
            }
            Body::MaskedInput { masked } => {
                if masked.len() != self.config.dims {
                    return Err(Rejection::Malformed("masked input has the wrong length"));
                }
                self.masked.insert(sender, masked.clone());
            }
            Body::Unmask {
                self_mask_shares,
                mask_key_shares,
            } => {
                let request = self
                    .request
                    .as_ref()
                    .expect("unmasking opens with a request");
                let revealed = Revealed {
                    self_mask: parse_shares(self_mask_shares, &request.survivors)?,
                    mask_key: parse_shares(mask_key_shares, &request.dropped)?,
                };
                self.revealed.insert(sender, revealed);
            }
        }
        Ok(())
    }

    fn check_advertisement(
        &self,
        cipher_public: &[u8; 32],
        mask_public: &[u8; 32],
    ) -> Result<(), Rejection> {
        if !keys::is_contributory(cipher_public) || !keys::is_contributory(mask_public) {
            return Err(Rejection::Malformed("low-order public key"));
        }
        let reused = cipher_public == mask_public
            || self.advertisements.values().any(|m| match &m.body {
                Body::AdvertiseKeys {
                    cipher_public: c,
                    mask_public: s,
                    ..
                } => [c, s]
                    .iter()
                    .any(|k| *k == cipher_public || *k == mask_public),
                _ => false,
            });
        if reused {
            return Err(Rejection::Malformed("public key reused"));
        }
        Ok(())
    }

    /// Closes every phase whose deadline is at or below `height`, in order.
    pub fn tick(&mut self, height: u64) -> Vec<Event> {
        let mut events = Vec::new();
        while let Some(phase) = self
            .phase
            .filter(|&p| height >= self.config.deadlines.of(p))
        {
            let event = self.close(phase);
            self.phase = match event {
                Event::Aggregated(_) | Event::Aborted(_) => None,
                Event::KeysAdvertised(_) => Some(Phase::ShareKeys),
                Event::KeysShared(_) => Some(Phase::MaskedInput),
                Event::InputsMasked(_) => Some(Phase::Unmasking),
            };
            events.push(event);
        }
        events
    }

    fn close(&mut self, phase: Phase) -> Event {
        let need = self.config.threshold;
        let got = match phase {
            Phase::AdvertiseKeys => self.advertisements.len(),
            Phase::ShareKeys => self.shared.len(),
            Phase::MaskedInput => self.masked.len(),
            Phase::Unmasking => self.revealed.len(),
        };
        if got < need {
            return Event::Aborted(AbortReason::BelowThreshold { phase, got, need });
        }
        match phase {
            Phase::AdvertiseKeys => {
                Event::KeysAdvertised(self.advertisements.values().cloned().collect())
            }
            Phase::ShareKeys => Event::KeysShared(self.deliveries()),
            Phase::MaskedInput => {
                let request = UnmaskRequest {
                    survivors: self.masked.keys().copied().collect(),
                    dropped: self
                        .shared
                        .keys()
                        .copied()
                        .filter(|j| !self.masked.contains_key(j))
                        .collect(),
                };
                self.request = Some(request.clone());
                Event::InputsMasked(request)
            }
            Phase::Unmasking => match self.unmask() {
                Ok(sum) => Event::Aggregated(sum),
                Err(reason) => Event::Aborted(reason),
            },
        }
    }

    /// Each member of `U2` gets what the other members of `U2` sealed to it.
    fn deliveries(&self) -> BTreeMap<ParticipantId, ShareDelivery> {
        let mut deliveries: BTreeMap<ParticipantId, ShareDelivery> =
            self.shared.keys().map(|&j| (j, Vec::new())).collect();
        for (&from, ciphertexts) in &self.shared {
            for (to, ciphertext) in ciphertexts {
                if let Some(delivery) = deliveries.get_mut(to) {
                    delivery.push((from, *ciphertext));
                }
            }
        }
        deliveries
    }

    /// Reconstructs from the first t revealers, checks each secret against its advertisement,
    /// and strips the masks: `Σ y_i − Σ PRG(b_i) ∓ Σ_{dropped j} Σ_{k∈U3} PRG(s_kj)`.
    fn unmask(&self) -> Result<Vec<u64>, AbortReason> {
        let round = &self.config.round;
        let request = self
            .request
            .as_ref()
            .expect("unmasking opens with a request");
        let holders: Vec<(&ParticipantId, &Revealed)> =
            self.revealed.iter().take(self.config.threshold).collect();
        let points: Vec<u64> = holders.iter().map(|(h, _)| u64::from(**h) + 1).collect();
        let lagrange = shamir::lagrange_at_zero(&points).expect("distinct ids");
        let reconstruct = |pick: &dyn Fn(&Revealed) -> Scalar| {
            let shares: Vec<Scalar> = holders.iter().map(|(_, r)| pick(r)).collect();
            shamir::combine(&lagrange, &shares)
        };

        let mut sum = vec![0u64; self.config.dims];
        for masked in self.masked.values() {
            for (s, y) in sum.iter_mut().zip(masked) {
                *s = s.wrapping_add(*y);
            }
        }
        for &i in &request.survivors {
            let self_mask = reconstruct(&|r| r.self_mask[&i]);
            if keys::self_mask_commitment(&self_mask, round) != self.advertised(i).2 {
                return Err(AbortReason::InconsistentShares(i));
            }
            keys::apply_mask(&mut sum, &keys::self_mask_seed(&self_mask, round), false);
        }
        for &j in &request.dropped {
            let mask_secret = keys::mask_secret(&reconstruct(&|r| r.mask_key[&j]), round);
            if PublicKey::from(&mask_secret).to_bytes() != self.advertised(j).1 {
                return Err(AbortReason::InconsistentShares(j));
            }
            for &k in &request.survivors {
                let shared = keys::agree(&mask_secret, &self.advertised(k).1)
                    .expect("keys checked on receipt");
                // y_k carried +PRG(s_kj) if k < j, −PRG(s_kj) if k > j: remove it.
                keys::apply_mask(&mut sum, &keys::pairwise_seed(&shared, round), k > j);
            }
        }
        Ok(sum)
    }

    /// `(cipher_public, mask_public, self_mask_commitment)` of a member of `U1`.
    fn advertised(&self, id: ParticipantId) -> ([u8; 32], [u8; 32], [u8; 32]) {
        match &self.advertisements[&id].body {
            Body::AdvertiseKeys {
                cipher_public,
                mask_public,
                self_mask_commitment,
            } => (*cipher_public, *mask_public, *self_mask_commitment),
            _ => unreachable!("only advertisements are stored as advertisements"),
        }
    }
}

/// Shares for exactly `users`, in order, each a canonical field element.
fn parse_shares(
    shares: &[(ParticipantId, [u8; 32])],
    users: &[ParticipantId],
) -> Result<BTreeMap<ParticipantId, Scalar>, Rejection> {
    if !shares.iter().map(|(u, _)| u).eq(users.iter()) {
        return Err(Rejection::Malformed(
            "unmask shares must cover exactly the requested users, in order",
        ));
    }
    shares
        .iter()
        .map(|(user, bytes)| {
            Option::<Scalar>::from(Scalar::from_canonical_bytes(*bytes))
                .map(|s| (*user, s))
                .ok_or(Rejection::Malformed(
                    "share is not a canonical field element",
                ))
        })
        .collect()
}
