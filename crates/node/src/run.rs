//! Runs one validator on the tokio runtime: authenticated p2p on TCP, the engine, the HTTP API.

use crate::{
    api::{self, ApiState},
    chain::{Chain, ChainParams},
    config::NodeConfig,
    engine::{self, Engine},
    release_gate::ChainGate,
    state_db::StateDb,
    workers::Workers,
};
use commonware_codec::DecodeExt;
use commonware_consensus::marshal;
use commonware_cryptography::{Signer, ed25519};
use commonware_p2p::{AddressableManager as _, authenticated::lookup};
use commonware_runtime::{Metrics, Quota, Runner, Spawner, tokio as cw_tokio};
use commonware_utils::{NZU32, ordered::Set};
use medshare_crypto::envelope::SecretKey;
use medshare_ledger::{CircuitKeys, Genesis, Machine, genesis::ValidatorInfo};
use medshare_storage::{PeerConfig, StoragePeer};
use medshare_zk::{CircuitId, VerifyingKey};
use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};
use tracing::{error, info};

/// Channels of the p2p network.
pub mod channel {
    pub const VOTES: u64 = 0;
    pub const CERTIFICATES: u64 = 1;
    pub const RESOLVER: u64 = 2;
    pub const BROADCAST: u64 = 3;
    pub const MARSHAL: u64 = 4;
    pub const TRANSACTIONS: u64 = 5;
}

const MAX_MESSAGE_SIZE: u32 = 8 * 1024 * 1024;
const P2P_NAMESPACE: &[u8] = b"medshare-p2p";

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("{0}")]
    Setup(String),
}

fn setup(message: impl Into<String>) -> RunError {
    RunError::Setup(message.into())
}

/// Reads a validator key file: 32 bytes of hex.
pub fn read_signer(path: &Path) -> Result<ed25519::PrivateKey, RunError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| setup(format!("cannot read key file {}: {e}", path.display())))?;
    let bytes =
        hex::decode(text.trim()).map_err(|_| setup(format!("{} is not hex", path.display())))?;
    ed25519::PrivateKey::decode(bytes.as_slice())
        .map_err(|_| setup(format!("{} is not an ed25519 private key", path.display())))
}

/// Reads a storage peer key file: an HPKE secret key in its text form (`mssk1…`).
pub fn read_storage_key(path: &Path) -> Result<SecretKey, RunError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        setup(format!(
            "cannot read storage key file {}: {e}",
            path.display()
        ))
    })?;
    SecretKey::from_text(text.trim()).map_err(|e| setup(format!("{}: {e}", path.display())))
}

/// Opens this validator's storage peer, if genesis lists a storage key for it: its shards live
/// under the data directory and its release gate reads the chain's finalized state.
fn open_storage_peer(
    config: &NodeConfig,
    genesis: &Genesis,
    entry: &ValidatorInfo,
    chain: &Arc<Chain>,
) -> Result<Option<StoragePeer>, RunError> {
    let Some(listed) = entry.storage_key else {
        info!(
            validator = entry.name,
            "genesis lists no storage key for this validator: no storage peer"
        );
        return Ok(None);
    };
    let key = read_storage_key(&config.storage_key_file)?;
    if key.public_key() != listed {
        return Err(setup(format!(
            "{} holds the key {}, but genesis lists {listed} for {}",
            config.storage_key_file.display(),
            key.public_key(),
            entry.name
        )));
    }
    let peers = medshare_api::storage_peers(genesis)
        .map_err(|e| setup(format!("genesis storage peers: {e}")))?;
    let id = entry
        .name
        .parse()
        .map_err(|e| setup(format!("validator name as a storage peer id: {e}")))?;
    let peer = StoragePeer::open(
        PeerConfig {
            id,
            data_dir: config.data_dir.join("storage"),
            peers,
            max_shard_bytes: config.max_shard_bytes,
        },
        key,
        Arc::new(ChainGate::new(chain.clone())),
    )
    .map_err(|e| setup(format!("storage peer: {e}")))?;
    Ok(Some(peer))
}

/// Loads the verifying keys and checks them against the digests genesis pins.
pub fn load_verifying_keys(genesis: &Genesis, dir: &Path) -> Result<CircuitKeys, RunError> {
    let load = |circuit: CircuitId| -> Result<_, RunError> {
        let expected = genesis.verifying_keys.get(circuit).ok_or_else(|| {
            setup(format!(
                "genesis pins no verifying key for the {circuit} circuit"
            ))
        })?;
        let path = dir.join(format!("{}.vk", circuit.name()));
        let key = VerifyingKey::read(&path)
            .map_err(|e| setup(format!("verifying key {}: {e}", path.display())))?;
        if key.circuit() != circuit {
            return Err(setup(format!(
                "{} holds the key of another circuit",
                path.display()
            )));
        }
        if hex::encode(key.digest()) != expected {
            return Err(setup(format!(
                "{} does not match the digest in genesis: refusing keys the consortium did not agree on",
                path.display()
            )));
        }
        Ok(key.prepare())
    };
    let keys = CircuitId::ALL
        .into_iter()
        .map(load)
        .collect::<Result<Vec<_>, _>>()?;
    CircuitKeys::new(keys).map_err(setup)
}

