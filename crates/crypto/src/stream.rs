//! Chunked authenticated encryption of long byte streams (docs/design.md "Storage layer").
//!
//! A stream is cut into segments of [`SEGMENT_SIZE`] plaintext bytes (the last one may be shorter,
//! even empty) and each segment is sealed with XChaCha20-Poly1305 under one [`StreamKey`]. The
//! nonce of segment `i` is
//!
//! ```text
//! nonce_prefix (19 bytes, random, public) ‖ i (u32 big endian) ‖ last (1 byte: 0 or 1)
//! ```
//!
//! which is the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár ("Online
//! authenticated-encryption and its nonce-reuse misuse-resistance", CRYPTO 2015, §7): a segment
//! opens only at its own position, and only the segment sealed as the last one opens as last, so
//! segments cannot be reordered, dropped, duplicated, or the stream truncated or extended without
//! detection. The random prefix keeps nonces apart even if a key were ever reused.
//!
//! Segments are sealed one at a time so that a 1 GiB file never has to sit whole in memory.

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use rand::rngs::OsRng;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Plaintext bytes per segment: 1 MiB.
pub const SEGMENT_SIZE: usize = 1 << 20;
/// Bytes the authentication tag adds to every segment.
pub const TAG_SIZE: usize = 16;
/// Length of the public random part of the nonce.
pub const NONCE_PREFIX_SIZE: usize = 19;

/// The random, public part of every nonce of one stream.
pub type NoncePrefix = [u8; NONCE_PREFIX_SIZE];

/// A 32-byte XChaCha20-Poly1305 key for one stream: the data key of an MDA, or a transport key
/// exported from an HPKE context.
///
/// Zeroized on drop; `Debug` never shows it.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct StreamKey([u8; 32]);

impl StreamKey {
    /// A fresh key from the operating system's random number generator.
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        Self(key)
    }

    /// Wraps key bytes received from elsewhere (an envelope, an HPKE export).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key bytes, for sealing into an envelope.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for StreamKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamKey(<redacted>)")
    }
}

/// Why a segment could not be sealed or opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StreamError {
    /// Authentication failed: wrong key, altered, reordered, dropped or truncated segments.
    #[error("segment {index} does not authenticate (wrong key, or the stream was altered)")]
    Inauthentic { index: u32 },
    /// A segment other than the last has the wrong length, or the last one is too long.
    #[error("segment {index} has {len} bytes, expected {expected}")]
    BadLength {
        index: u32,
        len: usize,
        expected: &'static str,
    },
    /// Segments were offered after the last one.
    #[error("the stream is already finished")]
    Finished,
    /// More than 2^32 segments (4 PiB at 1 MiB a segment).
    #[error("the stream has more segments than its counter allows")]
    TooLong,
}

/// Number of segments of a stream of `plaintext_len` bytes; an empty stream has one empty segment.
pub fn segment_count(plaintext_len: u64) -> u64 {
    plaintext_len.div_ceil(SEGMENT_SIZE as u64).max(1)
}

/// Length of the sealed stream of `plaintext_len` bytes (the nonce prefix travels separately).
pub fn ciphertext_len(plaintext_len: u64) -> u64 {
    plaintext_len + segment_count(plaintext_len) * TAG_SIZE as u64
}

/// Position state shared by [`Encryptor`] and [`Decryptor`].
struct Cursor {
    cipher: XChaCha20Poly1305,
    prefix: NoncePrefix,
    next: u32,
    finished: bool,
}

impl Cursor {
    fn new(key: &StreamKey, prefix: NoncePrefix) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(&key.0.into()),
            prefix,
            next: 0,
            finished: false,
        }
    }

    /// The nonce of the next segment; advances the position.
    fn advance(&mut self, last: bool) -> Result<(u32, XNonce), StreamError> {
        if self.finished {
            return Err(StreamError::Finished);
        }
        let index = self.next;
        self.next = index.checked_add(1).ok_or(StreamError::TooLong)?;
        self.finished = last;
        let mut nonce = XNonce::default();
        nonce[..NONCE_PREFIX_SIZE].copy_from_slice(&self.prefix);
        nonce[NONCE_PREFIX_SIZE..NONCE_PREFIX_SIZE + 4].copy_from_slice(&index.to_be_bytes());
        nonce[NONCE_PREFIX_SIZE + 4] = u8::from(last);
        Ok((index, nonce))
    }
}

