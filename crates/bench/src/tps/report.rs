//! The paper's figures beside ours: the JSON of a setting, the sweep's CSV, the plots of Table IV
//! and Figs. 4 and 5, and the summary table.

use anyhow::Result;
use std::path::{Path, PathBuf};

use super::measure::Measured;
use super::setup::{Args, Setting};
use crate::plot::{Chart, Series, Stroke};

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

/// One setting's results: authorizations, and the baseline when asked for.
pub(super) struct Outcome {
    pub(super) setting: Setting,
    pub(super) proofs: Measured,
    pub(super) baseline: Option<Measured>,
}

impl Outcome {
    pub(super) fn json(&self, args: &Args) -> serde_json::Value {
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

pub(super) fn write_csv(args: &Args, outcomes: &[Outcome], dir: &Path) -> Result<()> {
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
pub(super) fn plot(args: &Args, outcomes: &[Outcome], dir: &Path) -> Result<Vec<PathBuf>> {
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

pub(super) fn print_summary(args: &Args, outcomes: &[Outcome]) {
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
