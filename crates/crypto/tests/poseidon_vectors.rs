//! The published Poseidon vectors (`tests/vectors/poseidon.json`) hold for the native hash.
//! `medshare-zk` checks the same file against the in-circuit gadget.
//!
//! After an intended change of the hash, regenerate the file with
//! `MEDSHARE_WRITE_VECTORS=1 cargo test -p medshare-crypto --test poseidon_vectors`
//! and say so loudly: every commitment on chain changes with it.

use ark_ff::{BigInteger, PrimeField};
use medshare_crypto::poseidon::{Domain, Fr, alpha_from_data, hash, hash_bytes};
use serde_json::{Value, json};

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/poseidon.json");

fn hex_fr(x: &Fr) -> String {
    format!("0x{}", hex::encode(x.into_bigint().to_bytes_be()))
}

/// The inputs we publish outputs for: each domain at the arity medshare uses it with, plus a
/// few lengths around the rate and chunk boundaries.
fn element_cases() -> Vec<(Domain, Vec<u64>)> {
    vec![
        (Domain::Pk, vec![0]),
        (Domain::Pk, vec![42]),
        (Domain::Reg, vec![1, 2, 3]),
        (Domain::Auth, vec![1, 2, 3, 4]),
        (Domain::Node, vec![0, 0, 0, 0]),
        (Domain::Node, vec![1, 2, 3, 4]),
        (Domain::Node, vec![2, 1, 3, 4]),
        (Domain::Bind, vec![]),
        (Domain::Bind, vec![1, 2, 3, 4, 5]),
    ]
}

fn byte_cases() -> Vec<(Domain, Vec<u8>)> {
    vec![
        (Domain::Bind, Vec::new()),
        (Domain::Bind, b"medshare".to_vec()),
        (Domain::Bind, vec![0; 31]),
        (Domain::Bind, vec![0; 32]),
        (Domain::Bind, (0..=255).collect()),
    ]
}

fn alpha_cases() -> Vec<Vec<u8>> {
    vec![Vec::new(), b"abc".to_vec()]
}

fn compute() -> Value {
    let (elements, bytes, alphas) = (element_cases(), byte_cases(), alpha_cases());
    json!({
        "about": "medshare Poseidon (crates/crypto/src/poseidon.rs): BLS12-381 scalar field, x^5, \
                  R_F = 8, R_P = 57 (width 3) / 60 (width 5), Grain LFSR constants; capacity \
                  element = domain tag. Field elements are 0x-prefixed big-endian hex.",
        "hash": elements.iter().map(|(domain, inputs)| {
            let inputs: Vec<Fr> = inputs.iter().map(|&i| Fr::from(i)).collect();
            json!({
                "domain": domain.name(),
                "inputs": inputs.iter().map(hex_fr).collect::<Vec<_>>(),
                "output": hex_fr(&hash(*domain, &inputs)),
            })
        }).collect::<Vec<_>>(),
        "hash_bytes": bytes.iter().map(|(domain, data)| json!({
            "domain": domain.name(),
            "bytes": hex::encode(data),
            "output": hex_fr(&hash_bytes(*domain, data)),
        })).collect::<Vec<_>>(),
        "alpha": alphas.iter().map(|data| json!({
            "data": hex::encode(data),
            "alpha": hex_fr(&alpha_from_data(data)),
        })).collect::<Vec<_>>(),
    })
}

#[test]
fn native_hash_matches_published_vectors() {
    let computed = compute();
    if std::env::var_os("MEDSHARE_WRITE_VECTORS").is_some() {
        let text = serde_json::to_string_pretty(&computed).unwrap() + "\n";
        std::fs::write(FILE, text).unwrap();
    }
    let published: Value = serde_json::from_str(&std::fs::read_to_string(FILE).unwrap()).unwrap();
    for section in ["hash", "hash_bytes", "alpha"] {
        let (ours, theirs) = (&computed[section], &published[section]);
        assert_eq!(
            ours.as_array().map(Vec::len),
            theirs.as_array().map(Vec::len)
        );
        for (ours, theirs) in ours
            .as_array()
            .unwrap()
            .iter()
            .zip(theirs.as_array().unwrap())
        {
            assert_eq!(ours, theirs, "{section}");
        }
    }
}

#[test]
fn every_domain_gives_a_different_hash_of_the_same_inputs() {
    let inputs = [Fr::from(1u8), Fr::from(2u8)];
    let outputs: Vec<Fr> = Domain::ALL.iter().map(|&d| hash(d, &inputs)).collect();
    for (i, a) in outputs.iter().enumerate() {
        for b in &outputs[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

#[test]
fn input_length_is_bound() {
    // Implicit zero padding must not make [x] and [x, 0] collide, nor bytes with a trailing 0.
    let x = Fr::from(7u8);
    assert_ne!(
        hash(Domain::Bind, &[x]),
        hash(Domain::Bind, &[x, Fr::from(0u8)])
    );
    assert_ne!(
        hash_bytes(Domain::Bind, b"ab"),
        hash_bytes(Domain::Bind, b"ab\0")
    );
}