/// Seals a stream segment by segment.
pub struct Encryptor {
    cursor: Cursor,
}

impl Encryptor {
    /// Starts a stream under `key` with a fresh random nonce prefix.
    pub fn new(key: &StreamKey) -> Self {
        let mut prefix = [0u8; NONCE_PREFIX_SIZE];
        OsRng.fill_bytes(&mut prefix);
        Self {
            cursor: Cursor::new(key, prefix),
        }
    }

    /// The public nonce prefix the reader needs alongside the key.
    pub fn nonce_prefix(&self) -> &NoncePrefix {
        &self.cursor.prefix
    }

    /// Encrypts the next segment in place and appends its tag. Every segment but the last must
    /// hold exactly [`SEGMENT_SIZE`] bytes; the last holds at most that many.
    pub fn seal_segment(&mut self, segment: &mut Vec<u8>, last: bool) -> Result<(), StreamError> {
        let index = self.cursor.next;
        check_plaintext_len(index, segment.len(), last)?;
        let (_, nonce) = self.cursor.advance(last)?;
        let tag = self
            .cursor
            .cipher
            .encrypt_inout_detached(&nonce, &[], segment.as_mut_slice().into())
            .map_err(|_| StreamError::TooLong)?;
        segment.extend_from_slice(&tag);
        Ok(())
    }
}

/// Opens a stream segment by segment, in order.
pub struct Decryptor {
    cursor: Cursor,
}

impl Decryptor {
    /// Reads a stream sealed under `key` with the given nonce prefix.
    pub fn new(key: &StreamKey, prefix: &NoncePrefix) -> Self {
        Self {
            cursor: Cursor::new(key, *prefix),
        }
    }

    /// Whether the last segment has been opened.
    pub fn is_finished(&self) -> bool {
        self.cursor.finished
    }

    /// Decrypts the next sealed segment in place and removes its tag. `last` says whether the
    /// reader believes this is the final segment; a mismatch fails authentication.
    pub fn open_segment(&mut self, segment: &mut Vec<u8>, last: bool) -> Result<(), StreamError> {
        let index = self.cursor.next;
        let len = segment.len();
        let plaintext_len = len.checked_sub(TAG_SIZE).ok_or(StreamError::BadLength {
            index,
            len,
            expected: "at least the 16-byte tag",
        })?;
        check_plaintext_len(index, plaintext_len, last)?;
        let (index, nonce) = self.cursor.advance(last)?;
        let (body, tag) = segment.split_at_mut(plaintext_len);
        let tag: &[u8; TAG_SIZE] = (&*tag)
            .try_into()
            .map_err(|_| StreamError::Inauthentic { index })?;
        let opened =
            self.cursor
                .cipher
                .decrypt_inout_detached(&nonce, &[], body.into(), &(*tag).into());
        if opened.is_err() {
            // Never leave a half-decrypted buffer behind, and allow no further segments.
            self.cursor.finished = true;
            segment.zeroize();
            return Err(StreamError::Inauthentic { index });
        }
        segment.truncate(plaintext_len);
        Ok(())
    }
}

