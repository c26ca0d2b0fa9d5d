//! MDA valorization: the FSP–MDAP principal-agent model of seed 000 §V.
//!
//! A framework service provider (FSP) serves n medical-data-asset providers (MDAPs). MDAP i
//! holds `g_i` MDAs and shares `h_i ≤ g_i` of them. The FSP earns `F(h; g)`; sharing costs MDAP i
//! the privacy it gives up, `B(g_i) − B(g_i − h_i)`, and the effort `C(h_i)`. The FSP pays each
//! MDAP `V_i(h_i)` and maximizes `π = F(h) − Σ V_i` (3) subject to participation (IRC, 4) and
//! the MDAPs' own optimization (ICC, 5). With the IRC binding, its first-order conditions are (6)
//!
//! ```text
//! ∂F(h)/∂h_i − B'(g_i − h_i) − C'(h_i) = 0,
//! ```
//!
//! solved here under `0 ≤ h_i ≤ g_i` (as KKT conditions when a bound binds). The proposition's
//! linear valorization (7) follows: `V_i(h_i) = x_i h_i + y_i` with the marginal value
//! `x_i = ∂F(h*)/∂h_i` and the base value `y_i = B(g_i) − B(g_i − h_i*) + C(h_i*) − x_i h_i*`.
//! (The paper prints `x_i = ∂F(h*)/∂h_i · h_i`; the stray `h_i` contradicts (5), (6) and (8),
//! which all need the plain partial derivative.)
//!
//! `F`, `B` and `C` are pluggable ([`Payoff`], [`PrivacyUtility`], [`SharingCost`]); the quadratic
//! forms of Appendix A.2 are in [`quadratic`]. The solver is Newton's method on π with each step
//! a box-constrained QP solved by an exact active-set method, so for the quadratic forms in
//! [`Rational`](crate::Rational) arithmetic the result is the exact optimum, identical on every
//! validator.

mod boxqp;
pub mod quadratic;

pub use crate::linalg::{Ldl, Matrix, NotPositiveDefinite};

use std::fmt;

use crate::scalar::{Scalar, from_u64, to_f64};

/// `F(h; g)`: the FSP's additional payoff from the shared MDAs `h`, given the holdings `g`
/// (§V-A). Increasing and concave in each `h_i`; `∂²F/∂h_i∂h_j ≥ 0` is the MDAs'
/// interdependence.
pub trait Payoff<S: Scalar> {
    /// `F(h; g)`.
    fn value(&self, shared: &[S], holdings: &[S]) -> S;
    /// `∂F/∂h_i` for every i: the marginal productivity of each MDAP's MDAs.
    fn gradient(&self, shared: &[S], holdings: &[S]) -> Vec<S>;
    /// `∂²F/∂h_i∂h_j`.
    fn hessian(&self, shared: &[S], holdings: &[S]) -> Matrix<S>;
    /// Checks the form's own assumptions against the holdings (and their number).
    fn check_assumptions(&self, _holdings: &[S]) -> Result<(), ValorizationError> {
        Ok(())
    }
}

/// `B(x)`: an MDAP's utility of keeping `x` MDAs private (§V-B), increasing and concave.
pub trait PrivacyUtility<S: Scalar> {
    /// `B(x)`.
    fn value(&self, kept: &S) -> S;
    /// `B'(x)`.
    fn derivative(&self, kept: &S) -> S;
    /// `B''(x)`.
    fn second_derivative(&self, kept: &S) -> S;
    /// Checks the form's own assumptions against the holdings.
    fn check_assumptions(&self, _holdings: &[S]) -> Result<(), ValorizationError> {
        Ok(())
    }
}

/// `C(h)`: an MDAP's time and effort to prepare and publish `h` MDAs (§V-B), convex.
pub trait SharingCost<S: Scalar> {
    /// `C(h)`.
    fn value(&self, shared: &S) -> S;
    /// `C'(h)`.
    fn derivative(&self, shared: &S) -> S;
    /// `C''(h)`.
    fn second_derivative(&self, shared: &S) -> S;
    /// Checks the form's own assumptions.
    fn check_assumptions(&self) -> Result<(), ValorizationError> {
        Ok(())
    }
}

