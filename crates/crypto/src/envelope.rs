//! HPKE envelopes (RFC 9180): sealing a payload to somebody's public key.
//!
//! One suite for everything: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305, base
//! mode. It carries the paper's secure transmission `st(...)` of an authorization (seed 000 §IV
//! operation 3: the envelope holds σ', α, pk_A, the data key and the manifest), and the shards a
//! storage peer releases to the ephemeral key `epk` of a final extraction (operation 4). Large
//! payloads do not go through [`seal`]: the sender exports a [`StreamKey`] from the HPKE context
//! ([`stream_key_to`]) and uses [`crate::stream`].
//!
//! Every call names a `context` (HPKE `info`): a short label saying what the payload is for, so
//! an envelope made for one purpose never opens as another.

use std::fmt;
use std::str::FromStr;

use bech32::primitives::decode::CheckedHrpstring;
use bech32::{Bech32m, Hrp};
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, OpModeR, OpModeS, Serializable};
use zeroize::Zeroizing;

use crate::stream::StreamKey;

type Suite = X25519HkdfSha256;
type HpkePublicKey = <Suite as Kem>::PublicKey;
type HpkeSecretKey = <Suite as Kem>::PrivateKey;

/// Bytes of an encapsulated key, which leads every sealed envelope.
pub const ENCAPSULATION_SIZE: usize = 32;
/// Longest accepted `context` (HPKE limits `info` to under 64 KiB; ours are short labels).
pub const MAX_CONTEXT_SIZE: usize = 1024;

/// Human-readable part of a public key's text form: `mspk1…`.
const PUBLIC_HRP: Hrp = Hrp::parse_unchecked("mspk");
/// Human-readable part of a secret key's text form: `mssk1…`.
const SECRET_HRP: Hrp = Hrp::parse_unchecked("mssk");
/// HPKE exporter context of a stream key.
const STREAM_KEY_EXPORT: &[u8] = b"medshare stream key";

/// Why sealing, opening or decoding a key failed. Never carries secret material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    /// The envelope is shorter than an encapsulated key and a tag.
    #[error("sealed envelope too short ({0} bytes)")]
    TooShort(usize),
    /// Wrong recipient key, wrong context or AAD, or an altered envelope.
    #[error("envelope does not open (wrong key, wrong context, or altered)")]
    Open,
    /// The recipient public key is a low-order point, or the encapsulation is invalid.
    #[error("invalid key encapsulation")]
    Encapsulation,
    /// The context label is longer than [`MAX_CONTEXT_SIZE`].
    #[error("context label too long ({0} bytes)")]
    ContextTooLong(usize),
    /// A key's text form is malformed, has a bad checksum or the wrong prefix.
    #[error("invalid {kind} key text: {reason}")]
    KeyText { kind: &'static str, reason: String },
}

/// An X25519 public key for receiving envelopes and shards.
///
/// Text form: bech32m with prefix `mspk` (e.g. `mspk1…`, 63 characters), so that a key pasted
/// with a typo is rejected by its checksum instead of silently sealing data to nobody.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    /// The raw 32 bytes, as carried in transactions.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// A public key from its 32 raw bytes. Every 32-byte string is an X25519 public key; a
    /// low-order point is refused when something is sealed to it.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    fn to_hpke(self) -> Result<HpkePublicKey, EnvelopeError> {
        HpkePublicKey::from_bytes(&self.0).map_err(|_| EnvelopeError::Encapsulation)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        bech32::encode_lower_to_fmt::<Bech32m, _>(f, PUBLIC_HRP, &self.0).map_err(|_| fmt::Error)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl FromStr for PublicKey {
    type Err = EnvelopeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        decode_key_text(text, PUBLIC_HRP, "public").map(|bytes| Self(*bytes))
    }
}

impl serde::Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for PublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The X25519 secret key matching a [`PublicKey`]. Zeroized on drop; `Debug` never shows it.
#[derive(Clone)]
pub struct SecretKey(HpkeSecretKey);

impl SecretKey {
    /// A fresh key pair from the operating system's random number generator.
    pub fn generate() -> Self {
        Self(Suite::gen_keypair().0)
    }

    /// The public key to hand out.
    pub fn public_key(&self) -> PublicKey {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&Suite::sk_to_pk(&self.0).to_bytes());
        PublicKey(bytes)
    }

    /// The raw secret bytes, for storing the key.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        let mut encoded = self.0.to_bytes();
        bytes.copy_from_slice(&encoded);
        zeroize::Zeroize::zeroize(encoded.as_mut_slice());
        bytes
    }

    /// A secret key from its raw bytes (any 32 bytes are a valid X25519 secret key).
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        // X25519 secret keys are clamped when used, so no 32-byte string is refused.
        match HpkeSecretKey::from_bytes(bytes) {
            Ok(key) => Self(key),
            Err(_) => unreachable!("hpke accepts every 32-byte X25519 secret key"),
        }
    }

    /// Text form for key files: bech32m with prefix `mssk`.
    pub fn to_text(&self) -> Zeroizing<String> {
        let bytes = self.to_bytes();
        let mut text = Zeroizing::new(String::with_capacity(64));
        // Writing to a String cannot fail, and 32 bytes are far below bech32m's length limit.
        let _ = bech32::encode_lower_to_fmt::<Bech32m, _>(&mut *text, SECRET_HRP, &bytes[..]);
        text
    }

    /// Reads the text form written by [`SecretKey::to_text`].
    pub fn from_text(text: &str) -> Result<Self, EnvelopeError> {
        decode_key_text(text.trim(), SECRET_HRP, "secret").map(|bytes| Self::from_bytes(&bytes))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(<redacted>, public {})", self.public_key())
    }
}

