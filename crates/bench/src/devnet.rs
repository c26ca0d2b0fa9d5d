//! A local devnet on disk: its directory layout, its creation (keys, Groth16 setup, genesis, one
//! config per validator) and the launch of one `medshare node` process per validator. Used by
//! `medshare devnet`, `medshare demo` and the end-to-end benchmarks.

use anyhow::{Context as _, bail};
use commonware_codec::{DecodeExt, Encode};
use commonware_cryptography::{Signer, ed25519};
use medshare_ledger::{
    VerifyingKeyDigests,
    genesis::{AuthorityInfo, Genesis, ValidatorInfo},
};
use medshare_node::config::NodeConfig;
use medshare_zk::{CircuitId, setup};
use rand::{RngCore, rngs::OsRng};
use std::{
    net::{Ipv4Addr, SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{SystemTime, UNIX_EPOCH},
};

/// Files of a devnet directory.
pub struct Layout {
    pub root: PathBuf,
}

impl Layout {
    pub fn genesis(&self) -> PathBuf {
        self.root.join("genesis.json")
    }
    pub fn keys(&self) -> PathBuf {
        self.root.join("keys")
    }
    pub fn authority_key(&self) -> PathBuf {
        self.root.join("authority.key")
    }
    pub fn validator(&self, index: usize) -> PathBuf {
        self.root.join(format!("validator-{index}"))
    }
    pub fn config(&self, index: usize) -> PathBuf {
        self.validator(index).join("node.toml")
    }
}

fn write_secret(path: &Path, text: &str) -> anyhow::Result<()> {
    medshare_crypto::durable::create_private(path, text.as_bytes())
        .with_context(|| format!("cannot create {}", path.display()))
}

/// A fresh ed25519 key from the OS RNG (the encoding of a private key is its 32-byte seed).
pub fn random_signer() -> ed25519::PrivateKey {
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(seed.as_mut());
    ed25519::PrivateKey::decode(seed.as_slice()).expect("any 32 bytes are an ed25519 seed")
}

fn port_is_free(port: u16) -> bool {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
}

/// Fails at once, naming the first of `ports` that another process holds.
pub fn ensure_free(ports: impl IntoIterator<Item = u16>) -> anyhow::Result<()> {
    for port in ports {
        if !port_is_free(port) {
            bail!("port {port} is in use by another process; pass --port");
        }
    }
    Ok(())
}

/// A first port with `count` consecutive ports free on loopback right now, between 20000 and
/// 40000: below Linux's ephemeral range, so outgoing connections do not take them meanwhile.
/// The search starts at a place given by the process id, so concurrent runs look apart.
pub fn free_ports(count: u16) -> anyhow::Result<u16> {
    const LOW: u32 = 20_000;
    const SPAN: u32 = 20_000;
    let count = u32::from(count.max(1));
    anyhow::ensure!(count <= SPAN, "{count} ports are too many");
    let step = count.div_ceil(10) * 10;
    let slots = SPAN / step;
    let offset = std::process::id() % slots;
    (0..slots)
        .map(|i| LOW + (offset + i) % slots * step)
        .find(|&base| (base..base + count).all(|p| port_is_free(p as u16)))
        .map(|base| base as u16)
        .with_context(|| {
            format!(
                "no {count} consecutive free ports between {LOW} and {}",
                LOW + SPAN
            )
        })
}

/// The first port of a devnet of `validators` (it uses two per validator): `port` if given, else
/// one with free ports.
pub fn port_or_free(port: Option<u16>, validators: usize) -> anyhow::Result<u16> {
    match port {
        Some(port) => Ok(port),
        None => free_ports(u16::try_from(2 * validators).context("too many validators")?),
    }
}

/// Creates a new devnet in `layout`: keys, Groth16 setup, genesis, one config per validator.
pub fn create(
    layout: &Layout,
    validators: usize,
    port: u16,
    workers: usize,
    block_size: usize,
) -> anyhow::Result<Genesis> {
    if validators == 0 {
        bail!("a consortium needs at least one validator (4 tolerate one fault)");
    }
    let last_port = port as usize + 2 * validators;
    if last_port > u16::MAX as usize {
        bail!("ports {port}..{last_port} do not fit; choose a lower --port");
    }
    ensure_free(port..last_port as u16)?;
    std::fs::create_dir_all(layout.keys())?;
    eprintln!("generating Groth16 keys for the four circuits (once per devnet)...");
    let mut digests = Vec::new();
    for circuit in CircuitId::ALL {
        let (proving, verifying) = setup(circuit, &mut OsRng)?;
        proving.write(layout.keys().join(format!("{}.pk", circuit.name())))?;
        verifying.write(layout.keys().join(format!("{}.vk", circuit.name())))?;
        digests.push(verifying);
    }
    let authority = random_signer();
    write_secret(&layout.authority_key(), &hex::encode(authority.encode()))?;
    let mut infos = Vec::new();
    for index in 0..validators {
        let dir = layout.validator(index);
        std::fs::create_dir_all(&dir)?;
        let signer = random_signer();
        write_secret(&dir.join("validator.key"), &hex::encode(signer.encode()))?;
        let storage_key = medshare_crypto::envelope::SecretKey::generate();
        write_secret(&dir.join("storage.key"), &storage_key.to_text())?;
        let p2p = port + 2 * index as u16;
        infos.push(ValidatorInfo {
            name: format!("validator-{index}"),
            public_key: hex::encode(signer.public_key().as_ref()),
            p2p: SocketAddr::from((Ipv4Addr::LOCALHOST, p2p)),
            api: SocketAddr::from((Ipv4Addr::LOCALHOST, p2p + 1)),
            storage_key: Some(storage_key.public_key()),
        });
        let config = NodeConfig {
            genesis: PathBuf::from("../genesis.json"),
            key_file: PathBuf::from("validator.key"),
            storage_key_file: PathBuf::from("storage.key"),
            keys_dir: PathBuf::from("../keys"),
            data_dir: PathBuf::from("data"),
            workers,
            max_block_txs: block_size,
            block_timeout_ms: 100,
            mempool_capacity: 50_000,
            max_shard_bytes: medshare_storage::peer::DEFAULT_MAX_SHARD_BYTES,
            log_level: "info".into(),
        };
        std::fs::write(dir.join("node.toml"), config.to_toml())?;
    }
    let mut id = [0u8; 4];
    OsRng.fill_bytes(&mut id);
    let genesis = Genesis {
        chain_id: format!("medshare-devnet-{}", hex::encode(id)),
        timestamp_ms: SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as u64,
        validators: infos,
        verifying_keys: VerifyingKeyDigests::of(&digests),
        authorities: vec![AuthorityInfo {
            name: "devnet-authority".into(),
            public_key: hex::encode(authority.public_key().as_ref()),
        }],
        groups: Vec::new(),
        benchmark_notes: false,
    };
    genesis.validate()?;
    std::fs::write(layout.genesis(), genesis.to_json())?;
    Ok(genesis)
}

/// Starts one `medshare node` process per validator; their logs go to `validator-i/node.log`.
pub fn start(layout: &Layout, validators: usize) -> anyhow::Result<Vec<Child>> {
    let exe = std::env::current_exe()?;
    let mut children = Vec::new();
    for index in 0..validators {
        let log = std::fs::File::create(layout.validator(index).join("node.log"))?;
        let child = Command::new(&exe)
            .arg("node")
            .arg("--config")
            .arg(layout.config(index))
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()
            .with_context(|| format!("cannot start validator-{index}"))?;
        children.push(child);
    }
    Ok(children)
}
