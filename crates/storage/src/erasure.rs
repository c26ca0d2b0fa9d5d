//! Reed-Solomon over the sealed stream, one stripe per sealed segment.
//!
//! The sealed stream of an MDA is a run of segments (1 MiB of ciphertext plus a tag, the last one
//! shorter). Each segment is one *stripe*: it is cut into `k` equal data pieces (zero padded to an
//! even length, which the codec needs) and `m` parity pieces are computed from them. Shard `i` is
//! the concatenation of piece `i` of every stripe, so all `k + m` shards have the same length and
//! any `k` of them rebuild every stripe. Working stripe by stripe keeps memory at a few MiB
//! whatever the size of the MDA.

use medshare_crypto::stream::{SEGMENT_SIZE, TAG_SIZE, segment_count};
use reed_solomon_simd::{ReedSolomonDecoder, ReedSolomonEncoder};

/// Most shards an MDA may be cut into (the manifest stores `k` and `m` as bytes).
pub const MAX_SHARDS: usize = 255;

/// Erasure-coding parameters: `k` data shards and `m` parity shards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Erasure {
    k: u8,
    m: u8,
}

/// Parameters that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ErasureError {
    /// `k < 2`: a single shard would be the whole MDA, so some peer would hold all of it.
    #[error("k = {0}: at least 2 data shards are needed so that no single shard is a whole MDA")]
    TooFewDataShards(usize),
    /// `m = 0`: no shard could be lost.
    #[error("m = 0: at least 1 parity shard is needed")]
    NoParity,
    /// `k + m` beyond [`MAX_SHARDS`].
    #[error("k + m = {0}: at most {MAX_SHARDS} shards")]
    TooManyShards(usize),
    /// The codec could not encode or decode a stripe.
    #[error("erasure coding failed: {0}")]
    Codec(String),
}

impl Default for Erasure {
    /// 4 data + 2 parity shards (docs/design.md "Storage layer").
    fn default() -> Self {
        Self { k: 4, m: 2 }
    }
}

impl Erasure {
    /// `k` data and `m` parity shards.
    pub fn new(k: usize, m: usize) -> Result<Self, ErasureError> {
        if k < 2 {
            return Err(ErasureError::TooFewDataShards(k));
        }
        if m == 0 {
            return Err(ErasureError::NoParity);
        }
        if k + m > MAX_SHARDS || !ReedSolomonEncoder::supports(k, m) {
            return Err(ErasureError::TooManyShards(k + m));
        }
        Ok(Self {
            k: k as u8,
            m: m as u8,
        })
    }

    /// Data shards: any this many shards rebuild the MDA.
    pub fn k(&self) -> usize {
        self.k.into()
    }

    /// Parity shards: this many shards may be lost.
    pub fn m(&self) -> usize {
        self.m.into()
    }

    /// All shards.
    pub fn total(&self) -> usize {
        self.k() + self.m()
    }
}

/// Where every stripe of an MDA of a given length lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    erasure: Erasure,
    plaintext_len: u64,
}

impl Layout {
    /// The layout of `plaintext_len` bytes under `erasure`.
    pub fn new(erasure: Erasure, plaintext_len: u64) -> Self {
        Self {
            erasure,
            plaintext_len,
        }
    }

    /// Stripes, one per sealed segment.
    pub fn stripes(&self) -> u64 {
        segment_count(self.plaintext_len)
    }

    /// Sealed bytes of stripe `index` (its segment plus tag).
    pub fn sealed_len(&self, index: u64) -> usize {
        let last = self.stripes() - 1;
        if index < last {
            SEGMENT_SIZE + TAG_SIZE
        } else {
            // At most SEGMENT_SIZE, so the conversion is exact.
            (self.plaintext_len - last * SEGMENT_SIZE as u64) as usize + TAG_SIZE
        }
    }

    /// Bytes each shard holds of stripe `index`.
    pub fn piece_len(&self, index: u64) -> usize {
        piece_len(self.erasure.k(), self.sealed_len(index))
    }

    /// Length of every shard.
    pub fn shard_len(&self) -> u64 {
        let last = self.stripes() - 1;
        last * self.piece_len(0) as u64 + self.piece_len(last) as u64
    }
}

