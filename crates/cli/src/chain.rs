//! `medshare chain`: where the chain stands, its blocks and transactions.

use crate::app::{self, ClientArgs, print, utc};
use clap::Subcommand;
use medshare_api::TxStatus;
use medshare_client::NodeClient;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Height, state root, mempool and counters of the node.
    Status,
    /// A finalized block.
    Block { height: u64 },
    /// A transaction's status (pending, final at a height, or rejected and why).
    Tx { id: String },
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let client = args.client;
    app::run(client.json, async move {
        let node = NodeClient::new(&client.node)?;
        match args.command {
            Command::Status => {
                let s = node.status().await?;
                print(client.json, &s, || {
                    format!(
                        "chain      {}\nheight     {} (finalized tip {}), {}\nstate root {}\nmempool    {} transactions\n\
                         verified   {} proofs; {} transactions finalized\nvalidators {}, {} verification workers",
                        s.chain_id,
                        s.height,
                        s.finalized_tip,
                        utc(s.timestamp_ms),
                        s.state_root,
                        s.mempool,
                        s.proofs_verified,
                        s.transactions_finalized,
                        s.validators,
                        s.workers
                    )
                });
            }
            Command::Block { height } => {
                let b = node.block(height).await?;
                print(client.json, &b, || {
                    let mut text = format!(
                        "block {} at {} (view {})\ndigest     {}\nparent     {}\nproposer   {}\nstate root {}\n{} transactions",
                        b.height,
                        utc(b.timestamp_ms),
                        b.view,
                        b.digest,
                        b.parent,
                        b.proposer,
                        b.state_root,
                        b.transactions.len()
                    );
                    for tx in &b.transactions {
                        text.push_str(&format!("\n  {:<20} {}", tx.kind.name(), tx.id));
                    }
                    text
                });
            }
            Command::Tx { id } => {
                let status = node.transaction(&id).await?.ok_or_else(|| {
                    medshare_client::Error::Invalid(format!(
                        "the node has not seen transaction {id}; check the id or ask another node with --node"
                    ))
                })?;
                print(client.json, &status, || match &status {
                    TxStatus::Pending => format!("{id}: pending in the mempool"),
                    TxStatus::Final {
                        height,
                        index,
                        kind,
                        ..
                    } => {
                        format!(
                            "{id}: final, {} at height {height} (index {index})",
                            kind.name()
                        )
                    }
                    TxStatus::Rejected { reason } => format!("{id}: rejected: {reason}"),
                });
            }
        }
        Ok(())
    })
}
