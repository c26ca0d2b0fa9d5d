//! `medshare`: one command for every role of the consortium.

#![forbid(unsafe_code)]

mod app;
mod chain;
mod demo;
mod devnet;
mod group;
mod incentive;
mod keys;
mod mda;
mod rewards;
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
    /// Your keys: a ZK identity and an encryption key in an encrypted keystore.
    Keys(keys::Args),
    /// Group authority: create a group, enroll, revoke, open signatures; members join.
    Group(group::Args),
    /// Medical data assets: register, authorize, extract, list, audit, trace.
    Mda(mda::Args),
    /// Reward accounts: balances, withdrawals, the FSP's payouts and revenue shares (on chain).
    Rewards(rewards::Args),
    /// The chain: status, blocks, transactions.
    Chain(chain::Args),
    /// Run a whole local consortium on loopback: one process per validator.
    Devnet(devnet::DevnetArgs),
    /// Seed 000's whole story on a fresh devnet with real files, every step checked.
    Demo(demo::Args),
    /// Run one validator.
    Node(devnet::NodeArgs),
    /// Measure a component and print it beside the paper's figures.
    #[command(subcommand)]
    Bench(medshare_bench::Bench),
    /// Incentive mechanisms: valorization (seed 000 §V) and Shapley sharing (seed 003 ch. 7).
    #[command(subcommand)]
    Incentive(incentive::Incentive),
    /// Run a standalone storage peer (shards of encrypted MDAs; seed 000 §III storage layer).
    Storage(storage::Args),
    /// Print the validator API's OpenAPI 3.1 document (what `/openapi.json` serves), for client
    /// generators and validators.
    Openapi,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Keys(args) => keys::run(args),
        Command::Group(args) => group::run(args),
        Command::Mda(args) => mda::run(args),
        Command::Rewards(args) => rewards::run(args),
        Command::Chain(args) => chain::run(args),
        Command::Devnet(args) => devnet::devnet(args),
        Command::Demo(args) => demo::run(args),
        Command::Node(args) => devnet::node(args),
        Command::Bench(bench) => medshare_bench::run(bench),
        Command::Incentive(incentive) => incentive::run(incentive),
        Command::Storage(args) => storage::run(args),
        Command::Openapi => {
            println!("{}", medshare_node::openapi().to_pretty_json()?);
            Ok(())
        }
    }
}
