//! The benchmark consortium: validator, group and Groth16 keys and the genesis, all from the
//! seed; and its launch as one `medshare node` process per validator. Also the benchmark's
//! arguments and the kinds and settings it sweeps, which every other part reads.

use anyhow::Result;
use commonware_codec::Encode;
use commonware_cryptography::{Signer, ed25519};
use medshare_crypto::groupsig::generate_group;
use medshare_ledger::{
    GroupId, VerifyingKeyDigests,
    genesis::{AuthorityInfo, Genesis, GenesisGroup, ValidatorInfo},
};
use medshare_node::config::NodeConfig;
use medshare_zk::{CircuitId, ProvingKey, setup};
use rand::{SeedableRng, rngs::StdRng};
use std::{
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

#[derive(clap::Args, Clone)]
pub struct Args {
    /// Validators (the paper: 1 primary + 6 replicas).
    #[arg(long, default_value_t = 7)]
    pub(super) validators: usize,
    /// Transactions per block; a comma-separated list sweeps (the paper: 4,8,16,32,64).
    #[arg(long, value_delimiter = ',', default_values_t = [16])]
    pub(super) block_size: Vec<usize>,
    /// Verification workers per validator, 0 = one per core; a list sweeps (the paper:
    /// 1,2,4,6,8,10,12).
    #[arg(long, value_delimiter = ',', default_values_t = [0])]
    pub(super) workers: Vec<usize>,
    /// Requests released at once (the paper: 8192).
    #[arg(long, default_value_t = 8192)]
    pub(super) requests: usize,
    /// Repetitions of the ceiling run, each on a fresh consortium (the paper: 20).
    #[arg(long, default_value_t = 1)]
    pub(super) repetitions: usize,
    /// Also run plain signed notes at each setting: the no-privacy baseline of Table VI.
    #[arg(long)]
    pub(super) baseline: bool,
    /// Sending rate of the latency run as a fraction of the measured ceiling (the paper's
    /// "adaptive sending rate under the ceiling"); 0 skips it.
    #[arg(long, default_value_t = 0.5)]
    pub(super) latency_load: f64,
    /// Seed of the benchmark consortium and its cached requests.
    #[arg(long, default_value_t = 1)]
    pub(super) seed: u64,
    /// First port of the consortium.
    #[arg(long, default_value_t = 7600)]
    pub(super) port: u16,
    /// Concurrent HTTP submitters.
    #[arg(long, default_value_t = 64)]
    pub(super) clients: usize,
    /// Print one JSON object per setting instead of the table.
    #[arg(long)]
    pub(super) json: bool,
}

/// What the requests are.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Authorizations with a Groth16 proof and a BBS04 group signature.
    Authorization,
    /// Plain ed25519-signed notes: the no-privacy baseline.
    Note,
}

/// One point of a sweep.
#[derive(Clone, Copy)]
pub(super) struct Setting {
    pub(super) block_size: usize,
    pub(super) workers: usize,
}

pub(super) fn results_dir() -> PathBuf {
    PathBuf::from("bench-results")
}

/// The benchmark consortium: everything derives from the seed.
pub(super) struct Consortium {
    pub(super) genesis: Genesis,
    signers: Vec<ed25519::PrivateKey>,
    pub(super) keys_dir: PathBuf,
}

pub(super) fn signer(seed: u64, index: u64) -> ed25519::PrivateKey {
    ed25519::PrivateKey::from_seed(seed.wrapping_mul(1_000_003).wrapping_add(index))
}

/// Groth16 keys from the seed, kept in the cache (the setup takes a few seconds).
pub(super) fn proving_key(keys_dir: &Path, seed: u64, circuit: CircuitId) -> Result<ProvingKey> {
    let pk_path = keys_dir.join(format!("{}.pk", circuit.name()));
    let vk_path = keys_dir.join(format!("{}.vk", circuit.name()));
    if pk_path.exists() && vk_path.exists() {
        return Ok(ProvingKey::read(&pk_path)?);
    }
    std::fs::create_dir_all(keys_dir)?;
    let mut rng = StdRng::seed_from_u64(seed ^ (circuit as u64) << 32);
    let (pk, vk) = setup(circuit, &mut rng)?;
    pk.write(&pk_path)?;
    vk.write(&vk_path)?;
    Ok(pk)
}

