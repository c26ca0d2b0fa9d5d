//! α, the identifier of a medical data asset: SHA-256 of its source data S (seed 000 §IV,
//! "α = h(S_α)").
//!
//! The chain uses α as a field element (its first 248 bits, docs/design.md "The sharing mechanism");
//! storage keeps the whole digest, so a data user can check `SHA-256(S) = α` on every byte.

use std::fmt;
use std::str::FromStr;

/// SHA-256 of an MDA's source data.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Alpha(pub [u8; 32]);

/// An α that is not 64 hexadecimal digits.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid α: expected 64 hexadecimal digits")]
pub struct AlphaError;

impl fmt::Display for Alpha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Alpha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Alpha({self})")
    }
}

impl FromStr for Alpha {
    type Err = AlphaError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| AlphaError)?;
        Ok(Self(bytes))
    }
}

impl serde::Serialize for Alpha {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Alpha {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_refusals() {
        let alpha = Alpha([0xab; 32]);
        assert_eq!(alpha.to_string().parse::<Alpha>().unwrap(), alpha);
        assert_eq!("ab".parse::<Alpha>(), Err(AlphaError));
        assert_eq!("zz".repeat(32).parse::<Alpha>(), Err(AlphaError));
    }
}
