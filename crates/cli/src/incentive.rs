//! PLACEHOLDER: replaced by the incentive commands.

#[derive(clap::Subcommand)]
pub enum Incentive {}

pub fn run(incentive: Incentive) -> anyhow::Result<()> {
    match incentive {}
}
