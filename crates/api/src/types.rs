//! Request and response bodies of `/v1`. Field elements (α, pseudonyms, commitments, roots) are
//! 64 hex digits (32 little-endian bytes); hashes and byte strings are hex.

use medshare_ledger::{
    Field, GroupId,
    state::{
        Account, AccountId, AuditEvent, AuthorizationRecord, ExtractionRecord, FspRecord,
        GroupRecord, MdaRecord,
    },
    tx::Kind,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /v1/status`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Status {
    pub chain_id: String,
    /// Height of the finalized state this node serves.
    pub height: u64,
    /// The newest height consensus has finalized (this node may still be applying up to it).
    pub finalized_tip: u64,
    pub state_root: String,
    /// Milliseconds since the Unix epoch of the block at `height`.
    pub timestamp_ms: u64,
    /// Transactions waiting in this node's mempool.
    pub mempool: usize,
    pub proofs_verified: u64,
    pub transactions_finalized: u64,
    pub validators: usize,
    pub workers: usize,
}

/// `POST /v1/transactions` and `POST /v1/transactions/check` as JSON.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SubmitRequest {
    /// The canonical encoding of the transaction, hex.
    pub tx: String,
}

/// A transaction accepted into the mempool (`202`), or found valid by a check (`200`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Submitted {
    /// The transaction id: SHA-256 of its encoding, hex.
    pub id: String,
    /// `pending` after a submission, `valid` after a check.
    pub status: String,
}

/// `GET /v1/transactions/{id}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TxStatus {
    /// In this node's mempool.
    Pending,
    /// In a finalized block.
    Final {
        height: u64,
        index: u32,
        #[schema(value_type = String)]
        kind: Kind,
        /// The transaction's canonical encoding, hex, when this node stores its block.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transaction: Option<String>,
    },
    /// Refused by this node; it will never apply.
    Rejected { reason: String },
}

/// `GET /v1/blocks/{height}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BlockView {
    pub height: u64,
    pub digest: String,
    pub parent: String,
    pub timestamp_ms: u64,
    pub proposer: String,
    pub view: u64,
    pub tx_root: String,
    pub state_root: String,
    pub transactions: Vec<BlockTx>,
}

/// A transaction of a block.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BlockTx {
    pub id: String,
    #[schema(value_type = String)]
    pub kind: Kind,
}

/// `GET /v1/groups/{id}`: a group authority's group.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct GroupView {
    #[schema(value_type = String)]
    pub id: GroupId,
    /// The authority's ed25519 key, hex.
    pub authority: String,
    /// The current BBS04 group public key, hex.
    pub public_key: String,
    pub epoch: u64,
    pub created_height: u64,
}

impl From<GroupRecord> for GroupView {
    fn from(r: GroupRecord) -> Self {
        Self {
            id: r.id,
            authority: hex::encode(r.authority),
            public_key: hex::encode(r.public_key),
            epoch: r.epoch,
            created_height: r.created_height,
        }
    }
}

/// `GET /v1/groups/{id}/revocations/{epoch}`: what remaining members update their keys from.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RevocationView {
    #[schema(value_type = String)]
    pub group: GroupId,
    pub epoch: u64,
    /// The BBS04 revocation, hex.
    pub revocation: String,
}

/// `GET /v1/mdas/{alpha}`: a registered medical data asset.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MdaView {
    #[schema(value_type = String)]
    pub alpha: Field,
    /// The owner's pseudonym.
    #[schema(value_type = String)]
    pub pk_a: Field,
    #[schema(value_type = String)]
    pub re: Field,
    /// Leaf position in the registration tree (the paper's `Addr_α`).
    pub position: u64,
    /// The manifest reference registered with the MDA (binary CIDv1), hex.
    pub manifest: String,
    #[schema(value_type = String)]
    pub group: GroupId,
    pub height: u64,
    pub tx: String,
    pub authorizations: u64,
    pub extractions: u64,
}

impl From<MdaRecord> for MdaView {
    fn from(r: MdaRecord) -> Self {
        Self {
            alpha: r.alpha,
            pk_a: r.pk_a,
            re: r.re,
            position: r.position,
            manifest: hex::encode(r.manifest),
            group: r.group,
            height: r.height,
            tx: hex::encode(r.tx),
            authorizations: r.authorizations,
            extractions: r.extractions,
        }
    }
}

/// One page of an audit log.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditView {
    /// Events in the whole log.
    pub total: u32,
    pub events: Vec<AuditEventView>,
}

