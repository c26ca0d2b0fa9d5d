//! Multi-scalar multiplication for the prover, which spends nearly all its time here.
//!
//! Pippenger with signed `c`-bit windows, like arkworks' `VariableBaseMSM`, but the points that
//! fall into each bucket are summed in affine coordinates, pairwise in rounds, with one field
//! inversion per round shared by every addition of the window (Montgomery's trick). An affine
//! addition then costs about 6 field multiplications instead of 10 for arkworks' mixed XYZZ
//! addition; the bucket reduction stays projective.

use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AdditiveGroup, AffineRepr};
use ark_ff::{BigInteger, Field, PrimeField};

type BigInt<P> = <<P as ark_ec::CurveConfig>::ScalarField as PrimeField>::BigInt;

/// `Σ scalars[i] · bases[i]` over the common length of both slices.
pub(crate) fn msm<P: SWCurveConfig>(bases: &[Affine<P>], scalars: &[BigInt<P>]) -> Projective<P> {
    let n = bases.len().min(scalars.len());
    let (bases, scalars) = (&bases[..n], &scalars[..n]);
    if n == 0 {
        return Projective::ZERO;
    }
    let bits = <P::ScalarField as PrimeField>::MODULUS_BIT_SIZE as usize;
    let c = window_bits(n, bits);
    let windows = bits.div_ceil(c);
    let mut digits = vec![0i32; n * windows];
    for (scalar, out) in scalars.iter().zip(digits.chunks_exact_mut(windows)) {
        signed_digits(scalar, c, out);
    }

    let mut scratch = Scratch::default();
    let mut total = Projective::<P>::ZERO;
    for w in (0..windows).rev() {
        for _ in 0..c {
            total.double_in_place();
        }
        total += window_sum(bases, &digits, windows, w, c, &mut scratch);
    }
    total
}

/// The window size minimizing ~`windows · (6·n + 27·buckets)` field multiplications.
fn window_bits(n: usize, bits: usize) -> usize {
    (2..=16)
        .min_by_key(|&c| bits.div_ceil(c) * (6 * n + 27 * (1usize << (c - 1))))
        .expect("non-empty range")
}

/// Digits `d_w` with `Σ d_w 2^{cw} = scalar` and `|d_w| ≤ 2^{c-1}`, except that the top digit
/// takes the final carry (so it can reach `2^c`).
fn signed_digits<B: BigInteger>(scalar: &B, c: usize, out: &mut [i32]) {
    let limbs = scalar.as_ref();
    let bit_window = |start: usize| -> i64 {
        let (limb, shift) = (start / 64, start % 64);
        let mut v = limbs.get(limb).map_or(0, |l| l >> shift);
        if let Some(next) = limbs.get(limb + 1).filter(|_| shift + c > 64) {
            v |= next << (64 - shift);
        }
        (v & ((1u64 << c) - 1)) as i64
    };
    let half = 1i64 << (c - 1);
    let windows = out.len();
    let mut carry = 0;
    for (w, digit) in out.iter_mut().enumerate() {
        let mut d = bit_window(w * c) + carry;
        carry = 0;
        if d > half && w + 1 < windows {
            d -= 1 << c;
            carry = 1;
        }
        *digit = d as i32;
    }
}

/// Buffers reused across windows.
struct Scratch<P: SWCurveConfig> {
    points: Vec<Affine<P>>,
    starts: Vec<usize>,
    lens: Vec<usize>,
    denominators: Vec<P::BaseField>,
}

impl<P: SWCurveConfig> Default for Scratch<P> {
    fn default() -> Self {
        Self {
            points: Vec::new(),
            starts: Vec::new(),
            lens: Vec::new(),
            denominators: Vec::new(),
        }
    }
}

