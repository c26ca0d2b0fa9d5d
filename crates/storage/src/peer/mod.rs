//! The storage peer service: an axum [`Router`] the node mounts (and `medshare storage` serves
//! standalone).
//!
//! A peer accepts shards and manifests that match their CIDs, keeps them durably, and releases a
//! shard only sealed to the ephemeral key of a final extraction of its MDA — the decision it takes
//! from the chain through [`ReleaseGate`] — or, for repair, sealed to another storage peer of
//! genesis that holds part of the same MDA. See [`crate::api`] for the routes.

use std::io::{self, BufReader};
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use futures_util::{StreamExt, TryStreamExt};
use medshare_crypto::envelope::{PublicKey, SecretKey};
use tokio_util::io::{ReaderStream, StreamReader, SyncIoBridge};

mod error;
mod repair;

pub use error::ApiError;

use crate::api::{
    ErrorCode, ExtractionQuery, Health, Inventory, RepairQuery, RepairReport, ShardEntry,
    StoredObject,
};
use crate::content_id::ContentId;
use crate::gate::ReleaseGate;
use crate::manifest::{MAX_MANIFEST_BYTES, Manifest};
use crate::placement::{PeerId, PeerList, Placement};
use crate::remote;
use crate::store::{ShardStore, StoreError, Stored};
use crate::transport::{self, Audience, Sealer};

/// Default largest accepted shard: 1 GiB (a 4 GiB MDA at k = 4).
pub const DEFAULT_MAX_SHARD_BYTES: u64 = 1 << 30;
/// Attempts per request when this peer fetches from other peers.
const ATTEMPTS: u32 = 3;

/// What a storage peer needs to know about itself and the consortium.
#[derive(Clone, Debug)]
pub struct PeerConfig {
    /// This peer's id in the peer list.
    pub id: PeerId,
    /// Where shards and manifests live.
    pub data_dir: PathBuf,
    /// The storage peers of genesis, this one included.
    pub peers: PeerList,
    /// Largest shard accepted.
    pub max_shard_bytes: u64,
}

