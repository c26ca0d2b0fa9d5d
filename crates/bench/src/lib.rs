//! `medshare bench ...`: benchmarks that print our figures beside the papers'.
//!
//! The `medshare` binary (crates/cli) parses [`Bench`] and calls [`run`]. Besides the benchmarks
//! this crate holds what they share with that binary: the local devnet (`devnet`, `local`) and
//! the SVG charts (`plot`). The devnet's validators are processes of the running executable
//! (`std::env::current_exe()`, its `node` subcommand), so the benchmarks run from `medshare`.

#![forbid(unsafe_code)]

pub mod devnet;
mod groupsig;
mod incentive;
pub mod local;
pub mod measure;
pub mod plot;
mod storage;
mod tps;
mod zk;

use clap::Subcommand;

#[derive(Subcommand)]
pub enum Bench {
    /// Groth16 proofs of registration, authorization and extraction (seed 000 Table V).
    Zk(zk::Args),
    /// BBS04 group signatures: sign, verify, open.
    Groupsig(groupsig::Args),
    /// Shapley values (exact n = 20, Monte Carlo n = 1000) and the exact valorization solve.
    Incentive(incentive::Args),
    /// Storage pipeline: encrypt + erasure-code and decode + decrypt throughput on one core.
    Storage(storage::Args),
    /// Consortium throughput and latency with real proofs (seed 000 Tables IV and VI).
    Tps(tps::Args),
}

pub fn run(bench: Bench) -> anyhow::Result<()> {
    match bench {
        Bench::Zk(args) => zk::run(args),
        Bench::Groupsig(args) => groupsig::run(args),
        Bench::Incentive(args) => incentive::run(args),
        Bench::Storage(args) => storage::run(args),
        Bench::Tps(args) => tps::run(args),
    }
}
