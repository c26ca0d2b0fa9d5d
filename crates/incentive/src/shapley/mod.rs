//! Shapley-value revenue sharing (seed 003 ch. 7).
//!
//! A cooperative game gives every coalition `S` of players a worth `v(S)`; player i's Shapley
//! value is its marginal contribution `v(S ∪ {i}) − v(S)` averaged over the orders in which the
//! players can join (7.2), equivalently weighted over the coalitions that exclude it (7.3). The
//! values add up to `v(N)` (7.4), so they split a revenue exactly.
//!
//! Worths are integers (in whatever unit the game chooses — the F1-based games use F1 scores in
//! billionths), so the exact methods sum marginal contributions in integers and divide once,
//! returning exact [`Rational`]s; efficiency then holds exactly, not up to rounding.
//!
//! - [`exact_by_subsets`] (7.3): `O(n 2ⁿ)`, up to [`MAX_SUBSET_PLAYERS`] players.
//! - [`exact_by_permutations`] (7.2): `O(n · n!)`, up to [`MAX_PERMUTATION_PLAYERS`]; a check.
//! - [`monte_carlo`]: sampled permutations with confidence intervals, for any number of players.
//! - [`simple`]: the F1-based owner shares (7.8) and the simple model's closed forms (7.9-7.10).
//! - [`cooperation`]: the full cooperation model (7.11-7.12).
//! - [`validators`]: PBFT validator weights from consensus participation (7.15-7.16).

mod allocation;
pub mod cooperation;
mod monte_carlo;
pub mod simple;
pub mod validators;

pub use allocation::Allocation;
pub use monte_carlo::{Estimate, MonteCarloShapley, monte_carlo};

use std::ops::Range;

use num_bigint::BigInt;

use crate::Rational;
use crate::apportion::ApportionError;

/// Most players [`exact_by_subsets`] accepts (2²⁶ coalitions take about a minute).
pub const MAX_SUBSET_PLAYERS: usize = 26;
/// Most players [`exact_by_permutations`] accepts (10! orders).
pub const MAX_PERMUTATION_PLAYERS: usize = 10;

/// A set of players `0..players`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coalition {
    players: usize,
    words: Vec<u64>,
}

impl Coalition {
    /// The empty coalition of a game with `players` players.
    pub fn empty(players: usize) -> Self {
        Coalition {
            players,
            words: vec![0; players.div_ceil(64)],
        }
    }

    /// The grand coalition `N`.
    pub fn all(players: usize) -> Self {
        let mut c = Coalition::empty(players);
        (0..players).for_each(|p| c.insert(p));
        c
    }

    /// Number of players in the game (not in the coalition).
    pub fn players(&self) -> usize {
        self.players
    }

    /// Whether `player` is a member.
    pub fn contains(&self, player: usize) -> bool {
        player < self.players && self.words[player / 64] >> (player % 64) & 1 == 1
    }

    /// Adds `player`.
    pub fn insert(&mut self, player: usize) {
        assert!(
            player < self.players,
            "player {player} is not in a game of {}",
            self.players
        );
        self.words[player / 64] |= 1 << (player % 64);
    }

    /// Removes `player`.
    pub fn remove(&mut self, player: usize) {
        if player < self.players {
            self.words[player / 64] &= !(1 << (player % 64));
        }
    }

    /// Removes every member.
    pub fn clear(&mut self) {
        self.words.iter_mut().for_each(|w| *w = 0);
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether the coalition is empty.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// The members among `range` as a bit mask (bit k for player `range.start + k`); the range
    /// spans at most 64 players.
    pub fn bits(&self, range: Range<usize>) -> u64 {
        assert!(
            range.len() <= 64 && range.end <= self.players,
            "bits of {range:?}"
        );
        if range.is_empty() {
            return 0;
        }
        let (word, shift) = (range.start / 64, range.start % 64);
        let mut bits = self.words[word] >> shift;
        if shift > 0 && word + 1 < self.words.len() {
            bits |= self.words[word + 1] << (64 - shift);
        }
        if range.len() < 64 {
            bits & ((1 << range.len()) - 1)
        } else {
            bits
        }
    }

    /// Number of members in `range`.
    pub fn count_in(&self, range: Range<usize>) -> usize {
        let mut count = 0;
        let mut start = range.start;
        while start < range.end {
            let end = range.end.min(start + 64);
            count += self.bits(start..end).count_ones() as usize;
            start = end;
        }
        count
    }

    /// Whether any player in `range` is a member.
    pub fn any_in(&self, range: Range<usize>) -> bool {
        let mut start = range.start;
        while start < range.end {
            let end = range.end.min(start + 64);
            if self.bits(start..end) != 0 {
                return true;
            }
            start = end;
        }
        false
    }

    /// Sets the members of a game of at most 64 players from a bit mask.
    fn set_mask(&mut self, mask: u64) {
        self.words[0] = mask;
    }
}

/// A cooperative game with integer worths.
pub trait Game {
    /// Number of players `|N|`.
    fn players(&self) -> usize;
    /// `v(S)`, in the game's unit.
    fn worth(&self, coalition: &Coalition) -> i64;

