//! Multi-scalar multiplication in G1: `Σ k_i·P_i`, the whole cost of signing and most of the
//! cost of verifying.
//!
//! Three tools, each for one shape of work:
//! - [`Bases`]: Straus interleaving for a few bases — every scalar is split by the GLV
//!   endomorphism of BLS12-381 G1 (`k = k1 + λ·k2`, ~128-bit halves) and the halves of all
//!   terms share one width-5 wNAF loop: one run of ~128 doublings, one mixed addition per
//!   non-zero digit (about 1 in 6) per half.
//! - [`msm`]: any number of terms; Straus below [`STRAUS_MAX_TERMS`], Pippenger's bucket
//!   method above, where the batch verifier's hundreds of terms make the buckets pay off.
//! - [`FixedBase`]: a precomputed table of one base (the generators of a group key): a
//!   multiplication is ~43 mixed additions and no doubling.
//!
//! Scalars of at most 128 bits, or whose negation is (the verifier's 64-bit random weights),
//! are used as they are instead of being split.
//!
//! The GLV split relies on `φ(P) = λ·P`, true on G1 only: for a signature point with a
//! component outside G1 the result is right on G1 and wrong outside it, which the verifier's
//! projection onto G1 discards (the `torsion` module).
//!
//! Variable time, like arkworks' own scalar multiplication: the signer's scalars are fresh per
//! signature and only the authority's opening scalars repeat, so this matters only against an
//! attacker timing the authority's own machine.

use ark_bls12_381::{Fq, Fr, G1Affine, G1Projective, g1::Config};
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup, scalar_mul::glv::GLVConfig};
use ark_ff::{BigInteger, BigInteger256, Field, PrimeField, Zero};
use zeroize::Zeroize;

/// wNAF width of [`Bases`]: digits are odd and below 2^(W-1) in absolute value.
const W: usize = 5;
/// Odd multiples `P, 3P, …, 15P` kept per base.
const TABLE: usize = 1 << (W - 2);

/// Up to this many terms [`msm`] interleaves (Straus); above, it sorts into buckets.
pub(super) const STRAUS_MAX_TERMS: usize = 32;

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
            let table = &self.tables[2 * TABLE * i..2 * TABLE * (i + 1)];
            for (endomorphism, positive, k) in split(scalar).into_iter().flatten() {
                let half = if endomorphism {
                    &table[TABLE..]
                } else {
                    &table[..TABLE]
                };
                digits.push((wnaf(&k, positive), half));
            }
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

impl Drop for Bases {
    fn drop(&mut self) {
        // The signer's tables are multiples of its secret A.
        self.tables.zeroize();
    }
}

/// `Σ scalars[i]·points[i]`: Straus for a few terms, Pippenger for many. Extra points or
/// scalars past the shorter slice are ignored.
pub(super) fn msm(points: &[G1Affine], scalars: &[Fr]) -> G1Projective {
    let n = points.len().min(scalars.len());
    if n <= STRAUS_MAX_TERMS {
        let terms: Vec<(usize, Fr)> = scalars[..n].iter().copied().enumerate().collect();
        Bases::new(&points[..n]).combine(&terms)
    } else {
        pippenger(&points[..n], &scalars[..n])
    }
}

