//! Turning exact amounts into integer tokens.
//!
//! [`apportion`] splits an amount by exact shares (largest-remainder method): each party gets the floor of its exact entitlement; the units left over (fewer than the number
//! of parties) go one each to the largest fractional remainders, ties to the lower index. The
//! parts always sum to the amount, and the same inputs give the same parts on every validator.

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{Signed, ToPrimitive, Zero};

use crate::Rational;

/// Why an amount cannot be apportioned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApportionError {
    /// There is no one to pay.
    #[error("no parties to apportion among")]
    NoParties,
    /// A weight is negative.
    #[error("party {party} has a negative weight")]
    NegativeWeight { party: usize },
    /// The weights sum to zero.
    #[error("the weights sum to zero")]
    ZeroTotalWeight,
    /// An amount to convert is negative.
    #[error("a negative amount cannot be paid")]
    NegativeAmount,
    /// An amount does not fit in a `u128` of tokens.
    #[error("the amount exceeds 2^128 − 1 tokens")]
    TooManyTokens,
}

/// `⌊amount × tokens_per_unit⌋`: an exact payment in whole tokens, rounded down (the remainder
/// stays with the payer, the same on every validator).
pub fn floor_tokens(amount: &Rational, tokens_per_unit: u128) -> Result<u128, ApportionError> {
    if amount.is_negative() {
        return Err(ApportionError::NegativeAmount);
    }
    (amount * Rational::from_integer(BigInt::from(tokens_per_unit)))
        .floor()
        .to_integer()
        .to_u128()
        .ok_or(ApportionError::TooManyTokens)
}

/// Splits `amount` in proportion to `weights` (any nonnegative rationals with a positive sum).
pub fn apportion(amount: u128, weights: &[Rational]) -> Result<Vec<u128>, ApportionError> {
    if weights.is_empty() {
        return Err(ApportionError::NoParties);
    }
    if let Some(party) = weights.iter().position(|w| w.is_negative()) {
        return Err(ApportionError::NegativeWeight { party });
    }
    let total: Rational = weights.iter().sum();
    if total.is_zero() {
        return Err(ApportionError::ZeroTotalWeight);
    }
    let amount_big = BigInt::from(amount);
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for w in weights {
        // amount · w / total = numer / denom, split into floor and remainder.
        let share = Rational::from_integer(amount_big.clone()) * w / &total;
        let (floor, rem) = share.numer().div_mod_floor(share.denom());
        parts.push(floor.to_u128().expect("a part never exceeds the amount"));
        remainders.push(Rational::new(rem, share.denom().clone()));
    }
    let handed_out: u128 = parts.iter().sum();
    let left = usize::try_from(amount - handed_out).expect("fewer units left than parties");
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| remainders[b].cmp(&remainders[a]).then(a.cmp(&b)));
    for &party in order.iter().take(left) {
        parts[party] += 1;
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: i64, d: i64) -> Rational {
        Rational::new(n.into(), d.into())
    }

    #[test]
    fn thirds_of_a_hundred() {
        assert_eq!(
            apportion(100, &[r(1, 3), r(1, 3), r(1, 3)]).unwrap(),
            vec![34, 33, 33]
        );
    }

    #[test]
    fn largest_remainder_wins_the_odd_unit() {
        // 10 × (0.26, 0.35, 0.39) = 2.6, 3.5, 3.9 → floors 2, 3, 3; the two units left go to the
        // remainders .9 and .6, not .5.
        assert_eq!(
            apportion(10, &[r(26, 100), r(35, 100), r(39, 100)]).unwrap(),
            vec![3, 3, 4]
        );
    }

    #[test]
    fn weights_need_not_be_normalized() {
        assert_eq!(apportion(7, &[r(2, 1), r(5, 1)]).unwrap(), vec![2, 5]);
        assert_eq!(apportion(0, &[r(1, 1), r(1, 1)]).unwrap(), vec![0, 0]);
        assert_eq!(apportion(u128::MAX, &[r(1, 1)]).unwrap(), vec![u128::MAX]);
    }

    #[test]
    fn bad_weights_are_rejected() {
        assert_eq!(apportion(5, &[]), Err(ApportionError::NoParties));
        assert_eq!(
            apportion(5, &[r(1, 1), r(-1, 2)]),
            Err(ApportionError::NegativeWeight { party: 1 })
        );
        assert_eq!(
            apportion(5, &[r(0, 1)]),
            Err(ApportionError::ZeroTotalWeight)
        );
    }

    #[test]
    fn exact_payments_round_down_to_tokens() {
        assert_eq!(floor_tokens(&r(60040, 841), 1_000), Ok(71_391));
        assert_eq!(floor_tokens(&r(0, 1), 1_000), Ok(0));
        assert_eq!(
            floor_tokens(&r(-1, 3), 10),
            Err(ApportionError::NegativeAmount)
        );
        assert_eq!(
            floor_tokens(&r(2, 1), u128::MAX),
            Err(ApportionError::TooManyTokens)
        );
    }

    #[test]
    fn parts_always_sum_to_the_amount() {
        let weights: Vec<Rational> = (1..=13).map(|k| r(k * k + 1, 7 * k)).collect();
        for amount in [0u128, 1, 12, 13, 999, 1_000_000_007, u128::MAX / 3] {
            let parts = apportion(amount, &weights).unwrap();
            assert_eq!(parts.iter().sum::<u128>(), amount);
        }
    }
}
