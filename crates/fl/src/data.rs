//! The real tabular data sets (WDBC, BCW original), splits and horizontal partitions.
//!
//! Everything here is deterministic given a seed, so federated and centralized runs see the
//! same rows and a benchmark can be repeated.

use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha20Rng;

/// Errors while reading a CSV table.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: line {line}: {reason}")]
    Parse {
        path: PathBuf,
        line: usize,
        reason: String,
    },
}

/// Feature rows with binary labels (1 = malignant, the positive class).
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    pub features: Vec<Vec<f64>>,
    pub labels: Vec<u8>,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Number of features per row (0 for an empty set).
    pub fn dims(&self) -> usize {
        self.features.first().map_or(0, Vec::len)
    }

    fn select(&self, indices: &[usize]) -> Dataset {
        Dataset {
            features: indices.iter().map(|&i| self.features[i].clone()).collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
        }
    }
}

/// What to do with BCW's 16 rows whose "bare nuclei" (V6) is `NA`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingValues {
    /// Drop the row (683 rows remain, the spec's main BCW variant).
    DropRows,
    /// Replace `NA` by the column's median over the rows that have it (699 rows).
    MedianImpute,
}

/// `$MEDSHARE_DATA/tabular`, else the first `shared/data/tabular` above this crate (the
/// repository's `../shared/data`, wherever the checkout or worktree sits).
pub fn tabular_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MEDSHARE_DATA") {
        return PathBuf::from(dir).join("tabular");
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|dir| dir.join("shared/data/tabular"))
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| manifest.join("../../../shared/data/tabular"))
}

/// Loads `wdbc.csv`: 30 real features, last column `malignant` (0/1).
pub fn load_wdbc(path: &Path) -> Result<Dataset, DataError> {
    let rows = read_rows(path)?;
    let mut data = Dataset {
        features: Vec::new(),
        labels: Vec::new(),
    };
    for (line, fields) in rows {
        let (label, features) = fields
            .split_last()
            .ok_or_else(|| parse_error(path, line, "empty row"))?;
        data.labels.push(parse_label(path, line, label, "0", "1")?);
        data.features.push(
            features
                .iter()
                .map(|f| parse_number(path, line, f))
                .collect::<Result<_, _>>()?,
        );
    }
    check_rectangular(path, &data)?;
    Ok(data)
}

/// Loads `bcw_original.csv`: row number, ID, V1-V9 (integers 1-10, `NA` in V6), class.
pub fn load_bcw(path: &Path, missing: MissingValues) -> Result<Dataset, DataError> {
    let rows = read_rows(path)?;
    let mut features: Vec<Vec<Option<f64>>> = Vec::new();
    let mut labels = Vec::new();
    for (line, fields) in rows {
        if fields.len() != 12 {
            return Err(parse_error(path, line, "expected 12 columns"));
        }
        labels.push(parse_label(path, line, &fields[11], "benign", "malignant")?);
        let row = fields[2..11]
            .iter()
            .map(|f| {
                if f == "NA" {
                    Ok(None)
                } else {
                    parse_number(path, line, f).map(Some)
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        features.push(row);
    }
    let dims = 9;
    let medians: Vec<f64> = (0..dims)
        .map(|c| {
            let mut present: Vec<f64> = features.iter().filter_map(|r| r[c]).collect();
            present.sort_by(f64::total_cmp);
            median_of_sorted(&present)
        })
        .collect();
    let mut data = Dataset {
        features: Vec::new(),
        labels: Vec::new(),
    };
    for (row, label) in features.into_iter().zip(labels) {
        if missing == MissingValues::DropRows && row.iter().any(Option::is_none) {
            continue;
        }
        data.features.push(
            row.iter()
                .zip(&medians)
                .map(|(v, m)| v.unwrap_or(*m))
                .collect(),
        );
        data.labels.push(label);
    }
    Ok(data)
}

fn median_of_sorted(values: &[f64]) -> f64 {
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Header skipped; quotes stripped (neither file quotes a comma).
fn read_rows(path: &Path) -> Result<Vec<(usize, Vec<String>)>, DataError> {
    let text = std::fs::read_to_string(path).map_err(|source| DataError::Io {
        path: path.to_owned(),
        source,
    })?;
    Ok(text
        .lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            (
                i + 1,
                l.split(',')
                    .map(|f| f.trim().trim_matches('"').to_owned())
                    .collect(),
            )
        })
        .collect())
}

fn parse_number(path: &Path, line: usize, field: &str) -> Result<f64, DataError> {
    field
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| parse_error(path, line, &format!("not a number: {field:?}")))
}

fn parse_label(
    path: &Path,
    line: usize,
    field: &str,
    negative: &str,
    positive: &str,
) -> Result<u8, DataError> {
    match field {
        f if f == negative => Ok(0),
        f if f == positive => Ok(1),
        other => Err(parse_error(path, line, &format!("unknown label {other:?}"))),
    }
}

fn check_rectangular(path: &Path, data: &Dataset) -> Result<(), DataError> {
    let dims = data.dims();
    match data.features.iter().position(|r| r.len() != dims) {
        Some(row) => Err(parse_error(
            path,
            row + 2,
            "row length differs from the first row",
        )),
        None => Ok(()),
    }
}

fn parse_error(path: &Path, line: usize, reason: &str) -> DataError {
    DataError::Parse {
        path: path.to_owned(),
        line,
        reason: reason.to_owned(),
    }
}

/// Shuffles with a ChaCha20 stream from `seed` and holds out `test_fraction` of the rows.
pub fn train_test_split(data: &Dataset, test_fraction: f64, seed: u64) -> (Dataset, Dataset) {
    let mut order: Vec<usize> = (0..data.len()).collect();
    order.shuffle(&mut ChaCha20Rng::seed_from_u64(seed));
    let test_len = (data.len() as f64 * test_fraction).round() as usize;
    let (test, train) = order.split_at(test_len);
    (data.select(train), data.select(test))
}

/// Per-feature mean and standard deviation of a training set, applied unchanged to test rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Standardizer {
    pub mean: Vec<f64>,
    pub std_dev: Vec<f64>,
}

