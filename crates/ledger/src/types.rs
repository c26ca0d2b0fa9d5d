//! Small value types shared by transactions, blocks and state records, with canonical encodings.

use ark_ff::{BigInteger, PrimeField};
use bytes::{Buf, BufMut};
use commonware_codec::{
    EncodeSize, Error as CodecError, FixedSize, RangeCfg, Read, ReadExt, Write,
};
use medshare_crypto::poseidon::Fr;
use std::fmt;

/// A BLS12-381 scalar: the pseudonyms, commitments, roots and α of the sharing mechanism.
///
/// Encoded as 32 little-endian bytes; decoding refuses values at or above the modulus, so every
/// field element has exactly one encoding.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Field(pub Fr);

impl Field {
    pub fn to_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(&self.0.into_bigint().to_bytes_le());
        out
    }

    pub fn from_bytes(bytes: &[u8; 32]) -> Option<Self> {
        let candidate = Fr::from_le_bytes_mod_order(bytes);
        (candidate.into_bigint().to_bytes_le() == bytes.as_slice()).then_some(Self(candidate))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.to_bytes())
    }

    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes: [u8; 32] = hex::decode(text.trim()).ok()?.try_into().ok()?;
        Self::from_bytes(&bytes)
    }
}

impl From<Fr> for Field {
    fn from(value: Fr) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_hex())
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_hex())
    }
}

impl Write for Field {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.to_bytes());
    }
}

impl FixedSize for Field {
    const SIZE: usize = 32;
}

impl Read for Field {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        let bytes = <[u8; 32]>::read(buf)?;
        Self::from_bytes(&bytes).ok_or(CodecError::Invalid("Field", "not a canonical scalar"))
    }
}

/// Hex in human-readable formats (JSON), 32 raw bytes in binary ones (state records).
impl serde::Serialize for Field {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.to_hex())
        } else {
            serde::Serialize::serialize(&self.to_bytes(), s)
        }
    }
}

impl<'de> serde::Deserialize<'de> for Field {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        if d.is_human_readable() {
            let text = <String as serde::Deserialize>::deserialize(d)?;
            Self::from_hex(&text)
                .ok_or_else(|| D::Error::custom("expected 64 hex digits of a canonical scalar"))
        } else {
            let bytes = <[u8; 32] as serde::Deserialize>::deserialize(d)?;
            Self::from_bytes(&bytes).ok_or_else(|| D::Error::custom("not a canonical scalar"))
        }
    }
}

/// The name of a group (a hospital, clinic or institution acting as group authority T).
///
/// Lowercase letters, digits and `-`, 1 to 32 characters: short enough to type, safe in keys and
/// URLs.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GroupId(String);

impl GroupId {
    pub const MAX_LEN: usize = 32;

    pub fn new(name: &str) -> Result<Self, String> {
        let valid = !name.is_empty()
            && name.len() <= Self::MAX_LEN
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Self(name.to_string()))
        } else {
            Err(format!(
                "group name {name:?} must be 1 to {} characters of a-z, 0-9 and '-'",
                Self::MAX_LEN
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for GroupId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Self::new(&value)
    }
}

impl From<GroupId> for String {
    fn from(value: GroupId) -> Self {
        value.0
    }
}

impl fmt::Debug for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Write for GroupId {
    fn write(&self, buf: &mut impl BufMut) {
        self.0.as_bytes().to_vec().write(buf);
    }
}

impl EncodeSize for GroupId {
    fn encode_size(&self) -> usize {
        self.0.as_bytes().to_vec().encode_size()
    }
}

impl Read for GroupId {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        let bytes = Vec::<u8>::read_cfg(buf, &(RangeCfg::new(1..=Self::MAX_LEN), ()))?;
        let text =
            String::from_utf8(bytes).map_err(|_| CodecError::Invalid("GroupId", "not UTF-8"))?;
        Self::new(&text).map_err(|_| CodecError::Invalid("GroupId", "invalid characters"))
    }
}

