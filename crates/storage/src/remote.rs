//! Talking to storage peers over HTTP: uploads, sealed-shard downloads, retries.
//!
//! Shared by the data owner's and data user's [`crate::client`] and by a peer repairing from
//! other peers. Bodies are streamed; decryption and hashing run on blocking threads.

use std::future::Future;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::TryStreamExt;
use indicatif::ProgressBar;
use medshare_crypto::envelope::SecretKey;
use reqwest::StatusCode;
use tokio_util::io::{ReaderStream, StreamReader, SyncIoBridge};

use crate::api::{ErrorBody, ErrorCode, StoredObject};
use crate::content_id::ContentId;
use crate::placement::PeerId;
use crate::transport::{self, TransportError};

/// First pause between attempts; it doubles on every retry.
const BACKOFF: Duration = Duration::from_millis(100);

/// Why a request to a peer failed.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("network error: {0}")]
    Network(#[from] reqwest::Error),
    #[error("refused ({status}, {code:?}): {message}")]
    Refused {
        status: u16,
        code: ErrorCode,
        message: String,
    },
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
}

impl RequestError {
    /// Whether trying the same request again may succeed: network failures, server-side errors
    /// and cut-off bodies. Refusals and content that fails verification are final.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Network(_) => true,
            Self::Refused { status, code, .. } => {
                *status >= 500 && *code != ErrorCode::ShardDamaged
            }
            Self::Transport(TransportError::Truncated | TransportError::Io(_)) => true,
            Self::Transport(_) => false,
            Self::Io(_) => false,
        }
    }

    /// The peer's error code, if the peer refused.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Refused { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// An HTTP client with the timeouts storage traffic needs: quick to notice a dead peer, no
/// overall limit on long transfers.
pub(crate) fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(60))
        .build()
}

/// `base` joined with an API path.
pub(crate) fn endpoint(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

/// Runs `attempt` up to `attempts` times while it fails transiently, backing off in between.
pub(crate) async fn with_retries<T, F, Fut>(
    attempts: u32,
    mut attempt: F,
) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    let mut pause = BACKOFF;
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(error) if error.is_transient() && tries < attempts => {
                tracing::debug!(%error, tries, "retrying");
                tokio::time::sleep(pause).await;
                pause *= 2;
                tries += 1;
            }
            result => return result,
        }
    }
}

/// Turns a non-success response into [`RequestError::Refused`].
async fn check(response: reqwest::Response) -> Result<reqwest::Response, RequestError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let text = response.text().await.unwrap_or_default();
    let (code, message) = match serde_json::from_str::<ErrorBody>(&text) {
        Ok(body) => (body.error.code, body.error.message),
        Err(_) => (ErrorCode::Unknown, text.chars().take(200).collect()),
    };
    Err(RequestError::Refused {
        status: status.as_u16(),
        code,
        message,
    })
}

/// Uploads the file at `path` (`len` bytes) with `PUT url`, streaming it.
pub(crate) async fn put_file(
    http: &reqwest::Client,
    url: &str,
    path: &Path,
    len: u64,
    progress: &ProgressBar,
) -> Result<StoredObject, RequestError> {
    let file = tokio::fs::File::open(path).await?;
    let progress = progress.clone();
    let stream = ReaderStream::with_capacity(file, 256 * 1024).inspect_ok(move |chunk| {
        progress.inc(chunk.len() as u64);
    });
    let response = http
        .put(url)
        .header(reqwest::header::CONTENT_LENGTH, len)
        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await?;
    Ok(check(response).await?.json().await?)
}

/// Uploads `bytes` with `PUT url`.
pub(crate) async fn put_bytes(
    http: &reqwest::Client,
    url: &str,
    bytes: Vec<u8>,
) -> Result<StoredObject, RequestError> {
    let response = http
        .put(url)
        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
        .body(bytes)
        .send()
        .await?;
    Ok(check(response).await?.json().await?)
}

