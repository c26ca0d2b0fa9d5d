//! A storage peer's shards and manifests on disk.
//!
//! ```text
//! <root>/shards/<cid>      shard bytes, named by their CID
//! <root>/manifests/<cid>   canonical manifest encodings
//! <root>/tmp/              uploads in flight; emptied on open
//! ```
//!
//! Nothing is stored before it is verified against its CID, and nothing is acknowledged before it
//! is durable (see [`crate::durable`]): a peer killed mid-upload restarts with the shard absent,
//! never half written. All methods block; the service calls them from blocking tasks.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::content_id::ContentId;
use crate::manifest::{Manifest, ManifestError};
use medshare_crypto::durable::PendingFile;

/// Copy buffer size.
const CHUNK: usize = 256 * 1024;

/// Why a write was refused.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("too large: the limit is {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("{what} does not match its CID: the CID must be the SHA-256 of the bytes sent")]
    CidMismatch { what: &'static str },
    #[error("upload ended early: {0}")]
    Incomplete(io::Error),
    #[error(transparent)]
    InvalidManifest(#[from] ManifestError),
    #[error("storage I/O error: {0}")]
    Io(#[from] io::Error),
}

/// Whether a write created the object or found it already stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    Created,
    AlreadyPresent,
}

/// What a check of a stored shard found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardState {
    Intact,
    Missing,
    /// Present but its bytes no longer hash to its CID (or have the wrong length).
    Damaged,
}

/// Shards and manifests under one directory.
#[derive(Clone, Debug)]
pub struct ShardStore {
    root: PathBuf,
}

impl ShardStore {
    /// Opens (creating if needed) the store under `root` and deletes uploads a crash left
    /// unfinished.
    pub fn open(root: &Path) -> io::Result<Self> {
        let store = Self {
            root: root.to_path_buf(),
        };
        fs::create_dir_all(store.dir("shards"))?;
        fs::create_dir_all(store.dir("manifests"))?;
        let tmp = store.tmp_dir();
        if tmp.exists() {
            fs::remove_dir_all(&tmp)?;
        }
        fs::create_dir_all(&tmp)?;
        Ok(store)
    }