/// `sealed_len` bytes cut in `k` even-sized pieces.
fn piece_len(k: usize, sealed_len: usize) -> usize {
    sealed_len.div_ceil(k).next_multiple_of(2)
}

/// Computes the pieces of one stripe.
pub struct StripeEncoder {
    erasure: Erasure,
    codec: Option<ReedSolomonEncoder>,
}

impl StripeEncoder {
    /// An encoder for stripes under `erasure`.
    pub fn new(erasure: Erasure) -> Self {
        Self {
            erasure,
            codec: None,
        }
    }

    /// Cuts `sealed` (one sealed segment) into `k` data pieces, padding it in place, and computes
    /// the `m` parity pieces. Calls `emit(shard index, piece)` for all `k + m` pieces in order.
    pub fn encode(
        &mut self,
        sealed: &mut Vec<u8>,
        mut emit: impl FnMut(usize, &[u8]) -> std::io::Result<()>,
    ) -> Result<(), EncodeError> {
        let (k, m) = (self.erasure.k(), self.erasure.m());
        let piece = piece_len(k, sealed.len());
        sealed.resize(k * piece, 0);
        let codec = reset_encoder(&mut self.codec, k, m, piece)?;
        for (index, data) in sealed.chunks_exact(piece).enumerate() {
            codec.add_original_shard(data).map_err(codec_error)?;
            emit(index, data)?;
        }
        let parity = codec.encode().map_err(codec_error)?;
        for (index, piece) in parity.recovery_iter().enumerate() {
            emit(k + index, piece)?;
        }
        Ok(())
    }
}

