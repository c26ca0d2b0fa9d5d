//! `medshare bench tps`: seed 000's throughput experiment (§VI.A, Tables IV and VI) on a local
//! consortium of real validator processes.
//!
//! The method is the paper's: all requests are released at once and the throughput ceiling is
//! the number finalized over the time from release to the last finalization. Every request is an
//! authorization carrying a real Groth16 proof and a real BBS04 group signature, generated ahead
//! of the timed window; every validator verifies every one (on admission, in batches, by its
//! workers). `--baseline` runs plain ed25519-signed notes instead: the no-privacy baseline of
//! Table VI.
//!
//! Proofs take about half a second each, so the requests are generated once per seed and kept in
//! `bench-results/cache/`. That needs a consortium that is the same every time: validator keys,
//! group keys and Groth16 keys all derive from the seed (so whoever knows the seed could forge
//! proofs — fine for a benchmark, never for a real chain), and the requests all authorize one
//! registered MDA, so the registration tree's root, which the proofs are made against, does not
//! depend on the order anything lands in.

use anyhow::{Context, Result, bail};
use commonware_codec::Encode;
use commonware_cryptography::{Signer, ed25519};
use medshare_crypto::{
    groupsig::{MemberRegistry, generate_group},
    merkle::CommitmentTree,
    poseidon::{Salt, SecretKey, alpha_from_data, registration_commitment},
};
use medshare_ledger::{
    GroupId, Transaction, VerifyingKeyDigests,
    genesis::{AuthorityInfo, Genesis, GenesisGroup, ValidatorInfo},
    ops,
};
use medshare_node::config::NodeConfig;
use medshare_zk::{CircuitId, ProvingKey, setup};
use rand::{RngCore, SeedableRng, rngs::StdRng};
use serde::Serialize;
use std::{
    collections::HashMap,
    io::Write as _,
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

#[derive(clap::Args, Clone)]
pub struct Args {
    /// Validators (the paper: 1 primary + 6 replicas).
    #[arg(long, default_value_t = 7)]
    validators: usize,
    /// Transactions per block; a comma-separated list sweeps (the paper: 4,8,16,32,64).
    #[arg(long, value_delimiter = ',', default_values_t = [16])]
    block_size: Vec<usize>,
    /// Verification workers per validator, 0 = one per core; a list sweeps (the paper:
    /// 1,2,4,6,8,10,12).
    #[arg(long, value_delimiter = ',', default_values_t = [0])]
    workers: Vec<usize>,
    /// Requests released at once (the paper: 8192).
    #[arg(long, default_value_t = 8192)]
    requests: usize,
    /// Repetitions of the ceiling run, each on a fresh consortium (the paper: 20).
    #[arg(long, default_value_t = 1)]
    repetitions: usize,
    /// Also run plain signed notes at each setting: the no-privacy baseline of Table VI.
    #[arg(long)]
    baseline: bool,
    /// Sending rate of the latency run as a fraction of the measured ceiling (the paper's
    /// "adaptive sending rate under the ceiling"); 0 skips it.
    #[arg(long, default_value_t = 0.5)]
    latency_load: f64,
    /// Seed of the benchmark consortium and its cached requests.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// First port of the consortium.
    #[arg(long, default_value_t = 7600)]
    port: u16,
    /// Concurrent HTTP submitters.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Print one JSON object per setting instead of the table.
    #[arg(long)]
    json: bool,
}

/// What the requests are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Authorizations with a Groth16 proof and a BBS04 group signature.
    Authorization,
    /// Plain ed25519-signed notes: the no-privacy baseline.
    Note,
}

/// One point of a sweep.
#[derive(Clone, Copy)]
struct Setting {
    block_size: usize,
    workers: usize,
}

/// Seed 000 Table IV (7 nodes, block size 16): workers, TPS, latency (s), CPU utilization.
const PAPER_TABLE_IV: [(usize, f64, f64, f64); 7] = [
    (1, 67.1573, 0.6296, 0.191),
    (2, 161.8195, 0.6212, 0.336),
    (4, 298.9398, 0.6194, 0.507),
    (6, 386.6623, 0.6322, 0.784),
    (8, 450.8449, 0.6247, 0.942),
    (10, 447.9366, 0.6096, 0.945),
    (12, 447.3179, 0.6469, 0.949),
];
/// Seed 000 Table VI (block size 16): the baseline's TPS, latency (s) and CPU utilization, and
/// the network overhead of the framework (Kb/s: primary in/out, replica in/out).
const PAPER_BASELINE: (f64, f64, f64) = (460.7, 0.04, 0.3403);
const PAPER_NETWORK: [f64; 4] = [1746.67, 1536.91, 1550.46, 3.54];

