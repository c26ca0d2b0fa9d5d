//! The quadratic forms of seed 000 Appendix A.2, with their exact derivatives:
//!
//! ```text
//! F(h) = Σ_i (τ_i/2)(b_i² − (b_i − h_i)²) Σ_{j≠i} g_j + Σ_i Σ_{j>i} φ_ij h_i h_j    (E.6)
//! B(x) = (ρ/2)(a² − (a − x)²)                                                      (E.7)
//! C(h) = (σ/2) h²                                                                  (E.8)
//! ```
//!
//! With these forms the FSP's objective is quadratic, (6) is linear, and the solver's first
//! Newton step lands exactly on the optimum.

use super::{
    Assumption, Matrix, Payoff, PrivacyUtility, SharingCost, SharingModel, ValorizationError,
};
use crate::scalar::{Scalar, from_u64};

/// `F` of (E.6).
#[derive(Debug, Clone, PartialEq)]
pub struct QuadraticPayoff<S> {
    productivity: Vec<S>,
    saturation: Vec<S>,
    interdependence: Matrix<S>,
}

/// `B` of (E.7).
#[derive(Debug, Clone, PartialEq)]
pub struct QuadraticPrivacy<S> {
    weight: S,
    saturation: S,
}

/// `C` of (E.8).
#[derive(Debug, Clone, PartialEq)]
pub struct QuadraticEffort<S> {
    weight: S,
}

/// The model of §V with the quadratic forms of Appendix A.2.
pub type QuadraticModel<S> =
    SharingModel<S, QuadraticPayoff<S>, QuadraticPrivacy<S>, QuadraticEffort<S>>;

/// Every parameter of the quadratic model: what the FSP publishes.
#[derive(Debug, Clone, PartialEq)]
pub struct QuadraticParams<S> {
    /// `g_i`: MDAs held by each MDAP.
    pub holdings: Vec<S>,
    /// `τ_i > 0`: productivity of each MDAP's MDAs.
    pub tau: Vec<S>,
    /// `b_i ≥ g_i`: where F saturates in `h_i`.
    pub b: Vec<S>,
    /// `φ_ij ≥ 0`, symmetric with zero diagonal: interdependence of the MDAs of i and j.
    pub phi: Matrix<S>,
    /// `ρ > 0`: weight of privacy.
    pub rho: S,
    /// `a ≥ g_i`: where B saturates.
    pub a: S,
    /// `σ > 0`: weight of effort and time.
    pub sigma: S,
}

impl<S: Scalar> QuadraticParams<S> {
    /// The setting of seed 000 Fig. 3: two MDAPs, `g = 10`, `τ = 0.2`, `φ = 0.2`, `ρ = σ = 2`,
    /// `b = a = 15`.
    pub fn fig3() -> Self {
        let n = |v: u64| from_u64::<S>(v);
        let fifth = S::one() / n(5);
        QuadraticParams {
            holdings: vec![n(10), n(10)],
            tau: vec![fifth.clone(), fifth.clone()],
            b: vec![n(15), n(15)],
            phi: Matrix::uniform_off_diagonal(2, fifth),
            rho: n(2),
            a: n(15),
            sigma: n(2),
        }
    }

    /// The model these parameters define, or the first assumption they violate.
    pub fn model(&self) -> Result<QuadraticModel<S>, ValorizationError> {
        let n = self.holdings.len();
        check_length("τ", &self.tau, n)?;
        check_length("b", &self.b, n)?;
        if self.phi.order() != n {
            return Err(ValorizationError::WrongLength {
                parameter: "φ",
                expected: n,
                found: self.phi.order(),
            });
        }
        SharingModel::new(
            self.holdings.clone(),
            QuadraticPayoff::new(self.tau.clone(), self.b.clone(), self.phi.clone())?,
            QuadraticPrivacy::new(self.rho.clone(), self.a.clone())?,
            QuadraticEffort::new(self.sigma.clone())?,
        )
    }

    /// `MP_i = τ_i Σ_{j≠i} g_j`: the productivity of MDAP i's MDAs in (E.6), the coefficient of
    /// `(b_i − h_i)` in `∂F/∂h_i`. This is the "MDA productivity" that orders `h*` in the
    /// lemma's Table VII; `τ_i` alone does not when holdings differ.
    pub fn productivity(&self, mdap: usize) -> S {
        self.tau[mdap].clone() * others(&self.holdings, mdap)
    }
}

fn violated(assumption: Assumption, mdap: Option<usize>) -> ValorizationError {
    ValorizationError::Violated { assumption, mdap }
}

fn check_length<T>(
    parameter: &'static str,
    values: &[T],
    expected: usize,
) -> Result<(), ValorizationError> {
    if values.len() == expected {
        Ok(())
    } else {
        Err(ValorizationError::WrongLength {
            parameter,
            expected,
            found: values.len(),
        })
    }
}

/// `Σ_{j≠i} g_j`.
fn others<S: Scalar>(holdings: &[S], mdap: usize) -> S {
    holdings
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != mdap)
        .fold(S::zero(), |acc, (_, g)| acc + g.clone())
}

fn half<S: Scalar>() -> S {
    S::one() / from_u64::<S>(2)
}

