//! The validator's HTTP API: `/v1` (submit and check transactions, follow their status, read
//! finalized state — MDA records, audit logs, commitment-tree paths, blocks, groups), the
//! OpenAPI document at `/openapi.json` with interactive docs at `/docs`, `/healthz` and
//! Prometheus `/metrics`. The storage peer's routes (`/v1/shards…`, `/v1/manifests…`) are
//! merged in by [`crate::run`].
//!
//! Every read is of *finalized* state: a client that sees an answer here sees what every honest
//! validator will keep. Every refusal is JSON `{"error": {"code", "message"}}` with a stable
//! [`ErrorCode`] and a message that says what to do next.

use crate::{
    block::ChainBlock,
    chain::Chain,
    gossip::{SubmitError, Submitter},
    mempool::TxStatus as PoolStatus,
    state_db::Snapshot,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Path, Query, State, rejection::BytesRejection},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::{get, post},
};
use commonware_consensus::{
    marshal::{core::Mailbox, standard::Standard},
    simplex::scheme::ed25519::Scheme,
    types::Height,
};
use medshare_api::{
    AccountView, AuditEventView, AuditView, AuthorizationView, BlockTx, BlockView, ErrorBody,
    ErrorCode, ErrorDetail, ExtractionView, FspView, GroupView, MdaView, PathView, RevocationView,
    Status, SubmitRequest, Submitted, TreeView, TxStatus,
};
use medshare_ledger::{
    Field, Genesis, GroupId, Hash, Transaction, TxError,
    state::{self, AuditLog, StateView},
    tree::{self, TreeId},
    tx::MAX_TX_BYTES,
};
use medshare_zk::CircuitId;
use serde::Deserialize;
use std::{
    path::PathBuf,
    sync::{Arc, atomic::Ordering},
};
use utoipa::OpenApi;

/// Largest request body of the `/v1` routes of the node: a hex-encoded transaction in JSON,
/// with room to spare. (Shard uploads have their own limit, `max_shard_bytes`.)
pub const MAX_BODY: usize = 2 * MAX_TX_BYTES + 1024;
/// Most audit events returned by one request.
const MAX_EVENTS: u32 = 1000;

#[derive(Clone)]
pub struct ApiState {
    pub chain: Arc<Chain>,
    pub submitter: Submitter,
    pub marshal: Mailbox<Scheme, Standard<ChainBlock>>,
    pub genesis: Arc<Genesis>,
    /// Where the Groth16 key files are; proving keys found there are served to clients.
    pub keys_dir: PathBuf,
    /// The runtime's own metrics (consensus, p2p bandwidth, storage), Prometheus text, appended
    /// to ours on `/metrics`.
    pub runtime_metrics: Arc<dyn Fn() -> String + Send + Sync>,
}

impl ApiState {
    /// Typed reads of this node's finalized state.
    fn state(&self) -> StateView<Snapshot> {
        StateView(self.chain.finalized())
    }
}

/// A refusal: HTTP status, stable code, and a message that says what to do next.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
    fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    fn not_found(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }
    /// A transaction the state machine refuses.
    fn refused(error: &TxError) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::of(error),
            refusal_message(error),
        )
    }
}

