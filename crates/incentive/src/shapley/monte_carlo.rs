//! Shapley values estimated from sampled orders, for games too large to enumerate.
//!
//! Each sample is a uniformly random order of the players; each player's marginal contribution
//! in it is an unbiased estimate of its Shapley value (7.2). The sample mean converges at
//! `1/√samples`, and the sample variance gives a confidence interval. Sampling is seeded
//! (ChaCha8), so an estimate is reproducible — but it is an estimate: nothing on chain should
//! depend on it.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::{Coalition, Game, ShapleyError};

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
    /// Number of sampled orders.
    pub samples: usize,
    /// One estimate per player.
    pub players: Vec<Estimate>,
    /// One estimate per group: the sum of its members' values, with its own interval (the
    /// members' contributions are correlated, so it is not the sum of theirs).
    pub groups: Vec<Estimate>,
}

/// Running mean and variance (Welford), stable for long runs.
#[derive(Debug, Clone, Copy, Default)]
struct Running {
    count: f64,
    mean: f64,
    m2: f64,
}

impl Running {
    fn push(&mut self, x: f64) {
        self.count += 1.0;
        let delta = x - self.mean;
        self.mean += delta / self.count;
        self.m2 += delta * (x - self.mean);
    }

    fn estimate(&self) -> Estimate {
        let variance = self.m2 / (self.count - 1.0);
        Estimate {
            mean: self.mean,
            half_width: Z_95 * (variance / self.count).sqrt(),
        }
    }
}

/// Estimates the Shapley values of `game` from `samples` random orders drawn from `seed`.
/// `groups[p]` is the group of player `p` (e.g. owners, miners, third party); groups are
/// numbered from 0.
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
    let group_count = groups.iter().max().map_or(0, |g| g + 1);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..n).collect();
    let mut players = vec![Running::default(); n];
    let mut group_stats = vec![Running::default(); group_count];
    let mut group_sums = vec![0i128; group_count];
    let mut coalition = Coalition::empty(n);
    let empty = game.worth(&coalition);
    for _ in 0..samples {
        order.shuffle(&mut rng);
        coalition.clear();
        group_sums.iter_mut().for_each(|s| *s = 0);
        let mut before = empty;
        for &p in &order {
            coalition.insert(p);
            let after = game.worth(&coalition);
            let marginal = i128::from(after) - i128::from(before);
            players[p].push(marginal as f64);
            group_sums[groups[p]] += marginal;
            before = after;
        }
        for (stats, &sum) in group_stats.iter_mut().zip(&group_sums) {
            stats.push(sum as f64);
        }
    }
    Ok(MonteCarloShapley {
        samples,
        players: players.iter().map(Running::estimate).collect(),
        groups: group_stats.iter().map(Running::estimate).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shapley::exact_by_subsets;
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
        let total: f64 = mc.groups.iter().map(|g| g.mean).sum();
        assert!((total - 200.0).abs() < 1e-6);
        // Same seed, same estimate.
        assert_eq!(mc, monte_carlo(&Gloves, 20_000, 7, &groups).unwrap());
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
