//! The little dense linear algebra the valorization solver needs, generic over the scalar.

use num_traits::Num;

/// What the linear algebra needs of a number: a field with an order. Both of the valorization
/// model's scalars are one.
pub trait Entry: Clone + PartialOrd + Num {}

impl<T: Clone + PartialOrd + Num> Entry for T {}

/// A dense square matrix, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix<S> {
    order: usize,
    entries: Vec<S>,
}

impl<S: Entry> Matrix<S> {
    /// The symmetric matrix with `value` off the diagonal and zero on it: one interdependence
    /// φ for every pair of MDAPs.
    pub fn uniform_off_diagonal(order: usize, value: S) -> Self {
        let mut m = Matrix::zeros(order);
        for i in 0..order {
            for j in 0..order {
                if i != j {
                    m.set(i, j, value.clone());
                }
            }
        }
        m
    }

    /// The symmetric matrix with zero diagonal whose pairs (0,1), (0,2), …, (0,n−1), (1,2), …,
    /// (n−2,n−1) are `pairs`, in that order; `None` unless there are n(n−1)/2 of them.
    pub fn from_upper_triangle(order: usize, pairs: &[S]) -> Option<Self> {
        if pairs.len() != order * order.saturating_sub(1) / 2 {
            return None;
        }
        let mut m = Matrix::zeros(order);
        let mut values = pairs.iter();
        for i in 0..order {
            for j in i + 1..order {
                let v = values.next()?.clone();
                m.set(i, j, v.clone());
                m.set(j, i, v);
            }
        }
        Some(m)
    }

    /// The `order × order` zero matrix.
    pub fn zeros(order: usize) -> Self {
        Matrix {
            order,
            entries: vec![S::zero(); order * order],
        }
    }

    /// Number of rows (and columns).
    pub fn order(&self) -> usize {
        self.order
    }

    /// Entry at row `i`, column `j`.
    pub fn get(&self, i: usize, j: usize) -> &S {
        &self.entries[i * self.order + j]
    }

    /// Sets the entry at row `i`, column `j`.
    pub fn set(&mut self, i: usize, j: usize, value: S) {
        self.entries[i * self.order + j] = value;
    }

    /// The matrix restricted to the rows and columns in `indices`.
    pub(crate) fn principal(&self, indices: &[usize]) -> Self {
        let mut sub = Matrix::zeros(indices.len());
        for (a, &i) in indices.iter().enumerate() {
            for (b, &j) in indices.iter().enumerate() {
                sub.set(a, b, self.get(i, j).clone());
            }
        }
        sub
    }
}

/// `Q = L D Lᵀ` with unit lower-triangular `L`: the factorization succeeds exactly when `Q` is
/// positive definite (every pivot `D_kk > 0`, Sylvester's criterion), which is how the model
/// checks strict concavity.
#[derive(Debug, Clone)]
pub struct Ldl<S> {
    l: Matrix<S>,
    d: Vec<S>,
}

/// The leading `order × order` block of a matrix is not positive definite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotPositiveDefinite {
    /// Size of the first leading principal block with a non-positive pivot.
    pub order: usize,
}

impl<S: Entry> Ldl<S> {
    /// Factors a symmetric matrix, or says which leading block is not positive definite.
    pub fn factor(q: &Matrix<S>) -> Result<Self, NotPositiveDefinite> {
        let n = q.order();
        let mut l: Matrix<S> = Matrix::zeros(n);
        let mut d: Vec<S> = Vec::with_capacity(n);
        for j in 0..n {
            // Σ_{k<j} L_ik L_jk D_k, the part of Q_ij already accounted for.
            let accounted = |l: &Matrix<S>, i: usize| {
                d.iter().enumerate().fold(S::zero(), |acc, (k, dk)| {
                    acc + l.get(i, k).clone() * l.get(j, k).clone() * dk.clone()
                })
            };
            let pivot = q.get(j, j).clone() - accounted(&l, j);
            if pivot <= S::zero() {
                return Err(NotPositiveDefinite { order: j + 1 });
            }
            l.set(j, j, S::one());
            for i in j + 1..n {
                let entry = (q.get(i, j).clone() - accounted(&l, i)) / pivot.clone();
                l.set(i, j, entry);
            }
            d.push(pivot);
        }
        Ok(Ldl { l, d })
    }

    /// Solves `Q x = b`.
    pub fn solve(&self, b: &[S]) -> Vec<S> {
        let n = self.d.len();
        // L z = b, then D y = z, then Lᵀ x = y.
        let mut x: Vec<S> = Vec::with_capacity(n);
        for (i, bi) in b.iter().enumerate() {
            let zi = x.iter().enumerate().fold(bi.clone(), |acc, (k, zk)| {
                acc - self.l.get(i, k).clone() * zk.clone()
            });
            x.push(zi);
        }
        for (xi, di) in x.iter_mut().zip(&self.d) {
            *xi = xi.clone() / di.clone();
        }
        for i in (0..n).rev() {
            let xi = (i + 1..n).fold(x[i].clone(), |acc, k| {
                acc - self.l.get(k, i).clone() * x[k].clone()
            });
            x[i] = xi;
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    type Rational = num_rational::BigRational;

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
    fn ldl_solves_exactly_and_rejects_indefinite() {
        let q = matrix(&[&[4, -1, 0], &[-1, 4, -1], &[0, -1, 4]]);
        let x = Ldl::factor(&q).unwrap().solve(&[r(1, 1), r(2, 1), r(3, 1)]);
        for i in 0..3 {
            let row: Rational = (0..3).map(|j| q.get(i, j) * &x[j]).sum();
            assert_eq!(row, r(i as i64 + 1, 1));
        }
        let indefinite = matrix(&[&[1, 2], &[2, 1]]);
        assert_eq!(
            Ldl::factor(&indefinite).unwrap_err(),
            NotPositiveDefinite { order: 2 }
        );
    }

    #[test]
    fn interdependence_constructors_are_symmetric() {
        let uniform = Matrix::uniform_off_diagonal(3, r(1, 5));
        assert_eq!(uniform.get(0, 0), &r(0, 1));
        assert_eq!(uniform.get(2, 1), &r(1, 5));
        let pairs = Matrix::from_upper_triangle(3, &[r(1, 1), r(2, 1), r(3, 1)]).unwrap();
        assert_eq!(
            (pairs.get(0, 1), pairs.get(0, 2), pairs.get(1, 2)),
            (&r(1, 1), &r(2, 1), &r(3, 1))
        );
        assert_eq!(
            (pairs.get(1, 0), pairs.get(2, 0), pairs.get(2, 1)),
            (&r(1, 1), &r(2, 1), &r(3, 1))
        );
        assert!(Matrix::from_upper_triangle(3, &[r(1, 1)]).is_none());
    }
}
