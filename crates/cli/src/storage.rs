//! `medshare storage --config <toml>`: a standalone storage peer (seed 000 §III storage layer).
//!
//! `--print-key` prints the peer's public key (creating its key file on first use) for the peer
//! list. A consortium node mounts the same router itself, with a release gate read from finalized
//! chain state. A standalone peer has no chain to read: it releases only the extractions its
//! operator lists under `[[release]]`, and nothing if there are none.
//!
//! ```toml
//! id = "peer-0"
//! listen = "127.0.0.1:7100"
//! data_dir = "peer-0"            # relative paths are relative to this file
//! key_file = "peer-0.key"        # HPKE secret key, created on first start
//! # max_shard_bytes = 1073741824
//!
//! [[peers]]                      # the storage peers of genesis, this one included
//! id = "peer-0"
//! url = "http://127.0.0.1:7100"
//! key = "mspk1…"
//!
//! [[release]]                    # optional
//! alpha = "<64 hex digits>"
//! epk = "mspk1…"
//! manifest = "bafkrei…"
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use medshare_crypto::envelope::{PublicKey, SecretKey};
use medshare_storage::peer::DEFAULT_MAX_SHARD_BYTES;
use medshare_storage::{
    Alpha, ContentId, Peer, PeerConfig, PeerId, PeerList, StaticGate, StoragePeer,
};
use serde::Deserialize;

#[derive(clap::Args)]
pub struct Args {
    /// The peer's configuration file (TOML).
    #[arg(long)]
    config: PathBuf,
    /// Print the peer's public key (creating its key file if needed) and exit: the key to list
    /// for this peer in `[[peers]]`.
    #[arg(long)]
    print_key: bool,
}

/// The part of the configuration needed to find the key, read before the rest so that a new
/// peer can learn its public key before it is in the peer list.
#[derive(Deserialize)]
struct KeyFile {
    key_file: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    id: PeerId,
    listen: SocketAddr,
    data_dir: PathBuf,
    key_file: PathBuf,
    #[serde(default = "default_max_shard_bytes")]
    max_shard_bytes: u64,
    peers: Vec<Peer>,
    #[serde(default)]
    release: Vec<Release>,
}

fn default_max_shard_bytes() -> u64 {
    DEFAULT_MAX_SHARD_BYTES
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Release {
    alpha: Alpha,
    epk: PublicKey,
    manifest: ContentId,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let text = std::fs::read_to_string(&args.config)
        .with_context(|| format!("reading {}", args.config.display()))?;
    let parse_error = || format!("parsing {}", args.config.display());
    let base = args.config.parent().unwrap_or(Path::new("."));
    if args.print_key {
        let KeyFile { key_file } = toml::from_str(&text).with_context(parse_error)?;
        println!("{}", load_or_create_key(&base.join(key_file))?.public_key());
        return Ok(());
    }
    let config: Config = toml::from_str(&text).with_context(parse_error)?;
    let key = load_or_create_key(&base.join(&config.key_file))?;
    tracing::info!(peer = %config.id, public_key = %key.public_key(), "storage peer key");

    let public_key = key.public_key();
    let gate = StaticGate::new();
    for release in config.release {
        gate.release(release.alpha, release.epk, release.manifest);
    }
    let peer = StoragePeer::open(
        PeerConfig {
            id: config.id,
            data_dir: base.join(config.data_dir),
            peers: PeerList::new(config.peers)?,
            max_shard_bytes: config.max_shard_bytes,
        },
        key,
        Arc::new(gate),
    )
    .with_context(|| format!("this peer's public key is {public_key}"))?;

    tokio::runtime::Runtime::new()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listening on {}", config.listen))?;
        tracing::info!(peer = %peer.id(), listen = %config.listen, "storage peer serving");
        axum::serve(
            listener,
            peer.router().fallback(medshare_storage::peer::not_found),
        )
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        Ok(())
    })
}

/// Reads the peer's secret key, or creates it (readable by its owner only) on first start.
fn load_or_create_key(path: &Path) -> anyhow::Result<SecretKey> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            SecretKey::from_text(&text).with_context(|| format!("reading key {}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SecretKey::generate();
            medshare_crypto::durable::create_private(path, key.to_text().as_bytes())
                .with_context(|| format!("creating key {}", path.display()))?;
            tracing::info!(path = %path.display(), public_key = %key.public_key(),
                "created a storage peer key: list its public key for this peer in [[peers]]");
            Ok(key)
        }
        Err(e) => bail!("reading key {}: {e}", path.display()),
    }
}
