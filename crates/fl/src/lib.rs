//! Federated learning with secure aggregation for medshare (issue 16).
//!
//! Hospitals train a logistic-regression model on their own rows; each round they submit a
//! fixed-point update through a SecAgg round (Bonawitz et al., CCS 2017) so that the aggregator —
//! in medshare, the chain's state machine — learns only the sum over the round's survivors.
//!
//! - [`data`]: the real WDBC and BCW tables, NA handling, splits, horizontal partitions.
//! - [`model`]: logistic regression trained off chain in `f64`, and its metrics.
//! - [`fixed`]: fixed-point encoding into `Z_{2^64}` and the integer-only FedAvg step.
//! - [`shamir`]: t-of-n Shamir sharing over the Ristretto scalar field.
//! - [`secagg`]: the round as explicit messages and two state machines (participant, aggregator).
//! - [`federated`]: FedAvg over SecAgg rounds, beside the plaintext fixed-point and centralized runs.
//!
//! Seed 004 errata that concern FL (spec `seeds-003-004.md` §5.3-5.4), and how this crate fixes them:
//! - F3, no aggregation protocol: the SecAgg round of [`secagg`], phases and deadlines explicit.
//! - F3, who decrypts parameters encrypted under different keys: nobody; pairwise masks cancel in the sum.
//! - F3, no dropout handling: Shamir shares recover dropped users' masks at every phase; below t the round aborts.
//! - F3, "resists poisoning" with no mechanism: updates are clipped to `[−B, B]` and weights capped, bounding influence.
//! - F3, no FL numbers: `examples/bench.rs` reports accuracy on WDBC/BCW and per-round costs.
//! - E1, KH-PKE sums need a discrete log and anyone can maul them: masking in `Z_{2^64}` with signed messages sums exactly.
//! - §5.4, "CB+FL beats FL": the same arithmetic; tests assert the secure sum equals the plain sum bit for bit.

#![forbid(unsafe_code)]

pub mod data;
pub mod federated;
pub mod fixed;
pub mod model;
pub mod secagg;
pub mod shamir;
