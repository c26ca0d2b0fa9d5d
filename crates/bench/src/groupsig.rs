//! `medshare bench groupsig`: BBS04 sign, verify, batch verify, decode and open on BLS12-381,
//! one core, beside a C++ BBS04 implementation's figures and the paper's signature size.

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use medshare_crypto::groupsig::{
    GroupPublicKey, MemberRegistry, Signature, generate_group, verify_batch,
};
use rand::{SeedableRng, rngs::StdRng};
use serde::Serialize;

use crate::measure::median;

/// A C++ BBS04 implementation on a 32-vCPU VM, milliseconds.
const CPP_SIGN_MS: f64 = 1.73;
const CPP_VERIFY_MS: f64 = 1.79;
const CPP_OPEN_MS: f64 = 0.13;
/// BBS04's signature: 3 G1 elements and 6 scalars on a 170-bit MNT curve, 1533 bits.
const PAPER_SIGNATURE_BYTES: usize = 192;

/// Members in the benchmark group; signers take turns.
const MEMBERS: usize = 16;
/// Signatures per batch verification: the validators' typical batch.
const BATCH: usize = 64;
/// Groups sharing a batch in the mixed-groups measurement.
const GROUPS: usize = 4;

#[derive(clap::Args)]
pub struct Args {
    /// Timed runs of each operation; the median is reported.
    #[arg(long, default_value_t = 100)]
    runs: usize,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report {
    sign_ms: f64,
    verify_ms: f64,
    /// Median time of one batch verification of `BATCH` signatures, divided by `BATCH`.
    verify_batch_ms_per_sig: f64,
    /// The same with the `BATCH` signatures spread over `GROUPS` groups.
    verify_batch_4_groups_ms_per_sig: f64,
    /// `Signature::from_bytes`, which a validator pays before verifying.
    decode_ms: f64,
    open_ms: f64,
    signature_bytes: usize,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    ensure!(args.runs > 0, "--runs must be at least 1");
    // arkworks parallelizes pairings when another crate turns on its `parallel` feature:
    // measure on one core, as the bar is stated.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .context("building the one-thread pool")?;
    let report = pool.install(|| measure(args.runs))?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_table(&report, args.runs);
    }
    Ok(())
}

fn measure(runs: usize) -> anyhow::Result<Report> {
    let mut rng = StdRng::from_entropy();
    let (gpk, issuing, opening) = generate_group(&mut rng);
    let mut registry = MemberRegistry::new(&gpk);
    let members = (0..MEMBERS)
        .map(|i| registry.enroll(&issuing, &gpk, &format!("member-{i}"), &mut rng))
        .collect::<Result<Vec<_>, _>>()?;
    // A 32-byte message, the size of an MDA identifier α.
    let msg = [0x5a_u8; 32];

    for key in &members {
        gpk.verify(&msg, &key.sign(&gpk, &msg, &mut rng)?)?; // warm-up
    }
    let mut sign = Vec::with_capacity(runs);
    let mut signatures: Vec<Signature> = Vec::with_capacity(runs);
    for run in 0..runs {
        let key = &members[run % MEMBERS];
        let start = Instant::now();
        let sig = key.sign(&gpk, &msg, &mut rng)?;
        sign.push(start.elapsed());
        signatures.push(sig);
    }
    let mut verify = Vec::with_capacity(runs);
    for sig in &signatures {
        let start = Instant::now();
        gpk.verify(&msg, sig)?;
        verify.push(start.elapsed());
    }
    while signatures.len() < BATCH {
        signatures.push(members[signatures.len() % MEMBERS].sign(&gpk, &msg, &mut rng)?);
    }
    let batch: Vec<(&[u8], &Signature)> = signatures[..BATCH]
        .iter()
        .map(|sig| (msg.as_slice(), sig))
        .collect();
    let mut verify_one_group = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        gpk.verify_batch(&batch, &mut rng)?;
        verify_one_group.push(start.elapsed() / BATCH as u32);
    }
    let mut verify_groups = Vec::with_capacity(runs);
    let others = (1..GROUPS)
        .map(|_| signed_by_another_group(&msg, BATCH / GROUPS, &mut rng))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut mixed: Vec<(&GroupPublicKey, &[u8], &Signature)> = signatures[..BATCH / GROUPS]
        .iter()
        .map(|sig| (&gpk, msg.as_slice(), sig))
        .collect();
    for (other, sigs) in &others {
        mixed.extend(sigs.iter().map(|sig| (other, msg.as_slice(), sig)));
    }
    for _ in 0..runs {
        let start = Instant::now();
        verify_batch(&mixed, &mut rng)?;
        verify_groups.push(start.elapsed() / mixed.len() as u32);
    }
    let encoded: Vec<Vec<u8>> = signatures.iter().map(Signature::to_bytes).collect();
    let mut decode = Vec::with_capacity(encoded.len());
    for bytes in &encoded {
        let start = Instant::now();
        let sig = Signature::from_bytes(bytes)?;
        decode.push(start.elapsed());
        std::hint::black_box(sig);
    }
    let mut open = Vec::with_capacity(runs);
    for (run, sig) in signatures.iter().take(runs).enumerate() {
        let start = Instant::now();
        let index = opening.open(&gpk, &registry, &msg, sig)?;
        open.push(start.elapsed());
        ensure!(
            index == members[run % MEMBERS].index(),
            "opened the wrong member"
        );
    }
    let signature_bytes = signatures[0].to_bytes().len();
    Ok(Report {
        sign_ms: median_ms(&sign),
        verify_ms: median_ms(&verify),
        verify_batch_ms_per_sig: median_ms(&verify_one_group),
        verify_batch_4_groups_ms_per_sig: median_ms(&verify_groups),
        decode_ms: median_ms(&decode),
        open_ms: median_ms(&open),
        signature_bytes,
    })
}