/// Pippenger's bucket method with signed digits: per window of `c` bits, every term's point
/// goes into the bucket of its digit, and the buckets are summed with weights by a running
/// sum. The points of each bucket are added in affine coordinates, all additions of a round
/// sharing one field inversion ([`sum_buckets`]): about 6 field multiplications per point
/// instead of 11 for a mixed addition into a projective bucket.
fn pippenger(points: &[G1Affine], scalars: &[Fr]) -> G1Projective {
    let mut bases = Vec::with_capacity(2 * points.len());
    let mut magnitudes = Vec::with_capacity(2 * points.len());
    for (p, k) in points.iter().zip(scalars) {
        if p.is_zero() {
            continue;
        }
        for (endomorphism, positive, magnitude) in split(*k).into_iter().flatten() {
            let base = if endomorphism {
                Config::endomorphism_affine(p)
            } else {
                *p
            };
            bases.push(if positive { base } else { -base });
            magnitudes.push(magnitude);
        }
    }
    let bits = magnitudes
        .iter()
        .map(|m| m.num_bits() as usize)
        .max()
        .unwrap_or(0);
    if bits == 0 {
        return G1Projective::zero();
    }
    let c = window_bits(bases.len(), bits);
    // One more bit than the largest magnitude absorbs the last carry of the signed recoding.
    let windows = (bits + 1).div_ceil(c);
    let n = bases.len();
    let mut digits = vec![0i32; windows * n];
    for (i, m) in magnitudes.iter().enumerate() {
        let mut carry = 0;
        for w in 0..windows {
            let d = window(m, w * c, c) as i32 + carry;
            // Digits in (-2^(c-1), 2^(c-1)]: half the buckets, negation is free.
            carry = (d > 1 << (c - 1)) as i32;
            digits[w * n + i] = d - (carry << c);
        }
    }

    let half = 1 << (c - 1);
    let buckets = sum_buckets(&digits, &bases, half);
    let mut acc = G1Projective::zero();
    for window in buckets.chunks_exact(half).rev() {
        for _ in 0..c {
            acc.double_in_place();
        }
        // Σ (j+1)·bucket[j] = Σ_j (bucket[j] + bucket[j+1] + …).
        let mut running = G1Projective::zero();
        for bucket in window.iter().rev() {
            if let Some(p) = bucket {
                running += p;
            }
            acc += running;
        }
    }
    acc
}

/// How one pair of points of a bucket is added in affine coordinates.
#[derive(Clone, Copy)]
enum Pair {
    /// Distinct x: the chord, with denominator `x2 − x1`.
    Add,
    /// The same point: the tangent, with denominator `2y` (never zero: G1's curve has no
    /// point of order 2).
    Double,
    /// Opposite points: the sum is the identity.
    Cancel,
}

/// The sum of the points in each bucket of every window, `None` for an empty (or cancelled)
/// bucket. `digits` holds one digit per base and window, window after window; digit `d` of
/// base `i` in window `w` puts `±bases[i]` into bucket `w·half + |d| − 1`. Each round adds the
/// points of every bucket pairwise, all pairs of all windows sharing one batch inversion,
/// until one point is left per bucket: about log2(points per bucket) rounds.
fn sum_buckets(digits: &[i32], bases: &[G1Affine], half: usize) -> Vec<Option<G1Affine>> {
    let n = bases.len();
    let buckets = digits.len() / n * half;
    let bucket_of = |i: usize, d: i32| i / n * half + d.unsigned_abs() as usize - 1;
    // Counting sort by bucket: run `b` is points[start[b]..start[b + 1]].
    let mut start = vec![0usize; buckets + 1];
    for (i, d) in digits.iter().enumerate().filter(|(_, d)| **d != 0) {
        start[bucket_of(i, *d) + 1] += 1;
    }
    for b in 0..buckets {
        start[b + 1] += start[b];
    }
    let mut points = vec![G1Affine::zero(); start[buckets]];
    let mut next = start.clone();
    for (i, d) in digits.iter().enumerate().filter(|(_, d)| **d != 0) {
        let b = bucket_of(i, *d);
        let p = bases[i % n];
        points[next[b]] = if *d > 0 { p } else { -p };
        next[b] += 1;
    }

    // Run `b` is reduced in place: points[start[b]..start[b] + len[b]].
    let mut len: Vec<usize> = start.windows(2).map(|w| w[1] - w[0]).collect();
    let mut pairs = Vec::new();
    let mut denominators = Vec::new();
    while len.iter().any(|l| *l > 1) {
        pairs.clear();
        denominators.clear();
        for b in 0..buckets {
            for pair in points[start[b]..start[b] + len[b]].chunks_exact(2) {
                let (p, q) = (&pair[0], &pair[1]);
                let dx = q.x - p.x;
                pairs.push(if !dx.is_zero() {
                    denominators.push(dx);
                    Pair::Add
                } else if p.y == q.y {
                    denominators.push(p.y.double());
                    Pair::Double
                } else {
                    Pair::Cancel
                });
            }
        }
        ark_ff::batch_inversion(&mut denominators);

        let (mut pairs, mut inverses) = (pairs.iter(), denominators.iter());
        for b in 0..buckets {
            let (first, n) = (start[b], len[b]);
            // Sums go to the front of the run; each is written after its own inputs are read.
            let mut out = first;
            for j in (first..first + n - n % 2).step_by(2) {
                let (p, q) = (points[j], points[j + 1]);
                let slope = match pairs.next() {
                    Some(Pair::Add) => (q.y - p.y) * next_inverse(&mut inverses),
                    Some(Pair::Double) => {
                        let xx = p.x.square();
                        (xx.double() + xx) * next_inverse(&mut inverses)
                    }
                    _ => continue,
                };
                let x = slope.square() - p.x - q.x;
                let y = slope * (p.x - x) - p.y;
                points[out] = G1Affine::new_unchecked(x, y);
                out += 1;
            }
            if n % 2 == 1 {
                points[out] = points[first + n - 1];
                out += 1;
            }
            len[b] = out - first;
        }
    }
    (0..buckets)
        .map(|b| (len[b] == 1).then(|| points[start[b]]))
        .collect()
}

