//! The append-only commitment tree: registrations `re` and authorizations `re_auth` are its
//! leaves, and the circuits prove membership against one of its recent roots.
//!
//! Seed 000 proves membership in a per-block Merkle root (`M_α`, Alg. 3-5), which tells everyone
//! the block of the registration. medshare keeps one global tree per kind of commitment and
//! accepts any root from a window of recent checkpoints instead (docs/design.md, "departures"), so a
//! proof hides which leaf, and which block, it speaks about.
//!
//! - 4-ary, [`DEPTH`] = 16 levels: the 2^32 leaves of a binary tree of depth 32, but a path costs
//!   16 width-5 hashes in a circuit instead of 32 width-3 ones (4 900 constraints instead of
//!   7 700, which halves the prover's FFT domain). Inner nodes are `H_node(c_0, .., c_3)`
//!   ([`poseidon::node`]); an empty leaf is `0`, an empty subtree of height `h + 1` is
//!   `H_node(Z_h, Z_h, Z_h, Z_h)`. Nobody knows a `reg` or `auth` preimage of `0`, so an empty
//!   leaf can never be proven to be a commitment.
//! - Every node of the filled part is kept, so [`CommitmentTree::path`] serves any leaf, and
//!   appending `k` leaves at once rehashes about `k / 3 + 16` nodes (one call per block is much
//!   cheaper than `k` calls).
//! - [`CommitmentTree::checkpoint`] records the current root into the window of recent roots;
//!   the ledger calls it once per block, so a window of `w` covers the last `w` blocks that
//!   changed the tree.
//! - [`CommitmentTree::to_bytes`] is canonical (same state, same bytes, on every validator);
//!   [`CommitmentTree::from_bytes`] rebuilds every node from the leaves, so a corrupted file can
//!   never yield a root its leaves do not have.

use crate::poseidon::{self, Fr, fr_from_bytes, fr_to_bytes};
use ark_ff::AdditiveGroup;
use std::collections::VecDeque;
use std::sync::OnceLock;

/// Children per inner node.
pub const ARITY: usize = 4;
/// Height of the tree: a path has this many levels of `ARITY - 1` siblings.
pub const DEPTH: usize = 16;
/// Number of leaves a tree can hold: `ARITY^DEPTH = 2^32`.
pub const CAPACITY: u64 = 1 << (2 * DEPTH);
/// Largest accepted window of recent roots (bounds what a decoded file can make us allocate).
pub const MAX_WINDOW: u32 = 1 << 16;

const MAGIC: &[u8; 4] = b"MSCT";
const FORMAT_VERSION: u8 = 1;
const HEADER_LEN: usize = 4 + 1 + 1 + 1 + 4 + 8;
const PATH_LEN: usize = 8 + 32 * (ARITY - 1) * DEPTH;

/// What can go wrong with a tree or a path. Nothing is changed when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// The tree already holds [`CAPACITY`] leaves.
    #[error("commitment tree is full ({CAPACITY} leaves)")]
    Full,
    /// No leaf at this position (yet).
    #[error("no leaf at position {position}: the tree has {len} leaves")]
    UnknownPosition { position: u64, len: u64 },
    /// A recent-roots window must hold between 1 and [`MAX_WINDOW`] roots.
    #[error("recent-roots window {0} outside 1..={MAX_WINDOW}")]
    Window(u64),
    /// The bytes are not an encoding produced by `to_bytes`.
    #[error("malformed encoding: {0}")]
    Decode(&'static str),
}

/// `Z_h`: the root of an empty subtree of height `h`.
pub fn empty_subtree(height: usize) -> Fr {
    static EMPTY: OnceLock<[Fr; DEPTH + 1]> = OnceLock::new();
    EMPTY.get_or_init(|| {
        let mut empty = [Fr::ZERO; DEPTH + 1];
        for h in 0..DEPTH {
            empty[h + 1] = poseidon::node(&[empty[h]; ARITY]);
        }
        empty
    })[height]
}

/// Where a tree's nodes live. [`CommitmentTree`] keeps them in memory; a ledger keeps them in
/// its key-value state. Either way [`rehash`] and [`path_in`] do the hashing, so every copy of a
/// tree agrees on its roots and paths.
pub trait NodeStore {
    /// The node at `height` (0 = leaves) and `index`; `None` in the empty part of the tree.
    fn node(&self, height: usize, index: u64) -> Option<Fr>;
}