/// The state machine's reason, with what the submitter can do about it.
fn refusal_message(error: &TxError) -> String {
    let next = match error {
        TxError::BadGroupSignature { .. } => {
            "update your member key from the group's revocations; if that fails you were revoked: ask the group authority"
        }
        TxError::StaleRoot(_) => "fetch a fresh path and prove again",
        TxError::DuplicateAlpha(_) => "this exact data is registered already; nothing to do",
        TxError::UnknownAlpha(_) => "check α, or register the MDA first",
        TxError::NotOwner { .. } => {
            "only the owner's pseudonym in the registered group can authorize"
        }
        TxError::UnknownAuthorization { .. } => "ask the owner to authorize your profile first",
        TxError::ReusedEphemeralKey => "extract again with a fresh ephemeral key",
        TxError::Replayed(_) => "it is already on chain; nothing to do",
        TxError::UnknownGroup(_) => "check the group name, or create the group first",
        TxError::NotAnAuthority => "only authorities listed in genesis can create groups",
        TxError::GroupKeyChanged(_) => "the group advanced an epoch: sign and prove again",
        _ => "rebuild the transaction with the medshare client",
    };
    format!("{error}; {next}")
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "medshare validator API",
        description = "Privacy-preserving medical data sharing on a consortium chain (seed 000). \
            Reads are of finalized state. Errors are `{\"error\": {\"code\", \"message\"}}` with a \
            stable code. The storage peer of the same validator serves `/v1/shards/{cid}` \
            (PUT a shard; GET `/extraction?alpha=…&epk=…` sealed to a final extraction's key), \
            `/v1/manifests/{cid}`, `/v1/health` and `/v1/inventory`."
    ),
    paths(
        status,
        genesis,
        proving_key,
        submit,
        check,
        transaction,
        block,
        group,
        revocation,
        mda,
        mda_audit,
        pseudonym_audit,
        authorization,
        extraction,
        account,
        fsp,
        tree_info,
        tree_path
    ),
    components(schemas(ErrorBody, ErrorDetail, ErrorCode, AuditEventView))
)]
struct ApiDoc;

/// The OpenAPI document of this API. Every response gets a description (OpenAPI 3.1 requires
/// one; client generators reject documents without): the status's reason phrase where the
/// operation gives none.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            for (status, response) in operation.responses.responses.iter_mut() {
                if let utoipa::openapi::RefOr::T(response) = response
                    && response.description.trim().is_empty()
                {
                    response.description = status
                        .parse::<u16>()
                        .ok()
                        .and_then(|code| StatusCode::from_u16(code).ok())
                        .and_then(|code| code.canonical_reason())
                        .unwrap_or("response")
                        .to_string();
                }
            }
        }
    }
    document
}

pub fn router(state: ApiState) -> Router {
    let document = openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes");
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .route(
            "/openapi.json",
            get(move || async move { ([(header::CONTENT_TYPE, "application/json")], document) }),
        )
        .route("/docs", get(|| async { Html(DOCS_PAGE) }))
        .route("/v1/status", get(status))
        .route("/v1/genesis", get(genesis))
        .route("/v1/keys/{circuit}", get(proving_key))
        .route("/v1/transactions", post(submit))
        .route("/v1/transactions/check", post(check))
        .route("/v1/transactions/{id}", get(transaction))
        .route("/v1/blocks/{height}", get(block))
        .route("/v1/groups/{id}", get(group))
        .route("/v1/groups/{id}/revocations/{epoch}", get(revocation))
        .route("/v1/mdas/{alpha}", get(mda))
        .route("/v1/mdas/{alpha}/audit", get(mda_audit))
        .route("/v1/pseudonyms/{pk}/audit", get(pseudonym_audit))
        .route("/v1/authorizations/{re_auth}", get(authorization))
        .route("/v1/extractions/{epk}", get(extraction))
        .route("/v1/accounts/{account}", get(account))
        .route("/v1/fsps/{authority}", get(fsp))
        .route("/v1/trees/{tree}", get(tree_info))
        .route("/v1/trees/{tree}/paths/{position}", get(tree_path))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// A known route with another method: the JSON error envelope, like every other error.
async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        format!(
            "{} does not accept {method}; /openapi.json lists its methods",
            uri.path()
        ),
    )
}

async fn not_found() -> ApiError {
    ApiError::not_found(
        ErrorCode::NotFound,
        "no such route; the routes are listed at /openapi.json and /docs",
    )
}

fn parse_field(text: &str, what: &str) -> Result<Field, ApiError> {
    Field::from_hex(text).ok_or_else(|| {
        ApiError::bad_request(
            ErrorCode::InvalidField,
            format!(
                "{what} must be 64 hex digits of a canonical field element, as printed by medshare"
            ),
        )
    })
}

