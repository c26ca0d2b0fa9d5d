//! What the client commands (`keys`, `group`, `mda`, `chain`) share: where the user's files are,
//! which node to talk to, the passphrase, and how results and errors are printed — human text by
//! default, JSON with `--json` (errors too: `{"error": {"code", "message"}}`).

use clap::Args;
use medshare_client::{Error, Keystore, Session};
use serde::Serialize;
use std::path::PathBuf;

/// Options of every client command.
#[derive(Args, Clone, Debug)]
pub struct ClientArgs {
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// The medshare home: keystore and cached proving keys (default: the user's config dir).
    #[arg(long, global = true, env = "MEDSHARE_HOME")]
    pub home: Option<PathBuf>,
    /// A validator's API.
    #[arg(
        long,
        global = true,
        env = "MEDSHARE_NODE",
        default_value = "http://127.0.0.1:7401"
    )]
    pub node: String,
    /// Read Groth16 proving keys from here instead of fetching them from the node.
    #[arg(long, global = true, env = "MEDSHARE_KEYS_DIR")]
    pub keys_dir: Option<PathBuf>,
}

impl ClientArgs {
    pub fn home(&self) -> anyhow::Result<PathBuf> {
        match &self.home {
            Some(home) => Ok(home.clone()),
            None => dirs::config_dir()
                .map(|dir| dir.join("medshare"))
                .ok_or_else(|| {
                    anyhow::anyhow!("no config directory on this system; pass --home <dir>")
                }),
        }
    }

    pub fn keystore_path(&self) -> anyhow::Result<PathBuf> {
        Ok(Keystore::path_in(&self.home()?))
    }

    pub async fn session(&self) -> Result<Session, Error> {
        let home = self.home().map_err(|e| Error::Invalid(e.to_string()))?;
        Ok(Session::connect(&self.node, &home)
            .await?
            .with_keys_dir(self.keys_dir.clone())
            .with_progress(!self.json))
    }

    /// Unlocks the keystore, asking for the passphrase unless `MEDSHARE_PASSPHRASE` is set.
    pub fn unlock(&self) -> Result<Keystore, Error> {
        let path = self
            .keystore_path()
            .map_err(|e| Error::Invalid(e.to_string()))?;
        if !path.exists() {
            return Err(Error::NoKeystore(path));
        }
        let passphrase = passphrase(&format!("passphrase for {}: ", path.display()))?;
        Keystore::unlock(&path, &passphrase)
    }
}

/// The passphrase from `MEDSHARE_PASSPHRASE`, or typed at the terminal without echo.
pub fn passphrase(prompt: &str) -> Result<String, Error> {
    if let Ok(passphrase) = std::env::var("MEDSHARE_PASSPHRASE") {
        return Ok(passphrase);
    }
    rpassword::prompt_password(prompt).map_err(|e| {
        Error::Invalid(format!(
            "cannot read a passphrase ({e}); set MEDSHARE_PASSPHRASE when there is no terminal"
        ))
    })
}

/// Prints `value` as JSON, or `human` as text.
pub fn print<T: Serialize>(json: bool, value: &T, human: impl FnOnce() -> String) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(value).expect("results serialize")
        );
    } else {
        println!("{}", human());
    }
}

/// Runs a client command on a tokio runtime and prints its error the way the user asked for.
pub fn run<F>(json: bool, command: F) -> anyhow::Result<()>
where
    F: std::future::Future<Output = Result<(), Error>>,
{
    let runtime = tokio::runtime::Runtime::new()?;
    match runtime.block_on(command) {
        Ok(()) => Ok(()),
        Err(error) => {
            if json {
                let code = error
                    .code()
                    .map_or_else(|| client_code(&error).to_string(), |c| c.to_string());
                let body =
                    serde_json::json!({"error": {"code": code, "message": error.to_string()}});
                println!("{}", serde_json::to_string_pretty(&body)?);
            } else {
                eprintln!("error: {error}");
            }
            std::process::exit(1);
        }
    }
}

/// Stable codes of the client's own refusals (the node's carry the node's codes).
fn client_code(error: &Error) -> &'static str {
    match error {
        Error::Unreachable { .. } => "node_unreachable",
        Error::Api { .. } => "api",
        Error::WrongPassphrase(_) => "wrong_passphrase",
        Error::NoKeystore(_) => "no_keystore",
        Error::KeystoreExists(_) => "keystore_exists",
        Error::Keystore { .. } => "keystore",
        Error::UnknownAlpha(_) => "unknown_mda",
        Error::NotOwner(_) => "not_owner",
        Error::NotAuthorized(_) => "not_authorized",
        Error::Revoked { .. } => "revoked",
        Error::NotMember(_) => "not_a_member",
        Error::NotAuthority(_) => "not_the_authority",
        Error::UnknownGroup(_) => "unknown_group",
        Error::FileTooLarge { .. } => "file_too_large",
        Error::OutputExists(_) => "output_exists",
        Error::Timeout { .. } => "timeout",
        Error::Rejected { .. } => "rejected",
        Error::Unknown { .. } => "outcome_unknown",
        Error::BadProfile(_) => "invalid_profile",
        Error::Invalid(_) => "invalid_input",
        Error::Inconsistent(_) => "inconsistent_answer",
        Error::Storage(_) => "storage",
        Error::Build(_) => "build",
        Error::Io(_) => "io",
    }
}

/// `YYYY-MM-DD HH:MM:SS` UTC of milliseconds since the Unix epoch.
pub fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The first and last hex digits of a long identifier, for tables.
pub fn short(text: &str) -> String {
    if text.len() <= 16 {
        text.to_string()
    } else {
        format!("{}…{}", &text[..8], &text[text.len() - 6..])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_dates() {
        assert_eq!(super::utc(0), "1970-01-01 00:00:00");
        assert_eq!(super::utc(1_700_000_000_000), "2023-11-14 22:13:20");
        assert_eq!(super::utc(951_782_400_000), "2000-02-29 00:00:00");
    }
}