/// A model assumption of seed 000 §V and Appendix A.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assumption {
    /// §V-A: an MDAP holds a nonnegative number of MDAs.
    HoldingsNonnegative,
    /// (E.6): `τ_i > 0`, the productivity of MDAP i's MDAs.
    ProductivityPositive,
    /// (E.6): `b_i ≥ g_i`, so F increases in `h_i` over all `h_i ≤ g_i`.
    SaturationAtLeastHoldings,
    /// §V-A and (E.6): `φ_ij ≥ 0`, negative interdependence is ruled out.
    InterdependenceNonnegative,
    /// (E.6): `φ_ij = φ_ji` with a zero diagonal; F's cross term is `Σ_{i<j} φ_ij h_i h_j`.
    InterdependenceSymmetric,
    /// (E.7): `ρ > 0`, privacy has positive value.
    PrivacyWeightPositive,
    /// (E.7): `a ≥ g_i`, so B increases over all holdings.
    PrivacySaturationAtLeastHoldings,
    /// (E.8): `σ > 0`, sharing takes effort.
    EffortWeightPositive,
    /// Every parameter is a finite number.
    Finite,
}

impl fmt::Display for Assumption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Assumption::HoldingsNonnegative => "holdings g_i ≥ 0 (§V-A)",
            Assumption::ProductivityPositive => "productivity τ_i > 0 (E.6)",
            Assumption::SaturationAtLeastHoldings => {
                "b_i ≥ g_i, so F increases in h_i up to the holdings (E.6)"
            }
            Assumption::InterdependenceNonnegative => {
                "interdependence φ_ij ≥ 0 (§V-A rules out negative interdependence)"
            }
            Assumption::InterdependenceSymmetric => {
                "interdependence φ_ij = φ_ji with zero diagonal (E.6)"
            }
            Assumption::PrivacyWeightPositive => "privacy weight ρ > 0 (E.7)",
            Assumption::PrivacySaturationAtLeastHoldings => {
                "a ≥ g_i, so B increases over the holdings (E.7)"
            }
            Assumption::EffortWeightPositive => "effort weight σ > 0 (E.8)",
            Assumption::Finite => "every parameter is finite",
        })
    }
}

/// Why a valorization cannot be computed or paid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValorizationError {
    /// The model has no MDAP.
    #[error("the model needs at least one MDAP")]
    NoMdaps,
    /// A parameter vector has the wrong length.
    #[error("{parameter} has {found} entries for {expected} MDAPs")]
    WrongLength {
        parameter: &'static str,
        expected: usize,
        found: usize,
    },
    /// A parameter violates a model assumption.
    #[error("{} violates the model assumption {assumption}", mdap.map_or("a parameter".to_owned(), |i| format!("MDAP {i}")))]
    Violated {
        assumption: Assumption,
        mdap: Option<usize>,
    },
    /// The FSP's objective is not strictly concave, so (6) does not characterize its optimum.
    #[error(
        "the FSP's payoff π(h) = F(h) − Σ[B(g_i) − B(g_i − h_i) + C(h_i)] is not strictly concave \
         (the leading {order}×{order} block of −∇²π is not positive definite): the interdependence \
         φ outweighs the curvature of F, B and C"
    )]
    NotConcave { order: usize },
    /// The solver did not settle (only possible with non-quadratic forms in floating point).
    #[error("the FSP's first-order conditions did not converge in {iterations} iterations")]
    NoConvergence { iterations: usize },
    /// A payout was asked for an MDAP the model does not have.
    #[error("there is no MDAP {mdap}; the model has {mdaps}")]
    UnknownMdap { mdap: usize, mdaps: usize },
    /// An MDAP is reported to share more MDAs than it holds.
    #[error("MDAP {mdap} cannot share {shared} MDAs: it holds {held}")]
    SharedMoreThanHeld {
        mdap: usize,
        shared: u64,
        held: String,
    },
}