/// Starts the validator described by `config` and runs until the process is stopped.
pub fn run(config: NodeConfig) -> Result<(), RunError> {
    let genesis_text = std::fs::read_to_string(&config.genesis).map_err(|e| {
        setup(format!(
            "cannot read genesis {}: {e}",
            config.genesis.display()
        ))
    })?;
    let genesis = Genesis::from_json(&genesis_text).map_err(|e| setup(e.to_string()))?;
    let signer = read_signer(&config.key_file)?;
    let me = signer.public_key();
    let me_hex = hex::encode(me.as_ref());
    let Some(entry) = genesis
        .validators
        .iter()
        .find(|v| v.public_key == me_hex)
        .cloned()
    else {
        return Err(setup(format!(
            "this validator's key {me_hex} is not listed in genesis"
        )));
    };
    let keys = load_verifying_keys(&genesis, &config.keys_dir)?;
    let machine = Arc::new(Machine::new(genesis.params(), keys));
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| setup(format!("cannot create {}: {e}", config.data_dir.display())))?;
    let db =
        StateDb::open(&config.data_dir.join("state.redb")).map_err(|e| setup(e.to_string()))?;
    let params = ChainParams {
        max_block_txs: config.max_block_txs,
        block_timeout: Duration::from_millis(config.block_timeout_ms),
    };
    let workers = Workers::new(config.worker_count());
    let chain = Arc::new(
        Chain::open(
            &genesis,
            machine,
            db,
            params,
            workers,
            config.mempool_capacity,
        )
        .map_err(|e| setup(e.to_string()))?,
    );
    let peers: Vec<(ed25519::PublicKey, SocketAddr)> = genesis
        .validators
        .iter()
        .map(|v| {
            let bytes = hex::decode(&v.public_key).expect("validated by genesis");
            let key = ed25519::PublicKey::decode(bytes.as_slice())
                .map_err(|_| setup(format!("validator {} has an invalid key", v.name)))?;
            Ok((key, v.p2p))
        })
        .collect::<Result<_, RunError>>()?;
    let participants = Set::from_iter_dedup(peers.iter().map(|(k, _)| k.clone()));
    let storage = open_storage_peer(&config, &genesis, &entry, &chain)?;
    let genesis = Arc::new(genesis);
    let keys_dir = config.keys_dir.clone();

    let runtime = cw_tokio::Config::new()
        .with_tcp_nodelay(Some(true))
        .with_worker_threads(2)
        .with_storage_directory(config.data_dir.join("consensus"))
        .with_catch_panics(false);
    let executor = cw_tokio::Runner::new(runtime);
    executor.start(|context| async move {
        // Listen where genesis says this validator is, not on every interface.
        let listen = entry.p2p;
        let p2p = lookup::Config::local(signer.clone(), P2P_NAMESPACE, listen, MAX_MESSAGE_SIZE);
        let (mut network, mut oracle) = lookup::Network::new(context.with_label("network"), p2p);
        let addresses: commonware_utils::ordered::Map<_, _> = peers
            .iter()
            .map(|(k, a)| (k.clone(), (*a).into()))
            .collect::<Vec<_>>()
            .try_into()
            .expect("validator keys are unique");
        oracle.track(0, addresses).await;

        let fast = Quota::per_second(NZU32!(10_000));
        let votes = network.register(channel::VOTES, fast, 1024);
        let certificates = network.register(channel::CERTIFICATES, fast, 1024);
        let resolver = network.register(channel::RESOLVER, fast, 1024);
        let broadcast = network.register(channel::BROADCAST, fast, 1024);
        let marshal_channel = network.register(channel::MARSHAL, fast, 1024);
        let transactions = network.register(
            channel::TRANSACTIONS,
            Quota::per_second(NZU32!(100_000)),
            16_384,
        );
        let network_handle = network.start();

        let engine = Engine::new(
            context.with_label("engine"),
            chain.clone(),
            engine::Config {
                blocker: oracle.clone(),
                provider: oracle.clone(),
                partition_prefix: "medshare".into(),
                freezer_table_initial_size: 2u32.pow(14),
                signer: signer.clone(),
                participants,
                mailbox_size: 16_384,
                deque_size: 16,
                timeouts: engine::Timeouts::default(),
                fetch_concurrent: 4,
            },
        )
        .await;
        let resolver_cfg = marshal::resolver::p2p::Config {
            public_key: me.clone(),
            peer_provider: oracle.clone(),
            blocker: oracle,
            mailbox_size: 16_384,
            initial: Duration::from_secs(1),
            timeout: Duration::from_secs(2),
            fetch_retry_timeout: Duration::from_millis(100),
            priority_requests: false,
            priority_responses: false,
        };
        let marshal_resolver =
            marshal::resolver::p2p::init(&context, resolver_cfg, marshal_channel);

        let api_state = ApiState {
            chain: chain.clone(),
            submitter: engine.submitter(),
            marshal: engine.marshal(),
            genesis,
            keys_dir,
            runtime_metrics: {
                let context = context.clone();
                Arc::new(move || context.encode())
            },
        };
        let app = match storage {
            Some(peer) => api::router(api_state).merge(peer.router()),
            None => api::router(api_state),
        };
        let api_addr = entry.api;
        let api_handle = context.with_label("api").spawn(move |_| async move {
            let listener = match tokio::net::TcpListener::bind(api_addr).await {
                Ok(listener) => listener,
                Err(e) => {
                    error!(%api_addr, %e, "cannot bind the API");
                    return;
                }
            };
            info!(%api_addr, "API listening");
            if let Err(e) = axum::serve(listener, app).await {
                error!(%e, "API stopped");
            }
        });
        info!(validator = entry.name, key = me_hex, "validator started");
        let engine_handle = engine.start(
            votes,
            certificates,
            resolver,
            broadcast,
            marshal_resolver,
            transactions,
        );
        if let Err(e) =
            futures::future::try_join_all(vec![network_handle, engine_handle, api_handle]).await
        {
            error!(?e, "validator stopped");
        }
    });
    Ok(())
}
