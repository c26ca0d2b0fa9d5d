//! The validator's HTTP/JSON API (`/v1`): submit transactions, follow their status, and read
//! finalized state — MDA records, audit logs, commitment-tree paths, blocks.
//!
//! Every read is of *finalized* state: a client that sees an answer here sees what every honest
//! validator will keep.

use crate::{
    block::ChainBlock,
    chain::Chain,
    gossip::{SubmitError, Submitter},
    mempool::TxStatus,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use commonware_consensus::{
    marshal::{core::Mailbox, standard::Standard},
    simplex::scheme::ed25519::Scheme,
    types::Height,
};
use medshare_ledger::{
    Field, GroupId, Hash, Kv, Transaction,
    state::{
        self, AuditEvent, AuditLog, AuthorizationRecord, ExtractionRecord, GroupRecord, MdaRecord,
        TxRecord,
    },
    tree::{self, TreeId},
    tx::MAX_TX_BYTES,
};
use serde::{Deserialize, Serialize};
use std::{sync::Arc, sync::atomic::Ordering};

/// Largest request body: a hex-encoded transaction in JSON, with room to spare.
pub const MAX_BODY: usize = 2 * MAX_TX_BYTES + 1024;
/// Most audit events returned by one request.
const MAX_EVENTS: u32 = 1000;

#[derive(Clone)]
pub struct ApiState {
    pub chain: Arc<Chain>,
    pub submitter: Submitter,
    pub marshal: Mailbox<Scheme, Standard<ChainBlock>>,
    pub chain_id: String,
    pub validators: usize,
}

/// A JSON error with a stable machine-readable code and a message that says what to do.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
    fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/v1/status", get(status))
        .route("/v1/transactions", post(submit))
        .route("/v1/transactions/{id}", get(transaction))
        .route("/v1/blocks/{height}", get(block))
        .route("/v1/groups/{id}", get(group))
        .route("/v1/groups/{id}/revocations/{epoch}", get(revocation))
        .route("/v1/mdas/{alpha}", get(mda))
        .route("/v1/mdas/{alpha}/audit", get(mda_audit))
        .route("/v1/pseudonyms/{pk}/audit", get(pseudonym_audit))
        .route("/v1/authorizations/{re_auth}", get(authorization))
        .route("/v1/extractions/{epk}", get(extraction))
        .route("/v1/trees/{tree}", get(tree_info))
        .route("/v1/trees/{tree}/paths/{position}", get(tree_path))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

fn parse_field(text: &str, what: &'static str) -> Result<Field, ApiError> {
    Field::from_hex(text).ok_or_else(|| {
        ApiError::bad_request(
            "bad_field",
            format!("{what} must be 64 hex digits of a canonical field element"),
        )
    })
}

fn parse_hash(text: &str, what: &'static str) -> Result<Hash, ApiError> {
    hex::decode(text)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| ApiError::bad_request("bad_hash", format!("{what} must be 64 hex digits")))
}

#[derive(Serialize)]
struct StatusView {
    chain_id: String,
    height: u64,
    /// The newest height consensus has finalized (this node may still be applying up to it).
    finalized_tip: u64,
    state_root: String,
    mempool: usize,
    proofs_verified: u64,
    transactions_finalized: u64,
    validators: usize,
    workers: usize,
}

async fn status(State(api): State<ApiState>) -> Json<StatusView> {
    let tip = api.chain.tip();
    let stats = &api.chain.stats;
    Json(StatusView {
        chain_id: api.chain_id.clone(),
        height: tip.height,
        finalized_tip: stats.tip_height.load(Ordering::Relaxed).max(tip.height),
        state_root: hex::encode(tip.root()),
        mempool: api.chain.mempool.len(),
        proofs_verified: stats.proofs_verified.load(Ordering::Relaxed),
        transactions_finalized: stats.finalized_txs.load(Ordering::Relaxed),
        validators: api.validators,
        workers: api.chain.workers.count(),
    })
}

#[derive(Deserialize)]
struct SubmitBody {
    /// The canonical encoding of the transaction, hex.
    tx: String,
}

#[derive(Serialize)]
struct Submitted {
    id: String,
    status: &'static str,
}

