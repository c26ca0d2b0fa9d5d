//! Canonical byte encodings: compressed points (48 bytes in G1, 96 in G2, the zcash/IETF flag
//! format of ark-bls12-381), uncompressed G1 points (96 bytes) for signatures, little-endian
//! 32-byte scalars, little-endian u64 counters.
//!
//! Decoding validates everything: flags, coordinate range, curve equation, prime-order
//! subgroup, non-identity, scalar below the group order, exact length. The one exception is
//! the points of a signature, which are checked to be on the curve but not to be in the
//! subgroup (see [`super::torsion`] for why that is safe and what it saves). Each accepted value
//! has exactly one encoding, so equal values always hash equally on every validator.

use ark_bls12_381::{Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::Zero;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use super::{GroupSigError, Result};

pub(crate) const G1_BYTES: usize = 48;
pub(crate) const G1_UNCOMPRESSED_BYTES: usize = 96;
pub(crate) const G2_BYTES: usize = 96;
pub(crate) const SCALAR_BYTES: usize = 32;
pub(crate) const U64_BYTES: usize = 8;

/// Appends canonical encodings to a byte vector.
#[derive(Default)]
pub(crate) struct Writer(pub(crate) Vec<u8>);

impl Writer {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Self(Vec::with_capacity(n))
    }

    pub(crate) fn u8(&mut self, n: u8) -> &mut Self {
        self.0.push(n);
        self
    }

    pub(crate) fn u64(&mut self, n: u64) -> &mut Self {
        self.0.extend_from_slice(&n.to_le_bytes());
        self
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.0.extend_from_slice(b);
        self
    }

    pub(crate) fn g1(&mut self, p: &G1Affine) -> &mut Self {
        write_canonical(p, &mut self.0);
        self
    }

    /// A G1 point as `x ‖ y`, with the flag bits of the same format.
    pub(crate) fn g1_uncompressed(&mut self, p: &G1Affine) -> &mut Self {
        p.serialize_uncompressed(&mut self.0)
            .expect("uncompressed serialization into a Vec is infallible");
        self
    }

    pub(crate) fn g2(&mut self, p: &G2Affine) -> &mut Self {
        write_canonical(p, &mut self.0);
        self
    }

    pub(crate) fn scalar(&mut self, s: &Fr) -> &mut Self {
        write_canonical(s, &mut self.0);
        self
    }
}

fn write_canonical<T: CanonicalSerialize>(value: &T, out: &mut Vec<u8>) {
    // Serializing a valid in-memory value into a Vec has no failure case.
    value
        .serialize_compressed(out)
        .expect("compressed serialization into a Vec is infallible");
}

/// Compressed encoding of one G1 point, e.g. as a lookup key.
pub(crate) fn g1_bytes(p: &G1Affine) -> [u8; G1_BYTES] {
    let mut out = [0u8; G1_BYTES];
    let mut w = Writer::with_capacity(G1_BYTES);
    w.g1(p);
    out.copy_from_slice(&w.0);
    out
}

/// Reads canonical encodings from the front of a byte slice; `what` names the value being
/// decoded in every error.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader for a fixed-size encoding: refuses any other length up front.
    pub(crate) fn exact(bytes: &'a [u8], expected: usize, what: &'static str) -> Result<Self> {
        if bytes.len() != expected {
            return Err(GroupSigError::Length {
                what,
                expected,
                found: bytes.len(),
            });
        }
        Ok(Self { rest: bytes, what })
    }

    /// A reader for a variable-size encoding.
    pub(crate) fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Self { rest: bytes, what }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.rest.len() < n {
            return Err(GroupSigError::Malformed {
                what: self.what,
                reason: "truncated",
            });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u64(&mut self) -> Result<u64> {
        let mut b = [0u8; U64_BYTES];
        b.copy_from_slice(self.take(U64_BYTES)?);
        Ok(u64::from_le_bytes(b))
    }

    /// A point of G1's prime-order subgroup other than the identity.
    pub(crate) fn g1(&mut self, what: &'static str) -> Result<G1Affine> {
        let p = G1Affine::deserialize_compressed(self.take(G1_BYTES)?)
            .map_err(|_| GroupSigError::InvalidPoint { what })?;
        non_identity(p, what)
    }

    /// An uncompressed point on the curve other than the identity, *not* checked to be in the
    /// prime-order subgroup: only for signature points, see [`super::torsion`].
    pub(crate) fn g1_on_curve(&mut self, what: &'static str) -> Result<G1Affine> {
        let p = G1Affine::deserialize_uncompressed_unchecked(self.take(G1_UNCOMPRESSED_BYTES)?)
            .map_err(|_| GroupSigError::InvalidPoint { what })?;
        let p = non_identity(p, what)?;
        if !p.is_on_curve() {
            return Err(GroupSigError::InvalidPoint { what });
        }
        Ok(p)
    }

    /// A point of G2's prime-order subgroup other than the identity.
    pub(crate) fn g2(&mut self, what: &'static str) -> Result<G2Affine> {
        let p = G2Affine::deserialize_compressed(self.take(G2_BYTES)?)
            .map_err(|_| GroupSigError::InvalidPoint { what })?;
        non_identity(p, what)
    }

    /// A scalar below the group order (zero allowed).
    pub(crate) fn scalar(&mut self, what: &'static str) -> Result<Fr> {
        Fr::deserialize_compressed(self.take(SCALAR_BYTES)?)
            .map_err(|_| GroupSigError::NonCanonicalScalar { what })
    }

    /// A non-zero scalar below the group order.
    pub(crate) fn nonzero_scalar(&mut self, what: &'static str) -> Result<Fr> {
        let s = self.scalar(what)?;
        if s.is_zero() {
            return Err(GroupSigError::ZeroScalar { what });
        }
        Ok(s)
    }

    /// Everything must have been read.
    pub(crate) fn finish(self) -> Result<()> {
        if !self.rest.is_empty() {
            return Err(GroupSigError::Malformed {
                what: self.what,
                reason: "trailing bytes",
            });
        }
        Ok(())
    }
}

fn non_identity<P: AffineRepr>(p: P, what: &'static str) -> Result<P> {
    if p.is_zero() {
        return Err(GroupSigError::IdentityPoint { what });
    }
    Ok(p)
}
