//! A hospital's side of the round: it keeps its secrets, checks everything it is sent, and
//! refuses any request that would let the aggregator unmask an individual input.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use curve25519_dalek::Scalar;
use ed25519_dalek::SigningKey;
use rand_core::{CryptoRng, RngCore};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::{Zeroize, Zeroizing};

use super::messages::{Body, ShareDelivery, SignedMessage, UnmaskRequest};
use super::{ParticipantId, Phase, RoundConfig, keys};
use crate::shamir::{self, random_scalar};

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParticipantError {
    #[error("participant {0} is not in the roster")]
    NotMember(ParticipantId),
    #[error("input has {got} coordinates, the round expects {expected}")]
    InputLength { got: usize, expected: usize },
    #[error("asked for phase {asked:?} while the participant is at {at:?}")]
    OutOfOrder { asked: Phase, at: Option<Phase> },
    #[error("advertisement from {sender}: {reason}")]
    BadAdvertisement {
        sender: ParticipantId,
        reason: &'static str,
    },
    #[error("our own advertisement is missing or altered")]
    OwnAdvertisementMissing,
    #[error("only {got} participants in {phase:?}, the threshold is {need}")]
    BelowThreshold {
        phase: Phase,
        got: usize,
        need: usize,
    },
    #[error("shares from {sender} do not open or were not addressed to us")]
    BadShareCiphertext { sender: ParticipantId },
    #[error("refused: the request asks for both shares of participant {0}")]
    BothSharesRequested(ParticipantId),
    #[error("refused: this round was already unmasked once")]
    AlreadyUnmasked,
    #[error("refused: survivors and dropped users do not partition the users we masked with")]
    InconsistentRequest,
    #[error("refused: we submitted but are not listed as a survivor")]
    NotSurvivor,
}

struct PeerKeys {
    cipher_public: [u8; 32],
    mask_public: [u8; 32],
}

/// Shares this participant holds of one dealer's two secrets.
struct HeldShares {
    mask_key: Scalar,
    self_mask: Scalar,
}

/// Which message the participant sends next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Fresh,
    Advertised,
    SharedKeys,
    Submitted,
    Unmasked,
}

pub struct Participant {
    config: Arc<RoundConfig>,
    id: ParticipantId,
    identity: SigningKey,
    input: Vec<u64>,
    stage: Stage,
    cipher_secret: StaticSecret,
    mask_key_seed: Zeroizing<Scalar>,
    mask_secret: StaticSecret,
    self_mask: Zeroizing<Scalar>,
    /// `U1` as this participant verified it (itself included).
    peers: BTreeMap<ParticipantId, PeerKeys>,
    /// Shares received from each member of `U2` (itself included): this participant's view of `U2`.
    held: BTreeMap<ParticipantId, HeldShares>,
}

impl Drop for Participant {
    fn drop(&mut self) {
        for shares in self.held.values_mut() {
            shares.mask_key.zeroize();
            shares.self_mask.zeroize();
        }
        self.input.zeroize();
    }
}

impl Participant {
    /// Draws the round's fresh secrets: `c`, the mask key seed (hence `s`) and `b`.
    pub fn new<R: RngCore + CryptoRng>(
        config: Arc<RoundConfig>,
        id: ParticipantId,
        identity: SigningKey,
        input: Vec<u64>,
        rng: &mut R,
    ) -> Result<Participant, ParticipantError> {
        if id as usize >= config.participants() {
            return Err(ParticipantError::NotMember(id));
        }
        if input.len() != config.dims {
            return Err(ParticipantError::InputLength {
                got: input.len(),
                expected: config.dims,
            });
        }
        let mask_key_seed = Zeroizing::new(random_scalar(rng));
        let mask_secret = keys::mask_secret(&mask_key_seed, &config.round);
        Ok(Participant {
            id,
            identity,
            input,
            stage: Stage::Fresh,
            cipher_secret: StaticSecret::random_from_rng(&mut *rng),
            mask_key_seed,
            mask_secret,
            self_mask: Zeroizing::new(random_scalar(rng)),
            peers: BTreeMap::new(),
            held: BTreeMap::new(),
            config,
        })
    }

    pub fn id(&self) -> ParticipantId {
        self.id
    }

