//! Strict decoding of fixed-size encodings: exact length, canonical points and scalars, no
//! identity points.

use curve25519_dalek::{RistrettoPoint, Scalar, ristretto::CompressedRistretto};

use crate::Error;

/// The exact-length check every `from_bytes` starts with (trailing bytes are a wrong length).
pub(crate) fn exact<'a>(
    what: &'static str,
    bytes: &'a [u8],
    expected: usize,
) -> Result<Reader<'a>, Error> {
    if bytes.len() != expected {
        return Err(Error::Length {
            what,
            expected,
            got: bytes.len(),
        });
    }
    Ok(Reader { rest: bytes })
}

/// Takes fields off an encoding whose total length was already checked.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn array<const N: usize>(&mut self) -> [u8; N] {
        let (head, tail) = self.rest.split_at(N);
        self.rest = tail;
        head.try_into().expect("split_at gives N bytes")
    }

    pub(crate) fn point(&mut self, what: &'static str) -> Result<RistrettoPoint, Error> {
        decode_point(what, self.array())
    }

    pub(crate) fn scalar(&mut self, what: &'static str) -> Result<Scalar, Error> {
        decode_scalar(what, self.array())
    }
}

/// A non-identity point from its canonical compressed encoding.
pub(crate) fn decode_point(what: &'static str, bytes: [u8; 32]) -> Result<RistrettoPoint, Error> {
    // `decompress` accepts only the canonical encoding of each point.
    let point = CompressedRistretto(bytes)
        .decompress()
        .ok_or(Error::NonCanonicalPoint { what })?;
    if point == RistrettoPoint::default() {
        return Err(Error::IdentityPoint { what });
    }
    Ok(point)
}

/// A scalar from its canonical (fully reduced) encoding.
pub(crate) fn decode_scalar(what: &'static str, bytes: [u8; 32]) -> Result<Scalar, Error> {
    Option::from(Scalar::from_canonical_bytes(bytes)).ok_or(Error::NonCanonicalScalar { what })
}