fn paper_row(setting: Setting) -> Option<(f64, f64, f64)> {
    if setting.block_size != 16 {
        return None;
    }
    PAPER_TABLE_IV
        .iter()
        .find(|row| row.0 == setting.workers)
        .map(|&(_, tps, latency, cpu)| (tps, latency * 1000.0, cpu))
}

fn results_dir() -> PathBuf {
    PathBuf::from("bench-results")
}

/// The benchmark consortium: everything derives from the seed.
struct Consortium {
    genesis: Genesis,
    signers: Vec<ed25519::PrivateKey>,
    keys_dir: PathBuf,
}

fn signer(seed: u64, index: u64) -> ed25519::PrivateKey {
    ed25519::PrivateKey::from_seed(seed.wrapping_mul(1_000_003).wrapping_add(index))
}

/// Groth16 keys from the seed, kept in the cache (the setup takes a few seconds).
fn proving_key(keys_dir: &Path, seed: u64, circuit: CircuitId) -> Result<ProvingKey> {
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
    fn new(args: &Args) -> Result<Self> {
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

/// The requests of one benchmark: what must be final first, then what is released at once.
struct Workload {
    setup: Vec<Transaction>,
    requests: Vec<Transaction>,
}

fn cache_path(args: &Args, kind: Kind) -> PathBuf {
    let kind = if kind == Kind::Note {
        "notes"
    } else {
        "authorizations"
    };
    results_dir()
        .join("cache")
        .join(format!("{kind}-{}-{}.txs", args.seed, args.requests))
}

fn write_txs(path: &Path, setup: &[Transaction], requests: &[Transaction]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut file = std::io::BufWriter::new(medshare_crypto::durable::PendingFile::create_in(dir)?);
    for list in [setup, requests] {
        file.write_all(&(list.len() as u32).to_le_bytes())?;
        for tx in list {
            let bytes = tx.encode();
            file.write_all(&(bytes.len() as u32).to_le_bytes())?;
            file.write_all(&bytes)?;
        }
    }
    file.into_inner()?.commit(path)?;
    Ok(())
}

fn read_txs(path: &Path) -> Result<Workload> {
    let bytes = std::fs::read(path)?;
    let mut at = 0usize;
    let mut take = |n: usize| -> Result<&[u8]> {
        let slice = bytes.get(at..at + n).context("truncated request cache")?;
        at += n;
        Ok(slice)
    };
    let mut lists = Vec::new();
    for _ in 0..2 {
        let count = u32::from_le_bytes(take(4)?.try_into()?) as usize;
        let mut list = Vec::with_capacity(count);
        for _ in 0..count {
            let len = u32::from_le_bytes(take(4)?.try_into()?) as usize;
            list.push(Transaction::from_bytes(take(len)?)?);
        }
        lists.push(list);
    }
    let requests = lists.pop().expect("two lists");
    let setup = lists.pop().expect("two lists");
    Ok(Workload { setup, requests })
}

/// Generates (or loads) the workload. Authorizations are proved on every core.
fn workload(args: &Args, kind: Kind, consortium: &Consortium) -> Result<Workload> {
    let path = cache_path(args, kind);
    if path.exists() {
        return read_txs(&path);
    }
    std::fs::create_dir_all(path.parent().expect("in a directory"))?;
    let chain_id = consortium.genesis.chain_id.clone();
    if kind == Kind::Note {
        // One author per note: strictly increasing nonces per author would make notes that
        // overtake each other in the burst stale.
        let requests = (0..args.requests)
            .map(|i| {
                let author = signer(args.seed, 5_000 + i as u64);
                Transaction::from(ops::note::note(&chain_id, &author, 1, vec![7u8; 420]))
            })
            .collect::<Vec<_>>();
        write_txs(&path, &[], &requests)?;
        return Ok(Workload {
            setup: Vec::new(),
            requests,
        });
    }
    let mut rng = StdRng::seed_from_u64(args.seed);
    let (group_key, issuing, _) = generate_group(&mut rng);
    let mut registry = MemberRegistry::new(&group_key);
    let member = registry.enroll(&issuing, &group_key, "bench-owner", &mut rng)?;
    let group = GroupId::new("bench").expect("valid");
    let owner = SecretKey::random(&mut rng);
    let salt = Salt::random(&mut rng);
    let alpha = alpha_from_data(format!("medshare bench MDA {}", args.seed).as_bytes());
    let registration = ops::mda::register(
        ops::mda::Registration {
            chain_id: &chain_id,
            group: group.clone(),
            alpha,
            sk: &owner,
            salt: &salt,
            manifest: vec![1u8; 36],
            member: &member,
            group_key: &group_key,
            proving_key: &proving_key(&consortium.keys_dir, args.seed, CircuitId::Registration)?,
        },
        &mut rng,
    )
    .map(Transaction::from)?;
    // The registration tree will hold exactly this leaf: its path and root are known now.
    let mut tree = CommitmentTree::new(1)?;
    tree.append(registration_commitment(alpha, owner.public_key(), &salt))?;
    let path_to_leaf = tree.path(0)?;
    let authorization_key = proving_key(&consortium.keys_dir, args.seed, CircuitId::Authorization)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let shards: Vec<Vec<Transaction>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (group, chain_id, member, group_key) =
                    (group.clone(), &chain_id, &member, &group_key);
                let (owner, salt, path, key, done) = (
                    &owner,
                    &salt,
                    &path_to_leaf,
                    &authorization_key,
                    done.clone(),
                );
                scope.spawn(move || -> Result<Vec<Transaction>> {
                    let mut rng = StdRng::seed_from_u64(args.seed.wrapping_add(1 + t as u64));
                    let mut txs = Vec::new();
                    for _ in (t..args.requests).step_by(threads) {
                        let mut envelope = vec![0u8; 420];
                        rng.fill_bytes(&mut envelope);
                        txs.push(
                            ops::mda::authorize(
                                ops::mda::Authorization {
                                    chain_id,
                                    group: group.clone(),
                                    alpha,
                                    sk: owner,
                                    salt,
                                    salt_auth: &Salt::random(&mut rng),
                                    pk_h: SecretKey::random(&mut rng).public_key(),
                                    path: path.clone(),
                                    envelope,
                                    member,
                                    group_key,
                                    proving_key: key,
                                },
                                &mut rng,
                            )
                            .map(Transaction::from)?,
                        );
                        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        if n % 256 == 0 {
                            eprintln!(
                                "  proved {n}/{} authorizations ({:.0} s)",
                                args.requests,
                                started.elapsed().as_secs_f64()
                            );
                        }
                    }
                    Ok(txs)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("prover thread"))
            .collect::<Result<_>>()
    })?;
    let requests: Vec<Transaction> = shards.into_iter().flatten().collect();
    write_txs(&path, std::slice::from_ref(&registration), &requests)?;
    Ok(Workload {
        setup: vec![registration],
        requests,
    })
}

/// A consortium of `medshare node` processes in a fresh directory.
struct Running {
    children: Vec<Child>,
    apis: Vec<String>,
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

fn launch(setting: Setting, consortium: &Consortium) -> Result<Running> {
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

/// CPU seconds (user + system) a process has used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = stat.rsplit(") ").next().unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<f64>().ok()))
        .sum();
    ticks / 100.0
}

/// What one run measured.
#[derive(Serialize, Clone)]
struct Run {
    tps: f64,
    latency_p50_ms: f64,
    latency_p99_ms: f64,
    /// CPU time of all validator processes over the run, as a share of the machine's cores.
    cpu_util: f64,
    /// Per validator, median over validators: consensus p2p traffic plus client requests in,
    /// p2p traffic out (kB/s, kB = 1000 bytes).
    net_in_kb_s: f64,
    net_out_kb_s: f64,
    /// Transactions the verification workers checked per finalized transaction, per validator:
    /// 1.0 when every validator checks every proof exactly once.
    checks_per_tx: f64,
    finalized: usize,
    rejected: usize,
    seconds: f64,
}

/// A validator's counters, read over its API.
#[derive(Clone, Copy, Default)]
struct Counters {
    p2p_in: f64,
    p2p_out: f64,
    checked: f64,
}

async fn counters(client: &reqwest::Client, api: &str) -> Counters {
    let mut counters = Counters::default();
    if let Ok(response) = client.get(format!("{api}/metrics")).send().await
        && let Ok(text) = response.text().await
    {
        for line in text.lines() {
            let mut parts = line.split_whitespace();
            let (Some(name), Some(value)) = (parts.next(), parts.next()) else {
                continue;
            };
            let value = value.parse().unwrap_or(0.0);
            match name {
                "runtime_inbound_bandwidth_total" => counters.p2p_in = value,
                "runtime_outbound_bandwidth_total" => counters.p2p_out = value,
                "medshare_proofs_verified_total" => counters.checked = value,
                _ => {}
            }
        }
    }
    counters
}

async fn status_height(client: &reqwest::Client, api: &str) -> Option<u64> {
    let value: serde_json::Value = client
        .get(format!("{api}/v1/status"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    value.get("height")?.as_u64()
}

async fn wait_final(client: &reqwest::Client, api: &str, id: &str, limit: Duration) -> Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(response) = client
            .get(format!("{api}/v1/transactions/{id}"))
            .send()
            .await
            && let Ok(value) = response.json::<serde_json::Value>().await
        {
            match value.get("status").and_then(|s| s.as_str()) {
                Some("final") => return Ok(()),
                Some("rejected") => bail!("setup transaction rejected: {value}"),
                _ => {}
            }
        }
        if Instant::now() > deadline {
            bail!("setup transaction not final after {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Posts one transaction, already encoded.
async fn submit(client: &reqwest::Client, api: &str, encoded: bytes::Bytes) -> Result<()> {
    let response = client
        .post(format!("{api}/v1/transactions"))
        .header("content-type", "application/octet-stream")
        .body(encoded)
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("{}", response.text().await.unwrap_or_default());
    }
    Ok(())
}

/// Sends the first `count` requests — all at once, or `rate` per second — round-robin over the
/// validators, and follows finalized blocks on validator 0 until all are final or rejected.
async fn measure(
    args: &Args,
    running: &Running,
    work: &Workload,
    count: usize,
    rate: Option<f64>,
) -> Result<Run> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .build()?;
    let api0 = running.apis[0].clone();
    // Wait for the consortium to finalize, then put the setup transactions on chain.
    let deadline = Instant::now() + Duration::from_secs(60);
    while status_height(&client, &api0).await.unwrap_or(0) < 2 {
        if Instant::now() > deadline {
            bail!(
                "the consortium did not start (see bench-results/cache/tps-*/validator-*/node.log)"
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Every validator must have executed the setup: each checks admissions against its own
    // finalized state.
    for tx in &work.setup {
        submit(&client, &api0, tx.encode().to_vec().into()).await?;
        for api in &running.apis {
            wait_final(&client, api, &hex::encode(tx.id()), Duration::from_secs(60)).await?;
        }
    }
    let requests = &work.requests[..count];
    // Encoded once, before the timed window.
    let bodies: Arc<Vec<bytes::Bytes>> = Arc::new(
        requests
            .iter()
            .map(|tx| tx.encode().to_vec().into())
            .collect(),
    );
    let pids: Vec<u32> = running.children.iter().map(Child::id).collect();
    let cpu_before: f64 = pids.iter().map(|&p| cpu_seconds(p)).sum();
    let mut before = Vec::new();
    for api in &running.apis {
        before.push(counters(&client, api).await);
    }
    let ids: HashMap<[u8; 32], usize> = requests
        .iter()
        .enumerate()
        .map(|(i, tx)| (tx.id(), i))
        .collect();
    let submitted_at = Arc::new(Mutex::new(vec![None::<Instant>; count]));
    let bytes_sent = Arc::new(Mutex::new(vec![0usize; running.apis.len()]));
    let rejected = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let queue = Arc::new(Mutex::new(
        (0..count).collect::<std::collections::VecDeque<_>>(),
    ));
    let release = Instant::now();
    for c in 0..args.clients {
        let (client, queue, bodies, submitted_at, bytes_sent, rejected) = (
            client.clone(),
            queue.clone(),
            bodies.clone(),
            submitted_at.clone(),
            bytes_sent.clone(),
            rejected.clone(),
        );
        let apis = running.apis.clone();
        tokio::spawn(async move {
            loop {
                let Some(i) = queue.lock().expect("queue").pop_front() else {
                    return;
                };
                if let Some(rate) = rate {
                    let due = release + Duration::from_secs_f64(i as f64 / rate);
                    tokio::time::sleep_until(due.into()).await;
                }
                let node = (i + c) % apis.len();
                submitted_at.lock().expect("times")[i] = Some(Instant::now());
                bytes_sent.lock().expect("bytes")[node] += bodies[i].len();
                if let Err(error) = submit(&client, &apis[node], bodies[i].clone()).await
                    && rejected.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 3
                {
                    eprintln!("  rejected: {error}");
                }
            }
        });
    }
    // Follow finalized blocks on validator 0.
    let mut final_at = vec![None::<Instant>; count];
    let mut finalized = 0usize;
    let mut next_height = status_height(&client, &api0).await.unwrap_or(0) + 1;
    let sending = rate.map_or(0.0, |rate| count as f64 / rate);
    let limit = Duration::from_secs_f64(120.0 + sending + count as f64 / 10.0);
    let mut last_final = release;
    while finalized + rejected.load(std::sync::atomic::Ordering::Relaxed) < count {
        let stalled = last_final.elapsed() > Duration::from_secs(30);
        if release.elapsed() > limit || (stalled && queue.lock().expect("queue").is_empty()) {
            eprintln!(
                "  stopping after {:.0} s: {finalized} of {count} final",
                release.elapsed().as_secs_f64()
            );
            break;
        }
        let tip = status_height(&client, &api0).await.unwrap_or(0);
        while next_height <= tip {
            let block: serde_json::Value = client
                .get(format!("{api0}/v1/blocks/{next_height}"))
                .send()
                .await?
                .json()
                .await?;
            let now = Instant::now();
            for tx in block["transactions"].as_array().into_iter().flatten() {
                let id: [u8; 32] = hex::decode(tx["id"].as_str().unwrap_or_default())?
                    .try_into()
                    .map_err(|_| anyhow::anyhow!("bad id"))?;
                if let Some(&i) = ids.get(&id)
                    && final_at[i].is_none()
                {
                    final_at[i] = Some(now);
                    finalized += 1;
                    last_final = now;
                }
            }
            next_height += 1;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let wall = last_final.duration_since(release).as_secs_f64().max(1e-9);
    let elapsed = release.elapsed().as_secs_f64();
    let cpu_after: f64 = pids.iter().map(|&p| cpu_seconds(p)).sum();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let sent = bytes_sent.lock().expect("bytes").clone();
    let (mut net_in, mut net_out, mut checks) = (Vec::new(), Vec::new(), Vec::new());
    for (node, api) in running.apis.iter().enumerate() {
        let after = counters(&client, api).await;
        let delta = |f: fn(&Counters) -> f64| f(&after) - f(&before[node]);
        net_in.push((delta(|c| c.p2p_in) + sent[node] as f64) / elapsed / 1000.0);
        net_out.push(delta(|c| c.p2p_out) / elapsed / 1000.0);
        checks.push(delta(|c| c.checked) / finalized.max(1) as f64);
    }
    let submitted = submitted_at.lock().expect("times").clone();
    let mut latencies: Vec<f64> = final_at
        .iter()
        .zip(&submitted)
        .filter_map(|(f, s)| Some(f.as_ref()?.duration_since(*s.as_ref()?).as_secs_f64() * 1000.0))
        .collect();
    latencies.sort_by(f64::total_cmp);
    let quantile = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    Ok(Run {
        tps: finalized as f64 / wall,
        latency_p50_ms: quantile(0.5),
        latency_p99_ms: quantile(0.99),
        cpu_util: (cpu_after - cpu_before) / (elapsed * cores),
        net_in_kb_s: median(net_in),
        net_out_kb_s: median(net_out),
        checks_per_tx: median(checks),
        finalized,
        rejected: rejected.load(std::sync::atomic::Ordering::Relaxed),
        seconds: wall,
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The ceiling (median of the repetitions) and the latency below it, for one kind at one setting.
#[derive(Serialize, Clone)]
struct Measured {
    tps: f64,
    /// At `latency_load` × the ceiling: what a user waits when the chain is not saturated.
    latency_p50_ms: f64,
    latency_p99_ms: f64,
    /// With every request released at once: queueing behind the whole burst.
    ceiling_latency_p50_ms: f64,
    cpu_util: f64,
    net_in_kb_s: f64,
    net_out_kb_s: f64,
    checks_per_tx: f64,
    runs: Vec<Run>,
    latency_run: Option<Run>,
}

fn print_run(label: &str, run: &Run) {
    eprintln!(
        "  {label}: {:.1} TPS, p50 {:.0} ms, p99 {:.0} ms, CPU {:.0}%, in/out {:.0}/{:.0} kB/s per node, {:.2} checks/tx, {} final, {} rejected",
        run.tps,
        run.latency_p50_ms,
        run.latency_p99_ms,
        100.0 * run.cpu_util,
        run.net_in_kb_s,
        run.net_out_kb_s,
        run.checks_per_tx,
        run.finalized,
        run.rejected
    );
}

fn measure_setting(
    args: &Args,
    setting: Setting,
    consortium: &Consortium,
    work: &Workload,
    runtime: &tokio::runtime::Runtime,
) -> Result<Measured> {
    let once = |count: usize, rate: Option<f64>| -> Result<Run> {
        let running = launch(setting, consortium)?;
        let result = runtime.block_on(measure(args, &running, work, count, rate));
        drop(running);
        result
    };
    let mut runs = Vec::new();
    for repetition in 0..args.repetitions {
        let run = once(work.requests.len(), None)?;
        print_run(&format!("ceiling run {}", repetition + 1), &run);
        runs.push(run);
    }
    let pick = |f: fn(&Run) -> f64| median(runs.iter().map(f).collect());
    let tps = pick(|r| r.tps);
    let latency_run = if args.latency_load > 0.0 && tps > 0.0 {
        let rate = args.latency_load * tps;
        // About 15 seconds of traffic: long enough for a steady state.
        let count = ((rate * 15.0) as usize).clamp(50, work.requests.len());
        let run = once(count, Some(rate))?;
        print_run(&format!("latency run at {rate:.0} requests/s"), &run);
        Some(run)
    } else {
        None
    };
    let ceiling_p50 = pick(|r| r.latency_p50_ms);
    let ceiling_p99 = pick(|r| r.latency_p99_ms);
    Ok(Measured {
        tps,
        latency_p50_ms: latency_run
            .as_ref()
            .map_or(ceiling_p50, |r| r.latency_p50_ms),
        latency_p99_ms: latency_run
            .as_ref()
            .map_or(ceiling_p99, |r| r.latency_p99_ms),
        ceiling_latency_p50_ms: ceiling_p50,
        cpu_util: pick(|r| r.cpu_util),
        net_in_kb_s: pick(|r| r.net_in_kb_s),
        net_out_kb_s: pick(|r| r.net_out_kb_s),
        checks_per_tx: pick(|r| r.checks_per_tx),
        runs,
        latency_run,
    })
}

/// One setting's results: authorizations, and the baseline when asked for.
struct Outcome {
    setting: Setting,
    proofs: Measured,
    baseline: Option<Measured>,
}

impl Outcome {
    fn json(&self, args: &Args) -> serde_json::Value {
        let mut value = serde_json::json!({
            "validators": args.validators,
            "block_size": self.setting.block_size,
            "workers": self.setting.workers,
            "requests": args.requests,
            "tps": self.proofs.tps,
            "latency_p50_ms": self.proofs.latency_p50_ms,
            "latency_p99_ms": self.proofs.latency_p99_ms,
            "ceiling_latency_p50_ms": self.proofs.ceiling_latency_p50_ms,
            "cpu_util": self.proofs.cpu_util,
            "net_in_kb_s": self.proofs.net_in_kb_s,
            "net_out_kb_s": self.proofs.net_out_kb_s,
            "checks_per_tx": self.proofs.checks_per_tx,
            "baseline_tps": self.baseline.as_ref().map(|b| b.tps),
            "proofs": self.proofs,
            "baseline": self.baseline,
        });
        if let Some((tps, latency_ms, cpu)) = paper_row(self.setting) {
            value["paper"] =
                serde_json::json!({"tps": tps, "latency_ms": latency_ms, "cpu_util": cpu});
        }
        value
    }
}

pub fn run(args: Args) -> Result<()> {
    if args.validators == 0 || args.requests == 0 {
        bail!("--validators and --requests must be at least 1");
    }
    if args.block_size.contains(&0) {
        bail!("--block-size must be at least 1");
    }
    if !(0.0..1.0).contains(&args.latency_load) {
        bail!("--latency-load is a fraction of the ceiling: at least 0, below 1");
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let consortium = Consortium::new(&args)?;
    let mut kinds = vec![Kind::Authorization];
    if args.baseline {
        kinds.push(Kind::Note);
    }
    let mut works = Vec::new();
    for &kind in &kinds {
        eprintln!(
            "preparing {} {} (cached in {})",
            args.requests,
            if kind == Kind::Note {
                "signed notes"
            } else {
                "authorizations with proofs"
            },
            cache_path(&args, kind).display()
        );
        works.push(workload(&args, kind, &consortium)?);
    }
    let runtime = tokio::runtime::Runtime::new()?;
    let dir = results_dir().join("tps");
    std::fs::create_dir_all(&dir)?;
    let mut outcomes = Vec::new();
    for &block_size in &args.block_size {
        for &workers in &args.workers {
            let setting = Setting {
                block_size,
                workers: if workers == 0 { cores } else { workers },
            };
            eprintln!(
                "{} validators, block size {block_size}, {} workers:",
                args.validators, setting.workers
            );
            let proofs = measure_setting(&args, setting, &consortium, &works[0], &runtime)?;
            let baseline = match works.get(1) {
                Some(notes) => {
                    eprintln!("  baseline (signed notes):");
                    Some(measure_setting(
                        &args,
                        setting,
                        &consortium,
                        notes,
                        &runtime,
                    )?)
                }
                None => None,
            };
            let outcome = Outcome {
                setting,
                proofs,
                baseline,
            };
            let json = outcome.json(&args);
            std::fs::write(
                dir.join(format!(
                    "v{}-b{block_size}-w{}.json",
                    args.validators, setting.workers
                )),
                serde_json::to_string_pretty(&json)?,
            )?;
            if args.json {
                println!("{json}");
            }
            outcomes.push(outcome);
        }
    }
    write_csv(&args, &outcomes, &dir)?;
    let plots = plot(&args, &outcomes, &dir)?;
    if !args.json {
        print_summary(&args, &outcomes);
        for path in plots {
            println!("plot: {}", path.display());
        }
        println!("results: {}", dir.display());
    }
    Ok(())
}

fn write_csv(args: &Args, outcomes: &[Outcome], dir: &Path) -> Result<()> {
    let mut csv = String::from(
        "validators,block_size,workers,kind,tps,latency_p50_ms,latency_p99_ms,ceiling_latency_p50_ms,cpu_util,net_in_kb_s,net_out_kb_s,checks_per_tx,paper_tps,paper_latency_ms,paper_cpu_util\n",
    );
    for outcome in outcomes {
        let paper = paper_row(outcome.setting);
        let rows = [
            ("authorization", Some(&outcome.proofs)),
            ("note", outcome.baseline.as_ref()),
        ];
        for (kind, measured) in rows {
            let Some(m) = measured else { continue };
            let paper = match (kind, paper) {
                ("authorization", Some((t, l, c))) => format!("{t},{l},{c}"),
                ("note", _) if outcome.setting.block_size == 16 => {
                    let (t, l, c) = PAPER_BASELINE;
                    format!("{t},{},{c}", l * 1000.0)
                }
                _ => ",,".into(),
            };
            csv.push_str(&format!(
                "{},{},{},{kind},{:.2},{:.1},{:.1},{:.1},{:.4},{:.1},{:.1},{:.3},{paper}\n",
                args.validators,
                outcome.setting.block_size,
                outcome.setting.workers,
                m.tps,
                m.latency_p50_ms,
                m.latency_p99_ms,
                m.ceiling_latency_p50_ms,
                m.cpu_util,
                m.net_in_kb_s,
                m.net_out_kb_s,
                m.checks_per_tx
            ));
        }
    }
    let list = |values: &[usize]| {
        values
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("_")
    };
    let mut workers: Vec<usize> = outcomes.iter().map(|o| o.setting.workers).collect();
    workers.sort_unstable();
    workers.dedup();
    let name = format!(
        "sweep-v{}-b{}-w{}.csv",
        args.validators,
        list(&args.block_size),
        list(&workers)
    );
    std::fs::write(dir.join(name), csv)?;
    Ok(())
}

/// Table IV and Fig. 5 (by workers) and Fig. 4 (by block size), when the sweep spans them.
fn plot(args: &Args, outcomes: &[Outcome], dir: &Path) -> Result<Vec<PathBuf>> {
    use crate::plot::{Chart, Series, Stroke};
    let mut written = Vec::new();
    let title = |what: &str| format!("{what} — {} validators, this machine", args.validators);
    if args.workers.len() > 1 {
        for &block_size in &args.block_size {
            let at: Vec<&Outcome> = outcomes
                .iter()
                .filter(|o| o.setting.block_size == block_size)
                .collect();
            let by_workers = |f: fn(&Measured) -> f64| -> Vec<(f64, f64)> {
                at.iter()
                    .map(|o| (o.setting.workers as f64, f(&o.proofs)))
                    .collect()
            };
            let mut tps = vec![Series::new(
                "medshare",
                by_workers(|m| m.tps),
                Stroke::Solid,
            )];
            let mut cpu = vec![Series::new(
                "medshare",
                by_workers(|m| 100.0 * m.cpu_util),
                Stroke::Solid,
            )];
            if block_size == 16 {
                let paper = |f: fn(&(usize, f64, f64, f64)) -> f64| {
                    PAPER_TABLE_IV.iter().map(|r| (r.0 as f64, f(r))).collect()
                };
                tps.push(Series::new(
                    "seed 000 Table IV",
                    paper(|r| r.1),
                    Stroke::Dashed,
                ));
                cpu.push(Series::new(
                    "seed 000 Table IV",
                    paper(|r| 100.0 * r.3),
                    Stroke::Dashed,
                ));
            }
            let bandwidth = vec![
                Series::new(
                    "in (kB/s per node)",
                    by_workers(|m| m.net_in_kb_s),
                    Stroke::Solid,
                ),
                Series::new(
                    "out (kB/s per node)",
                    by_workers(|m| m.net_out_kb_s),
                    Stroke::Dashed,
                ),
            ];
            let charts = [
                ("table4-tps", "Throughput by workers (Table IV)", "TPS", tps),
                (
                    "table4-cpu",
                    "CPU utilization by workers (Table IV)",
                    "CPU %",
                    cpu,
                ),
                (
                    "fig5-bandwidth",
                    "Network per node by workers (Fig. 5)",
                    "kB/s",
                    bandwidth,
                ),
            ];
            for (name, what, y_label, series) in charts {
                let chart = Chart {
                    title: &title(&format!("{what}, block size {block_size}")),
                    x_label: "workers per validator",
                    y_label,
                    series,
                };
                written.push(chart.write(dir, &format!("{name}-b{block_size}"))?);
            }
        }
    }
    if args.block_size.len() > 1 {
        let mut workers: Vec<usize> = outcomes.iter().map(|o| o.setting.workers).collect();
        workers.sort_unstable();
        workers.dedup();
        let by_size = |f: fn(&Measured) -> f64| -> Vec<Series> {
            workers
                .iter()
                .map(|&w| {
                    let points = outcomes
                        .iter()
                        .filter(|o| o.setting.workers == w)
                        .map(|o| (o.setting.block_size as f64, f(&o.proofs)))
                        .collect();
                    Series::new(format!("{w} workers"), points, Stroke::Solid)
                })
                .collect()
        };
        let charts = [
            (
                "fig4-tps",
                "Throughput ceiling by block size (Fig. 4)",
                "TPS",
                by_size(|m| m.tps),
            ),
            (
                "fig4-latency",
                "Latency p50 below the ceiling by block size (Fig. 4)",
                "ms",
                by_size(|m| m.latency_p50_ms),
            ),
        ];
        for (name, what, y_label, series) in charts {
            let chart = Chart {
                title: &title(what),
                x_label: "transactions per block",
                y_label,
                series,
            };
            written.push(chart.write(dir, name)?);
        }
    }
    Ok(written)
}

fn ratio(ours: f64, paper: f64) -> String {
    format!("{:.2}x", ours / paper)
}

fn print_summary(args: &Args, outcomes: &[Outcome]) {
    println!(
        "{} validators, {} requests released at once, {} repetition(s); latency at {:.0}% of the ceiling",
        args.validators,
        args.requests,
        args.repetitions,
        100.0 * args.latency_load
    );
    println!(
        "authorizations with proofs (paper: seed 000 Table IV, 7 VMs of 10 vCPUs, block size 16)"
    );
    println!(
        "{:>5} {:>7} | {:>7} {:>7} {:>6} | {:>7} {:>7} {:>6} {:>7} | {:>5} {:>5} | {:>13} {:>7}",
        "block",
        "workers",
        "TPS",
        "paper",
        "ratio",
        "p50 ms",
        "paper",
        "ratio",
        "p99 ms",
        "CPU%",
        "paper",
        "in/out kB/s",
        "checks"
    );
    for o in outcomes {
        let m = &o.proofs;
        let (paper_tps, paper_latency, paper_cpu, tps_ratio, latency_ratio) =
            match paper_row(o.setting) {
                Some((t, l, c)) => (
                    format!("{t:.1}"),
                    format!("{l:.0}"),
                    format!("{:.0}", 100.0 * c),
                    ratio(m.tps, t),
                    ratio(l, m.latency_p50_ms),
                ),
                None => ("-".into(), "-".into(), "-".into(), "-".into(), "-".into()),
            };
        println!(
            "{:>5} {:>7} | {:>7.1} {:>7} {:>6} | {:>7.0} {:>7} {:>6} {:>7.0} | {:>5.0} {:>5} | {:>13} {:>7.2}",
            o.setting.block_size,
            o.setting.workers,
            m.tps,
            paper_tps,
            tps_ratio,
            m.latency_p50_ms,
            paper_latency,
            latency_ratio,
            m.latency_p99_ms,
            100.0 * m.cpu_util,
            paper_cpu,
            format!("{:.0}/{:.0}", m.net_in_kb_s, m.net_out_kb_s),
            m.checks_per_tx
        );
    }
    if outcomes.iter().any(|o| o.baseline.is_some()) {
        let (tps, latency, cpu) = PAPER_BASELINE;
        println!("Table VI: plain signed notes (baseline) against authorizations with proofs");
        println!(
            "{:>5} {:>7} | {:>9} {:>9} {:>11} | {:>9} {:>9} {:>11}",
            "block",
            "workers",
            "notes TPS",
            "proofs",
            "paper b/p",
            "notes p50",
            "proofs",
            "paper b/p"
        );
        for o in outcomes {
            let Some(b) = &o.baseline else { continue };
            println!(
                "{:>5} {:>7} | {:>9.1} {:>9.1} {:>11} | {:>9.0} {:>9.0} {:>11}",
                o.setting.block_size,
                o.setting.workers,
                b.tps,
                o.proofs.tps,
                format!("{tps:.0}/{:.0}", PAPER_TABLE_IV[4].1),
                b.latency_p50_ms,
                o.proofs.latency_p50_ms,
                format!(
                    "{:.0}/{:.0}",
                    latency * 1000.0,
                    PAPER_TABLE_IV[4].2 * 1000.0
                )
            );
            println!(
                "{:>15} CPU notes {:.0}% / proofs {:.0}% (paper {:.0}% / {:.0}%); in/out kB/s per node notes {:.0}/{:.0}, proofs {:.0}/{:.0} (paper, Kb/s: primary {:.0}/{:.0}, replica {:.0}/{:.0})",
                "",
                100.0 * b.cpu_util,
                100.0 * o.proofs.cpu_util,
                100.0 * cpu,
                100.0 * PAPER_TABLE_IV[4].3,
                b.net_in_kb_s,
                b.net_out_kb_s,
                o.proofs.net_in_kb_s,
                o.proofs.net_out_kb_s,
                PAPER_NETWORK[0],
                PAPER_NETWORK[1],
                PAPER_NETWORK[2],
                PAPER_NETWORK[3]
            );
        }
    }
}
