//! The storage peer's HTTP API, as both sides see it.
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `GET /v1/health` | | [`Health`] |
//! | `GET /v1/inventory` | | [`Inventory`] |
//! | `PUT /v1/shards/{cid}` | shard bytes | 201 (stored) or 200 (already held: body not read), [`StoredObject`] |
//! | `PUT /v1/manifests/{cid}` | canonical manifest | 201 or 200, [`StoredObject`] |
//! | `GET /v1/manifests/{cid}` | | canonical manifest bytes (public) |
//! | `GET /v1/shards/{cid}/extraction?alpha=…&epk=…` | | the shard sealed to `epk` ([`crate::transport`]) |
//! | `GET /v1/shards/{cid}/repair?manifest=…&peer=…` | | the shard sealed to that storage peer's key |
//! | `POST /v1/repair/{manifest}` | | [`RepairReport`] |
//!
//! Every refusal is JSON `{"error": {"code": …, "message": …}}` with a stable [`ErrorCode`].

use serde::{Deserialize, Serialize};

use crate::alpha::Alpha;
use crate::content_id::ContentId;
use crate::placement::PeerId;

/// Stable, machine-readable reason of a refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A path or query parameter is not a CIDv1 / raw / SHA2-256.
    InvalidCid,
    /// A query parameter (α, key, peer id) is malformed or missing.
    InvalidRequest,
    /// No shard with this CID is stored here.
    UnknownCid,
    /// No manifest with this CID is known here.
    UnknownManifest,
    /// The uploaded bytes do not hash to the CID they were uploaded as.
    CidMismatch,
    /// The body exceeds the size limit.
    TooLarge,
    /// The body ended before its announced end.
    IncompleteBody,
    /// The manifest is not a canonical, valid manifest.
    InvalidManifest,
    /// No final `Extract` of this MDA names this key.
    NoExtraction,
    /// The shard is not one of the MDA's shards.
    NotInMda,
    /// The key of the requesting storage peer is not in the peer list.
    UnknownPeer,
    /// The requesting storage peer holds no shard of this MDA.
    NotAHolder,
    /// The stored copy is damaged; it will be repaired.
    ShardDamaged,
    /// Finalized chain state is not available right now.
    GateUnavailable,
    /// Not enough intact shards could be fetched to repair.
    RepairFailed,
    /// No such route.
    NotFound,
    /// Something failed inside the peer; details are in its log.
    Internal,
    /// A code this version does not know.
    #[serde(other)]
    Unknown,
}

/// The body of every refusal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// A refusal's code and human-readable message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
}

/// `GET /v1/health`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub peer: PeerId,
}

/// One stored shard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardEntry {
    pub cid: ContentId,
    pub bytes: u64,
}

/// `GET /v1/inventory`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    pub peer: PeerId,
    pub shards: Vec<ShardEntry>,
    pub manifests: Vec<ContentId>,
}

/// Answer to an upload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredObject {
    pub cid: ContentId,
    /// False if the peer already held it.
    pub created: bool,
}

/// Query of `GET /v1/shards/{cid}/extraction`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExtractionQuery {
    pub alpha: Alpha,
    pub epk: medshare_crypto::envelope::PublicKey,
}

/// Query of `GET /v1/shards/{cid}/repair`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RepairQuery {
    pub manifest: ContentId,
    pub peer: PeerId,
}

/// `POST /v1/repair/{manifest}`: what the peer found and did for its own shards of the MDA.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairReport {
    pub manifest: ContentId,
    /// Shards this peer holds that were intact.
    pub intact: Vec<ContentId>,
    /// Shards this peer lacked or held damaged, now rebuilt from other peers.
    pub repaired: Vec<ContentId>,
}
