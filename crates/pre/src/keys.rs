//! Keys: the master secret per-MDA keys are derived from, delegating/recipient key pairs on
//! Ristretto255, and the delegator's ed25519 signing key for key fragments.

use std::fmt;

use curve25519_dalek::{RistrettoPoint, Scalar};
use rand_core::CryptoRngCore;
use zeroize::{Zeroize, Zeroizing};

use crate::Error;
use crate::encoding::{decode_point, decode_scalar, exact};
use crate::hash::{Domain, Transcript};

/// A 32-byte root secret from which a delegator derives one delegating key per MDA, so that
/// fragments of one delegation open nothing else and the client stores one secret.
pub struct MasterSecret([u8; 32]);

impl MasterSecret {
    /// A fresh master secret.
    pub fn random(rng: &mut impl CryptoRngCore) -> Self {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        MasterSecret(bytes)
    }

    /// A master secret restored from the keystore.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        MasterSecret(bytes)
    }

    /// The secret bytes, for the keystore; zeroized when dropped.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0)
    }
}

impl Drop for MasterSecret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for MasterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterSecret(<redacted>)")
    }
}

/// A non-zero Ristretto255 secret scalar: a delegating key or a recipient key.
#[derive(Clone)]
pub struct SecretKey(pub(crate) Scalar);

impl SecretKey {
    /// A fresh secret key.
    pub fn random(rng: &mut impl CryptoRngCore) -> Self {
        SecretKey(random_nonzero_scalar(rng))
    }

    /// The delegating key for `context` (an MDA id): the same master and context always give
    /// the same key, different contexts give independent keys.
    pub fn derive(master: &MasterSecret, context: &[u8]) -> Self {
        // A zero output has probability 2^-252; the counter makes the function total anyway.
        (0u64..)
            .map(|counter| {
                let mut transcript = Transcript::new(Domain::DeriveDelegatingKey);
                transcript
                    .bytes(&master.0)
                    .bytes(context)
                    .bytes(&counter.to_le_bytes());
                transcript.scalar()
            })
            .find(|scalar| *scalar != Scalar::ZERO)
            .map(SecretKey)
            .expect("an unbounded counter finds a non-zero scalar")
    }

    /// The matching public key `sk·G`.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(RistrettoPoint::mul_base(&self.0))
    }

    /// The canonical 32-byte encoding, zeroized when dropped.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// Decodes a secret key, refusing non-canonical and zero scalars.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        const WHAT: &str = "secret key";
        let mut reader = exact(WHAT, bytes, 32)?;
        let array = Zeroizing::new(reader.array::<32>());
        let scalar = decode_scalar(WHAT, *array)?;
        if scalar == Scalar::ZERO {
            return Err(Error::ZeroScalar { what: WHAT });
        }
        Ok(SecretKey(scalar))
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// A Ristretto255 public key; never the identity.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub(crate) RistrettoPoint);

impl PublicKey {
    /// The canonical compressed encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.compress().to_bytes()
    }

    /// Decodes a public key, refusing non-canonical encodings and the identity.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        const WHAT: &str = "public key";
        let mut reader = exact(WHAT, bytes, 32)?;
        Ok(PublicKey(decode_point(WHAT, reader.array())?))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", hex(&self.to_bytes()))
    }
}

/// The delegator's ed25519 signing key, which signs every key fragment so peers and recipients
/// can tell the delegator's fragments from forgeries.
pub struct Signer(ed25519_dalek::SigningKey);

impl Signer {
    /// A fresh signing key.
    pub fn random(rng: &mut impl CryptoRngCore) -> Self {
        Signer(ed25519_dalek::SigningKey::generate(rng))
    }

    /// The signing key for `context`, derived from the master secret (domain-separated from the
    /// delegating keys).
    pub fn derive(master: &MasterSecret, context: &[u8]) -> Self {
        let mut transcript = Transcript::new(Domain::DeriveSigningKey);
        transcript.bytes(&master.0).bytes(context);
        let seed = Zeroizing::new(transcript.key());
        Signer(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// The public half, named in the delegation.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey(self.0.verifying_key())
    }

    pub(crate) fn sign(&self, message: &[u8]) -> ed25519_dalek::Signature {
        use ed25519_dalek::Signer as _;
        self.0.sign(message)
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer(<redacted>)")
    }
}

/// The delegator's ed25519 verifying key; weak (small-order) keys are refused.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct VerifyingKey(ed25519_dalek::VerifyingKey);

impl VerifyingKey {
    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Decodes a verifying key, refusing invalid and small-order points.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut reader = exact("verifying key", bytes, 32)?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&reader.array())
            .map_err(|_| Error::InvalidVerifyingKey)?;
        if key.is_weak() {
            return Err(Error::InvalidVerifyingKey);
        }
        Ok(VerifyingKey(key))
    }

    /// Strict verification (canonical `s`, no small-order `R` or key), so a signature has one
    /// valid form.
    pub(crate) fn verify(
        &self,
        message: &[u8],
        signature: &ed25519_dalek::Signature,
    ) -> Result<(), Error> {
        self.0
            .verify_strict(message, signature)
            .map_err(|_| Error::BadKFragSignature)
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey({})", hex(&self.to_bytes()))
    }
}

pub(crate) fn random_nonzero_scalar(rng: &mut impl CryptoRngCore) -> Scalar {
    loop {
        let scalar = Scalar::random(rng);
        if scalar != Scalar::ZERO {
            return scalar;
        }
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
