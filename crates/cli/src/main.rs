//! `medshare`: one command for every role of the consortium.

mod bench;
mod incentive;
mod storage;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "medshare",
    version,
    about = "Privacy-preserving medical data sharing on a consortium chain"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Measure a component and print it beside the paper's figures.
    #[command(subcommand)]
    Bench(bench::Bench),
    /// Incentive mechanisms: valorization (seed 000 §V) and Shapley sharing (seed 003 ch. 7).
    #[command(subcommand)]
    Incentive(incentive::Incentive),
    /// Run a standalone storage peer (shards of encrypted MDAs; seed 000 §III storage layer).
    Storage(storage::Args),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Bench(bench) => bench::run(bench),
        Command::Incentive(incentive) => incentive::run(incentive),
        Command::Storage(args) => storage::run(args),
    }
}
