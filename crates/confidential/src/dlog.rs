//! Baby-step giant-step discrete logarithm of `v·G` for `v < 2^32`: what turns a decrypted
//! point back into an amount.
//!
//! A table of `2^k` baby steps `j·G` (keyed by the first 8 bytes of `2·j·G`'s encoding) and
//! `2^(32−k)` giant steps `T − i·2^k·G`. Each step is compared through `2·P`, because Ristretto
//! only batch-compresses doubled points and doubling is a bijection in a group of odd order: one
//! field inversion per chunk instead of per point. Every hit is confirmed by recomputing `v·G`,
//! so a key prefix collision cannot yield a wrong amount.
//!
//! Sizes and times: with [`DlogTable::DEFAULT_BABY_BITS`] = 18 the table holds 262 144 entries
//! (about 9 MiB of hash table) and a worst-case search does 16 384 giant steps; the README gives
//! the measured build and search times.

use std::collections::HashMap;

use curve25519_dalek::constants::{RISTRETTO_BASEPOINT_POINT, RISTRETTO_BASEPOINT_TABLE};
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;

/// Amounts up to this many bits are found; larger ones report `None`.
pub const DECRYPTABLE_BITS: u32 = 32;

/// Points compressed per batch inversion.
const CHUNK: usize = 512;

/// The baby steps of one table size; build once per process and share.
pub struct DlogTable {
    baby_bits: u32,
    baby_steps: HashMap<u64, u32>,
    giant_step: RistrettoPoint,
}

impl DlogTable {
    /// Balances the one-off build (2^18 points) against a worst-case search of 2^14 steps.
    pub const DEFAULT_BABY_BITS: u32 = 18;

    /// A table of `2^baby_bits` baby steps.
    ///
    /// # Panics
    /// If `baby_bits` is 0 or above [`DECRYPTABLE_BITS`]: a caller's constant, not input.
    pub fn new(baby_bits: u32) -> Self {
        assert!(
            (1..=DECRYPTABLE_BITS).contains(&baby_bits),
            "baby_bits must be in 1..={DECRYPTABLE_BITS}"
        );
        let count = 1usize << baby_bits;
        let mut baby_steps = HashMap::with_capacity(count);
        let mut point = RistrettoPoint::identity();
        let mut chunk = Vec::with_capacity(CHUNK);
        let mut first = 0usize;
        while first < count {
            chunk.clear();
            for _ in 0..CHUNK.min(count - first) {
                chunk.push(point);
                point += RISTRETTO_BASEPOINT_POINT;
            }
            for (offset, doubled) in RistrettoPoint::double_and_compress_batch(&chunk)
                .iter()
                .enumerate()
            {
                baby_steps
                    .entry(key(doubled))
                    .or_insert((first + offset) as u32);
            }
            first += chunk.len();
        }
        let giant_step = &Scalar::from(count as u64) * RISTRETTO_BASEPOINT_TABLE;
        Self {
            baby_bits,
            baby_steps,
            giant_step,
        }
    }

    /// Distinct baby-step keys (equal to `2^baby_bits` when no prefixes collide).
    pub fn len(&self) -> usize {
        self.baby_steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.baby_steps.is_empty()
    }

    /// The `v < 2^32` with `v·G = target`, if any.
    pub fn solve(&self, target: &RistrettoPoint) -> Option<u64> {
        let giant_count = 1u64 << (DECRYPTABLE_BITS - self.baby_bits);
        let mut candidate = *target;
        let mut chunk = Vec::with_capacity(CHUNK);
        let mut first = 0u64;
        while first < giant_count {
            chunk.clear();
            for _ in 0..(CHUNK as u64).min(giant_count - first) {
                chunk.push(candidate);
                candidate -= self.giant_step;
            }
            for (offset, doubled) in RistrettoPoint::double_and_compress_batch(&chunk)
                .iter()
                .enumerate()
            {
                if let Some(&baby) = self.baby_steps.get(&key(doubled)) {
                    let amount = ((first + offset as u64) << self.baby_bits) + u64::from(baby);
                    if &Scalar::from(amount) * RISTRETTO_BASEPOINT_TABLE == *target {
                        return Some(amount);
                    }
                }
            }
            first += chunk.len() as u64;
        }
        None
    }
}

impl Default for DlogTable {
    fn default() -> Self {
        Self::new(Self::DEFAULT_BABY_BITS)
    }
}

fn key(compressed: &CompressedRistretto) -> u64 {
    let mut prefix = [0u8; 8];
    prefix.copy_from_slice(&compressed.as_bytes()[..8]);
    u64::from_le_bytes(prefix)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::OnceLock;

    use super::*;

    /// One small table for the whole test binary: 2^12 baby steps build in milliseconds, and a
    /// failing search (2^20 giant steps) stays well under a second.
    pub(crate) fn small_table() -> &'static DlogTable {
        static TABLE: OnceLock<DlogTable> = OnceLock::new();
        TABLE.get_or_init(|| DlogTable::new(12))
    }

    fn times_g(amount: u64) -> RistrettoPoint {
        &Scalar::from(amount) * RISTRETTO_BASEPOINT_TABLE
    }

    #[test]
    fn finds_amounts_at_the_edges_of_the_range() {
        let table = small_table();
        for amount in [
            0,
            1,
            4_095,
            4_096,
            4_097,
            123_456_789,
            u32::MAX as u64 - 1,
            u32::MAX as u64,
        ] {
            assert_eq!(
                table.solve(&times_g(amount)),
                Some(amount),
                "amount {amount}"
            );
        }
    }

    #[test]
    fn refuses_amounts_outside_the_range() {
        let table = small_table();
        assert_eq!(table.solve(&times_g(1 << 32)), None);
        assert_eq!(table.solve(&(-times_g(1))), None);
    }

    #[test]
    fn default_table_has_no_key_collisions() {
        // The table is deterministic, so this proves every baby step is reachable.
        let table = DlogTable::default();
        assert_eq!(table.len(), 1 << DlogTable::DEFAULT_BABY_BITS);
        assert_eq!(table.solve(&times_g(3_000_000_000)), Some(3_000_000_000));
    }
}