/// A nonnegative rational parameter `num / den` of an incentive model, published in a transaction
/// (seed 000 Appendix A.2's τ, b, φ, ρ, a, σ). Exact, so every validator computes the same
/// payout. Decoding refuses a zero denominator.
#[derive(Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Ratio {
    pub num: u64,
    pub den: u64,
}

impl Ratio {
    pub const fn new(num: u64, den: u64) -> Self {
        Self { num, den }
    }

    pub const fn integer(value: u64) -> Self {
        Self { num: value, den: 1 }
    }

    /// The exact value, for the incentive crate.
    pub fn to_rational(self) -> medshare_incentive::Rational {
        medshare_incentive::Rational::new(self.num.into(), self.den.into())
    }
}

impl fmt::Debug for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

impl Write for Ratio {
    fn write(&self, buf: &mut impl BufMut) {
        self.num.write(buf);
        self.den.write(buf);
    }
}

impl FixedSize for Ratio {
    const SIZE: usize = 16;
}

impl Read for Ratio {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        let (num, den) = (u64::read(buf)?, u64::read(buf)?);
        if den == 0 {
            return Err(CodecError::Invalid("Ratio", "zero denominator"));
        }
        Ok(Self { num, den })
    }
}

/// A 32-byte SHA-256 digest: transaction ids, block digests, Merkle roots of transactions.
pub type Hash = [u8; 32];

/// Reads a length-prefixed byte string of at most `max` bytes.
pub fn read_bytes(buf: &mut impl Buf, max: usize) -> Result<Vec<u8>, CodecError> {
    Vec::<u8>::read_cfg(buf, &(RangeCfg::new(0..=max), ()))
}

/// Reads a vector of at most `max` fixed-configuration items.
pub fn read_vec<T: Read<Cfg = ()>>(buf: &mut impl Buf, max: usize) -> Result<Vec<T>, CodecError> {
    Vec::<T>::read_cfg(buf, &(RangeCfg::new(0..=max), ()))
}

/// Reads a count written as `u32`, refusing more than `max`.
pub fn read_count(buf: &mut impl Buf, max: usize, what: &'static str) -> Result<usize, CodecError> {
    let n = u32::read(buf)? as usize;
    if n > max {
        return Err(CodecError::Invalid(what, "too many entries"));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{DecodeExt, Encode};

    #[test]
    fn field_encoding_is_canonical() {
        let value = Field(Fr::from(123456789u64));
        let encoded = value.encode();
        assert_eq!(Field::decode(encoded).unwrap(), value);
        // The modulus itself and anything above it are refused.
        let too_big = [0xffu8; 32];
        assert!(Field::decode(too_big.as_slice()).is_err());
        let modulus = Fr::MODULUS.to_bytes_le();
        assert!(Field::decode(modulus.as_slice()).is_err());
    }

    #[test]
    fn group_names_are_checked() {
        assert!(GroupId::new("st-marys-1").is_ok());
        assert!(GroupId::new("").is_err());
        assert!(GroupId::new("St Mary's").is_err());
        assert!(GroupId::new(&"a".repeat(33)).is_err());
        let encoded = GroupId::new("h").unwrap().encode();
        assert_eq!(GroupId::decode(encoded).unwrap().as_str(), "h");
    }
}

/// Serde for byte strings in records: hex in human-readable formats (the API's JSON), raw bytes
/// in binary ones (the state). Use as `#[serde(with = "crate::types::hex_bytes")]`.
pub mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer, T: AsRef<[u8]>>(bytes: &T, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&hex::encode(bytes.as_ref()))
        } else {
            s.serialize_bytes(bytes.as_ref())
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: TryFrom<Vec<u8>>>(
        d: D,
    ) -> Result<T, D::Error> {
        let bytes = if d.is_human_readable() {
            hex::decode(String::deserialize(d)?).map_err(D::Error::custom)?
        } else {
            serde_bytes_vec(d)?
        };
        T::try_from(bytes).map_err(|_| D::Error::custom("wrong number of bytes"))
    }

    fn serde_bytes_vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
        }
        d.deserialize_bytes(Visitor)
    }
}