/// `Σ_b (b + 1) · bucket_b` for window `w`, where bucket `b` sums the bases whose digit is
/// `±(b + 1)` (negated for negative digits).
fn window_sum<P: SWCurveConfig>(
    bases: &[Affine<P>],
    digits: &[i32],
    windows: usize,
    w: usize,
    c: usize,
    scratch: &mut Scratch<P>,
) -> Projective<P> {
    let buckets = 1usize << c;
    let digit = |i: usize| digits[i * windows + w];

    // Counting sort of the (non-zero digit, non-identity base) pairs by bucket.
    scratch.lens.clear();
    scratch.lens.resize(buckets, 0);
    for (i, base) in bases.iter().enumerate() {
        let d = digit(i);
        if d != 0 && !base.is_zero() {
            scratch.lens[d.unsigned_abs() as usize - 1] += 1;
        }
    }
    scratch.starts.clear();
    let mut next = 0;
    for &len in &scratch.lens {
        scratch.starts.push(next);
        next += len;
    }
    scratch.points.clear();
    scratch.points.resize(next, Affine::identity());
    let mut fill = scratch.starts.clone();
    for (i, base) in bases.iter().enumerate() {
        let d = digit(i);
        if d != 0 && !base.is_zero() {
            let slot = &mut fill[d.unsigned_abs() as usize - 1];
            scratch.points[*slot] = if d > 0 { *base } else { -*base };
            *slot += 1;
        }
    }

    // Halve every bucket's list per round, adding pairs in place.
    while scratch.lens.iter().any(|&len| len > 1) {
        add_pairs_in_place(scratch);
    }

    // Σ (b + 1) · bucket_b by running sums, from the top bucket down.
    let mut running = Projective::<P>::ZERO;
    let mut sum = Projective::<P>::ZERO;
    let top = scratch.lens.iter().rposition(|&len| len > 0);
    for b in (0..top.map_or(0, |t| t + 1)).rev() {
        if scratch.lens[b] == 1 {
            running += scratch.points[scratch.starts[b]];
        }
        sum += running;
    }
    sum
}

/// One round: in every bucket list, replace points `2i, 2i + 1` by their sum at `i` (an odd last
/// point moves down to `len / 2`), all the additions sharing one inversion.
fn add_pairs_in_place<P: SWCurveConfig>(scratch: &mut Scratch<P>) {
    let Scratch {
        points,
        starts,
        lens,
        denominators,
    } = scratch;
    denominators.clear();
    for (&start, &len) in starts.iter().zip(lens.iter()) {
        for i in 0..len / 2 {
            denominators.push(denominator(
                &points[start + 2 * i],
                &points[start + 2 * i + 1],
            ));
        }
    }
    ark_ff::batch_inversion(denominators);
    let mut inverses = denominators.iter();
    for (&start, len) in starts.iter().zip(lens.iter_mut()) {
        for i in 0..*len / 2 {
            let (a, b) = (points[start + 2 * i], points[start + 2 * i + 1]);
            let inverse = inverses.next().expect("one inverse per pair");
            points[start + i] = add(&a, &b, inverse);
        }
        if *len % 2 == 1 {
            points[start + *len / 2] = points[start + *len - 1];
        }
        *len = len.div_ceil(2);
    }
}

/// What `add` divides by: `x_b - x_a`, or `2·y_a` to double; `1` when no division is needed.
fn denominator<P: SWCurveConfig>(a: &Affine<P>, b: &Affine<P>) -> P::BaseField {
    if a.is_zero() || b.is_zero() {
        P::BaseField::ONE
    } else if a.x == b.x {
        if a.y == b.y {
            a.y.double()
        } else {
            P::BaseField::ONE
        }
    } else {
        b.x - a.x
    }
}