fn parse_hash(text: &str, what: &str) -> Result<Hash, ApiError> {
    hex::decode(text)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::InvalidHash,
                format!("{what} must be 64 hex digits"),
            )
        })
}

fn parse_u64(text: &str, what: &str) -> Result<u64, ApiError> {
    text.parse().map_err(|_| {
        ApiError::bad_request(
            ErrorCode::InvalidParameter,
            format!("{what} must be a non-negative integer"),
        )
    })
}

fn parse_group(text: &str) -> Result<GroupId, ApiError> {
    GroupId::new(text).map_err(|e| ApiError::bad_request(ErrorCode::InvalidGroup, e))
}

async fn metrics(State(api): State<ApiState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(&api.chain) + &(api.runtime_metrics)(),
    )
}

/// Where the chain stands on this node.
#[utoipa::path(get, path = "/v1/status", tag = "chain", responses((status = 200, body = Status)))]
async fn status(State(api): State<ApiState>) -> Json<Status> {
    let tip = api.chain.tip();
    let stats = &api.chain.stats;
    let timestamp_ms = api.state().head().map_or(0, |head| head.timestamp_ms);
    Json(Status {
        chain_id: api.genesis.chain_id.clone(),
        height: tip.height,
        finalized_tip: stats.tip_height.load(Ordering::Relaxed).max(tip.height),
        state_root: hex::encode(tip.root()),
        timestamp_ms,
        mempool: api.chain.mempool.len(),
        proofs_verified: stats.proofs_verified.load(Ordering::Relaxed),
        transactions_finalized: stats.finalized_txs.load(Ordering::Relaxed),
        validators: api.genesis.validators.len(),
        workers: api.chain.workers.count(),
    })
}

/// The genesis file: chain id, validators (and their storage peers), verifying-key digests,
/// group authorities.
#[utoipa::path(get, path = "/v1/genesis", tag = "chain", responses((status = 200, body = Object)))]
async fn genesis(State(api): State<ApiState>) -> Json<Genesis> {
    Json(api.genesis.as_ref().clone())
}

/// A Groth16 proving key (`registration`, `authorization`, `extraction` or `withdrawal`), for
/// clients. Its
/// verifying key must match the digest in genesis: clients check it.
#[utoipa::path(get, path = "/v1/keys/{circuit}", tag = "chain",
    params(("circuit" = String, Path, description = "registration, authorization, extraction or withdrawal")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = ErrorBody)))]
async fn proving_key(
    State(api): State<ApiState>,
    Path(circuit): Path<String>,
) -> Result<Response, ApiError> {
    let Some(circuit) = CircuitId::ALL.into_iter().find(|c| c.name() == circuit) else {
        return Err(ApiError::not_found(
            ErrorCode::UnknownKey,
            "circuit must be registration, authorization, extraction or withdrawal",
        ));
    };
    let path = api.keys_dir.join(format!("{}.pk", circuit.name()));
    let bytes = tokio::fs::read(&path).await.map_err(|_| {
        ApiError::not_found(
            ErrorCode::UnknownKey,
            format!("this node does not distribute the {circuit} proving key; ask another node or pass --keys-dir"),
        )
    })?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

/// The transaction in a request body: JSON `{"tx": "<hex>"}` or the raw encoding as
/// `application/octet-stream`.
fn decode_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Transaction, ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                format!("the body exceeds {MAX_BODY} bytes; a transaction is at most {MAX_TX_BYTES} bytes"),
            )
        } else {
            ApiError::bad_request(ErrorCode::InvalidJson, rejection.body_text())
        }
    })?;
    let is_binary = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/octet-stream"));
    let bytes = if is_binary {
        body.to_vec()
    } else {
        let parsed: SubmitRequest = serde_json::from_slice(&body).map_err(|e| {
            ApiError::bad_request(
                ErrorCode::InvalidJson,
                format!("expected {{\"tx\": \"<hex>\"}}: {e}"),
            )
        })?;
        hex::decode(parsed.tx.trim())
            .map_err(|_| ApiError::bad_request(ErrorCode::MalformedTransaction, "tx must be hex"))?
    };
    Transaction::from_bytes(&bytes).map_err(|e| {
        ApiError::bad_request(
            ErrorCode::MalformedTransaction,
            format!("not a medshare transaction ({e}); build it with the medshare client"),
        )
    })
}

