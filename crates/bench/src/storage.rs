//! `medshare bench storage`: throughput of the storage pipeline on one core.
//!
//! - encode: hash the data into α, seal it in 1 MiB segments (XChaCha20-Poly1305), Reed-Solomon
//!   every sealed segment into k + m pieces and hash every shard into its CID;
//! - decode: rebuild every stripe from k shards, decrypt, and check α — with m data shards lost,
//!   so Reed-Solomon decoding does real work (`decode_mb_s`), and from the k data shards, which
//!   is what a download normally does (`decode_intact_mb_s`).
//!
//! `encode_mb_s` and `decode_mb_s` run memory to memory: they measure the computation, which is
//! what one core bounds. `encode_file_mb_s` and `decode_file_mb_s` run the same code from and to
//! files (page cache), as the client does: they add the file system's cost of writing 1.5× (encode)
//! or 1× (decode) the data to fresh files, which on this VM is a large share.
//!
//! Everything runs on the calling thread. Every figure is given by CPU time (what one core
//! delivers; the `_mb_s` keys) and by wall-clock time (`_wall_mb_s`), since the machine is shared
//! and wall time there also counts other processes. MB = 10^6 bytes. Seed 000 gives no storage figure (it
//! stores slices with go-ipfs and measures proofs and TPS), so there is no paper column.
//!
//! Then, on a fresh 4-validator devnet (one process per validator, as `medshare devnet` runs
//! them), the whole flow per size (1, 10, 100 MiB): register (encode, prove, upload, final),
//! authorize (prove, final), and extract — `extract_<n>mib_ms`: from the data user's command to
//! the verified file: open the envelope, prove the extraction, wait until it is final, fetch k
//! shards sealed to the ephemeral key, rebuild, decrypt, check `SHA-256(S) = α`, write.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use indicatif::ProgressBar;
use medshare_storage::Erasure;
use medshare_storage::codec::{decode, decode_file, encode, encode_file};
use medshare_storage::erasure::Layout;
use rand::RngCore;
use serde::Serialize;

use crate::measure::{Timing, median, timed};

/// The bar: at least this many MB/s of encoding on one core.
const ENCODE_BAR_MB_S: f64 = 200.0;

#[derive(clap::Args)]
pub struct Args {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Size of the test data in MiB.
    #[arg(long, default_value_t = 256)]
    size_mib: u64,
    /// Runs of each measurement; the median is reported.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Data shards.
    #[arg(long, default_value_t = 4)]
    k: usize,
    /// Parity shards.
    #[arg(long, default_value_t = 2)]
    m: usize,
    /// Where to put the files of the file pipeline (default: the system temporary directory).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Skip the end-to-end extraction on a devnet.
    #[arg(long)]
    skip_devnet: bool,
    /// Extractions per size on the devnet; the median is reported.
    #[arg(long, default_value_t = 3)]
    extract_runs: usize,
    /// First port of the devnet (it uses 8 from there; default: free ports).
    #[arg(long)]
    port: Option<u16>,
}

/// Figures in MB/s: by CPU time (what one core delivers) and by wall-clock time.
#[derive(Serialize)]
struct Report {
    size_mib: u64,
    k: usize,
    m: usize,
    runs: usize,
    encode_mb_s: f64,
    decode_mb_s: f64,
    decode_intact_mb_s: f64,
    encode_file_mb_s: f64,
    decode_file_mb_s: f64,
    encode_wall_mb_s: f64,
    decode_wall_mb_s: f64,
    decode_intact_wall_mb_s: f64,
    encode_file_wall_mb_s: f64,
    decode_file_wall_mb_s: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    extract_1mib_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extract_10mib_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extract_100mib_ms: Option<u64>,
    /// Per size: the stages of register, authorize and extract (medians).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    devnet: Vec<Flow>,
}

/// Medians of the register → authorize → extract flow of one size on the devnet.
#[derive(Serialize, Clone, Copy)]
struct Flow {
    size_mib: u64,
    register_ms: u64,
    authorize_ms: u64,
    extract_ms: u64,
    /// Envelope, proof, check, submission until final.
    extract_chain_ms: u64,
    /// Fetch k shards, rebuild, decrypt, verify α, write.
    extract_storage_ms: u64,
}

const FLOW_SIZES_MIB: [u64; 3] = [1, 10, 100];
/// The bar: a 10 MiB extraction within this many milliseconds.
const EXTRACT_BAR_MS: u64 = 1000;

/// Throughputs of the runs of one measurement.
#[derive(Default)]
struct Speeds {
    cpu: Vec<f64>,
    wall: Vec<f64>,
}

impl Speeds {
    fn push(&mut self, bytes: usize, timing: Timing) {
        let mb = bytes as f64 / 1e6;
        let wall = timing.wall.as_secs_f64();
        self.wall.push(mb / wall);
        // Without a CPU clock, wall time is the best we have.
        self.cpu
            .push(mb / timing.cpu.map_or(wall, |cpu| cpu.as_secs_f64()));
    }

    fn cpu(&self) -> f64 {
        median(&self.cpu)
    }

