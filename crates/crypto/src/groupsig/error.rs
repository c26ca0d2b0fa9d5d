//! The one error type of the group-signature module. Messages name what failed, never a secret.

use std::{io, path::PathBuf};

use super::{Epoch, MemberIndex};

/// Why a group-signature operation or decoding was refused.
#[derive(Debug, thiserror::Error)]
pub enum GroupSigError {
    /// An encoding of the wrong size.
    #[error("{what}: expected {expected} bytes, found {found}")]
    Length {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    /// Bytes that are not a point of the prime-order subgroup: bad flags, a coordinate out of
    /// range, off the curve or outside the subgroup.
    #[error("{what}: not a valid compressed point of the prime-order subgroup")]
    InvalidPoint { what: &'static str },
    /// The identity point where a generator or a commitment is required.
    #[error("{what}: the identity point is not allowed here")]
    IdentityPoint { what: &'static str },
    /// A scalar encoding at or above the group order.
    #[error("{what}: scalar is not canonical (not below the group order)")]
    NonCanonicalScalar { what: &'static str },
    /// A zero scalar where the scheme needs an invertible one.
    #[error("{what}: scalar must be non-zero")]
    ZeroScalar { what: &'static str },
    /// A structurally inconsistent encoding (the registry file, a length prefix, text).
    #[error("{what}: {reason}")]
    Malformed {
        what: &'static str,
        reason: &'static str,
    },
    /// A key, signature or revocation of another epoch than the one required.
    #[error("epoch mismatch: expected epoch {expected}, found epoch {found}")]
    EpochMismatch { expected: Epoch, found: Epoch },
    /// The signature of knowledge does not verify under this group public key and message.
    #[error("group signature does not verify")]
    InvalidSignature,
    /// A member key that does not satisfy `e(A, w·g2^x) = e(g1, g2)` for this group key.
    #[error("member key does not belong to this group public key")]
    KeyMismatch,
    /// Revocation data that fails the pairing checks against the previous group public key.
    #[error("revocation does not verify against the group public key of its epoch")]
    InvalidRevocation,
    /// The member key is the one this revocation removes.
    #[error("this member key is revoked")]
    Revoked,
    /// A valid signature whose opened key is in no registry entry for its epoch.
    #[error("opened a valid signature but its member is not in the registry")]
    UnknownMember,
    /// No registry entry with this index.
    #[error("no member with index {0}")]
    UnknownIndex(MemberIndex),
    /// The member was revoked in an earlier epoch.
    #[error("member {0} is already revoked")]
    AlreadyRevoked(MemberIndex),
    /// The epoch or member counter cannot advance any further.
    #[error("{0} counter exhausted")]
    Overflow(&'static str),
    /// Reading or writing the registry file failed.
    #[error("registry file {path}: {source}")]
    RegistryIo {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}
