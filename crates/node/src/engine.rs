//! Wires one validator together: commonware simplex (BFT consensus) + marshal (block
//! dissemination and finalized delivery) + our application, over any runtime and any p2p.
//!
//! The engine is generic over the runtime context and the network channels, so the same code
//! runs on tokio with authenticated TCP p2p in production and on commonware's deterministic
//! runtime with a simulated network in the fault tests.

use crate::{application::Application, block::ChainBlock, chain::Chain, gossip::Gossip};
use commonware_broadcast::buffered;
use commonware_consensus::{
    marshal::{
        self,
        core::{Actor as MarshalActor, Mailbox as MarshalMailbox},
        resolver::handler,
        standard::{Deferred, Standard},
    },
    simplex::{self, elector::RoundRobin, scheme::ed25519::Scheme},
    types::{Epoch, FixedEpocher, ViewDelta},
};
use commonware_cryptography::{
    certificate::{ConstantProvider, Scheme as _},
    ed25519::PublicKey,
    sha256::Digest,
};
use commonware_p2p::{Blocker, Provider, Receiver, Sender};
use commonware_parallel::Sequential;
use commonware_resolver::Resolver;
use commonware_runtime::{
    BufferPooler, Clock, ContextCell, Handle, Metrics, Spawner, Storage, buffer::paged::CacheRef,
    spawn_cell,
};
use commonware_storage::archive::immutable;
use commonware_utils::{NZU16, NZU64, NZUsize, channel::mpsc, ordered::Set};
use futures::future::try_join_all;
use governor::clock::Clock as GClock;
use rand::{CryptoRng, Rng};
use std::{num::NonZero, sync::Arc, time::Duration};
use tracing::{error, warn};

/// Namespace of every consensus signature: votes of one chain are useless on another.
pub const NAMESPACE: &[u8] = b"medshare-consensus";
/// No validator-set changes yet: one epoch forever.
pub const EPOCH: Epoch = Epoch::zero();
const EPOCH_LENGTH: NonZero<u64> = NZU64!(u64::MAX);

const PRUNABLE_ITEMS_PER_SECTION: NonZero<u64> = NZU64!(4_096);
const IMMUTABLE_ITEMS_PER_SECTION: NonZero<u64> = NZU64!(262_144);
const FREEZER_TABLE_RESIZE_FREQUENCY: u8 = 4;
const FREEZER_TABLE_RESIZE_CHUNK_SIZE: u32 = 2u32.pow(16);
const FREEZER_JOURNAL_TARGET_SIZE: u64 = 1024 * 1024 * 1024;
const REPLAY_BUFFER: NonZero<usize> = NZUsize!(8 * 1024 * 1024);
const WRITE_BUFFER: NonZero<usize> = NZUsize!(1024 * 1024);
const PAGE_CACHE_PAGE_SIZE: NonZero<u16> = NZU16!(4_096);
const PAGE_CACHE_CAPACITY: NonZero<usize> = NZUsize!(8_192);
const MAX_REPAIR: NonZero<usize> = NZUsize!(20);
const MAX_PENDING_ACKS: NonZero<usize> = NZUsize!(16);

/// Consensus timing. The defaults suit a LAN or loopback consortium.
#[derive(Clone, Debug)]
pub struct Timeouts {
    pub leader: Duration,
    pub certification: Duration,
    pub nullify_retry: Duration,
    pub fetch: Duration,
    pub activity: ViewDelta,
    pub skip: ViewDelta,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            leader: Duration::from_secs(1),
            certification: Duration::from_secs(2),
            nullify_retry: Duration::from_secs(5),
            fetch: Duration::from_secs(2),
            activity: ViewDelta::new(256),
            skip: ViewDelta::new(32),
        }
    }
}

pub struct Config<B: Blocker<PublicKey = PublicKey>, P: Provider<PublicKey = PublicKey>> {
    pub blocker: B,
    pub provider: P,
    pub partition_prefix: String,
    pub freezer_table_initial_size: u32,
    pub signer: commonware_cryptography::ed25519::PrivateKey,
    pub participants: Set<PublicKey>,
    pub mailbox_size: usize,
    pub deque_size: usize,
    pub timeouts: Timeouts,
    pub fetch_concurrent: usize,
}

type Marshaled<E> = Deferred<E, Scheme, Application, ChainBlock, FixedEpocher>;
type Finalization = simplex::types::Finalization<Scheme, Digest>;
type Marshal<E> = MarshalActor<
    E,
    Standard<ChainBlock>,
    ConstantProvider<Scheme, Epoch>,
    immutable::Archive<E, Digest, Finalization>,
    immutable::Archive<E, Digest, ChainBlock>,
    FixedEpocher,
    Sequential,
