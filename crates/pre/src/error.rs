use thiserror::Error;

/// Why an operation or a decoding was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// An encoding had the wrong size (this includes trailing bytes).
    #[error("{what}: expected {expected} bytes, got {got}")]
    Length {
        /// The value being decoded.
        what: &'static str,
        /// Its fixed encoded size.
        expected: usize,
        /// The size given.
        got: usize,
    },
    /// Thirty-two bytes that are not the canonical encoding of a Ristretto255 point.
    #[error("{what}: not a canonical Ristretto255 point")]
    NonCanonicalPoint {
        /// The field being decoded.
        what: &'static str,
    },
    /// The identity point, which would make a key, capsule or proof trivial.
    #[error("{what}: the identity point is not allowed")]
    IdentityPoint {
        /// The field being decoded.
        what: &'static str,
    },
    /// Thirty-two bytes that are not a reduced scalar.
    #[error("{what}: not a canonical scalar")]
    NonCanonicalScalar {
        /// The field being decoded.
        what: &'static str,
    },
    /// A zero secret key.
    #[error("{what}: zero is not a valid secret")]
    ZeroScalar {
        /// The field being decoded.
        what: &'static str,
    },
    /// An ed25519 verifying key that does not decode or has small order.
    #[error("verifying key: not a valid ed25519 public key")]
    InvalidVerifyingKey,
    /// A threshold outside `1 ..= shares`.
    #[error("threshold {threshold} of {shares} shares: need 1 <= threshold <= shares")]
    InvalidThreshold {
        /// Fragments needed.
        threshold: u8,
        /// Fragments issued.
        shares: u8,
    },
    /// The capsule fails its validity check (`s·G = V + h·E`): it was not made by `encapsulate`.
    #[error("capsule: validity check failed")]
    InvalidCapsule,
    /// A key given does not match the one the delegation names.
    #[error("{what} does not match the delegation")]
    KeyMismatch {
        /// Which key.
        what: &'static str,
    },
    /// A fragment made for another delegation.
    #[error("fragment belongs to another delegation")]
    DelegationMismatch,
    /// The delegator's signature on a key fragment does not verify.
    #[error("key fragment: the delegator's signature does not verify")]
    BadKFragSignature,
    /// A key fragment whose share does not match its signed commitment.
    #[error("key fragment: share does not match its commitment")]
    KFragCommitmentMismatch,
    /// The delegation has expired; peers refuse to re-encrypt.
    #[error("delegation expired at height {expires_at}, now {height}")]
    Expired {
        /// Last height at which the delegation may be used.
        expires_at: u64,
        /// The height given.
        height: u64,
    },
    /// The re-encryption proof of a capsule fragment fails for this capsule.
    #[error("capsule fragment: re-encryption proof does not verify for this capsule")]
    BadCFragProof,
    /// A verified capsule fragment was verified for a different capsule.
    #[error("capsule fragment was verified for another capsule")]
    CFragForOtherCapsule,
    /// Capsule fragments come from different key-fragment sets.
    #[error("capsule fragments come from different key-fragment sets")]
    MixedPrecursors,
    /// The same key fragment contributed twice.
    #[error("the same key fragment contributed twice")]
    DuplicateFragment,
    /// Fewer capsule fragments than the delegation's threshold.
    #[error("need {needed} capsule fragments, got {got}")]
    NotEnoughFragments {
        /// The threshold.
        needed: u8,
        /// The number given.
        got: usize,
    },
    /// The fragments do not interpolate to a consistent re-encryption of the capsule (fewer
    /// than `t` genuine shares of one key-fragment set).
    #[error("capsule fragments do not combine to a consistent re-encryption")]
    CombinationFailed,
    /// The payload does not authenticate under the capsule key.
    #[error("payload does not authenticate under this capsule")]
    Decryption,
}