impl Consortium {
    pub(super) fn new(args: &Args) -> Result<Self> {
        let keys_dir = results_dir()
            .join("cache")
            .join(format!("keys-{}", args.seed));
        let mut digests = Vec::new();
        for circuit in CircuitId::ALL {
            digests.push(proving_key(&keys_dir, args.seed, circuit)?.verifying_key());
        }
        let signers: Vec<_> = (0..args.validators as u64)
            .map(|i| signer(args.seed, i))
            .collect();
        let authority = signer(args.seed, 999_999);
        let (group_key, _, _) = generate_group(&mut StdRng::seed_from_u64(args.seed));
        let genesis = Genesis {
            chain_id: format!("medshare-bench-{}", args.seed),
            timestamp_ms: 1,
            validators: signers
                .iter()
                .enumerate()
                .map(|(i, s)| ValidatorInfo {
                    name: format!("validator-{i}"),
                    public_key: hex::encode(s.public_key().as_ref()),
                    p2p: SocketAddr::from((Ipv4Addr::LOCALHOST, args.port + 2 * i as u16)),
                    api: SocketAddr::from((Ipv4Addr::LOCALHOST, args.port + 2 * i as u16 + 1)),
                    // Consensus throughput only: no storage peers.
                    storage_key: None,
                })
                .collect(),
            verifying_keys: VerifyingKeyDigests::of(&digests),
            authorities: vec![AuthorityInfo {
                name: "bench-hospital".into(),
                public_key: hex::encode(authority.public_key().as_ref()),
            }],
            groups: vec![GenesisGroup {
                id: GroupId::new("bench").expect("valid"),
                authority: hex::encode(authority.public_key().as_ref()),
                public_key: hex::encode(group_key.to_bytes()),
            }],
            // The no-privacy baseline of seed 000 Table VI is measured with notes.
            benchmark_notes: true,
        };
        Ok(Self {
            genesis,
            signers,
            keys_dir,
        })
    }
}

/// A consortium of `medshare node` processes in a fresh directory.
pub(super) struct Running {
    pub(super) children: Vec<Child>,
    pub(super) apis: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Drop for Running {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub(super) fn launch(setting: Setting, consortium: &Consortium) -> Result<Running> {
    // Under the (ignored) cache: a run's consortium is scratch, removed when the run ends.
    let scratch = results_dir().join("cache");
    std::fs::create_dir_all(&scratch)?;
    let dir = tempfile::Builder::new()
        .prefix("tps-")
        .tempdir_in(scratch)?;
    std::fs::write(
        dir.path().join("genesis.json"),
        consortium.genesis.to_json(),
    )?;
    let exe = std::env::current_exe()?;
    let mut children = Vec::new();
    for (i, signer) in consortium.signers.iter().enumerate() {
        let node_dir = dir.path().join(format!("validator-{i}"));
        std::fs::create_dir_all(&node_dir)?;
        std::fs::write(node_dir.join("validator.key"), hex::encode(signer.encode()))?;
        let config = NodeConfig {
            genesis: dir.path().join("genesis.json"),
            key_file: node_dir.join("validator.key"),
            storage_key_file: node_dir.join("storage.key"),
            keys_dir: std::fs::canonicalize(&consortium.keys_dir)?,
            data_dir: node_dir.join("data"),
            workers: setting.workers,
            max_block_txs: setting.block_size,
            block_timeout_ms: 100,
            mempool_capacity: 50_000,
            max_shard_bytes: medshare_storage::peer::DEFAULT_MAX_SHARD_BYTES,
            log_level: "warn".into(),
        };
        std::fs::write(node_dir.join("node.toml"), config.to_toml())?;
        let log = std::fs::File::create(node_dir.join("node.log"))?;
        children.push(
            Command::new(&exe)
                .args(["node", "--config"])
                .arg(node_dir.join("node.toml"))
                .stdout(Stdio::from(log.try_clone()?))
                .stderr(Stdio::from(log))
                .spawn()?,
        );
    }
    let apis = consortium
        .genesis
        .validators
        .iter()
        .map(|v| format!("http://{}", v.api))
        .collect();
    Ok(Running {
        children,
        apis,
        _dir: dir,
    })
}
