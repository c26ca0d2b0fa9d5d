//! The key encapsulation (Umbral's KEM) and the payload encryption under its key (the DEM).

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use curve25519_dalek::traits::VartimeMultiscalarMul;
use curve25519_dalek::{RistrettoPoint, Scalar};
use rand_core::CryptoRngCore;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::Error;
use crate::encoding::exact;
use crate::hash::{Domain, Transcript};
use crate::keys::{PublicKey, SecretKey, hex, random_nonzero_scalar};

/// Encoded size of a [`Capsule`]: `E`, `V`, `s`.
pub const CAPSULE_SIZE: usize = 96;

/// The encapsulation of a key under a delegating key: `E = r·G`, `V = u·G`,
/// `s = u + r·H(E, V)`; the key is derived from `(r + u)·pk`. `s` makes the capsule
/// publicly checkable, so a peer never re-encrypts a malformed one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Capsule {
    pub(crate) e: RistrettoPoint,
    pub(crate) v: RistrettoPoint,
    pub(crate) s: Scalar,
}

impl Capsule {
    pub(crate) fn check_hash(e: &RistrettoPoint, v: &RistrettoPoint) -> Scalar {
        let mut transcript = Transcript::new(Domain::CapsuleCheck);
        transcript.point(e).point(v);
        transcript.scalar()
    }

    /// Canonical encoding: compressed `E`, compressed `V`, `s`.
    pub fn to_bytes(&self) -> [u8; CAPSULE_SIZE] {
        let mut bytes = [0u8; CAPSULE_SIZE];
        bytes[..32].copy_from_slice(self.e.compress().as_bytes());
        bytes[32..64].copy_from_slice(self.v.compress().as_bytes());
        bytes[64..].copy_from_slice(self.s.as_bytes());
        bytes
    }

    /// Strict decoding; also checks `s·G = V + H(E, V)·E`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut reader = exact("capsule", bytes, CAPSULE_SIZE)?;
        let capsule = Capsule {
            e: reader.point("capsule E")?,
            v: reader.point("capsule V")?,
            s: reader.scalar("capsule s")?,
        };
        let h = Capsule::check_hash(&capsule.e, &capsule.v);
        let rhs = RistrettoPoint::vartime_multiscalar_mul([Scalar::ONE, h], [capsule.v, capsule.e]);
        if RistrettoPoint::mul_base(&capsule.s) != rhs {
            return Err(Error::InvalidCapsule);
        }
        Ok(capsule)
    }
}

impl fmt::Debug for Capsule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Capsule({})", hex(&self.to_bytes()))
    }
}

/// The 32-byte symmetric key a capsule carries; zeroized on drop, never printed, compared in
/// constant time.
#[derive(Clone)]
pub struct DataKey([u8; 32]);

impl PartialEq for DataKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for DataKey {}

impl DataKey {
    /// The key bytes (for a stream cipher, or to open the sealed payload).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl Drop for DataKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// The key from the shared point, bound to the capsule and the delegating key.
pub(crate) fn capsule_key(
    shared: &RistrettoPoint,
    capsule: &Capsule,
    delegating_key: &PublicKey,
) -> DataKey {
    let mut transcript = Transcript::new(Domain::CapsuleKey);
    transcript
        .point(shared)
        .bytes(&capsule.to_bytes())
        .bytes(&delegating_key.to_bytes());
    DataKey(transcript.key())
}

/// A fresh capsule under `delegating_key` and the key it carries.
pub fn encapsulate(delegating_key: &PublicKey, rng: &mut impl CryptoRngCore) -> (Capsule, DataKey) {
    let mut r = random_nonzero_scalar(rng);
    let mut u = random_nonzero_scalar(rng);
    let e = RistrettoPoint::mul_base(&r);
    let v = RistrettoPoint::mul_base(&u);
    let s = u + r * Capsule::check_hash(&e, &v);
    let capsule = Capsule { e, v, s };
    let mut shared = delegating_key.0 * (r + u);
    let key = capsule_key(&shared, &capsule, delegating_key);
    r.zeroize();
    u.zeroize();
    shared.zeroize();
    (capsule, key)
}

/// The delegator opens its own capsule: `sk·(E + V)`.
pub fn decapsulate_original(delegating_sk: &SecretKey, capsule: &Capsule) -> DataKey {
    let mut shared = (capsule.e + capsule.v) * delegating_sk.0;
    let key = capsule_key(&shared, capsule, &delegating_sk.public_key());
    shared.zeroize();
    key
}

/// Encapsulates a fresh key under `delegating_key` and encrypts `payload` (typically an MDA's
/// data key) with it; `aad` is authenticated, not encrypted.
pub fn seal(
    delegating_key: &PublicKey,
    payload: &[u8],
    aad: &[u8],
    rng: &mut impl CryptoRngCore,
) -> (Capsule, Vec<u8>) {
    let (capsule, key) = encapsulate(delegating_key, rng);
    let ciphertext = dem_cipher(&key)
        .encrypt(
            &dem_nonce(),
            Payload {
                msg: payload,
                aad: &dem_aad(&capsule, aad),
            },
        )
        .expect("ChaCha20-Poly1305 encrypts any payload below 256 GiB");
    (capsule, ciphertext)
}

/// The delegator decrypts a payload it sealed.
pub fn open_original(
    delegating_sk: &SecretKey,
    capsule: &Capsule,
    ciphertext: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    dem_open(
        &decapsulate_original(delegating_sk, capsule),
        capsule,
        ciphertext,
        aad,
    )
}

pub(crate) fn dem_open(
    key: &DataKey,
    capsule: &Capsule,
    ciphertext: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    dem_cipher(key)
        .decrypt(
            &dem_nonce(),
            Payload {
                msg: ciphertext,
                aad: &dem_aad(capsule, aad),
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| Error::Decryption)
}

fn dem_cipher(key: &DataKey) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(&key.0.into())
}

/// A constant nonce is safe here: every capsule carries a fresh key and [`seal`] encrypts
/// exactly one message under it.
fn dem_nonce() -> Nonce {
    Nonce::default()
}

/// The capsule is authenticated with the payload, so a ciphertext cannot be moved to another
/// capsule (fixed size, so the concatenation is unambiguous).
fn dem_aad(capsule: &Capsule, aad: &[u8]) -> Vec<u8> {
    let mut bound = capsule.to_bytes().to_vec();
    bound.extend_from_slice(aad);
    bound
}
