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
/// Most data owners a table of every coalition's F1 covers (it has `2^owners` entries).
pub const MAX_OWNERS: usize = 20;

/// `F1(H')` for every coalition `H'` of data owners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct F1Scores {
    owners: usize,
    scores: Scores,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Scores {
    /// One score per coalition, by bit mask (bit i for owner i).
    Table(Vec<u64>),
    /// One score per coalition size: every owner's data is alike.
    BySize(Vec<u64>),
}

/// Integer sums of F1 per coalition size, the inputs of Theorem 2's closed form.
struct SizeSums {
    /// `Σ_{|H'| = k} F1(H')`.
    scores: Vec<BigInt>,
    /// Per owner, `Σ_{|H'| = k, i ∉ H'} Δ_i(F1, H')`; one row when all owners are alike.
    marginals: Vec<Vec<BigInt>>,
}

fn check_range(scores: &[u64], at: impl Fn(usize) -> ShapleyError) -> Result<(), ShapleyError> {
    if scores[0] != 0 {
        return Err(ShapleyError::F1OfNobody);
    }
    if let Some(index) = scores.iter().position(|&s| s > F1_SCALE) {
        return Err(at(index));
    }
    if scores[scores.len() - 1] == 0 {
        return Err(ShapleyError::F1OfAllOwnersZero);
    }
    Ok(())
}

fn fixed_point(f1: f64, at: impl Fn() -> ShapleyError) -> Result<u64, ShapleyError> {
    if (0.0..=1.0).contains(&f1) {
        Ok((f1 * F1_SCALE as f64).round() as u64)
    } else {
        Err(at())
    }
}

impl F1Scores {
    /// A table of `2^owners` fixed-point scores (see [`F1_SCALE`]), indexed by coalition bit
    /// mask, with `F1(∅) = 0` and `F1(H) > 0`.
    pub fn new(owners: usize, table: Vec<u64>) -> Result<Self, ShapleyError> {
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
        if table.len() != expected {
            return Err(ShapleyError::F1TableSize {
                owners,
                expected,
                found: table.len(),
            });
        }
        check_range(&table, |mask| ShapleyError::F1OutOfRange {
            coalition: mask as u64,
        })?;
        Ok(F1Scores {
            owners,
            scores: Scores::Table(table),
        })
    }

    /// A table from scores in `[0, 1]` given for each non-empty coalition (bit mask), rounded to
    /// the nearest fixed-point value.
    pub fn from_fn(owners: usize, score: impl Fn(u64) -> f64) -> Result<Self, ShapleyError> {
        if owners == 0 || owners > MAX_OWNERS {
            return F1Scores::new(owners, Vec::new());
        }
        let mut table = vec![0u64; 1 << owners];
        for (mask, slot) in table.iter_mut().enumerate().skip(1) {
            *slot = fixed_point(score(mask as u64), || ShapleyError::F1OutOfRange {
                coalition: mask as u64,
            })?;
        }
        F1Scores::new(owners, table)
    }

    /// Scores of owners whose data are alike, so a coalition's F1 depends only on its size:
    /// `by_size[k]` is the fixed-point F1 of any `k` owners, for `k = 0..=owners`. Any number of
    /// owners (every patient of a hospital, say).
    pub fn by_size(by_size: Vec<u64>) -> Result<Self, ShapleyError> {
        if by_size.len() < 2 {
            return Err(ShapleyError::NoOwners);
        }
        check_range(&by_size, |size| ShapleyError::F1OfSizeOutOfRange { size })?;
        Ok(F1Scores {
            owners: by_size.len() - 1,
            scores: Scores::BySize(by_size),
        })
    }

    /// [`Self::by_size`] from scores in `[0, 1]` for sizes `1..=owners`.
    pub fn by_size_fn(owners: usize, score: impl Fn(usize) -> f64) -> Result<Self, ShapleyError> {
        let mut by_size = vec![0u64];
        for size in 1..=owners {
            by_size.push(fixed_point(score(size), || {
                ShapleyError::F1OfSizeOutOfRange { size }
            })?);
        }
        F1Scores::by_size(by_size)
    }

