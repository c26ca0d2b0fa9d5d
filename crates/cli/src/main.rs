//! `medshare`: one command for every role of the consortium.

mod bench;
mod devnet;
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
    /// Run a whole local consortium on loopback: one process per validator.
    Devnet(devnet::DevnetArgs),
    /// Run one validator.
    Node(devnet::NodeArgs),
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
        Command::Devnet(args) => devnet::devnet(args),
        Command::Node(args) => devnet::node(args),
        Command::Bench(bench) => bench::run(bench),
        Command::Incentive(incentive) => incentive::run(incentive),
        Command::Storage(args) => storage::run(args),
    }
}
