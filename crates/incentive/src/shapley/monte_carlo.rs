//! Shapley values estimated from sampled orders, for games too large to enumerate.
//!
//! Each sample is a uniformly random order of the players; each player's marginal contribution
//! in it is an unbiased estimate of its Shapley value (7.2). The sample mean converges at
//! `1/√samples`, and the sample variance gives a confidence interval. Sampling is seeded
//! (ChaCha8), so an estimate is reproducible — but it is an estimate: nothing on chain should
//! depend on it.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Game, ShapleyError};

/// Normal quantile for a two-sided 95% interval.
const Z_95: f64 = 1.959_963_984_540_054;

/// A sampled mean with the half-width of its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Sample mean, in the game's unit.
    pub mean: f64,
    /// Half-width of the 95% confidence interval (normal approximation).
    pub half_width: f64,
}

/// Monte Carlo Shapley values of every player and of every group of players.
#[derive(Debug, Clone, PartialEq)]
pub struct MonteCarloShapley {
    /// Number of sampled orders (even: antithetic pairs).
    pub samples: usize,
    /// One estimate per player.
    pub players: Vec<Estimate>,
    /// One estimate per group: the sum of its members' values, with its own interval (the
    /// members' contributions are correlated, so it is not the sum of theirs).
    pub groups: Vec<Estimate>,
}

/// Exact running sums of one quantity's samples (integers, so no rounding and no cancellation).
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    sum: i128,
    squares: i128,
}

impl Sums {
    fn push(&mut self, x: i128) {
        self.sum += x;
        self.squares += x * x;
    }

    /// Mean and 95% interval of `count` samples, each the sum of `per_sample` marginal
    /// contributions.
    fn estimate(&self, count: u64, per_sample: f64) -> Estimate {
        let m = i128::from(count);
        let mean = self.sum as f64 / m as f64;
        let variance = (m * self.squares - self.sum * self.sum) as f64 / (m * (m - 1)) as f64;
        Estimate {
            mean: mean / per_sample,
            half_width: Z_95 * (variance / m as f64).sqrt() / per_sample,
        }
    }
}

/// Estimates the Shapley values of `game` from `samples` random orders drawn from `seed`.
/// `groups[p]` is the group of player `p` (e.g. owners, miners, third party); groups are
/// numbered from 0.
///
/// Orders come in antithetic pairs — an order and its reverse — whose contributions are
/// negatively correlated (a player early in one is late in the other), which narrows the
/// interval for the same work; `samples` is rounded up to an even number. The interval treats
/// the pairs as the independent samples, so it stays honest.
pub fn monte_carlo<G: Game + ?Sized>(
    game: &G,
    samples: usize,
    seed: u64,
    groups: &[usize],
) -> Result<MonteCarloShapley, ShapleyError> {
    let n = game.players();
    if n == 0 {
        return Err(ShapleyError::NoPlayers);
    }
    if samples < 2 {
        return Err(ShapleyError::TooFewSamples);
    }
    if groups.len() != n {
        return Err(ShapleyError::GroupLabels {
            expected: n,
            found: groups.len(),
        });
    }
    let pairs = samples.div_ceil(2).max(2);
    let group_count = groups.iter().max().map_or(0, |g| g + 1);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..n).collect();
    let mut reversed = order.clone();
    let mut worths = Vec::with_capacity(n + 1);
    let mut players = vec![Sums::default(); n];
    let mut group_stats = vec![Sums::default(); group_count];
    let mut pair_marginals = vec![0i128; n];
    let mut group_sums = vec![0i128; group_count];
    for _ in 0..pairs {
        shuffle(&mut order, &mut rng);
        reversed
            .iter_mut()
            .zip(order.iter().rev())
            .for_each(|(r, &p)| *r = p);
        pair_marginals.iter_mut().for_each(|m| *m = 0);
        for sequence in [&order, &reversed] {
            game.prefix_worths(sequence, &mut worths);
            for (k, &p) in sequence.iter().enumerate() {
                pair_marginals[p] += i128::from(worths[k + 1]) - i128::from(worths[k]);
            }
        }
        group_sums.iter_mut().for_each(|s| *s = 0);
        for (p, &marginal) in pair_marginals.iter().enumerate() {
            players[p].push(marginal);
            group_sums[groups[p]] += marginal;
        }
        for (stats, &sum) in group_stats.iter_mut().zip(&group_sums) {
            stats.push(sum);
        }
    }
    let count = pairs as u64;
    Ok(MonteCarloShapley {
        samples: 2 * pairs,
        players: players.iter().map(|s| s.estimate(count, 2.0)).collect(),
        groups: group_stats.iter().map(|s| s.estimate(count, 2.0)).collect(),
    })
}