/// A fresh group's key and `n` signatures on `msg` by one of its members.
fn signed_by_another_group(
    msg: &[u8],
    n: usize,
    rng: &mut StdRng,
) -> anyhow::Result<(GroupPublicKey, Vec<Signature>)> {
    let (gpk, issuing, _) = generate_group(rng);
    let member = MemberRegistry::new(&gpk).enroll(&issuing, &gpk, "member", rng)?;
    let sigs = (0..n)
        .map(|_| member.sign(&gpk, msg, rng))
        .collect::<Result<_, _>>()?;
    Ok((gpk, sigs))
}

/// The median of `samples`, in milliseconds.
fn median_ms(samples: &[Duration]) -> f64 {
    median(samples).as_secs_f64() * 1e3
}

fn print_table(r: &Report, runs: usize) {
    println!("BBS04 group signatures on BLS12-381: median of {runs} runs, one core");
    println!(
        "{:<12} {:>12} {:>22}",
        "", "medshare", "C++ BBS04, 32-vCPU VM"
    );
    println!(
        "{:<12} {:>9.3} ms {:>19.2} ms",
        "sign", r.sign_ms, CPP_SIGN_MS
    );
    println!(
        "{:<12} {:>9.3} ms {:>19.2} ms",
        "verify", r.verify_ms, CPP_VERIFY_MS
    );
    println!(
        "{:<12} {:>9.3} ms {:>22}   (per signature, batches of {BATCH})",
        "verify batch", r.verify_batch_ms_per_sig, ""
    );
    println!(
        "{:<12} {:>9.3} ms {:>22}   (per signature, batches of {BATCH} from {GROUPS} groups)",
        "", r.verify_batch_4_groups_ms_per_sig, ""
    );
    println!(
        "{:<12} {:>9.3} ms {:>22}   (Signature::from_bytes)",
        "decode", r.decode_ms, ""
    );
    println!(
        "{:<12} {:>9.3} ms {:>19.2} ms   (ours verifies the signature before decrypting)",
        "open", r.open_ms, CPP_OPEN_MS
    );
    println!(
        "{:<12} {:>10} B {:>20} B   (paper: 170-bit MNT curve, ~80-bit security, challenge form; ours ~128-bit, commitment form, uncompressed points, + version and epoch)",
        "signature", r.signature_bytes, PAPER_SIGNATURE_BYTES
    );
}