/// Why a peer could not start.
#[derive(Debug, thiserror::Error)]
pub enum PeerSetupError {
    #[error("peer {0} is not in the peer list")]
    NotListed(PeerId),
    #[error("the key given to peer {0} is not the key the peer list names for it")]
    KeyMismatch(PeerId),
    #[error("cannot open the store: {0}")]
    Store(#[from] io::Error),
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// A running storage peer; cheap to clone.
#[derive(Clone)]
pub struct StoragePeer(Arc<Inner>);

struct Inner {
    id: PeerId,
    store: ShardStore,
    gate: Arc<dyn ReleaseGate>,
    key: SecretKey,
    peers: PeerList,
    max_shard_bytes: u64,
    http: reqwest::Client,
}

impl StoragePeer {
    /// Opens the peer's store (clearing uploads a crash interrupted). `key` is the peer's HPKE
    /// secret key, whose public key the peer list names; `gate` answers from finalized state.
    pub fn open(
        config: PeerConfig,
        key: SecretKey,
        gate: Arc<dyn ReleaseGate>,
    ) -> Result<Self, PeerSetupError> {
        let listed = config
            .peers
            .get(&config.id)
            .ok_or_else(|| PeerSetupError::NotListed(config.id.clone()))?;
        if listed.key != key.public_key() {
            return Err(PeerSetupError::KeyMismatch(config.id));
        }
        Ok(Self(Arc::new(Inner {
            store: ShardStore::open(&config.data_dir)?,
            id: config.id,
            gate,
            key,
            peers: config.peers,
            max_shard_bytes: config.max_shard_bytes,
            http: remote::http_client()?,
        })))
    }

    /// This peer's id.
    pub fn id(&self) -> &PeerId {
        &self.0.id
    }

    /// The routes of [`crate::api`]. No fallback: the node merges these routes into its own
    /// router, which has one; a standalone peer adds [`not_found`].
    pub fn router(&self) -> Router {
        Router::new()
            .route("/v1/health", get(health))
            .route("/v1/inventory", get(inventory))
            .route("/v1/shards/{cid}", put(put_shard))
            .route("/v1/shards/{cid}/extraction", get(get_for_extraction))
            .route("/v1/shards/{cid}/repair", get(get_for_repair))
            .route("/v1/manifests/{cid}", put(put_manifest).get(get_manifest))
            .route("/v1/repair/{manifest}", post(post_repair))
            .with_state(self.clone())
    }

    /// Runs blocking store work off the async threads.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&ShardStore) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let peer = self.clone();
        tokio::task::spawn_blocking(move || work(&peer.0.store))
            .await
            .map_err(|e| ApiError::internal(&e))?
    }

    /// A stored manifest, or a refusal saying it is unknown.
    async fn manifest(&self, cid: ContentId) -> Result<Manifest, ApiError> {
        self.blocking(move |store| store.manifest(&cid).map_err(ApiError::from))
            .await?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    ErrorCode::UnknownManifest,
                    format!("unknown manifest {cid}"),
                )
            })
    }

    /// Streams shard `cid` of `manifest` sealed to `recipient`.
    async fn sealed_shard(
        &self,
        cid: ContentId,
        manifest: &Manifest,
        recipient: &PublicKey,
        audience: Audience<'_>,
    ) -> Result<Response, ApiError> {
        let shard_len = manifest.shard_len();
        let sealer = Sealer::new(recipient, &transport::context(&cid, audience)).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidRequest,
                format!("cannot seal to this key: {e}"),
            )
        })?;
        let (file, len) = self
            .blocking(move |store| store.open_shard(&cid).map_err(|e| ApiError::internal(&e)))
            .await?
            .ok_or_else(|| unknown_cid(&cid))?;
        if len != shard_len {
            tracing::error!(%cid, len, shard_len, "stored shard has the wrong length");
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::ShardDamaged,
                format!("the stored copy of {cid} is damaged"),
            ));
        }
        let (reader, writer) = tokio::io::duplex(256 * 1024);
        let writer = SyncIoBridge::new(writer);
        tokio::task::spawn_blocking(move || {
            if let Err(error) = sealer.seal(BufReader::new(file), shard_len, writer) {
                // The body ends short; the reader's stream decryption notices.
                tracing::warn!(%cid, %error, "sealed shard stream ended early");
            }
        });
        Ok((
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                (
                    header::CONTENT_LENGTH,
                    transport::sealed_len(shard_len).to_string(),
                ),
            ],
            Body::from_stream(ReaderStream::with_capacity(reader, 256 * 1024)),
        )
            .into_response())
    }
}

fn parse_cid(text: &str) -> Result<ContentId, ApiError> {
    text.parse().map_err(|e: crate::content_id::CidError| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidCid,
            e.to_string(),
        )
    })
}

fn unknown_cid(cid: &ContentId) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::UnknownCid,
        format!("unknown CID {cid}"),
    )
}

fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query.map(|Query(q)| q).map_err(|rejection| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
            rejection.body_text(),
        )
    })
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

fn too_large(limit: u64) -> ApiError {
    ApiError::from(StoreError::TooLarge { limit })
}

fn stored(cid: ContentId, stored: Stored) -> (StatusCode, Json<StoredObject>) {
    let created = stored == Stored::Created;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(StoredObject { cid, created }))
}

/// The refusal of a route that does not exist.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such route")
}

async fn health(State(peer): State<StoragePeer>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        peer: peer.0.id.clone(),
    })
}

async fn inventory(State(peer): State<StoragePeer>) -> Result<Json<Inventory>, ApiError> {
    let id = peer.0.id.clone();
    let (shards, manifests) = peer
        .blocking(|store| {
            let shards = store.shards().map_err(|e| ApiError::internal(&e))?;
            let manifests = store.manifests().map_err(|e| ApiError::internal(&e))?;
            Ok((shards, manifests))
        })
        .await?;
    Ok(Json(Inventory {
        peer: id,
        shards: shards
            .into_iter()
            .map(|(cid, bytes)| ShardEntry { cid, bytes })
            .collect(),
        manifests,
    }))
}