    fn expect(&self, stage: Stage, asked: Phase) -> Result<(), ParticipantError> {
        if self.stage == stage {
            return Ok(());
        }
        let at = match self.stage {
            Stage::Fresh => Some(Phase::AdvertiseKeys),
            Stage::Advertised => Some(Phase::ShareKeys),
            Stage::SharedKeys => Some(Phase::MaskedInput),
            Stage::Submitted => Some(Phase::Unmasking),
            Stage::Unmasked => None,
        };
        Err(ParticipantError::OutOfOrder { asked, at })
    }

    fn sign(&self, body: Body) -> SignedMessage {
        SignedMessage::sign(self.config.round, self.id, body, &self.identity)
    }

    fn own_advertisement(&self) -> Body {
        Body::AdvertiseKeys {
            cipher_public: PublicKey::from(&self.cipher_secret).to_bytes(),
            mask_public: PublicKey::from(&self.mask_secret).to_bytes(),
            self_mask_commitment: keys::self_mask_commitment(&self.self_mask, &self.config.round),
        }
    }

    /// Phase 1: the signed public keys and the commitment to `b`.
    pub fn advertise_keys(&mut self) -> Result<SignedMessage, ParticipantError> {
        self.expect(Stage::Fresh, Phase::AdvertiseKeys)?;
        self.stage = Stage::Advertised;
        Ok(self.sign(self.own_advertisement()))
    }

    /// Phase 2: checks every advertisement of `U1`, then deals and seals shares to each peer.
    pub fn share_keys<R: RngCore + CryptoRng>(
        &mut self,
        advertisements: &[SignedMessage],
        rng: &mut R,
    ) -> Result<SignedMessage, ParticipantError> {
        self.expect(Stage::Advertised, Phase::ShareKeys)?;
        let mut peers = BTreeMap::new();
        let mut seen_keys = BTreeSet::new();
        for advertisement in advertisements {
            let sender = advertisement.sender;
            let bad = |reason| ParticipantError::BadAdvertisement { sender, reason };
            let key = self
                .config
                .roster
                .get(sender as usize)
                .ok_or(bad("not in the roster"))?;
            if advertisement.round != self.config.round {
                return Err(bad("wrong round"));
            }
            if !advertisement.verify(key) {
                return Err(bad("bad signature"));
            }
            let Body::AdvertiseKeys {
                cipher_public,
                mask_public,
                ..
            } = &advertisement.body
            else {
                return Err(bad("not an advertisement"));
            };
            if !seen_keys.insert(*cipher_public) || !seen_keys.insert(*mask_public) {
                return Err(bad("public key reused"));
            }
            if sender == self.id && advertisement.body != self.own_advertisement() {
                return Err(ParticipantError::OwnAdvertisementMissing);
            }
            let keys = PeerKeys {
                cipher_public: *cipher_public,
                mask_public: *mask_public,
            };
            if peers.insert(sender, keys).is_some() {
                return Err(bad("advertised twice"));
            }
        }
        if !peers.contains_key(&self.id) {
            return Err(ParticipantError::OwnAdvertisementMissing);
        }
        self.check_threshold(Phase::ShareKeys, peers.len())?;

        let points: Vec<u64> = peers.keys().map(|&j| u64::from(j) + 1).collect();
        let threshold = self.config.threshold;
        let split = |secret: &Scalar, rng: &mut R| {
            shamir::split(secret, threshold, &points, rng).expect("t ≤ |U1| checked, ids distinct")
        };
        let mask_key_shares = Zeroizing::new(split(&self.mask_key_seed, rng));
        let self_mask_shares = Zeroizing::new(split(&self.self_mask, rng));
        let mut ciphertexts = Vec::with_capacity(peers.len() - 1);
        for ((&j, peer), (mask_key, self_mask)) in peers
            .iter()
            .zip(mask_key_shares.iter().zip(self_mask_shares.iter()))
        {
            if j == self.id {
                self.held.insert(
                    j,
                    HeldShares {
                        mask_key: *mask_key,
                        self_mask: *self_mask,
                    },
                );
                continue;
            }
            let shared = keys::agree(&self.cipher_secret, &peer.cipher_public).ok_or(
                ParticipantError::BadAdvertisement {
                    sender: j,
                    reason: "low-order public key",
                },
            )?;
            let round = &self.config.round;
            ciphertexts.push((
                j,
                keys::seal_shares(&shared, round, self.id, j, mask_key, self_mask),
            ));
        }
        self.peers = peers;
        self.stage = Stage::SharedKeys;
        Ok(self.sign(Body::ShareKeys { ciphertexts }))
    }

