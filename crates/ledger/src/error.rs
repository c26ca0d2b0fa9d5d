//! Why a transaction was refused.

use crate::{
    kind::Kind,
    types::{Field, GroupId},
};

/// Why a transaction was refused. The text is what the submitter sees; it never contains a
/// secret (transactions carry none).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    #[error("malformed {what}: {reason}")]
    Malformed { what: &'static str, reason: String },
    #[error("unknown group {0}")]
    UnknownGroup(GroupId),
    #[error("group {0} already exists")]
    GroupExists(GroupId),
    #[error("the signer is not a group authority listed in genesis")]
    NotAnAuthority,
    #[error("the authority signature does not verify")]
    BadAuthoritySignature,
    #[error("the revocation does not apply to group {group}: {reason}")]
    BadRevocation { group: GroupId, reason: String },
    #[error(
        "the group signature does not verify under group {group}'s current key (epoch {epoch}): the member may be revoked or hold a key of an older epoch"
    )]
    BadGroupSignature { group: GroupId, epoch: u64 },
    #[error("group {0}'s key changed after this transaction was checked")]
    GroupKeyChanged(GroupId),
    #[error("the {0} proof does not verify")]
    InvalidProof(Kind),
    #[error("MDA {0} is already registered")]
    DuplicateAlpha(Field),
    #[error("MDA {0} is not registered")]
    UnknownAlpha(Field),
    #[error("MDA {alpha} is owned by another pseudonym or group")]
    NotOwner { alpha: Field },
    #[error("the root is not one of the recent roots of the {0} tree")]
    StaleRoot(&'static str),
    #[error("no authorization of MDA {alpha} to this data user has that commitment")]
    UnknownAuthorization { alpha: Field },
    #[error("this authorization commitment is already recorded")]
    DuplicateAuthorization,
    #[error("this ephemeral key was already used by an extraction")]
    ReusedEphemeralKey,
    #[error("transaction already included at height {0}")]
    Replayed(u64),
    #[error("note nonce {got} is not above the author's last nonce {last}")]
    StaleNonce { got: u64, last: u64 },
    #[error("the note signature does not verify")]
    BadNoteSignature,
    #[error("notes are off on this chain: only a benchmark genesis accepts them")]
    NotesDisabled,
    #[error("the owner of MDA {alpha} withdrew this consent at height {height}")]
    ConsentWithdrawn { alpha: Field, height: u64 },
    #[error("the {0} commitment tree is full")]
    TreeFull(&'static str),
    #[error("the blocks {from}..={to} {reason}")]
    BadEpoch {
        from: u64,
        to: u64,
        reason: &'static str,
    },
    #[error(
        "this FSP already paid out through height {paid_through}; an epoch must start after it"
    )]
    EpochAlreadyPaid { paid_through: u64 },
    #[error("incentive parameters: {0}")]
    BadIncentiveParameters(String),
    #[error("withdrawal nonce {got} is not the account's next nonce {expected}")]
    WrongNonce { expected: u64, got: u64 },
    #[error("the account holds {balance} tokens, fewer than the {amount} asked for")]
    InsufficientBalance { balance: u128, amount: u128 },
    #[error("a withdrawal must move at least one token")]
    EmptyWithdrawal,
    #[error("the credit would overflow the account's balance")]
    BalanceOverflow,
}
