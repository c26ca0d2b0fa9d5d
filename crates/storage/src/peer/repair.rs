//! Repair: a peer rebuilds its own lost or damaged shards of an MDA from `k` others.
//!
//! The shards come from the other holders sealed to this peer's key from the peer list, so only
//! it can read them; they are verified against their CIDs, erasure-decoded, and the rebuilt
//! shards are checked against the manifest before they are stored. The repairing peer sees `k`
//! shards of the MDA for a moment — ciphertext only: the data key never reaches storage peers.

use std::io;
use std::path::PathBuf;

use axum::http::StatusCode;

use super::{ATTEMPTS, ApiError, StoragePeer};
use crate::api::{ErrorCode, RepairReport};
use crate::codec;
use crate::content_id::ContentId;
use crate::manifest::{MAX_MANIFEST_BYTES, Manifest};
use crate::placement::Placement;
use crate::remote::{self, FetchJob, SealedShard};
use crate::store::ShardState;
use crate::transport::{self, Audience};

impl StoragePeer {
    /// Checks this peer's own shards of `manifest` and rebuilds any that are missing or damaged
    /// from `k` shards fetched from the other peers (sealed to this peer's key).
    pub async fn repair(&self, manifest_cid: ContentId) -> Result<RepairReport, ApiError> {
        let manifest = match self.manifest(manifest_cid).await {
            Ok(manifest) => manifest,
            Err(error) if error.code == ErrorCode::UnknownManifest => {
                self.fetch_manifest(manifest_cid).await?
            }
            Err(error) => return Err(error),
        };
        let placement = Placement::compute(&manifest, &self.0.peers).map_err(|e| {
            ApiError::new(StatusCode::CONFLICT, ErrorCode::NotAHolder, e.to_string())
        })?;
        let mine = placement.shards_of(&self.0.id);
        let shard_len = manifest.shard_len();
        let cids: Vec<ContentId> = mine.iter().map(|&i| manifest.shards()[i]).collect();
        let states = self
            .blocking(move |store| {
                cids.iter()
                    .map(|cid| store.check_shard(cid, shard_len))
                    .collect::<io::Result<Vec<_>>>()
                    .map_err(|e| ApiError::internal(&e))
            })
            .await?;
        let (mut intact, mut lost) = (Vec::new(), Vec::new());
        for (&index, state) in mine.iter().zip(states) {
            match state {
                ShardState::Intact => intact.push(index),
                ShardState::Missing | ShardState::Damaged => lost.push(index),
            }
        }
        let report = |repaired: &[usize]| RepairReport {
            manifest: manifest_cid,
            intact: intact.iter().map(|&i| manifest.shards()[i]).collect(),
            repaired: repaired.iter().map(|&i| manifest.shards()[i]).collect(),
        };
        if lost.is_empty() {
            return Ok(report(&[]));
        }

        // Sources: this peer's intact shards, then shards fetched from their holders.
        let tmp = self.0.store.tmp_dir();
        let mut sources: Vec<(usize, PathBuf)> = intact
            .iter()
            .map(|&i| (i, self.0.store.shard_path(&manifest.shards()[i])))
            .collect();
        let need = manifest.erasure().k().saturating_sub(sources.len());
        let jobs = (0..manifest.erasure().total())
            .filter(|&i| placement.holder(i) != &self.0.id)
            .filter_map(|index| {
                let holder = self.0.peers.get(placement.holder(index))?;
                let cid = manifest.shards()[index];
                let query = format!("manifest={manifest_cid}&peer={}", self.0.id);
                Some(FetchJob {
                    index,
                    peer: holder.id.clone(),
                    url: remote::endpoint(&holder.url, &format!("/v1/shards/{cid}/repair?{query}")),
                    shard: SealedShard {
                        cid,
                        len: shard_len,
                        recipient: self.0.key.clone(),
                        context: transport::context(&cid, Audience::Repair(&self.0.id)),
                    },
                })
            })
            .collect();
        let fetched = remote::gather(&self.0.http, jobs, need, ATTEMPTS, &tmp)
            .await
            .map_err(|failures| {
                let reasons: Vec<String> = failures.iter().map(ToString::to_string).collect();
                ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    ErrorCode::RepairFailed,
                    format!(
                        "could not fetch {need} intact shards from other peers: {}",
                        reasons.join("; ")
                    ),
                )
            })?;
        sources.extend(fetched.iter().map(|(i, path)| (*i, path.to_path_buf())));

        let rebuilt_indices = lost.clone();
        let manifest_for_rebuild = manifest.clone();
        self.blocking(move |store| {
            let rebuilt = codec::rebuild_shards(
                &manifest_for_rebuild,
                &sources,
                &rebuilt_indices,
                &store.tmp_dir(),
            )
            .map_err(|e| ApiError::internal(&e))?;
            for (index, file) in rebuilt {
                store
                    .adopt_shard(&manifest_for_rebuild.shards()[index], file)
                    .map_err(|e| ApiError::internal(&e))?;
            }
            Ok(())
        })
        .await?;
        drop(fetched);
        tracing::info!(%manifest_cid, repaired = lost.len(), "repaired shards");
        Ok(report(&lost))
    }

    /// Fetches manifest `cid` from the other peers, checks and keeps it.
    async fn fetch_manifest(&self, cid: ContentId) -> Result<Manifest, ApiError> {
        for peer in self.0.peers.peers().iter().filter(|p| p.id != self.0.id) {
            let url = remote::endpoint(&peer.url, &format!("/v1/manifests/{cid}"));
            match remote::get_bytes(&self.0.http, &url, MAX_MANIFEST_BYTES).await {
                Ok(bytes) => {
                    let stored = self
                        .blocking(move |store| {
                            store.put_manifest(&cid, &bytes).map_err(ApiError::from)?;
                            Ok(bytes)
                        })
                        .await;
                    match stored {
                        Ok(bytes) => {
                            return Manifest::from_bytes(&bytes)
                                .map_err(|e| ApiError::internal(&e));
                        }
                        Err(error) => {
                            tracing::warn!(%cid, peer = %peer.id, %error.message, "bad manifest")
                        }
                    }
                }
                Err(error) => {
                    tracing::debug!(%cid, peer = %peer.id, %error, "manifest not fetched")
                }
            }
        }
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownManifest,
            format!("unknown manifest {cid}: no peer has it"),
        ))
    }
}
