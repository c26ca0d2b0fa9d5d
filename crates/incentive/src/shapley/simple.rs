//! Data owners' F1-based shares (seed 003 §7.4.1) and the simple cooperation model (§7.4.2).
//!
//! A third party trains a model on data from a coalition of data owners; `F1(H')` is the F1 score
//! of the model trained on the data of `H' ⊆ H`. Among the owners alone, revenue follows the
//! Shapley value of the game `F1` normalized by `F1(H)` (7.6)-(7.8). In the simple model the
//! coalition also needs the third party `T_0` (who sells the service) and at least one miner (who
//! records the sharing): the worth of a coalition `S` is
//!
//! ```text
//! v(S) = F1(S ∩ H) / F1(H) · v(N)   if T_0 ∈ S and S ∩ M ≠ ∅,   0 otherwise,
//! ```
//!
//! and Theorem 2 (7.9)-(7.10) gives its Shapley values in closed form.

use num_bigint::BigInt;

use super::allocation::Allocation;
use super::validators::ValidatorWeights;
use super::{Coalition, Game, ShapleyError, exact_by_subsets};
use crate::Rational;

/// F1 scores are fixed-point numbers with nine decimals: `F1_SCALE` is a perfect score of 1.
pub const F1_SCALE: u64 = 1_000_000_000;
/// Most data owners an F1 table covers (it has `2^owners` entries).
pub const MAX_OWNERS: usize = 20;

/// `F1(H')` for every coalition `H'` of data owners, indexed by bit mask (bit i for owner i).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct F1Scores {
    owners: usize,
    scores: Vec<u64>,
}

impl F1Scores {
    /// A table of `2^owners` fixed-point scores (see [`F1_SCALE`]), with `F1(∅) = 0` and
    /// `F1(H) > 0`.
    pub fn new(owners: usize, scores: Vec<u64>) -> Result<Self, ShapleyError> {
        if owners == 0 {
            return Err(ShapleyError::NoOwners);
        }
        if owners > MAX_OWNERS {
            return Err(ShapleyError::TooManyOwners {
                owners,
                max: MAX_OWNERS,
            });
        }
        let expected = 1usize << owners;
        if scores.len() != expected {
            return Err(ShapleyError::F1TableSize {
                owners,
                expected,
                found: scores.len(),
            });
        }
        if scores[0] != 0 {
            return Err(ShapleyError::F1OfNobody);
        }
        if let Some(coalition) = scores.iter().position(|&s| s > F1_SCALE) {
            return Err(ShapleyError::F1OutOfRange {
                coalition: coalition as u64,
            });
        }
        if scores[expected - 1] == 0 {
            return Err(ShapleyError::F1OfAllOwnersZero);
        }
        Ok(F1Scores { owners, scores })
    }

    /// A table from scores in `[0, 1]` given for each non-empty coalition (bit mask), rounded to
    /// the nearest fixed-point value.
    pub fn from_fn(owners: usize, score: impl Fn(u64) -> f64) -> Result<Self, ShapleyError> {
        if owners == 0 || owners > MAX_OWNERS {
            return F1Scores::new(owners, Vec::new());
        }
        let mut scores = vec![0u64; 1 << owners];
        for (mask, slot) in scores.iter_mut().enumerate().skip(1) {
            let f1 = score(mask as u64);
            if !(0.0..=1.0).contains(&f1) {
                return Err(ShapleyError::F1OutOfRange {
                    coalition: mask as u64,
                });
            }
            *slot = (f1 * F1_SCALE as f64).round() as u64;
        }
        F1Scores::new(owners, scores)
    }

    /// Number of data owners `|H|`.
    pub fn owners(&self) -> usize {
        self.owners
    }

    /// `F1(H')` in billionths, for the owners in bit mask `coalition`.
    pub fn score(&self, coalition: u64) -> u64 {
        self.scores[coalition as usize]
    }

    /// `F1(H)`: the score with every owner's data.
    pub fn of_all(&self) -> u64 {
        self.scores[self.scores.len() - 1]
    }
}

/// The data owners' game of (7.6): `v(H') = F1(H')`.
#[derive(Debug, Clone, Copy)]
pub struct OwnersGame<'a>(pub &'a F1Scores);

impl Game for OwnersGame<'_> {
    fn players(&self) -> usize {
        self.0.owners()
    }

    fn worth(&self, coalition: &Coalition) -> i64 {
        self.0.score(coalition.bits(0..self.0.owners())) as i64
    }
}

/// The normalized Shapley values `φ_H^i` of (7.8): each data owner's fraction of the owners'
/// revenue `v(H)`, exact; they sum to 1.
pub fn owner_shares(f1: &F1Scores) -> Vec<Rational> {
    let all = Rational::from_integer(f1.of_all().into());
    exact_by_subsets(&OwnersGame(f1))
        .expect("an F1 table has at most MAX_OWNERS ≤ MAX_SUBSET_PLAYERS owners")
        .into_iter()
        .map(|phi| phi / &all)
        .collect()
}

