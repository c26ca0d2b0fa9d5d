//! A shard on the wire, sealed to its one reader.
//!
//! A peer never sends a shard in the clear: it derives a fresh [`StreamKey`] for the recipient's
//! key with HPKE ([`envelope::stream_key_to`]) and sends
//!
//! ```text
//! encapsulated key (32) ‖ nonce prefix (19) ‖ the shard sealed with `stream`, 1 MiB a segment
//! ```
//!
//! The HPKE context names the shard and its audience (an extraction of α, or a repairing peer), so
//! a body sealed for one request never opens as another. The reader checks the shard against its
//! CID before anyone uses it.

use std::io::{self, Read, Write};

use medshare_crypto::envelope::{self, ENCAPSULATION_SIZE, Encapsulation, PublicKey, SecretKey};
use medshare_crypto::stream::{
    Decryptor, Encryptor, NONCE_PREFIX_SIZE, SEGMENT_SIZE, StreamError, StreamKey, TAG_SIZE,
    ciphertext_len, segment_count,
};
use sha2::{Digest, Sha256};

use crate::alpha::Alpha;
use crate::content_id::ContentId;
use crate::placement::PeerId;

/// Who a shard is sealed for.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Audience<'a> {
    /// The ephemeral key of a final extraction of α.
    Extraction(&'a Alpha),
    /// A storage peer rebuilding a lost shard.
    Repair(&'a PeerId),
}

/// The HPKE context of shard `cid` sealed for `audience`.
pub(crate) fn context(cid: &ContentId, audience: Audience<'_>) -> Vec<u8> {
    let mut context = b"medshare/shard/v1".to_vec();
    context.extend_from_slice(&cid.to_bytes());
    match audience {
        Audience::Extraction(alpha) => {
            context.extend_from_slice(b"/extraction/");
            context.extend_from_slice(&alpha.0);
        }
        Audience::Repair(peer) => {
            context.extend_from_slice(b"/repair/");
            context.extend_from_slice(peer.as_str().as_bytes());
        }
    }
    context
}

/// Why a sealed shard could not be produced or read.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("cannot seal to this key: {0}")]
    Envelope(#[from] envelope::EnvelopeError),
    #[error("sealed shard does not open: {0}")]
    Stream(#[from] StreamError),
    #[error("sealed shard is truncated")]
    Truncated,
    #[error("sealed shard has bytes after its last segment")]
    TrailingBytes,
    #[error("shard does not match its CID")]
    CidMismatch,
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
}

/// Bytes of a sealed shard of `shard_len` bytes on the wire.
pub(crate) fn sealed_len(shard_len: u64) -> u64 {
    (ENCAPSULATION_SIZE + NONCE_PREFIX_SIZE) as u64 + ciphertext_len(shard_len)
}

/// A transport key agreed with the recipient, ready to seal one shard.
pub(crate) struct Sealer {
    encapsulation: Encapsulation,
    key: StreamKey,
}

impl Sealer {
    /// Derives a fresh transport key for `recipient`; fails on a low-order key, before anything
    /// is sent.
    pub(crate) fn new(recipient: &PublicKey, context: &[u8]) -> Result<Self, TransportError> {
        let (encapsulation, key) = envelope::stream_key_to(recipient, context)?;
        Ok(Self { encapsulation, key })
    }

    /// Seals `shard_len` bytes read from `shard` and writes the body to `out`.
    pub(crate) fn seal(
        self,
        mut shard: impl Read,
        shard_len: u64,
        mut out: impl Write,
    ) -> Result<(), TransportError> {
        let mut encryptor = Encryptor::new(&self.key);
        out.write_all(&self.encapsulation.0)?;
        out.write_all(encryptor.nonce_prefix())?;
        let segments = segment_count(shard_len);
        let mut remaining = shard_len;
        let mut buf = Vec::with_capacity(SEGMENT_SIZE + TAG_SIZE);
        for index in 0..segments {
            let len = remaining.min(SEGMENT_SIZE as u64) as usize;
            buf.resize(len, 0);
            read_exact(&mut shard, &mut buf)?;
            remaining -= len as u64;
            encryptor.seal_segment(&mut buf, index + 1 == segments)?;
            out.write_all(&buf)?;
        }
        out.flush()?;
        Ok(())
    }
}

/// Opens a body made by [`Sealer::seal`], writes the shard to `out` and checks it is `expected`
/// (`shard_len` bytes hashing to its CID). On error, what was written to `out` must be discarded.
pub(crate) fn open_shard(
    mut body: impl Read,
    expected: &ContentId,
    shard_len: u64,
    recipient: &SecretKey,
    context: &[u8],
    mut out: impl Write,
) -> Result<(), TransportError> {
    let mut encapsulation = [0u8; ENCAPSULATION_SIZE];
    read_exact(&mut body, &mut encapsulation)?;
    let mut prefix = [0u8; NONCE_PREFIX_SIZE];
    read_exact(&mut body, &mut prefix)?;
    let key = envelope::stream_key_from(recipient, &Encapsulation(encapsulation), context)?;
    let mut decryptor = Decryptor::new(&key, &prefix);
    let segments = segment_count(shard_len);
    let mut remaining = shard_len;
    let mut hash = Sha256::new();
    let mut buf = Vec::with_capacity(SEGMENT_SIZE + TAG_SIZE);
    for index in 0..segments {
        let len = remaining.min(SEGMENT_SIZE as u64) as usize;
        buf.resize(len + TAG_SIZE, 0);
        read_exact(&mut body, &mut buf)?;
        remaining -= len as u64;
        decryptor.open_segment(&mut buf, index + 1 == segments)?;
        hash.update(&buf);
        out.write_all(&buf)?;
    }
    if body.read(&mut [0u8; 1])? != 0 {
        return Err(TransportError::TrailingBytes);
    }
    if &<[u8; 32]>::from(hash.finalize()) != expected.digest() {
        return Err(TransportError::CidMismatch);
    }
    out.flush()?;
    Ok(())
}

fn read_exact(from: &mut impl Read, buf: &mut [u8]) -> Result<(), TransportError> {
    from.read_exact(buf).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => TransportError::Truncated,
        _ => TransportError::Io(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(shard: &[u8]) -> Result<Vec<u8>, TransportError> {
        let reader = SecretKey::generate();
        let cid = ContentId::of(shard);
        let ctx = context(&cid, Audience::Extraction(&Alpha([1; 32])));
        let mut body = Vec::new();
        let sealer = Sealer::new(&reader.public_key(), &ctx).unwrap();
        sealer.seal(shard, shard.len() as u64, &mut body).unwrap();
        assert_eq!(body.len() as u64, sealed_len(shard.len() as u64));
        let mut out = Vec::new();
        open_shard(&body[..], &cid, shard.len() as u64, &reader, &ctx, &mut out)?;
        Ok(out)
    }

    #[test]
    fn sealed_shards_round_trip() {
        for len in [2, 1000, SEGMENT_SIZE, SEGMENT_SIZE + 2] {
            let shard: Vec<u8> = (0..len).map(|i| i as u8).collect();
            assert_eq!(round_trip(&shard).unwrap(), shard);
        }
    }

    #[test]
    fn only_the_recipient_in_the_right_context_reads_it() {
        let reader = SecretKey::generate();
        let shard = b"some shard bytes".to_vec();
        let cid = ContentId::of(&shard);
        let alpha = Alpha([2; 32]);
        let ctx = context(&cid, Audience::Extraction(&alpha));
        let mut body = Vec::new();
        let sealer = Sealer::new(&reader.public_key(), &ctx).unwrap();
        sealer.seal(&shard[..], 16, &mut body).unwrap();

        let open = |key: &SecretKey, ctx: &[u8], body: &[u8], expected: &ContentId| {
            open_shard(body, expected, 16, key, ctx, &mut Vec::new())
        };
        assert!(open(&reader, &ctx, &body, &cid).is_ok());
        assert!(matches!(
            open(&SecretKey::generate(), &ctx, &body, &cid),
            Err(TransportError::Stream(_))
        ));
        let peer: PeerId = "p".parse().unwrap();
        let repair_ctx = context(&cid, Audience::Repair(&peer));
        assert!(open(&reader, &repair_ctx, &body, &cid).is_err());
        assert!(matches!(
            open(&reader, &ctx, &body, &ContentId::of(b"another")),
            Err(TransportError::CidMismatch)
        ));
        assert!(matches!(
            open(&reader, &ctx, &body[..body.len() - 1], &cid),
            Err(TransportError::Truncated)
        ));
        let mut longer = body.clone();
        longer.push(0);
        assert!(matches!(
            open(&reader, &ctx, &longer, &cid),
            Err(TransportError::TrailingBytes)
        ));
    }
}
