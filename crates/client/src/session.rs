//! One connection to the consortium: a validator's API, the genesis it runs, the storage peers
//! genesis names, and the Groth16 proving keys (checked against the digests genesis pins).

use crate::{Error, NodeClient, Result};
use medshare_api::storage_peers;
use medshare_ledger::Genesis;
use medshare_storage::{Client as StorageClient, ClientOptions, PeerList};
use medshare_zk::{CircuitId, ProvingKey};
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

/// How long a command waits for its transaction to be final.
pub const FINALITY_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Session {
    pub node: NodeClient,
    pub genesis: Genesis,
    pub peers: PeerList,
    /// The user's medshare directory: keystore, cached proving keys.
    home: PathBuf,
    /// Where to read proving keys from instead of the node (e.g. a devnet's `keys/`).
    keys_dir: Option<PathBuf>,
    progress: bool,
    proving_keys: Mutex<HashMap<CircuitId, Arc<ProvingKey>>>,
}

impl Session {
    /// Connects to the node at `node_url` and reads its genesis.
    pub async fn connect(node_url: &str, home: &Path) -> Result<Self> {
        let node = NodeClient::new(node_url)?;
        let genesis = node.genesis().await?;
        let peers = storage_peers(&genesis).map_err(|e| {
            Error::Inconsistent(format!("genesis names no usable storage peers: {e}"))
        })?;
        Ok(Self {
            node,
            genesis,
            peers,
            home: home.to_owned(),
            keys_dir: None,
            progress: false,
            proving_keys: Mutex::default(),
        })
    }

    /// Reads proving keys from `dir` (`registration.pk`, …) instead of fetching them.
    pub fn with_keys_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.keys_dir = dir;
        self
    }

    /// Draws progress bars for uploads and downloads.
    pub fn with_progress(mut self, progress: bool) -> Self {
        self.progress = progress;
        self
    }

    pub fn chain_id(&self) -> &str {
        &self.genesis.chain_id
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    /// A storage client for the consortium's peers.
    pub fn storage(&self) -> Result<StorageClient> {
        Ok(StorageClient::new(
            self.peers.clone(),
            ClientOptions {
                progress: self.progress,
                ..ClientOptions::default()
            },
        )?)
    }

    fn expected_digest(&self, circuit: CircuitId) -> &str {
        // A validated genesis pins every circuit.
        self.genesis
            .verifying_keys
            .get(circuit)
            .expect("genesis pins every circuit")
    }

    /// The proving key of `circuit`: from `--keys-dir`, the home cache, or the node; refused
    /// unless its verifying key is the one genesis pins.
    pub async fn proving_key(&self, circuit: CircuitId) -> Result<Arc<ProvingKey>> {
        if let Some(key) = self.proving_keys.lock().expect("cache lock").get(&circuit) {
            return Ok(key.clone());
        }
        let expected = self.expected_digest(circuit).to_string();
        let cached = self
            .home
            .join("keys")
            .join(format!("{}-{expected}.pk", circuit.name()));
        let source = match &self.keys_dir {
            Some(dir) => Some(dir.join(format!("{}.pk", circuit.name()))),
            None => cached.exists().then(|| cached.clone()),
        };
        let bytes = match &source {
            Some(path) => tokio::fs::read(path).await.map_err(|e| {
                Error::Invalid(format!(
                    "cannot read the proving key {}: {e}",
                    path.display()
                ))
            })?,
            None => self.node.proving_key(circuit.name()).await?,
        };
        let key =
            tokio::task::spawn_blocking(move || ProvingKey::from_bytes(&bytes).map(|k| (k, bytes)))
                .await
                .map_err(|e| Error::Io(std::io::Error::other(e)))?;
        let (key, bytes) =
            key.map_err(|e| Error::Inconsistent(format!("{circuit} proving key: {e}")))?;
        if key.circuit() != circuit || hex::encode(key.verifying_key().digest()) != expected {
            return Err(Error::Inconsistent(format!(
                "the {circuit} proving key does not match the verifying key genesis pins"
            )));
        }
        if source.is_none() {
            // Best effort: a cache that cannot be written is fetched again next time.
            let _ = medshare_crypto::durable::write_private(&cached, &bytes);
        }
        let key = Arc::new(key);
        self.proving_keys
            .lock()
            .expect("cache lock")
            .insert(circuit, key.clone());
        Ok(key)
    }

    /// Waits until every storage peer's validator has applied `height`, so each can see a final
    /// extraction there; peers that do not answer are skipped (their shards are not needed).
    pub async fn wait_peers_at(&self, height: u64) -> Result<()> {
        let waits = self.peers.peers().iter().map(|peer| async move {
            let Ok(node) = NodeClient::new(&peer.url) else {
                return;
            };
            if let Err(error) = node.wait_height(height, Duration::from_secs(10)).await {
                tracing::warn!(peer = %peer.id, %error, "storage peer is behind");
            }
        });
        futures_util::future::join_all(waits).await;
        Ok(())
    }
}