    /// `v` of every prefix of `order`, the empty one first: `worths[k] = v({order[0..k]})`, so
    /// player `order[k]`'s marginal contribution is `worths[k + 1] − worths[k]`. The default
    /// builds each prefix and calls [`Game::worth`]; a game that can update its worth as players
    /// join overrides it, making each step O(1) instead of O(n) for sampling.
    fn prefix_worths(&self, order: &[usize], worths: &mut Vec<i64>) {
        let mut coalition = Coalition::empty(self.players());
        worths.clear();
        worths.push(self.worth(&coalition));
        for &p in order {
            coalition.insert(p);
            worths.push(self.worth(&coalition));
        }
    }
}

/// Why a Shapley value or a split cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapleyError {
    /// A game without players.
    #[error("the game has no players")]
    NoPlayers,
    /// Too many players for an exact method.
    #[error(
        "{players} players are too many for exact Shapley values by {method} (at most {max}); sample instead"
    )]
    TooManyPlayers {
        players: usize,
        max: usize,
        method: &'static str,
    },
    /// Monte Carlo without samples.
    #[error("Monte Carlo needs at least two sampled permutations")]
    TooFewSamples,
    /// The group labels do not cover the players.
    #[error("{found} group labels for {expected} players")]
    GroupLabels { expected: usize, found: usize },
    /// An F1 table without data owners.
    #[error("F1 scores need at least one data owner")]
    NoOwners,
    /// Too many data owners for a table of every coalition.
    #[error("{owners} data owners are too many for a table of F1 scores (at most {max})")]
    TooManyOwners { owners: usize, max: usize },
    /// The F1 table has the wrong size.
    #[error(
        "{owners} data owners need 2^{owners} = {expected} F1 scores, one per coalition; got {found}"
    )]
    F1TableSize {
        owners: usize,
        expected: usize,
        found: usize,
    },
    /// `F1(∅) ≠ 0`.
    #[error("the F1 score of the empty coalition must be 0: no data trains no model")]
    F1OfNobody,
    /// An F1 score by size outside `[0, 1]`.
    #[error("the F1 score of {size} owners is not in [0, 1]")]
    F1OfSizeOutOfRange { size: usize },
    /// An F1 score outside `[0, 1]`.
    #[error("the F1 score of owner coalition {coalition:#b} is not in [0, 1]")]
    F1OutOfRange { coalition: u64 },
    /// `F1(H) = 0` leaves nothing to normalize by (7.6).
    #[error(
        "the F1 score of all data owners together must be positive: the shares (7.8) divide by it"
    )]
    F1OfAllOwnersZero,
    /// The simple model needs a miner for any coalition to have worth.
    #[error("the model needs at least one miner (validator)")]
    NoMiners,
    /// Validator weights for a different number of miners.
    #[error("{weights} validator weights for {miners} miners")]
    MinerWeights { miners: usize, weights: usize },
    /// Weights of no validators.
    #[error("there are no validators to weigh")]
    NoValidators,
    /// (7.16) averages over finalizations; there are none.
    #[error("no finalizations to weigh validators by")]
    NoFinalizations,
    /// A finalization that no validator signed (q_i = 0 in 7.15).
    #[error("finalization {finalization} has no signers")]
    EmptyFinalization { finalization: usize },
    /// A signer index outside the validator set.
    #[error(
        "finalization {finalization} is signed by validator {validator}, but there are {validators}"
    )]
    UnknownValidator {
        finalization: usize,
        validator: usize,
        validators: usize,
    },
    /// A validator listed twice in one finalization.
    #[error("finalization {finalization} lists validator {validator} twice")]
    DuplicateSigner {
        finalization: usize,
        validator: usize,
    },
    /// An offering by a third party that does not exist.
    #[error("offering {offering} names third party {third_party}, but there are {third_parties}")]
    UnknownThirdParty {
        offering: usize,
        third_party: usize,
        third_parties: usize,
    },
    /// A third party offers the same service twice.
    #[error("third party {third_party} offers service {service} twice")]
    DuplicateOffering { third_party: usize, service: usize },
    /// A service for which no data owner shares data.
    #[error("offering {offering}: no data owner shares data of type {service}")]
    NoOwnersForService { offering: usize, service: usize },
    /// An offering's F1 table covers a different number of owners than share its data type.
    #[error(
        "offering {offering}: its F1 table covers {found} owners, but {expected} share that data type"
    )]
    OfferingOwners {
        offering: usize,
        expected: usize,
        found: usize,
    },
    /// The payments add up to more than a `u128`.
    #[error("the payments add up to more than 2^128 − 1 tokens")]
    RevenueOverflow,
    /// The split itself failed.
    #[error(transparent)]
    Apportion(#[from] ApportionError),
}

