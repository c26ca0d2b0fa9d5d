//! Paillier, threshold Paillier and secure-SVM timings at 2048 bits, beside seed 003's figures.
//!
//! `cargo run --release -p medshare-he --example bench` (one thread). Each primitive is the
//! median of N runs; the training rows are one 80/20 split of BCWD / WDBC (seed 0), trained
//! encrypted and in plaintext fixed point, plus the f64 baseline averaged over 10 splits.

use std::time::{Duration, Instant};

use medshare_he::data::{Dataset, Standardizer, data_dir, load_bcw, load_wdbc};
use medshare_he::horizontal::{self, ModelOwner};
use medshare_he::paillier::{PRODUCTION_MODULUS_BITS, SecretKey};
use medshare_he::svm::{GradientDescent, LinearModel, train_centralised};
use medshare_he::threshold::deal;
use medshare_he::vertical::{self, VerticalConfig};
use num_bigint::{BigInt, RandBigInt};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn median<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

fn pct(x: f64) -> String {
    format!("{:.2} %", 100.0 * x)
}

fn prepared(data: &Dataset, seed: u64) -> (Dataset, Dataset) {
    let (train, test) = data.split(0.2, seed);
    let scaler = Standardizer::fit(&train);
    (scaler.apply(&train), scaler.apply(&test))
}

/// Mean (precision, recall, accuracy) of the f64 full-batch GD baseline over 10 splits.
fn baseline(data: &Dataset) -> (f64, f64, f64) {
    let runs: Vec<_> = (0..10)
        .map(|seed| {
            let (train, test) = prepared(data, seed);
            train_centralised(&train, &GradientDescent::PAPER_BASELINE).evaluate(&test)
        })
        .collect();
    let mean = |f: fn(&medshare_he::data::Metrics) -> f64| runs.iter().map(f).sum::<f64>() / 10.0;
    (
        mean(|m| m.precision),
        mean(|m| m.recall),
        mean(|m| m.accuracy),
    )
}