fn next_inverse<'a>(inverses: &mut impl Iterator<Item = &'a Fq>) -> Fq {
    *inverses
        .next()
        .expect("one inverse was computed per added or doubled pair")
}

/// The window size minimizing the estimated cost in field multiplications: per window, an
/// affine addition (~6) per term and a mixed plus a projective addition (~26) per bucket for
/// the running sum.
fn window_bits(terms: usize, bits: usize) -> usize {
    (2..=16)
        .min_by_key(|&c| (bits + 1).div_ceil(c) * (6 * terms + 26 * (1 << (c - 1))))
        .unwrap_or(8)
}

/// Bits `[at, at + c)` of `m` (c ≤ 16), zero past its end.
fn window(m: &BigInteger256, at: usize, c: usize) -> u64 {
    let limbs = m.as_ref();
    let (limb, shift) = (at / 64, at % 64);
    let low = limbs.get(limb).copied().unwrap_or(0) >> shift;
    let high = match (shift, limbs.get(limb + 1)) {
        (0, _) | (_, None) => 0,
        (_, Some(next)) => next << (64 - shift),
    };
    (low | high) & ((1 << c) - 1)
}

/// `k` as one or two `(on φ(P), positive, magnitude)` parts with `k = Σ ±magnitude·λ^[φ]`:
/// one part if `k` or `-k` has at most 128 bits, else the two GLV halves.
fn split(k: Fr) -> [Option<(bool, bool, BigInteger256)>; 2] {
    let short = |s: Fr| {
        let b = s.into_bigint();
        (b.num_bits() <= 128).then_some(b)
    };
    if let Some(m) = short(k) {
        return [Some((false, true, m)), None];
    }
    if let Some(m) = short(-k) {
        return [Some((false, false, m)), None];
    }
    let (k1, k2) = glv_halves(&k.into_bigint());
    [Some((false, true, k1)), Some((true, false, k2))]
}

/// The BLS12-381 curve parameter `|z|`; the endomorphism's eigenvalue is `λ = −z² mod r`.
const Z: u64 = 0xd201_0000_0001_0000;

/// `(k1, k2)` with `k = k1 − λ·k2`, both below `z² < 2^128`: the digits of `k` in base `z²`
/// (`k < r < z⁴`), since `z² ≡ −λ`. Two short divisions instead of arkworks' big-integer
/// lattice reduction.
fn glv_halves(k: &BigInteger256) -> (BigInteger256, BigInteger256) {
    let (q1, r1) = divide(k, Z);
    let (q2, r2) = divide(&q1, Z);
    let low = u128::from(r2) * u128::from(Z) + u128::from(r1);
    (
        BigInteger256::new([low as u64, (low >> 64) as u64, 0, 0]),
        q2,
    )
}