    fn wall(&self) -> f64 {
        median(&self.wall)
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let erasure = Erasure::new(args.k, args.m)?;
    let runs = args.runs.max(1);
    let len = usize::try_from(args.size_mib << 20)?;
    let mut data = vec![0u8; len];
    rand::thread_rng().fill_bytes(&mut data);
    let hidden = ProgressBar::hidden();
    // The first m data shards are lost: the rest of the data shards and the parity shards remain.
    let degraded: Vec<usize> = (erasure.m().min(erasure.k())..erasure.total())
        .take(erasure.k())
        .collect();
    let intact: Vec<usize> = (0..erasure.k()).collect();

    // Memory to memory. Buffers are allocated once, so page faults stay out of the figures.
    let shard_len = usize::try_from(Layout::new(erasure, len as u64).shard_len())?;
    let mut shards: Vec<Vec<u8>> = vec![Vec::with_capacity(shard_len); erasure.total()];
    let mut encoding = Speeds::default();
    let mut sealed = None;
    for _ in 0..runs {
        shards.iter_mut().for_each(Vec::clear);
        let (result, timing) = timed(|| encode(&data[..], erasure, &mut shards, &hidden));
        encoding.push(len, timing);
        sealed = Some(result?);
    }
    let (manifest, key) = sealed.context("no encoding run")?;
    let mut output = Vec::with_capacity(len);
    let mut decode_memory = |kept: &[usize]| -> anyhow::Result<Speeds> {
        let mut speeds = Speeds::default();
        for _ in 0..runs {
            output.clear();
            let readers = kept.iter().map(|&i| (i, &shards[i][..])).collect();
            let (result, timing) = timed(|| decode(&manifest, &key, readers, &mut output, &hidden));
            result?;
            speeds.push(len, timing);
        }
        anyhow::ensure!(output == data, "decoded data differs");
        Ok(speeds)
    };
    let decoding = decode_memory(&degraded)?;
    let decoding_intact = decode_memory(&intact)?;
    drop(shards);
    drop(output);

    // Files, as the client runs it.
    let dir = match &args.dir {
        Some(dir) => tempfile::tempdir_in(dir)?,
        None => tempfile::tempdir()?,
    };
    let input = dir.path().join("input");
    std::fs::write(&input, &data).context("writing the test file")?;
    drop(data);
    let (mut encoding_files, mut decoding_files) = (Speeds::default(), Speeds::default());
    for run in 0..runs {
        let staging = dir.path().join(format!("shards-{run}"));
        std::fs::create_dir(&staging)?;
        let (encoded, timing) = timed(|| encode_file(&input, erasure, &staging, &hidden));
        let encoded = encoded?;
        encoding_files.push(len, timing);

        let kept: Vec<(usize, PathBuf)> = degraded
            .iter()
            .map(|&i| (i, encoded.shard_files[i].clone()))
            .collect();
        let output = dir.path().join(format!("output-{run}"));
        let (result, timing) = timed(|| {
            decode_file(
                &encoded.manifest,
                &encoded.data_key,
                &kept,
                &output,
                &hidden,
            )
        });
        result?;
        decoding_files.push(len, timing);
        std::fs::remove_dir_all(&staging)?;
        std::fs::remove_file(&output)?;
    }

    let devnet = if args.skip_devnet {
        Vec::new()
    } else {
        tokio::runtime::Runtime::new()?.block_on(flows(args.port, args.extract_runs.max(1)))?
    };
    let extract = |mib: u64| {
        devnet
            .iter()
            .find(|f| f.size_mib == mib)
            .map(|f| f.extract_ms)
    };
    let report = Report {
        size_mib: args.size_mib,
        k: erasure.k(),
        m: erasure.m(),
        runs,
        encode_mb_s: encoding.cpu(),
        decode_mb_s: decoding.cpu(),
        decode_intact_mb_s: decoding_intact.cpu(),
        encode_file_mb_s: encoding_files.cpu(),
        decode_file_mb_s: decoding_files.cpu(),
        encode_wall_mb_s: encoding.wall(),
        decode_wall_mb_s: decoding.wall(),
        decode_intact_wall_mb_s: decoding_intact.wall(),
        encode_file_wall_mb_s: encoding_files.wall(),
        decode_file_wall_mb_s: decoding_files.wall(),
        extract_1mib_ms: extract(1),
        extract_10mib_ms: extract(10),
        extract_100mib_ms: extract(100),
        devnet: devnet.clone(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "storage pipeline on one core: {} MiB, {} + {} shards, median of {runs} runs",
        report.size_mib, report.k, report.m
    );
    println!(
        "{:<48} {:>10} {:>10} {:>8}",
        "MB/s", "CPU time", "wall", "bar"
    );
    let row = |what: &str, cpu: f64, wall: f64, bar: &str| {
        println!("{what:<48} {cpu:>10.0} {wall:>10.0} {bar:>8}");
    };
    row(
        "encrypt + encode, memory to memory",
        report.encode_mb_s,
        report.encode_wall_mb_s,
        &format!(">= {ENCODE_BAR_MB_S:.0}"),
    );
    row(
        &format!("decode + decrypt, {} data shards lost, memory", report.m),
        report.decode_mb_s,
        report.decode_wall_mb_s,
        "",
    );
    row(
        "decode + decrypt, data shards only, memory",
        report.decode_intact_mb_s,
        report.decode_intact_wall_mb_s,
        "",
    );
    row(
        "encrypt + encode, file to shard files",
        report.encode_file_mb_s,
        report.encode_file_wall_mb_s,
        "",
    );
    row(
        &format!("decode + decrypt, {} data shards lost, files", report.m),
        report.decode_file_mb_s,
        report.decode_file_wall_mb_s,
        "",
    );
    println!("seed 000 reports no storage throughput (go-ipfs)");
    if !devnet.is_empty() {
        println!();
        println!(
            "4-validator devnet, median of {} runs per size (ms)",
            args.extract_runs.max(1)
        );
        println!(
            "{:>8} {:>10} {:>10} {:>10} {:>16} {:>16} {:>8}",
            "MiB", "register", "authorize", "extract", "extract: chain", "extract: storage", "bar"
        );
        for f in &devnet {
            let bar = if f.size_mib == 10 {
                format!("<= {EXTRACT_BAR_MS}")
            } else {
                String::new()
            };
            println!(
                "{:>8} {:>10} {:>10} {:>10} {:>16} {:>16} {:>8}",
                f.size_mib,
                f.register_ms,
                f.authorize_ms,
                f.extract_ms,
                f.extract_chain_ms,
                f.extract_storage_ms,
                bar
            );
        }
    }
    Ok(())
}

/// Register, authorize and extract files of each size on a fresh 4-validator devnet.
async fn flows(port: Option<u16>, runs: usize) -> anyhow::Result<Vec<Flow>> {
    use medshare_client::{Keystore, Session, group, mda};
    use medshare_ledger::GroupId;
    use medshare_zk::CircuitId;

    let dir = tempfile::tempdir()?;
    eprintln!(
        "starting a 4-validator devnet in {}...",
        dir.path().display()
    );
    let devnet = crate::local::LocalDevnet::start(&dir.path().join("devnet"), 4, port).await?;
    let urls = devnet.urls();
    let home = |who: &str| dir.path().join(who);
    let owner_session = Session::connect(&urls[0], &home("owner"))
        .await?
        .with_keys_dir(Some(devnet.keys_dir()));
    let user_session = Session::connect(&urls[1], &home("user"))
        .await?
        .with_keys_dir(Some(devnet.keys_dir()));
    for circuit in CircuitId::ALL {
        owner_session.proving_key(circuit).await?;
        user_session.proving_key(circuit).await?;
    }
    let mut owner = Keystore::create(&Keystore::path_in(&home("owner")), "bench")?;
    let user = Keystore::create(&Keystore::path_in(&home("user")), "bench")?;
    let group_id = GroupId::new("bench").map_err(|e| anyhow::anyhow!(e))?;
    let signer = group::read_authority_key(&devnet.layout.authority_key())?;
    group::create(&owner_session, &mut owner, &group_id, &signer).await?;
    let file = dir.path().join("owner.member.json");
    let profile = owner.profile();
    group::enroll(
        &owner_session,
        &mut owner,
        &group_id,
        "owner",
        &profile,
        &file,
    )
    .await?;
    group::join(&owner_session, &mut owner, &file).await?;

    let mut figures = Vec::new();
    for size_mib in FLOW_SIZES_MIB {
        let (mut register, mut authorize, mut extract, mut chain, mut storage) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for run in 0..runs {
            let input = dir.path().join(format!("input-{size_mib}-{run}"));
            let mut data = vec![0u8; (size_mib << 20) as usize];
            rand::thread_rng().fill_bytes(&mut data);
            std::fs::write(&input, &data)?;
            drop(data);
            let started = Instant::now();
            let registered = mda::register(&owner_session, &mut owner, &input, &group_id).await?;
            register.push(started.elapsed().as_millis() as u64);
            let started = Instant::now();
            mda::authorize(
                &owner_session,
                &mut owner,
                &registered.alpha,
                &user.profile(),
            )
            .await?;
            authorize.push(started.elapsed().as_millis() as u64);
            let output = dir.path().join(format!("output-{size_mib}-{run}"));
            let started = Instant::now();
            let extracted = mda::extract(&user_session, &user, &registered.alpha, &output).await?;
            extract.push(started.elapsed().as_millis() as u64);
            chain.push(extracted.chain_ms);
            storage.push(extracted.storage_ms);
            anyhow::ensure!(
                std::fs::metadata(&output)?.len() == size_mib << 20,
                "extracted size differs"
            );
            std::fs::remove_file(&input)?;
            std::fs::remove_file(&output)?;
        }
        let median =
            |v: Vec<u64>| median(&v.into_iter().map(|x| x as f64).collect::<Vec<_>>()) as u64;
        figures.push(Flow {
            size_mib,
            register_ms: median(register),
            authorize_ms: median(authorize),
            extract_ms: median(extract),
            extract_chain_ms: median(chain),
            extract_storage_ms: median(storage),
        });
    }
    Ok(figures)
}
