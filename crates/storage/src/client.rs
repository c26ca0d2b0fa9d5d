//! The data owner's and data user's side of storage (seed 000 §IV operations 2 and 4).
//!
//! [`Client::upload`] encrypts a file under a fresh data key, erasure-codes it into shards,
//! places them on the storage peers of genesis and uploads them with their manifest; the owner
//! then registers the manifest CID and seals the data key and manifest into authorization
//! envelopes. [`Client::download`] is the data user's last step after a final `Extract`: it
//! fetches any `k` shards sealed to the extraction's ephemeral key, rebuilds and decrypts them,
//! checks `SHA-256(S) = α` and only then writes the output file.

use std::path::{Path, PathBuf};

use futures_util::future::try_join_all;
use indicatif::{ProgressBar, ProgressStyle};
use medshare_crypto::envelope::SecretKey;
use medshare_crypto::stream::StreamKey;

use crate::codec::{self, CodecError, Encoded};
use crate::content_id::ContentId;
use crate::erasure::Erasure;
use crate::manifest::{MAX_MANIFEST_BYTES, Manifest};
use crate::placement::{PeerId, PeerList, Placement, PlacementError};
use crate::remote::{self, FetchJob, RequestError, SealedShard, ShardFailure};
use crate::transport::{self, Audience};

/// How the client behaves.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Attempts per request before a peer is given up on (network errors and 5xx only).
    pub attempts: u32,
    /// Draw progress bars on the terminal.
    pub progress: bool,
    /// Where shards are staged; the system temporary directory by default. Needs room for
    /// `(k + m) / k` times the file on upload and once the file on download.
    pub work_dir: Option<PathBuf>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            attempts: 3,
            progress: false,
            work_dir: None,
        }
    }
}

/// What an upload produced: the owner registers `manifest_cid` and seals `manifest` and
/// `data_key` into authorization envelopes. (`Debug` redacts the data key.)
#[derive(Debug)]
pub struct Upload {
    pub manifest: Manifest,
    pub manifest_cid: ContentId,
    pub data_key: StreamKey,
    pub placement: Placement,
}

/// An MDA encrypted and encoded on the owner's machine, not yet uploaded
/// ([`Client::encode`]). Its shard files are deleted when it is dropped.
pub struct Staged {
    _dir: tempfile::TempDir,
    encoded: Encoded,
    placement: Placement,
}

impl Staged {
    /// The manifest the upload will register.
    pub fn manifest(&self) -> &Manifest {
        &self.encoded.manifest
    }
}

impl std::fmt::Debug for Staged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Staged")
            .field("manifest", &self.encoded.manifest.cid())
            .finish_non_exhaustive()
    }
}