/// The MDAPs' holdings and the forms of F, B and C: one instance of the model of §V.
#[derive(Debug, Clone)]
pub struct SharingModel<S, F, B, C> {
    holdings: Vec<S>,
    payoff: F,
    privacy: B,
    effort: C,
}

/// The outcome of the FSP's optimization: the optimal sharing and the valorization system (7).
#[derive(Debug, Clone, PartialEq)]
pub struct Valorization<S> {
    /// `g`: MDAs held by each MDAP.
    pub holdings: Vec<S>,
    /// `h*`: the optimal number of MDAs each MDAP shares, solving (6) under `0 ≤ h_i ≤ g_i`.
    pub shared: Vec<S>,
    /// `x_i = ∂F(h*)/∂h_i`: the marginal value per shared MDA (7).
    pub marginal_value: Vec<S>,
    /// `y_i = B(g_i) − B(g_i − h_i*) + C(h_i*) − x_i h_i*`: the base value (7).
    pub base_value: Vec<S>,
    /// `V_i(h_i*) = B(g_i) − B(g_i − h_i*) + C(h_i*)`: the compensation at the optimum (8).
    pub compensation: Vec<S>,
    /// `Z_i* = B(g_i − h_i*) − C(h_i*) + V_i(h_i*)`: each MDAP's utility (1) at the optimum,
    /// equal to `B(g_i)` because the IRC (4) binds.
    pub utility: Vec<S>,
    /// `F(h*)`: the FSP's gross payoff.
    pub gross_payoff: S,
    /// `π* = F(h*) − Σ V_i(h_i*)`: the FSP's net payoff (9).
    pub net_payoff: S,
}

const MAX_NEWTON_STEPS: usize = 100;

