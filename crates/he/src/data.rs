//! The real tables of seed 003's experiments: BCWD (UCI Breast Cancer Wisconsin, Original) and
//! WDBC, random 80/20 splits, standardisation, precision / recall / accuracy.

use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha20Rng;

use crate::HeError;

/// Rows of features with labels `+1` (malignant) / `−1` (benign).
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    pub features: Vec<Vec<f64>>,
    pub labels: Vec<f64>,
}

impl Dataset {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Number of feature columns.
    pub fn dimension(&self) -> usize {
        self.features.first().map_or(0, Vec::len)
    }

    /// The rows at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Dataset {
        Dataset {
            features: indices.iter().map(|&i| self.features[i].clone()).collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
        }
    }

    /// A seeded random split: the first `⌈(1 − test_fraction)·m⌉` shuffled rows train.
    pub fn split(&self, test_fraction: f64, seed: u64) -> (Dataset, Dataset) {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.shuffle(&mut ChaCha20Rng::seed_from_u64(seed));
        let train_len = ((1.0 - test_fraction) * self.len() as f64).ceil() as usize;
        (
            self.select(&order[..train_len]),
            self.select(&order[train_len..]),
        )
    }
}

/// The shared data directory: `$MEDSHARE_DATA`, else the first `shared/data` beside an ancestor
/// of this crate (a work tree may sit deeper than the main checkout).
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MEDSHARE_DATA") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared/data"))
        .find(|p| p.join("tabular").is_dir())
        .unwrap_or_else(|| PathBuf::from("../shared/data"))
}

fn read(path: &Path) -> Result<String, HeError> {
    std::fs::read_to_string(path).map_err(|e| HeError::Data(format!("{}: {e}", path.display())))
}

/// BCWD with the 16 rows whose bare-nuclei value is `NA` dropped (683 rows × 9).
pub fn load_bcw(path: &Path) -> Result<Dataset, HeError> {
    let text = read(path)?;
    let mut data = Dataset {
        features: Vec::new(),
        labels: Vec::new(),
    };
    for (line_no, line) in text.lines().enumerate().skip(1) {
        let fields: Vec<&str> = line.split(',').map(|f| f.trim_matches('"')).collect();
        if fields.len() != 12 {
            return Err(HeError::Data(format!(
                "line {}: {} fields, 12 expected",
                line_no + 1,
                fields.len()
            )));
        }
        if fields[2..11].contains(&"NA") {
            continue;
        }
        let row = fields[2..11]
            .iter()
            .map(|f| f.parse::<f64>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| HeError::Data(format!("line {}: {e}", line_no + 1)))?;
        let label = match fields[11] {
            "malignant" => 1.0,
            "benign" => -1.0,
            other => {
                return Err(HeError::Data(format!(
                    "line {}: class {other}",
                    line_no + 1
                )));
            }
        };
        data.features.push(row);
        data.labels.push(label);
    }
    Ok(data)
}

/// WDBC: 569 rows × 30, last column `malignant` (1 = malignant).
pub fn load_wdbc(path: &Path) -> Result<Dataset, HeError> {
    let text = read(path)?;
    let mut data = Dataset {
        features: Vec::new(),
        labels: Vec::new(),
    };
    for (line_no, line) in text.lines().enumerate().skip(1) {
        let values = line
            .split(',')
            .map(|f| f.parse::<f64>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| HeError::Data(format!("line {}: {e}", line_no + 1)))?;
        let Some((&label, row)) = values.split_last().filter(|(_, row)| row.len() == 30) else {
            return Err(HeError::Data(format!(
                "line {}: 31 fields expected",
                line_no + 1
            )));
        };
        data.features.push(row.to_vec());
        data.labels.push(if label == 1.0 { 1.0 } else { -1.0 });
    }
    Ok(data)
}

/// Per-column mean and standard deviation fitted on a training split.
#[derive(Clone, Debug)]
pub struct Standardizer {
    means: Vec<f64>,
    stds: Vec<f64>,
}

impl Standardizer {
    /// Fits on `train` (a constant column keeps scale 1).
    pub fn fit(train: &Dataset) -> Self {
        let m = train.len() as f64;
        let d = train.dimension();
        let means: Vec<f64> = (0..d)
            .map(|k| train.features.iter().map(|r| r[k]).sum::<f64>() / m)
            .collect();
        let stds = (0..d)
            .map(|k| {
                let var = train
                    .features
                    .iter()
                    .map(|r| (r[k] - means[k]).powi(2))
                    .sum::<f64>()
                    / m;
                if var > 0.0 { var.sqrt() } else { 1.0 }
            })
            .collect();
        Self { means, stds }
    }

    /// `(x − mean)/std` per column.
    pub fn apply(&self, data: &Dataset) -> Dataset {
        let features = data
            .features
            .iter()
            .map(|r| {
                r.iter()
                    .enumerate()
                    .map(|(k, x)| (x - self.means[k]) / self.stds[k])
                    .collect()
            })
            .collect();
        Dataset {
            features,
            labels: data.labels.clone(),
        }
    }
}

/// Precision, recall and accuracy with malignant (`+1`) as the positive class.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Metrics {
    pub precision: f64,
    pub recall: f64,
    pub accuracy: f64,
}

impl Metrics {
    /// From true labels and predictions (both `±1`).
    pub fn from_predictions(labels: &[f64], predictions: &[f64]) -> Self {
        let (mut tp, mut fp, mut fneg, mut correct) = (0usize, 0usize, 0usize, 0usize);
        for (&y, &p) in labels.iter().zip(predictions) {
            match (y > 0.0, p > 0.0) {
                (true, true) => tp += 1,
                (false, true) => fp += 1,
                (true, false) => fneg += 1,
                (false, false) => {}
            }
            correct += usize::from((y > 0.0) == (p > 0.0));
        }
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        Self {
            precision: ratio(tp, tp + fp),
            recall: ratio(tp, tp + fneg),
            accuracy: ratio(correct, labels.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcw_loads_683_complete_rows_and_wdbc_569() {
        let bcw = load_bcw(&data_dir().join("tabular/bcw_original.csv")).unwrap();
        assert_eq!((bcw.len(), bcw.dimension()), (683, 9));
        assert_eq!(bcw.labels.iter().filter(|&&y| y > 0.0).count(), 239);
        let wdbc = load_wdbc(&data_dir().join("tabular/wdbc.csv")).unwrap();
        assert_eq!((wdbc.len(), wdbc.dimension()), (569, 30));
        assert_eq!(wdbc.labels.iter().filter(|&&y| y > 0.0).count(), 212);
        let (train, test) = bcw.split(0.2, 7);
        assert_eq!((train.len(), test.len()), (547, 136));
    }

    #[test]
    fn metrics_count_the_positive_class() {
        let m = Metrics::from_predictions(&[1.0, 1.0, -1.0, -1.0], &[1.0, -1.0, 1.0, -1.0]);
        assert_eq!((m.precision, m.recall, m.accuracy), (0.5, 0.5, 0.5));
    }
}
