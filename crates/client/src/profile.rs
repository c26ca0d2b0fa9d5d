//! The public profile a data owner needs to authorize someone: the pseudonym `pk_H` the
//! authorization names and the HPKE key its envelope is sealed to (docs/design.md "Keys and
//! identities"). Shared as one short string, bech32m with prefix `msprofile`, so a typo is caught
//! by the checksum instead of authorizing nobody (or somebody else).

use crate::{Error, Result};
use bech32::{Bech32m, Hrp, primitives::decode::CheckedHrpstring};
use medshare_crypto::envelope::PublicKey;
use medshare_ledger::Field;
use std::{fmt, str::FromStr};

const HRP: Hrp = Hrp::parse_unchecked("msprofile");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    /// The ZK pseudonym `pk = H_pk(sk)`.
    pub pseudonym: Field,
    /// The X25519 key envelopes and member keys are sealed to.
    pub encryption: PublicKey,
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = [0u8; 64];
        bytes[..32].copy_from_slice(&self.pseudonym.to_bytes());
        bytes[32..].copy_from_slice(&self.encryption.to_bytes());
        bech32::encode_lower_to_fmt::<Bech32m, _>(f, HRP, &bytes).map_err(|_| fmt::Error)
    }
}

impl FromStr for Profile {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let parsed = CheckedHrpstring::new::<Bech32m>(text.trim())
            .map_err(|e| Error::BadProfile(e.to_string()))?;
        if parsed.hrp() != HRP {
            return Err(Error::BadProfile(format!(
                "it starts with {}1, a profile starts with msprofile1",
                parsed.hrp()
            )));
        }
        let bytes: Vec<u8> = parsed.byte_iter().collect();
        let bytes: [u8; 64] = bytes
            .try_into()
            .map_err(|_| Error::BadProfile("wrong length".into()))?;
        let pseudonym = Field::from_bytes(bytes[..32].try_into().expect("32 bytes"))
            .ok_or_else(|| Error::BadProfile("the pseudonym is not a field element".into()))?;
        let encryption = PublicKey::from_bytes(bytes[32..].try_into().expect("32 bytes"));
        Ok(Self {
            pseudonym,
            encryption,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use medshare_crypto::{envelope::SecretKey, poseidon};

    #[test]
    fn round_trips_and_catches_typos() {
        let sk = poseidon::SecretKey::random(&mut rand::thread_rng());
        let profile = Profile {
            pseudonym: Field(sk.public_key()),
            encryption: SecretKey::generate().public_key(),
        };
        let text = profile.to_string();
        assert!(text.starts_with("msprofile1"));
        assert_eq!(text.parse::<Profile>().unwrap(), profile);
        let mut typo = text.clone().into_bytes();
        let last = typo.len() - 3;
        typo[last] = if typo[last] == b'q' { b'p' } else { b'q' };
        assert!(String::from_utf8(typo).unwrap().parse::<Profile>().is_err());
        let key = SecretKey::generate().public_key().to_string();
        assert!(
            key.parse::<Profile>().is_err(),
            "an encryption key alone is not a profile"
        );
    }
}
