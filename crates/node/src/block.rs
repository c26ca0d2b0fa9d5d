//! The block consensus orders: the ledger's block plus the consensus context it was proposed in.
//!
//! With deferred verification a validator may have to certify a block it never verified (after a
//! crash, say), so the block carries its own context ([`CertifiableBlock`]); the digest covers
//! that context and the ledger header, which in turn commits to the transactions.

use bytes::{Buf, BufMut};
use commonware_codec::{Encode, EncodeSize, Error as CodecError, Read, ReadExt, Write};
use commonware_consensus::{
    CertifiableBlock, Heightable,
    simplex::types::Context as SimplexContext,
    types::{Epoch, Height, Round, View},
};
use commonware_cryptography::{Digestible, Hasher, Sha256, ed25519, sha256::Digest};
use medshare_ledger::{Block, Header, block::tx_root};

pub type Context = SimplexContext<Digest, ed25519::PublicKey>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBlock {
    pub context: Context,
    pub block: Block,
    digest: Digest,
}

impl ChainBlock {
    pub fn new(context: Context, block: Block) -> Self {
        let digest = Self::compute_digest(&context, &block.header);
        Self {
            context,
            block,
            digest,
        }
    }

    fn compute_digest(context: &Context, header: &Header) -> Digest {
        let mut hasher = Sha256::new();
        hasher.update(&context.encode());
        hasher.update(&header.encode());
        hasher.finalize()
    }

    /// The block at height 0. Its proposer is a fixed, well-known key nobody holds a secret for
    /// in any role (it signs nothing).
    pub fn genesis(timestamp_ms: u64, state_root: [u8; 32]) -> Self {
        let proposer = genesis_proposer();
        let context = Context {
            round: Round::new(Epoch::zero(), View::zero()),
            leader: proposer.clone(),
            parent: (View::zero(), Digest::from([0u8; 32])),
        };
        let block = Block {
            header: Header {
                height: 0,
                parent: [0u8; 32],
                timestamp_ms,
                proposer,
                tx_root: tx_root(&[]),
                state_root,
            },
            txs: Vec::new(),
        };
        Self::new(context, block)
    }

    pub fn header(&self) -> &Header {
        &self.block.header
    }
}

/// The ed25519 key of the point `[0x01; 32]` encoding... any fixed valid key will do; this one is
/// derived from a public seed so everyone computes the same genesis digest.
fn genesis_proposer() -> ed25519::PublicKey {
    use commonware_cryptography::Signer;
    ed25519::PrivateKey::from_seed(0).public_key()
}

impl Write for ChainBlock {
    fn write(&self, buf: &mut impl BufMut) {
        self.context.write(buf);
        self.block.write(buf);
    }
}

impl EncodeSize for ChainBlock {
    fn encode_size(&self) -> usize {
        self.context.encode_size() + self.block.encode_size()
    }
}

impl Read for ChainBlock {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        let context = Context::read(buf)?;
        let block = Block::read(buf)?;
        Ok(Self::new(context, block))
    }
}

impl Digestible for ChainBlock {
    type Digest = Digest;
    fn digest(&self) -> Digest {
        self.digest
    }
}

impl Heightable for ChainBlock {
    fn height(&self) -> Height {
        Height::new(self.block.header.height)
    }
}

impl commonware_consensus::Block for ChainBlock {
    fn parent(&self) -> Digest {
        Digest::from(self.block.header.parent)
    }
}

impl CertifiableBlock for ChainBlock {
    type Context = Context;
    fn context(&self) -> Context {
        self.context.clone()
    }
}