fn decode_key_text(
    text: &str,
    hrp: Hrp,
    kind: &'static str,
) -> Result<Zeroizing<[u8; 32]>, EnvelopeError> {
    let error = |reason: String| EnvelopeError::KeyText { kind, reason };
    let checked = CheckedHrpstring::new::<Bech32m>(text).map_err(|e| error(e.to_string()))?;
    if checked.hrp() != hrp {
        return Err(error(format!(
            "prefix is {:?}, expected {:?}",
            checked.hrp().as_str(),
            hrp.as_str()
        )));
    }
    let mut bytes = Zeroizing::new([0u8; 32]);
    let mut len = 0;
    for byte in checked.byte_iter() {
        if len == 32 {
            return Err(error("longer than 32 bytes".into()));
        }
        bytes[len] = byte;
        len += 1;
    }
    if len != 32 {
        return Err(error(format!("{len} bytes, expected 32")));
    }
    Ok(bytes)
}

fn check_context(context: &[u8]) -> Result<(), EnvelopeError> {
    if context.len() > MAX_CONTEXT_SIZE {
        return Err(EnvelopeError::ContextTooLong(context.len()));
    }
    Ok(())
}

/// Seals `plaintext` to `recipient`. The result is the encapsulated key followed by the
/// ciphertext; `aad` is authenticated but not included.
pub fn seal(
    recipient: &PublicKey,
    context: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
    check_context(context)?;
    let (encapsulation, ciphertext) =
        hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Suite>(
            &OpModeS::Base,
            &recipient.to_hpke()?,
            context,
            plaintext,
            aad,
        )
        .map_err(|_| EnvelopeError::Encapsulation)?;
    let mut sealed = Vec::with_capacity(ENCAPSULATION_SIZE + ciphertext.len());
    sealed.extend_from_slice(&encapsulation.to_bytes());
    sealed.extend_from_slice(&ciphertext);
    Ok(sealed)
}

/// Opens an envelope made by [`seal`] with the same `context` and `aad`.
pub fn open(
    recipient: &SecretKey,
    context: &[u8],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
    check_context(context)?;
    // 16 bytes: the ChaCha20-Poly1305 tag.
    if sealed.len() < ENCAPSULATION_SIZE + 16 {
        return Err(EnvelopeError::TooShort(sealed.len()));
    }
    let (encapsulation, ciphertext) = sealed.split_at(ENCAPSULATION_SIZE);
    let encapsulation = <Suite as Kem>::EncappedKey::from_bytes(encapsulation)
        .map_err(|_| EnvelopeError::Encapsulation)?;
    hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Suite>(
        &OpModeR::Base,
        &recipient.0,
        &encapsulation,
        context,
        ciphertext,
        aad,
    )
    .map_err(|_| EnvelopeError::Open)
}

/// The encapsulated key that lets the recipient derive the same [`StreamKey`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encapsulation(pub [u8; ENCAPSULATION_SIZE]);

/// A fresh [`StreamKey`] that only `recipient` can derive, from the HPKE exporter (RFC 9180
/// §5.3), for payloads too large for one [`seal`].
pub fn stream_key_to(
    recipient: &PublicKey,
    context: &[u8],
) -> Result<(Encapsulation, StreamKey), EnvelopeError> {
    check_context(context)?;
    let (encapsulation, sender) = hpke::setup_sender::<ChaCha20Poly1305, HkdfSha256, Suite>(
        &OpModeS::Base,
        &recipient.to_hpke()?,
        context,
    )
    .map_err(|_| EnvelopeError::Encapsulation)?;
    let mut key = Zeroizing::new([0u8; 32]);
    sender
        .export(STREAM_KEY_EXPORT, &mut key[..])
        .map_err(|_| EnvelopeError::Encapsulation)?;
    let mut encoded = [0u8; ENCAPSULATION_SIZE];
    encoded.copy_from_slice(&encapsulation.to_bytes());
    Ok((Encapsulation(encoded), StreamKey::from_bytes(*key)))
}