/// Submits a transaction: it is checked (proof, signatures, state rules) and, if valid, pooled
/// and gossiped. Follow it at `/v1/transactions/{id}`.
#[utoipa::path(post, path = "/v1/transactions", tag = "transactions", request_body = SubmitRequest,
    responses((status = 202, body = Submitted), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn submit(
    State(api): State<ApiState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Submitted>), ApiError> {
    let tx = decode_body(&headers, body)?;
    // Final already (these bytes, or an equivalent copy with a re-randomized proof: the id leaves
    // the proof out): the same answer as the check route, never "pending".
    if let Some(record) = api.state().transaction(&tx.id()) {
        return Err(ApiError::refused(&TxError::Replayed(record.height)));
    }
    match api.submitter.submit(tx).await {
        Ok(id) => Ok((
            StatusCode::ACCEPTED,
            Json(Submitted {
                id: hex::encode(id),
                status: "pending".into(),
            }),
        )),
        Err(SubmitError::Rejected(reason)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Rejected,
            format!(
                "{reason}; check it first with POST /v1/transactions/check for the precise code"
            ),
        )),
        Err(SubmitError::Unavailable(reason)) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            format!("{reason}; retry in a moment"),
        )),
    }
}

/// Checks a transaction against the finalized state without submitting it: what a client does
/// before it uploads data or spends anything, so a refusal leaves nothing behind.
#[utoipa::path(post, path = "/v1/transactions/check", tag = "transactions", request_body = SubmitRequest,
    responses((status = 200, body = Submitted), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn check(
    State(api): State<ApiState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Submitted> {
    let tx = decode_body(&headers, body)?;
    let id = tx.id();
    let checked = api
        .chain
        .check_on_workers(vec![tx.clone()])
        .await
        .pop()
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
                "no verification worker answered; retry",
            )
        })?
        .map_err(|e| ApiError::refused(&e))?;
    api.chain
        .dry_run(&tx, &checked)
        .map_err(|e| ApiError::refused(&e))?;
    Ok(Json(Submitted {
        id: hex::encode(id),
        status: "valid".into(),
    }))
}

/// A transaction's status; final ones come with their encoding.
#[utoipa::path(get, path = "/v1/transactions/{id}", tag = "transactions",
    params(("id" = String, Path, description = "transaction id, hex")),
    responses((status = 200, body = TxStatus), (status = 404, body = ErrorBody)))]
async fn transaction(State(api): State<ApiState>, Path(id): Path<String>) -> ApiResult<TxStatus> {
    let id = parse_hash(&id, "transaction id")?;
    if let Some(record) = api.state().transaction(&id) {
        let transaction = api
            .marshal
            .get_block(Height::new(record.height))
            .await
            .and_then(|block| block.block.txs.get(record.index as usize).cloned())
            .map(|tx| hex::encode(commonware_codec::Encode::encode(&tx)));
        return Ok(Json(TxStatus::Final {
            height: record.height,
            index: record.index,
            kind: record.kind,
            transaction,
        }));
    }
    match api.chain.mempool.status(&id) {
        Some(PoolStatus::Pending) => Ok(Json(TxStatus::Pending)),
        Some(PoolStatus::Rejected { reason }) => Ok(Json(TxStatus::Rejected { reason })),
        None => Err(ApiError::not_found(
            ErrorCode::UnknownTransaction,
            "this node has not seen that transaction; check the id, or submit it again",
        )),
    }
}

/// A finalized block.
#[utoipa::path(get, path = "/v1/blocks/{height}", tag = "chain",
    params(("height" = u64, Path, description = "block height")),
    responses((status = 200, body = BlockView), (status = 404, body = ErrorBody)))]