fn check_plaintext_len(index: u32, len: usize, last: bool) -> Result<(), StreamError> {
    if last && len > SEGMENT_SIZE {
        return Err(StreamError::BadLength {
            index,
            len,
            expected: "at most one segment",
        });
    }
    if !last && len != SEGMENT_SIZE {
        return Err(StreamError::BadLength {
            index,
            len,
            expected: "exactly one segment",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seals `data` into its segments.
    fn seal(key: &StreamKey, data: &[u8]) -> (NoncePrefix, Vec<Vec<u8>>) {
        let mut encryptor = Encryptor::new(key);
        let count = segment_count(data.len() as u64) as usize;
        let mut sealed = Vec::new();
        for i in 0..count {
            let end = ((i + 1) * SEGMENT_SIZE).min(data.len());
            let mut segment = data[i * SEGMENT_SIZE..end].to_vec();
            encryptor
                .seal_segment(&mut segment, i + 1 == count)
                .unwrap();
            sealed.push(segment);
        }
        (*encryptor.nonce_prefix(), sealed)
    }

    fn open(
        key: &StreamKey,
        prefix: &NoncePrefix,
        segments: &[Vec<u8>],
    ) -> Result<Vec<u8>, StreamError> {
        let mut decryptor = Decryptor::new(key, prefix);
        let mut out = Vec::new();
        for (i, segment) in segments.iter().enumerate() {
            let mut segment = segment.clone();
            decryptor.open_segment(&mut segment, i + 1 == segments.len())?;
            out.extend_from_slice(&segment);
        }
        Ok(out)
    }

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn round_trips_at_segment_boundaries() {
        let key = StreamKey::generate();
        for len in [
            0,
            1,
            SEGMENT_SIZE - 1,
            SEGMENT_SIZE,
            SEGMENT_SIZE + 1,
            2 * SEGMENT_SIZE,
        ] {
            let plain = data(len);
            let (prefix, sealed) = seal(&key, &plain);
            assert_eq!(sealed.len() as u64, segment_count(len as u64));
            let total: usize = sealed.iter().map(Vec::len).sum();
            assert_eq!(total as u64, ciphertext_len(len as u64));
            assert_eq!(open(&key, &prefix, &sealed).unwrap(), plain, "len {len}");
        }
    }

    #[test]
    fn wrong_key_or_prefix_fails() {
        let key = StreamKey::generate();
        let (prefix, sealed) = seal(&key, &data(1000));
        let other = StreamKey::generate();
        assert_eq!(
            open(&other, &prefix, &sealed),
            Err(StreamError::Inauthentic { index: 0 })
        );
        let mut wrong_prefix = prefix;
        wrong_prefix[0] ^= 1;
        assert!(open(&key, &wrong_prefix, &sealed).is_err());
    }

    #[test]
    fn altered_reordered_dropped_or_truncated_streams_fail() {
        let key = StreamKey::generate();
        let (prefix, sealed) = seal(&key, &data(2 * SEGMENT_SIZE + 5));
        assert_eq!(sealed.len(), 3);

        let mut flipped = sealed.clone();
        flipped[1][7] ^= 0x80;
        assert_eq!(
            open(&key, &prefix, &flipped),
            Err(StreamError::Inauthentic { index: 1 })
        );

        let mut swapped = sealed.clone();
        swapped.swap(0, 1);
        assert!(open(&key, &prefix, &swapped).is_err());

        // Dropping the middle segment: the last one is now at the wrong position.
        let dropped = vec![sealed[0].clone(), sealed[2].clone()];
        assert!(open(&key, &prefix, &dropped).is_err());

        // Truncating after a full segment: that segment was not sealed as the last.
        let truncated = vec![sealed[0].clone(), sealed[1].clone()];
        assert_eq!(
            open(&key, &prefix, &truncated),
            Err(StreamError::Inauthentic { index: 1 })
        );
    }

    #[test]
    fn nothing_after_the_last_segment() {
        let key = StreamKey::generate();
        let mut encryptor = Encryptor::new(&key);
        encryptor.seal_segment(&mut vec![1, 2, 3], true).unwrap();
        assert_eq!(
            encryptor.seal_segment(&mut vec![4], true),
            Err(StreamError::Finished)
        );
    }

    #[test]
    fn short_middle_segments_and_tagless_input_are_refused() {
        let key = StreamKey::generate();
        let mut encryptor = Encryptor::new(&key);
        assert!(matches!(
            encryptor.seal_segment(&mut vec![0; 10], false),
            Err(StreamError::BadLength { .. })
        ));
        let mut decryptor = Decryptor::new(&key, encryptor.nonce_prefix());
        assert!(matches!(
            decryptor.open_segment(&mut vec![0; 5], true),
            Err(StreamError::BadLength { .. })
        ));
    }

    #[test]
    fn debug_redacts_the_key() {
        let key = StreamKey::from_bytes([7; 32]);
        assert_eq!(format!("{key:?}"), "StreamKey(<redacted>)");
    }
}
