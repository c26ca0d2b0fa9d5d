//! Refusals: every error of the API is `{"error": {"code": …, "message": …}}`, with a code that
//! never changes meaning and a message that says what was wrong and what to do next.

use medshare_ledger::TxError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Stable, machine-readable reason of a refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // Requests that do not parse.
    /// A path or query parameter is not the expected hex field element.
    InvalidField,
    /// A path parameter is not 64 hex digits.
    InvalidHash,
    /// A group name is not 1-32 characters of a-z, 0-9 and '-'.
    InvalidGroup,
    /// A tree name is not `registration` or `authorization`.
    InvalidTree,
    /// The body is not the JSON the route expects.
    InvalidJson,
    /// A number in the path or query does not parse.
    InvalidParameter,
    /// The body is not a canonical transaction.
    MalformedTransaction,
    /// The body exceeds the route's size limit.
    PayloadTooLarge,
    // Lookups.
    UnknownTransaction,
    UnknownBlock,
    UnknownGroup,
    UnknownRevocation,
    UnknownMda,
    UnknownAuthorization,
    UnknownExtraction,
    UnknownLeaf,
    UnknownKey,
    /// An account name is not a pseudonym (64 hex digits), `group:<name>` or `validator:<hex>`.
    InvalidAccount,
    NotFound,
    /// The route exists, but not with this HTTP method.
    MethodNotAllowed,
    // Transactions the chain refuses (see `medshare_ledger::TxError`).
    InvalidProof,
    /// The group signature does not verify under the group's current key: revoked member, or a
    /// member key of an older epoch.
    BadGroupSignature,
    GroupKeyChanged,
    GroupExists,
    NotAnAuthority,
    BadAuthoritySignature,
    BadRevocation,
    DuplicateAlpha,
    NotOwner,
    StaleRoot,
    DuplicateAuthorization,
    ReusedEphemeralKey,
    Replayed,
    StaleNonce,
    BadNoteSignature,
    /// The no-privacy baseline `Note` is accepted only by a benchmark genesis.
    NotesDisabled,
    /// The owner withdrew the consent of this authorization.
    ConsentWithdrawn,
    TreeFull,
    /// A payout's epoch or a revenue's period is not a range of finished blocks.
    BadEpoch,
    /// The FSP already paid an epoch that reaches this far.
    EpochAlreadyPaid,
    /// Valorization or Shapley parameters outside the models' assumptions.
    BadIncentiveParameters,
    /// A withdrawal's nonce is not the account's next one.
    WrongNonce,
    InsufficientBalance,
    EmptyWithdrawal,
    BalanceOverflow,
    /// Refused for a reason given only in the message (a peer's verdict relayed by gossip).
    Rejected,
    // The node.
    /// The node cannot take the request now (shutting down, mempool full); retry later.
    Unavailable,
    Internal,
    /// A code this version does not know.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// The code of a transaction the state machine refused.
    pub fn of(error: &TxError) -> Self {
        match error {
            TxError::Malformed { .. } => Self::MalformedTransaction,
            TxError::UnknownGroup(_) => Self::UnknownGroup,
            TxError::GroupExists(_) => Self::GroupExists,
            TxError::NotAnAuthority => Self::NotAnAuthority,
            TxError::BadAuthoritySignature => Self::BadAuthoritySignature,
            TxError::BadRevocation { .. } => Self::BadRevocation,
            TxError::BadGroupSignature { .. } => Self::BadGroupSignature,
            TxError::GroupKeyChanged(_) => Self::GroupKeyChanged,
            TxError::InvalidProof(_) => Self::InvalidProof,
            TxError::DuplicateAlpha(_) => Self::DuplicateAlpha,
            TxError::UnknownAlpha(_) => Self::UnknownMda,
            TxError::NotOwner { .. } => Self::NotOwner,
            TxError::StaleRoot(_) => Self::StaleRoot,
            TxError::UnknownAuthorization { .. } => Self::UnknownAuthorization,
            TxError::DuplicateAuthorization => Self::DuplicateAuthorization,
            TxError::ReusedEphemeralKey => Self::ReusedEphemeralKey,
            TxError::Replayed(_) => Self::Replayed,
            TxError::StaleNonce { .. } => Self::StaleNonce,
            TxError::BadNoteSignature => Self::BadNoteSignature,
            TxError::NotesDisabled => Self::NotesDisabled,
            TxError::ConsentWithdrawn { .. } => Self::ConsentWithdrawn,
            TxError::TreeFull(_) => Self::TreeFull,
            TxError::BadEpoch { .. } => Self::BadEpoch,
            TxError::EpochAlreadyPaid { .. } => Self::EpochAlreadyPaid,
            TxError::BadIncentiveParameters(_) => Self::BadIncentiveParameters,
            TxError::WrongNonce { .. } => Self::WrongNonce,
            TxError::InsufficientBalance { .. } => Self::InsufficientBalance,
            TxError::EmptyWithdrawal => Self::EmptyWithdrawal,
            TxError::BalanceOverflow => Self::BalanceOverflow,
        }
    }
}

/// The code as the API sends it (`bad_group_signature`).
impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(text)) => f.write_str(&text),
            _ => write!(f, "{self:?}"),
        }
    }
}

/// The body of every refusal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// A refusal's code and human-readable message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
}
