//! Shamir t-of-n secret sharing over the Ristretto scalar field (prime order ≈ 2^252).
//!
//! Shares are evaluations of a random degree-(t−1) polynomial at `x = participant id + 1`
//! (never 0, where the secret sits). Any t shares interpolate the secret; t−1 reveal nothing.

use curve25519_dalek::Scalar;
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShamirError {
    #[error("threshold {threshold} must be between 1 and the {holders} holders")]
    Threshold { threshold: usize, holders: usize },
    #[error("evaluation point x = {0} repeats or is zero")]
    BadPoint(u64),
}

/// A uniformly random field element (64 random bytes reduced, so the bias is ≈ 2^−260).
pub fn random_scalar<R: RngCore + CryptoRng>(rng: &mut R) -> Scalar {
    let mut wide = Zeroizing::new([0u8; 64]);
    rng.fill_bytes(wide.as_mut());
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// Evaluations of a fresh polynomial with constant term `secret` at each of `points`.
pub fn split<R: RngCore + CryptoRng>(
    secret: &Scalar,
    threshold: usize,
    points: &[u64],
    rng: &mut R,
) -> Result<Vec<Scalar>, ShamirError> {
    if threshold == 0 || threshold > points.len() {
        return Err(ShamirError::Threshold {
            threshold,
            holders: points.len(),
        });
    }
    check_points(points)?;
    let mut coefficients = Zeroizing::new(vec![*secret]);
    coefficients.extend((1..threshold).map(|_| random_scalar(rng)));
    Ok(points
        .iter()
        .map(|&x| {
            let x = Scalar::from(x);
            coefficients
                .iter()
                .rev()
                .fold(Scalar::ZERO, |acc, c| acc * x + c)
        })
        .collect())
}

/// Lagrange coefficients `λ_i = Π_{j≠i} x_j / (x_j − x_i)` that interpolate at 0 from `points`.
///
/// Computed once per set of share holders and reused for every secret they reconstruct.
pub fn lagrange_at_zero(points: &[u64]) -> Result<Vec<Scalar>, ShamirError> {
    check_points(points)?;
    Ok(points
        .iter()
        .map(|&xi| {
            let (num, den) = points.iter().filter(|&&xj| xj != xi).fold(
                (Scalar::ONE, Scalar::ONE),
                |(n, d), &xj| {
                    (
                        n * Scalar::from(xj),
                        d * (Scalar::from(xj) - Scalar::from(xi)),
                    )
                },
            );
            num * den.invert()
        })
        .collect())
}

/// `Σ λ_i·y_i`: the secret, when `shares` come from the holders `coefficients` were made for.
pub fn combine(coefficients: &[Scalar], shares: &[Scalar]) -> Scalar {
    coefficients.iter().zip(shares).map(|(l, y)| l * y).sum()
}

fn check_points(points: &[u64]) -> Result<(), ShamirError> {
    let mut seen = std::collections::BTreeSet::new();
    match points.iter().find(|&&x| x == 0 || !seen.insert(x)) {
        Some(&x) => Err(ShamirError::BadPoint(x)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn any_t_shares_recover_the_secret_and_t_minus_1_do_not() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let secret = random_scalar(&mut rng);
        let points: Vec<u64> = (1..=7).collect();
        let shares = split(&secret, 4, &points, &mut rng).unwrap();
        for subset in [[0usize, 1, 2, 3], [6, 2, 4, 1], [3, 4, 5, 6]] {
            let xs: Vec<u64> = subset.iter().map(|&i| points[i]).collect();
            let ys: Vec<Scalar> = subset.iter().map(|&i| shares[i]).collect();
            assert_eq!(combine(&lagrange_at_zero(&xs).unwrap(), &ys), secret);
        }
        let xs = [points[0], points[1], points[2]];
        let ys = [shares[0], shares[1], shares[2]];
        assert_ne!(combine(&lagrange_at_zero(&xs).unwrap(), &ys), secret);
    }

    #[test]
    fn refuses_bad_thresholds_and_points() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let secret = Scalar::ONE;
        assert_eq!(
            split(&secret, 4, &[1, 2, 3], &mut rng),
            Err(ShamirError::Threshold {
                threshold: 4,
                holders: 3
            })
        );
        assert_eq!(
            split(&secret, 2, &[1, 0, 3], &mut rng),
            Err(ShamirError::BadPoint(0))
        );
        assert_eq!(lagrange_at_zero(&[1, 2, 2]), Err(ShamirError::BadPoint(2)));
    }
}