/// Exact Shapley values by coalitions (7.3): `φ_i = Σ_{S ⊆ N∖{i}} w(|S|) [v(S ∪ {i}) − v(S)]`
/// with `w(s) = s!(n − s − 1)!/n!`, in the game's unit.
///
/// Each coalition is evaluated once: `φ_i` collects `+w(|S|−1) v(S)` from every coalition
/// containing i and `−w(|S|) v(S)` from every other, summed per coalition size in integers.
pub fn exact_by_subsets<G: Game + ?Sized>(game: &G) -> Result<Vec<Rational>, ShapleyError> {
    let n = game.players();
    if n == 0 {
        return Err(ShapleyError::NoPlayers);
    }
    if n > MAX_SUBSET_PLAYERS {
        return Err(ShapleyError::TooManyPlayers {
            players: n,
            max: MAX_SUBSET_PLAYERS,
            method: "subsets",
        });
    }
    // with_member[i][k] = Σ v(S) over |S| = k, i ∈ S; by_size[k] = Σ v(S) over |S| = k.
    // |v| < 2⁶³ and at most 2²⁶ terms, so i128 cannot overflow.
    let mut with_member = vec![vec![0i128; n + 1]; n];
    let mut by_size = vec![0i128; n + 1];
    let mut coalition = Coalition::empty(n);
    for mask in 0..1u64 << n {
        coalition.set_mask(mask);
        let worth = i128::from(game.worth(&coalition));
        let size = mask.count_ones() as usize;
        by_size[size] += worth;
        let mut members = mask;
        while members != 0 {
            with_member[members.trailing_zeros() as usize][size] += worth;
            members &= members - 1;
        }
    }
    // n! φ_i = Σ_k (k−1)!(n−k)! with_i(k) − Σ_k k!(n−1−k)! (by_size(k) − with_i(k)).
    let factorials = factorials(n);
    let n_factorial = factorials[n].clone();
    Ok(with_member
        .iter()
        .map(|with| {
            let mut scaled = BigInt::from(0u8);
            for k in 1..=n {
                scaled += &factorials[k - 1] * &factorials[n - k] * BigInt::from(with[k]);
            }
            for k in 0..n {
                scaled -=
                    &factorials[k] * &factorials[n - 1 - k] * BigInt::from(by_size[k] - with[k]);
            }
            Rational::new(scaled, n_factorial.clone())
        })
        .collect())
}

