//! `medshare node` and `medshare devnet`: one validator, or a whole local consortium on loopback.
//!
//! The devnet generates everything a consortium agrees on before block 1 — validator keys, a
//! group authority, the Groth16 keys of the three circuits — writes a genesis file naming them,
//! and starts one OS process per validator, each with its own data directory. Run it again on the
//! same directory and the same consortium resumes from disk.

use anyhow::{Context as _, bail};
use clap::Args;
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
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

#[derive(Args)]
pub struct NodeArgs {
    /// The validator's configuration file.
    #[arg(long)]
    config: PathBuf,
}

pub fn node(args: NodeArgs) -> anyhow::Result<()> {
    let config = NodeConfig::load(&args.config)?;
    init_logging(&config.log_level);
    medshare_node::run::run(config)?;
    Ok(())
}

fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

#[derive(Args)]
pub struct DevnetArgs {
    /// Number of validators (3f+1 tolerates f faults: 4 tolerate 1, 7 tolerate 2).
    #[arg(long, default_value_t = 4)]
    validators: usize,
    /// Where the consortium lives; an existing devnet there is resumed.
    #[arg(long, default_value = ".medshare-devnet")]
    dir: PathBuf,
    /// Delete an existing devnet in `--dir` first.
    #[arg(long)]
    fresh: bool,
    /// First port; validator i uses `port + 2i` (p2p) and `port + 2i + 1` (API).
    #[arg(long, default_value_t = 7400)]
    port: u16,
    /// Verification workers per validator (0: one per core).
    #[arg(long, default_value_t = 0)]
    workers: usize,
    /// Most transactions per block.
    #[arg(long, default_value_t = 64)]
    block_size: usize,
    /// Create the devnet and exit without starting it.
    #[arg(long)]
    no_start: bool,
}

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
    for p in port..last_port as u16 {
        if !port_is_free(p) {
            bail!("port {p} is in use; choose another --port or stop what uses it");
        }
    }
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

/// Copy-paste commands that walk through seed 000's story on this devnet.
fn print_try(layout: &Layout, genesis: &Genesis) {
    let api = &genesis.validators[0].api;
    let root = layout.root.display();
    let me = std::env::current_exe()
        .ok()
        .and_then(|p| p.to_str().map(String::from))
        .unwrap_or_else(|| "medshare".into());
    println!(
        "Try, in another terminal (each actor has its own --home; passphrases from the variable):"
    );
    println!("  export MEDSHARE_NODE=http://{api} MEDSHARE_PASSPHRASE=devnet");
    println!(
        "  M={me}; H=\"--home {root}/hospital\"; P=\"--home {root}/patient\"; R=\"--home {root}/researcher\""
    );
    println!("  $M keys create $H; $M keys create $P; $M keys create $R");
    println!("  $M group create st-marys --authority-key {root}/authority.key $H");
    println!(
        "  $M group enroll patient-1 --to \"$($M keys show --profile-only $P)\" --out {root}/patient-1.member.json $H"
    );
    println!("  $M group join {root}/patient-1.member.json $P");
    println!(
        "  $M mda register ../shared/data/dicom/CT_small.dcm --group st-marys $P      # prints α"
    );
    println!("  A=<α>; $M mda authorize $A --to \"$($M keys show --profile-only $R)\" $P");
    println!("  $M mda extract $A --out ct.dcm $R");
    println!("  $M mda audit $A; $M mda trace $A; $M mda trace $A --open $H");
    println!("  $M group revoke patient-1 $H; $M mda list $P; $M chain status");
    println!("Or the whole story on a fresh devnet of its own: $M demo");
    println!(
        "API docs: http://{api}/docs   OpenAPI: http://{api}/openapi.json   metrics: http://{api}/metrics"
    );
}

pub fn devnet(args: DevnetArgs) -> anyhow::Result<()> {
    let layout = Layout {
        root: args.dir.clone(),
    };
    if args.fresh && layout.root.exists() {
        std::fs::remove_dir_all(&layout.root)?;
    }
    let genesis = if layout.genesis().exists() {
        let text = std::fs::read_to_string(layout.genesis())?;
        let genesis = Genesis::from_json(&text)?;
        eprintln!(
            "resuming the devnet in {} ({} validators)",
            layout.root.display(),
            genesis.validators.len()
        );
        genesis
    } else {
        create(
            &layout,
            args.validators,
            args.port,
            args.workers,
            args.block_size,
        )?
    };
    if args.no_start {
        println!("devnet created in {}", layout.root.display());
        return Ok(());
    }
    let mut children = start(&layout, genesis.validators.len())?;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst))?;
    }
    println!(
        "medshare devnet {} — {} validators",
        genesis.chain_id,
        genesis.validators.len()
    );
    for v in &genesis.validators {
        println!("  {:<12} api http://{}   p2p {}", v.name, v.api, v.p2p);
    }
    println!("  logs: {}/validator-*/node.log", layout.root.display());
    println!();
    print_try(&layout, &genesis);
    println!("Stop with Ctrl-C; run the same command again to resume.");
    while !stop.load(Ordering::SeqCst) {
        for (index, child) in children.iter_mut().enumerate() {
            if let Some(status) = child.try_wait()? {
                eprintln!("validator-{index} exited ({status}); see its node.log");
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    for child in &mut children {
        let _ = child.kill();
        let _ = child.wait();
    }
    Ok(())
}
