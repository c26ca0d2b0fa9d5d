//! The full cooperation model (seed 003 §7.4.2, Theorem 3, (7.11)-(7.12)).
//!
//! Several third parties `T_j` each sell services `r ∈ R_j`; data owner `H_i` shares data of the
//! types `D_i`; every connection runs through the miners. A period's revenue is the sum of the
//! payments `SP_j^r = α_r x_j^r` (7.5, 7.11). Each payment is a simple model of its own — third
//! party `T_j`, the owners `H_r` that share data of type `r`, all miners — and is split by
//! Theorem 2; a participant's revenue is the sum over the payments it takes part in (7.12).
//!
//! (7.12) prints `φ_T(H, M, {T_j})` for the third party; the owners in that simple model are
//! `H_r`, as in the owners' and miners' lines, and `H_r` is what is used here.

use super::ShapleyError;
use super::allocation::Allocation;
use super::simple::{F1Scores, SimpleModel};
use super::validators::ValidatorWeights;
use crate::Rational;

/// One service `r` sold by third party `T_j` in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offering {
    /// `j`: the third party selling the service.
    pub third_party: usize,
    /// `r`: the service, equal to the data type it needs.
    pub service: usize,
    /// `SP_j^r = α_r x_j^r` (7.5): the charge times the number of uses, in tokens.
    pub payment: u128,
    /// F1 scores of `T_j`'s model for `r` trained on each coalition of `H_r`, the owners sharing
    /// data of type `r`; bit b of a coalition is the b-th such owner in index order.
    pub f1: F1Scores,
}

/// Owners, validators, third parties and the period's paid offerings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CooperationModel {
    owner_data: Vec<Vec<usize>>,
    third_parties: usize,
    validators: ValidatorWeights,
    offerings: Vec<Offering>,
    revenue: u128,
}

impl CooperationModel {
    /// `owner_data[i]` is `D_i`, the data types owner i shares.
    pub fn new(
        owner_data: Vec<Vec<usize>>,
        third_parties: usize,
        validators: ValidatorWeights,
        offerings: Vec<Offering>,
    ) -> Result<Self, ShapleyError> {
        let owner_data: Vec<Vec<usize>> = owner_data
            .into_iter()
            .map(|mut types| {
                types.sort_unstable();
                types.dedup();
                types
            })
            .collect();
        let mut revenue = 0u128;
        let mut seen = std::collections::BTreeSet::new();
        for (index, offering) in offerings.iter().enumerate() {
            if offering.third_party >= third_parties {
                return Err(ShapleyError::UnknownThirdParty {
                    offering: index,
                    third_party: offering.third_party,
                    third_parties,
                });
            }
            if !seen.insert((offering.third_party, offering.service)) {
                return Err(ShapleyError::DuplicateOffering {
                    third_party: offering.third_party,
                    service: offering.service,
                });
            }
            let sharing = owners_sharing(&owner_data, offering.service);
            if sharing.is_empty() {
                return Err(ShapleyError::NoOwnersForService {
                    offering: index,
                    service: offering.service,
                });
            }
            if sharing.len() != offering.f1.owners() {
                return Err(ShapleyError::OfferingOwners {
                    offering: index,
                    expected: sharing.len(),
                    found: offering.f1.owners(),
                });
            }
            revenue = revenue
                .checked_add(offering.payment)
                .ok_or(ShapleyError::RevenueOverflow)?;
        }
        Ok(CooperationModel {
            owner_data,
            third_parties,
            validators,
            offerings,
            revenue,
        })
    }

    /// `H_r`: the owners sharing data of type `service`, in index order.
    pub fn owners_sharing(&self, service: usize) -> Vec<usize> {
        owners_sharing(&self.owner_data, service)
    }

    /// `v(N) = Σ_r Σ_j SP_j^r` (7.11), in tokens.
    pub fn revenue(&self) -> u128 {
        self.revenue
    }

    /// Every participant's revenue (7.12), in tokens, exact; it sums to [`Self::revenue`].
    pub fn distribute(&self) -> Allocation<Rational> {
        let mut total = Allocation {
            owners: vec![Rational::default(); self.owner_data.len()],
            miners: vec![Rational::default(); self.validators.len()],
            third_parties: vec![Rational::default(); self.third_parties],
        };
        for offering in &self.offerings {
            let payment = Rational::from_integer(offering.payment.into());
            let model = SimpleModel::new(offering.f1.clone(), self.validators.len())
                .expect("validator weights are never empty");
            let shares = model
                .shares(&self.validators)
                .expect("weights are built for these validators");
            for (owner, share) in self
                .owners_sharing(offering.service)
                .into_iter()
                .zip(&shares.owners)
            {
                total.owners[owner] += share * &payment;
            }
            for (miner, share) in total.miners.iter_mut().zip(&shares.miners) {
                *miner += share * &payment;
            }
            total.third_parties[offering.third_party] += &shares.third_parties[0] * &payment;
        }
        total
    }

    /// The period's token payouts: [`Self::distribute`] rounded by largest remainder, so they
    /// sum to exactly [`Self::revenue`].
    pub fn payouts(&self) -> Result<Allocation<u128>, ShapleyError> {
        self.distribute().split(self.revenue)
    }
}

fn owners_sharing(owner_data: &[Vec<usize>], service: usize) -> Vec<usize> {
    (0..owner_data.len())
        .filter(|&i| owner_data[i].binary_search(&service).is_ok())
        .collect()
}
