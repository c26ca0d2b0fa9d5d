//! Domain-separated hashing: every hash in the scheme starts with the protocol tag and its own
//! domain, and every input is length-prefixed, so no two uses (or two input splits) collide.

use std::sync::LazyLock;

use curve25519_dalek::{RistrettoPoint, Scalar};
use sha2::{Digest, Sha512};

const PROTOCOL: &[u8] = b"medshare-pre/v1";

/// The domains; one per use.
#[derive(Clone, Copy)]
pub(crate) enum Domain {
    SecondGenerator,
    CapsuleCheck,
    CapsuleKey,
    DelegationId,
    PrecursorBinding,
    ShareIndex,
    KFragSignature,
    CFragProof,
    DeriveDelegatingKey,
    DeriveSigningKey,
}

impl Domain {
    fn tag(self) -> &'static [u8] {
        match self {
            Domain::SecondGenerator => b"second-generator",
            Domain::CapsuleCheck => b"capsule-check",
            Domain::CapsuleKey => b"capsule-key",
            Domain::DelegationId => b"delegation-id",
            Domain::PrecursorBinding => b"precursor-binding",
            Domain::ShareIndex => b"share-index",
            Domain::KFragSignature => b"kfrag-signature",
            Domain::CFragProof => b"cfrag-proof",
            Domain::DeriveDelegatingKey => b"derive-delegating-key",
            Domain::DeriveSigningKey => b"derive-signing-key",
        }
    }
}

/// A SHA-512 transcript of length-prefixed items.
pub(crate) struct Transcript(Sha512);

impl Transcript {
    pub(crate) fn new(domain: Domain) -> Self {
        let mut transcript = Transcript(Sha512::new());
        transcript.bytes(PROTOCOL).bytes(domain.tag());
        transcript
    }

    pub(crate) fn bytes(&mut self, item: &[u8]) -> &mut Self {
        self.0.update((item.len() as u64).to_le_bytes());
        self.0.update(item);
        self
    }

    pub(crate) fn point(&mut self, point: &RistrettoPoint) -> &mut Self {
        self.bytes(point.compress().as_bytes())
    }

    /// A uniform scalar (wide reduction of the 64-byte digest).
    pub(crate) fn scalar(self) -> Scalar {
        Scalar::from_bytes_mod_order_wide(&self.0.finalize().into())
    }

    /// The first 32 bytes of the digest, as key material or an identifier.
    pub(crate) fn key(self) -> [u8; 32] {
        let digest = self.0.finalize();
        let mut key = [0u8; 32];
        key.copy_from_slice(&digest[..32]);
        key
    }

    /// The signing message: the transcript's digest, so the signature covers every item.
    pub(crate) fn digest(self) -> [u8; 64] {
        self.0.finalize().into()
    }
}

/// `U`, the second generator key-fragment commitments live on; hashed to the curve so nobody
/// knows its discrete logarithm to `G`.
pub(crate) static SECOND_GENERATOR: LazyLock<RistrettoPoint> = LazyLock::new(|| {
    let digest: [u8; 64] = Sha512::new()
        .chain_update(PROTOCOL)
        .chain_update(Domain::SecondGenerator.tag())
        .finalize()
        .into();
    RistrettoPoint::from_uniform_bytes(&digest)
});
