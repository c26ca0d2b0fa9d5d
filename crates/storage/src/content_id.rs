//! Content identifiers of shards and manifests: CIDv1, codec `raw`, multihash SHA2-256.
//!
//! Seed 000 §III keeps MDA slices in IPFS; we keep IPFS's addressing, so a shard's name is the
//! hash of its bytes and a peer can check what it is given. Only this one CID shape is accepted:
//! one hash function and one codec make every identifier comparable byte for byte.

use std::fmt;
use std::str::FromStr;

use cid::Cid;
use multihash::Multihash;
use sha2::{Digest, Sha256};

/// Multicodec of opaque bytes.
const RAW: u64 = 0x55;
/// Multihash code of SHA2-256.
const SHA2_256: u64 = 0x12;
/// Length of the binary CID: version, codec, hash code, digest length, digest.
pub const CID_BYTES: usize = 36;

/// Why a text or binary CID was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CidError {
    /// Not a CID at all.
    #[error("not a CID: {0}")]
    Malformed(String),
    /// A CID, but not CIDv1 / raw / SHA2-256.
    #[error("unsupported CID (expected CIDv1, raw codec, SHA2-256): {0}")]
    Unsupported(String),
}

/// The CID of some bytes. Holds the SHA-256 digest; the CID shape is fixed.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentId([u8; 32]);

impl ContentId {
    /// The CID of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// The CID whose SHA-256 digest is `digest` (for data hashed incrementally).
    pub fn from_digest(digest: [u8; 32]) -> Self {
        Self(digest)
    }

    /// The SHA-256 digest the CID names.
    pub fn digest(&self) -> &[u8; 32] {
        &self.0
    }

    fn to_cid(self) -> Cid {
        // A 32-byte digest always fits the 64-byte multihash.
        let hash = Multihash::<64>::wrap(SHA2_256, &self.0).unwrap_or_default();
        Cid::new_v1(RAW, hash)
    }

    /// The binary CID.
    pub fn to_bytes(&self) -> [u8; CID_BYTES] {
        let mut bytes = [0u8; CID_BYTES];
        bytes.copy_from_slice(&self.to_cid().to_bytes());
        bytes
    }

    /// Reads exactly one binary CID.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CidError> {
        let cid = Cid::try_from(bytes).map_err(|e| CidError::Malformed(e.to_string()))?;
        let id = Self::from_cid(&cid).ok_or_else(|| CidError::Unsupported(cid.to_string()))?;
        if id.to_bytes().as_slice() != bytes {
            return Err(CidError::Malformed(
                "trailing or non-canonical bytes".into(),
            ));
        }
        Ok(id)
    }

    fn from_cid(cid: &Cid) -> Option<Self> {
        let hash = cid.hash();
        if cid.version() != cid::Version::V1 || cid.codec() != RAW || hash.code() != SHA2_256 {
            return None;
        }
        hash.digest().try_into().ok().map(Self)
    }
}

impl fmt::Display for ContentId {
    /// The canonical text form: multibase base32, e.g. `bafkrei…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_cid(), f)
    }
}

impl fmt::Debug for ContentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentId({self})")
    }
}

impl FromStr for ContentId {
    type Err = CidError;

    /// Accepts any multibase; [`ContentId`]'s `Display` gives the canonical form.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let cid = Cid::try_from(text).map_err(|e| CidError::Malformed(e.to_string()))?;
        Self::from_cid(&cid).ok_or_else(|| CidError::Unsupported(text.to_string()))
    }
}

impl serde::Serialize for ContentId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ContentId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_ipfs_raw_cids() {
        // `ipfs add --raw-leaves --cid-version 1` of "hello\n".
        let id = ContentId::of(b"hello\n");
        assert_eq!(
            id.to_string(),
            "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am"
        );
        assert_eq!(id.to_string().parse::<ContentId>().unwrap(), id);
        assert_eq!(ContentId::from_bytes(&id.to_bytes()).unwrap(), id);
        assert_eq!(id.to_bytes()[..4], [0x01, 0x55, 0x12, 0x20]);
    }

    #[test]
    fn refuses_other_cid_shapes_and_garbage() {
        // CIDv0 (dag-pb) of the empty directory.
        assert!(matches!(
            "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn".parse::<ContentId>(),
            Err(CidError::Unsupported(_))
        ));
        // dag-cbor codec.
        let dag_cbor = Cid::new_v1(0x71, Multihash::<64>::wrap(SHA2_256, &[0; 32]).unwrap());
        assert!(matches!(
            dag_cbor.to_string().parse::<ContentId>(),
            Err(CidError::Unsupported(_))
        ));
        assert!(matches!(
            "../../etc/passwd".parse::<ContentId>(),
            Err(CidError::Malformed(_))
        ));
        let mut trailing = ContentId::of(b"x").to_bytes().to_vec();
        trailing.push(0);
        assert!(ContentId::from_bytes(&trailing).is_err());
        assert!(ContentId::from_bytes(&[1, 0x55]).is_err());
    }
}
