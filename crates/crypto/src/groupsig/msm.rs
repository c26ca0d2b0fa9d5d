//! Small multi-scalar multiplications in G1: `Σ s_i·P_i` for the two or three terms of each
//! BBS04 commitment.
//!
//! arkworks' generic MSM (Pippenger) is tuned for thousands of terms and its single
//! multiplication is a binary double-and-add over the GLV halves. Here every scalar is split
//! by the GLV endomorphism of BLS12-381 G1 (`k = k1 + λ·k2`, ~128-bit halves) and the halves
//! of all terms are interleaved in one width-5 wNAF loop (Straus): one shared run of ~128
//! doublings and one mixed addition per non-zero digit (about 1 in 6) per half.
//!
//! Variable time, like arkworks' own scalar multiplication: the signer's scalars are fresh per
//! signature and only the authority's opening scalars repeat, so this matters only against an
//! attacker timing the authority's own machine.

use ark_bls12_381::{Fr, G1Affine, G1Projective, g1::Config};
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup, scalar_mul::glv::GLVConfig};
use ark_ff::{BigInteger, PrimeField, Zero};

/// wNAF width: digits are odd and below 2^(W-1) in absolute value.
const W: usize = 5;
/// Odd multiples `P, 3P, …, 15P` kept per base.
const TABLE: usize = 1 << (W - 2);

/// Tables of odd multiples of a few bases, shared by several linear combinations of them.
pub(super) struct Bases {
    /// Per base: `P, 3P, …, 15P` then `φ(P), 3φ(P), …, 15φ(P)`.
    tables: Vec<G1Affine>,
}

impl Bases {
    /// Builds the tables of every base with a single field inversion.
    pub(super) fn new(points: &[G1Affine]) -> Self {
        let mut multiples = Vec::with_capacity(points.len() * TABLE);
        for p in points {
            let twice = p.into_group().double();
            let mut multiple = p.into_group();
            for _ in 0..TABLE {
                multiples.push(multiple);
                multiple += twice;
            }
        }
        let multiples = G1Projective::normalize_batch(&multiples);
        let mut tables = Vec::with_capacity(2 * multiples.len());
        for table in multiples.chunks_exact(TABLE) {
            tables.extend_from_slice(table);
            // φ(jP) = j·φ(P): the endomorphism of the table is the table of φ(P).
            tables.extend(table.iter().map(Config::endomorphism_affine));
        }
        Self { tables }
    }

    /// `Σ scalar·base[i]` over `terms = [(i, scalar), …]`. Panics on an index past the bases
    /// (callers index constant positions).
    pub(super) fn combine(&self, terms: &[(usize, Fr)]) -> G1Projective {
        let mut digits = Vec::with_capacity(2 * terms.len());
        for &(i, scalar) in terms {
            let ((positive1, k1), (positive2, k2)) = Config::scalar_decomposition(scalar);
            let table = &self.tables[2 * TABLE * i..2 * TABLE * (i + 1)];
            digits.push((wnaf(&k1, positive1), &table[..TABLE]));
            digits.push((wnaf(&k2, positive2), &table[TABLE..]));
        }
        let len = digits.iter().map(|(d, _)| d.len()).max().unwrap_or(0);
        let mut acc = G1Projective::zero();
        for bit in (0..len).rev() {
            acc.double_in_place();
            for (d, table) in &digits {
                match d.get(bit).copied().unwrap_or(0) {
                    0 => {}
                    n if n > 0 => acc += table[(n / 2) as usize],
                    n => acc -= table[(-n / 2) as usize],
                }
            }
        }
        acc
    }
}

/// Width-`W` NAF digits of `k`, least significant first, negated if `!positive`.
fn wnaf(k: &Fr, positive: bool) -> Vec<i64> {
    let mut digits = k
        .into_bigint()
        .find_wnaf(W)
        .expect("the wNAF width is a valid constant");
    if !positive {
        digits.iter_mut().for_each(|d| *d = -*d);
    }
    digits
}

#[cfg(test)]
mod tests {
    use ark_ec::PrimeGroup;
    use ark_ff::UniformRand;
    use rand::{SeedableRng, rngs::StdRng};

    use super::*;

    #[test]
    fn agrees_with_plain_scalar_multiplication() {
        let mut rng = StdRng::seed_from_u64(20);
        let points: Vec<G1Affine> = (0..4)
            .map(|_| (G1Projective::generator() * Fr::rand(&mut rng)).into_affine())
            .collect();
        let bases = Bases::new(&points);
        for n in 0..5 {
            let terms: Vec<(usize, Fr)> = (0..n).map(|i| (i % 4, Fr::rand(&mut rng))).collect();
            let expected: G1Projective = terms.iter().map(|(i, s)| points[*i] * s).sum();
            assert_eq!(bases.combine(&terms), expected);
        }
        // Edge scalars: 0, 1, -1, and the same base several times.
        let edge = [
            (0, Fr::zero()),
            (0, Fr::from(1u64)),
            (0, -Fr::from(1u64)),
            (0, Fr::from(7u64)),
        ];
        assert_eq!(bases.combine(&edge), points[0] * Fr::from(7u64));
    }
}
