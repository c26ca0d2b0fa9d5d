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
    GroupId, Transaction, build,
    genesis::{AuthorityInfo, Genesis, GenesisGroup, ValidatorInfo, VerifyingKeyDigests},
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
    /// Transactions per block (the paper studies 4, 8, 16, 32, 64).
    #[arg(long, default_value_t = 16)]
    block_size: usize,
    /// Verification workers per validator (the paper: 1 to 12); 0 = one per core.
    #[arg(long, default_value_t = 0)]
    workers: usize,
    /// Requests released at once (the paper: 8192).
    #[arg(long, default_value_t = 8192)]
    requests: usize,
    /// Repetitions, each on a fresh consortium (the paper: 20).
    #[arg(long, default_value_t = 1)]
    repetitions: usize,
    /// Run plain signed notes instead of authorizations (Table VI baseline).
    #[arg(long)]
    baseline: bool,
    /// Seed of the benchmark consortium and its cached requests.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// First port of the consortium.
    #[arg(long, default_value_t = 7600)]
    port: u16,
    /// Concurrent HTTP submitters.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

/// Seed 000 Table IV (block size 16) and Table VI.
const PAPER_TPS_8_WORKERS: f64 = 450.8449;
const PAPER_LATENCY_S: f64 = 0.6247;
const PAPER_CPU: f64 = 0.942;
const PAPER_BASELINE_TPS: f64 = 460.7;

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
            digests.push(hex::encode(
                proving_key(&keys_dir, args.seed, circuit)?
                    .verifying_key()
                    .digest(),
            ));
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
            verifying_keys: VerifyingKeyDigests {
                registration: digests[0].clone(),
                authorization: digests[1].clone(),
                extraction: digests[2].clone(),
                withdrawal: digests[3].clone(),
            },
            authorities: vec![AuthorityInfo {
                name: "bench-hospital".into(),
                public_key: hex::encode(authority.public_key().as_ref()),
            }],
            groups: vec![GenesisGroup {
                id: GroupId::new("bench").expect("valid"),
                authority: hex::encode(authority.public_key().as_ref()),
                public_key: hex::encode(group_key.to_bytes()),
            }],
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

fn cache_path(args: &Args) -> PathBuf {
    let kind = if args.baseline {
        "notes"
    } else {
        "authorizations"
    };
    results_dir()
        .join("cache")
        .join(format!("{kind}-{}-{}.txs", args.seed, args.requests))
}