/// The simple model of Theorem 2: data owners `H`, miners `M` and one third party `T_0`.
/// Players are numbered owners first, then miners, then the third party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleModel {
    f1: F1Scores,
    miners: usize,
}

/// The normalized Shapley values of (7.10), fractions of `v(N)`, before miner weights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleShares {
    /// `φ_H^i` for every data owner.
    pub owners: Vec<Rational>,
    /// `φ_M`: each miner's share when all miners weigh the same.
    pub miner: Rational,
    /// Number of miners `|M|`.
    pub miners: usize,
    /// `φ_T`: the third party's share.
    pub third_party: Rational,
}

impl SimpleModel {
    /// The model for one service with these F1 scores and `miners ≥ 1` miners.
    pub fn new(f1: F1Scores, miners: usize) -> Result<Self, ShapleyError> {
        if miners == 0 {
            return Err(ShapleyError::NoMiners);
        }
        Ok(SimpleModel { f1, miners })
    }

    /// The owners' F1 scores.
    pub fn f1(&self) -> &F1Scores {
        &self.f1
    }

    /// `|H|`.
    pub fn owners(&self) -> usize {
        self.f1.owners()
    }

    /// `|M|`.
    pub fn miners(&self) -> usize {
        self.miners
    }

    /// Player index of the third party `T_0`.
    pub fn third_party(&self) -> usize {
        self.owners() + self.miners
    }

    /// Group of each player: 0 for owners, 1 for miners, 2 for the third party.
    pub fn groups(&self) -> Vec<usize> {
        let mut groups = vec![0; self.owners()];
        groups.extend(std::iter::repeat_n(1, self.miners));
        groups.push(2);
        groups
    }

    /// The Shapley values of Theorem 2 (7.10), exact, as fractions of `v(N)`:
    ///
    /// ```text
    /// φ_H^i = Σ_{H' ⊆ H∖{i}} Σ_{m=1}^{|M|} C(|M|, m) w(|H'| + m + 1) Δ_i(F1, H') / F1(H)
    /// φ_M   = Σ_{∅ ≠ H' ⊆ H} w(|H'| + 1) F1(H') / F1(H)
    /// φ_T   = Σ_{∅ ≠ H' ⊆ H} Σ_{m=1}^{|M|} C(|M|, m) w(|H'| + m) F1(H') / F1(H)
    /// ```
    ///
    /// with `w(s) = s!(N − s − 1)!/N!`, `N = |H| + |M| + 1`. The inner sums over m collapse: for
    /// an owner or the third party, the `h = |H|` other non-miners and the player itself are in
    /// uniformly random relative order whatever the miners do, so
    /// `Σ_{m=0}^{|M|} C(|M|, m) w(k + m) = k!(h − k)!/(h + 1)!` and the sum from `m = 1` is that
    /// minus `w(k)`. The cost is `O(|H| 2^|H|)` integer steps, independent of `|M|`.
    pub fn closed_form(&self) -> SimpleShares {
        let h = self.owners();
        let total_players = h + self.miners + 1;
        // Integer sums per coalition size: F1 over |H'| = k, and owner i's marginal
        // contributions to coalitions H' ∌ i with |H'| = k.
        let mut by_size = vec![0i128; h + 1];
        let mut marginal = vec![vec![0i128; h]; h];
        for mask in 1u64..1 << h {
            let score = i128::from(self.f1.score(mask));
            let k = mask.count_ones() as usize;
            by_size[k] += score;
            let mut members = mask;
            while members != 0 {
                let i = members.trailing_zeros() as usize;
                marginal[i][k - 1] += score - i128::from(self.f1.score(mask & !(1 << i)));
                members &= members - 1;
            }
        }
        // w(s) = 1/(N C(N−1, s)); order(k) = k!(h−k)!/(h+1)! = 1/((h+1) C(h, k)).
        let w = |s: usize| {
            Rational::new(
                1.into(),
                BigInt::from(total_players) * binomial(total_players - 1, s),
            )
        };
        let order = |k: usize| Rational::new(1.into(), BigInt::from(h + 1) * binomial(h, k));
        let with_a_miner = |k: usize| order(k) - w(k);
        let all = Rational::from_integer(self.f1.of_all().into());
        let int = |x: i128| Rational::from_integer(x.into());

        let owners = marginal
            .iter()
            .map(|by_k| {
                by_k.iter()
                    .enumerate()
                    .map(|(k, &d)| with_a_miner(k + 1) * int(d))
                    .sum::<Rational>()
                    / &all
            })
            .collect();
        let miner = (1..=h)
            .map(|k| w(k + 1) * int(by_size[k]))
            .sum::<Rational>()
            / &all;
        let third_party = (1..=h)
            .map(|k| with_a_miner(k) * int(by_size[k]))
            .sum::<Rational>()
            / &all;
        SimpleShares {
            owners,
            miner,
            miners: self.miners,
            third_party,
        }
    }

