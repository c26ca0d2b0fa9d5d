//! The number types the valorization model computes in.
//!
//! The model is generic over its scalar so that one solver serves two purposes: exact rational
//! arithmetic ([`Rational`]) for anything that decides an on-chain payout — the same parameters
//! give the same bits on every validator — and `f64` for pluggable non-polynomial forms, sweeps
//! and plots.

use std::fmt;
use std::str::FromStr;

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{FromPrimitive, Num, Signed, ToPrimitive, Zero};

use crate::linalg::{Ldl, Matrix, NotPositiveDefinite};

/// Exact rational number: the type of every on-chain quantity in this crate.
pub type Rational = BigRational;

/// A field the valorization solver computes in: `f64` or [`Rational`].
pub trait Scalar:
    Clone + PartialOrd + fmt::Debug + Num + Signed + FromPrimitive + ToPrimitive
{
    /// A Newton step no larger than this ends the iteration. Zero for exact arithmetic, where the
    /// quadratic forms reach the optimum in one step and the second step is exactly zero.
    fn tolerance() -> Self;

    /// False for NaN and infinities, which no model assumption admits.
    fn is_finite(&self) -> bool;

    /// Solves `Q x = b` for a symmetric `Q`, or reports the first leading block of `Q` that is not
    /// positive definite — the model's strict-concavity check.
    fn solve_positive_definite(
        q: &Matrix<Self>,
        b: &[Self],
    ) -> Result<Vec<Self>, NotPositiveDefinite>;
}

impl Scalar for f64 {
    fn tolerance() -> Self {
        1e-12
    }

    fn is_finite(&self) -> bool {
        f64::is_finite(*self)
    }

    /// `L D Lᵀ` factorization.
    fn solve_positive_definite(
        q: &Matrix<Self>,
        b: &[Self],
    ) -> Result<Vec<Self>, NotPositiveDefinite> {
        Ok(Ldl::factor(q)?.solve(b))
    }
}

impl Scalar for Rational {
    fn tolerance() -> Self {
        Rational::zero()
    }

    fn is_finite(&self) -> bool {
        true
    }

    /// Fraction-free (Bareiss) elimination on the integer rows `lcm(denominators) · [Q | b]`:
    /// exact divisions of integers instead of a gcd per rational operation. The pivot at step k
    /// is the k-th leading principal minor (times a positive row scale), so its sign is
    /// Sylvester's test.
    fn solve_positive_definite(
        q: &Matrix<Self>,
        b: &[Self],
    ) -> Result<Vec<Self>, NotPositiveDefinite> {
        let n = q.order();
        let mut rows: Vec<Vec<BigInt>> = (0..n)
            .map(|i| {
                let row: Vec<&Rational> = (0..n).map(|j| q.get(i, j)).chain([&b[i]]).collect();
                let scale = row.iter().fold(BigInt::from(1u8), |l, x| l.lcm(x.denom()));
                row.iter()
                    .map(|x| x.numer() * (&scale / x.denom()))
                    .collect()
            })
            .collect();
        let mut previous = BigInt::from(1u8);
        for k in 0..n {
            if !rows[k][k].is_positive() {
                return Err(NotPositiveDefinite { order: k + 1 });
            }
            let (top, below) = rows.split_at_mut(k + 1);
            let pivot_row = &top[k];
            for row in below.iter_mut() {
                for j in k + 1..=n {
                    row[j] = (&pivot_row[k] * &row[j] - &row[k] * &pivot_row[j]) / &previous;
                }
                row[k] = BigInt::from(0u8);
            }
            previous = pivot_row[k].clone();
        }
        let mut x = vec![Rational::zero(); n];
        for i in (0..n).rev() {
            let known = (i + 1..n).fold(Rational::from_integer(rows[i][n].clone()), |acc, j| {
                acc - Rational::from_integer(rows[i][j].clone()) * &x[j]
            });
            x[i] = known / Rational::from_integer(rows[i][i].clone());
        }
        Ok(x)
    }
}

/// A decimal or fraction that is not a rational number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a rational number (write a decimal such as 0.2 or a fraction such as 1/5)")]
pub struct ParseRationalError(pub String);

