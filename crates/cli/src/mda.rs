//! `medshare mda`: register, authorize, extract, list, audit and trace medical data assets
//! (seed 000 §IV).

use crate::app::{self, ClientArgs, print, short, utc};
use clap::Subcommand;
use medshare_client::{Profile, mda};
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
    /// Encrypt, slice and upload a file, prove and register it; prints α and the leaf.
    Register {
        file: PathBuf,
        /// The group you are a member of.
        #[arg(long)]
        group: String,
    },
    /// Authorize a data user (by their profile) to extract an MDA you own.
    Authorize {
        alpha: String,
        /// The data user's profile (`medshare keys show`).
        #[arg(long)]
        to: String,
    },
    /// Withdraw the consent you gave a data user for an MDA you own, before they extract it.
    Revoke {
        alpha: String,
        /// The data user's profile, as given to `authorize --to`.
        #[arg(long)]
        from: String,
    },
    /// Extract an MDA authorized to you: prove, fetch the shards, decrypt, verify SHA-256 = α.
    Extract {
        alpha: String,
        /// Where to write the data (must not exist; written only once verified).
        #[arg(long)]
        out: PathBuf,
    },
    /// Your MDAs, and those shared with you.
    List,
    /// Every event of an MDA: height, time, kind, pseudonyms, group.
    Audit { alpha: String },
    /// Which group registered and authorized an MDA (anyone); which member, with --open (the
    /// group authority's keystore).
    Trace {
        alpha: String,
        #[arg(long)]
        open: bool,
    },
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let client = args.client;
    let json = client.json;
    app::run(json, async move {
        let session = client.session().await?;
        match args.command {
            Command::Register { file, group } => {
                let group = GroupId::new(&group).map_err(medshare_client::Error::Invalid)?;
                let mut keystore = client.unlock()?;
                let r = mda::register(&session, &mut keystore, &file, &group).await?;
                print(json, &r, || {
                    format!(
                        "registered {} ({} bytes) in {} at height {}\nα        {}\nleaf     {}\nmanifest {}\ntx       {}\n\
                         authorize someone with `medshare mda authorize {} --to <their profile>`",
                        file.display(),
                        r.bytes,
                        r.group,
                        r.height,
                        r.alpha,
                        r.position,
                        r.manifest,
                        r.tx,
                        r.alpha
                    )
                });
            }
            Command::Revoke { alpha, from } => {
                let alpha = mda::parse_alpha(&alpha)?;
                let profile: Profile = from.parse()?;
                let mut keystore = client.unlock()?;
                let done = mda::withdraw_consent(&session, &mut keystore, &alpha, &profile).await?;
                print(json, &done, || {
                    done.iter()
                        .map(|w| {
                            format!(
                                "withdrew the consent of {} for {} at height {}; its extraction is now refused\ntx {}",
                                short(&w.pk_h.to_hex()),
                                w.alpha,
                                w.height,
                                w.tx
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                });
            }
            Command::Authorize { alpha, to } => {
                let alpha = mda::parse_alpha(&alpha)?;
                let profile: Profile = to.parse()?;
                let mut keystore = client.unlock()?;
                let a = mda::authorize(&session, &mut keystore, &alpha, &profile).await?;
                print(json, &a, || {
                    format!(
                        "authorized {} to extract {} at height {} (leaf {})\ntx {}\nthey run `medshare mda extract {} --out <file>`",
                        short(&a.pk_h.to_hex()),
                        a.alpha,
                        a.height,
                        a.position,
                        a.tx,
                        a.alpha
                    )
                });
            }
            Command::Extract { alpha, out } => {
                let alpha = mda::parse_alpha(&alpha)?;
                let keystore = client.unlock()?;
                let e = mda::extract(&session, &keystore, &alpha, &out).await?;
                print(json, &e, || {
                    format!(
                        "extracted {} bytes to {}: SHA-256 matches α {}\nfinal at height {} (tx {}); chain {} ms, storage {} ms",
                        e.bytes,
                        e.output.display(),
                        e.alpha,
                        e.height,
                        e.tx,
                        e.chain_ms,
                        e.storage_ms
                    )
                });
            }
            Command::List => {
                let mut keystore = client.unlock()?;
                let listing = mda::list(&session, &mut keystore).await?;
                print(json, &listing, || {
                    let mut text = format!("{} MDAs you own:", listing.owned.len());
                    for m in &listing.owned {
                        text.push_str(&format!(
                            "\n  {}  {:<24} {:<12} leaf {:<6} {} authorizations, {} extractions",
                            m.alpha,
                            m.name,
                            m.group,
                            m.position.map_or("-".into(), |p| p.to_string()),
                            m.authorizations,
                            m.extractions
                        ));
                    }
                    text.push_str(&format!(
                        "\n{} shared with you:",
                        listing.shared_with_me.len()
                    ));
                    for s in &listing.shared_with_me {
                        text.push_str(&format!(
                            "\n  {}  from {} at height {}",
                            s.alpha,
                            short(&s.owner.to_hex()),
                            s.height
                        ));
                    }
                    for r in &listing.reconciled {
                        text.push_str(&format!("\nsettled an earlier transaction: {r:?}"));
                    }
                    for id in &listing.pending {
                        text.push_str(&format!(
                            "\ntransaction {id} is still not settled; it is kept and checked again next time"
                        ));
                    }
                    text
                });
            }
            Command::Audit { alpha } => {
                let alpha = mda::parse_alpha(&alpha)?;
                let events = mda::audit(&session, &alpha).await?;
                print(json, &events, || {
                    let mut text = format!("{} events of {alpha}:", events.len());
                    for e in &events {
                        text.push_str(&format!(
                            "\n  height {:<6} {}  {:<10} owner {}  user {}  group {}  tx {}",
                            e.height,
                            utc(e.timestamp_ms),
                            e.kind.name(),
                            short(&e.pk_a.to_hex()),
                            e.pk_h.map_or("-".into(), |pk| short(&pk.to_hex())),
                            e.group.as_ref().map_or("-".into(), |g| g.to_string()),
                            short(&e.tx)
                        ));
                    }
                    text
                });
            }
            Command::Trace { alpha, open } => {
                let alpha = mda::parse_alpha(&alpha)?;
                let keystore = if open { Some(client.unlock()?) } else { None };
                let traced = mda::trace(&session, keystore.as_ref(), &alpha).await?;
                print(json, &traced, || {
                    let mut text = format!("group signatures of {alpha}:");
                    for t in &traced {
                        text.push_str(&format!(
                            "\n  {:<10} height {:<6} group {} (verified){}  tx {}",
                            t.kind.name(),
                            t.height,
                            t.group,
                            t.member
                                .as_ref()
                                .map_or(String::new(), |m| format!(", member {m}")),
                            short(&t.tx)
                        ));
                    }
                    text
                });
            }
        }
        Ok(())
    })
}