    fn dir(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Where in-flight files live (same file system as the store).
    pub fn tmp_dir(&self) -> PathBuf {
        self.dir("tmp")
    }

    pub(crate) fn shard_path(&self, cid: &ContentId) -> PathBuf {
        self.dir("shards").join(cid.to_string())
    }

    fn manifest_path(&self, cid: &ContentId) -> PathBuf {
        self.dir("manifests").join(cid.to_string())
    }

    /// Whether a shard named `cid` is stored.
    pub fn has_shard(&self, cid: &ContentId) -> bool {
        self.shard_path(cid).is_file()
    }

    /// Reads at most `limit` bytes from `body`, keeps them as shard `cid` if they hash to it.
    pub fn put_shard(
        &self,
        cid: &ContentId,
        body: impl Read,
        limit: u64,
    ) -> Result<Stored, StoreError> {
        if self.has_shard(cid) {
            return Ok(Stored::AlreadyPresent);
        }
        let mut pending = PendingFile::create_in(&self.tmp_dir())?;
        let digest = copy_hashing(body, &mut pending, limit)?;
        if &digest != cid.digest() {
            return Err(StoreError::CidMismatch { what: "shard" });
        }
        pending.commit(&self.shard_path(cid))?;
        Ok(Stored::Created)
    }

    /// Opens shard `cid` for reading, with its length.
    pub fn open_shard(&self, cid: &ContentId) -> io::Result<Option<(File, u64)>> {
        match File::open(self.shard_path(cid)) {
            Ok(file) => {
                let len = file.metadata()?.len();
                Ok(Some((file, len)))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Re-reads shard `cid` and checks it against its CID and the expected length.
    pub fn check_shard(&self, cid: &ContentId, len: u64) -> io::Result<ShardState> {
        let Some((file, actual)) = self.open_shard(cid)? else {
            return Ok(ShardState::Missing);
        };
        if actual != len {
            return Ok(ShardState::Damaged);
        }
        let digest = copy_hashing(file, &mut io::sink(), u64::MAX).map_err(|e| match e {
            StoreError::Io(e) | StoreError::Incomplete(e) => e,
            other => io::Error::other(other.to_string()),
        })?;
        Ok(if &digest == cid.digest() {
            ShardState::Intact
        } else {
            ShardState::Damaged
        })
    }

    /// Stores a verified shard that was rebuilt locally (by repair) from a file in
    /// [`ShardStore::tmp_dir`], replacing a damaged copy.
    pub(crate) fn adopt_shard(&self, cid: &ContentId, file: PendingFile) -> io::Result<()> {
        file.commit(&self.shard_path(cid))
    }

    /// Keeps `bytes` as manifest `cid` if they hash to it and are a valid manifest.
    pub fn put_manifest(&self, cid: &ContentId, bytes: &[u8]) -> Result<Stored, StoreError> {
        if &ContentId::of(bytes) != cid {
            return Err(StoreError::CidMismatch { what: "manifest" });
        }
        Manifest::from_bytes(bytes)?;
        let path = self.manifest_path(cid);
        if path.is_file() {
            return Ok(Stored::AlreadyPresent);
        }
        let mut pending = PendingFile::create_in(&self.tmp_dir())?;
        pending.write_all(bytes)?;
        pending.commit(&path)?;
        Ok(Stored::Created)
    }

    /// The canonical bytes of manifest `cid`.
    pub fn manifest_bytes(&self, cid: &ContentId) -> io::Result<Option<Vec<u8>>> {
        match fs::read(self.manifest_path(cid)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Manifest `cid`, checked again on the way out of the disk.
    pub fn manifest(&self, cid: &ContentId) -> Result<Option<Manifest>, StoreError> {
        let Some(bytes) = self.manifest_bytes(cid)? else {
            return Ok(None);
        };
        if &ContentId::of(&bytes) != cid {
            return Err(StoreError::CidMismatch {
                what: "stored manifest",
            });
        }
        Ok(Some(Manifest::from_bytes(&bytes)?))
    }

    /// Stored shards and their lengths.
    pub fn shards(&self) -> io::Result<Vec<(ContentId, u64)>> {
        let mut shards = Vec::new();
        for entry in fs::read_dir(self.dir("shards"))? {
            let entry = entry?;
            if let Some(cid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) {
                shards.push((cid, entry.metadata()?.len()));
            }
        }
        shards.sort();
        Ok(shards)
    }

    /// Stored manifests.
    pub fn manifests(&self) -> io::Result<Vec<ContentId>> {
        let mut manifests = Vec::new();
        for entry in fs::read_dir(self.dir("manifests"))? {
            if let Some(cid) = entry?.file_name().to_str().and_then(|n| n.parse().ok()) {
                manifests.push(cid);
            }
        }
        manifests.sort();
        Ok(manifests)
    }
}

/// Copies `from` into `to`, refusing more than `limit` bytes, and returns the SHA-256 of what
/// was copied. A read error is reported as [`StoreError::Incomplete`].
fn copy_hashing(from: impl Read, to: &mut impl Write, limit: u64) -> Result<[u8; 32], StoreError> {
    let mut from = BufReader::with_capacity(CHUNK, from.take(limit.saturating_add(1)));
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(StoreError::Incomplete(e)),
        };
        total += n as u64;
        if total > limit {
            return Err(StoreError::TooLarge { limit });
        }
        hash.update(&buf[..n]);
        to.write_all(&buf[..n])?;
    }
    Ok(hash.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_only_what_matches_its_cid() {
        let dir = tempfile::tempdir().unwrap();
        let store = ShardStore::open(dir.path()).unwrap();
        let cid = ContentId::of(b"shard bytes");

        assert!(matches!(
            store.put_shard(&cid, &b"other bytes"[..], 100),
            Err(StoreError::CidMismatch { what: "shard" })
        ));
        assert!(!store.has_shard(&cid));
        assert!(matches!(
            store.put_shard(&cid, &b"shard bytes"[..], 5),
            Err(StoreError::TooLarge { limit: 5 })
        ));
        assert!(store.shards().unwrap().is_empty());

        assert_eq!(
            store.put_shard(&cid, &b"shard bytes"[..], 100).unwrap(),
            Stored::Created
        );
        assert_eq!(
            store.put_shard(&cid, &b"shard bytes"[..], 100).unwrap(),
            Stored::AlreadyPresent
        );
        assert_eq!(store.shards().unwrap(), vec![(cid, 11)]);
        assert_eq!(store.check_shard(&cid, 11).unwrap(), ShardState::Intact);
        assert_eq!(store.check_shard(&cid, 12).unwrap(), ShardState::Damaged);
        assert_eq!(
            store.check_shard(&ContentId::of(b"x"), 1).unwrap(),
            ShardState::Missing
        );
        assert_eq!(fs::read_dir(store.tmp_dir()).unwrap().count(), 0);
    }

    #[test]
    fn a_failed_read_leaves_nothing_behind() {
        struct Broken(usize);
        impl Read for Broken {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::new(io::ErrorKind::ConnectionReset, "gone"));
                }
                let n = buf.len().min(self.0);
                buf[..n].fill(1);
                self.0 -= n;
                Ok(n)
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let store = ShardStore::open(dir.path()).unwrap();
        let cid = ContentId::of(&[1; 1000]);
        assert!(matches!(
            store.put_shard(&cid, Broken(500), 10_000),
            Err(StoreError::Incomplete(_))
        ));
        assert!(!store.has_shard(&cid));
        assert_eq!(fs::read_dir(store.tmp_dir()).unwrap().count(), 0);
    }

    #[test]
    fn reopening_clears_leftovers_of_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let store = ShardStore::open(dir.path()).unwrap();
        fs::write(store.tmp_dir().join(".medshare-x.partial"), b"half").unwrap();
        let store = ShardStore::open(dir.path()).unwrap();
        assert_eq!(fs::read_dir(store.tmp_dir()).unwrap().count(), 0);
        assert!(store.shards().unwrap().is_empty());
    }

    #[test]
    fn manifests_are_verified() {
        use crate::{alpha::Alpha, erasure::Erasure};
        let dir = tempfile::tempdir().unwrap();
        let store = ShardStore::open(dir.path()).unwrap();
        let shards = (0..6u8).map(|i| ContentId::of(&[i])).collect();
        let manifest =
            Manifest::new(Erasure::default(), 0, Alpha([1; 32]), [0; 19], shards).unwrap();
        let bytes = manifest.to_bytes();
        let cid = manifest.cid();

        assert!(matches!(
            store.put_manifest(&ContentId::of(b"x"), &bytes),
            Err(StoreError::CidMismatch { what: "manifest" })
        ));
        assert!(matches!(
            store.put_manifest(&ContentId::of(b"junk"), b"junk"),
            Err(StoreError::InvalidManifest(_))
        ));
        assert_eq!(store.put_manifest(&cid, &bytes).unwrap(), Stored::Created);
        assert_eq!(store.manifest(&cid).unwrap(), Some(manifest));
        assert_eq!(store.manifests().unwrap(), vec![cid]);
        assert_eq!(store.manifest(&ContentId::of(b"y")).unwrap(), None);
    }
}
