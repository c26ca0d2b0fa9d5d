//! Who gets what: shares or amounts for every data owner, miner and third party.

use num_traits::Zero;

use super::ShapleyError;
use crate::Rational;
use crate::apportion::apportion;

/// One value per participant of a sharing coalition `N = H ∪ M ∪ T`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation<T> {
    /// Data owners `H`, in index order.
    pub owners: Vec<T>,
    /// Miners (validators) `M`, in index order.
    pub miners: Vec<T>,
    /// Third parties `T`, in index order.
    pub third_parties: Vec<T>,
}

impl Allocation<Rational> {
    /// `φ_H = Σ φ_{H_i}`: the data owners' aggregate.
    pub fn owners_total(&self) -> Rational {
        self.owners.iter().sum()
    }

    /// `φ_M = Σ φ_{M_k}`: the miners' aggregate.
    pub fn miners_total(&self) -> Rational {
        self.miners.iter().sum()
    }

    /// `φ_T = Σ φ_{T_j}`: the third parties' aggregate.
    pub fn third_parties_total(&self) -> Rational {
        self.third_parties.iter().sum()
    }

    /// Everything allocated.
    pub fn total(&self) -> Rational {
        self.owners_total() + self.miners_total() + self.third_parties_total()
    }

    /// Splits `amount` tokens in proportion to this allocation, exactly: every participant gets
    /// the floor of its entitlement and the leftover units go to the largest remainders (ties to
    /// owners before miners before third parties, then lower index), so the parts sum to
    /// `amount` (see [`apportion`]).
    pub fn split(&self, amount: u128) -> Result<Allocation<u128>, ShapleyError> {
        let weights: Vec<Rational> = self
            .owners
            .iter()
            .chain(&self.miners)
            .chain(&self.third_parties)
            .cloned()
            .collect();
        if weights.iter().all(Zero::is_zero) && amount == 0 {
            return Ok(Allocation {
                owners: vec![0; self.owners.len()],
                miners: vec![0; self.miners.len()],
                third_parties: vec![0; self.third_parties.len()],
            });
        }
        let mut parts = apportion(amount, &weights)?.into_iter();
        Ok(Allocation {
            owners: parts.by_ref().take(self.owners.len()).collect(),
            miners: parts.by_ref().take(self.miners.len()).collect(),
            third_parties: parts.collect(),
        })
    }
}
