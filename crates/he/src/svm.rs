//! The plaintext linear SVM that the secure protocols must reproduce: soft-margin hinge loss
//! `λ/2‖w‖² + (1/m)Σ max(0, 1 − y(w·x + b))` by (sub)gradient descent (spec §2.5 E4 corrected).

use crate::data::{Dataset, Metrics};

/// `w·x + b`.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearModel {
    pub weights: Vec<f64>,
    pub bias: f64,
}

impl LinearModel {
    /// The all-zero model every protocol starts from.
    pub fn zero(dimension: usize) -> Self {
        Self {
            weights: vec![0.0; dimension],
            bias: 0.0,
        }
    }

    /// `w·x + b`.
    pub fn score(&self, x: &[f64]) -> f64 {
        self.weights.iter().zip(x).map(|(w, x)| w * x).sum::<f64>() + self.bias
    }

    /// Metrics on a labelled set (score `≥ 0` predicts malignant).
    pub fn evaluate(&self, data: &Dataset) -> Metrics {
        let predictions: Vec<f64> = data
            .features
            .iter()
            .map(|x| if self.score(x) >= 0.0 { 1.0 } else { -1.0 })
            .collect();
        Metrics::from_predictions(&data.labels, &predictions)
    }

    /// Largest absolute coordinate difference (weights and bias) to another model.
    pub fn max_difference(&self, other: &LinearModel) -> f64 {
        self.weights
            .iter()
            .zip(&other.weights)
            .map(|(a, b)| (a - b).abs())
            .fold((self.bias - other.bias).abs(), f64::max)
    }
}

/// Full-batch gradient descent: `T` rounds of step `η`, regulariser `λ`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradientDescent {
    pub rounds: usize,
    pub learning_rate: f64,
    pub regularization: f64,
}

impl GradientDescent {
    /// Spec §6.3's ch. 4 baseline: η 0.1, T 200 (here with λ = 10⁻³ in place of `C = 1/m`).
    pub const PAPER_BASELINE: Self = Self {
        rounds: 200,
        learning_rate: 0.1,
        regularization: 1e-3,
    };

    /// One step from the summed violator terms `Σ y x`, `Σ y` over `m` rows:
    /// `w ← w − η(λw − g_w/m)`, `b ← b + η g_b/m`.
    pub fn step(&self, model: &mut LinearModel, sum_yx: &[f64], sum_y: f64, rows: usize) {
        let m = rows as f64;
        for (w, g) in model.weights.iter_mut().zip(sum_yx) {
            *w -= self.learning_rate * (self.regularization * *w - g / m);
        }
        model.bias += self.learning_rate * sum_y / m;
    }
}

/// `(Σ y x, Σ y)` over the rows violating the margin, `y(w·x + b) < 1`.
pub fn violator_sums(model: &LinearModel, data: &Dataset) -> (Vec<f64>, f64) {
    let mut sum_yx = vec![0.0; data.dimension()];
    let mut sum_y = 0.0;
    for (x, &y) in data.features.iter().zip(&data.labels) {
        if y * model.score(x) < 1.0 {
            for (s, xk) in sum_yx.iter_mut().zip(x) {
                *s += y * xk;
            }
            sum_y += y;
        }
    }
    (sum_yx, sum_y)
}

/// Centralised f64 training on the pooled rows: the reference the secure runs are compared to.
pub fn train_centralised(data: &Dataset, config: &GradientDescent) -> LinearModel {
    let mut model = LinearModel::zero(data.dimension());
    for _ in 0..config.rounds {
        let (sum_yx, sum_y) = violator_sums(&model, data);
        config.step(&mut model, &sum_yx, sum_y, data.len());
    }
    model
}