async fn block(State(api): State<ApiState>, Path(height): Path<String>) -> ApiResult<BlockView> {
    let height = parse_u64(&height, "height")?;
    let tip = api.chain.tip().height;
    if height > tip {
        return Err(ApiError::not_found(
            ErrorCode::UnknownBlock,
            format!("no finalized block at height {height} yet (the tip is {tip})"),
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
                    ErrorCode::UnknownBlock,
                    format!("block {height} is not stored on this node; ask another validator"),
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

/// A group: its authority and current BBS04 group public key and epoch.
#[utoipa::path(get, path = "/v1/groups/{id}", tag = "groups",
    params(("id" = String, Path, description = "group name")),
    responses((status = 200, body = GroupView), (status = 404, body = ErrorBody)))]
async fn group(State(api): State<ApiState>, Path(id): Path<String>) -> ApiResult<GroupView> {
    let id = parse_group(&id)?;
    let record = api.state().group(&id).ok_or_else(|| {
        ApiError::not_found(
            ErrorCode::UnknownGroup,
            format!("no group {id}; check the name, or create it with `medshare group create`"),
        )
    })?;
    Ok(Json(record.into()))
}

/// The public data a remaining member needs to update its key to `epoch`.
#[utoipa::path(get, path = "/v1/groups/{id}/revocations/{epoch}", tag = "groups",
    params(("id" = String, Path, description = "group name"), ("epoch" = u64, Path, description = "the epoch the revocation led to")),
    responses((status = 200, body = RevocationView), (status = 404, body = ErrorBody)))]
async fn revocation(
    State(api): State<ApiState>,
    Path((id, epoch)): Path<(String, String)>,
) -> ApiResult<RevocationView> {
    let group = parse_group(&id)?;
    let epoch = parse_u64(&epoch, "epoch")?;
    let bytes = api.state().revocation(&group, epoch).ok_or_else(|| {
        ApiError::not_found(
            ErrorCode::UnknownRevocation,
            format!("group {group} has no revocation into epoch {epoch}"),
        )
    })?;
    Ok(Json(RevocationView {
        group,
        epoch,
        revocation: hex::encode(bytes),
    }))
}

/// A registered MDA.
#[utoipa::path(get, path = "/v1/mdas/{alpha}", tag = "mdas",
    params(("alpha" = String, Path, description = "α, 64 hex digits")),
    responses((status = 200, body = MdaView), (status = 404, body = ErrorBody)))]
async fn mda(State(api): State<ApiState>, Path(alpha): Path<String>) -> ApiResult<MdaView> {
    let alpha = parse_field(&alpha, "alpha")?;
    let record = api.state().mda(&alpha).ok_or_else(|| {
        ApiError::not_found(
            ErrorCode::UnknownMda,
            format!("MDA {alpha} is not registered; check α (`medshare mda list`)"),
        )
    })?;
    Ok(Json(record.into()))
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

fn page(
    query: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<Page, ApiError> {
    query.map(|Query(page)| page).map_err(|e| {
        ApiError::bad_request(
            ErrorCode::InvalidParameter,
            format!("{}; use ?from=N&limit=N", e.body_text()),
        )
    })
}

fn audit(api: &ApiState, log: AuditLog, page: Page) -> AuditView {
    let state = api.state();
    AuditView {
        total: state.audit_len(log),
        events: state
            .audit(log, page.from, page.limit.min(MAX_EVENTS))
            .into_iter()
            .map(Into::into)
            .collect(),
    }
}

/// Every event of an MDA, oldest first: registration, authorizations, extractions.
#[utoipa::path(get, path = "/v1/mdas/{alpha}/audit", tag = "mdas",
    params(("alpha" = String, Path, description = "α, 64 hex digits"),
        ("from" = Option<u32>, Query, description = "first event"), ("limit" = Option<u32>, Query, description = "at most 1000")),
    responses((status = 200, body = AuditView), (status = 400, body = ErrorBody)))]