/// `(k / d, k % d)`.
fn divide(k: &BigInteger256, d: u64) -> (BigInteger256, u64) {
    let mut quotient = [0u64; 4];
    let mut rem = 0u128;
    for (q, limb) in quotient.iter_mut().zip(k.0).rev() {
        let n = (rem << 64) | u128::from(limb);
        *q = (n / u128::from(d)) as u64;
        rem = n % u128::from(d);
    }
    (BigInteger256::new(quotient), rem as u64)
}

/// Width-`W` NAF digits of `k`, least significant first, negated if `!positive`.
fn wnaf(k: &BigInteger256, positive: bool) -> Vec<i64> {
    let mut digits = k.find_wnaf(W).expect("the wNAF width is a valid constant");
    if !positive {
        digits.iter_mut().for_each(|d| *d = -*d);
    }
    digits
}

/// Signed-window width of [`FixedBase`].
const FIXED_W: usize = 6;
/// Entries per window: the multiples `1..=2^(FIXED_W-1)` of the window's power of two.
const FIXED_HALF: usize = 1 << (FIXED_W - 1);
/// Windows covering a 255-bit scalar plus the carry of the signed recoding.
const FIXED_WINDOWS: usize = (Fr::MODULUS_BIT_SIZE as usize + 1).div_ceil(FIXED_W);

/// `d·2^(6j)·P` for every window `j` and digit `d ∈ 1..=32`: 1376 points (132 KiB), so that
/// `k·P` is one signed digit per window, ~43 mixed additions, no doubling.
pub(super) struct FixedBase {
    table: Vec<G1Affine>,
}

impl FixedBase {
    pub(super) fn new(p: G1Affine) -> Self {
        let mut multiples = Vec::with_capacity(FIXED_WINDOWS * FIXED_HALF);
        let mut power = p.into_group();
        for _ in 0..FIXED_WINDOWS {
            let mut multiple = power;
            for _ in 0..FIXED_HALF {
                multiples.push(multiple);
                multiple += power;
            }
            // `multiple` is now (FIXED_HALF + 1)·power; the next power is 2·FIXED_HALF·power.
            power = multiple - power;
            power.double_in_place();
        }
        Self {
            table: G1Projective::normalize_batch(&multiples),
        }
    }

