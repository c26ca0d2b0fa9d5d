//! The manifest of an MDA: how its sealed stream was cut into shards, and their CIDs.
//!
//! Its CID goes into the registration (docs/design.md "The sharing mechanism" step 2) and the manifest
//! itself into the authorization envelope (step 3); storage peers keep a copy to know which shards
//! belong to which MDA when they release them (step 4). It holds nothing secret: the data key
//! travels only in envelopes.
//!
//! Canonical encoding (big endian, fixed layout, so one manifest has exactly one encoding and one
//! CID):
//!
//! ```text
//! "MSM1" | k: u8 | m: u8 | segment size: u32 | plaintext length: u64 | shard length: u64
//!        | α: 32 bytes | nonce prefix: 19 bytes | (k + m) binary shard CIDs, 36 bytes each
//! ```

use medshare_crypto::stream::{NONCE_PREFIX_SIZE, NoncePrefix, SEGMENT_SIZE};

use crate::alpha::Alpha;
use crate::content_id::{CID_BYTES, ContentId};
use crate::erasure::{Erasure, ErasureError, Layout};

const MAGIC: &[u8; 4] = b"MSM1";
const HEADER_BYTES: usize = 4 + 1 + 1 + 4 + 8 + 8 + 32 + NONCE_PREFIX_SIZE;
/// Longest possible encoded manifest.
pub const MAX_MANIFEST_BYTES: usize = HEADER_BYTES + crate::erasure::MAX_SHARDS * CID_BYTES;
/// Longest MDA: the segment counter of the stream is 32 bits.
const MAX_PLAINTEXT_LEN: u64 = (u32::MAX as u64) * SEGMENT_SIZE as u64;

/// Why a manifest was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ManifestError {
    #[error("invalid manifest: {0}")]
    Invalid(String),
    #[error("invalid manifest: {0}")]
    Erasure(#[from] ErasureError),
}

fn invalid(reason: impl Into<String>) -> ManifestError {
    ManifestError::Invalid(reason.into())
}

/// Describes one stored MDA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    erasure: Erasure,
    plaintext_len: u64,
    alpha: Alpha,
    nonce_prefix: NoncePrefix,
    shards: Vec<ContentId>,
}

impl Manifest {
    /// A manifest for `shards` (data shards first, then parity, in codec order).
    pub fn new(
        erasure: Erasure,
        plaintext_len: u64,
        alpha: Alpha,
        nonce_prefix: NoncePrefix,
        shards: Vec<ContentId>,
    ) -> Result<Self, ManifestError> {
        if plaintext_len > MAX_PLAINTEXT_LEN {
            return Err(invalid(format!(
                "plaintext length {plaintext_len} exceeds {MAX_PLAINTEXT_LEN}"
            )));
        }
        if shards.len() != erasure.total() {
            return Err(invalid(format!(
                "{} shard CIDs for k + m = {}",
                shards.len(),
                erasure.total()
            )));
        }
        let mut sorted = shards.clone();
        sorted.sort_unstable();
        if sorted.windows(2).any(|pair| pair[0] == pair[1]) {
            return Err(invalid("two shards have the same CID"));
        }
        Ok(Self {
            erasure,
            plaintext_len,
            alpha,
            nonce_prefix,
            shards,
        })
    }

    /// Erasure-coding parameters.
    pub fn erasure(&self) -> Erasure {
        self.erasure
    }

    /// Length of the MDA's source data.
    pub fn plaintext_len(&self) -> u64 {
        self.plaintext_len
    }

    /// α = SHA-256 of the source data.
    pub fn alpha(&self) -> &Alpha {
        &self.alpha
    }

    /// Public nonce prefix of the sealed stream.
    pub fn nonce_prefix(&self) -> &NoncePrefix {
        &self.nonce_prefix
    }

    /// Shard CIDs by shard index.
    pub fn shards(&self) -> &[ContentId] {
        &self.shards
    }

    /// Index of the shard named `cid`, if it belongs to this MDA.
    pub fn shard_index(&self, cid: &ContentId) -> Option<usize> {
        self.shards.iter().position(|shard| shard == cid)
    }

    /// Stripe geometry.
    pub fn layout(&self) -> Layout {
        Layout::new(self.erasure, self.plaintext_len)
    }

