//! Federated training on WDBC through SecAgg: exact against plaintext, accurate against the baseline.

use medshare_fl::data::{
    Partition, Standardizer, load_wdbc, partition, tabular_dir, train_test_split,
};
use medshare_fl::federated::{Task, centralized, plaintext_fedavg, secure_fedavg};
use medshare_fl::fixed::FixedPoint;
use medshare_fl::model::{Training, evaluate};
use medshare_fl::secagg::default_threshold;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

#[test]
fn secure_fedavg_on_wdbc_equals_plaintext_fixed_point_and_reaches_the_baseline() {
    let data = load_wdbc(&tabular_dir().join("wdbc.csv")).unwrap();
    let (train, test) = train_test_split(&data, 0.2, 11);
    let scaler = Standardizer::fit(&train);
    let (train, test) = (scaler.apply(&train), scaler.apply(&test));
    let hospitals = partition(&train, 5, Partition::Iid);
    let task = Task {
        id: [1; 32],
        rounds: 15,
        local: Training {
            learning_rate: 0.5,
            l2: 1e-3,
            epochs: 5,
        },
        fixed: FixedPoint::new(24, 8, 1000, hospitals.len()).unwrap(),
        threshold: default_threshold(hospitals.len()),
    };
    let secure = secure_fedavg(&hospitals, &task, &mut ChaCha20Rng::seed_from_u64(5)).unwrap();
    assert_eq!(secure, plaintext_fedavg(&hospitals, &task).unwrap());

    let federated = evaluate(&task.fixed.dequantize(&secure), &test);
    let central = evaluate(&centralized(&train, &task), &test);
    // Spec §6.3: sklearn logistic regression on standardised WDBC, 97.02 % (mean of 10 splits).
    assert!(federated.accuracy >= 0.95, "{federated:?}");
    assert!(
        (federated.accuracy - central.accuracy).abs() <= 0.02,
        "{federated:?} vs {central:?}"
    );
}