/// `GET url`, refusing bodies over `limit` bytes.
pub(crate) async fn get_bytes(
    http: &reqwest::Client,
    url: &str,
    limit: usize,
) -> Result<Vec<u8>, RequestError> {
    let mut response = check(http.get(url).send().await?).await?;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Err(RequestError::Refused {
                status: StatusCode::PAYLOAD_TOO_LARGE.as_u16(),
                code: ErrorCode::TooLarge,
                message: format!("response larger than {limit} bytes"),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// What to expect of a sealed shard, and who opens it.
#[derive(Clone)]
pub(crate) struct SealedShard {
    pub cid: ContentId,
    pub len: u64,
    pub recipient: SecretKey,
    pub context: Vec<u8>,
}

/// Downloads a sealed shard from `url` into a temporary file in `dir`, deleted when the returned
/// path is dropped. The file is there only if the shard opened and matched its CID.
pub(crate) async fn fetch_sealed_shard(
    http: &reqwest::Client,
    url: &str,
    shard: SealedShard,
    dir: &Path,
) -> Result<tempfile::TempPath, RequestError> {
    let response = check(http.get(url).send().await?).await?;
    let body = Box::pin(response.bytes_stream().map_err(io::Error::other));
    let reader = SyncIoBridge::new(StreamReader::new(body));
    let dir: PathBuf = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut file = tempfile::NamedTempFile::new_in(&dir)?;
        transport::open_shard(
            reader,
            &shard.cid,
            shard.len,
            &shard.recipient,
            &shard.context,
            BufWriter::new(file.as_file_mut()),
        )?;
        Ok(file.into_temp_path())
    })
    .await
    .map_err(|e| RequestError::Io(io::Error::other(e)))?
}

/// One way to get one shard: from which peer, at which URL, sealed how.
pub(crate) struct FetchJob {
    pub index: usize,
    pub peer: PeerId,
    pub url: String,
    pub shard: SealedShard,
}

/// A shard that could not be fetched, and why.
#[derive(Debug)]
pub struct ShardFailure {
    pub index: usize,
    pub peer: PeerId,
    pub error: RequestError,
}

impl std::fmt::Display for ShardFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "shard {} from {}: {}", self.index, self.peer, self.error)
    }
}

/// Fetches shards, `need` at a time in the order of `jobs`, starting the next job whenever one
/// fails, until `need` shards have arrived intact. Returns them by shard index, or every failure
/// if the jobs ran out first.
pub(crate) async fn gather(
    http: &reqwest::Client,
    jobs: Vec<FetchJob>,
    need: usize,
    attempts: u32,
    dir: &Path,
) -> Result<Vec<(usize, tempfile::TempPath)>, Vec<ShardFailure>> {
    if need == 0 {
        return Ok(Vec::new());
    }
    let mut pending = jobs.into_iter();
    let mut running = tokio::task::JoinSet::new();
    let mut start = |running: &mut tokio::task::JoinSet<_>| {
        let Some(job) = pending.next() else {
            return false;
        };
        let (http, dir) = (http.clone(), dir.to_path_buf());
        running.spawn(async move {
            let result = with_retries(attempts, || {
                fetch_sealed_shard(&http, &job.url, job.shard.clone(), &dir)
            })
            .await;
            (job.index, job.peer, result)
        });
        true
    };
    for _ in 0..need {
        start(&mut running);
    }
    let mut fetched = Vec::with_capacity(need);
    let mut failures = Vec::new();
    while let Some(joined) = running.join_next().await {
        match joined {
            Ok((index, _, Ok(path))) => {
                fetched.push((index, path));
                if fetched.len() == need {
                    return Ok(fetched);
                }
            }
            Ok((index, peer, Err(error))) => {
                tracing::warn!(index, %peer, %error, "shard fetch failed");
                failures.push(ShardFailure { index, peer, error });
                start(&mut running);
            }
            Err(join_error) => {
                tracing::error!(%join_error, "shard fetch task failed");
                start(&mut running);
            }
        }
    }
    Err(failures)
}
