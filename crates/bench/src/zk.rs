//! `medshare bench zk`: seed 000 Table V — Groth16 proof generation and verification for MDA
//! registration, authorization and extraction — measured on our circuits, beside the paper; and
//! the withdrawal of rewards, which the paper does not have.
//!
//! Per operation: a fresh setup, then `runs` distinct statements (new keys, salts, bindings), each
//! proved and verified once on this thread (wall-clock median and mean; the thread's CPU time as
//! a mean, which a shared machine inflates less), the proof decoded, and batches of `batch`
//! proofs verified together. Everything runs on one core: arkworks' `parallel` feature is off.

use anyhow::{Context, Result};
use medshare_crypto::merkle::CommitmentTree;
use medshare_crypto::poseidon::{
    Domain, Fr, Salt, SecretKey, alpha_from_data, authorization_commitment, hash_bytes,
    registration_commitment,
};
use medshare_zk::{
    AuthorizationWitness, CircuitId, ExtractionWitness, PreparedVerifyingKey, Proof,
    RegistrationWitness, Statement, WithdrawalWitness, batch_verify, constraint_count, prove,
    setup,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::time::{Duration, Instant};

use crate::measure::{median, timed};

#[derive(clap::Args)]
pub struct Args {
    /// Proofs generated and verified per operation (seed 000 averaged 100).
    #[arg(long, default_value_t = 100)]
    runs: usize,
    /// Proofs per batch for batch verification.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

/// Seed 000 Table V, Groth16 column (seconds), and the proof sizes of §VI (kB).
struct Paper {
    prove_s: f64,
    verify_s: f64,
    proof_kb: f64,
}

fn paper(circuit: CircuitId) -> Option<Paper> {
    Some(match circuit {
        CircuitId::Registration => Paper {
            prove_s: 9.9936,
            verify_s: 0.0192,
            proof_kb: 3.0,
        },
        CircuitId::Authorization => Paper {
            prove_s: 58.8134,
            verify_s: 0.0206,
            proof_kb: 6.0,
        },
        CircuitId::Extraction => Paper {
            prove_s: 54.6818,
            verify_s: 0.0197,
            proof_kb: 6.0,
        },
        CircuitId::Withdrawal => return None,
    })
}

#[derive(Serialize)]
struct Operation {
    op: &'static str,
    runs: usize,
    prove_ms_median: f64,
    prove_ms_mean: f64,
    /// The least disturbed run: closest to an idle machine.
    prove_ms_min: f64,
    prove_cpu_ms_mean: Option<f64>,
    verify_ms_median: f64,
    verify_ms_mean: f64,
    verify_ms_min: f64,
    verify_cpu_ms_mean: Option<f64>,
    /// Decoding (and subgroup-checking) a received proof, which a node does before verifying.
    decode_ms_median: f64,
    batch_verify_ms_per_proof: f64,
    proof_bytes: usize,
    constraints: usize,
    proving_key_bytes: usize,
    verifying_key_bytes: usize,
    setup_ms: f64,
    /// None for the withdrawal, which the paper has no figure for.
    paper_prove_ms: Option<f64>,
    paper_verify_ms: Option<f64>,
    paper_proof_bytes: Option<f64>,
}

#[derive(Serialize)]
struct Report {
    table: &'static str,
    operations: Vec<Operation>,
    /// Authorization's, the transaction the throughput target is stated for.
    batch_verify_ms_per_proof: f64,
    batch_size: usize,
    load_average: Option<String>,
}

pub fn run(args: Args) -> Result<()> {
    anyhow::ensure!(
        args.runs > 0 && args.batch > 0,
        "--runs and --batch must be positive"
    );
    let load_before = load_average();
    let mut rng = StdRng::from_entropy();
    let mut operations = Vec::new();
    for circuit in CircuitId::ALL {
        eprintln!("{circuit}: setup, then {} proofs...", args.runs);
        let operation = match circuit {
            CircuitId::Registration => {
                measure(circuit, registrations(args.runs, &mut rng), &args, &mut rng)
            }
            CircuitId::Authorization => measure(
                circuit,
                authorizations(args.runs, &mut rng)?,
                &args,
                &mut rng,
            ),
            CircuitId::Extraction => {
                measure(circuit, extractions(args.runs, &mut rng)?, &args, &mut rng)
            }
            CircuitId::Withdrawal => {
                measure(circuit, withdrawals(args.runs, &mut rng), &args, &mut rng)
            }
        }?;
        operations.push(operation);
    }
    let report = Report {
        table: "seed 000 Table V (Groth16)",
        batch_verify_ms_per_proof: operations[1].batch_verify_ms_per_proof,
        operations,
        batch_size: args.batch,
        load_average: load_before
            .zip(load_average())
            .map(|(a, b)| format!("{a} -> {b}")),
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_table(&report);
    }
    Ok(())
}

/// Prove and verify every instance, then decode and batch-verify the proofs.
fn measure<S: Statement>(
    circuit: CircuitId,
    instances: Vec<(S, S::Witness)>,
    args: &Args,
    rng: &mut StdRng,
) -> Result<Operation> {
    let started = Instant::now();
    let (pk, vk) = setup(circuit, rng)?;
    let setup_ms = ms(started.elapsed());
    let pvk = vk.prepare();

    let mut prove_times = Vec::with_capacity(instances.len());
    let mut verify_times = Vec::with_capacity(instances.len());
    let (mut prove_cpu, mut verify_cpu) = (Some(Duration::ZERO), Some(Duration::ZERO));
    let mut proved = Vec::with_capacity(instances.len());
    for (statement, witness) in instances {
        let (proof, wall, cpu) = step(|| prove(&pk, &statement, &witness, rng))?;
        prove_times.push(wall);
        prove_cpu = prove_cpu.zip(cpu).map(|(a, b)| a + b);
        let ((), wall, cpu) = step(|| pvk.verify(&statement, &proof))?;
        verify_times.push(wall);
        verify_cpu = verify_cpu.zip(cpu).map(|(a, b)| a + b);
        proved.push((statement, proof));
    }
    let runs = proved.len();
    let mean_cpu = |total: Option<Duration>| total.map(|t| ms(t) / runs as f64);

    let mut decode_times = Vec::with_capacity(runs);
    for (_, proof) in &proved {
        let bytes = proof.to_bytes();
        let (_, wall, _) = step(|| Proof::from_bytes(&bytes))?;
        decode_times.push(wall);
    }

    Ok(Operation {
        op: circuit.name(),
        runs,
        prove_ms_median: median(&prove_times),
        prove_ms_mean: mean(&prove_times),
        prove_ms_min: minimum(&prove_times),
        prove_cpu_ms_mean: mean_cpu(prove_cpu),
        verify_ms_median: median(&verify_times),
        verify_ms_mean: mean(&verify_times),
        verify_ms_min: minimum(&verify_times),
        verify_cpu_ms_mean: mean_cpu(verify_cpu),
        decode_ms_median: median(&decode_times),
        batch_verify_ms_per_proof: batch_per_proof(&pvk, &proved, args.batch, rng)?,
        proof_bytes: Proof::SIZE,
        constraints: constraint_count(circuit)?,
        proving_key_bytes: pk.to_bytes().len(),
        verifying_key_bytes: vk.to_bytes().len(),
        setup_ms,
        paper_prove_ms: paper(circuit).map(|p| p.prove_s * 1e3),
        paper_verify_ms: paper(circuit).map(|p| p.verify_s * 1e3),
        paper_proof_bytes: paper(circuit).map(|p| p.proof_kb * 1e3),
    })
}

/// Median over a few repetitions of verifying `batch` proofs at once (cycling through the
/// proofs if there are fewer), per proof.
fn batch_per_proof<S: Statement>(
    pvk: &PreparedVerifyingKey,
    proved: &[(S, Proof)],
    batch: usize,
    rng: &mut StdRng,
) -> Result<f64> {
    let items: Vec<(S, Proof)> = proved.iter().cycle().take(batch).cloned().collect();
    let times: Vec<f64> = (0..5)
        .map(|_| step(|| batch_verify(pvk, &items, rng)).map(|(_, wall, _)| wall))
        .collect::<Result<_>>()?;
    Ok(median(&times) / batch as f64)
}

/// One fallible step under [`timed`]: its output, wall time (ms) and this thread's CPU time (if
/// readable).
fn step<T, E>(f: impl FnOnce() -> Result<T, E>) -> Result<(T, f64, Option<Duration>)>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let (out, timing) = timed(f);
    let out = out.context("benchmark step failed")?;
    Ok((out, ms(timing.wall), timing.cpu))
}

fn load_average() -> Option<String> {
    let load = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn minimum(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// The `binding` of the `i`-th benchmark transaction of `kind`.
fn binding(kind: &str, i: usize) -> Fr {
    hash_bytes(
        Domain::Bind,
        format!("medshare bench {kind} transaction {i}").as_bytes(),
    )
}

fn mda(i: usize) -> Fr {
    alpha_from_data(format!("benchmark MDA {i}").as_bytes())
}

/// `runs` owners each registering their own MDA.
fn registrations(
    runs: usize,
    rng: &mut StdRng,
) -> Vec<(medshare_zk::RegistrationStatement, RegistrationWitness)> {
    (0..runs)
        .map(|i| {
            let witness = RegistrationWitness {
                sk_a: SecretKey::random(rng),
                salt: Salt::random(rng),
            };
            (witness.statement(mda(i), binding("register", i)), witness)
        })
        .collect()
}

/// A registration tree of `runs` MDAs among unrelated leaves; each owner authorizes a user.
fn authorizations(
    runs: usize,
    rng: &mut StdRng,
) -> Result<Vec<(medshare_zk::AuthorizationStatement, AuthorizationWitness)>> {
    let owners: Vec<(SecretKey, Salt)> = (0..runs)
        .map(|_| (SecretKey::random(rng), Salt::random(rng)))
        .collect();
    let mut tree = CommitmentTree::new(16)?;
    let mut positions = Vec::with_capacity(runs);
    for (i, (sk, salt)) in owners.iter().enumerate() {
        tree.append(Fr::from(rng.r#gen::<u64>()))?;
        positions.push(tree.append(registration_commitment(mda(i), sk.public_key(), salt))?);
    }
    tree.checkpoint();
    owners
        .into_iter()
        .zip(positions)
        .enumerate()
        .map(|(i, ((sk_a, salt), position))| {
            let witness = AuthorizationWitness {
                sk_a,
                salt,
                salt_auth: Salt::random(rng),
                path: tree.path(position)?,
            };
            let pk_h = SecretKey::random(rng).public_key();
            Ok((
                witness.statement(mda(i), pk_h, binding("authorize", i)),
                witness,
            ))
        })
        .collect()
}

/// `runs` pseudonyms each withdrawing their rewards.
fn withdrawals(
    runs: usize,
    rng: &mut StdRng,
) -> Vec<(medshare_zk::WithdrawalStatement, WithdrawalWitness)> {
    (0..runs)
        .map(|i| {
            let witness = WithdrawalWitness {
                sk: SecretKey::random(rng),
            };
            (witness.statement(binding("withdraw", i)), witness)
        })
        .collect()
}

/// An authorization tree of `runs` authorizations; each user extracts.
fn extractions(
    runs: usize,
    rng: &mut StdRng,
) -> Result<Vec<(medshare_zk::ExtractionStatement, ExtractionWitness)>> {
    let grants: Vec<(Fr, SecretKey, Salt)> = (0..runs)
        .map(|_| {
            let pk_a = SecretKey::random(rng).public_key();
            (pk_a, SecretKey::random(rng), Salt::random(rng))
        })
        .collect();
    let mut tree = CommitmentTree::new(16)?;
    let leaves: Vec<Fr> = grants
        .iter()
        .enumerate()
        .map(|(i, (pk_a, sk_h, salt_auth))| {
            authorization_commitment(mda(i), *pk_a, sk_h.public_key(), salt_auth)
        })
        .collect();
    let positions = tree.extend(&leaves)?;
    tree.checkpoint();
    grants
        .into_iter()
        .zip(positions)
        .enumerate()
        .map(|(i, ((pk_a, sk_h, salt_auth), position))| {
            let witness = ExtractionWitness {
                sk_h,
                salt_auth,
                path: tree.path(position)?,
            };
            Ok((
                witness.statement(mda(i), pk_a, binding("extract", i)),
                witness,
            ))
        })
        .collect()
}

fn print_table(report: &Report) {
    println!(
        "{} vs medshare: Groth16 on BLS12-381, one core, median of {} runs [mean; min]",
        report.table, report.operations[0].runs
    );
    if let Some(load) = &report.load_average {
        println!("machine shared with other jobs; load average before -> after: {load}");
    }
    println!();
    println!(
        "{:<14} {:>11} {:>26} {:>10} {:>8} {:>20} {:>9} {:>8}",
        "operation",
        "constraints",
        "prove ms",
        "paper ms",
        "speedup",
        "verify ms",
        "paper ms",
        "speedup"
    );
    let paper = |v: Option<f64>, digits: usize| v.map_or("—".into(), |v| format!("{v:.digits$}"));
    let speedup = |paper: Option<f64>, ours: f64, digits: usize| {
        paper.map_or("—".into(), |p| format!("{:.digits$}x", p / ours))
    };
    for op in &report.operations {
        println!(
            "{:<14} {:>11} {:>26} {:>10} {:>8} {:>20} {:>9} {:>8}",
            op.op,
            op.constraints,
            format!(
                "{:.1} [{:.1}; {:.1}]",
                op.prove_ms_median, op.prove_ms_mean, op.prove_ms_min
            ),
            paper(op.paper_prove_ms, 1),
            speedup(op.paper_prove_ms, op.prove_ms_median, 0),
            format!(
                "{:.2} [{:.2}; {:.2}]",
                op.verify_ms_median, op.verify_ms_mean, op.verify_ms_min
            ),
            paper(op.paper_verify_ms, 1),
            speedup(op.paper_verify_ms, op.verify_ms_median, 1),
        );
    }
    println!();
    println!(
        "{:<14} {:>13} {:>12} {:>12} {:>12} {:>14} {:>12} {:>12} {:>10}",
        "operation",
        "prove cpu ms",
        "verify cpu",
        "decode ms",
        "batch/proof",
        "proof bytes",
        "paper bytes",
        "pk bytes",
        "vk bytes"
    );
    let cpu = |v: Option<f64>, digits: usize| v.map_or("n/a".into(), |v| format!("{v:.digits$}"));
    for op in &report.operations {
        println!(
            "{:<14} {:>13} {:>12} {:>12.3} {:>12.3} {:>14} {:>12} {:>12} {:>10}",
            op.op,
            cpu(op.prove_cpu_ms_mean, 1),
            cpu(op.verify_cpu_ms_mean, 2),
            op.decode_ms_median,
            op.batch_verify_ms_per_proof,
            op.proof_bytes,
            paper(op.paper_proof_bytes, 0),
            op.proving_key_bytes,
            op.verifying_key_bytes,
        );
    }
    println!();
    println!(
        "batch verification: {} proofs per batch (one multi-Miller loop, one final exponentiation)",
        report.batch_size
    );
}