    /// Phase 3: opens the shares addressed to us (their senders are `U2`) and masks the input.
    pub fn masked_input(
        &mut self,
        delivery: &ShareDelivery,
    ) -> Result<SignedMessage, ParticipantError> {
        self.expect(Stage::SharedKeys, Phase::MaskedInput)?;
        let mut held = BTreeMap::new();
        for (sender, ciphertext) in delivery {
            let bad = ParticipantError::BadShareCiphertext { sender: *sender };
            let peer = self
                .peers
                .get(sender)
                .filter(|_| *sender != self.id)
                .ok_or(bad.clone())?;
            let shared =
                keys::agree(&self.cipher_secret, &peer.cipher_public).ok_or(bad.clone())?;
            let (mask_key, self_mask) =
                keys::open_shares(&shared, &self.config.round, *sender, self.id, ciphertext)
                    .ok_or(bad.clone())?;
            if held
                .insert(
                    *sender,
                    HeldShares {
                        mask_key,
                        self_mask,
                    },
                )
                .is_some()
            {
                return Err(bad);
            }
        }
        self.check_threshold(Phase::MaskedInput, held.len() + 1)?;
        let round = self.config.round;
        let mut masked = self.input.clone();
        keys::apply_mask(
            &mut masked,
            &keys::self_mask_seed(&self.self_mask, &round),
            true,
        );
        for j in held.keys() {
            let shared = keys::agree(&self.mask_secret, &self.peers[j].mask_public).ok_or(
                ParticipantError::BadAdvertisement {
                    sender: *j,
                    reason: "low-order public key",
                },
            )?;
            keys::apply_mask(
                &mut masked,
                &keys::pairwise_seed(&shared, &round),
                self.id < *j,
            );
        }
        self.held.append(&mut held);
        self.stage = Stage::Submitted;
        Ok(self.sign(Body::MaskedInput { masked }))
    }

    /// Phase 4: reveals `b` shares of survivors and mask-key shares of dropped users, once.
    ///
    /// Refused when a user is in both lists, when the lists are not exactly the users this
    /// participant masked with, when it is not a survivor itself, or on any second request —
    /// each would let the aggregator strip both masks off one user's input.
    pub fn unmask(&mut self, request: &UnmaskRequest) -> Result<SignedMessage, ParticipantError> {
        if self.stage == Stage::Unmasked {
            return Err(ParticipantError::AlreadyUnmasked);
        }
        self.expect(Stage::Submitted, Phase::Unmasking)?;
        let survivors: BTreeSet<ParticipantId> = request.survivors.iter().copied().collect();
        if let Some(&both) = request.dropped.iter().find(|j| survivors.contains(j)) {
            return Err(ParticipantError::BothSharesRequested(both));
        }
        if !survivors.contains(&self.id) {
            return Err(ParticipantError::NotSurvivor);
        }
        let dropped: BTreeSet<ParticipantId> = request.dropped.iter().copied().collect();
        let listed = survivors.len() + dropped.len();
        let exact = listed == request.survivors.len() + request.dropped.len()
            && listed == self.held.len()
            && survivors
                .iter()
                .chain(&dropped)
                .all(|j| self.held.contains_key(j));
        if !exact {
            return Err(ParticipantError::InconsistentRequest);
        }
        self.check_threshold(Phase::Unmasking, survivors.len())?;
        let self_mask_shares = survivors
            .iter()
            .map(|j| (*j, self.held[j].self_mask.to_bytes()))
            .collect();
        let mask_key_shares = dropped
            .iter()
            .map(|j| (*j, self.held[j].mask_key.to_bytes()))
            .collect();
        self.stage = Stage::Unmasked;
        Ok(self.sign(Body::Unmask {
            self_mask_shares,
            mask_key_shares,
        }))
    }

    fn check_threshold(&self, phase: Phase, got: usize) -> Result<(), ParticipantError> {
        let need = self.config.threshold;
        if got < need {
            return Err(ParticipantError::BelowThreshold { phase, got, need });
        }
        Ok(())
    }
}
