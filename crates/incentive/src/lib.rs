//! Incentive mechanisms of medshare.
//!
//! - [`valorization`]: the FSP–MDAP principal-agent model of seed 000 §V and Appendix A.2 — the
//!   optimal number of MDAs each provider shares and the linear valorization `V_i = x_i h_i + y_i`
//!   that makes sharing exactly that many individually rational and incentive compatible.
//! - [`shapley`]: Shapley-value revenue sharing among data owners, miners (validators) and third
//!   parties, seed 003 ch. 7 — exact by subsets (7.3) and permutations (7.2), Monte Carlo for
//!   large games, the F1-based owner shares (7.8), the simple and cooperation models
//!   (7.9)-(7.12) and PBFT validator weights (7.15)-(7.16).
//! - [`apportion`]: exact amounts to integer tokens — a fee split by exact shares whose parts sum
//!   to the fee (largest remainder), and a single payment rounded down.
//!
//! Everything that decides an on-chain payout is computed in exact rational arithmetic
//! ([`Rational`]); floating point appears only in estimates and presentation.

#![forbid(unsafe_code)]

pub mod apportion;
mod linalg;
mod scalar;
pub mod shapley;
pub mod valorization;

pub use scalar::{ParseRationalError, Rational, Scalar, parse_rational, rational_from_f64, to_f64};
