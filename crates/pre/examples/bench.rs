//! Timings and sizes of the threshold PRE, as a markdown table: the median of `--runs` runs
//! (default 101) per operation and `(t, n)`.
//!
//! `cargo run --release -p medshare-pre --example bench [-- --runs N]`

use std::time::{Duration, Instant};

use medshare_pre::{
    CAPSULE_SIZE, CFRAG_SIZE, CFrag, DELEGATION_SIZE, Delegation, KFRAG_SIZE, KFrag, SecretKey,
    Signer, VerifiedCFrag, decapsulate_reencrypted, encapsulate, generate_kfrags, open_reencrypted,
    seal,
};
use rand::SeedableRng;
use rand::rngs::StdRng;

const THRESHOLDS: [(u8, u8); 4] = [(3, 4), (5, 7), (7, 10), (11, 16)];

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Runs `prepare` untimed, then times `measure` on its output; median over `runs`.
fn time<T, R>(
    runs: usize,
    mut prepare: impl FnMut() -> T,
    mut measure: impl FnMut(T) -> R,
) -> Duration {
    let samples = (0..runs)
        .map(|_| {
            let input = prepare();
            let start = Instant::now();
            std::hint::black_box(measure(input));
            start.elapsed()
        })
        .collect();
    median(samples)
}

fn ms(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64() * 1e3)
}

fn main() {
    let runs = std::env::args()
        .skip_while(|arg| arg != "--runs")
        .nth(1)
        .map(|runs| runs.parse::<usize>().expect("--runs takes a number"))
        .unwrap_or(101);
    let mut rng = StdRng::from_entropy();
    let delegating = SecretKey::random(&mut rng);
    let signer = Signer::random(&mut rng);
    let recipient = SecretKey::random(&mut rng);
    let payload = [7u8; 32];

    println!("threshold PRE (Ristretto255), median of {runs} runs, one thread, times in ms\n");
    let encapsulate_time = time(
        runs,
        || (),
        |()| encapsulate(&delegating.public_key(), &mut rng),
    );
    let seal_time = time(
        runs,
        || (),
        |()| seal(&delegating.public_key(), &payload, b"", &mut rng),
    );
    println!("| operation | ms |");
    println!("|---|---:|");
    println!(
        "| encapsulate (capsule + 32-byte key) | {} |",
        ms(encapsulate_time)
    );
    println!(
        "| seal (encapsulate + ChaCha20-Poly1305 of a 32-byte data key) | {} |\n",
        ms(seal_time)
    );

    println!(
        "| t of n | generate n kfrags | peer: verify kfrag | peer: re-encrypt | recipient: verify 1 cfrag | combine t | verify t + combine + decrypt |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (threshold, shares) in THRESHOLDS {
        let delegation = Delegation::new(
            [1; 32],
            delegating.public_key(),
            signer.verifying_key(),
            recipient.public_key(),
            threshold,
            shares,
            u64::MAX,
        )
        .expect("valid threshold");
        let generate = time(
            runs,
            || (),
            |()| generate_kfrags(&delegating, &signer, &delegation, &mut rng).expect("own keys"),
        );
        let kfrags =
            generate_kfrags(&delegating, &signer, &delegation, &mut rng).expect("own keys");
        let kfrag_bytes = kfrags[0].to_bytes();
        let verify_kfrag = time(
            runs,
            || KFrag::from_bytes(&kfrag_bytes[..]).expect("own encoding"),
            |kfrag| kfrag.verify(&delegation).expect("genuine"),
        );
        let (capsule, ciphertext) = seal(&delegating.public_key(), &payload, b"", &mut rng);
        let reencrypt = time(
            runs,
            || (),
            |()| {
                kfrags[0]
                    .reencrypt(&capsule, 0, &mut rng)
                    .expect("not expired")
            },
        );
        let cfrag_bytes: Vec<_> = kfrags
            .iter()
            .take(usize::from(threshold))
            .map(|kfrag| {
                kfrag
                    .reencrypt(&capsule, 0, &mut rng)
                    .expect("not expired")
                    .to_bytes()
            })
            .collect();
        let decode = |bytes: &[u8; CFRAG_SIZE]| CFrag::from_bytes(bytes).expect("own encoding");
        let verify_cfrag = time(
            runs,
            || decode(&cfrag_bytes[0]),
            |cfrag| cfrag.verify(&capsule, &delegation).expect("genuine"),
        );
        let verified: Vec<VerifiedCFrag> = cfrag_bytes
            .iter()
            .map(|bytes| {
                decode(bytes)
                    .verify(&capsule, &delegation)
                    .expect("genuine")
            })
            .collect();
        let combine = time(
            runs,
            || (),
            |()| {
                decapsulate_reencrypted(&recipient, &delegation, &capsule, &verified)
                    .expect("t fragments")
            },
        );
        let recipient_total = time(
            runs,
            || cfrag_bytes.iter().map(decode).collect::<Vec<_>>(),
            |cfrags| {
                let verified: Vec<_> = cfrags
                    .into_iter()
                    .map(|cfrag| cfrag.verify(&capsule, &delegation).expect("genuine"))
                    .collect();
                open_reencrypted(
                    &recipient,
                    &delegation,
                    &capsule,
                    &verified,
                    &ciphertext,
                    b"",
                )
                .expect("opens")
            },
        );
        println!(
            "| {threshold} of {shares} | {} | {} | {} | {} | {} | {} |",
            ms(generate),
            ms(verify_kfrag),
            ms(reencrypt),
            ms(verify_cfrag),
            ms(combine),
            ms(recipient_total)
        );
    }

    println!("\n| encoding | bytes |");
    println!("|---|---:|");
    println!("| capsule | {CAPSULE_SIZE} |");
    println!(
        "| sealed 32-byte data key (ciphertext + tag) | {} |",
        payload.len() + 16
    );
    println!("| key fragment | {KFRAG_SIZE} |");
    println!("| capsule fragment (with proof and signed commitment) | {CFRAG_SIZE} |");
    println!("| delegation | {DELEGATION_SIZE} |");
    println!(
        "| n key fragments for 3 of 4 / 11 of 16 | {} / {} |",
        4 * KFRAG_SIZE,
        16 * KFRAG_SIZE
    );

    println!(
        "\nseed 001 (Huang et al. 2020): no re-encryption timing or size is reported (§5.2 \
         measures only block time and the zk-SNARK); its single-proxy pairing PRE does not \
         decrypt as printed (spec A.5.1). Issue 13's bar: re-encryption <= 2 ms per peer, \
         combination of 3 of 4 <= 5 ms."
    );
}
