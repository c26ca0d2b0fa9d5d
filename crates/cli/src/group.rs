//! `medshare group`: the group authority's commands (seed 000 operations 1 and 5), and `join`
//! for the member who receives a key.

use crate::app::{self, ClientArgs, print};
use clap::Subcommand;
use medshare_client::{Error, Keystore, Profile, group};
use medshare_ledger::GroupId;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a group on chain; its issuing and opening keys stay in your keystore.
    Create {
        /// Group name: 1-32 characters of a-z, 0-9 and '-'.
        group: String,
        /// Your ed25519 authority key file (listed in genesis; `medshare devnet` writes
        /// `authority.key`).
        #[arg(long)]
        authority_key: PathBuf,
    },
    /// Enroll a member and write its member key, sealed to its profile, to a file.
    Enroll {
        /// Who the member is (kept in your registry, never on chain).
        member: String,
        /// The member's profile (`medshare keys show`).
        #[arg(long)]
        to: String,
        /// The group (default: your only group).
        #[arg(long)]
        group: Option<String>,
        /// Where to write the member key file (default: `<member>.member.json`).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Import a member key file from your group authority.
    Join { file: PathBuf },
    /// Revoke a member: the group advances one epoch; the member can no longer sign.
    Revoke {
        member: String,
        #[arg(long)]
        group: Option<String>,
    },
    /// Open the group signature of a registration or authorization: who signed it.
    Open {
        /// The transaction id.
        tx: String,
    },
}

fn parse_group(name: &str) -> Result<GroupId, Error> {
    GroupId::new(name).map_err(Error::Invalid)
}

/// The named group, or the keystore's only authority group.
fn choose_group(keystore: &Keystore, named: Option<String>) -> Result<GroupId, Error> {
    match named {
        Some(name) => parse_group(&name),
        None => match keystore.authorities() {
            [only] => parse_group(&only.group),
            [] => Err(Error::Invalid(
                "this keystore is no group authority; create a group first".into(),
            )),
            _ => Err(Error::Invalid(
                "this keystore is the authority of several groups; pass --group".into(),
            )),
        },
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let client = args.client;
    let json = client.json;
    app::run(json, async move {
        let session = client.session().await?;
        match args.command {
            Command::Create {
                group,
                authority_key,
            } => {
                let group = parse_group(&group)?;
                let signer = group::read_authority_key(&authority_key)?;
                let mut keystore = client.unlock()?;
                let included = group::create(&session, &mut keystore, &group, &signer).await?;
                let view = serde_json::json!({"group": group, "height": included.height});
                print(json, &view, || {
                    format!(
                        "group {group} created at height {}\nenroll members with `medshare group enroll <name> --to <their profile>`",
                        included.height
                    )
                });
            }
            Command::Enroll {
                member,
                to,
                group,
                out,
            } => {
                let profile: Profile = to.parse()?;
                let mut keystore = client.unlock()?;
                let group = choose_group(&keystore, group)?;
                let out = out.unwrap_or_else(|| PathBuf::from(format!("{member}.member.json")));
                let enrolled =
                    group::enroll(&session, &mut keystore, &group, &member, &profile, &out).await?;
                print(
                    json,
                    &serde_json::json!({"enrolled": enrolled, "file": out}),
                    || {
                        format!(
                            "enrolled {member} in {group} as member {} (epoch {})\nmember key sealed to their profile: {}\n\
                         send it to them; they import it with `medshare group join {}`",
                            enrolled.index,
                            enrolled.epoch,
                            out.display(),
                            out.display()
                        )
                    },
                );
            }
            Command::Join { file } => {
                let mut keystore = client.unlock()?;
                let joined = group::join(&session, &mut keystore, &file).await?;
                print(json, &joined, || {
                    format!(
                        "joined group {} as {} (member {}, epoch {})\nregister data with `medshare mda register <file> --group {}`",
                        joined.group, joined.name, joined.index, joined.epoch, joined.group
                    )
                });
            }
            Command::Revoke { member, group } => {
                let mut keystore = client.unlock()?;
                let group = choose_group(&keystore, group)?;
                let revoked = group::revoke(&session, &mut keystore, &group, &member).await?;
                print(json, &revoked, || {
                    format!(
                        "revoked {} from {}: the group is at epoch {} since height {}; the other members update automatically",
                        revoked.name, revoked.group, revoked.epoch, revoked.height
                    )
                });
            }
            Command::Open { tx } => {
                let keystore = client.unlock()?;
                let opened = group::open(&session, &keystore, &tx).await?;
                print(json, &opened, || {
                    format!(
                        "{tx} was signed by {} (member {} of {}, epoch {})",
                        opened.member, opened.index, opened.group, opened.epoch
                    )
                });
            }
        }
        Ok(())
    })
}
