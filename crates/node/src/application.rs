//! The bridge between commonware's consensus and our [`Chain`]: propose, verify, and finalized
//! blocks in order.

use crate::{
    block::{ChainBlock, Context},
    chain::{Chain, StateView},
};
use commonware_consensus::{
    Reporter,
    marshal::{
        Update,
        ancestry::{AncestorStream, BlockProvider},
    },
    simplex::scheme::ed25519::Scheme,
};
use commonware_cryptography::Digestible;
use commonware_runtime::{Clock, Metrics, Spawner};
use commonware_utils::{Acknowledgement, SystemTimeExt};
use futures::StreamExt;
use rand::Rng;
use std::{sync::Arc, sync::atomic::Ordering, time::Duration};
use tracing::{debug, error, info};

/// How often a leader waiting for a full block looks at the mempool.
const FILL_POLL: Duration = Duration::from_millis(5);

#[derive(Clone)]
pub struct Application {
    chain: Arc<Chain>,
}

impl Application {
    pub fn new(chain: Arc<Chain>) -> Self {
        Self { chain }
    }

    /// The state after `parent`, executing whatever ancestors this validator has not.
    async fn state_after<A: BlockProvider<Block = ChainBlock>>(
        &self,
        parent: &ChainBlock,
        mut ancestry: AncestorStream<A, ChainBlock>,
    ) -> Option<StateView> {
        if let Some(view) = self.chain.view_from_pending(&parent.digest()) {
            return Some(view);
        }
        let snapshot = self.chain.db.snapshot();
        let tip = snapshot.tip.clone()?;
        let mut ancestors = vec![parent.clone()];
        loop {
            let oldest = ancestors.last().expect("non-empty");
            if oldest.header().parent == tip.digest {
                break;
            }
            if oldest.header().height <= tip.height + 1 {
                // Does not descend from our finalized tip.
                return None;
            }
            ancestors.push(ancestry.next().await?);
        }
        self.chain.view_from_ancestors(snapshot, ancestors)
    }
}

impl<E> commonware_consensus::Application<E> for Application
where
    E: Rng + Spawner + Metrics + Clock,
{
    type SigningScheme = Scheme;
    type Context = Context;
    type Block = ChainBlock;

    async fn genesis(&mut self) -> ChainBlock {
        self.chain.genesis().clone()
    }

    async fn propose<A: BlockProvider<Block = ChainBlock>>(
        &mut self,
        (runtime, context): (E, Context),
        mut ancestry: AncestorStream<A, ChainBlock>,
    ) -> Option<ChainBlock> {
        let parent = ancestry.next().await?;
        let view = self.state_after(&parent, ancestry).await?;
        // Wait for a full block, or propose what there is when the block timeout expires.
        let deadline = runtime.current() + self.chain.params.block_timeout;
        while self.chain.mempool.len() < self.chain.params.max_block_txs
            && runtime.current() < deadline
        {
            runtime.sleep(FILL_POLL).await;
        }
        let now = runtime.current().epoch_millis();
        Some(self.chain.build(&view, context, &parent, now))
    }
}

impl<E> commonware_consensus::VerifyingApplication<E> for Application
where
    E: Rng + Spawner + Metrics + Clock,
{
    async fn verify<A: BlockProvider<Block = ChainBlock>>(
        &mut self,
        (runtime, _context): (E, Context),
        mut ancestry: AncestorStream<A, ChainBlock>,
    ) -> bool {
        let Some(block) = ancestry.next().await else {
            return false;
        };
        let Some(parent) = ancestry.next().await else {
            return false;
        };
        let Some(view) = self.state_after(&parent, ancestry).await else {
            return false;
        };
        let now = runtime.current().epoch_millis();
        self.chain.verify(view, &block, &parent, now).await
    }
}

impl Reporter for Application {
    type Activity = Update<ChainBlock>;

    async fn report(&mut self, activity: Self::Activity) {
        match activity {
            Update::Block(block, ack) => {
                if let Err(error) = self.chain.finalize(&block) {
                    // Our state no longer matches what the quorum finalized: continuing would
                    // serve wrong data. Stop without acknowledging; marshal re-delivers on restart.
                    error!(%error, "cannot apply finalized block");
                    panic!("cannot apply finalized block: {error}");
                }
                let (height, txs) = (block.header().height, block.block.txs.len());
                if txs == 0 {
                    debug!(height, "finalized empty block");
                } else {
                    info!(height, txs, "finalized");
                }
                ack.acknowledge();
            }
            Update::Tip(_, height, _) => {
                self.chain
                    .stats
                    .tip_height
                    .fetch_max(height.get(), Ordering::Relaxed);
            }
        }
    }
}
