//! Files that appear whole or not at all: the one durable-write helper of medshare (keystores,
//! keys, registries, shards, benchmark workloads).
//!
//! A [`PendingFile`] is written under a temporary name in a chosen directory; [`PendingFile::commit`]
//! flushes it to disk, renames it to its final name and flushes the directory entry, so after a
//! crash the final name holds either nothing or the complete content. Dropping an uncommitted
//! file deletes it; a crash may leave the temporary file behind, never the final one.
//! [`write_private`] and [`create_private`] do the same for bytes in memory, readable by the
//! owner only.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use tempfile::NamedTempFile;

/// A file being written under a temporary name.
#[derive(Debug)]
pub struct PendingFile(NamedTempFile);

impl PendingFile {
    /// A new empty temporary file in `dir`, which must be on the same file system as the final
    /// name (so the rename is atomic). On Unix it is readable by its owner only.
    pub fn create_in(dir: &Path) -> io::Result<Self> {
        tempfile::Builder::new()
            .prefix(".medshare-")
            .suffix(".partial")
            .tempfile_in(dir)
            .map(Self)
    }

    /// Makes the content durable under `path`, replacing what was there.
    pub fn commit(self, path: &Path) -> io::Result<()> {
        self.0.as_file().sync_all()?;
        self.0.persist(path).map_err(|e| e.error)?;
        sync_parent(path)
    }

    /// Makes the content durable under `path`, failing with `AlreadyExists` if it exists.
    pub fn commit_new(self, path: &Path) -> io::Result<()> {
        self.0.as_file().sync_all()?;
        self.0.persist_noclobber(path).map_err(|e| e.error)?;
        sync_parent(path)
    }
}

/// Writes `bytes` to `path` durably and atomically (replacing it), owner-only, creating the
/// parent directory if needed.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = PendingFile::create_in(&parent_created(path)?)?;
    file.write_all(bytes)?;
    file.commit(path)
}

/// Like [`write_private`], but refuses to replace an existing file (keys are never overwritten).
pub fn create_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = PendingFile::create_in(&parent_created(path)?)?;
    file.write_all(bytes)?;
    file.commit_new(path)
}

fn parent_created(path: &Path) -> io::Result<std::path::PathBuf> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent)?;
    Ok(parent.to_owned())
}

impl Write for PendingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Flushes the directory holding `path`, so a rename into it survives a crash.
fn sync_parent(path: &Path) -> io::Result<()> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    File::open(parent)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_files_are_owner_only_and_keys_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/key");
        create_private(&path, b"one").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let refused = create_private(&path, b"two").unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        write_private(&path, b"three").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"three");
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );
    }

    #[test]
    fn appears_only_on_commit_and_vanishes_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");

        let mut dropped = PendingFile::create_in(dir.path()).unwrap();
        dropped.write_all(b"half").unwrap();
        drop(dropped);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

        let mut pending = PendingFile::create_in(dir.path()).unwrap();
        pending.write_all(b"whole").unwrap();
        assert!(!target.exists());
        pending.commit(&target).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"whole");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
