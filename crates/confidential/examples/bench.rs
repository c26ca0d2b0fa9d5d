//! Benchmark of confidential transfers beside seed 004's figures (spec §5.4).
//!
//! `cargo run --release -p medshare-confidential --example bench [RUNS]` — prints a markdown
//! table of medians over RUNS runs (default 21), one thread.

use std::hint::black_box;
use std::time::{Duration, Instant};

use medshare_confidential::sigma::{KeyProof, PlaintextProof};
use medshare_confidential::{
    Ciphertext, Context, DlogTable, SecretKey, Transfer, TransferClaim, Withdraw, verify_transfers,
};
use rand::thread_rng;

const CONTEXT: Context = Context {
    chain_id: b"medshare-bench",
    account: b"alice",
    nonce: 1,
};
const BATCH: usize = 16;

/// Median wall time of `runs` calls; the result goes through `black_box` so none is optimized out.
fn median<T>(runs: usize, mut work: impl FnMut() -> T) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            black_box(work());
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .map_or(21, |arg| arg.parse().expect("RUNS is a number"));
    let mut rng = thread_rng();
    let alice = SecretKey::generate(&mut rng);
    let bob = SecretKey::generate(&mut rng);
    let (alice_pk, bob_pk) = (alice.public_key(), bob.public_key());
    let (balance, _) = alice_pk.encrypt(1_000_000, &mut rng);

    let prove_transfer = || {
        Transfer::prove(
            &CONTEXT,
            &alice,
            &balance,
            1_000_000,
            &bob_pk,
            4_321,
            &mut thread_rng(),
        )
        .unwrap()
    };
    let transfer = prove_transfer();
    let transfer_prove = median(runs, &prove_transfer);
    let transfer_verify = median(runs, || {
        transfer
            .verify(&CONTEXT, &alice_pk, &bob_pk, &balance)
            .unwrap()
    });
    let decode = median(runs, || Transfer::from_bytes(&transfer.to_bytes()).unwrap());

    let batch: Vec<Transfer> = (0..BATCH).map(|_| prove_transfer()).collect();
    let claims: Vec<TransferClaim> = batch
        .iter()
        .map(|transfer| TransferClaim {
            transfer,
            context: CONTEXT,
            sender: &alice_pk,
            receiver: &bob_pk,
            sender_balance: &balance,
        })
        .collect();
    let batch_verify = median(runs.div_ceil(4), || verify_transfers(&claims).unwrap());

    let prove_withdraw = || {
        Withdraw::prove(
            &CONTEXT,
            &alice,
            &balance,
            1_000_000,
            999,
            &mut thread_rng(),
        )
        .unwrap()
    };
    let withdraw = prove_withdraw();
    let withdraw_prove = median(runs, prove_withdraw);
    let withdraw_verify = median(runs, || {
        withdraw.verify(&CONTEXT, &alice_pk, &balance).unwrap()
    });

    let (credit, plaintext) = PlaintextProof::encrypt(&CONTEXT, &bob_pk, 77, &mut rng);
    let plaintext_verify = median(runs, || {
        plaintext.verify(&CONTEXT, &bob_pk, &credit, 77).unwrap()
    });
    let key_proof = KeyProof::prove(&CONTEXT, &alice, &mut rng);
    let key_verify = median(runs, || key_proof.verify(&CONTEXT, &alice_pk).unwrap());

    let mut table_rows = Vec::new();
    for bits in [16, DlogTable::DEFAULT_BABY_BITS, 20] {
        let build_runs = if bits > DlogTable::DEFAULT_BABY_BITS {
            1
        } else {
            3
        };
        let build = median(build_runs, || DlogTable::new(bits));
        let table = DlogTable::new(bits);
        let worst = alice_pk.encrypt(u64::from(u32::MAX), &mut rng).0;
        let typical = alice_pk.encrypt(1_000_000, &mut rng).0;
        let decrypt_worst = median(runs.min(7), || {
            assert!(alice.decrypt(&worst, &table).is_some())
        });
        let decrypt_typical = median(runs.min(7), || {
            assert!(alice.decrypt(&typical, &table).is_some())
        });
        table_rows.push((bits, table.len(), build, decrypt_worst, decrypt_typical));
    }

    println!(
        "Median of {runs} runs, one thread, `--release` (batch: median of {} runs of {BATCH}).\n",
        runs.div_ceil(4)
    );
    println!("| what | medshare-confidential | seed 004 (Mo et al. 2022) | issue 17 bar |");
    println!("|---|---|---|---|");
    println!(
        "| transfer size | {} B ({} B proof with Y', 96 B ciphertext points) | 3 260 B proof (Table 1) | ≤ 1.2 KB |",
        Transfer::ENCODED_LEN,
        Transfer::ENCODED_LEN - 96,
    );
    println!(
        "| transfer prove | {} | \"more than twice as fast as Bulletproofs\" (Fig. 4, no values) | ≤ 50 ms |",
        ms(transfer_prove)
    );
    println!(
        "| transfer verify | {} | faster than Bulletproofs (Fig. 4, no values) | ≤ 5 ms |",
        ms(transfer_verify)
    );
    println!(
        "| transfer verify, batch of {BATCH} (per transfer) | {} | 2 pairings per proof, eq. (29) | |",
        ms(batch_verify / BATCH as u32)
    );
    println!("| transfer decode (strict) | {} | — | |", ms(decode));
    println!(
        "| withdraw size | {} B | — (no withdraw) | |",
        Withdraw::ENCODED_LEN
    );
    println!("| withdraw prove | {} | — | |", ms(withdraw_prove));
    println!("| withdraw verify | {} | — | |", ms(withdraw_verify));
    println!(
        "| plaintext (deposit) proof size / verify | {} B / {} | — | |",
        PlaintextProof::ENCODED_LEN,
        ms(plaintext_verify)
    );
    println!(
        "| key proof size / verify | {} B / {} | — | |",
        KeyProof::ENCODED_LEN,
        ms(key_verify)
    );
    println!(
        "| ciphertext size | {} B | 3 group elements | |",
        Ciphertext::ENCODED_LEN
    );
    for (bits, entries, build, worst, typical) in table_rows {
        println!(
            "| DLOG table 2^{bits} ({entries} entries): build / decrypt 2^32−1 / decrypt 10^6 | {} / {} / {} | \"small plaintext space\" | decrypt ≤ 50 ms |",
            ms(build),
            ms(worst),
            ms(typical)
        );
    }
}
