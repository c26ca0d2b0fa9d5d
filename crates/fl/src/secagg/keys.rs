//! Key derivation, share sealing and mask expansion, shared by participants and the aggregator.
//!
//! Every derived key is bound to the [`RoundId`], so nothing from one round opens or cancels
//! anything in another.

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, KeyInit, Nonce};
use curve25519_dalek::Scalar;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;
use x25519_dalek::{PublicKey, SharedSecret, StaticSecret};
use zeroize::Zeroizing;

use super::messages::{SHARE_CIPHERTEXT_LEN, ShareCiphertext};
use super::{ParticipantId, RoundId};

const SHARE_KEY_CONTEXT: &str = "medshare-fl secagg v1 share sealing key";
const PAIRWISE_CONTEXT: &str = "medshare-fl secagg v1 pairwise mask seed";
const SELF_MASK_CONTEXT: &str = "medshare-fl secagg v1 self mask seed";
const COMMITMENT_CONTEXT: &str = "medshare-fl secagg v1 self mask commitment";
const MASK_KEY_CONTEXT: &str = "medshare-fl secagg v1 mask secret key";

fn derive(context: &str, parts: &[&[u8]]) -> Zeroizing<[u8; 32]> {
    let mut hasher = blake3::Hasher::new_derive_key(context);
    for part in parts {
        hasher.update(part);
    }
    Zeroizing::new(*hasher.finalize().as_bytes())
}

/// X25519 agreement, `None` for a low-order peer key (the output would be all zeros).
pub(crate) fn agree(secret: &StaticSecret, peer: &[u8; 32]) -> Option<SharedSecret> {
    let shared = secret.diffie_hellman(&PublicKey::from(*peer));
    shared.was_contributory().then_some(shared)
}

/// Whether a public key has a large-order component: a clamped scalar (a multiple of 8) sends
/// every low-order point, on the curve or its twist, to zero and nothing else.
pub(crate) fn is_contributory(public: &[u8; 32]) -> bool {
    agree(&StaticSecret::from([1u8; 32]), public).is_some()
}

/// The X25519 secret for pairwise masks, derived from the Shamir-shared field element.
pub(crate) fn mask_secret(seed: &Scalar, round: &RoundId) -> StaticSecret {
    StaticSecret::from(*derive(
        MASK_KEY_CONTEXT,
        &[seed.as_bytes(), &round.to_bytes()],
    ))
}

pub(crate) fn pairwise_seed(shared: &SharedSecret, round: &RoundId) -> Zeroizing<[u8; 32]> {
    derive(PAIRWISE_CONTEXT, &[shared.as_bytes(), &round.to_bytes()])
}

pub(crate) fn self_mask_seed(self_mask: &Scalar, round: &RoundId) -> Zeroizing<[u8; 32]> {
    derive(
        SELF_MASK_CONTEXT,
        &[self_mask.as_bytes(), &round.to_bytes()],
    )
}

/// Lets the aggregator check a reconstructed `b` (a hash of a uniform 252-bit value hides it).
pub(crate) fn self_mask_commitment(self_mask: &Scalar, round: &RoundId) -> [u8; 32] {
    *derive(
        COMMITMENT_CONTEXT,
        &[self_mask.as_bytes(), &round.to_bytes()],
    )
}

/// Adds `sign·PRG(seed)` to `vector` in `Z_{2^64}`.
pub(crate) fn apply_mask(vector: &mut [u64], seed: &[u8; 32], add: bool) {
    let mut prg = ChaCha20Rng::from_seed(*seed);
    for coordinate in vector {
        let mask = prg.next_u64();
        *coordinate = if add {
            coordinate.wrapping_add(mask)
        } else {
            coordinate.wrapping_sub(mask)
        };
    }
}

fn share_cipher(shared: &SharedSecret, round: &RoundId) -> ChaCha20Poly1305 {
    let key = derive(SHARE_KEY_CONTEXT, &[shared.as_bytes(), &round.to_bytes()]);
    ChaCha20Poly1305::new(Key::from_slice(key.as_ref()))
}

/// The key is shared by both directions of a pair; the nonce (sender, receiver) separates them.
fn share_nonce(from: ParticipantId, to: ParticipantId) -> Nonce {
    let mut nonce = [0u8; 12];
    nonce[..4].copy_from_slice(&from.to_be_bytes());
    nonce[4..8].copy_from_slice(&to.to_be_bytes());
    Nonce::from(nonce)
}

/// Seals `from‖to‖share(s_from)‖share(b_from)` for `to`, authenticated with the round id.
pub(crate) fn seal_shares(
    shared: &SharedSecret,
    round: &RoundId,
    from: ParticipantId,
    to: ParticipantId,
    mask_key_share: &Scalar,
    self_mask_share: &Scalar,
) -> ShareCiphertext {
    let mut plaintext = Zeroizing::new([0u8; 72]);
    plaintext[..4].copy_from_slice(&from.to_be_bytes());
    plaintext[4..8].copy_from_slice(&to.to_be_bytes());
    plaintext[8..40].copy_from_slice(mask_key_share.as_bytes());
    plaintext[40..].copy_from_slice(self_mask_share.as_bytes());
    let sealed = share_cipher(shared, round)
        .encrypt(
            &share_nonce(from, to),
            Payload {
                msg: plaintext.as_ref(),
                aad: &round.to_bytes(),
            },
        )
        .expect("ChaCha20-Poly1305 seals any 72-byte message");
    let mut ciphertext = [0u8; SHARE_CIPHERTEXT_LEN];
    ciphertext.copy_from_slice(&sealed);
    ciphertext
}

/// `(share(s_from), share(b_from))`, or `None` if the ciphertext is not `from`'s to `to` this round.
pub(crate) fn open_shares(
    shared: &SharedSecret,
    round: &RoundId,
    from: ParticipantId,
    to: ParticipantId,
    ciphertext: &ShareCiphertext,
) -> Option<(Scalar, Scalar)> {
    let plaintext = Zeroizing::new(
        share_cipher(shared, round)
            .decrypt(
                &share_nonce(from, to),
                Payload {
                    msg: ciphertext,
                    aad: &round.to_bytes(),
                },
            )
            .ok()?,
    );
    if plaintext[..4] != from.to_be_bytes() || plaintext[4..8] != to.to_be_bytes() {
        return None;
    }
    let scalar =
        |bytes: &[u8]| Option::<Scalar>::from(Scalar::from_canonical_bytes(bytes.try_into().ok()?));
    Some((scalar(&plaintext[8..40])?, scalar(&plaintext[40..72])?))
}