    /// Number of data owners `|H|`.
    pub fn owners(&self) -> usize {
        self.owners
    }

    /// Whether all owners' data are alike (scores by size).
    pub fn owners_alike(&self) -> bool {
        matches!(self.scores, Scores::BySize(_))
    }

    /// F1 (in billionths) of the owners in `coalition`, where owner i is player `first + i`.
    pub fn score(&self, coalition: &Coalition, first: usize) -> u64 {
        let owners = first..first + self.owners;
        match &self.scores {
            Scores::Table(_) => self.score_of(coalition.bits(owners), 0),
            Scores::BySize(_) => self.score_of(0, coalition.count_in(owners)),
        }
    }

    /// F1 of a coalition of owners given as a bit mask (tables) and as a size (owners alike).
    fn score_of(&self, mask: u64, size: usize) -> u64 {
        match &self.scores {
            Scores::Table(table) => table[mask as usize],
            Scores::BySize(by_size) => by_size[size],
        }
    }

    /// `F1(H)`: the score with every owner's data.
    pub fn of_all(&self) -> u64 {
        match &self.scores {
            Scores::Table(scores) | Scores::BySize(scores) => scores[scores.len() - 1],
        }
    }

    fn size_sums(&self) -> SizeSums {
        let h = self.owners;
        match &self.scores {
            Scores::Table(table) => {
                let mut scores = vec![0i128; h + 1];
                let mut marginals = vec![vec![0i128; h]; h];
                for mask in 1..1usize << h {
                    let score = i128::from(table[mask]);
                    let k = mask.count_ones() as usize;
                    scores[k] += score;
                    let mut members = mask;
                    while members != 0 {
                        let i = members.trailing_zeros() as usize;
                        marginals[i][k - 1] += score - i128::from(table[mask & !(1 << i)]);
                        members &= members - 1;
                    }
                }
                SizeSums {
                    scores: scores.into_iter().map(BigInt::from).collect(),
                    marginals: marginals
                        .into_iter()
                        .map(|row| row.into_iter().map(BigInt::from).collect())
                        .collect(),
                }
            }
            Scores::BySize(by_size) => {
                let choose_h = binomials(h);
                let choose_h_1 = binomials(h - 1);
                SizeSums {
                    scores: (0..=h)
                        .map(|k| &choose_h[k] * BigInt::from(by_size[k]))
                        .collect(),
                    marginals: vec![
                        (0..h)
                            .map(|k| {
                                &choose_h_1[k]
                                    * (BigInt::from(by_size[k + 1]) - BigInt::from(by_size[k]))
                            })
                            .collect(),
                    ],
                }
            }
        }
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
        self.0.score(coalition, 0) as i64
    }
}

