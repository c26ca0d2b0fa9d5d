//! Homomorphic encryption for medshare's off-chain learning (seed 003 ch. 4-5, issue 15).
//!
//! - [`paillier`]: Paillier with `g = N + 1`, CRT decryption, strict encodings.
//! - [`threshold`]: Shoup / Damgård–Jurik threshold Paillier with DLEQ-proven partials.
//! - [`fixed`]: fixed-point reals and slot packing with overflow checks.
//! - [`svm`]: the plaintext linear SVM both protocols must reproduce; [`data`]: BCWD and WDBC.
//! - [`horizontal`]: ch. 4 — hospitals hold rows, the model owner learns only aggregates.
//! - [`vertical`]: ch. 5 — parties hold columns, a threshold-decrypted sign-only comparison.
//!
//! Errata of spec §2.5 (ch. 4) fixed here:
//! - E1: `[[m]]^{-1}` is the inverse mod `N²` — `c^{φ(N)−1}` decrypts to `m(φ(N)−1)` and needs the secret key.
//! - E2: ciphertexts are `|N²|` bytes (512 at 2048 bits), and production keys are 2048 bits, not 1024.
//! - E3: the comparison is sign-only `[[ρ(a − S) + ε]]` with `0 ≤ ε < ρ`, exact at `a = S` (= 1 in fixed point).
//! - E4: the step is `w ← w − η(λw − (1/m)Σ_viol y x)`, `b ← b + η(1/m)Σ_viol y`; the indicator
//!   has `y`, `b` has a gradient, `λ` is not also the learning rate, and the loop runs `T` rounds.
//! - F1: providers compute margins on their own rows, so no per-sample bit leaves a hospital, and
//!   gradients are summed under encryption across hospitals before the owner decrypts.
//! - F2: one packed ciphertext per hospital per round instead of `m` interactive comparisons.
//!
//! Errata of spec §3.5 (ch. 5) fixed here:
//! - F1: no party publishes `r1, r3`; each blinds with a secret `ρ_i`, so nobody learns the margin.
//! - E1: production keys are 2048 bits (the paper's 256-bit `N` factors in minutes).
//! - E2: `t < n` is allowed, and a bad partial is excluded, so one silent or lying party cannot stall.
//! - E3: the sign-only comparison is exact for every integer margin, including `a = 1`.
//! - E4: `λ` is applied once (`w ← (1 − ηλ)w + η I y x`), the indicator has `y`, and there is a bias.
//! - E5: the sample order comes from a commit-reveal seed, not from the last uploader's choice.
//! - E7: weights stay in `f64`; only margins are fixed point, at scale `2^16`, so small steps survive.
#![forbid(unsafe_code)]

pub mod data;
pub mod fixed;
pub mod horizontal;
pub mod paillier;
pub mod svm;
pub mod threshold;
pub mod vertical;

/// Everything that can go wrong in this crate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HeError {
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    #[error("prime generation failed: {0}")]
    PrimeGeneration(String),
    #[error("plaintext outside the signed range of Z_N")]
    PlaintextOverflow,
    #[error("{0} does not fit the fixed-point range")]
    FixedPointOverflow(f64),
    #[error("a value does not fit its slot")]
    SlotOverflow,
    #[error("encoding is not canonical")]
    NonCanonical,
    #[error("ciphertext is not in Z*_(N^2)")]
    NotInGroup,
    #[error("partial decryption of party {0} does not verify")]
    BadPartial(usize),
    #[error("{valid} valid partial decryptions, {needed} needed")]
    NotEnoughShares { valid: usize, needed: usize },
    #[error("invalid parameter: {0}")]
    InvalidParameter(&'static str),
    #[error("data: {0}")]
    Data(String),
    #[error("protocol: {0}")]
    Protocol(String),
}

impl HeError {
    fn prime(e: glass_pumpkin::error::Error) -> Self {
        Self::PrimeGeneration(e.to_string())
    }
}
