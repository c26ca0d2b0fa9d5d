//! What went wrong, and what to do next. Messages never contain a secret.

use medshare_api::ErrorCode;
use medshare_ledger::{Field, GroupId};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "cannot reach the medshare node at {url} ({reason}); is it running? Start a local one with \
         `medshare devnet`, or point to another with --node <url> (or MEDSHARE_NODE)"
    )]
    Unreachable { url: String, reason: String },
    #[error("the node refused: {message} [{code}]")]
    Api {
        status: u16,
        code: ErrorCode,
        message: String,
    },
    #[error(
        "wrong passphrase for the keystore {0}; try again (MEDSHARE_PASSPHRASE sets it for scripts)"
    )]
    WrongPassphrase(PathBuf),
    #[error(
        "no keystore at {0}; create one with `medshare keys create` (or pick another with --home)"
    )]
    NoKeystore(PathBuf),
    #[error("a keystore already exists at {0}; use it, or choose another --home")]
    KeystoreExists(PathBuf),
    #[error("keystore {path}: {reason}")]
    Keystore { path: PathBuf, reason: String },
    #[error("MDA {0} is not registered on this chain; check α (`medshare mda list` prints yours)")]
    UnknownAlpha(Field),
    #[error(
        "this keystore does not own MDA {0}; only the owner who registered it can authorize it"
    )]
    NotOwner(Field),
    #[error(
        "MDA {0} is not authorized to your profile; ask its owner to run \
         `medshare mda authorize {0} --to <your profile>` (`medshare keys show` prints your profile)"
    )]
    NotAuthorized(Field),
    #[error(
        "you were revoked from group {group} (it is at epoch {epoch}); ask the group authority to enroll you again"
    )]
    Revoked { group: GroupId, epoch: u64 },
    #[error(
        "this keystore holds no member key of group {0}; ask the group authority to enroll you \
         (`medshare group enroll <name> --to <your profile>`) and import it with `medshare group join <file>`"
    )]
    NotMember(GroupId),
    #[error(
        "this keystore is not the authority of group {0}; run the command with the authority's --home"
    )]
    NotAuthority(GroupId),
    #[error(
        "no group {0} on this chain; check the name, or create it with `medshare group create {0}`"
    )]
    UnknownGroup(GroupId),
    #[error(
        "{path} is too large: {len} bytes, but storage peers accept at most {max} bytes per MDA; split it into several MDAs"
    )]
    FileTooLarge { path: PathBuf, len: u64, max: u64 },
    #[error("{0} already exists; choose another output path or remove it first")]
    OutputExists(PathBuf),
    #[error(
        "transaction {id} is not final after {seconds} s; check later with `medshare chain tx {id}`"
    )]
    Timeout { id: String, seconds: u64 },
    #[error("transaction {id} was rejected: {reason}")]
    Rejected { id: String, reason: String },
    #[error(
        "the outcome of transaction {id} is not known ({reason}); it is kept, encrypted, in your keystore and settled by your next command (or `medshare mda list`)"
    )]
    Unknown { id: String, reason: String },
    #[error("invalid profile: {0}; copy the whole string printed by `medshare keys show`")]
    BadProfile(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the node's answer does not check out: {0}")]
    Inconsistent(String),
    #[error("storage: {0}")]
    Storage(#[from] medshare_storage::client::ClientError),
    #[error("building the transaction: {0}")]
    Build(#[from] medshare_ledger::ops::BuildError),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// Whether the node refused for good (the transaction will never apply), as opposed to a
    /// timeout, an unreachable node or a server error (a proxy's 502 may follow a node that
    /// pooled the transaction), after which it may still land. Only the node's own 4xx answer
    /// (its JSON error envelope) counts; "replayed" means it is final already.
    pub fn is_refusal(&self) -> bool {
        match self {
            Self::Api { status, code, .. } => {
                (400..500).contains(status)
                    && !matches!(status, 408 | 429)
                    && !matches!(code, ErrorCode::Unknown | ErrorCode::Replayed)
            }
            Self::Rejected { .. } => true,
            _ => false,
        }
    }

    /// The node's error code, if the node refused.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Api { code, .. } => Some(*code),
            _ => None,
        }
    }
}