/// The normalized Shapley values `φ_H^i` of (7.8): each data owner's fraction of the owners'
/// revenue `v(H)`, exact; they sum to 1. Owners whose data are alike share equally (the
/// symmetry axiom), whatever their number.
pub fn owner_shares(f1: &F1Scores) -> Vec<Rational> {
    if f1.owners_alike() {
        return vec![Rational::new(1.into(), f1.owners().into()); f1.owners()];
    }
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
    /// minus `w(k)`. The cost is `O(|H| 2^|H|)` integer steps for a table of F1 scores and
    /// `O(|H| + |M|)` big-number steps for owners alike.
    pub fn closed_form(&self) -> SimpleShares {
        let h = self.owners();
        let n = h + self.miners + 1;
        // w(s) = s!(N−s−1)!/N! = 1/(N C(N−1, s)); k!(h−k)!/(h+1)! = 1/((h+1) C(h, k)).
        let choose_n_1 = binomials(n - 1);
        let choose_h = binomials(h);
        let w = |s: usize| Rational::new(1.into(), BigInt::from(n) * &choose_n_1[s]);
        let with_a_miner =
            |k: usize| Rational::new(1.into(), BigInt::from(h + 1) * &choose_h[k]) - w(k);
        let sums = self.f1.size_sums();
        let all = Rational::from_integer(self.f1.of_all().into());
        let int = |v: &BigInt| Rational::from_integer(v.clone());
        // Owner i joining H' (|H'| = k) after T_0 and a miner: k + 1 non-miners precede it.
        let owner = |row: &[BigInt]| {
            (0..h)
                .map(|k| with_a_miner(k + 1) * int(&row[k]))
                .sum::<Rational>()
                / &all
        };
        let mut owners: Vec<Rational> = sums.marginals.iter().map(|row| owner(row)).collect();
        if owners.len() < h {
            owners = vec![owners[0].clone(); h]; // owners alike: one row serves all
        }
        // The first miner, joining T_0 and H' (|H'| = k): a coalition of k + 1.
        let miner = (1..=h)
            .map(|k| w(k + 1) * int(&sums.scores[k]))
            .sum::<Rational>()
            / &all;
        // T_0 joining H' (|H'| = k) and at least one miner.
        let third_party = (1..=h)
            .map(|k| with_a_miner(k) * int(&sums.scores[k]))
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
            self.f1.score(coalition, 0) as i64
        } else {
            0
        }
    }

    /// One pass, O(1) per player: the owners so far (mask and count), whether a miner and the
    /// third party have joined.
    fn prefix_worths(&self, order: &[usize], worths: &mut Vec<i64>) {
        let (h, third_party) = (self.owners(), self.third_party());
        let (mut mask, mut size, mut miner, mut third) = (0u64, 0usize, false, false);
        worths.clear();
        worths.push(0);
        for &p in order {
            if p < h {
                // Tables have at most MAX_OWNERS owners; owners alike ignore the mask.
                mask |= 1u64.checked_shl(p as u32).unwrap_or(0);
                size += 1;
            } else if p == third_party {
                third = true;
            } else {
                miner = true;
            }
            worths.push(if miner && third {
                self.f1.score_of(mask, size) as i64
            } else {
                0
            });
        }
    }
}

/// `C(n, 0), C(n, 1), …, C(n, n)`.
fn binomials(n: usize) -> Vec<BigInt> {
    let mut row = Vec::with_capacity(n + 1);
    row.push(BigInt::from(1u8));
    for k in 0..n {
        let next = &row[k] * BigInt::from(n - k) / BigInt::from(k + 1);
        row.push(next);
    }
    row
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
                .map(|j| Rational::from_integer(binomials(m)[j].clone()) * w(k + j))
                .sum()
        };
        let f1 = |mask: u64| {
            let mut coalition = Coalition::empty(h);
            (0..h)
                .filter(|i| mask >> i & 1 == 1)
                .for_each(|i| coalition.insert(i));
            Rational::from_integer(model.f1().score(&coalition, 0).into())
        };
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

    /// The default `prefix_worths`, through a wrapper that does not override it.
    struct Plain<'a>(&'a SimpleModel);

    impl Game for Plain<'_> {
        fn players(&self) -> usize {
            self.0.players()
        }
        fn worth(&self, coalition: &Coalition) -> i64 {
            self.0.worth(coalition)
        }
    }

    #[test]
    fn incremental_prefix_worths_match_worth() {
        use rand::SeedableRng;
        use rand::seq::SliceRandom;
        let table = F1Scores::from_fn(3, |m| [0.0, 0.5, 0.3, 0.7, 0.2, 0.6, 0.45, 0.8][m as usize])
            .unwrap();
        let alike = F1Scores::by_size_fn(70, |k| 0.5 + 0.005 * k as f64).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for model in [
            SimpleModel::new(table, 4).unwrap(),
            SimpleModel::new(alike, 3).unwrap(),
        ] {
            let mut order: Vec<usize> = (0..model.players()).collect();
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            for _ in 0..50 {
                order.shuffle(&mut rng);
                model.prefix_worths(&order, &mut fast);
                Plain(&model).prefix_worths(&order, &mut slow);
                assert_eq!(fast, slow);
            }
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
