//! File to shards and back: encrypt, then slice (docs/design.md "Storage layer").
//!
//! [`encode_file`] streams a file once: hashes it into α, seals it segment by segment under a
//! fresh data key, and erasure-codes every sealed segment into one stripe of `k + m` shard files.
//! [`decode_file`] reverses it from any `k` shards and writes the output atomically, only after
//! `SHA-256(S) = α` holds. Memory stays at a few segments whatever the file size. Everything here
//! is blocking, single-threaded computation and file I/O.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use indicatif::ProgressBar;
use medshare_crypto::stream::{
    Decryptor, Encryptor, SEGMENT_SIZE, StreamError, StreamKey, TAG_SIZE,
};
use sha2::{Digest, Sha256};

use crate::alpha::Alpha;
use crate::content_id::ContentId;
use crate::erasure::{
    EncodeError, Erasure, ErasureError, MAX_SHARDS, StripeDecoder, StripeEncoder,
};
use crate::manifest::{Manifest, ManifestError};
use medshare_crypto::durable::PendingFile;

/// Room for a sealed segment and its padding to `k` even pieces.
const STRIPE_CAPACITY: usize = SEGMENT_SIZE + TAG_SIZE + 2 * MAX_SHARDS;
/// Buffer size of shard files and the input/output file.
const IO_BUFFER: usize = 1 << 20;