fn write_txs(path: &Path, setup: &[Transaction], requests: &[Transaction]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
    for list in [setup, requests] {
        file.write_all(&(list.len() as u32).to_le_bytes())?;
        for tx in list {
            let bytes = tx.encode();
            file.write_all(&(bytes.len() as u32).to_le_bytes())?;
            file.write_all(&bytes)?;
        }
    }
    file.into_inner()?.sync_all()?;
    std::fs::rename(tmp, path)?;
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
fn workload(args: &Args, consortium: &Consortium) -> Result<Workload> {
    let path = cache_path(args);
    if path.exists() {
        return read_txs(&path);
    }
    std::fs::create_dir_all(path.parent().expect("in a directory"))?;
    let chain_id = consortium.genesis.chain_id.clone();
    if args.baseline {
        let authors: Vec<_> = (0..64).map(|i| signer(args.seed, 5_000 + i)).collect();
        let requests = (0..args.requests)
            .map(|i| {
                let author = &authors[i % authors.len()];
                build::note(
                    &chain_id,
                    author,
                    (i / authors.len()) as u64 + 1,
                    vec![7u8; 420],
                )
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
    let registration = build::register(
        build::Registration {
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
    )?;
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
                        txs.push(build::authorize(
                            build::Authorization {
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
                        )?);
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

fn launch(args: &Args, consortium: &Consortium) -> Result<Running> {
    std::fs::create_dir_all(results_dir())?;
    let dir = tempfile::Builder::new()
        .prefix("tps-")
        .tempdir_in(results_dir())?;
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
            workers: args.workers,
            max_block_txs: args.block_size,
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

#[derive(Serialize, Clone)]
struct Run {
    tps: f64,
    latency_p50_ms: f64,
    latency_p99_ms: f64,
    cpu_util: f64,
    finalized: usize,
    rejected: usize,
    seconds: f64,
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

async fn submit(client: &reqwest::Client, api: &str, tx: &Transaction) -> Result<()> {
    let response = client
        .post(format!("{api}/v1/transactions"))
        .header("content-type", "application/octet-stream")
        .body(tx.encode().to_vec())
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("{}", response.text().await.unwrap_or_default());
    }
    Ok(())
}

async fn measure(args: &Args, running: &Running, work: &Workload) -> Result<Run> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .build()?;
    let api0 = running.apis[0].clone();
    // Wait for the consortium to finalize, then put the setup transactions on chain.
    let deadline = Instant::now() + Duration::from_secs(60);
    while status_height(&client, &api0).await.unwrap_or(0) < 2 {
        if Instant::now() > deadline {
            bail!("the consortium did not start (see bench-results/tps-*/validator-*/node.log)");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for tx in &work.setup {
        submit(&client, &api0, tx).await?;
        wait_final(
            &client,
            &api0,
            &hex::encode(tx.id()),
            Duration::from_secs(60),
        )
        .await?;
    }
    let pids: Vec<u32> = running.children.iter().map(Child::id).collect();
    let cpu_before: f64 = pids.iter().map(|&p| cpu_seconds(p)).sum();
    let ids: HashMap<[u8; 32], usize> = work
        .requests
        .iter()
        .enumerate()
        .map(|(i, tx)| (tx.id(), i))
        .collect();
    let submitted_at = Arc::new(Mutex::new(vec![None::<Instant>; work.requests.len()]));
    let rejected = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let queue = Arc::new(Mutex::new((0..work.requests.len()).collect::<Vec<_>>()));
    let requests = Arc::new(work.requests.clone());
    let release = Instant::now();
    // Release everything at once from `clients` concurrent submitters, round-robin over
    // validators.
    for c in 0..args.clients {
        let (client, queue, requests, submitted_at, rejected) = (
            client.clone(),
            queue.clone(),
            requests.clone(),
            submitted_at.clone(),
            rejected.clone(),
        );
        let apis = running.apis.clone();
        tokio::spawn(async move {
            loop {
                let Some(i) = queue.lock().expect("queue").pop() else {
                    return;
                };
                submitted_at.lock().expect("times")[i] = Some(Instant::now());
                if let Err(error) = submit(&client, &apis[(i + c) % apis.len()], &requests[i]).await
                    && rejected.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 3
                {
                    eprintln!("  rejected: {error}");
                }
            }
        });
    }
    // Follow finalized blocks on validator 0.
    let mut final_at = vec![None::<Instant>; work.requests.len()];
    let mut finalized = 0usize;
    let mut next_height = status_height(&client, &api0).await.unwrap_or(0) + 1;
    let limit = Duration::from_secs(120 + work.requests.len() as u64 / 10);
    let mut last_final = release;
    while finalized + rejected.load(std::sync::atomic::Ordering::Relaxed) < work.requests.len() {
        if release.elapsed() > limit {
            eprintln!(
                "  stopping after {limit:?}: {finalized} of {} final",
                work.requests.len()
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
    let cpu_after: f64 = pids.iter().map(|&p| cpu_seconds(p)).sum();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
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
        cpu_util: (cpu_after - cpu_before) / (release.elapsed().as_secs_f64() * cores),
        finalized,
        rejected: rejected.load(std::sync::atomic::Ordering::Relaxed),
        seconds: wall,
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

pub fn run(args: Args) -> Result<()> {
    if args.validators == 0 || args.requests == 0 {
        bail!("--validators and --requests must be at least 1");
    }
    let consortium = Consortium::new(&args)?;
    eprintln!(
        "preparing {} {} (cached in {})",
        args.requests,
        if args.baseline {
            "notes"
        } else {
            "authorizations with proofs"
        },
        cache_path(&args).display()
    );
    let work = workload(&args, &consortium)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let mut runs = Vec::new();
    for repetition in 0..args.repetitions {
        let running = launch(&args, &consortium)?;
        let result = runtime.block_on(measure(&args, &running, &work));
        drop(running);
        let result = result?;
        eprintln!(
            "  run {}: {:.1} TPS, p50 {:.0} ms, p99 {:.0} ms, CPU {:.0}%, {} final, {} rejected",
            repetition + 1,
            result.tps,
            result.latency_p50_ms,
            result.latency_p99_ms,
            100.0 * result.cpu_util,
            result.finalized,
            result.rejected
        );
        runs.push(result);
    }
    let tps = median(runs.iter().map(|r| r.tps).collect());
    let p50 = median(runs.iter().map(|r| r.latency_p50_ms).collect());
    let p99 = median(runs.iter().map(|r| r.latency_p99_ms).collect());
    let cpu = median(runs.iter().map(|r| r.cpu_util).collect());
    let workers = if args.workers == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        args.workers
    };
    let summary = serde_json::json!({
        "validators": args.validators,
        "block_size": args.block_size,
        "workers": workers,
        "requests": args.requests,
        "kind": if args.baseline { "note" } else { "authorization" },
        "tps": tps,
        "latency_p50_ms": p50,
        "latency_p99_ms": p99,
        "cpu_util": cpu,
        "runs": runs,
    });
    std::fs::create_dir_all(results_dir().join("tps"))?;
    let name = format!(
        "{}-v{}-b{}-w{}.json",
        if args.baseline {
            "baseline"
        } else {
            "authorizations"
        },
        args.validators,
        args.block_size,
        workers
    );
    std::fs::write(
        results_dir().join("tps").join(name),
        serde_json::to_string_pretty(&summary)?,
    )?;
    if args.json {
        println!("{summary}");
        return Ok(());
    }
    let (paper_tps, what) = if args.baseline {
        (PAPER_BASELINE_TPS, "plain signed notes (Table VI baseline)")
    } else {
        (
            PAPER_TPS_8_WORKERS,
            "authorizations with proofs (Table IV, 8 workers)",
        )
    };
    println!(
        "{} validators, block size {}, {} workers, {} requests, {} run(s): {what}",
        args.validators, args.block_size, workers, args.requests, args.repetitions
    );
    println!(
        "{:<26} {:>12} {:>12} {:>8}",
        "", "medshare", "paper", "ratio"
    );
    println!(
        "{:<26} {:>12.1} {:>12.1} {:>7.2}x",
        "throughput (TPS)",
        tps,
        paper_tps,
        tps / paper_tps
    );
    println!(
        "{:<26} {:>12.0} {:>12.0} {:>7.2}x",
        "latency p50 (ms)",
        p50,
        PAPER_LATENCY_S * 1000.0,
        PAPER_LATENCY_S * 1000.0 / p50
    );
    println!("{:<26} {:>12.0} {:>12}", "latency p99 (ms)", p99, "-");
    println!(
        "{:<26} {:>11.0}% {:>11.1}%",
        "CPU utilization",
        100.0 * cpu,
        100.0 * PAPER_CPU
    );
    Ok(())
}
