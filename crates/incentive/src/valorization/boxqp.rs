//! Strictly convex quadratic programs with box constraints, solved exactly.
//!
//! `minimize ½ hᵀ Q h − cᵀ h  subject to  lower ≤ h ≤ upper` with `Q` symmetric positive
//! definite. This is the FSP's problem (3)-(6) once the MDAPs' binding participation constraint
//! is substituted (for the quadratic forms of Appendix A.2 it *is* that problem; for other forms
//! it is one Newton step of it).
//!
//! The method is the primal active-set method for convex QP (Nocedal & Wright, Numerical
//! Optimization, Alg. 16.3) specialised to bounds: a working set of variables held at a bound,
//! the others solved from the equality-constrained subproblem, a step to the first bound hit,
//! and release of the bound whose multiplier has the wrong sign. With strictly convex `Q` it ends
//! after finitely many steps, and with exact arithmetic it ends on the exact KKT point — so the
//! result is the same on every machine.

use super::ValorizationError;
use crate::linalg::Matrix;
use crate::scalar::Scalar;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Free,
    AtLower,
    AtUpper,
}

/// Minimizes `½ hᵀQh − cᵀh` over `lower ≤ h ≤ upper`, starting from the feasible point `start`
/// with no bound held (so an interior optimum takes a single step); `lower ≤ start ≤ upper`.
/// Fails with [`ValorizationError::NotConcave`] when `Q` restricted to the variables with room to
/// move is not positive definite.
pub fn minimize<S: Scalar>(
    q: &Matrix<S>,
    c: &[S],
    lower: &[S],
    upper: &[S],
    start: &[S],
) -> Result<Vec<S>, ValorizationError> {
    let n = q.order();
    debug_assert!(c.len() == n && lower.len() == n && upper.len() == n && start.len() == n);
    let mut status: Vec<Status> = (0..n)
        .map(|i| {
            if lower[i] == upper[i] {
                Status::AtLower
            } else {
                Status::Free
            }
        })
        .collect();
    let mut h: Vec<S> = start.to_vec();
    let gradient_tolerance = S::tolerance() * c.iter().fold(S::one(), |m, ci| max(m, ci.abs()));

    // Each pass either adds a bound to the working set or reaches a subspace minimizer and
    // releases one; subspace minimizers strictly decrease the objective, so no working set
    // recurs. The cap only guards against rounding in floating point.
    let max_passes = 20 * (n + 1) * (n + 1);
    for _ in 0..max_passes {
        let free: Vec<usize> = (0..n).filter(|&i| status[i] == Status::Free).collect();
        let target = subspace_minimizer(q, c, &h, &free)?;

        // Step from h towards the target; stop at the first bound crossed (lowest index on ties).
        let mut step = S::one();
        let mut blocking = None;
        for (&i, t) in free.iter().zip(&target) {
            let (bound, to) = if *t < lower[i] {
                (&lower[i], Status::AtLower)
            } else if *t > upper[i] {
                (&upper[i], Status::AtUpper)
            } else {
                continue;
            };
            let ratio = (bound.clone() - h[i].clone()) / (t.clone() - h[i].clone());
            if ratio < step {
                step = ratio;
                blocking = Some((i, to));
            }
        }
        for (&i, t) in free.iter().zip(target) {
            h[i] = h[i].clone() + step.clone() * (t - h[i].clone());
        }
        if let Some((i, to)) = blocking {
            h[i] = if to == Status::AtLower {
                lower[i].clone()
            } else {
                upper[i].clone()
            };
            status[i] = to;
            continue;
        }

        // h minimizes over the free variables: check the multipliers of the held bounds.
        let mut worst: Option<(usize, S)> = None;
        for i in 0..n {
            if lower[i] == upper[i] {
                continue; // a variable with no room is fixed for good
            }
            let g = gradient(q, c, &h, i);
            let violation = match status[i] {
                Status::Free => continue,
                Status::AtLower => -g, // increasing h_i would lower the objective
                Status::AtUpper => g,  // decreasing h_i would lower the objective
            };
            if violation > gradient_tolerance && worst.as_ref().is_none_or(|(_, w)| violation > *w)
            {
                worst = Some((i, violation));
            }
        }
        match worst {
            Some((i, _)) => status[i] = Status::Free,
            None => return Ok(h),
        }
    }
    Err(ValorizationError::NoConvergence {
        iterations: max_passes,
    })
}

/// `(Qh − c)_i`, the objective's partial derivative.
fn gradient<S: Scalar>(q: &Matrix<S>, c: &[S], h: &[S], i: usize) -> S {
    (0..h.len()).fold(-c[i].clone(), |acc, j| {
        acc + q.get(i, j).clone() * h[j].clone()
    })
}

/// Values of the free variables that minimize the objective with the others held where they are;
/// fails when `Q` restricted to them is not positive definite (π not strictly concave there).
fn subspace_minimizer<S: Scalar>(
    q: &Matrix<S>,
    c: &[S],
    h: &[S],
    free: &[usize],
) -> Result<Vec<S>, ValorizationError> {
    if free.is_empty() {
        return Ok(Vec::new());
    }
    let rhs: Vec<S> = free
        .iter()
        .map(|&i| {
            (0..h.len())
                .filter(|j| !free.contains(j))
                .fold(c[i].clone(), |acc, j| {
                    acc - q.get(i, j).clone() * h[j].clone()
                })
        })
        .collect();
    S::solve_positive_definite(&q.principal(free), &rhs)
        .map_err(|e| ValorizationError::NotConcave { order: e.order })
}

fn max<S: Scalar>(a: S, b: S) -> S {
    if a >= b { a } else { b }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::Rational;

    fn r(n: i64, d: i64) -> Rational {
        Rational::new(n.into(), d.into())
    }

    fn matrix(rows: &[&[i64]]) -> Matrix<Rational> {
        let mut m = Matrix::zeros(rows.len());
        for (i, row) in rows.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                m.set(i, j, r(v, 1));
            }
        }
        m
    }

    #[test]
    fn interior_optimum_is_the_unconstrained_one() {
        let q = matrix(&[&[2, 0], &[0, 2]]);
        let h = minimize(
            &q,
            &[r(2, 1), r(4, 1)],
            &vec![r(0, 1); 2],
            &vec![r(10, 1); 2],
            &vec![r(0, 1); 2],
        )
        .unwrap();
        assert_eq!(h, vec![r(1, 1), r(2, 1)]);
    }

    #[test]
    fn bounds_bind_with_coupling() {
        // Complementary variables: the first wants 20 on its own, capped at 3; the second then
        // solves 2 h2 = 1 + 1·3 → 2. A third wants to go negative and stays at 0.
        let q = matrix(&[&[2, -1, 0], &[-1, 2, 0], &[0, 0, 1]]);
        let c = [r(40, 1), r(1, 1), r(-5, 1)];
        let h = minimize(
            &q,
            &c,
            &vec![r(0, 1); 3],
            &[r(3, 1), r(100, 1), r(9, 1)],
            &vec![r(0, 1); 3],
        )
        .unwrap();
        assert_eq!(h, vec![r(3, 1), r(2, 1), r(0, 1)]);
    }

    #[test]
    fn fixed_variables_stay_fixed() {
        let q = matrix(&[&[1, 0], &[0, 1]]);
        let h = minimize(
            &q,
            &[r(5, 1), r(5, 1)],
            &vec![r(0, 1); 2],
            &[r(0, 1), r(2, 1)],
            &[r(0, 1), r(1, 1)],
        )
        .unwrap();
        assert_eq!(h, vec![r(0, 1), r(2, 1)]);
    }
}