/// Why encoding or decoding failed.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    #[error("decryption failed: {0}")]
    Stream(#[from] StreamError),
    #[error(transparent)]
    Erasure(#[from] ErasureError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("{have} distinct shards given, {need} needed")]
    NotEnoughShards { have: usize, need: usize },
    #[error("decrypted data does not hash to α (SHA-256(S) ≠ α)")]
    AlphaMismatch,
    #[error("rebuilt shard {0} does not match its CID in the manifest")]
    RebuiltMismatch(usize),
}

impl From<EncodeError> for CodecError {
    fn from(error: EncodeError) -> Self {
        match error {
            EncodeError::Erasure(e) => Self::Erasure(e),
            EncodeError::Io(e) => Self::Io(e),
        }
    }
}

/// A file cut into shards, ready to upload.
pub struct Encoded {
    pub manifest: Manifest,
    /// The fresh data key the shards are sealed under; it leaves the owner only in envelopes.
    pub data_key: StreamKey,
    /// Shard files by shard index.
    pub shard_files: Vec<PathBuf>,
}

/// Encrypts and erasure-codes `input` into `k + m` shard files in `dir`.
pub fn encode_file(
    input: &Path,
    erasure: Erasure,
    dir: &Path,
    progress: &ProgressBar,
) -> Result<Encoded, CodecError> {
    let input = BufReader::with_capacity(IO_BUFFER, File::open(input)?);
    let shard_files: Vec<PathBuf> = (0..erasure.total())
        .map(|i| dir.join(format!("shard-{i}")))
        .collect();
    let mut writers = shard_files
        .iter()
        .map(|path| Ok(BufWriter::with_capacity(IO_BUFFER, File::create(path)?)))
        .collect::<io::Result<Vec<_>>>()?;
    let (manifest, data_key) = encode(input, erasure, &mut writers, progress)?;
    for writer in &mut writers {
        writer.flush()?;
    }
    Ok(Encoded {
        manifest,
        data_key,
        shard_files,
    })
}

/// Encrypts everything `input` yields under a fresh data key and erasure-codes it into `shards`
/// (`k + m` writers, by shard index). Returns the manifest and the data key.
pub fn encode<W: Write>(
    mut input: impl Read,
    erasure: Erasure,
    shards: &mut [W],
    progress: &ProgressBar,
) -> Result<(Manifest, StreamKey), CodecError> {
    if shards.len() != erasure.total() {
        return Err(CodecError::NotEnoughShards {
            have: shards.len(),
            need: erasure.total(),
        });
    }
    let data_key = StreamKey::generate();
    let mut encryptor = Encryptor::new(&data_key);
    let mut stripes = StripeEncoder::new(erasure);
    let mut hashes = vec![Sha256::new(); erasure.total()];
    let mut alpha = Sha256::new();
    let mut plaintext_len = 0u64;

    let mut segment = Vec::with_capacity(STRIPE_CAPACITY);
    let mut next = Vec::with_capacity(STRIPE_CAPACITY);
    fill_segment(&mut input, &mut segment)?;
    loop {
        // A full segment is the last one only if nothing follows it.
        let last = segment.len() < SEGMENT_SIZE || {
            fill_segment(&mut input, &mut next)?;
            next.is_empty()
        };
        alpha.update(&segment);
        plaintext_len += segment.len() as u64;
        progress.inc(segment.len() as u64);
        encryptor.seal_segment(&mut segment, last)?;
        stripes.encode(&mut segment, |index, piece| {
            hashes[index].update(piece);
            shards[index].write_all(piece)
        })?;
        if last {
            break;
        }
        std::mem::swap(&mut segment, &mut next);
    }

    let shard_cids = hashes
        .into_iter()
        .map(|hash| ContentId::from_digest(hash.finalize().into()))
        .collect();
    let alpha = Alpha(alpha.finalize().into());
    let manifest = Manifest::new(
        erasure,
        plaintext_len,
        alpha,
        *encryptor.nonce_prefix(),
        shard_cids,
    )?;
    Ok((manifest, data_key))
}

/// Reads up to one segment from `input` into `segment`.
fn fill_segment(input: &mut impl Read, segment: &mut Vec<u8>) -> io::Result<()> {
    segment.resize(SEGMENT_SIZE, 0);
    let mut filled = 0;
    while filled < SEGMENT_SIZE {
        match input.read(&mut segment[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    segment.truncate(filled);
    Ok(())
}

/// Readers over `k` verified shards, preferring data shards (which need no decoding).
struct ShardReaders<R> {
    readers: Vec<(usize, R)>,
    buffers: Vec<Vec<u8>>,
}

impl<R: Read> ShardReaders<R> {
    fn new(erasure: Erasure, mut shards: Vec<(usize, R)>) -> Result<Self, CodecError> {
        shards.sort_by_key(|(index, _)| *index);
        shards.dedup_by_key(|(index, _)| *index);
        shards.retain(|(index, _)| *index < erasure.total());
        if shards.len() < erasure.k() {
            return Err(CodecError::NotEnoughShards {
                have: shards.len(),
                need: erasure.k(),
            });
        }
        shards.truncate(erasure.k());
        Ok(Self {
            buffers: vec![Vec::new(); shards.len()],
            readers: shards,
        })
    }

    /// Reads the next `piece` bytes of every shard.
    fn next_stripe(&mut self, piece: usize) -> io::Result<Vec<(usize, &[u8])>> {
        for ((_, reader), buffer) in self.readers.iter_mut().zip(&mut self.buffers) {
            buffer.resize(piece, 0);
            reader.read_exact(buffer)?;
        }
        Ok(self
            .readers
            .iter()
            .zip(&self.buffers)
            .map(|((index, _), buffer)| (*index, buffer.as_slice()))
            .collect())
    }
}

fn open_shard_files(shards: &[(usize, PathBuf)]) -> io::Result<Vec<(usize, BufReader<File>)>> {
    shards
        .iter()
        .map(|(index, path)| {
            Ok((
                *index,
                BufReader::with_capacity(IO_BUFFER, File::open(path)?),
            ))
        })
        .collect()
}

/// Rebuilds the MDA of `manifest` from `shards` (shard index, file whose CID was checked) and
/// writes it to `output`, which appears only if the whole file decrypted and hashed to α.
pub fn decode_file(
    manifest: &Manifest,
    data_key: &StreamKey,
    shards: &[(usize, PathBuf)],
    output: &Path,
    progress: &ProgressBar,
) -> Result<(), CodecError> {
    let dir = match output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut pending = BufWriter::with_capacity(IO_BUFFER, PendingFile::create_in(dir)?);
    decode(
        manifest,
        data_key,
        open_shard_files(shards)?,
        &mut pending,
        progress,
    )?;
    let pending = pending
        .into_inner()
        .map_err(io::IntoInnerError::into_error)?;
    pending.commit(output)?;
    Ok(())
}

/// Rebuilds, decrypts and checks the MDA of `manifest` from at least `k` shard readers (by shard
/// index) into `output`. The whole MDA has been written only if this returns `Ok`: on an error,
/// whatever reached `output` must be discarded.
pub fn decode<R: Read>(
    manifest: &Manifest,
    data_key: &StreamKey,
    shards: Vec<(usize, R)>,
    mut output: impl Write,
    progress: &ProgressBar,
) -> Result<(), CodecError> {
    let erasure = manifest.erasure();
    let layout = manifest.layout();
    let mut readers = ShardReaders::new(erasure, shards)?;
    let mut stripes = StripeDecoder::new(erasure);
    let mut decryptor = Decryptor::new(data_key, manifest.nonce_prefix());
    let mut alpha = Sha256::new();
    let mut segment = Vec::with_capacity(STRIPE_CAPACITY);
    let count = layout.stripes();
    for index in 0..count {
        let pieces = readers.next_stripe(layout.piece_len(index))?;
        stripes.restore_data(layout.piece_len(index), &pieces, &mut segment)?;
        segment.truncate(layout.sealed_len(index));
        decryptor.open_segment(&mut segment, index + 1 == count)?;
        alpha.update(&segment);
        output.write_all(&segment)?;
        progress.inc(segment.len() as u64);
    }
    if Alpha(alpha.finalize().into()) != *manifest.alpha() {
        return Err(CodecError::AlphaMismatch);
    }
    output.flush()?;
    Ok(())
}

/// Rebuilds the shards `wanted` of `manifest` from `available` ones into files in `dir` (on the
/// store's file system), each checked against its CID.
pub(crate) fn rebuild_shards(
    manifest: &Manifest,
    available: &[(usize, PathBuf)],
    wanted: &[usize],
    dir: &Path,
) -> Result<Vec<(usize, PendingFile)>, CodecError> {
    let erasure = manifest.erasure();
    let layout = manifest.layout();
    let mut readers = ShardReaders::new(erasure, open_shard_files(available)?)?;
    let mut stripes = StripeDecoder::new(erasure);
    let mut outputs = wanted
        .iter()
        .map(|&index| {
            Ok((
                index,
                Sha256::new(),
                BufWriter::with_capacity(IO_BUFFER, PendingFile::create_in(dir)?),
            ))
        })
        .collect::<io::Result<Vec<_>>>()?;
    let mut data = Vec::with_capacity(STRIPE_CAPACITY);
    for stripe in 0..layout.stripes() {
        let piece = layout.piece_len(stripe);
        let pieces = readers.next_stripe(piece)?;
        stripes.rebuild(piece, &pieces, wanted, &mut data, |index, bytes| {
            for (wanted, hash, out) in &mut outputs {
                if *wanted == index {
                    hash.update(bytes);
                    out.write_all(bytes)?;
                }
            }
            Ok(())
        })?;
    }
    outputs
        .into_iter()
        .map(|(index, hash, out)| {
            let digest: [u8; 32] = hash.finalize().into();
            if manifest.shards().get(index).map(ContentId::digest) != Some(&digest) {
                return Err(CodecError::RebuiltMismatch(index));
            }
            let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
            Ok((index, file))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(data: &[u8], erasure: Erasure) -> (tempfile::TempDir, Encoded) {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("input");
        std::fs::write(&input, data).unwrap();
        let encoded = encode_file(&input, erasure, dir.path(), &ProgressBar::hidden()).unwrap();
        (dir, encoded)
    }

    fn sample(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i % 253) as u8 ^ (i >> 12) as u8)
            .collect()
    }

    #[test]
    fn shards_match_manifest_and_decode_from_any_k() {
        let data = sample(3 * SEGMENT_SIZE + 1234);
        let (dir, encoded) = encode(&data, Erasure::default());
        let manifest = &encoded.manifest;
        assert_eq!(manifest.plaintext_len(), data.len() as u64);
        assert_eq!(manifest.alpha().0, <[u8; 32]>::from(Sha256::digest(&data)));
        for (i, path) in encoded.shard_files.iter().enumerate() {
            let bytes = std::fs::read(path).unwrap();
            assert_eq!(bytes.len() as u64, manifest.shard_len());
            assert_eq!(ContentId::of(&bytes), manifest.shards()[i]);
        }
        for kept in [[0, 1, 2, 3], [2, 3, 4, 5], [0, 2, 4, 5]] {
            let shards: Vec<_> = kept
                .iter()
                .map(|&i| (i, encoded.shard_files[i].clone()))
                .collect();
            let output = dir.path().join(format!("out-{kept:?}"));
            decode_file(
                manifest,
                &encoded.data_key,
                &shards,
                &output,
                &ProgressBar::hidden(),
            )
            .unwrap();
            assert_eq!(std::fs::read(&output).unwrap(), data, "kept {kept:?}");
        }
    }

    #[test]
    fn failed_decoding_writes_no_output() {
        let data = sample(SEGMENT_SIZE + 10);
        let (dir, encoded) = encode(&data, Erasure::default());
        let shards: Vec<_> = (0..4)
            .map(|i| (i, encoded.shard_files[i].clone()))
            .collect();
        let output = dir.path().join("out");
        let entries = || std::fs::read_dir(dir.path()).unwrap().count();
        let before = entries();

        let wrong_key = StreamKey::generate();
        let result = decode_file(
            &encoded.manifest,
            &wrong_key,
            &shards,
            &output,
            &ProgressBar::hidden(),
        );
        assert!(matches!(result, Err(CodecError::Stream(_))));
        assert!(!output.exists());
        assert_eq!(entries(), before, "no temporary file left behind");

        // A corrupted piece in the second stripe: the first stripe was already written out.
        let mut bytes = std::fs::read(&encoded.shard_files[1]).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&encoded.shard_files[1], bytes).unwrap();
        let result = decode_file(
            &encoded.manifest,
            &encoded.data_key,
            &shards,
            &output,
            &ProgressBar::hidden(),
        );
        assert!(matches!(result, Err(CodecError::Stream(_))));
        assert!(!output.exists());
        assert_eq!(entries(), before);

        let result = decode_file(
            &encoded.manifest,
            &encoded.data_key,
            &shards[..3],
            &output,
            &ProgressBar::hidden(),
        );
        assert!(matches!(
            result,
            Err(CodecError::NotEnoughShards { have: 3, need: 4 })
        ));
    }

    #[test]
    fn rebuilds_lost_data_and_parity_shards() {
        let data = sample(2 * SEGMENT_SIZE + 3);
        let (dir, encoded) = encode(&data, Erasure::new(3, 2).unwrap());
        let available: Vec<_> = [1, 3, 4]
            .iter()
            .map(|&i| (i, encoded.shard_files[i].clone()))
            .collect();
        let rebuilt = rebuild_shards(&encoded.manifest, &available, &[0, 2], dir.path()).unwrap();
        for (index, file) in rebuilt {
            let target = dir.path().join(format!("rebuilt-{index}"));
            file.commit(&target).unwrap();
            assert_eq!(
                std::fs::read(target).unwrap(),
                std::fs::read(&encoded.shard_files[index]).unwrap()
            );
        }
    }
}
