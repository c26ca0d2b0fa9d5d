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
//!
//! - `setup`: the consortium of the seed (keys, genesis) and its launch as validator processes;
//! - `workload`: the requests, built once and cached;
//! - `measure`: submitting them and timing their finalization;
//! - `report`: the paper's figures beside ours, CSV, plots and the summary.

mod measure;
mod report;
mod setup;
mod workload;

use anyhow::{Context, Result, bail};

use measure::measure_setting;
use report::{Outcome, plot, print_summary, write_csv};
pub use setup::Args;
use setup::{Consortium, Kind, Setting, results_dir};
use workload::{cache_path, workload};

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
    // Fail now rather than after the workload, with validators that cannot bind.
    let ports = u16::try_from(2 * args.validators)
        .ok()
        .and_then(|n| args.port.checked_add(n))
        .context("the ports do not fit; choose a lower --port")?;
    crate::devnet::ensure_free(args.port..ports)?;
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