/// `POST /v1/transactions`: JSON `{"tx": "<hex>"}` or the raw encoding as
/// `application/octet-stream`.
async fn submit(
    State(api): State<ApiState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Submitted>), ApiError> {
    let is_binary = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/octet-stream"));
    let bytes = if is_binary {
        body.to_vec()
    } else {
        let parsed: SubmitBody = serde_json::from_slice(&body).map_err(|e| {
            ApiError::bad_request("bad_json", format!("expected {{\"tx\": \"<hex>\"}}: {e}"))
        })?;
        hex::decode(parsed.tx.trim())
            .map_err(|_| ApiError::bad_request("bad_hex", "tx must be hex"))?
    };
    let tx = Transaction::from_bytes(&bytes).map_err(|e| {
        ApiError::bad_request("malformed_transaction", format!("not a transaction: {e}"))
    })?;
    match api.submitter.submit(tx).await {
        Ok(id) => Ok((
            StatusCode::ACCEPTED,
            Json(Submitted {
                id: hex::encode(id),
                status: "pending",
            }),
        )),
        Err(SubmitError::Rejected(reason)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "rejected",
            reason,
        )),
        Err(SubmitError::Unavailable(reason)) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            reason,
        )),
    }
}

#[derive(Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum TxView {
    Pending,
    Final {
        height: u64,
        index: u32,
        kind: medshare_ledger::tx::Kind,
    },
    Rejected {
        reason: String,
    },
}

async fn transaction(State(api): State<ApiState>, Path(id): Path<String>) -> ApiResult<TxView> {
    let id = parse_hash(&id, "transaction id")?;
    if let Some(record) = state::read::<TxRecord>(&api.chain.db.snapshot(), &state::tx_key(&id)) {
        return Ok(Json(TxView::Final {
            height: record.height,
            index: record.index,
            kind: record.kind,
        }));
    }
    match api.chain.mempool.status(&id) {
        Some(TxStatus::Pending) => Ok(Json(TxView::Pending)),
        Some(TxStatus::Rejected { reason }) => Ok(Json(TxView::Rejected { reason })),
        None => Err(ApiError::not_found(
            "unknown_transaction",
            "this node has not seen that transaction; submit it again",
        )),
    }
}

#[derive(Serialize)]
struct BlockView {
    height: u64,
    digest: String,
    parent: String,
    timestamp_ms: u64,
    proposer: String,
    view: u64,
    tx_root: String,
    state_root: String,
    transactions: Vec<BlockTx>,
}

#[derive(Serialize)]
struct BlockTx {
    id: String,
    kind: medshare_ledger::tx::Kind,
}

async fn block(State(api): State<ApiState>, Path(height): Path<u64>) -> ApiResult<BlockView> {
    if height > api.chain.tip().height {
        return Err(ApiError::not_found(
            "unknown_block",
            format!("no finalized block at height {height} yet"),
        ));
    }
    let block = if height == 0 {
        api.chain.genesis().clone()
    } else {
        api.marshal
            .get_block(Height::new(height))
            .await
            .ok_or_else(|| {
                ApiError::not_found(
                    "unknown_block",
                    format!("block {height} is not stored on this node"),
                )
            })?
    };
    let header = block.header();
    use commonware_consensus::Viewable;
    use commonware_cryptography::Digestible;
    Ok(Json(BlockView {
        height: header.height,
        digest: hex::encode(block.digest()),
        parent: hex::encode(header.parent),
        timestamp_ms: header.timestamp_ms,
        proposer: hex::encode(header.proposer.as_ref()),
        view: block.context.view().get(),
        tx_root: hex::encode(header.tx_root),
        state_root: hex::encode(header.state_root),
        transactions: block
            .block
            .txs
            .iter()
            .map(|tx| BlockTx {
                id: hex::encode(tx.id()),
                kind: tx.kind(),
            })
            .collect(),
    }))
}

fn read_or_404<T: serde::de::DeserializeOwned>(
    state: &dyn Kv,
    key: &[u8],
    code: &'static str,
    message: String,
) -> Result<T, ApiError> {
    state::read(state, key).ok_or_else(|| ApiError::not_found(code, message))
}

async fn group(State(api): State<ApiState>, Path(id): Path<String>) -> ApiResult<GroupRecord> {
    let id = GroupId::new(&id).map_err(|e| ApiError::bad_request("bad_group", e))?;
    read_or_404(
        &api.chain.db.snapshot(),
        &state::group_key(&id),
        "unknown_group",
        format!("no group {id}"),
    )
    .map(Json)
}

#[derive(Serialize)]
struct RevocationView {
    group: GroupId,
    epoch: u64,
    revocation: String,
}

/// The public data a remaining member needs to update its key to `epoch`.
async fn revocation(
    State(api): State<ApiState>,
    Path((id, epoch)): Path<(String, u64)>,
) -> ApiResult<RevocationView> {
    let group = GroupId::new(&id).map_err(|e| ApiError::bad_request("bad_group", e))?;
    let bytes = api
        .chain
        .db
        .snapshot()
        .get(&state::revocation_key(&group, epoch))
        .ok_or_else(|| {
            ApiError::not_found(
                "unknown_revocation",
                format!("group {group} has no revocation into epoch {epoch}"),
            )
        })?;
    Ok(Json(RevocationView {
        group,
        epoch,
        revocation: hex::encode(bytes),
    }))
}

