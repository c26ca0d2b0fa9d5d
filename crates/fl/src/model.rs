//! Logistic regression, trained off chain by each hospital in `f64`.
//!
//! Parameters are `[w_1 … w_d, bias]`; the chain only ever sees them after
//! [`crate::fixed`] has turned them into integers.

use crate::data::Dataset;

/// Hyper-parameters of local full-batch gradient descent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Training {
    pub learning_rate: f64,
    /// L2 penalty on the weights (not the bias).
    pub l2: f64,
    pub epochs: usize,
}

/// `[w_1 … w_d, bias]`.
pub fn zero_parameters(dims: usize) -> Vec<f64> {
    vec![0.0; dims + 1]
}

fn score(params: &[f64], row: &[f64]) -> f64 {
    let (bias, weights) = params.split_last().expect("parameters hold a bias");
    weights.iter().zip(row).map(|(w, x)| w * x).sum::<f64>() + bias
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Runs `training.epochs` full-batch gradient steps on the logistic loss from `params`.
pub fn train(params: &[f64], data: &Dataset, training: &Training) -> Vec<f64> {
    let mut params = params.to_vec();
    let n = data.len().max(1) as f64;
    let dims = params.len() - 1;
    for _ in 0..training.epochs {
        let mut gradient = vec![0.0; dims + 1];
        for (row, &label) in data.features.iter().zip(&data.labels) {
            let error = sigmoid(score(&params, row)) - f64::from(label);
            for (g, x) in gradient.iter_mut().zip(row) {
                *g += error * x;
            }
            gradient[dims] += error;
        }
        for (c, p) in params.iter_mut().enumerate() {
            let penalty = if c < dims { training.l2 * *p } else { 0.0 };
            *p -= training.learning_rate * (gradient[c] / n + penalty);
        }
    }
    params
}

/// Precision and recall are for the malignant class (label 1), as in the spec's §6.3 table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Metrics {
    pub accuracy: f64,
    pub precision: f64,
    pub recall: f64,
}

pub fn evaluate(params: &[f64], data: &Dataset) -> Metrics {
    let (mut tp, mut fp, mut tn, mut fn_) = (0usize, 0usize, 0usize, 0usize);
    for (row, &label) in data.features.iter().zip(&data.labels) {
        match (score(params, row) >= 0.0, label == 1) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, false) => tn += 1,
            (false, true) => fn_ += 1,
        }
    }
    let ratio = |num: usize, den: usize| {
        if den == 0 {
            0.0
        } else {
            num as f64 / den as f64
        }
    };
    Metrics {
        accuracy: ratio(tp + tn, data.len()),
        precision: ratio(tp, tp + fp),
        recall: ratio(tp, tp + fn_),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Standardizer, load_wdbc, tabular_dir, train_test_split};

    #[test]
    fn centralized_logistic_regression_on_wdbc_reaches_the_plaintext_baseline() {
        let data = load_wdbc(&tabular_dir().join("wdbc.csv")).unwrap();
        let (train_set, test_set) = train_test_split(&data, 0.2, 3);
        let scaler = Standardizer::fit(&train_set);
        let (train_set, test_set) = (scaler.apply(&train_set), scaler.apply(&test_set));
        let training = Training {
            learning_rate: 0.5,
            l2: 1e-3,
            epochs: 300,
        };
        let params = train(&zero_parameters(train_set.dims()), &train_set, &training);
        let metrics = evaluate(&params, &test_set);
        // Spec §6.3: sklearn LogReg on standardised WDBC, 97.02 % mean over 10 splits.
        assert!(metrics.accuracy > 0.95, "{metrics:?}");
        assert!(evaluate(&zero_parameters(30), &test_set).accuracy < 0.5);
    }
}