/// Why an upload or download failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Placement(#[from] PlacementError),
    #[error(transparent)]
    Codec(#[from] CodecError),
    #[error("uploading {what} to {peer}: {error}")]
    Upload {
        what: String,
        peer: PeerId,
        error: RequestError,
    },
    #[error("could not fetch {need} intact shards: {}", list(.failures))]
    NotEnoughShards {
        need: usize,
        failures: Vec<ShardFailure>,
    },
    #[error("no peer returned a valid manifest {0}")]
    ManifestUnavailable(ContentId),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

fn list(failures: &[ShardFailure]) -> String {
    if failures.is_empty() {
        return "no peer to ask".into();
    }
    failures
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Talks to the storage peers of genesis.
pub struct Client {
    http: reqwest::Client,
    peers: PeerList,
    options: ClientOptions,
}

impl Client {
    /// A client for `peers`.
    pub fn new(peers: PeerList, options: ClientOptions) -> Result<Self, ClientError> {
        Ok(Self {
            http: remote::http_client()?,
            peers,
            options,
        })
    }

    fn bar(&self, len: u64, message: &'static str) -> ProgressBar {
        if !self.options.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len).with_message(message);
        if let Ok(style) = ProgressStyle::with_template(
            "{msg:>10} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    }

    fn work_dir(&self) -> std::io::Result<tempfile::TempDir> {
        match &self.options.work_dir {
            Some(dir) => tempfile::tempdir_in(dir),
            None => tempfile::tempdir(),
        }
    }

    fn peer_url(&self, id: &PeerId) -> &str {
        // Placements only name peers of this list.
        self.peers.get(id).map_or("", |peer| peer.url.as_str())
    }

    /// Encrypts, encodes and uploads the file at `input`.
    pub async fn upload(&self, input: &Path, erasure: Erasure) -> Result<Upload, ClientError> {
        let staged = self.encode(input, erasure).await?;
        self.push(staged).await
    }

    /// Encrypts and encodes the file at `input` into shard files in a private work directory,
    /// without contacting any peer: the owner can then build and check its registration before
    /// anything leaves the machine. Dropping the result deletes the shards.
    pub async fn encode(&self, input: &Path, erasure: Erasure) -> Result<Staged, ClientError> {
        // Refuse an impossible placement before spending time on encoding.
        self.peers.check_capacity(erasure)?;
        let dir = self.work_dir()?;
        let input_len = tokio::fs::metadata(input).await?.len();
        let bar = self.bar(input_len, "encoding");
        let (input, staging) = (input.to_path_buf(), dir.path().to_path_buf());
        let encode_bar = bar.clone();
        let encoded = tokio::task::spawn_blocking(move || {
            codec::encode_file(&input, erasure, &staging, &encode_bar)
        })
        .await
        .map_err(|e| ClientError::Io(std::io::Error::other(e)))??;
        bar.finish_and_clear();
        let placement = Placement::compute(&encoded.manifest, &self.peers)?;
        Ok(Staged {
            _dir: dir,
            encoded,
            placement,
        })
    }

    /// Uploads staged shards to their peers, then the manifest to every peer holding a shard.
    pub async fn push(&self, staged: Staged) -> Result<Upload, ClientError> {
        let Staged {
            _dir,
            encoded:
                Encoded {
                    manifest,
                    data_key,
                    shard_files,
                },
            placement,
        } = staged;
        let shard_len = manifest.shard_len();
        let bar = self.bar(shard_len * shard_files.len() as u64, "uploading");
        let attempts = self.options.attempts;
        let uploads = shard_files.iter().enumerate().map(|(index, path)| {
            let cid = manifest.shards()[index];
            let peer = placement.holder(index).clone();
            let url = remote::endpoint(self.peer_url(&peer), &format!("/v1/shards/{cid}"));
            let bar = bar.clone();
            async move {
                remote::with_retries(attempts, || {
                    remote::put_file(&self.http, &url, path, shard_len, &bar)
                })
                .await
                .map_err(|error| ClientError::Upload {
                    what: format!("shard {index} ({cid})"),
                    peer,
                    error,
                })
            }
        });
        try_join_all(uploads).await?;
        bar.finish_and_clear();

        let manifest_cid = manifest.cid();
        let bytes = manifest.to_bytes();
        let mut holders: Vec<&PeerId> = (0..manifest.shards().len())
            .map(|i| placement.holder(i))
            .collect();
        holders.sort();
        holders.dedup();
        let manifests = holders.into_iter().map(|peer| {
            let url = remote::endpoint(
                self.peer_url(peer),
                &format!("/v1/manifests/{manifest_cid}"),
            );
            let bytes = bytes.clone();
            async move {
                remote::with_retries(attempts, || {
                    remote::put_bytes(&self.http, &url, bytes.clone())
                })
                .await
                .map_err(|error| ClientError::Upload {
                    what: format!("manifest {manifest_cid}"),
                    peer: peer.clone(),
                    error,
                })
            }
        });
        try_join_all(manifests).await?;
        Ok(Upload {
            manifest,
            manifest_cid,
            data_key,
            placement,
        })
    }

    /// Fetches manifest `cid` from whichever peer has it, checked against its CID.
    pub async fn fetch_manifest(&self, cid: &ContentId) -> Result<Manifest, ClientError> {
        for peer in self.peers.peers() {
            let url = remote::endpoint(&peer.url, &format!("/v1/manifests/{cid}"));
            let fetched = remote::with_retries(self.options.attempts, || {
                remote::get_bytes(&self.http, &url, MAX_MANIFEST_BYTES)
            })
            .await;
            match fetched {
                Ok(bytes) if &ContentId::of(&bytes) == cid => match Manifest::from_bytes(&bytes) {
                    Ok(manifest) => return Ok(manifest),
                    Err(error) => tracing::warn!(%cid, peer = %peer.id, %error, "invalid manifest"),
                },
                Ok(_) => tracing::warn!(%cid, peer = %peer.id, "manifest does not match its CID"),
                Err(error) => {
                    tracing::debug!(%cid, peer = %peer.id, %error, "manifest not fetched")
                }
            }
        }
        Err(ClientError::ManifestUnavailable(*cid))
    }

    /// Fetches `k` shards of `manifest` sealed to `ephemeral`'s public key (the `epk` of a final
    /// `Extract` of its MDA), rebuilds and decrypts them with `data_key`, and writes the MDA to
    /// `output`.
    /// Shards that fail to arrive or to match their CIDs are replaced by others; `output` is
    /// written only if the whole MDA hashes to α.
    pub async fn download(
        &self,
        manifest: &Manifest,
        data_key: &StreamKey,
        ephemeral: &SecretKey,
        output: &Path,
    ) -> Result<(), ClientError> {
        let placement = Placement::compute(manifest, &self.peers)?;
        let alpha = *manifest.alpha();
        let query = format!("alpha={alpha}&epk={}", ephemeral.public_key());
        // Data shards first: they need no erasure decoding.
        let jobs = manifest
            .shards()
            .iter()
            .enumerate()
            .map(|(index, &cid)| {
                let peer = placement.holder(index).clone();
                let url = remote::endpoint(
                    self.peer_url(&peer),
                    &format!("/v1/shards/{cid}/extraction?{query}"),
                );
                FetchJob {
                    index,
                    peer,
                    url,
                    shard: SealedShard {
                        cid,
                        len: manifest.shard_len(),
                        recipient: ephemeral.clone(),
                        context: transport::context(&cid, Audience::Extraction(&alpha)),
                    },
                }
            })
            .collect();
        let dir = self.work_dir()?;
        let need = manifest.erasure().k();
        let fetched = remote::gather(&self.http, jobs, need, self.options.attempts, dir.path())
            .await
            .map_err(|failures| ClientError::NotEnoughShards { need, failures })?;

        let shards: Vec<(usize, PathBuf)> = fetched
            .iter()
            .map(|(index, path)| (*index, path.to_path_buf()))
            .collect();
        let bar = self.bar(manifest.plaintext_len(), "decoding");
        let (manifest, data_key, output) =
            (manifest.clone(), data_key.clone(), output.to_path_buf());
        let decode_bar = bar.clone();
        tokio::task::spawn_blocking(move || {
            codec::decode_file(&manifest, &data_key, &shards, &output, &decode_bar)
        })
        .await
        .map_err(|e| ClientError::Io(std::io::Error::other(e)))??;
        bar.finish_and_clear();
        drop(fetched);
        Ok(())
    }
}
