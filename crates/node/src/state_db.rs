//! The finalized ledger state on disk (redb).
//!
//! One write transaction per finalized block holds the block's writes, the new state hash and
//! the block's height and digest, so the state on disk is always the state after some finalized
//! block, never half of one. After a crash, marshal re-delivers every block the application did
//! not acknowledge; blocks at or below the stored height are acknowledged without re-applying.

use commonware_codec::{DecodeExt, Encode};
use commonware_cryptography::lthash::LtHash;
use medshare_ledger::{ChangeSet, Kv, StateRoot, store::state_root};
use redb::{Database, ReadableDatabase, TableDefinition};
use std::{path::Path, sync::Mutex};

const STATE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("state");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

#[derive(Debug, thiserror::Error)]
pub enum StateDbError {
    #[error("state database: {0}")]
    Db(String),
    #[error("state database is corrupt: {0}")]
    Corrupt(&'static str),
}

fn db_err(error: impl std::fmt::Display) -> StateDbError {
    StateDbError::Db(error.to_string())
}

/// Where the state on disk stands.
#[derive(Clone, Debug)]
pub struct Tip {
    pub height: u64,
    pub digest: [u8; 32],
    pub hash: LtHash,
}

impl Tip {
    pub fn root(&self) -> StateRoot {
        state_root(&self.hash)
    }
}

pub struct StateDb {
    db: Database,
    /// Cached copy of the tip stored in META; guarded so readers see a tip and a snapshot that
    /// belong together.
    tip: Mutex<Option<Tip>>,
}

/// A consistent read-only view of the finalized state.
pub struct Snapshot {
    table: Option<redb::ReadOnlyTable<&'static [u8], &'static [u8]>>,
    pub tip: Option<Tip>,
}

impl Kv for Snapshot {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let table = self.table.as_ref()?;
        table
            .get(key)
            .expect("state database read failed")
            .map(|value| value.value().to_vec())
    }
}

impl StateDb {
    pub fn open(path: &Path) -> Result<Self, StateDbError> {
        let db = Database::create(path).map_err(db_err)?;
        let tip = Self::read_tip(&db)?;
        Ok(Self {
            db,
            tip: Mutex::new(tip),
        })
    }

    fn read_tip(db: &Database) -> Result<Option<Tip>, StateDbError> {
        let txn = db.begin_read().map_err(db_err)?;
        let meta = match txn.open_table(META) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(error) => return Err(db_err(error)),
        };
        let get = |key: &str| -> Result<Option<Vec<u8>>, StateDbError> {
            Ok(meta.get(key).map_err(db_err)?.map(|v| v.value().to_vec()))
        };
        let (Some(height), Some(digest), Some(hash)) =
            (get("height")?, get("digest")?, get("hash")?)
        else {
            return Ok(None);
        };
        Ok(Some(Tip {
            height: u64::from_be_bytes(
                height
                    .try_into()
                    .map_err(|_| StateDbError::Corrupt("height"))?,
            ),
            digest: digest
                .try_into()
                .map_err(|_| StateDbError::Corrupt("digest"))?,
            hash: LtHash::decode(hash.as_slice()).map_err(|_| StateDbError::Corrupt("hash"))?,
        }))
    }

    /// The last applied block, or `None` for a fresh database.
    pub fn tip(&self) -> Option<Tip> {
        self.tip.lock().expect("tip lock").clone()
    }

    pub fn snapshot(&self) -> Snapshot {
        // Hold the tip lock so the snapshot and the tip describe the same commit.
        let tip = self.tip.lock().expect("tip lock");
        let txn = self.db.begin_read().expect("state database read failed");
        let table = match txn.open_table(STATE) {
            Ok(table) => Some(table),
            Err(redb::TableError::TableDoesNotExist(_)) => None,
            Err(error) => panic!("state database read failed: {error}"),
        };
        Snapshot {
            table,
            tip: tip.clone(),
        }
    }

    /// Applies a finalized block's changes, durably and atomically.
    pub fn apply(
        &self,
        height: u64,
        digest: [u8; 32],
        changes: &ChangeSet,
    ) -> Result<Tip, StateDbError> {
        let mut tip_guard = self.tip.lock().expect("tip lock");
        let base = tip_guard
            .as_ref()
            .map(|t| t.hash.clone())
            .unwrap_or_default();
        let tip = Tip {
            height,
            digest,
            hash: changes.hash_after(&base),
        };
        let txn = self.db.begin_write().map_err(db_err)?;
        {
            let mut state = txn.open_table(STATE).map_err(db_err)?;
            for (key, value) in &changes.writes {
                match value {
                    Some(value) => state
                        .insert(key.as_slice(), value.as_slice())
                        .map_err(db_err)?,
                    None => state.remove(key.as_slice()).map_err(db_err)?,
                };
            }
            let mut meta = txn.open_table(META).map_err(db_err)?;
            meta.insert("height", height.to_be_bytes().as_slice())
                .map_err(db_err)?;
            meta.insert("digest", digest.as_slice()).map_err(db_err)?;
            meta.insert("hash", tip.hash.encode().as_ref())
                .map_err(db_err)?;
        }
        txn.commit().map_err(db_err)?;
        *tip_guard = Some(tip.clone());
        Ok(tip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use medshare_ledger::{Overlay, store::MemoryStore};

    #[test]
    fn applies_atomically_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.redb");
        let mut memory = MemoryStore::default();
        let changes = {
            let mut overlay = Overlay::new(&memory);
            overlay.put(b"a".to_vec(), b"1".to_vec());
            overlay.put(b"b".to_vec(), b"2".to_vec());
            overlay.into_changes()
        };
        memory.apply(&changes);
        {
            let db = StateDb::open(&path).unwrap();
            assert!(db.tip().is_none());
            let tip = db.apply(1, [7; 32], &changes).unwrap();
            assert_eq!(tip.root(), memory.root());
        }
        let db = StateDb::open(&path).unwrap();
        let tip = db.tip().unwrap();
        assert_eq!(
            (tip.height, tip.digest, tip.root()),
            (1, [7; 32], memory.root())
        );
        let snapshot = db.snapshot();
        assert_eq!(snapshot.get(b"a"), Some(b"1".to_vec()));
        assert_eq!(snapshot.get(b"c"), None);
    }
}
