//! `node.toml`: what one validator needs to start.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// The genesis file every validator shares.
    pub genesis: PathBuf,
    /// This validator's ed25519 private key, hex, in a file only it can read.
    pub key_file: PathBuf,
    /// The HPKE secret key of this validator's storage peer (`mssk1…`), in a file only it can
    /// read; its public key is the validator's `storage_key` in genesis.
    #[serde(default = "default_storage_key_file")]
    pub storage_key_file: PathBuf,
    /// Groth16 key files (`registration.vk`, ...), checked against the digests in genesis. Proving
    /// keys found there (`registration.pk`, ...) are offered to clients at `/v1/keys/{circuit}`.
    pub keys_dir: PathBuf,
    /// Where the validator keeps its state, blocks and consensus journal.
    pub data_dir: PathBuf,
    /// Verification workers (seed 000's workers); 0 means one per core.
    #[serde(default)]
    pub workers: usize,
    /// Most transactions per block (seed 000 studies 4 to 64).
    #[serde(default = "default_block_size")]
    pub max_block_txs: usize,
    /// How long a leader waits to fill a block, in milliseconds.
    #[serde(default = "default_block_timeout_ms")]
    pub block_timeout_ms: u64,
    /// Transactions the mempool holds at most.
    #[serde(default = "default_mempool")]
    pub mempool_capacity: usize,
    /// Largest shard the storage peer accepts, in bytes.
    #[serde(default = "default_max_shard_bytes")]
    pub max_shard_bytes: u64,
    /// `error`, `warn`, `info`, `debug` or `trace`.
    #[serde(default = "default_log_level")]
    pub log_level: String,
}

fn default_block_size() -> usize {
    64
}
fn default_block_timeout_ms() -> u64 {
    100
}
fn default_mempool() -> usize {
    50_000
}
fn default_storage_key_file() -> PathBuf {
    PathBuf::from("storage.key")
}
fn default_max_shard_bytes() -> u64 {
    medshare_storage::peer::DEFAULT_MAX_SHARD_BYTES
}
fn default_log_level() -> String {
    "info".into()
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: {error}")]
    Parse { path: PathBuf, error: String },
    #[error("{0}")]
    Invalid(String),
}

impl NodeConfig {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_owned(),
            error,
        })?;
        let mut config: Self = toml::from_str(&text).map_err(|error| ConfigError::Parse {
            path: path.to_owned(),
            error: error.to_string(),
        })?;
        // Relative paths are relative to the config file.
        let base = path.parent().unwrap_or(Path::new("."));
        for field in [
            &mut config.genesis,
            &mut config.key_file,
            &mut config.storage_key_file,
            &mut config.keys_dir,
            &mut config.data_dir,
        ] {
            if field.is_relative() {
                *field = base.join(&*field);
            }
        }
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=medshare_ledger::block::MAX_BLOCK_TXS).contains(&self.max_block_txs) {
            return Err(ConfigError::Invalid(format!(
                "max_block_txs must be 1 to {}",
                medshare_ledger::block::MAX_BLOCK_TXS
            )));
        }
        if self.block_timeout_ms == 0 || self.block_timeout_ms > 900 {
            return Err(ConfigError::Invalid(
                "block_timeout_ms must be 1 to 900 (below the 1 s leader timeout)".into(),
            ));
        }
        Ok(())
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("config serializes")
    }

    /// Worker threads to start: the configured number, or one per core.
    pub fn worker_count(&self) -> usize {
        if self.workers > 0 {
            self.workers
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        }
    }
}