    /// `k·P`.
    pub(super) fn mul(&self, k: &Fr) -> G1Projective {
        let k = k.into_bigint();
        let mut acc = G1Projective::zero();
        let mut carry = 0;
        for (j, window_table) in self.table.chunks_exact(FIXED_HALF).enumerate() {
            let d = window(&k, j * FIXED_W, FIXED_W) as i32 + carry;
            carry = (d > FIXED_HALF as i32) as i32;
            let d = d - (carry << FIXED_W);
            match d {
                0 => {}
                d if d > 0 => acc += window_table[(d - 1) as usize],
                d => acc -= window_table[(-d - 1) as usize],
            }
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use ark_ec::PrimeGroup;
    use ark_ff::UniformRand;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    use super::*;

    fn random_points(n: usize, rng: &mut StdRng) -> Vec<G1Affine> {
        (0..n)
            .map(|_| (G1Projective::generator() * Fr::rand(rng)).into_affine())
            .collect()
    }

    /// Full scalars, short ones of both signs, and the edge values 0, ±1.
    fn mixed_scalars(n: usize, rng: &mut StdRng) -> Vec<Fr> {
        (0..n)
            .map(|i| match i % 6 {
                0 | 1 => Fr::rand(rng),
                2 => Fr::from(rng.r#gen::<u64>()),
                3 => -Fr::from(rng.r#gen::<u128>()),
                4 => Fr::from((i % 3) as u64),
                _ => -Fr::from(1u64),
            })
            .collect()
    }

    fn naive(points: &[G1Affine], scalars: &[Fr]) -> G1Projective {
        points.iter().zip(scalars).map(|(p, s)| *p * s).sum()
    }

    #[test]
    fn straus_agrees_with_plain_scalar_multiplication() {
        let mut rng = StdRng::seed_from_u64(20);
        let points = random_points(4, &mut rng);
        let bases = Bases::new(&points);
        for n in 0..7 {
            let scalars = mixed_scalars(n, &mut rng);
            let terms: Vec<(usize, Fr)> = (0..n).map(|i| (i % 4, scalars[i])).collect();
            let expected: G1Projective = terms.iter().map(|(i, s)| points[*i] * s).sum();
            assert_eq!(bases.combine(&terms), expected);
        }
        // The same base several times.
        let edge = [
            (0, Fr::zero()),
            (0, Fr::from(1u64)),
            (0, -Fr::from(1u64)),
            (0, Fr::from(7u64)),
        ];
        assert_eq!(bases.combine(&edge), points[0] * Fr::from(7u64));
    }

    #[test]
    fn pippenger_agrees_with_plain_scalar_multiplication() {
        let mut rng = StdRng::seed_from_u64(21);
        for n in [0, 1, 2, 33, 100] {
            let mut points = random_points(n, &mut rng);
            let scalars = mixed_scalars(n, &mut rng);
            if n > 2 {
                // Equal and opposite points land in the same bucket.
                points[1] = points[0];
                points[2] = -points[0];
            }
            assert_eq!(pippenger(&points, &scalars), naive(&points, &scalars));
            assert_eq!(msm(&points, &scalars), naive(&points, &scalars));
        }
        let points = random_points(40, &mut rng);
        let zeros = vec![Fr::zero(); 40];
        assert!(pippenger(&points, &zeros).is_zero());
    }

    #[test]
    fn pippenger_adds_equal_opposite_and_zero_points_in_a_bucket() {
        let mut rng = StdRng::seed_from_u64(23);
        let [p, q] = random_points(2, &mut rng)[..] else {
            unreachable!()
        };
        // With equal scalars these share a bucket in every window: a cancelling pair, a
        // doubling pair, then chords.
        let points = [p, -p, p, p, q, q, -q, G1Affine::zero(), p];
        for k in [
            Fr::rand(&mut rng),
            Fr::from(3u64),
            -Fr::from(rng.r#gen::<u64>()),
        ] {
            let scalars = vec![k; points.len()];
            assert_eq!(pippenger(&points, &scalars), naive(&points, &scalars));
        }
        let all_cancel = [p, -p, q, -q];
        assert!(pippenger(&all_cancel, &[Fr::from(5u64); 4]).is_zero());
    }

    #[test]
    fn glv_halves_recombine_to_the_scalar() {
        let mut rng = StdRng::seed_from_u64(24);
        let mut scalars = mixed_scalars(30, &mut rng);
        scalars.push(-Fr::from(1u64));
        for k in scalars {
            let (k1, k2) = glv_halves(&k.into_bigint());
            assert!(k1.num_bits() <= 128 && k2.num_bits() <= 128);
            assert_eq!(
                Fr::from_bigint(k1).unwrap() - Config::LAMBDA * Fr::from_bigint(k2).unwrap(),
                k
            );
        }
    }

    #[test]
    fn fixed_base_agrees_with_plain_scalar_multiplication() {
        let mut rng = StdRng::seed_from_u64(22);
        let p = random_points(1, &mut rng)[0];
        let table = FixedBase::new(p);
        let mut scalars = mixed_scalars(12, &mut rng);
        // All-ones digits force a carry through every window.
        scalars.push(-Fr::from(1u64));
        scalars.push(Fr::from(u128::MAX));
        for k in scalars {
            assert_eq!(table.mul(&k), p * k);
        }
    }
}
