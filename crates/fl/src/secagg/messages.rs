//! The round's messages, their canonical encoding and their Ed25519 signatures.
//!
//! A participant signs `domain ‖ round ‖ sender ‖ body`; the round id in the signed bytes is
//! what makes a message replayed from another round fail, and the sender id what makes a
//! message re-attributed to another participant fail.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use super::{ParticipantId, Phase, RoundId};

const SIGNING_DOMAIN: &[u8] = b"medshare-fl secagg v1 message";

/// `from ‖ to ‖ share(s) ‖ share(b)` (72 bytes) sealed with a 16-byte Poly1305 tag.
pub const SHARE_CIPHERTEXT_LEN: usize = 72 + 16;
pub type ShareCiphertext = [u8; SHARE_CIPHERTEXT_LEN];

/// What a participant says in each phase. Lists are sorted by participant id (canonical form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    AdvertiseKeys {
        /// X25519 key that shares are sealed to.
        cipher_public: [u8; 32],
        /// X25519 key of the pairwise masks.
        mask_public: [u8; 32],
        /// Hash commitment to the self-mask seed `b`, checked after reconstruction.
        self_mask_commitment: [u8; 32],
    },
    ShareKeys {
        /// One sealed pair of shares for every other member of `U1`.
        ciphertexts: Vec<(ParticipantId, ShareCiphertext)>,
    },
    MaskedInput {
        masked: Vec<u64>,
    },
    Unmask {
        /// Shares of `b_j` for every `j ∈ U3`.
        self_mask_shares: Vec<(ParticipantId, [u8; 32])>,
        /// Shares of the mask key seed of every `j ∈ U2 \ U3`.
        mask_key_shares: Vec<(ParticipantId, [u8; 32])>,
    },
}

impl Body {
    pub fn phase(&self) -> Phase {
        match self {
            Body::AdvertiseKeys { .. } => Phase::AdvertiseKeys,
            Body::ShareKeys { .. } => Phase::ShareKeys,
            Body::MaskedInput { .. } => Phase::MaskedInput,
            Body::Unmask { .. } => Phase::Unmasking,
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let count = |out: &mut Vec<u8>, n: usize| out.extend_from_slice(&(n as u32).to_be_bytes());
        match self {
            Body::AdvertiseKeys {
                cipher_public,
                mask_public,
                self_mask_commitment,
            } => {
                out.push(0);
                out.extend_from_slice(cipher_public);
                out.extend_from_slice(mask_public);
                out.extend_from_slice(self_mask_commitment);
            }
            Body::ShareKeys { ciphertexts } => {
                out.push(1);
                count(out, ciphertexts.len());
                for (to, ciphertext) in ciphertexts {
                    out.extend_from_slice(&to.to_be_bytes());
                    out.extend_from_slice(ciphertext);
                }
            }
            Body::MaskedInput { masked } => {
                out.push(2);
                count(out, masked.len());
                masked
                    .iter()
                    .for_each(|y| out.extend_from_slice(&y.to_be_bytes()));
            }
            Body::Unmask {
                self_mask_shares,
                mask_key_shares,
            } => {
                out.push(3);
                for list in [self_mask_shares, mask_key_shares] {
                    count(out, list.len());
                    for (user, share) in list {
                        out.extend_from_slice(&user.to_be_bytes());
                        out.extend_from_slice(share);
                    }
                }
            }
        }
    }
}

/// A body signed by its sender for one round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedMessage {
    pub round: RoundId,
    pub sender: ParticipantId,
    pub body: Body,
    pub signature: Signature,
}

fn signed_bytes(round: &RoundId, sender: ParticipantId, body: &Body) -> Vec<u8> {
    let mut bytes = SIGNING_DOMAIN.to_vec();
    bytes.extend_from_slice(&round.to_bytes());
    bytes.extend_from_slice(&sender.to_be_bytes());
    body.encode(&mut bytes);
    bytes
}

impl SignedMessage {
    pub fn sign(
        round: RoundId,
        sender: ParticipantId,
        body: Body,
        key: &SigningKey,
    ) -> SignedMessage {
        let signature = key.sign(&signed_bytes(&round, sender, &body));
        SignedMessage {
            round,
            sender,
            body,
            signature,
        }
    }

    /// Strict verification: no malleable or small-order signatures or keys.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        key.verify_strict(
            &signed_bytes(&self.round, self.sender, &self.body),
            &self.signature,
        )
        .is_ok()
    }

    /// Bytes on the wire: round, sender, encoded body and the 64-byte signature.
    pub fn encoded_len(&self) -> usize {
        signed_bytes(&self.round, self.sender, &self.body).len() - SIGNING_DOMAIN.len() + 64
    }
}

/// What the aggregator announces after the masked-input phase (on chain: read from state).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnmaskRequest {
    /// `U3`: whose self masks are removed (sorted).
    pub survivors: Vec<ParticipantId>,
    /// `U2 \ U3`: whose pairwise masks are removed (sorted).
    pub dropped: Vec<ParticipantId>,
}

impl UnmaskRequest {
    pub fn encoded_len(&self) -> usize {
        8 + 4 * (self.survivors.len() + self.dropped.len())
    }
}

/// Ciphertexts the aggregator forwards to one recipient after the share-keys phase.
pub type ShareDelivery = Vec<(ParticipantId, ShareCiphertext)>;

pub fn delivery_encoded_len(delivery: &ShareDelivery) -> usize {
    4 + delivery.len() * (4 + SHARE_CIPHERTEXT_LEN)
}
