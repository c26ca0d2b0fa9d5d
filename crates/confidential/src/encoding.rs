//! Strict decoding: every field has one encoding, and a message has exactly its fields.

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;

use crate::Error;

/// Reads fixed-size fields off the front of a message, naming the field that fails.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    pub(crate) fn bytes(&mut self, len: usize, field: &'static str) -> Result<&'a [u8], Error> {
        if self.rest.len() < len {
            return Err(Error::Malformed(field));
        }
        let (head, tail) = self.rest.split_at(len);
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn array32(&mut self, field: &'static str) -> Result<[u8; 32], Error> {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.bytes(32, field)?);
        Ok(out)
    }

    pub(crate) fn u64(&mut self, field: &'static str) -> Result<u64, Error> {
        let mut out = [0u8; 8];
        out.copy_from_slice(self.bytes(8, field)?);
        Ok(u64::from_le_bytes(out))
    }

    /// A point in its canonical Ristretto encoding (decompression refuses any other).
    pub(crate) fn point(&mut self, field: &'static str) -> Result<RistrettoPoint, Error> {
        decode_point(&self.array32(field)?, field)
    }

    /// A point that carries prover randomness, so the identity means a broken or hostile prover.
    pub(crate) fn non_identity_point(
        &mut self,
        field: &'static str,
    ) -> Result<RistrettoPoint, Error> {
        let point = self.point(field)?;
        if point.is_identity() {
            return Err(Error::Malformed(field));
        }
        Ok(point)
    }

    /// A scalar below the group order (no second encoding of the same value).
    pub(crate) fn scalar(&mut self, field: &'static str) -> Result<Scalar, Error> {
        decode_scalar(self.array32(field)?, field)
    }

    /// Refuses trailing bytes: they would give one message many encodings.
    pub(crate) fn finish(self) -> Result<(), Error> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Error::Malformed("trailing bytes"))
        }
    }
}

pub(crate) fn decode_point(bytes: &[u8; 32], field: &'static str) -> Result<RistrettoPoint, Error> {
    CompressedRistretto(*bytes)
        .decompress()
        .ok_or(Error::Malformed(field))
}

pub(crate) fn decode_scalar(bytes: [u8; 32], field: &'static str) -> Result<Scalar, Error> {
    Option::from(Scalar::from_canonical_bytes(bytes)).ok_or(Error::Malformed(field))
}

/// A Bulletproofs range proof of exactly `len` bytes whose points are all canonical.
///
/// The library checks scalars when parsing but points only when verifying; checking them here
/// keeps "decodes" meaning "one encoding of a well-formed proof".
pub(crate) fn decode_range_proof(
    bytes: &[u8],
    len: usize,
    field: &'static str,
) -> Result<bulletproofs::RangeProof, Error> {
    if bytes.len() != len {
        return Err(Error::Malformed(field));
    }
    let proof = bulletproofs::RangeProof::from_bytes(bytes).map_err(|_| Error::Malformed(field))?;
    // Layout: A, S, T1, T2 (points), t_x, t_x_blinding, e_blinding (scalars), then the inner
    // product proof's L, R pairs (points) and a, b (scalars).
    let chunks: Vec<&[u8]> = bytes.chunks(32).collect();
    let point_chunks = chunks[..4].iter().chain(&chunks[7..chunks.len() - 2]);
    for chunk in point_chunks {
        let mut point = [0u8; 32];
        point.copy_from_slice(chunk);
        decode_point(&point, field)?;
    }
    if proof.to_bytes() != bytes {
        return Err(Error::Malformed(field));
    }
    Ok(proof)
}

/// Serialized size of an aggregated range proof over `values` values of `bits` bits each.
pub(crate) const fn range_proof_len(bits: usize, values: usize) -> usize {
    32 * (2 * (bits * values).ilog2() as usize + 9)
}
