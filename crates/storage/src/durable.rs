//! Files that appear whole or not at all.
//!
//! A [`PendingFile`] is written under a temporary name in a chosen directory; [`PendingFile::commit`]
//! flushes it to disk, renames it to its final name and flushes the directory entry, so after a
//! crash the final name holds either nothing or the complete content. Dropping an uncommitted
//! file deletes it; a crash may leave the temporary file behind, never the final one.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use tempfile::NamedTempFile;

/// A file being written under a temporary name.
pub(crate) struct PendingFile(NamedTempFile);

impl PendingFile {
    /// A new empty temporary file in `dir`, which must be on the same file system as the final
    /// name (so the rename is atomic).
    pub(crate) fn create_in(dir: &Path) -> io::Result<Self> {
        tempfile::Builder::new()
            .prefix(".medshare-")
            .suffix(".partial")
            .tempfile_in(dir)
            .map(Self)
    }

    /// Makes the content durable under `path`.
    pub(crate) fn commit(self, path: &Path) -> io::Result<()> {
        self.0.as_file().sync_all()?;
        self.0.persist(path).map_err(|e| e.error)?;
        sync_parent(path)
    }
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
