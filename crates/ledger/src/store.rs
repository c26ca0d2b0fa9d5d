//! Key-value state with copy-on-write overlays and a homomorphic state root.
//!
//! The whole ledger state is a map of byte keys to byte values. The state root commits to the
//! *current contents* of that map with an additive homomorphic hash ([`LtHash`]): adding a pair
//! adds its hash, overwriting subtracts the old pair's hash and adds the new one. Two validators
//! that hold the same map therefore hold the same root, whatever order they wrote it in, and a
//! block's effect on the root costs a constant per write instead of a rescan of the state.
//!
//! Execution never writes to storage directly: it stages writes in an [`Overlay`] over a read-only
//! [`Kv`] view. A failed transaction drops its overlay; a block's overlay becomes a [`ChangeSet`]
//! that the node keeps in memory until the block is finalized and then applies to disk in one
//! atomic write. Blocks that are notarized but not yet final are read through [`Layered`].

use commonware_cryptography::{blake3::Digest as Blake3Digest, lthash::LtHash};
use std::collections::BTreeMap;

/// A read-only view of the state.
pub trait Kv {
    /// The value stored under `key`, if any.
    fn get(&self, key: &[u8]) -> Option<Vec<u8>>;
}

/// The state root: a checksum of the homomorphic hash of every `(key, value)` pair.
pub type StateRoot = [u8; 32];

/// The root of a state whose homomorphic hash is `hash`.
pub fn state_root(hash: &LtHash) -> StateRoot {
    let digest: Blake3Digest = hash.checksum();
    let mut root = [0u8; 32];
    root.copy_from_slice(digest.as_ref());
    root
}

/// The element hashed into the state root for one pair; the key length keeps `(k, v)` pairs
/// from colliding with other splits of the same bytes.
fn pair(key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut item = Vec::with_capacity(4 + key.len() + value.len());
    item.extend_from_slice(&(key.len() as u32).to_be_bytes());
    item.extend_from_slice(key);
    item.extend_from_slice(value);
    item
}

/// The writes of a transaction or block and their effect on the state hash.
#[derive(Clone, Debug, Default)]
pub struct ChangeSet {
    /// `None` deletes the key.
    pub writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// Added to the base state's hash to get the new state's hash (it may hold negative terms).
    pub delta: LtHash,
}

impl ChangeSet {
    /// Applies `later` on top of `self`.
    pub fn extend(&mut self, later: ChangeSet) {
        self.writes.extend(later.writes);
        self.delta.combine(&later.delta);
    }

    /// The hash of the state `base` after these writes.
    pub fn hash_after(&self, base: &LtHash) -> LtHash {
        let mut hash = base.clone();
        hash.combine(&self.delta);
        hash
    }
}

/// Writes staged over a base view.
pub struct Overlay<'a> {
    base: &'a dyn Kv,
    changes: ChangeSet,
}

impl<'a> Overlay<'a> {
    pub fn new(base: &'a dyn Kv) -> Self {
        Self {
            base,
            changes: ChangeSet::default(),
        }
    }

    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        if let Some(old) = self.get(&key) {
            if old == value {
                return;
            }
            self.changes.delta.subtract(&pair(&key, &old));
        }
        self.changes.delta.add(&pair(&key, &value));
        self.changes.writes.insert(key, Some(value));
    }

    /// Writes data derived from other state (an index, a cache of hashes): it is persisted with
    /// the block but does not count towards the state root.
    pub fn put_derived(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.changes.writes.insert(key, Some(value));
    }

    pub fn delete(&mut self, key: Vec<u8>) {
        if let Some(old) = self.get(&key) {
            self.changes.delta.subtract(&pair(&key, &old));
            self.changes.writes.insert(key, None);
        }
    }

    /// Keeps the writes of a nested overlay (a transaction that succeeded).
    pub fn absorb(&mut self, nested: ChangeSet) {
        self.changes.extend(nested);
    }

    pub fn into_changes(self) -> ChangeSet {
        self.changes
    }

    pub fn changes(&self) -> &ChangeSet {
        &self.changes
    }
}

impl Kv for Overlay<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self.changes.writes.get(key) {
            Some(value) => value.clone(),
            None => self.base.get(key),
        }
    }
}

/// A base view with change sets of not-yet-final blocks on top, oldest first.
pub struct Layered<'a> {
    pub base: &'a dyn Kv,
    pub layers: Vec<&'a ChangeSet>,
}

impl Kv for Layered<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        for layer in self.layers.iter().rev() {
            if let Some(value) = layer.writes.get(key) {
                return value.clone();
            }
        }
        self.base.get(key)
    }
}

/// The whole state in memory: the state of unit tests and of tools that replay a chain.
#[derive(Clone, Default)]
pub struct MemoryStore {
    map: BTreeMap<Vec<u8>, Vec<u8>>,
    hash: LtHash,
}

impl MemoryStore {
    pub fn apply(&mut self, changes: &ChangeSet) {
        for (key, value) in &changes.writes {
            match value {
                Some(value) => self.map.insert(key.clone(), value.clone()),
                None => self.map.remove(key),
            };
        }
        self.hash.combine(&changes.delta);
    }

    pub fn hash(&self) -> &LtHash {
        &self.hash
    }

    pub fn root(&self) -> StateRoot {
        state_root(&self.hash)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

impl Kv for MemoryStore {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.map.get(key).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(pairs: &[(&str, &str)]) -> MemoryStore {
        let mut store = MemoryStore::default();
        let changes = {
            let mut overlay = Overlay::new(&store);
            for (k, v) in pairs {
                overlay.put(k.as_bytes().to_vec(), v.as_bytes().to_vec());
            }
            overlay.into_changes()
        };
        store.apply(&changes);
        store
    }

    #[test]
    fn root_depends_on_contents_not_history() {
        let a = written(&[("a", "1"), ("b", "2")]);
        let b = written(&[("b", "2"), ("a", "0"), ("a", "1")]);
        assert_eq!(a.root(), b.root());
        assert_ne!(a.root(), written(&[("a", "1"), ("b", "3")]).root());
        assert_ne!(a.root(), written(&[("a", "1")]).root());
    }

    #[test]
    fn delete_restores_the_previous_root() {
        let before = written(&[("a", "1")]);
        let mut store = before.clone();
        let changes = {
            let mut overlay = Overlay::new(&store);
            overlay.put(b"b".to_vec(), b"2".to_vec());
            overlay.delete(b"b".to_vec());
            overlay.into_changes()
        };
        store.apply(&changes);
        assert_eq!(store.root(), before.root());
        assert_eq!(store.get(b"b"), None);
    }

    #[test]
    fn nested_overlays_and_layers_read_through() {
        let base = written(&[("a", "1")]);
        let block = {
            let mut overlay = Overlay::new(&base);
            overlay.put(b"b".to_vec(), b"2".to_vec());
            let tx = {
                let mut nested = Overlay::new(&overlay);
                nested.put(b"a".to_vec(), b"9".to_vec());
                nested.into_changes()
            };
            overlay.absorb(tx);
            overlay.into_changes()
        };
        let layered = Layered {
            base: &base,
            layers: vec![&block],
        };
        assert_eq!(layered.get(b"a"), Some(b"9".to_vec()));
        assert_eq!(layered.get(b"b"), Some(b"2".to_vec()));
        let expected = written(&[("a", "9"), ("b", "2")]);
        assert_eq!(state_root(&block.hash_after(base.hash())), expected.root());
    }
}