async fn put_shard(
    State(peer): State<StoragePeer>,
    Path(cid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<StoredObject>), ApiError> {
    let cid = parse_cid(&cid)?;
    let limit = peer.0.max_shard_bytes;
    if content_length(&headers).is_some_and(|len| len > limit) {
        return Err(too_large(limit));
    }
    // The body is verified and written on a blocking thread as it arrives.
    let body = body.into_data_stream().map_err(io::Error::other);
    let reader = SyncIoBridge::new(StreamReader::new(body));
    let outcome = peer
        .blocking(move |store| store.put_shard(&cid, reader, limit).map_err(ApiError::from))
        .await?;
    if outcome == Stored::Created {
        tracing::info!(%cid, "stored shard");
    }
    Ok(stored(cid, outcome))
}

async fn put_manifest(
    State(peer): State<StoragePeer>,
    Path(cid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<StoredObject>), ApiError> {
    let cid = parse_cid(&cid)?;
    let limit = MAX_MANIFEST_BYTES;
    if content_length(&headers).is_some_and(|len| len > limit as u64) {
        return Err(too_large(limit as u64));
    }
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::IncompleteBody,
                e.to_string(),
            )
        })?;
        if bytes.len() + chunk.len() > limit {
            return Err(too_large(limit as u64));
        }
        bytes.extend_from_slice(&chunk);
    }
    let outcome = peer
        .blocking(move |store| store.put_manifest(&cid, &bytes).map_err(ApiError::from))
        .await?;
    Ok(stored(cid, outcome))
}

async fn get_manifest(
    State(peer): State<StoragePeer>,
    Path(cid): Path<String>,
) -> Result<Response, ApiError> {
    let cid = parse_cid(&cid)?;
    let bytes = peer
        .blocking(move |store| {
            store
                .manifest_bytes(&cid)
                .map_err(|e| ApiError::internal(&e))
        })
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::UnknownManifest,
                format!("unknown manifest {cid}"),
            )
        })?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

/// Seed 000 §IV operation 4: the shard goes out only for a final extraction, sealed to its `epk`.
async fn get_for_extraction(
    State(peer): State<StoragePeer>,
    Path(cid): Path<String>,
    request: Result<Query<ExtractionQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let cid = parse_cid(&cid)?;
    let ExtractionQuery { alpha, epk } = query(request)?;
    let gate = peer.0.gate.clone();
    let registered = tokio::task::spawn_blocking(move || gate.extraction(&alpha, &epk))
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::GateUnavailable,
                e.to_string(),
            )
        })?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::NoExtraction,
                "no final extraction of this MDA for this key",
            )
        })?;
    let manifest = peer.manifest(registered).await?;
    if manifest.alpha() != &alpha || manifest.shard_index(&cid).is_none() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::NotInMda,
            format!("shard {cid} is not part of this MDA"),
        ));
    }
    peer.sealed_shard(cid, &manifest, &epk, Audience::Extraction(&alpha))
        .await
}

/// A shard for a storage peer of genesis that holds part of the same MDA and is repairing.
async fn get_for_repair(
    State(peer): State<StoragePeer>,
    Path(cid): Path<String>,
    request: Result<Query<RepairQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let cid = parse_cid(&cid)?;
    let RepairQuery {
        manifest: manifest_cid,
        peer: requester,
    } = query(request)?;
    let key = peer.0.peers.get(&requester).map(|p| p.key).ok_or_else(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::UnknownPeer,
            format!("{requester} is not a storage peer of this consortium"),
        )
    })?;
    let manifest = peer.manifest(manifest_cid).await?;
    if manifest.shard_index(&cid).is_none() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::NotInMda,
            format!("shard {cid} is not part of this MDA"),
        ));
    }
    let holds_part = Placement::compute(&manifest, &peer.0.peers)
        .map(|placement| !placement.shards_of(&requester).is_empty())
        .unwrap_or(false);
    if !holds_part {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::NotAHolder,
            format!("{requester} holds no shard of this MDA"),
        ));
    }
    peer.sealed_shard(cid, &manifest, &key, Audience::Repair(&requester))
        .await
}

async fn post_repair(
    State(peer): State<StoragePeer>,
    Path(manifest): Path<String>,
) -> Result<Json<RepairReport>, ApiError> {
    let manifest = parse_cid(&manifest)?;
    peer.repair(manifest).await.map(Json)
}