/// One line of an audit log: who did what to α, when.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEventView {
    pub height: u64,
    pub timestamp_ms: u64,
    #[schema(value_type = String)]
    pub kind: Kind,
    #[schema(value_type = String)]
    pub alpha: Field,
    #[schema(value_type = String)]
    pub pk_a: Field,
    #[schema(value_type = Option<String>)]
    pub pk_h: Option<Field>,
    #[schema(value_type = Option<String>)]
    pub group: Option<GroupId>,
    pub tx: String,
    /// Leaf position for registrations and authorizations.
    pub position: Option<u64>,
}

impl From<AuditEvent> for AuditEventView {
    fn from(e: AuditEvent) -> Self {
        Self {
            height: e.height,
            timestamp_ms: e.timestamp_ms,
            kind: e.kind,
            alpha: e.alpha,
            pk_a: e.pk_a,
            pk_h: e.pk_h,
            group: e.group,
            tx: hex::encode(e.tx),
            position: e.position,
        }
    }
}

/// `GET /v1/authorizations/{re_auth}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AuthorizationView {
    #[schema(value_type = String)]
    pub alpha: Field,
    #[schema(value_type = String)]
    pub pk_a: Field,
    #[schema(value_type = String)]
    pub pk_h: Field,
    #[schema(value_type = String)]
    pub re_auth: Field,
    pub position: u64,
    /// The HPKE envelope sealed to the data user, hex.
    pub envelope: String,
    #[schema(value_type = String)]
    pub group: GroupId,
    pub height: u64,
    pub tx: String,
}

impl From<AuthorizationRecord> for AuthorizationView {
    fn from(r: AuthorizationRecord) -> Self {
        Self {
            alpha: r.alpha,
            pk_a: r.pk_a,
            pk_h: r.pk_h,
            re_auth: r.re_auth,
            position: r.position,
            envelope: hex::encode(r.envelope),
            group: r.group,
            height: r.height,
            tx: hex::encode(r.tx),
        }
    }
}

/// `GET /v1/extractions/{epk}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ExtractionView {
    #[schema(value_type = String)]
    pub alpha: Field,
    #[schema(value_type = String)]
    pub pk_a: Field,
    #[schema(value_type = String)]
    pub pk_h: Field,
    #[schema(value_type = String)]
    pub re_auth: Field,
    pub epk: String,
    pub height: u64,
    pub tx: String,
}

impl From<ExtractionRecord> for ExtractionView {
    fn from(r: ExtractionRecord) -> Self {
        Self {
            alpha: r.alpha,
            pk_a: r.pk_a,
            pk_h: r.pk_h,
            re_auth: r.re_auth,
            epk: hex::encode(r.epk),
            height: r.height,
            tx: hex::encode(r.tx),
        }
    }
}

/// `GET /v1/accounts/{account}`: a reward balance. Amounts are decimal strings: a `u128` does not
/// fit every JSON reader's numbers.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AccountView {
    /// A pseudonym (64 hex digits), `group:<name>` or `validator:<hex>`.
    pub account: String,
    /// Tokens, the smallest unit.
    pub balance: String,
    /// The nonce the account's next withdrawal must carry.
    pub nonce: u64,
}

impl AccountView {
    pub fn new(id: &AccountId, account: Account) -> Self {
        Self {
            account: id.to_string(),
            balance: account.balance.to_string(),
            nonce: account.nonce,
        }
    }
}

/// `GET /v1/fsps/{authority}`: what an authority acting as FSP has paid.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FspView {
    /// The authority's ed25519 key, hex.
    pub authority: String,
    /// The last height of the last epoch it paid out (0: none); the next epoch starts above it.
    pub paid_through: u64,
    /// Tokens its payouts credited.
    pub paid_out: String,
    /// Tokens of the fees it shared.
    pub revenue: String,
}

impl FspView {
    pub fn new(authority: &[u8; 32], record: FspRecord) -> Self {
        Self {
            authority: hex::encode(authority),
            paid_through: record.paid_through,
            paid_out: record.paid_out.to_string(),
            revenue: record.revenue.to_string(),
        }
    }
}

/// `GET /v1/trees/{tree}`: a commitment tree's final size and root.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TreeView {
    pub size: u64,
    #[schema(value_type = String)]
    pub root: Field,
}

/// `GET /v1/trees/{tree}/paths/{position}`: the authentication path a client proves
/// membership with (a private input of its proof).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PathView {
    pub position: u64,
    #[schema(value_type = String)]
    pub leaf: Field,
    #[schema(value_type = String)]
    pub root: Field,
    /// Per level from the leaves up, the other three children of the 4-ary node.
    #[schema(value_type = Vec<Vec<String>>)]
    pub siblings: Vec<[Field; 3]>,
}
