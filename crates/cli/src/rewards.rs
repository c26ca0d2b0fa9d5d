//! `medshare rewards`: reward accounts on chain — balances, withdrawals with a zero-knowledge
//! proof, and the FSP's payouts (seed 000 §V) and Shapley revenue shares (seed 003 ch. 7), which
//! the state machine computes. `medshare incentive` computes the same models offline.

use crate::app::{self, ClientArgs, print};
use clap::Subcommand;
use medshare_client::{Error, Keystore, rewards};
use medshare_ledger::{AccountId, GroupId, tx::PayoutTerms, tx::RevenueTerms};
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// An account's balance: yours by default, or a pseudonym (64 hex digits), `group:<name>` or
    /// `validator:<hex>`.
    Account { account: Option<String> },
    /// Move your rewards out: proves your sk, bound to amount, destination and nonce.
    Withdraw {
        /// Tokens (the smallest unit).
        #[arg(long)]
        amount: u128,
        /// Where the tokens go (an external payment address).
        #[arg(long)]
        to: String,
    },
    /// As the FSP (a genesis authority: the keystore's authority of --group), pay MDAPs for the
    /// MDAs they authorized in an epoch. The terms file is JSON: from_height, to_height, budget,
    /// tokens_per_unit, mdaps [{pk, holdings, tau, b}], phi, rho, a, sigma (rationals as
    /// {"num": 1, "den": 5}).
    Payout {
        #[arg(long, value_parser = GroupId::new)]
        group: GroupId,
        #[arg(long)]
        terms: PathBuf,
    },
    /// As the FSP, share a fee among data-owner groups, validators and a third party. The terms
    /// file is JSON: fee, reference (hex), from_height, to_height, owners, f1 (billionths per
    /// coalition of owners, by bit mask), third_party.
    Revenue {
        #[arg(long, value_parser = GroupId::new)]
        group: GroupId,
        #[arg(long)]
        terms: PathBuf,
    },
}

fn read_terms<T: DeserializeOwned>(path: &Path) -> Result<T, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Invalid(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::Invalid(format!("{} is not valid terms: {e}", path.display())))
}

fn print_settled(json: bool, what: &str, s: &rewards::Settled) {
    print(json, s, || {
        let mut text = format!(
            "{what} final at height {}: {} tokens credited\ntx {}",
            s.height, s.total, s.tx
        );
        for c in &s.credits {
            text.push_str(&format!(
                "\n  {:<72} +{:<12} = {}",
                c.account, c.amount, c.balance
            ));
        }
        text
    });
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let client = args.client;
    let json = client.json;
    app::run(json, async move {
        let session = client.session().await?;
        match args.command {
            Command::Account { account } => {
                let account = match account {
                    Some(text) => AccountId::parse(&text).map_err(Error::Invalid)?,
                    None => {
                        let path = client
                            .keystore_path()
                            .map_err(|e| Error::Invalid(e.to_string()))?;
                        AccountId::Pseudonym(Keystore::profile_of(&path)?.pseudonym)
                    }
                };
                let b = rewards::balance(&session, &account).await?;
                print(json, &b, || {
                    format!(
                        "{}\nbalance {} tokens; next withdrawal nonce {}",
                        b.account, b.balance, b.nonce
                    )
                });
            }
            Command::Withdraw { amount, to } => {
                let mut keystore = client.unlock()?;
                let w = rewards::withdraw(&session, &mut keystore, amount, &to).await?;
                print(json, &w, || {
                    format!(
                        "withdrew {} tokens to {} at height {}; {} left\ntx {}",
                        w.amount, w.destination, w.height, w.balance, w.tx
                    )
                });
            }
            Command::Payout { group, terms } => {
                let keystore = client.unlock()?;
                let signer = rewards::authority_signer(&keystore, &group)?;
                let terms: PayoutTerms = read_terms(&terms)?;
                let s = rewards::payout(&session, &signer, terms).await?;
                print_settled(json, "payout", &s);
            }
            Command::Revenue { group, terms } => {
                let keystore = client.unlock()?;
                let signer = rewards::authority_signer(&keystore, &group)?;
                let terms: RevenueTerms = read_terms(&terms)?;
                let s = rewards::revenue(&session, &signer, terms).await?;
                print_settled(json, "revenue", &s);
            }
        }
        Ok(())
    })
}