/// `a + b` given the inverse of [`denominator`]`(a, b)` (curves with `a = 0`, like BLS12-381).
fn add<P: SWCurveConfig>(a: &Affine<P>, b: &Affine<P>, inverse: &P::BaseField) -> Affine<P> {
    if a.is_zero() {
        return *b;
    }
    if b.is_zero() {
        return *a;
    }
    let lambda = if a.x == b.x {
        if a.y != b.y {
            return Affine::identity();
        }
        // Doubling: λ = (3x² + a) / 2y.
        (a.x.square() * P::BaseField::from(3u8) + P::COEFF_A) * inverse
    } else {
        (b.y - a.y) * inverse
    };
    let x = lambda.square() - a.x - b.x;
    let y = lambda * (a.x - x) - a.y;
    Affine::new_unchecked(x, y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bls12_381::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
    use ark_ec::{CurveGroup, VariableBaseMSM};
    use ark_ff::{UniformRand, Zero};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn check<P: SWCurveConfig<ScalarField = Fr>>(bases: &[Affine<P>], scalars: &[Fr])
    where
        Projective<P>: VariableBaseMSM<MulBase = Affine<P>, ScalarField = Fr>,
    {
        let bigints: Vec<_> = scalars.iter().map(|s| s.into_bigint()).collect();
        let expected = Projective::<P>::msm_unchecked(bases, scalars);
        assert_eq!(msm(bases, &bigints), expected, "n = {}", bases.len());
    }

    #[test]
    fn matches_arkworks_on_random_and_degenerate_inputs() {
        let mut rng = StdRng::seed_from_u64(7);
        for n in [0, 1, 2, 3, 31, 32, 100, 700] {
            let g1: Vec<G1Affine> = G1Projective::normalize_batch(
                &(0..n)
                    .map(|_| G1Projective::rand(&mut rng))
                    .collect::<Vec<_>>(),
            );
            let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            check(&g1, &scalars);
        }
        // Repeated and opposite points (doublings and cancellations inside buckets), identity
        // bases, zero, one, -1 and small scalars.
        let p = G1Projective::rand(&mut rng).into_affine();
        let q = G1Projective::rand(&mut rng).into_affine();
        let bases = vec![p, p, -p, q, p, G1Affine::identity(), q, -q, p, p, p];
        let scalars: Vec<Fr> = [3, 3, 3, 5, -7, 9, 0, 5, 1, 1, -1]
            .iter()
            .map(|&s: &i64| {
                if s < 0 {
                    -Fr::from(-s as u64)
                } else {
                    Fr::from(s as u64)
                }
            })
            .collect();
        check(&bases, &scalars);
        let all_same = vec![p; 300];
        let scalars: Vec<Fr> = (0..300).map(|i| Fr::from(i % 4 + 1)).collect();
        check(&all_same, &scalars);
        let minus_one = vec![-Fr::from(1u8); 40];
        check(&all_same[..40], &minus_one);
        assert!(msm::<ark_bls12_381::g1::Config>(&[], &[]).is_zero());
    }

    #[test]
    fn matches_arkworks_in_g2() {
        let mut rng = StdRng::seed_from_u64(8);
        let g2: Vec<G2Affine> = G2Projective::normalize_batch(
            &(0..150)
                .map(|_| G2Projective::rand(&mut rng))
                .collect::<Vec<_>>(),
        );
        let scalars: Vec<Fr> = (0..150).map(|_| Fr::rand(&mut rng)).collect();
        check(&g2, &scalars);
    }

    #[test]
    fn signed_digits_recompose_the_scalar() {
        let mut rng = StdRng::seed_from_u64(9);
        for c in [2, 5, 9, 13, 16] {
            let windows = 255usize.div_ceil(c);
            for scalar in [Fr::rand(&mut rng), -Fr::from(1u8), Fr::from(0u8)] {
                let mut digits = vec![0; windows];
                signed_digits(&scalar.into_bigint(), c, &mut digits);
                let recomposed = digits.iter().rev().fold(Fr::from(0u8), |acc, &d| {
                    let d = if d < 0 {
                        -Fr::from(-d as u64)
                    } else {
                        Fr::from(d as u64)
                    };
                    acc * Fr::from(1u64 << c) + d
                });
                assert_eq!(recomposed, scalar, "c = {c}");
                let half = 1 << (c - 1);
                assert!(digits[..windows - 1].iter().all(|d| d.abs() <= half));
                assert!(digits[windows - 1].unsigned_abs() <= 1 << c);
            }
        }
    }
}