/// A [`NodeStore`] that [`rehash`] can write inner nodes to.
pub trait NodeStoreMut: NodeStore {
    /// Stores a node; [`rehash`] calls it for heights 1 to [`DEPTH`] only.
    fn set_node(&mut self, height: usize, index: u64, value: Fr);
}

fn node_or_empty(nodes: &impl NodeStore, height: usize, index: u64) -> Fr {
    nodes
        .node(height, index)
        .unwrap_or_else(|| empty_subtree(height))
}

/// Rehashes the ancestors of the leaves `start..end`, which must already be stored: the parents
/// of the changed nodes, level by level, so `k` new leaves cost about `k / 3 + 16` hashes.
pub fn rehash(nodes: &mut impl NodeStoreMut, start: u64, end: u64) {
    if start >= end {
        return;
    }
    // [low, high) are the indices changed at the current height.
    let (mut low, mut high) = (start, end);
    let arity = ARITY as u64;
    for h in 0..DEPTH {
        let (parent_low, parent_high) = (low / arity, (high - 1) / arity + 1);
        for parent in parent_low..parent_high {
            let children =
                std::array::from_fn(|k| node_or_empty(nodes, h, arity * parent + k as u64));
            nodes.set_node(h + 1, parent, poseidon::node(&children));
        }
        (low, high) = (parent_low, parent_high);
    }
}

/// The root of the tree stored in `nodes`.
pub fn root_in(nodes: &impl NodeStore) -> Fr {
    node_or_empty(nodes, DEPTH, 0)
}

/// The authentication path of the leaf at `position` in the tree stored in `nodes`.
pub fn path_in(nodes: &impl NodeStore, position: u64) -> MerklePath {
    let siblings = std::array::from_fn(|h| {
        let index = position >> (2 * h);
        let (first, slot) = (index - index % ARITY as u64, index % ARITY as u64);
        let mut others = (0..ARITY as u64)
            .filter(|&k| k != slot)
            .map(|k| node_or_empty(nodes, h, first + k));
        std::array::from_fn(|_| others.next().expect("ARITY - 1 siblings"))
    });
    MerklePath { position, siblings }
}

/// The nodes of an in-memory tree: `levels[h][i]` for every `i < ceil(len / 4^h)`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Levels(Vec<Vec<Fr>>);

impl NodeStore for Levels {
    fn node(&self, height: usize, index: u64) -> Option<Fr> {
        self.0[height].get(usize::try_from(index).ok()?).copied()
    }
}

impl NodeStoreMut for Levels {
    fn set_node(&mut self, height: usize, index: u64, value: Fr) {
        let level = &mut self.0[height];
        match level.get_mut(index as usize) {
            Some(slot) => *slot = value,
            None => level.push(value),
        }
    }
}

/// A root recorded by [`CommitmentTree::checkpoint`], with the leaf count it was taken at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Checkpoint {
    len: u64,
    root: Fr,
}

/// Append-only 4-ary Poseidon Merkle tree of depth 16 (2^32 leaves) with a window of recent roots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitmentTree {
    /// `levels.0[h][i]` is the node at height `h`, index `i`, for every `i < ceil(len / 4^h)`;
    /// `levels.0[0]` are the leaves. The last node of a level may cover a partly filled subtree
    /// (hashed with empty subtrees); every other one is final.
    levels: Levels,
    window: usize,
    /// Oldest first; never empty, leaf counts strictly increasing.
    recent: VecDeque<Checkpoint>,
}

impl CommitmentTree {
    /// An empty tree whose window keeps the `recent_roots_window` latest checkpoints. The empty
    /// tree's root is its first checkpoint.
    pub fn new(recent_roots_window: u32) -> Result<Self, MerkleError> {
        if !(1..=MAX_WINDOW).contains(&recent_roots_window) {
            return Err(MerkleError::Window(recent_roots_window.into()));
        }
        let mut tree = Self::without_checkpoints(recent_roots_window as usize);
        tree.recent.push_back(Checkpoint {
            len: 0,
            root: tree.root(),
        });
        Ok(tree)
    }

