//! Blocks: a header that commits to the transactions and to the state after them.

use crate::{
    store::StateRoot,
    tx::{MAX_TX_BYTES, Transaction},
    types::Hash,
};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error as CodecError, FixedSize, Read, ReadExt, Write};
use commonware_cryptography::ed25519;
use sha2::{Digest as _, Sha256};

/// Most transactions a block may carry, whatever the configured block size.
pub const MAX_BLOCK_TXS: usize = 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub height: u64,
    /// Digest of the parent block (the consensus digest, which covers this header).
    pub parent: Hash,
    /// Milliseconds since the Unix epoch; strictly increasing along the chain.
    pub timestamp_ms: u64,
    pub proposer: ed25519::PublicKey,
    /// RFC 6962 Merkle root of the transactions' [`crate::Transaction::encoding_hash`]es (the
    /// exact bytes, proofs included; ids leave proofs out).
    pub tx_root: Hash,
    /// Root of the state after this block's transactions.
    pub state_root: StateRoot,
}

impl Write for Header {
    fn write(&self, buf: &mut impl BufMut) {
        self.height.write(buf);
        self.parent.write(buf);
        self.timestamp_ms.write(buf);
        self.proposer.write(buf);
        self.tx_root.write(buf);
        self.state_root.write(buf);
    }
}

impl FixedSize for Header {
    const SIZE: usize = 8 + 32 + 8 + ed25519::PublicKey::SIZE + 32 + 32;
}

impl Read for Header {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            height: u64::read(buf)?,
            parent: Hash::read(buf)?,
            timestamp_ms: u64::read(buf)?,
            proposer: ed25519::PublicKey::read(buf)?,
            tx_root: Hash::read(buf)?,
            state_root: StateRoot::read(buf)?,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub header: Header,
    pub txs: Vec<Transaction>,
}

impl Write for Block {
    fn write(&self, buf: &mut impl BufMut) {
        self.header.write(buf);
        (self.txs.len() as u32).write(buf);
        for tx in &self.txs {
            let encoded = commonware_codec::Encode::encode(tx);
            (encoded.len() as u32).write(buf);
            buf.put_slice(&encoded);
        }
    }
}

impl EncodeSize for Block {
    fn encode_size(&self) -> usize {
        Header::SIZE
            + 4
            + self
                .txs
                .iter()
                .map(|tx| 4 + tx.encode_size())
                .sum::<usize>()
    }
}

impl Read for Block {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        let header = Header::read(buf)?;
        let count = u32::read(buf)? as usize;
        if count > MAX_BLOCK_TXS {
            return Err(CodecError::Invalid("Block", "too many transactions"));
        }
        let mut txs = Vec::with_capacity(count);
        for _ in 0..count {
            let len = u32::read(buf)? as usize;
            if len > MAX_TX_BYTES || buf.remaining() < len {
                return Err(CodecError::Invalid(
                    "Block",
                    "transaction length out of range",
                ));
            }
            let bytes = buf.copy_to_bytes(len);
            txs.push(
                Transaction::from_bytes(&bytes)
                    .map_err(|_| CodecError::Invalid("Block", "malformed transaction"))?,
            );
        }
        Ok(Self { header, txs })
    }
}

/// RFC 6962 Merkle tree hash over transaction hashes: leaves and inner nodes are domain separated,
/// so no set of ids can pose as another tree.
pub fn tx_root(ids: &[Hash]) -> Hash {
    match ids.len() {
        0 => Sha256::digest([]).into(),
        1 => {
            let mut hasher = Sha256::new();
            hasher.update([0u8]);
            hasher.update(ids[0]);
            hasher.finalize().into()
        }
        n => {
            let split = n.next_power_of_two() / 2;
            let mut hasher = Sha256::new();
            hasher.update([1u8]);
            hasher.update(tx_root(&ids[..split]));
            hasher.update(tx_root(&ids[split..]));
            hasher.finalize().into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tx_root_commits_to_order_and_count() {
        let ids: Vec<Hash> = (0u8..5).map(|i| [i; 32]).collect();
        let root = tx_root(&ids);
        let mut swapped = ids.clone();
        swapped.swap(0, 1);
        assert_ne!(root, tx_root(&swapped));
        assert_ne!(root, tx_root(&ids[..4]));
        assert_ne!(tx_root(&ids[..1]), ids[0]);
        assert_eq!(root, tx_root(&ids));
    }
}