fn main() {
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    let bits = PRODUCTION_MODULUS_BITS;
    println!("## Paillier primitives, {bits}-bit N (ms, median)\n");
    println!("| op | runs | ours | spec §6.4 (num-bigint / rug) |");
    println!("|---|---|---|---|");
    let keygen = median(3, || SecretKey::generate(bits, &mut rng).unwrap());
    println!("| keygen (two 1024-bit primes) | 3 | {} | — |", ms(keygen));
    let sk = SecretKey::generate(bits, &mut rng).unwrap();
    let pk = sk.public().clone();
    let m = rng.gen_biguint_below(pk.modulus());
    let c = pk.encrypt(&m, &mut rng).unwrap();
    let c2 = pk.encrypt(&m, &mut rng).unwrap();
    let k = BigInt::from(0x9abc_def1u32);
    let rows = [
        (
            "encrypt (r^N mod N²)",
            11,
            median(11, || pk.encrypt(&m, &mut rng).unwrap()),
            "20.6 / 11.5",
        ),
        (
            "decrypt (CRT)",
            11,
            median(11, || sk.decrypt(&c)),
            "5.2 / 4.4",
        ),
        (
            "add (mulmod N²)",
            101,
            median(101, || pk.add(&c, &c2)),
            "0.011 / 0.006",
        ),
        (
            "scalar mul, 32-bit",
            11,
            median(11, || pk.mul_scalar(&c, &k)),
            "0.65 / 0.21",
        ),
        (
            "negate (inverse mod N²)",
            11,
            median(11, || pk.negate(&c)),
            "— / 0.036",
        ),
    ];
    for (op, runs, t, paper) in rows {
        println!("| {op} | {runs} | {} | {paper} |", ms(t));
    }

    println!("\n## Threshold Paillier, 2-of-3, {bits}-bit N (ms)\n");
    println!("| op | runs | ours | reference |");
    println!("|---|---|---|---|");
    let start = Instant::now();
    let (tkey, shares) = deal(bits, 2, 3, &mut rng).unwrap();
    println!(
        "| dealer keygen (two 1024-bit safe primes) | 1 | {} | — |",
        ms(start.elapsed())
    );
    let tc = tkey.public().encrypt(&m, &mut rng).unwrap();
    let partial = median(5, || tkey.partial_decrypt(&shares[0], &tc, &mut rng));
    println!(
        "| partial decryption + DLEQ proof | 5 | {} | spec §6.4: 24.1 (rug, no proof); issue bar ≤ 30 |",
        ms(partial)
    );
    let partials: Vec<_> = shares
        .iter()
        .map(|s| tkey.partial_decrypt(s, &tc, &mut rng))
        .collect();
    let verify = median(5, || tkey.verify_partial(&tc, &partials[1]).unwrap());
    println!(
        "| verify one partial | 5 | {} | issue bar ≤ 30 |",
        ms(verify)
    );
    let combine = median(5, || tkey.combine(&tc, &partials[1..]).unwrap());
    println!(
        "| combine 2 partials (verifies both) | 5 | {} | paper: 5.4 per iteration at 256 bits |",
        ms(combine)
    );
    assert_eq!(tkey.combine(&tc, &partials).unwrap().plaintext, m);

    let dir = data_dir();
    let bcw = load_bcw(&dir.join("tabular/bcw_original.csv")).unwrap();
    let wdbc = load_wdbc(&dir.join("tabular/wdbc.csv")).unwrap();

    println!(
        "\n## Horizontal secure SVM (ch. 4), 3 hospitals, {bits}-bit N, η 0.1, λ 1e-3, T 200\n"
    );
    println!(
        "| dataset | one round (ms, median of 5) | total T rounds (s) | secure P / R / acc | = plaintext fixed point | max |Δ| to f64 | f64 GD, 10 splits P / R / acc | paper secureSVM P / R, total |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut horizontal_bcw = None;
    for (name, data, paper) in [
        ("BCWD", &bcw, "90.35 / 96.19 %, 3195 s (1024-bit)"),
        ("WDBC (HDD stand-in)", &wdbc, "HDD 93.89 / 89.78 %, 1935 s"),
    ] {
        let (train, test) = prepared(data, 0);
        let hospitals = horizontal::split_rows(&train, 3);
        let config = GradientDescent::PAPER_BASELINE;
        let mut probe = ModelOwner::new(sk.clone(), train.dimension(), 3, config).unwrap();
        let round = median(5, || {
            horizontal::run_round(&mut probe, &hospitals, &mut rng).unwrap()
        });
        let mut owner = ModelOwner::new(sk.clone(), train.dimension(), 3, config).unwrap();
        let start = Instant::now();
        let secure = horizontal::train_secure(&mut owner, &hospitals, &mut rng).unwrap();
        let total = start.elapsed();
        let plain = horizontal::train_plaintext(&hospitals, train.dimension(), &config).unwrap();
        let f64_model = train_centralised(&train, &config);
        let metrics = secure.evaluate(&test);
        let (bp, br, ba) = baseline(data);
        horizontal_bcw.get_or_insert(secure.clone());
        println!(
            "| {name} | {} | {:.2} | {} / {} / {} | {} | {:.1e} | {} / {} / {} | {paper} |",
            ms(round),
            total.as_secs_f64(),
            pct(metrics.precision),
            pct(metrics.recall),
            pct(metrics.accuracy),
            if secure == plain {
                "yes (bit-identical)"
            } else {
                "NO"
            },
            secure.max_difference(&f64_model),
            pct(bp),
            pct(br),
            pct(ba),
        );
    }

    let config = VerticalConfig::DEFAULT.for_key(&tkey).unwrap();
    println!(
        "\n## Vertical secure SVM (ch. 5), 3 parties 3/3/3 columns, 2-of-3, {bits}-bit N, batch {}, η {}, λ {}, {} epochs\n",
        config.batch_size, config.learning_rate, config.regularization, config.epochs
    );
    println!(
        "| dataset | one epoch (s, median of epochs) | total (s) | iterations | secure P / R / acc | = plaintext fixed point | paper PP-SVM P / R, total |"
    );
    println!("|---|---|---|---|---|---|---|");
    let (train, test) = prepared(&bcw, 0);
    let mut parties = vertical::setup_parties(&train, &tkey, &shares, &mut rng).unwrap();
    let mut plain = parties.clone();
    let schedule = vertical::agree_schedule(&parties).unwrap();
    let mut epochs = Vec::new();
    let mut iterations = 0;
    for epoch in 0..config.epochs {
        let start = Instant::now();
        for batch in schedule.batches(epoch, train.len(), config.batch_size) {
            vertical::run_batch(&mut parties, &batch, &config, &mut rng).unwrap();
            iterations += 1;
        }
        epochs.push(start.elapsed());
    }
    let total: Duration = epochs.iter().sum();
    epochs.sort();
    vertical::train_plaintext(&mut plain, &config).unwrap();
    let secure: LinearModel = vertical::assemble_model(&parties);
    let metrics = secure.evaluate(&test);
    println!(
        "| BCWD | {:.2} | {:.2} | {iterations} batches of ≤ {} | {} / {} / {} | {} | 91.60 / 99.58 %, 384.6 s for 1500 iterations at 256 bits |",
        epochs[epochs.len() / 2].as_secs_f64(),
        total.as_secs_f64(),
        config.batch_size,
        pct(metrics.precision),
        pct(metrics.recall),
        pct(metrics.accuracy),
        if secure == vertical::assemble_model(&plain) {
            "yes (bit-identical)"
        } else {
            "NO"
        },
    );
    let horizontal_bcw = horizontal_bcw.expect("BCWD ran first");
    let disagree = test
        .features
        .iter()
        .filter(|x| (secure.score(x) >= 0.0) != (horizontal_bcw.score(x) >= 0.0))
        .count();
    let (wtrain, wtest) = prepared(&wdbc, 0);
    let mut wplain = vertical::setup_parties(&wtrain, &tkey, &shares, &mut rng).unwrap();
    vertical::train_plaintext(&mut wplain, &config).unwrap();
    let wm = vertical::assemble_model(&wplain).evaluate(&wtest);
    println!(
        "| WDBC 10/10/10 (ACAD stand-in), plaintext fixed point only | — | — | — | {} / {} / {} | (same code path) | ACAD 88.70 / 81.98 % |",
        pct(wm.precision),
        pct(wm.recall),
        pct(wm.accuracy)
    );
    println!(
        "\nBCWD test rows where the vertical and horizontal models disagree: {disagree} of {}; max |Δ| between their coefficients: {:.3}",
        test.len(),
        secure.max_difference(&horizontal_bcw)
    );
}