impl<S, F, B, C> SharingModel<S, F, B, C>
where
    S: Scalar,
    F: Payoff<S>,
    B: PrivacyUtility<S>,
    C: SharingCost<S>,
{
    /// Builds a model, checking every assumption the forms declare.
    pub fn new(
        holdings: Vec<S>,
        payoff: F,
        privacy: B,
        effort: C,
    ) -> Result<Self, ValorizationError> {
        if holdings.is_empty() {
            return Err(ValorizationError::NoMdaps);
        }
        for (i, g) in holdings.iter().enumerate() {
            if !g.is_finite() {
                return Err(ValorizationError::Violated {
                    assumption: Assumption::Finite,
                    mdap: Some(i),
                });
            }
            if g.is_negative() {
                return Err(ValorizationError::Violated {
                    assumption: Assumption::HoldingsNonnegative,
                    mdap: Some(i),
                });
            }
        }
        payoff.check_assumptions(&holdings)?;
        privacy.check_assumptions(&holdings)?;
        effort.check_assumptions()?;
        Ok(SharingModel {
            holdings,
            payoff,
            privacy,
            effort,
        })
    }

    /// Number of MDAPs.
    pub fn mdaps(&self) -> usize {
        self.holdings.len()
    }

    /// `g`.
    pub fn holdings(&self) -> &[S] {
        &self.holdings
    }

    /// `F`.
    pub fn payoff(&self) -> &F {
        &self.payoff
    }

    /// Solves the FSP's problem and derives the valorization system of the proposition (7).
    pub fn solve(&self) -> Result<Valorization<S>, ValorizationError> {
        let shared = self.optimal_sharing()?;
        let marginal_value = self.payoff.gradient(&shared, &self.holdings);
        let mut base_value = Vec::with_capacity(self.mdaps());
        let mut compensation = Vec::with_capacity(self.mdaps());
        let mut utility = Vec::with_capacity(self.mdaps());
        for i in 0..self.mdaps() {
            let cost = self.sharing_cost(i, &shared[i]);
            base_value.push(cost.clone() - marginal_value[i].clone() * shared[i].clone());
            utility.push(
                self.privacy
                    .value(&(self.holdings[i].clone() - shared[i].clone()))
                    - self.effort.value(&shared[i])
                    + cost.clone(),
            );
            compensation.push(cost);
        }
        let gross_payoff = self.payoff.value(&shared, &self.holdings);
        let net_payoff = compensation
            .iter()
            .fold(gross_payoff.clone(), |acc, v| acc - v.clone());
        Ok(Valorization {
            holdings: self.holdings.clone(),
            shared,
            marginal_value,
            base_value,
            compensation,
            utility,
            gross_payoff,
            net_payoff,
        })
    }

    /// MDAP i's utility (1) when it shares `h` MDAs and is paid by `valorization`:
    /// `Z_i(h) = B(g_i − h) − C(h) + V_i(h)`.
    pub fn utility(&self, valorization: &Valorization<S>, mdap: usize, shared: &S) -> S {
        self.privacy
            .value(&(self.holdings[mdap].clone() - shared.clone()))
            - self.effort.value(shared)
            + valorization.value(mdap, shared)
    }

    /// MDAP i's net utility from sharing, `Z_i(h) − B(g_i)`: zero at `h_i*`, negative elsewhere
    /// (the curve of Fig. 3).
    pub fn net_utility(&self, valorization: &Valorization<S>, mdap: usize, shared: &S) -> S {
        self.utility(valorization, mdap, shared) - self.privacy.value(&self.holdings[mdap])
    }

    /// `dZ_i/dh = −B'(g_i − h) − C'(h) + x_i`: MDAP i's marginal utility, whose sign conditions at
    /// `h_i*` are the incentive compatibility constraint (5).
    pub fn marginal_utility(&self, valorization: &Valorization<S>, mdap: usize, shared: &S) -> S {
        valorization.marginal_value[mdap].clone()
            - self
                .privacy
                .derivative(&(self.holdings[mdap].clone() - shared.clone()))
            - self.effort.derivative(shared)
    }

    /// `B(g_i) − B(g_i − h) + C(h)`: what sharing `h` MDAs costs MDAP i.
    fn sharing_cost(&self, mdap: usize, shared: &S) -> S {
        let g = &self.holdings[mdap];
        self.privacy.value(g) - self.privacy.value(&(g.clone() - shared.clone()))
            + self.effort.value(shared)
    }

    /// The FSP's objective with the IRC binding: `π(h) = F(h) − Σ_i [B(g_i) − B(g_i − h_i) + C(h_i)]`.
    fn objective(&self, shared: &[S]) -> S {
        (0..self.mdaps()).fold(self.payoff.value(shared, &self.holdings), |acc, i| {
            acc - self.sharing_cost(i, &shared[i])
        })
    }

    /// Whether `h` satisfies the KKT conditions of maximizing π over the box, given `∇π(h)`:
    /// (6) where `0 < h_i < g_i`, `∂π/∂h_i ≤ 0` at 0 and `≥ 0` at `g_i` (up to the scalar's
    /// tolerance, zero when exact).
    fn is_kkt_point(&self, h: &[S], gradient: &[S]) -> bool {
        let scale = gradient
            .iter()
            .fold(S::one(), |m, g| if g.abs() > m { g.abs() } else { m });
        let tolerance = S::tolerance() * scale;
        h.iter()
            .zip(gradient)
            .zip(&self.holdings)
            .all(|((h, d), g)| {
                let can_rise = h < g && *d > tolerance;
                let can_fall = h.is_positive() && *d < -tolerance.clone();
                !can_rise && !can_fall
            })
    }

    /// Maximizes π over the box `0 ≤ h ≤ g` by damped Newton steps, each an exact box QP, until
    /// the KKT conditions hold (after one step for the quadratic forms).
    fn optimal_sharing(&self) -> Result<Vec<S>, ValorizationError> {
        let n = self.mdaps();
        let zeros = vec![S::zero(); n];
        let mut h = zeros.clone();
        for _ in 0..MAX_NEWTON_STEPS {
            // Gradient and negated Hessian of π at h: the left side of (6) and its Jacobian.
            let mut gradient = self.payoff.gradient(&h, &self.holdings);
            let mut q = self.payoff.hessian(&h, &self.holdings);
            for i in 0..n {
                let kept = self.holdings[i].clone() - h[i].clone();
                gradient[i] = gradient[i].clone()
                    - self.privacy.derivative(&kept)
                    - self.effort.derivative(&h[i]);
                for j in 0..n {
                    q.set(i, j, -q.get(i, j).clone());
                }
                let curvature = q.get(i, i).clone() - self.privacy.second_derivative(&kept)
                    + self.effort.second_derivative(&h[i]);
                q.set(i, i, curvature);
            }
            S::solve_positive_definite(&q, &gradient)
                .map_err(|e| ValorizationError::NotConcave { order: e.order })?;
            if self.is_kkt_point(&h, &gradient) {
                return Ok(h);
            }

            // Maximize the second-order model of π around h over the box.
            let c: Vec<S> = (0..n)
                .map(|i| {
                    (0..n).fold(gradient[i].clone(), |acc, j| {
                        acc + q.get(i, j).clone() * h[j].clone()
                    })
                })
                .collect();
            let next = boxqp::minimize(&q, &c, &zeros, &self.holdings, &h)?;
            let step: Vec<S> = next
                .iter()
                .zip(&h)
                .map(|(a, b)| a.clone() - b.clone())
                .collect();

            // Armijo backtracking; the full step is always accepted for quadratic forms, where
            // the model is π itself.
            let slope = step
                .iter()
                .zip(&gradient)
                .fold(S::zero(), |acc, (d, g)| acc + d.clone() * g.clone());
            let current = self.objective(&h);
            let quarter = S::one() / from_u64::<S>(4);
            let mut t = S::one();
            let mut accepted = false;
            for _ in 0..64 {
                let candidate: Vec<S> = h
                    .iter()
                    .zip(&step)
                    .map(|(x, d)| x.clone() + t.clone() * d.clone())
                    .collect();
                if self.objective(&candidate)
                    >= current.clone() + quarter.clone() * t.clone() * slope.clone()
                {
                    h = candidate;
                    accepted = true;
                    break;
                }
                t = t / from_u64::<S>(2);
            }
            if !accepted {
                break; // no ascent left at the scalar type's resolution, yet not stationary
            }
        }
        Err(ValorizationError::NoConvergence {
            iterations: MAX_NEWTON_STEPS,
        })
    }
}