impl<S: Scalar> QuadraticPayoff<S> {
    /// `F` with productivities `τ`, saturations `b` and interdependence `φ`.
    pub fn new(tau: Vec<S>, b: Vec<S>, phi: Matrix<S>) -> Result<Self, ValorizationError> {
        let n = tau.len();
        check_length("b", &b, n)?;
        if phi.order() != n {
            return Err(ValorizationError::WrongLength {
                parameter: "φ",
                expected: n,
                found: phi.order(),
            });
        }
        for i in 0..n {
            if !tau[i].is_finite() || !b[i].is_finite() {
                return Err(violated(Assumption::Finite, Some(i)));
            }
            if !tau[i].is_positive() {
                return Err(violated(Assumption::ProductivityPositive, Some(i)));
            }
            for j in 0..n {
                let v = phi.get(i, j);
                if !v.is_finite() {
                    return Err(violated(Assumption::Finite, Some(i)));
                }
                if (i == j && !v.is_zero()) || v != phi.get(j, i) {
                    return Err(violated(Assumption::InterdependenceSymmetric, Some(i)));
                }
                if v.is_negative() {
                    return Err(violated(Assumption::InterdependenceNonnegative, Some(i)));
                }
            }
        }
        Ok(QuadraticPayoff {
            productivity: tau,
            saturation: b,
            interdependence: phi,
        })
    }
}

impl<S: Scalar> Payoff<S> for QuadraticPayoff<S> {
    fn value(&self, shared: &[S], holdings: &[S]) -> S {
        let n = shared.len();
        let mut total = S::zero();
        for i in 0..n {
            let b = &self.saturation[i];
            let gap = b.clone() - shared[i].clone();
            total = total
                + half::<S>()
                    * self.productivity[i].clone()
                    * (b.clone() * b.clone() - gap.clone() * gap)
                    * others(holdings, i);
            for j in i + 1..n {
                total = total
                    + self.interdependence.get(i, j).clone()
                        * shared[i].clone()
                        * shared[j].clone();
            }
        }
        total
    }

    fn gradient(&self, shared: &[S], holdings: &[S]) -> Vec<S> {
        (0..shared.len())
            .map(|i| {
                let own = self.productivity[i].clone()
                    * (self.saturation[i].clone() - shared[i].clone())
                    * others(holdings, i);
                (0..shared.len()).fold(own, |acc, j| {
                    acc + self.interdependence.get(i, j).clone() * shared[j].clone()
                })
            })
            .collect()
    }

    fn hessian(&self, shared: &[S], holdings: &[S]) -> Matrix<S> {
        let mut hessian = self.interdependence.clone();
        for i in 0..shared.len() {
            hessian.set(i, i, -(self.productivity[i].clone() * others(holdings, i)));
        }
        hessian
    }

    fn check_assumptions(&self, holdings: &[S]) -> Result<(), ValorizationError> {
        check_length("τ", &self.productivity, holdings.len())?;
        for (i, (b, g)) in self.saturation.iter().zip(holdings).enumerate() {
            if b < g {
                return Err(violated(Assumption::SaturationAtLeastHoldings, Some(i)));
            }
        }
        Ok(())
    }
}

impl<S: Scalar> QuadraticPrivacy<S> {
    /// `B` with weight `ρ` and saturation `a`.
    pub fn new(rho: S, a: S) -> Result<Self, ValorizationError> {
        if !rho.is_finite() || !a.is_finite() {
            return Err(violated(Assumption::Finite, None));
        }
        if !rho.is_positive() {
            return Err(violated(Assumption::PrivacyWeightPositive, None));
        }
        Ok(QuadraticPrivacy {
            weight: rho,
            saturation: a,
        })
    }
}

impl<S: Scalar> PrivacyUtility<S> for QuadraticPrivacy<S> {
    fn value(&self, kept: &S) -> S {
        let a = &self.saturation;
        let gap = a.clone() - kept.clone();
        half::<S>() * self.weight.clone() * (a.clone() * a.clone() - gap.clone() * gap)
    }

    fn derivative(&self, kept: &S) -> S {
        self.weight.clone() * (self.saturation.clone() - kept.clone())
    }

    fn second_derivative(&self, _kept: &S) -> S {
        -self.weight.clone()
    }

    fn check_assumptions(&self, holdings: &[S]) -> Result<(), ValorizationError> {
        match holdings.iter().position(|g| *g > self.saturation) {
            Some(i) => Err(violated(
                Assumption::PrivacySaturationAtLeastHoldings,
                Some(i),
            )),
            None => Ok(()),
        }
    }
}

impl<S: Scalar> QuadraticEffort<S> {
    /// `C` with weight `σ`.
    pub fn new(sigma: S) -> Result<Self, ValorizationError> {
        if !sigma.is_finite() {
            return Err(violated(Assumption::Finite, None));
        }
        if !sigma.is_positive() {
            return Err(violated(Assumption::EffortWeightPositive, None));
        }
        Ok(QuadraticEffort { weight: sigma })
    }
}

impl<S: Scalar> SharingCost<S> for QuadraticEffort<S> {
    fn value(&self, shared: &S) -> S {
        half::<S>() * self.weight.clone() * shared.clone() * shared.clone()
    }

    fn derivative(&self, shared: &S) -> S {
        self.weight.clone() * shared.clone()
    }

    fn second_derivative(&self, _shared: &S) -> S {
        self.weight.clone()
    }
}
