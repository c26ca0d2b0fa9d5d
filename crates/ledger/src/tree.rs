//! The registration and authorization commitment trees, kept in the key-value state.
//!
//! The tree of [`medshare_crypto::merkle`] (depth 32, Poseidon `H_node`, the same hashing code
//! through [`NodeStore`]), laid out for a ledger: every node is a key, so a path for any leaf is
//! 32 reads and nothing has to be rebuilt at start-up.
//!
//! Appends during a block only store the leaf; [`finish_block`] then rehashes the touched nodes
//! once. `n` appends cost about `n / 3 + 16` hashes instead of `16n`, which matters when every
//! validator hashes every append. Roots therefore change once per block, and a proof
//! must name the root at the end of one of the last [`RECENT_ROOTS`] blocks that changed the tree
//! (docs/design.md: membership against a window of recent roots, not a per-block root).
//!
//! Only leaves and the tree's [`TreeMeta`] (size and root) count towards the state root; inner
//! nodes are derived from the leaves and written as derived data.

use crate::{
    store::{Kv, Overlay},
    types::Field,
};
use medshare_crypto::{
    merkle::{self, DEPTH, MerklePath, NodeStore, NodeStoreMut, empty_subtree},
    poseidon::Fr,
};
use serde::{Deserialize, Serialize};

/// How many past roots of each tree a proof may be made against.
pub const RECENT_ROOTS: u64 = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeId {
    Registration = 0,
    Authorization = 1,
}

impl TreeId {
    pub fn name(self) -> &'static str {
        match self {
            Self::Registration => "registration",
            Self::Authorization => "authorization",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeMeta {
    /// Leaves appended so far, including this block's.
    pub size: u64,
    /// Leaves already hashed into `root` (the size at the end of the last block).
    pub hashed: u64,
    /// Root over the first `hashed` leaves.
    pub root: Field,
    /// How many roots have entered the recent-roots window.
    pub roots_seen: u64,
}

fn meta_key(tree: TreeId) -> Vec<u8> {
    vec![b'r', tree as u8]
}

fn node_key(tree: TreeId, level: u8, index: u64) -> Vec<u8> {
    let mut key = vec![b'n', tree as u8, level];
    key.extend_from_slice(&index.to_be_bytes());
    key
}

/// Root `r` of `tree` is recent: key → the sequence number it entered the window with.
fn recent_key(tree: TreeId, root: &Field) -> Vec<u8> {
    let mut key = vec![b'q', tree as u8];
    key.extend_from_slice(&root.to_bytes());
    key
}

/// Slot `seq mod RECENT_ROOTS` of the window → the root that holds it.
fn slot_key(tree: TreeId, seq: u64) -> Vec<u8> {
    let mut key = vec![b's', tree as u8];
    key.extend_from_slice(&(seq % RECENT_ROOTS).to_be_bytes());
    key
}

fn decode_field(bytes: &[u8]) -> Field {
    let bytes: [u8; 32] = bytes.try_into().expect("tree nodes are 32 bytes");
    Field::from_bytes(&bytes).expect("tree nodes are canonical")
}

pub fn meta(state: &dyn Kv, tree: TreeId) -> TreeMeta {
    state
        .get(&meta_key(tree))
        .map(|bytes| postcard::from_bytes(&bytes).expect("tree meta is well formed"))
        .unwrap_or_else(|| TreeMeta {
            root: Field(empty_subtree(DEPTH)),
            ..TreeMeta::default()
        })
}

fn set_meta(state: &mut Overlay, tree: TreeId, meta: &TreeMeta) {
    state.put(
        meta_key(tree),
        postcard::to_allocvec(meta).expect("tree meta serializes"),
    );
}

/// The tree's nodes in the state: leaves count towards the state root, inner nodes are derived.
struct KvNodes<'a, 'b> {
    state: &'a mut Overlay<'b>,
    tree: TreeId,
}

impl NodeStore for KvNodes<'_, '_> {
    fn node(&self, height: usize, index: u64) -> Option<Fr> {
        read_node(self.state, self.tree, height, index)
    }
}

impl NodeStoreMut for KvNodes<'_, '_> {
    fn set_node(&mut self, height: usize, index: u64, value: Fr) {
        self.state.put_derived(
            node_key(self.tree, height as u8, index),
            Field(value).to_bytes().to_vec(),
        );
    }
}

/// Read-only view of the nodes, for paths.
struct KvView<'a> {
    state: &'a dyn Kv,
    tree: TreeId,
}

impl NodeStore for KvView<'_> {
    fn node(&self, height: usize, index: u64) -> Option<Fr> {
        read_node(self.state, self.tree, height, index)
    }
}

fn read_node(state: &dyn Kv, tree: TreeId, height: usize, index: u64) -> Option<Fr> {
    state
        .get(&node_key(tree, height as u8, index))
        .map(|bytes| decode_field(&bytes).0)
}

/// Appends `leaf`, returning its position. The root is updated by [`finish_block`].
pub fn append(state: &mut Overlay, tree: TreeId, leaf: Field) -> Option<u64> {
    let mut meta = meta(state, tree);
    let position = meta.size;
    if position >= 1u64 << DEPTH {
        return None;
    }
    state.put(node_key(tree, 0, position), leaf.to_bytes().to_vec());
    meta.size += 1;
    set_meta(state, tree, &meta);
    Some(position)
}

/// Hashes this block's appends into the tree and enters the new root into the recent window.
pub fn finish_block(state: &mut Overlay, tree: TreeId) {
    let mut meta = meta(state, tree);
    if meta.hashed == meta.size {
        return;
    }
    merkle::rehash(&mut KvNodes { state, tree }, meta.hashed, meta.size);
    meta.root = Field(merkle::root_in(&KvView { state, tree }));
    meta.hashed = meta.size;

    // Enter the root into the window, evicting the one whose slot it takes.
    let slot = slot_key(tree, meta.roots_seen);
    if let Some(evicted) = state.get(&slot) {
        state.delete(recent_key(tree, &decode_field(&evicted)));
    }
    state.put(slot, meta.root.to_bytes().to_vec());
    state.put(
        recent_key(tree, &meta.root),
        meta.roots_seen.to_be_bytes().to_vec(),
    );
    meta.roots_seen += 1;
    set_meta(state, tree, &meta);
}

/// Whether `root` is one of the last [`RECENT_ROOTS`] block-end roots.
pub fn is_recent_root(state: &dyn Kv, tree: TreeId, root: &Field) -> bool {
    state.get(&recent_key(tree, root)).is_some()
}

/// The authentication path of the leaf at `position` against the current root.
pub fn path(state: &dyn Kv, tree: TreeId, position: u64) -> Option<MerklePath> {
    let meta = meta(state, tree);
    if position >= meta.hashed {
        return None;
    }
    Some(merkle::path_in(&KvView { state, tree }, position))
}

/// The leaf at `position`, if appended.
pub fn leaf(state: &dyn Kv, tree: TreeId, position: u64) -> Option<Field> {
    state
        .get(&node_key(tree, 0, position))
        .map(|bytes| decode_field(&bytes))
}