impl Standardizer {
    /// Fits on `train`; a constant column gets deviation 1 so it maps to 0 rather than NaN.
    pub fn fit(train: &Dataset) -> Standardizer {
        let n = train.len().max(1) as f64;
        let dims = train.dims();
        let mean: Vec<f64> = (0..dims)
            .map(|c| train.features.iter().map(|r| r[c]).sum::<f64>() / n)
            .collect();
        let std_dev = (0..dims)
            .map(|c| {
                let var = train
                    .features
                    .iter()
                    .map(|r| (r[c] - mean[c]).powi(2))
                    .sum::<f64>()
                    / n;
                if var > 0.0 { var.sqrt() } else { 1.0 }
            })
            .collect();
        Standardizer { mean, std_dev }
    }

    pub fn apply(&self, data: &Dataset) -> Dataset {
        Dataset {
            features: data
                .features
                .iter()
                .map(|r| {
                    r.iter()
                        .enumerate()
                        .map(|(c, v)| (v - self.mean[c]) / self.std_dev[c])
                        .collect()
                })
                .collect(),
            labels: data.labels.clone(),
        }
    }
}

/// How rows are dealt to hospitals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partition {
    /// Round-robin over the (already shuffled) rows: every hospital sees both classes in proportion.
    Iid,
    /// Rows sorted by label, then cut into contiguous blocks: most hospitals hold one class only.
    LabelSkew,
}

/// Splits `data` across `hospitals` sites (horizontal partition: same columns, disjoint rows).
pub fn partition(data: &Dataset, hospitals: usize, how: Partition) -> Vec<Dataset> {
    let hospitals = hospitals.max(1);
    let mut order: Vec<usize> = (0..data.len()).collect();
    let assignment: Vec<Vec<usize>> = match how {
        Partition::Iid => (0..hospitals)
            .map(|h| order.iter().copied().skip(h).step_by(hospitals).collect())
            .collect(),
        Partition::LabelSkew => {
            order.sort_by_key(|&i| data.labels[i]);
            let chunk = data.len().div_ceil(hospitals);
            order.chunks(chunk.max(1)).map(<[usize]>::to_vec).collect()
        }
    };
    assignment.iter().map(|rows| data.select(rows)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wdbc_has_569_rows_of_30_features_and_212_malignant() {
        let data = load_wdbc(&tabular_dir().join("wdbc.csv")).unwrap();
        assert_eq!((data.len(), data.dims()), (569, 30));
        assert_eq!(data.labels.iter().filter(|&&l| l == 1).count(), 212);
    }

    #[test]
    fn bcw_drops_16_na_rows_or_imputes_them_with_the_median() {
        let path = tabular_dir().join("bcw_original.csv");
        let dropped = load_bcw(&path, MissingValues::DropRows).unwrap();
        let imputed = load_bcw(&path, MissingValues::MedianImpute).unwrap();
        assert_eq!((dropped.len(), dropped.dims()), (683, 9));
        assert_eq!(imputed.len(), 699);
        assert_eq!(imputed.labels.iter().filter(|&&l| l == 1).count(), 241);
        // V6's median over the 683 present values is 1.
        assert_eq!(
            imputed.features.iter().filter(|r| r[5] == 1.0).count(),
            402 + 16
        );
    }

    #[test]
    fn split_is_deterministic_disjoint_and_80_20() {
        let data = load_wdbc(&tabular_dir().join("wdbc.csv")).unwrap();
        let (train, test) = train_test_split(&data, 0.2, 7);
        assert_eq!((train.len(), test.len()), (455, 114));
        assert_eq!(train_test_split(&data, 0.2, 7), (train.clone(), test));
        assert_ne!(train_test_split(&data, 0.2, 8).0, train);
    }

    #[test]
    fn standardized_train_columns_have_zero_mean_and_unit_deviation() {
        let data = load_wdbc(&tabular_dir().join("wdbc.csv")).unwrap();
        let (train, _) = train_test_split(&data, 0.2, 1);
        let scaled = Standardizer::fit(&train).apply(&train);
        let again = Standardizer::fit(&scaled);
        assert!(again.mean.iter().all(|m| m.abs() < 1e-9));
        assert!(again.std_dev.iter().all(|s| (s - 1.0).abs() < 1e-9));
    }

    #[test]
    fn partitions_cover_every_row_once_and_label_skew_separates_classes() {
        let data = load_wdbc(&tabular_dir().join("wdbc.csv")).unwrap();
        for how in [Partition::Iid, Partition::LabelSkew] {
            let parts = partition(&data, 4, how);
            assert_eq!(parts.len(), 4);
            assert_eq!(parts.iter().map(Dataset::len).sum::<usize>(), data.len());
        }
        let skewed = partition(&data, 4, Partition::LabelSkew);
        assert!(skewed[0].labels.iter().all(|&l| l == 0));
        assert!(skewed[3].labels.iter().all(|&l| l == 1));
    }
}