    /// Theorem 2 (7.9) with miner weights `P_k`: every participant's fraction of the revenue,
    /// `φ_{M_k} = P_k |M| φ_M`. Exact; the fractions sum to 1.
    pub fn shares(&self, weights: &ValidatorWeights) -> Result<Allocation<Rational>, ShapleyError> {
        if weights.len() != self.miners {
            return Err(ShapleyError::MinerWeights {
                miners: self.miners,
                weights: weights.len(),
            });
        }
        let shares = self.closed_form();
        let miners_total = shares.miners_total();
        Ok(Allocation {
            owners: shares.owners,
            miners: weights
                .weights()
                .iter()
                .map(|p| p * &miners_total)
                .collect(),
            third_parties: vec![shares.third_party],
        })
    }
}

impl SimpleShares {
    /// `φ_H`: all owners together.
    pub fn owners_total(&self) -> Rational {
        self.owners.iter().sum()
    }

    /// `φ_M · |M|`: all miners together.
    pub fn miners_total(&self) -> Rational {
        &self.miner * Rational::from_integer(self.miners.into())
    }
}

impl Game for SimpleModel {
    fn players(&self) -> usize {
        self.owners() + self.miners + 1
    }

    /// `v(S) = F1(S ∩ H)` (in billionths, i.e. `v(N) = F1(H)`) when the third party and a miner
    /// are in S, else 0.
    fn worth(&self, coalition: &Coalition) -> i64 {
        let h = self.owners();
        if coalition.contains(self.third_party()) && coalition.any_in(h..h + self.miners) {
            self.f1.score(coalition.bits(0..h)) as i64
        } else {
            0
        }
    }
}

/// `C(n, k)`.
fn binomial(n: usize, k: usize) -> BigInt {
    (0..k).fold(BigInt::from(1u8), |acc, j| {
        acc * BigInt::from(n - j) / BigInt::from(j + 1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shapley::factorials;

    /// (7.10) as printed, with the sums over the number of miners m written out.
    fn literal_7_10(model: &SimpleModel) -> SimpleShares {
        let (h, m) = (model.owners(), model.miners());
        let n = h + m + 1;
        let fact = factorials(n);
        let w = |s: usize| Rational::new(&fact[s] * &fact[n - s - 1], fact[n].clone());
        let miners_sum = |k: usize| -> Rational {
            (1..=m)
                .map(|j| Rational::from_integer(binomial(m, j)) * w(k + j))
                .sum()
        };
        let f1 = |mask: u64| Rational::from_integer(model.f1().score(mask).into());
        let all = f1((1 << h) - 1);
        let owners = (0..h)
            .map(|i| {
                (0..1u64 << h)
                    .filter(|mask| mask & (1 << i) == 0)
                    .map(|mask| {
                        miners_sum(mask.count_ones() as usize + 1) * (f1(mask | 1 << i) - f1(mask))
                    })
                    .sum::<Rational>()
                    / &all
            })
            .collect();
        let nonempty = || 1u64..1 << h;
        let miner = nonempty()
            .map(|mask| w(mask.count_ones() as usize + 1) * f1(mask))
            .sum::<Rational>()
            / &all;
        let third_party = nonempty()
            .map(|mask| miners_sum(mask.count_ones() as usize) * f1(mask))
            .sum::<Rational>()
            / &all;
        SimpleShares {
            owners,
            miner,
            miners: m,
            third_party,
        }
    }

    #[test]
    fn collapsed_sums_equal_the_printed_formula() {
        let f1 = F1Scores::new(3, vec![0, 300, 450, 700, 200, 600, 650, 1000]).unwrap();
        for miners in [1, 2, 5] {
            let model = SimpleModel::new(f1.clone(), miners).unwrap();
            assert_eq!(model.closed_form(), literal_7_10(&model));
        }
    }

    #[test]
    fn f1_tables_are_validated() {
        assert_eq!(F1Scores::new(0, vec![0]), Err(ShapleyError::NoOwners));
        assert_eq!(
            F1Scores::new(2, vec![0, 1, 2]),
            Err(ShapleyError::F1TableSize {
                owners: 2,
                expected: 4,
                found: 3
            })
        );
        assert_eq!(F1Scores::new(1, vec![5, 10]), Err(ShapleyError::F1OfNobody));
        assert_eq!(
            F1Scores::new(1, vec![0, 0]),
            Err(ShapleyError::F1OfAllOwnersZero)
        );
        assert_eq!(
            F1Scores::new(1, vec![0, F1_SCALE + 1]),
            Err(ShapleyError::F1OutOfRange { coalition: 1 })
        );
        assert_eq!(
            F1Scores::from_fn(2, |m| if m == 2 { f64::NAN } else { 0.5 }),
            Err(ShapleyError::F1OutOfRange { coalition: 2 })
        );
        assert_eq!(
            F1Scores::from_fn(21, |_| 0.5),
            Err(ShapleyError::TooManyOwners {
                owners: 21,
                max: MAX_OWNERS
            })
        );
        assert_eq!(
            SimpleModel::new(F1Scores::from_fn(1, |_| 1.0).unwrap(), 0),
            Err(ShapleyError::NoMiners)
        );
    }
}