>;
type Consensus<E, B> = simplex::Engine<
    E,
    Scheme,
    RoundRobin,
    B,
    Digest,
    Marshaled<E>,
    Marshaled<E>,
    MarshalMailbox<Scheme, Standard<ChainBlock>>,
    Sequential,
>;

pub struct Engine<E, B, P>
where
    E: BufferPooler + Clock + GClock + Rng + CryptoRng + Spawner + Storage + Metrics,
    B: Blocker<PublicKey = PublicKey>,
    P: Provider<PublicKey = PublicKey>,
{
    context: ContextCell<E>,
    buffer: buffered::Engine<E, PublicKey, ChainBlock, P>,
    buffer_mailbox: buffered::Mailbox<PublicKey, ChainBlock>,
    marshal: Marshal<E>,
    marshal_mailbox: MarshalMailbox<Scheme, Standard<ChainBlock>>,
    marshaled: Marshaled<E>,
    consensus: Consensus<E, B>,
    gossip: Gossip<B>,
    gossip_context: E,
}

fn archive_config<C>(
    prefix: &str,
    name: &str,
    initial_size: u32,
    page_cache: &CacheRef,
    codec_config: C,
) -> immutable::Config<C> {
    immutable::Config {
        metadata_partition: format!("{prefix}-{name}-metadata"),
        freezer_table_partition: format!("{prefix}-{name}-freezer-table"),
        freezer_table_initial_size: initial_size,
        freezer_table_resize_frequency: FREEZER_TABLE_RESIZE_FREQUENCY,
        freezer_table_resize_chunk_size: FREEZER_TABLE_RESIZE_CHUNK_SIZE,
        freezer_key_partition: format!("{prefix}-{name}-freezer-key-journal"),
        freezer_key_page_cache: page_cache.clone(),
        freezer_key_write_buffer: WRITE_BUFFER,
        freezer_value_partition: format!("{prefix}-{name}-freezer-value-journal"),
        freezer_value_write_buffer: WRITE_BUFFER,
        freezer_value_target_size: FREEZER_JOURNAL_TARGET_SIZE,
        freezer_value_compression: None,
        ordinal_partition: format!("{prefix}-{name}-ordinal"),
        ordinal_write_buffer: WRITE_BUFFER,
        items_per_section: IMMUTABLE_ITEMS_PER_SECTION,
        codec_config,
        replay_buffer: REPLAY_BUFFER,
    }
}