impl<S: Scalar> Valorization<S> {
    /// `V_i(h) = x_i h + y_i` (7): the value the system extends to MDAP i for sharing `h` MDAs.
    pub fn value(&self, mdap: usize, shared: &S) -> S {
        self.marginal_value[mdap].clone() * shared.clone() + self.base_value[mdap].clone()
    }

    /// What MDAP `mdap` is paid for sharing `shared` MDAs (e.g. the distinct MDAs it authorized in
    /// an epoch): `V_i(h)` of (7), except that an MDAP that shares nothing does not participate
    /// and is paid nothing (§V-B: its utility "remains unchanged"), and a payment is never
    /// negative (a negative `V_i` would be a charge the MDAP avoids by not participating).
    pub fn payout(&self, mdap: usize, shared: u64) -> Result<S, ValorizationError> {
        let held = self
            .holdings
            .get(mdap)
            .ok_or(ValorizationError::UnknownMdap {
                mdap,
                mdaps: self.holdings.len(),
            })?;
        let h = from_u64::<S>(shared);
        if h > *held {
            return Err(ValorizationError::SharedMoreThanHeld {
                mdap,
                shared,
                held: format!("{}", to_f64(held)),
            });
        }
        if shared == 0 {
            return Ok(S::zero());
        }
        let v = self.value(mdap, &h);
        Ok(if v.is_negative() { S::zero() } else { v })
    }
}
