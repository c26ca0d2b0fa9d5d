//! `medshare keys`: the user's ZK identity and encryption key, in an encrypted keystore.

use crate::app::{self, ClientArgs, print};
use clap::Subcommand;
use medshare_client::{Error, Keystore};
use serde::Serialize;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a keystore: a fresh ZK identity (pseudonym) and HPKE key, under a passphrase.
    Create,
    /// Print your public profile: what a data owner needs to authorize you, as one string.
    Show {
        /// Print only the profile string (for `--to "$(medshare keys show --profile-only)"`).
        #[arg(long)]
        profile_only: bool,
    },
}

#[derive(Serialize)]
struct ProfileView {
    profile: String,
    pseudonym: String,
    encryption_key: String,
    keystore: String,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let client = args.client;
    app::run(client.json, async move {
        let path = client
            .keystore_path()
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let mut profile_only = false;
        let profile = match args.command {
            Command::Create => {
                if path.exists() {
                    return Err(Error::KeystoreExists(path));
                }
                let first = app::passphrase(&format!("new passphrase for {}: ", path.display()))?;
                if std::env::var("MEDSHARE_PASSPHRASE").is_err() {
                    let again = app::passphrase("repeat it: ")?;
                    if again != first {
                        return Err(Error::Invalid(
                            "the two passphrases differ; nothing was created".into(),
                        ));
                    }
                }
                Keystore::create(&path, &first)?.profile()
            }
            Command::Show { profile_only: only } => {
                profile_only = only;
                Keystore::profile_of(&path)?
            }
        };
        let view = ProfileView {
            profile: profile.to_string(),
            pseudonym: profile.pseudonym.to_hex(),
            encryption_key: profile.encryption.to_string(),
            keystore: path.display().to_string(),
        };
        if profile_only && !client.json {
            println!("{}", view.profile);
            return Ok(());
        }
        print(client.json, &view, || {
            format!(
                "your profile (share it with data owners who will authorize you):\n  {}\n\
                 pseudonym       {}\nencryption key  {}\nkeystore        {}",
                view.profile, view.pseudonym, view.encryption_key, view.keystore
            )
        });
        Ok(())
    })
}