/// Parses `"0.2"`, `"-3"`, `"1/5"` or `"1.5e-3"` exactly: `0.2` is one fifth, not the binary
/// double nearest to it, so published decimal parameters mean exactly what they say.
pub fn parse_rational(text: &str) -> Result<Rational, ParseRationalError> {
    let err = || ParseRationalError(text.to_owned());
    let text_trim = text.trim();
    if let Some((num, den)) = text_trim.split_once('/') {
        let num = parse_rational(num).map_err(|_| err())?;
        let den = parse_rational(den).map_err(|_| err())?;
        if den.is_zero() {
            return Err(err());
        }
        return Ok(num / den);
    }
    let (mantissa, exponent) = match text_trim.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().map_err(|_| err())?),
        None => (text_trim, 0),
    };
    let (negative, digits) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = format!("{int_part}{frac_part}");
    if all_digits.is_empty() || !all_digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    if exponent.unsigned_abs() > 4096 {
        return Err(err());
    }
    let numerator = BigInt::from_str(&all_digits).map_err(|_| err())?;
    let scale = exponent - i32::try_from(frac_part.len()).map_err(|_| err())?;
    let ten = BigInt::from(10u8);
    let magnitude = if scale >= 0 {
        Rational::from_integer(numerator * num_traits::pow(ten, scale.unsigned_abs() as usize))
    } else {
        Rational::new(
            numerator,
            num_traits::pow(ten, scale.unsigned_abs() as usize),
        )
    };
    Ok(if negative { -magnitude } else { magnitude })
}

/// The rational equal to a finite `f64` (every finite double is a dyadic rational).
pub fn rational_from_f64(value: f64) -> Option<Rational> {
    Rational::from_float(value)
}

/// Nearest `f64` to a rational, for display and plots.
pub fn to_f64<S: Scalar>(value: &S) -> f64 {
    value.to_f64().unwrap_or(f64::NAN)
}

/// Converts `x` into the scalar type `S` exactly when `S` is [`Rational`].
pub(crate) fn from_u64<S: Scalar>(value: u64) -> S {
    S::from_u64(value).expect("every scalar type represents the integers")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: i64, d: i64) -> Rational {
        Rational::new(n.into(), d.into())
    }

    #[test]
    fn decimals_and_fractions_parse_exactly() {
        assert_eq!(parse_rational("0.2").unwrap(), r(1, 5));
        assert_eq!(parse_rational("-3").unwrap(), r(-3, 1));
        assert_eq!(parse_rational("15").unwrap(), r(15, 1));
        assert_eq!(parse_rational("1/5").unwrap(), r(1, 5));
        assert_eq!(parse_rational("1.5e-3").unwrap(), r(3, 2000));
        assert_eq!(parse_rational("2E2").unwrap(), r(200, 1));
        assert_eq!(parse_rational(".5").unwrap(), r(1, 2));
    }

    #[test]
    fn garbage_is_rejected() {
        for bad in [
            "", "abc", "1/0", "0.2.3", "1e", "--1", "1e99999", "NaN", "1/x",
        ] {
            assert!(parse_rational(bad).is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn exact_and_float_solves_agree_and_detect_indefiniteness() {
        let mut q = Matrix::zeros(3);
        let entries = [[4, -1, 0], [-1, 4, -1], [0, -1, 4]];
        let mut qf = Matrix::zeros(3);
        for (i, row) in entries.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                q.set(i, j, r(v, 3));
                qf.set(i, j, v as f64 / 3.0);
            }
        }
        let b = [r(1, 2), r(-2, 7), r(3, 1)];
        let x = Rational::solve_positive_definite(&q, &b).unwrap();
        for (i, bi) in b.iter().enumerate() {
            let row: Rational = (0..3).map(|j| q.get(i, j) * &x[j]).sum();
            assert_eq!(&row, bi);
        }
        let xf = f64::solve_positive_definite(&qf, &[0.5, -2.0 / 7.0, 3.0]).unwrap();
        for (float, exact) in xf.iter().zip(&x) {
            assert!((float - to_f64(exact)).abs() < 1e-12);
        }
        q.set(2, 2, r(1, 100));
        assert_eq!(
            Rational::solve_positive_definite(&q, &b),
            Err(NotPositiveDefinite { order: 3 })
        );
    }

    #[test]
    fn doubles_convert_exactly() {
        assert_eq!(rational_from_f64(0.5).unwrap(), r(1, 2));
        assert!(rational_from_f64(f64::NAN).is_none());
        assert_eq!(to_f64(&r(1, 4)), 0.25);
    }
}