/// The recipient's side of [`stream_key_to`].
pub fn stream_key_from(
    recipient: &SecretKey,
    encapsulation: &Encapsulation,
    context: &[u8],
) -> Result<StreamKey, EnvelopeError> {
    check_context(context)?;
    let encapsulation = <Suite as Kem>::EncappedKey::from_bytes(&encapsulation.0)
        .map_err(|_| EnvelopeError::Encapsulation)?;
    let receiver = hpke::setup_receiver::<ChaCha20Poly1305, HkdfSha256, Suite>(
        &OpModeR::Base,
        &recipient.0,
        &encapsulation,
        context,
    )
    .map_err(|_| EnvelopeError::Encapsulation)?;
    let mut key = Zeroizing::new([0u8; 32]);
    receiver
        .export(STREAM_KEY_EXPORT, &mut key[..])
        .map_err(|_| EnvelopeError::Encapsulation)?;
    Ok(StreamKey::from_bytes(*key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip() {
        let bob = SecretKey::generate();
        let sealed = seal(&bob.public_key(), b"test", b"aad", b"hello").unwrap();
        assert_eq!(sealed.len(), ENCAPSULATION_SIZE + 5 + 16);
        assert_eq!(open(&bob, b"test", b"aad", &sealed).unwrap(), b"hello");
        let empty = seal(&bob.public_key(), b"test", b"", b"").unwrap();
        assert_eq!(open(&bob, b"test", b"", &empty).unwrap(), b"");
    }

    #[test]
    fn wrong_key_context_aad_or_altered_envelope_fails() {
        let bob = SecretKey::generate();
        let sealed = seal(&bob.public_key(), b"test", b"aad", b"hello").unwrap();
        let eve = SecretKey::generate();
        assert_eq!(
            open(&eve, b"test", b"aad", &sealed),
            Err(EnvelopeError::Open)
        );
        assert_eq!(
            open(&bob, b"other", b"aad", &sealed),
            Err(EnvelopeError::Open)
        );
        assert_eq!(
            open(&bob, b"test", b"bad", &sealed),
            Err(EnvelopeError::Open)
        );
        for i in [0, ENCAPSULATION_SIZE, sealed.len() - 1] {
            let mut altered = sealed.clone();
            altered[i] ^= 1;
            assert!(open(&bob, b"test", b"aad", &altered).is_err(), "byte {i}");
        }
        assert_eq!(
            open(&bob, b"test", b"aad", &sealed[..40]),
            Err(EnvelopeError::TooShort(40))
        );
    }

    #[test]
    fn low_order_public_key_is_refused() {
        let zero = PublicKey::from_bytes([0; 32]);
        assert_eq!(
            seal(&zero, b"test", b"", b"x"),
            Err(EnvelopeError::Encapsulation)
        );
        assert!(stream_key_to(&zero, b"test").is_err());
    }

    #[test]
    fn exported_stream_keys_agree_only_for_the_recipient_and_context() {
        let bob = SecretKey::generate();
        let (encapsulation, key) = stream_key_to(&bob.public_key(), b"shard").unwrap();
        assert_eq!(
            stream_key_from(&bob, &encapsulation, b"shard").unwrap(),
            key
        );
        assert_ne!(
            stream_key_from(&bob, &encapsulation, b"other").unwrap(),
            key
        );
        let eve = SecretKey::generate();
        assert_ne!(
            stream_key_from(&eve, &encapsulation, b"shard").unwrap(),
            key
        );
        let (_, again) = stream_key_to(&bob.public_key(), b"shard").unwrap();
        assert_ne!(again, key, "every export is fresh");
    }

    #[test]
    fn public_key_text_round_trips_and_catches_typos() {
        let key = SecretKey::generate().public_key();
        let text = key.to_string();
        assert!(text.starts_with("mspk1"), "{text}");
        assert_eq!(text.parse::<PublicKey>().unwrap(), key);
        assert_eq!(text.to_uppercase().parse::<PublicKey>().unwrap(), key);

        let mut typo = text.clone().into_bytes();
        typo[10] = if typo[10] == b'q' { b'p' } else { b'q' };
        assert!(
            String::from_utf8(typo)
                .unwrap()
                .parse::<PublicKey>()
                .is_err()
        );

        let secret_text = SecretKey::generate().to_text();
        assert!(matches!(
            secret_text.parse::<PublicKey>(),
            Err(EnvelopeError::KeyText { .. })
        ));
        assert!("mspk1qqqq".parse::<PublicKey>().is_err());
        assert!("".parse::<PublicKey>().is_err());
    }

    #[test]
    fn public_key_serde_is_its_text() {
        let key = SecretKey::generate().public_key();
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(json, format!("\"{key}\""));
        assert_eq!(serde_json::from_str::<PublicKey>(&json).unwrap(), key);
    }

    #[test]
    fn secret_key_text_round_trips_and_debug_redacts() {
        let secret = SecretKey::generate();
        let text = secret.to_text();
        assert!(text.starts_with("mssk1"));
        let back = SecretKey::from_text(&text).unwrap();
        assert_eq!(back.public_key(), secret.public_key());
        assert_eq!(*back.to_bytes(), *secret.to_bytes());

        let debug = format!("{secret:?}");
        assert!(debug.contains("<redacted>"));
        assert!(!debug.contains(&text[5..20]));
        assert!(!debug.contains(&hex::encode(*secret.to_bytes())));
    }
}