async fn mda_audit(
    State(api): State<ApiState>,
    Path(alpha): Path<String>,
    query: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<AuditView> {
    let alpha = parse_field(&alpha, "alpha")?;
    Ok(Json(audit(&api, AuditLog::Alpha(&alpha), page(query)?)))
}

/// Every event naming a pseudonym (as owner or as data user), oldest first.
#[utoipa::path(get, path = "/v1/pseudonyms/{pk}/audit", tag = "mdas",
    params(("pk" = String, Path, description = "pseudonym, 64 hex digits"),
        ("from" = Option<u32>, Query, description = "first event"), ("limit" = Option<u32>, Query, description = "at most 1000")),
    responses((status = 200, body = AuditView), (status = 400, body = ErrorBody)))]
async fn pseudonym_audit(
    State(api): State<ApiState>,
    Path(pk): Path<String>,
    query: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<AuditView> {
    let pk = parse_field(&pk, "pseudonym")?;
    Ok(Json(audit(&api, AuditLog::Pseudonym(&pk), page(query)?)))
}

/// An authorization by its commitment `re_auth`, with the envelope sealed to the data user.
#[utoipa::path(get, path = "/v1/authorizations/{re_auth}", tag = "mdas",
    params(("re_auth" = String, Path, description = "authorization commitment, 64 hex digits")),
    responses((status = 200, body = AuthorizationView), (status = 404, body = ErrorBody)))]
async fn authorization(
    State(api): State<ApiState>,
    Path(re_auth): Path<String>,
) -> ApiResult<AuthorizationView> {
    let re_auth = parse_field(&re_auth, "re_auth")?;
    let record = api.state().authorization(&re_auth).ok_or_else(|| {
        ApiError::not_found(
            ErrorCode::UnknownAuthorization,
            format!("no authorization with commitment {re_auth}"),
        )
    })?;
    Ok(Json(record.into()))
}

/// A final extraction by its ephemeral key.
#[utoipa::path(get, path = "/v1/extractions/{epk}", tag = "mdas",
    params(("epk" = String, Path, description = "ephemeral X25519 key, 64 hex digits")),
    responses((status = 200, body = ExtractionView), (status = 404, body = ErrorBody)))]
async fn extraction(
    State(api): State<ApiState>,
    Path(epk): Path<String>,
) -> ApiResult<ExtractionView> {
    let epk = parse_hash(&epk, "ephemeral key")?;
    let record = api.state().extraction(&epk).ok_or_else(|| {
        ApiError::not_found(
            ErrorCode::UnknownExtraction,
            "no final extraction for that key",
        )
    })?;
    Ok(Json(record.into()))
}

/// A reward account: balance and next withdrawal nonce. An account never credited is empty.
#[utoipa::path(get, path = "/v1/accounts/{account}", tag = "rewards",
    params(("account" = String, Path, description = "a pseudonym (64 hex digits), group:<name> or validator:<hex>")),
    responses((status = 200, body = AccountView), (status = 400, body = ErrorBody)))]
async fn account(
    State(api): State<ApiState>,
    Path(account): Path<String>,
) -> ApiResult<AccountView> {
    let id = state::AccountId::parse(&account)
        .map_err(|e| ApiError::bad_request(ErrorCode::InvalidAccount, e))?;
    let record = api.state().account(&id);
    Ok(Json(AccountView::new(&id, record)))
}

/// What a genesis authority acting as FSP has paid out, and through which height.
#[utoipa::path(get, path = "/v1/fsps/{authority}", tag = "rewards",
    params(("authority" = String, Path, description = "the authority's ed25519 key, 64 hex digits")),
    responses((status = 200, body = FspView), (status = 400, body = ErrorBody)))]
async fn fsp(State(api): State<ApiState>, Path(authority): Path<String>) -> ApiResult<FspView> {
    let authority = parse_hash(&authority, "authority key")?;
    let record = api.state().fsp(&authority);
    Ok(Json(FspView::new(&authority, record)))
}

fn parse_tree(name: &str) -> Result<TreeId, ApiError> {
    match name {
        "registration" => Ok(TreeId::Registration),
        "authorization" => Ok(TreeId::Authorization),
        _ => Err(ApiError::bad_request(
            ErrorCode::InvalidTree,
            "tree must be registration or authorization",
        )),
    }
}