async fn mda(State(api): State<ApiState>, Path(alpha): Path<String>) -> ApiResult<MdaRecord> {
    let alpha = parse_field(&alpha, "alpha")?;
    read_or_404(
        &api.chain.db.snapshot(),
        &state::mda_key(&alpha),
        "unknown_mda",
        format!("MDA {alpha} is not registered"),
    )
    .map(Json)
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    from: u32,
    #[serde(default = "default_limit")]
    limit: u32,
}

fn default_limit() -> u32 {
    100
}

#[derive(Serialize)]
struct AuditView {
    total: u32,
    events: Vec<AuditEvent>,
}

fn audit(api: &ApiState, log: AuditLog, page: Page) -> AuditView {
    let snapshot = api.chain.db.snapshot();
    AuditView {
        total: log.len(&snapshot),
        events: log.read(&snapshot, page.from, page.limit.min(MAX_EVENTS)),
    }
}

async fn mda_audit(
    State(api): State<ApiState>,
    Path(alpha): Path<String>,
    Query(page): Query<Page>,
) -> ApiResult<AuditView> {
    let alpha = parse_field(&alpha, "alpha")?;
    Ok(Json(audit(&api, AuditLog::Alpha(&alpha), page)))
}

async fn pseudonym_audit(
    State(api): State<ApiState>,
    Path(pk): Path<String>,
    Query(page): Query<Page>,
) -> ApiResult<AuditView> {
    let pk = parse_field(&pk, "pseudonym")?;
    Ok(Json(audit(&api, AuditLog::Pseudonym(&pk), page)))
}

async fn authorization(
    State(api): State<ApiState>,
    Path(re_auth): Path<String>,
) -> ApiResult<AuthorizationRecord> {
    let re_auth = parse_field(&re_auth, "re_auth")?;
    read_or_404(
        &api.chain.db.snapshot(),
        &state::authorization_key(&re_auth),
        "unknown_authorization",
        format!("no authorization with commitment {re_auth}"),
    )
    .map(Json)
}

async fn extraction(
    State(api): State<ApiState>,
    Path(epk): Path<String>,
) -> ApiResult<ExtractionRecord> {
    let epk = parse_hash(&epk, "ephemeral key")?;
    read_or_404(
        &api.chain.db.snapshot(),
        &state::extraction_key(&epk),
        "unknown_extraction",
        "no final extraction for that key".into(),
    )
    .map(Json)
}

fn parse_tree(name: &str) -> Result<TreeId, ApiError> {
    match name {
        "registration" => Ok(TreeId::Registration),
        "authorization" => Ok(TreeId::Authorization),
        _ => Err(ApiError::bad_request(
            "bad_tree",
            "tree must be registration or authorization",
        )),
    }
}

#[derive(Serialize)]
struct TreeView {
    size: u64,
    root: Field,
}

async fn tree_info(State(api): State<ApiState>, Path(name): Path<String>) -> ApiResult<TreeView> {
    let meta = tree::meta(&api.chain.db.snapshot(), parse_tree(&name)?);
    Ok(Json(TreeView {
        size: meta.hashed,
        root: meta.root,
    }))
}

#[derive(Serialize)]
struct PathView {
    position: u64,
    leaf: Field,
    root: Field,
    /// Per level from the leaves up, the other three children of the 4-ary node.
    siblings: Vec<[Field; 3]>,
}

/// The authentication path a client proves membership with (a private input of its proof).
async fn tree_path(
    State(api): State<ApiState>,
    Path((name, position)): Path<(String, u64)>,
) -> ApiResult<PathView> {
    let tree_id = parse_tree(&name)?;
    let snapshot = api.chain.db.snapshot();
    let meta = tree::meta(&snapshot, tree_id);
    let path = tree::path(&snapshot, tree_id, position).ok_or_else(|| {
        ApiError::not_found(
            "unknown_leaf",
            format!("the {name} tree has {} final leaves", meta.hashed),
        )
    })?;
    let leaf = tree::leaf(&snapshot, tree_id, position).expect("a path implies a leaf");
    Ok(Json(PathView {
        position,
        leaf,
        root: meta.root,
        siblings: path
            .siblings()
            .iter()
            .map(|level| level.map(Field))
            .collect(),
    }))
}
