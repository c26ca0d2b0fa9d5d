//! `GET /metrics`: the validator's counters in the Prometheus text format (version 0.0.4).
//!
//! Written by hand: a handful of gauges, counters and two summaries (sum and count) need no
//! registry, and every value is read from [`crate::chain::Stats`] at scrape time.

use crate::chain::Chain;
use std::{fmt::Write as _, sync::atomic::Ordering};

/// The metrics of `chain` in the Prometheus text exposition format.
pub fn render(chain: &Chain) -> String {
    let stats = &chain.stats;
    let load = |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed);
    let height = chain.tip().height;
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(&str, f64)]| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (suffix, value) in samples {
            let _ = writeln!(out, "{name}{suffix} {value}");
        }
    };
    metric(
        "medshare_block_height",
        "gauge",
        "Height of the finalized state this node serves.",
        &[("", height as f64)],
    );
    metric(
        "medshare_finalized_tip",
        "gauge",
        "Newest height consensus has finalized.",
        &[("", load(&stats.tip_height).max(height) as f64)],
    );
    metric(
        "medshare_mempool_transactions",
        "gauge",
        "Transactions waiting in the mempool.",
        &[("", chain.mempool.len() as f64)],
    );
    metric(
        "medshare_transactions_finalized_total",
        "counter",
        "Transactions in blocks this node finalized.",
        &[("", load(&stats.finalized_txs) as f64)],
    );
    metric(
        "medshare_proofs_verified_total",
        "counter",
        "Transactions whose proofs and signatures the verification workers checked.",
        &[("", load(&stats.proofs_verified) as f64)],
    );
    metric(
        "medshare_verify_seconds",
        "summary",
        "Time the verification workers spent on batches, over the transactions they checked.",
        &[
            ("_sum", load(&stats.verify_micros) as f64 / 1e6),
            ("_count", load(&stats.proofs_verified) as f64),
        ],
    );
    metric(
        "medshare_finalization_latency_seconds",
        "summary",
        "Time from a block's timestamp (its proposal) to its application on this node.",
        &[
            ("_sum", load(&stats.finalization_ms) as f64 / 1e3),
            ("_count", load(&stats.finalized_blocks) as f64),
        ],
    );
    out
}