/// Fisher–Yates with Lemire's nearly divisionless bounded integers: a uniform order, from 32-bit
/// draws, the same on every platform.
fn shuffle(order: &mut [usize], rng: &mut ChaCha8Rng) {
    for i in (1..order.len()).rev() {
        let bound = u32::try_from(i + 1).expect("fewer than 2^32 players");
        let mut product = u64::from(rng.next_u32()) * u64::from(bound);
        if (product as u32) < bound {
            let threshold = bound.wrapping_neg() % bound;
            while (product as u32) < threshold {
                product = u64::from(rng.next_u32()) * u64::from(bound);
            }
        }
        order.swap(i, (product >> 32) as usize);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shapley::{Coalition, exact_by_subsets};
    use crate::to_f64;

    /// Glove game: left-glove holders 0..3, right-glove holders 3..5; a pair is worth 100.
    struct Gloves;

    impl Game for Gloves {
        fn players(&self) -> usize {
            5
        }
        fn worth(&self, c: &Coalition) -> i64 {
            let left = c.bits(0..3).count_ones();
            let right = c.bits(3..5).count_ones();
            100 * i64::from(left.min(right))
        }
    }

    #[test]
    fn estimates_cover_the_exact_values() {
        let exact = exact_by_subsets(&Gloves).unwrap();
        let groups = [0, 0, 0, 1, 1];
        let mc = monte_carlo(&Gloves, 20_000, 7, &groups).unwrap();
        for (e, x) in mc.players.iter().zip(&exact) {
            assert!(
                (e.mean - to_f64(x)).abs() <= e.half_width * 1.5,
                "{e:?} vs {x}"
            );
            assert!(e.half_width < 2.0);
        }
        // Every order's contributions add up to v(N) = 200, so the groups' total is exact.
        assert_eq!(mc.samples, 20_000);
        assert_eq!(monte_carlo(&Gloves, 3, 1, &groups).unwrap().samples, 4);
        let total: f64 = mc.groups.iter().map(|g| g.mean).sum();
        assert!((total - 200.0).abs() < 1e-6);
        // Same seed, same estimate.
        assert_eq!(mc, monte_carlo(&Gloves, 20_000, 7, &groups).unwrap());
    }

    #[test]
    fn shuffles_are_uniform() {
        // All 6 orders of 3 players, each about 1/6 of 60 000 shuffles.
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut counts = std::collections::HashMap::new();
        for _ in 0..60_000 {
            let mut order = [0, 1, 2];
            shuffle(&mut order, &mut rng);
            *counts.entry(order).or_insert(0u32) += 1;
        }
        assert_eq!(counts.len(), 6);
        assert!(
            counts.values().all(|&c| (9_500..10_500).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn bad_plans_are_rejected() {
        assert_eq!(
            monte_carlo(&Gloves, 1, 0, &[0; 5]),
            Err(ShapleyError::TooFewSamples)
        );
        assert_eq!(
            monte_carlo(&Gloves, 10, 0, &[0; 4]),
            Err(ShapleyError::GroupLabels {
                expected: 5,
                found: 4
            })
        );
    }
}