    /// Length of every shard.
    pub fn shard_len(&self) -> u64 {
        self.layout().shard_len()
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_BYTES + self.shards.len() * CID_BYTES);
        out.extend_from_slice(MAGIC);
        out.push(self.erasure.k() as u8);
        out.push(self.erasure.m() as u8);
        out.extend_from_slice(&(SEGMENT_SIZE as u32).to_be_bytes());
        out.extend_from_slice(&self.plaintext_len.to_be_bytes());
        out.extend_from_slice(&self.shard_len().to_be_bytes());
        out.extend_from_slice(&self.alpha.0);
        out.extend_from_slice(&self.nonce_prefix);
        for shard in &self.shards {
            out.extend_from_slice(&shard.to_bytes());
        }
        out
    }

    /// Reads a canonical encoding; anything else is refused.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ManifestError> {
        let mut reader = Reader(bytes);
        if reader.take(4)? != MAGIC {
            return Err(invalid("not a medshare manifest (bad magic or version)"));
        }
        let k = reader.take(1)?[0];
        let m = reader.take(1)?[0];
        let erasure = Erasure::new(k.into(), m.into())?;
        let segment_size = u32::from_be_bytes(reader.array()?);
        if segment_size as usize != SEGMENT_SIZE {
            return Err(invalid(format!(
                "segment size {segment_size}, only {SEGMENT_SIZE} is supported"
            )));
        }
        let plaintext_len = u64::from_be_bytes(reader.array()?);
        let shard_len = u64::from_be_bytes(reader.array()?);
        let alpha = Alpha(reader.array()?);
        let nonce_prefix = reader.array()?;
        let expected = HEADER_BYTES + erasure.total() * CID_BYTES;
        if bytes.len() != expected {
            return Err(invalid(format!(
                "{} bytes, expected {expected} for k + m = {}",
                bytes.len(),
                erasure.total()
            )));
        }
        let shards = (0..erasure.total())
            .map(|_| {
                ContentId::from_bytes(reader.take(CID_BYTES)?).map_err(|e| invalid(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let manifest = Self::new(erasure, plaintext_len, alpha, nonce_prefix, shards)?;
        if manifest.shard_len() != shard_len {
            return Err(invalid(format!(
                "shard length {shard_len} does not match the layout ({})",
                manifest.shard_len()
            )));
        }
        Ok(manifest)
    }

    /// The manifest's own CID.
    pub fn cid(&self) -> ContentId {
        ContentId::of(&self.to_bytes())
    }
}

/// A cursor over the encoding that fails cleanly at its end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ManifestError> {
        if self.0.len() < n {
            return Err(invalid("truncated"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ManifestError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        let shards = (0..6u8).map(|i| ContentId::of(&[i])).collect();
        Manifest::new(
            Erasure::default(),
            3_000_000,
            Alpha([9; 32]),
            [7; 19],
            shards,
        )
        .unwrap()
    }

    #[test]
    fn canonical_round_trip() {
        let manifest = sample();
        let bytes = manifest.to_bytes();
        assert_eq!(bytes.len(), HEADER_BYTES + 6 * CID_BYTES);
        assert_eq!(Manifest::from_bytes(&bytes).unwrap(), manifest);
        assert_eq!(manifest.cid(), ContentId::of(&bytes));
        assert_eq!(manifest.shard_index(&ContentId::of(&[3])), Some(3));
        assert_eq!(manifest.shard_index(&ContentId::of(&[9])), None);
    }

    #[test]
    fn malformed_encodings_are_refused() {
        let bytes = sample().to_bytes();
        let refuse = |bytes: &[u8]| Manifest::from_bytes(bytes).unwrap_err();

        for len in [0, 3, 10, HEADER_BYTES, bytes.len() - 1] {
            refuse(&bytes[..len]);
        }
        let mut longer = bytes.clone();
        longer.push(0);
        refuse(&longer);

        let mut magic = bytes.clone();
        magic[3] = b'2';
        refuse(&magic);

        let mut k_one = bytes.clone();
        k_one[4] = 1;
        assert!(matches!(refuse(&k_one), ManifestError::Erasure(_)));

        let mut segment = bytes.clone();
        segment[9] ^= 1;
        refuse(&segment);

        // Shard length that does not follow from the plaintext length.
        let mut shard_len = bytes.clone();
        shard_len[25] ^= 1;
        refuse(&shard_len);

        // A shard CID of another shape (dag-cbor codec byte).
        let mut codec = bytes.clone();
        codec[HEADER_BYTES + 1] = 0x71;
        refuse(&codec);

        // Two shards with one CID.
        let mut duplicate = bytes.clone();
        let (first, second) = (HEADER_BYTES, HEADER_BYTES + CID_BYTES);
        duplicate.copy_within(first..second, second);
        refuse(&duplicate);
    }

    #[test]
    fn constructor_checks_shard_count() {
        let shards = (0..5u8).map(|i| ContentId::of(&[i])).collect();
        assert!(Manifest::new(Erasure::default(), 0, Alpha([0; 32]), [0; 19], shards).is_err());
    }
}