/// Failure while encoding a stripe: the codec, or the sink of the pieces.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error(transparent)]
    Erasure(#[from] ErasureError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

fn codec_error(error: reed_solomon_simd::Error) -> ErasureError {
    ErasureError::Codec(error.to_string())
}

fn reset_encoder(
    slot: &mut Option<ReedSolomonEncoder>,
    k: usize,
    m: usize,
    piece: usize,
) -> Result<&mut ReedSolomonEncoder, ErasureError> {
    match slot {
        Some(codec) => codec.reset(k, m, piece).map_err(codec_error)?,
        None => *slot = Some(ReedSolomonEncoder::new(k, m, piece).map_err(codec_error)?),
    }
    slot.as_mut()
        .ok_or_else(|| ErasureError::Codec("no encoder".into()))
}

/// Rebuilds stripes from any `k` of their pieces.
pub struct StripeDecoder {
    erasure: Erasure,
    codec: Option<ReedSolomonDecoder>,
    parity: StripeEncoder,
}

impl StripeDecoder {
    /// A decoder for stripes under `erasure`.
    pub fn new(erasure: Erasure) -> Self {
        Self {
            erasure,
            codec: None,
            parity: StripeEncoder::new(erasure),
        }
    }

    /// Restores the `k` data pieces of one stripe into `data` (`k * piece` bytes, the sealed
    /// segment plus padding) from `pieces`: pairs of (shard index, piece), at least `k` of them,
    /// each `piece` bytes long.
    pub fn restore_data(
        &mut self,
        piece: usize,
        pieces: &[(usize, &[u8])],
        data: &mut Vec<u8>,
    ) -> Result<(), ErasureError> {
        let k = self.erasure.k();
        data.clear();
        data.resize(k * piece, 0);
        let mut have = vec![false; k];
        for &(index, bytes) in pieces {
            if index < k {
                data[index * piece..(index + 1) * piece].copy_from_slice(bytes);
                have[index] = true;
            }
        }
        if have.iter().all(|&h| h) {
            return Ok(());
        }
        // Some data piece is missing: run the codec on what we have.
        let m = self.erasure.m();
        match &mut self.codec {
            Some(codec) => codec.reset(k, m, piece).map_err(codec_error)?,
            None => self.codec = Some(ReedSolomonDecoder::new(k, m, piece).map_err(codec_error)?),
        }
        let codec = self
            .codec
            .as_mut()
            .ok_or_else(|| ErasureError::Codec("no decoder".into()))?;
        for &(index, bytes) in pieces {
            if index < k {
                codec
                    .add_original_shard(index, bytes)
                    .map_err(codec_error)?;
            } else {
                codec
                    .add_recovery_shard(index - k, bytes)
                    .map_err(codec_error)?;
            }
        }
        let restored = codec.decode().map_err(codec_error)?;
        for (index, bytes) in restored.restored_original_iter() {
            data[index * piece..(index + 1) * piece].copy_from_slice(bytes);
        }
        Ok(())
    }

    /// Restores one stripe and calls `emit(shard index, piece)` for each index in `wanted`
    /// (data or parity), to rebuild lost shards.
    pub fn rebuild(
        &mut self,
        piece: usize,
        pieces: &[(usize, &[u8])],
        wanted: &[usize],
        data: &mut Vec<u8>,
        mut emit: impl FnMut(usize, &[u8]) -> std::io::Result<()>,
    ) -> Result<(), EncodeError> {
        self.restore_data(piece, pieces, data)?;
        self.parity.encode(data, |index, bytes| {
            if wanted.contains(&index) {
                emit(index, bytes)?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_checked() {
        assert_eq!(Erasure::default(), Erasure::new(4, 2).unwrap());
        assert_eq!(Erasure::new(1, 2), Err(ErasureError::TooFewDataShards(1)));
        assert_eq!(Erasure::new(4, 0), Err(ErasureError::NoParity));
        assert_eq!(Erasure::new(200, 56), Err(ErasureError::TooManyShards(256)));
        assert!(Erasure::new(2, 1).is_ok());
    }

    #[test]
    fn layout_of_edge_lengths() {
        let four_two = Erasure::default();
        // Empty: one stripe holding only the tag, 16 / 4 = 4 bytes a piece.
        let empty = Layout::new(four_two, 0);
        assert_eq!((empty.stripes(), empty.sealed_len(0)), (1, 16));
        assert_eq!(empty.shard_len(), 4);
        // One byte: 17 sealed bytes, 5 a piece, rounded to 6.
        assert_eq!(Layout::new(four_two, 1).shard_len(), 6);
        // One segment and one byte: a full stripe, then 17 sealed bytes.
        let seg = SEGMENT_SIZE as u64;
        let layout = Layout::new(four_two, seg + 1);
        assert_eq!(layout.stripes(), 2);
        assert_eq!(layout.piece_len(0), (SEGMENT_SIZE + 16) / 4);
        assert_eq!(layout.shard_len(), ((SEGMENT_SIZE + 16) / 4 + 6) as u64);
        // Odd k: pieces are rounded up to an even length.
        assert_eq!(Layout::new(Erasure::new(3, 1).unwrap(), 0).piece_len(0), 6);
    }

    #[test]
    fn any_k_pieces_rebuild_a_stripe() {
        let erasure = Erasure::new(4, 2).unwrap();
        let sealed: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 256) as u8).collect();
        let mut padded = sealed.clone();
        let mut pieces = vec![Vec::new(); 6];
        StripeEncoder::new(erasure)
            .encode(&mut padded, |i, p| {
                pieces[i] = p.to_vec();
                Ok(())
            })
            .unwrap();
        let piece = pieces[0].len();
        assert_eq!(piece, 250);

        let mut decoder = StripeDecoder::new(erasure);
        let mut data = Vec::new();
        for lost in [[0, 1], [2, 5], [4, 5], [0, 3]] {
            let kept: Vec<(usize, &[u8])> = (0..6)
                .filter(|i| !lost.contains(i))
                .map(|i| (i, pieces[i].as_slice()))
                .collect();
            decoder.restore_data(piece, &kept, &mut data).unwrap();
            assert_eq!(&data[..sealed.len()], &sealed[..], "lost {lost:?}");

            let mut rebuilt = Vec::new();
            decoder
                .rebuild(piece, &kept, &lost, &mut data, |i, p| {
                    rebuilt.push((i, p.to_vec()));
                    Ok(())
                })
                .unwrap();
            for (i, p) in rebuilt {
                assert_eq!(p, pieces[i], "rebuilt piece {i}");
            }
        }

        let too_few: Vec<(usize, &[u8])> = (0..3).map(|i| (i, pieces[i].as_slice())).collect();
        assert!(decoder.restore_data(piece, &too_few, &mut data).is_err());
    }
}