impl<E, B, P> Engine<E, B, P>
where
    E: BufferPooler + Clock + GClock + Rng + CryptoRng + Spawner + Storage + Metrics,
    B: Blocker<PublicKey = PublicKey>,
    P: Provider<PublicKey = PublicKey>,
{
    pub async fn new(context: E, chain: Arc<Chain>, cfg: Config<B, P>) -> Self {
        let me = commonware_cryptography::Signer::public_key(&cfg.signer);
        let (buffer, buffer_mailbox) = buffered::Engine::new(
            context.with_label("buffer"),
            buffered::Config {
                public_key: me,
                mailbox_size: cfg.mailbox_size,
                deque_size: cfg.deque_size,
                priority: true,
                codec_config: (),
                peer_provider: cfg.provider,
            },
        );
        let page_cache = CacheRef::from_pooler(&context, PAGE_CACHE_PAGE_SIZE, PAGE_CACHE_CAPACITY);
        let scheme = Scheme::signer(NAMESPACE, cfg.participants.clone(), cfg.signer.clone())
            .expect("this validator is listed in genesis");
        let finalizations = immutable::Archive::init(
            context.with_label("finalizations_by_height"),
            archive_config(
                &cfg.partition_prefix,
                "finalizations",
                cfg.freezer_table_initial_size,
                &page_cache,
                Scheme::certificate_codec_config_unbounded(),
            ),
        )
        .await
        .expect("open the finalizations archive");
        let blocks = immutable::Archive::init(
            context.with_label("finalized_blocks"),
            archive_config(
                &cfg.partition_prefix,
                "blocks",
                cfg.freezer_table_initial_size,
                &page_cache,
                (),
            ),
        )
        .await
        .expect("open the finalized blocks archive");
        let epocher = FixedEpocher::new(EPOCH_LENGTH);
        let (marshal, marshal_mailbox, _) = MarshalActor::init(
            context.with_label("marshal"),
            finalizations,
            blocks,
            marshal::Config {
                provider: ConstantProvider::new(scheme.clone()),
                epocher: epocher.clone(),
                partition_prefix: cfg.partition_prefix.clone(),
                mailbox_size: cfg.mailbox_size,
                view_retention_timeout: ViewDelta::new(
                    cfg.timeouts.activity.get().saturating_mul(10),
                ),
                prunable_items_per_section: PRUNABLE_ITEMS_PER_SECTION,
                replay_buffer: REPLAY_BUFFER,
                key_write_buffer: WRITE_BUFFER,
                value_write_buffer: WRITE_BUFFER,
                block_codec_config: (),
                max_repair: MAX_REPAIR,
                max_pending_acks: MAX_PENDING_ACKS,
                page_cache: page_cache.clone(),
                strategy: Sequential,
            },
        )
        .await;
        let application = Application::new(chain.clone());
        let marshaled = Marshaled::new(
            context.with_label("marshaled"),
            application,
            marshal_mailbox.clone(),
            epocher,
        );
        let consensus = simplex::Engine::new(
            context.with_label("consensus"),
            simplex::Config {
                epoch: EPOCH,
                scheme,
                automaton: marshaled.clone(),
                relay: marshaled.clone(),
                reporter: marshal_mailbox.clone(),
                partition: format!("{}-consensus", cfg.partition_prefix),
                mailbox_size: cfg.mailbox_size,
                leader_timeout: cfg.timeouts.leader,
                certification_timeout: cfg.timeouts.certification,
                timeout_retry: cfg.timeouts.nullify_retry,
                fetch_timeout: cfg.timeouts.fetch,
                activity_timeout: cfg.timeouts.activity,
                skip_timeout: cfg.timeouts.skip,
                fetch_concurrent: cfg.fetch_concurrent,
                replay_buffer: REPLAY_BUFFER,
                write_buffer: WRITE_BUFFER,
                blocker: cfg.blocker.clone(),
                page_cache,
                elector: RoundRobin::default(),
                strategy: Sequential,
            },
        );
        let gossip = Gossip::new(chain.clone(), cfg.blocker);
        let gossip_context = context.with_label("gossip");
        Self {
            context: ContextCell::new(context),
            buffer,
            buffer_mailbox,
            marshal,
            marshal_mailbox,
            marshaled,
            consensus,
            gossip,
            gossip_context,
        }
    }

    /// Marshal's mailbox: the API reads finalized blocks through it.
    pub fn marshal(&self) -> MarshalMailbox<Scheme, Standard<ChainBlock>> {
        self.marshal_mailbox.clone()
    }

    /// Where the API submits transactions: checked, pooled and gossiped by the engine.
    pub fn submitter(&self) -> crate::gossip::Submitter {
        self.gossip.submitter()
    }

    /// Starts every actor. Channels: consensus votes, certificates, consensus backfill, block
    /// broadcast, marshal backfill (`marshal`), and transaction gossip.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        mut self,
        votes: (
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        ),
        certificates: (
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        ),
        resolver: (
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        ),
        broadcast: (
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        ),
        marshal: (
            mpsc::Receiver<handler::Message<Digest>>,
            impl Resolver<Key = handler::Request<Digest>, PublicKey = PublicKey>,
        ),
        transactions: (
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        ),
    ) -> Handle<()> {
        spawn_cell!(
            self.context,
            self.run(
                votes,
                certificates,
                resolver,
                broadcast,
                marshal,
                transactions
            )
            .await
        )
    }

    #[allow(clippy::too_many_arguments)]
    async fn run(
        self,
        votes: (
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        ),
        certificates: (
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        ),
        resolver: (
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        ),
        broadcast: (
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        ),
        marshal: (
            mpsc::Receiver<handler::Message<Digest>>,
            impl Resolver<Key = handler::Request<Digest>, PublicKey = PublicKey>,
        ),
        transactions: (
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        ),
    ) {
        let buffer = self.buffer.start(broadcast);
        let marshal = self
            .marshal
            .start(self.marshaled, self.buffer_mailbox, marshal);
        // The application must be running before consensus replays its journal.
        let consensus = self.consensus.start(votes, certificates, resolver);
        let gossip = self.gossip.start(self.gossip_context, transactions);
        if let Err(e) = try_join_all(vec![buffer, marshal, consensus, gossip]).await {
            error!(?e, "engine failed");
        } else {
            warn!("engine stopped");
        }
    }
}