/// Exact Shapley values by orders (7.2): the marginal contributions averaged over all `n!`
/// orders, in the game's unit. A direct reading of the definition, for checking the others.
pub fn exact_by_permutations<G: Game + ?Sized>(game: &G) -> Result<Vec<Rational>, ShapleyError> {
    let n = game.players();
    if n == 0 {
        return Err(ShapleyError::NoPlayers);
    }
    if n > MAX_PERMUTATION_PLAYERS {
        return Err(ShapleyError::TooManyPlayers {
            players: n,
            max: MAX_PERMUTATION_PLAYERS,
            method: "permutations",
        });
    }
    let mut sums = vec![0i128; n];
    let mut worths = Vec::with_capacity(n + 1);
    let mut add_order = |order: &[usize]| {
        game.prefix_worths(order, &mut worths);
        for (k, &p) in order.iter().enumerate() {
            sums[p] += i128::from(worths[k + 1]) - i128::from(worths[k]);
        }
    };
    // Heap's algorithm, iterative: every order exactly once.
    let mut order: Vec<usize> = (0..n).collect();
    let mut counters = vec![0usize; n];
    add_order(&order);
    let mut i = 1;
    while i < n {
        if counters[i] < i {
            let j = if i % 2 == 0 { 0 } else { counters[i] };
            order.swap(j, i);
            add_order(&order);
            counters[i] += 1;
            i = 1;
        } else {
            counters[i] = 0;
            i += 1;
        }
    }
    let n_factorial = factorials(n).pop().expect("0! is always there");
    Ok(sums
        .into_iter()
        .map(|s| Rational::new(BigInt::from(s), n_factorial.clone()))
        .collect())
}

/// `0!, 1!, …, n!`.
pub(crate) fn factorials(n: usize) -> Vec<BigInt> {
    let mut out = Vec::with_capacity(n + 1);
    out.push(BigInt::from(1u8));
    for k in 1..=n {
        let next = &out[k - 1] * BigInt::from(k);
        out.push(next);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Weighted majority: a coalition is worth 1 when its weight reaches the quota.
    struct Majority {
        weights: Vec<i64>,
        quota: i64,
    }

    impl Game for Majority {
        fn players(&self) -> usize {
            self.weights.len()
        }
        fn worth(&self, c: &Coalition) -> i64 {
            let weight: i64 = (0..self.players())
                .filter(|&p| c.contains(p))
                .map(|p| self.weights[p])
                .sum();
            i64::from(weight >= self.quota)
        }
    }

    fn r(n: i64, d: i64) -> Rational {
        Rational::new(n.into(), d.into())
    }

    #[test]
    fn textbook_weighted_majority() {
        // [51; 50, 49, 1]: player 0 is pivotal in 4 of 6 orders, the others in 1 each.
        let game = Majority {
            weights: vec![50, 49, 1],
            quota: 51,
        };
        let expected = vec![r(2, 3), r(1, 6), r(1, 6)];
        assert_eq!(exact_by_subsets(&game).unwrap(), expected);
        assert_eq!(exact_by_permutations(&game).unwrap(), expected);
    }

    #[test]
    fn both_exact_methods_agree_and_are_efficient() {
        let game = Majority {
            weights: vec![7, 5, 4, 3, 2, 2, 1],
            quota: 13,
        };
        let by_subsets = exact_by_subsets(&game).unwrap();
        assert_eq!(by_subsets, exact_by_permutations(&game).unwrap());
        assert_eq!(by_subsets.iter().sum::<Rational>(), r(1, 1));
    }

    #[test]
    fn limits_are_errors() {
        let big = Majority {
            weights: vec![1; MAX_SUBSET_PLAYERS + 1],
            quota: 1,
        };
        assert!(matches!(
            exact_by_subsets(&big),
            Err(ShapleyError::TooManyPlayers { .. })
        ));
        let medium = Majority {
            weights: vec![1; MAX_PERMUTATION_PLAYERS + 1],
            quota: 1,
        };
        assert!(matches!(
            exact_by_permutations(&medium),
            Err(ShapleyError::TooManyPlayers { .. })
        ));
        let none = Majority {
            weights: vec![],
            quota: 1,
        };
        assert_eq!(exact_by_subsets(&none), Err(ShapleyError::NoPlayers));
    }

    #[test]
    fn coalition_bits_across_words() {
        let mut c = Coalition::empty(200);
        for p in [0, 63, 64, 100, 130, 199] {
            c.insert(p);
        }
        assert_eq!(c.len(), 6);
        assert_eq!(c.bits(60..70), 1 << 3 | 1 << 4);
        assert_eq!(c.bits(99..102), 0b010);
        assert!(c.any_in(65..101) && !c.any_in(101..130) && c.any_in(101..131));
        assert_eq!(
            (c.count_in(0..200), c.count_in(63..131), c.count_in(1..63)),
            (6, 4, 0)
        );
        c.remove(130);
        assert!(!c.contains(130) && !c.any_in(101..199));
        assert!(Coalition::all(70).any_in(69..70) && Coalition::empty(70).is_empty());
    }
}