/// A commitment tree's final size and root.
#[utoipa::path(get, path = "/v1/trees/{tree}", tag = "trees",
    params(("tree" = String, Path, description = "registration or authorization")),
    responses((status = 200, body = TreeView), (status = 400, body = ErrorBody)))]
async fn tree_info(State(api): State<ApiState>, Path(name): Path<String>) -> ApiResult<TreeView> {
    let meta = tree::meta(&api.chain.finalized(), parse_tree(&name)?);
    Ok(Json(TreeView {
        size: meta.hashed,
        root: meta.root,
    }))
}

/// The authentication path of a leaf against the tree's current root.
#[utoipa::path(get, path = "/v1/trees/{tree}/paths/{position}", tag = "trees",
    params(("tree" = String, Path, description = "registration or authorization"), ("position" = u64, Path, description = "leaf position")),
    responses((status = 200, body = PathView), (status = 404, body = ErrorBody)))]
async fn tree_path(
    State(api): State<ApiState>,
    Path((name, position)): Path<(String, String)>,
) -> ApiResult<PathView> {
    let tree_id = parse_tree(&name)?;
    let position = parse_u64(&position, "position")?;
    let snapshot = api.chain.finalized();
    let meta = tree::meta(&snapshot, tree_id);
    let path = tree::path(&snapshot, tree_id, position).ok_or_else(|| {
        ApiError::not_found(
            ErrorCode::UnknownLeaf,
            format!("the {name} tree has {} final leaves", meta.hashed),
        )
    })?;
    let leaf = tree::leaf(&snapshot, tree_id, position).ok_or_else(|| {
        ApiError::not_found(
            ErrorCode::UnknownLeaf,
            format!("the {name} tree has no leaf {position}"),
        )
    })?;
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

/// Interactive documentation: every operation of `/openapi.json` with a form to call it. Self
/// contained (no script from elsewhere), so it works on an offline consortium network.
const DOCS_PAGE: &str = include_str!("docs.html");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_document_lists_every_v1_route() {
        let document = openapi();
        let paths: Vec<&String> = document.paths.paths.keys().collect();
        for route in [
            "/v1/status",
            "/v1/genesis",
            "/v1/keys/{circuit}",
            "/v1/transactions",
            "/v1/transactions/check",
            "/v1/transactions/{id}",
            "/v1/blocks/{height}",
            "/v1/groups/{id}",
            "/v1/groups/{id}/revocations/{epoch}",
            "/v1/mdas/{alpha}",
            "/v1/mdas/{alpha}/audit",
            "/v1/pseudonyms/{pk}/audit",
            "/v1/authorizations/{re_auth}",
            "/v1/extractions/{epk}",
            "/v1/accounts/{account}",
            "/v1/fsps/{authority}",
            "/v1/trees/{tree}",
            "/v1/trees/{tree}/paths/{position}",
        ] {
            assert!(
                paths.iter().any(|p| *p == route),
                "{route} is not documented"
            );
        }
        let json = document.to_json().unwrap();
        assert!(
            json.contains("bad_group_signature"),
            "error codes are documented"
        );
        // OpenAPI 3.1: every response has a non-empty description.
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let mut responses = 0;
        for (path, item) in value["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                for (status, response) in operation["responses"].as_object().unwrap() {
                    responses += 1;
                    let description = response["description"].as_str().unwrap_or("");
                    assert!(
                        !description.trim().is_empty(),
                        "{method} {path} {status} has no description"
                    );
                }
            }
        }
        assert!(responses >= 38, "{responses} responses");
    }

    #[test]
    fn refusals_say_what_to_do_next() {
        let error = ApiError::refused(&TxError::BadGroupSignature {
            group: GroupId::new("g").unwrap(),
            epoch: 2,
        });
        assert_eq!(error.code, ErrorCode::BadGroupSignature);
        assert!(error.message.contains("ask the group authority"));
    }
}
