//! Validator (miner) weights for PBFT-style consensus (seed 003 §7.4.3, (7.15)-(7.16)).
//!
//! Under PBFT every healthy node has an equal claim to each round's reward: over `n` finalized
//! rounds, with `A_k` the rounds in which validator k was healthy and `q_i` the number of healthy
//! validators in round i,
//!
//! ```text
//! q_i = Σ_k 1{i ∈ A_k}                  (7.15)
//! P_k = (1/n) Σ_{i ∈ A_k} 1/q_i         (7.16)
//! ```
//!
//! "Healthy in round i" is read from real consensus participation: validator k signed the
//! certificate that finalized block i. The weights are exact rationals summing to 1.

use num_traits::{One, Zero};

use super::ShapleyError;
use crate::Rational;

/// `P_k` for every validator: its share of the miners' revenue relative to `1/|M|` is `P_k |M|`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatorWeights {
    weights: Vec<Rational>,
}

impl ValidatorWeights {
    /// Every validator weighs the same (`P_k = 1/|M|`).
    pub fn uniform(validators: usize) -> Result<Self, ShapleyError> {
        if validators == 0 {
            return Err(ShapleyError::NoValidators);
        }
        let each = Rational::new(1.into(), validators.into());
        Ok(ValidatorWeights {
            weights: vec![each; validators],
        })
    }

    /// Weights (7.16) from the signer sets of a period's finalizations: `finalizations[i]` lists
    /// the indices of the validators that signed finalization i.
    pub fn from_finalizations<F: AsRef<[usize]>>(
        validators: usize,
        finalizations: &[F],
    ) -> Result<Self, ShapleyError> {
        if validators == 0 {
            return Err(ShapleyError::NoValidators);
        }
        if finalizations.is_empty() {
            return Err(ShapleyError::NoFinalizations);
        }
        let mut weights = vec![Rational::zero(); validators];
        let rounds = Rational::from_integer(finalizations.len().into());
        for (finalization, signers) in finalizations.iter().enumerate() {
            let signers = signers.as_ref();
            if signers.is_empty() {
                return Err(ShapleyError::EmptyFinalization { finalization });
            }
            let mut seen = vec![false; validators];
            for &validator in signers {
                if validator >= validators {
                    return Err(ShapleyError::UnknownValidator {
                        finalization,
                        validator,
                        validators,
                    });
                }
                if std::mem::replace(&mut seen[validator], true) {
                    return Err(ShapleyError::DuplicateSigner {
                        finalization,
                        validator,
                    });
                }
            }
            // Each of the q_i signers earns 1/(n q_i) for this round.
            let each =
                Rational::one() / (rounds.clone() * Rational::from_integer(signers.len().into()));
            for &validator in signers {
                weights[validator] += &each;
            }
        }
        Ok(ValidatorWeights { weights })
    }

    /// `P_k`, indexed by validator.
    pub fn weights(&self) -> &[Rational] {
        &self.weights
    }

    /// Number of validators `|M|`.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// Always false: there is at least one validator.
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: i64, d: i64) -> Rational {
        Rational::new(n.into(), d.into())
    }

    #[test]
    fn all_healthy_means_equal_weights() {
        let rounds = vec![vec![0, 1, 2, 3]; 5];
        let w = ValidatorWeights::from_finalizations(4, &rounds).unwrap();
        assert_eq!(w, ValidatorWeights::uniform(4).unwrap());
    }

    #[test]
    fn absent_validators_lose_their_rounds() {
        // Four validators, 2f+1 = 3 signatures per finalization; validator 3 is down in round 1,
        // validator 0 in round 2.
        let rounds = [vec![0, 1, 2, 3], vec![0, 1, 2], vec![3, 1, 2]];
        let w = ValidatorWeights::from_finalizations(4, &rounds).unwrap();
        // P_0 = (1/3)(1/4 + 1/3), P_1 = P_2 = (1/3)(1/4 + 1/3 + 1/3), P_3 = (1/3)(1/4 + 1/3).
        assert_eq!(w.weights(), &[r(7, 36), r(11, 36), r(11, 36), r(7, 36)]);
        assert_eq!(w.weights().iter().sum::<Rational>(), r(1, 1));
    }

    #[test]
    fn malformed_participation_is_rejected() {
        let none: [Vec<usize>; 0] = [];
        assert_eq!(
            ValidatorWeights::from_finalizations(4, &none),
            Err(ShapleyError::NoFinalizations)
        );
        assert_eq!(
            ValidatorWeights::from_finalizations(0, &[vec![0]]),
            Err(ShapleyError::NoValidators)
        );
        assert_eq!(
            ValidatorWeights::from_finalizations(4, &[vec![0, 1, 2], vec![]]),
            Err(ShapleyError::EmptyFinalization { finalization: 1 })
        );
        assert_eq!(
            ValidatorWeights::from_finalizations(4, &[vec![0, 1, 4]]),
            Err(ShapleyError::UnknownValidator {
                finalization: 0,
                validator: 4,
                validators: 4
            })
        );
        assert_eq!(
            ValidatorWeights::from_finalizations(4, &[vec![2, 1, 2]]),
            Err(ShapleyError::DuplicateSigner {
                finalization: 0,
                validator: 2
            })
        );
    }
}