    fn without_checkpoints(window: usize) -> Self {
        Self {
            levels: Levels(vec![Vec::new(); DEPTH + 1]),
            window,
            recent: VecDeque::with_capacity(window),
        }
    }

    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.levels.0[0].len() as u64
    }

    /// Whether no leaf was appended yet.
    pub fn is_empty(&self) -> bool {
        self.levels.0[0].is_empty()
    }

    /// The leaf at `position`, if there is one.
    pub fn leaf(&self, position: u64) -> Option<Fr> {
        let index = usize::try_from(position).ok()?;
        self.levels.0[0].get(index).copied()
    }

    /// Append one leaf; returns its position (the paper's `Addr_α`).
    pub fn append(&mut self, leaf: Fr) -> Result<u64, MerkleError> {
        self.extend(&[leaf]).map(|positions| positions.start)
    }

    /// Append leaves in order; returns their positions. All or nothing.
    pub fn extend(&mut self, leaves: &[Fr]) -> Result<std::ops::Range<u64>, MerkleError> {
        let start = self.len();
        let end = start
            .checked_add(leaves.len() as u64)
            .filter(|&end| end <= CAPACITY)
            .ok_or(MerkleError::Full)?;
        if leaves.is_empty() {
            return Ok(start..end);
        }
        self.levels.0[0].extend_from_slice(leaves);
        rehash(&mut self.levels, start, end);
        Ok(start..end)
    }

    /// The current root (of every leaf appended so far, checkpointed or not).
    pub fn root(&self) -> Fr {
        root_in(&self.levels)
    }

    /// Authentication path of the leaf at `position` to the current root.
    pub fn path(&self, position: u64) -> Result<MerklePath, MerkleError> {
        if position >= self.len() {
            return Err(MerkleError::UnknownPosition {
                position,
                len: self.len(),
            });
        }
        Ok(path_in(&self.levels, position))
    }

    /// Record the current root as a recent root, dropping the oldest beyond the window. Nothing
    /// happens if no leaf was appended since the last checkpoint, so empty blocks do not push
    /// live roots out of the window.
    pub fn checkpoint(&mut self) {
        let len = self.len();
        if self.recent.back().is_some_and(|last| last.len == len) {
            return;
        }
        if self.recent.len() == self.window {
            self.recent.pop_front();
        }
        self.recent.push_back(Checkpoint {
            len,
            root: self.root(),
        });
    }

    /// Whether `root` is one of the checkpointed roots in the window.
    pub fn is_recent_root(&self, root: &Fr) -> bool {
        self.recent.iter().any(|c| c.root == *root)
    }

    /// The roots in the window, oldest first; the last is the latest checkpoint.
    pub fn recent_roots(&self) -> impl Iterator<Item = Fr> + '_ {
        self.recent.iter().map(|c| c.root)
    }

    /// How many checkpoints the window keeps.
    pub fn window(&self) -> u32 {
        self.window as u32
    }

    /// Canonical encoding: `"MSCT" | version u8 | arity u8 | depth u8 | window u32 | n u64 | n leaves
    /// (32 bytes each) | c u32 | c checkpoint leaf counts (u64 each)`, integers little-endian.
    /// Inner nodes and checkpoint roots are not stored: they follow from the leaves.
    pub fn to_bytes(&self) -> Vec<u8> {
        let leaves = &self.levels.0[0];
        let mut out =
            Vec::with_capacity(HEADER_LEN + 32 * leaves.len() + 4 + 8 * self.recent.len());
        out.extend_from_slice(MAGIC);
        out.push(FORMAT_VERSION);
        out.push(ARITY as u8);
        out.push(DEPTH as u8);
        out.extend_from_slice(&(self.window as u32).to_le_bytes());
        out.extend_from_slice(&(leaves.len() as u64).to_le_bytes());
        for leaf in leaves {
            out.extend_from_slice(&fr_to_bytes(leaf));
        }
        out.extend_from_slice(&(self.recent.len() as u32).to_le_bytes());
        for checkpoint in &self.recent {
            out.extend_from_slice(&checkpoint.len.to_le_bytes());
        }
        out
    }

    /// Decode [`Self::to_bytes`], rejecting anything it would not have produced, and rebuild
    /// every node (about one hash per leaf, plus 32 per checkpoint).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MerkleError> {
        let mut reader = Reader(bytes);
        if reader.take(4)? != MAGIC {
            return Err(MerkleError::Decode("not a commitment tree (bad magic)"));
        }
        if reader.u8()? != FORMAT_VERSION {
            return Err(MerkleError::Decode("unsupported format version"));
        }
        if usize::from(reader.u8()?) != ARITY || usize::from(reader.u8()?) != DEPTH {
            return Err(MerkleError::Decode("wrong tree shape"));
        }
        let window = reader.u32()?;
        if !(1..=MAX_WINDOW).contains(&window) {
            return Err(MerkleError::Window(window.into()));
        }
        let len = reader.u64()?;
        if len > CAPACITY {
            return Err(MerkleError::Decode("more leaves than the tree holds"));
        }
        // Check the length before allocating anything proportional to it.
        let leaf_bytes = usize::try_from(len)
            .ok()
            .and_then(|n| n.checked_mul(32))
            .filter(|&n| n <= reader.0.len())
            .ok_or(MerkleError::Decode("truncated"))?;
        let leaves = reader
            .take(leaf_bytes)?
            .chunks_exact(32)
            .map(|chunk| {
                let chunk: &[u8; 32] = chunk.try_into().expect("chunks of 32");
                fr_from_bytes(chunk).map_err(|_| MerkleError::Decode("non-canonical leaf"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let count = reader.u32()?;
        if count == 0 || count > window {
            return Err(MerkleError::Decode("checkpoint count outside 1..=window"));
        }
        let mut checkpoint_lens = Vec::with_capacity(count as usize);
        for _ in 0..count {
            checkpoint_lens.push(reader.u64()?);
        }
        if !reader.0.is_empty() {
            return Err(MerkleError::Decode("trailing bytes"));
        }
        let increasing = checkpoint_lens.windows(2).all(|w| w[0] < w[1]);
        if !increasing || checkpoint_lens.last().is_some_and(|&last| last > len) {
            return Err(MerkleError::Decode(
                "checkpoints not strictly increasing within the leaves",
            ));
        }

        let mut tree = Self::without_checkpoints(window as usize);
        for checkpoint_len in checkpoint_lens {
            let from = tree.levels.0[0].len();
            tree.extend(&leaves[from..checkpoint_len as usize])?;
            tree.recent.push_back(Checkpoint {
                len: checkpoint_len,
                root: tree.root(),
            });
        }
        let from = tree.levels.0[0].len();
        tree.extend(&leaves[from..])?;
        Ok(tree)
    }
}

/// A cursor over untrusted bytes that fails instead of panicking.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], MerkleError> {
        if self.0.len() < n {
            return Err(MerkleError::Decode("truncated"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], MerkleError> {
        Ok(self.take(N)?.try_into().expect("took N bytes"))
    }

    fn u8(&mut self) -> Result<u8, MerkleError> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, MerkleError> {
        self.array().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Result<u64, MerkleError> {
        self.array().map(u64::from_le_bytes)
    }
}

/// The authentication path of one leaf: its position and, from the leaf level up, the three
/// siblings of the path's node at each level (in order, the node's own slot left out). A private
/// input of the authorization and extraction circuits: it tells which commitment a proof is
/// about, so its `Debug` prints nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct MerklePath {
    position: u64,
    siblings: [[Fr; ARITY - 1]; DEPTH],
}

impl MerklePath {
    /// A path from its parts (for instance decoded from a node's answer).
    pub fn new(position: u64, siblings: [[Fr; ARITY - 1]; DEPTH]) -> Result<Self, MerkleError> {
        if position >= CAPACITY {
            return Err(MerkleError::UnknownPosition {
                position,
                len: CAPACITY,
            });
        }
        Ok(Self { position, siblings })
    }

    /// Position of the leaf.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Siblings, from the leaf level up.
    pub fn siblings(&self) -> &[[Fr; ARITY - 1]; DEPTH] {
        &self.siblings
    }

    /// Which child of its parent (0..4) the path's node at `height` is: base-4 digit `height`
    /// of the position.
    pub fn slot(&self, height: usize) -> usize {
        ((self.position >> (2 * height)) & 3) as usize
    }

    /// The root this path leads to from `leaf`.
    pub fn root_for(&self, leaf: Fr) -> Fr {
        self.siblings
            .iter()
            .enumerate()
            .fold(leaf, |node, (h, siblings)| {
                let slot = self.slot(h);
                let mut others = siblings.iter();
                poseidon::node(&std::array::from_fn(|k| {
                    if k == slot {
                        node
                    } else {
                        *others.next().expect("ARITY - 1 siblings")
                    }
                }))
            })
    }

    /// Whether `leaf` sits at this path's position under `root`.
    pub fn verifies(&self, leaf: Fr, root: Fr) -> bool {
        self.root_for(leaf) == root
    }

    /// `position u64 LE | 16 × 3 siblings (32 bytes each)`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PATH_LEN);
        out.extend_from_slice(&self.position.to_le_bytes());
        for sibling in self.siblings.iter().flatten() {
            out.extend_from_slice(&fr_to_bytes(sibling));
        }
        out
    }

    /// Decode [`Self::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MerkleError> {
        if bytes.len() != PATH_LEN {
            return Err(MerkleError::Decode("a path is 8 + 16 * 3 * 32 bytes"));
        }
        let mut reader = Reader(bytes);
        let position = reader.u64()?;
        let mut siblings = [[Fr::ZERO; ARITY - 1]; DEPTH];
        for sibling in siblings.iter_mut().flatten() {
            *sibling = fr_from_bytes(&reader.array()?)
                .map_err(|_| MerkleError::Decode("non-canonical sibling"))?;
        }
        Self::new(position, siblings)
    }
}

impl std::fmt::Debug for MerklePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MerklePath(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: u64) -> Vec<Fr> {
        (1..=n).map(|i| Fr::from(i * 1_000_003)).collect()
    }

    /// Root of a list of leaves computed the slow, obvious way: pad each level to a multiple of
    /// four and hash groups of four.
    fn naive_root(leaves: &[Fr]) -> Fr {
        if leaves.is_empty() {
            return empty_subtree(DEPTH);
        }
        let mut level = leaves.to_vec();
        for h in 0..DEPTH {
            while !level.len().is_multiple_of(ARITY) {
                level.push(empty_subtree(h));
            }
            level = level
                .chunks(ARITY)
                .map(|group| poseidon::node(group.try_into().unwrap()))
                .collect();
        }
        level[0]
    }

    #[test]
    fn empty_tree_root_is_the_empty_subtree() {
        let tree = CommitmentTree::new(4).unwrap();
        assert_eq!(tree.root(), empty_subtree(DEPTH));
        assert_eq!(naive_root(&[]), empty_subtree(DEPTH));
        assert!(tree.is_recent_root(&tree.root()));
        assert_eq!(
            tree.path(0).unwrap_err(),
            MerkleError::UnknownPosition {
                position: 0,
                len: 0
            }
        );
    }

    #[test]
    fn roots_and_paths_match_the_naive_tree() {
        let all = leaves(21);
        let mut tree = CommitmentTree::new(4).unwrap();
        for (i, leaf) in all.iter().enumerate() {
            assert_eq!(tree.append(*leaf).unwrap(), i as u64);
            assert_eq!(
                tree.root(),
                naive_root(&all[..=i]),
                "root after {} leaves",
                i + 1
            );
            for position in 0..=i as u64 {
                let path = tree.path(position).unwrap();
                assert!(path.verifies(all[position as usize], tree.root()));
                assert!(!path.verifies(all[position as usize] + Fr::from(1u8), tree.root()));
            }
        }
    }

    #[test]
    fn extend_equals_one_append_at_a_time() {
        let all = leaves(37);
        let mut one_by_one = CommitmentTree::new(8).unwrap();
        for leaf in &all {
            one_by_one.append(*leaf).unwrap();
        }
        let mut batched = CommitmentTree::new(8).unwrap();
        assert_eq!(batched.extend(&all[..5]).unwrap(), 0..5);
        assert_eq!(batched.extend(&[]).unwrap(), 5..5);
        assert_eq!(batched.extend(&all[5..]).unwrap(), 5..37);
        assert_eq!(batched, one_by_one);
    }

    #[test]
    fn a_path_does_not_verify_at_another_position_or_root() {
        let all = leaves(6);
        let mut tree = CommitmentTree::new(4).unwrap();
        tree.extend(&all).unwrap();
        let path = tree.path(3).unwrap();
        assert!(!path.verifies(all[2], tree.root()));
        let moved = MerklePath::new(2, *path.siblings()).unwrap();
        assert!(!moved.verifies(all[2], tree.root()));
        assert!(!moved.verifies(all[3], tree.root()));
        let old_root = naive_root(&all[..5]);
        assert!(!path.verifies(all[3], old_root));
    }

    #[test]
    fn window_keeps_the_latest_checkpoints() {
        let mut tree = CommitmentTree::new(2).unwrap();
        let empty_root = tree.root();
        tree.append(Fr::from(1u8)).unwrap();
        let unrecorded = tree.root();
        assert!(!tree.is_recent_root(&unrecorded), "not checkpointed yet");
        tree.checkpoint();
        assert!(tree.is_recent_root(&unrecorded));
        assert!(tree.is_recent_root(&empty_root));
        tree.checkpoint(); // nothing appended: no new checkpoint, the empty root stays
        assert!(tree.is_recent_root(&empty_root));
        tree.append(Fr::from(2u8)).unwrap();
        tree.checkpoint();
        assert!(
            !tree.is_recent_root(&empty_root),
            "pushed out of a window of 2"
        );
        assert!(tree.is_recent_root(&unrecorded));
        assert!(tree.is_recent_root(&tree.root()));
        assert_eq!(tree.recent_roots().count(), 2);
    }

    #[test]
    fn window_bounds_are_checked() {
        assert_eq!(CommitmentTree::new(0).unwrap_err(), MerkleError::Window(0));
        assert!(CommitmentTree::new(MAX_WINDOW + 1).is_err());
    }

    #[test]
    fn encoding_round_trips_and_is_canonical() {
        let mut tree = CommitmentTree::new(3).unwrap();
        for chunk in leaves(23).chunks(4) {
            tree.extend(chunk).unwrap();
            tree.checkpoint();
        }
        tree.append(Fr::from(99u8)).unwrap(); // not checkpointed
        let bytes = tree.to_bytes();
        let decoded = CommitmentTree::from_bytes(&bytes).unwrap();
        assert_eq!(decoded, tree);
        assert_eq!(decoded.to_bytes(), bytes);
        assert_eq!(
            decoded.recent_roots().collect::<Vec<_>>(),
            tree.recent_roots().collect::<Vec<_>>()
        );
        let empty = CommitmentTree::new(1).unwrap();
        assert_eq!(
            CommitmentTree::from_bytes(&empty.to_bytes()).unwrap(),
            empty
        );
    }

    #[test]
    fn malformed_encodings_are_rejected() {
        let mut tree = CommitmentTree::new(3).unwrap();
        tree.extend(&leaves(5)).unwrap();
        tree.checkpoint();
        let good = tree.to_bytes();
        let leaf0 = HEADER_LEN;
        let count_at = HEADER_LEN + 5 * 32;

        let mut bad_magic = good.clone();
        bad_magic[0] ^= 1;
        let mut bad_version = good.clone();
        bad_version[4] = 2;
        let mut bad_arity = good.clone();
        bad_arity[5] = 2;
        let mut bad_depth = good.clone();
        bad_depth[6] = 32;
        let mut zero_window = good.clone();
        zero_window[7..11].copy_from_slice(&0u32.to_le_bytes());
        let mut huge_len = good.clone();
        huge_len[11..19].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
        let mut non_canonical = good.clone();
        non_canonical[leaf0..leaf0 + 32].fill(0xff);
        let mut unordered = good.clone();
        let (first, second) = (count_at + 4, count_at + 12);
        let a: [u8; 8] = unordered[first..first + 8].try_into().unwrap();
        let b: [u8; 8] = unordered[second..second + 8].try_into().unwrap();
        unordered[first..first + 8].copy_from_slice(&b);
        unordered[second..second + 8].copy_from_slice(&a);
        let mut beyond = good.clone();
        beyond[second..second + 8].copy_from_slice(&6u64.to_le_bytes());
        let mut trailing = good.clone();
        trailing.push(0);

        for (name, bytes) in [
            ("magic", bad_magic),
            ("version", bad_version),
            ("arity", bad_arity),
            ("depth", bad_depth),
            ("window", zero_window),
            ("leaf count", huge_len),
            ("leaf", non_canonical),
            ("order", unordered),
            ("beyond the leaves", beyond),
            ("trailing", trailing),
            ("truncated", good[..good.len() - 1].to_vec()),
            ("empty", Vec::new()),
        ] {
            assert!(
                CommitmentTree::from_bytes(&bytes).is_err(),
                "{name} accepted"
            );
        }
    }

    #[test]
    fn path_encoding_round_trips_and_rejects_garbage() {
        let mut tree = CommitmentTree::new(1).unwrap();
        tree.extend(&leaves(3)).unwrap();
        let path = tree.path(2).unwrap();
        let bytes = path.to_bytes();
        assert_eq!(MerklePath::from_bytes(&bytes).unwrap(), path);
        assert!(MerklePath::from_bytes(&bytes[1..]).is_err());
        let mut far = bytes.clone();
        far[..8].copy_from_slice(&CAPACITY.to_le_bytes());
        assert!(MerklePath::from_bytes(&far).is_err());
        let mut non_canonical = bytes;
        non_canonical[8..40].fill(0xff);
        assert!(MerklePath::from_bytes(&non_canonical).is_err());
        assert_eq!(format!("{path:?}"), "MerklePath(<redacted>)");
    }
}
