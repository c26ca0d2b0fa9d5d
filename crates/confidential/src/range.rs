//! Batch verification of bulletproofs 5 range proofs.
//!
//! bulletproofs 5 verifies one proof per multiscalar multiplication and exposes no way to
//! combine proofs, yet 90 % of a transfer's verification is its range proof. This module replays
//! the library's verification equation (`RangeProof::verify_multiple`, same transcript
//! operations and labels, so the transcript afterwards is identical) and adds each proof's terms,
//! under a random weight, to the caller's [`Equations`]. The `2·64·m` generator terms of all
//! proofs fold into one set. Single verifications keep using the library; the tests check that
//! both accept and refuse the same proofs.

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use merlin::Transcript;
use sha3::Shake256;
use sha3::digest::{ExtendableOutput, Update, XofReader};

use crate::encoding::{decode_point, decode_scalar};
use crate::sigma::Equations;
use crate::{Error, RANGE_BITS, challenge_scalar, generators};

/// The vectors `G_j`, `H_j` of each party `j`, derived as bulletproofs 5's `BulletproofGens`
/// derives them (it keeps its own private): SHAKE256("GeneratorsChain" ‖ label ‖ index).
pub(crate) struct RangeGenerators {
    pub(crate) g: Vec<Vec<RistrettoPoint>>,
    pub(crate) h: Vec<Vec<RistrettoPoint>>,
}

impl RangeGenerators {
    pub(crate) fn new(bits: usize, parties: usize) -> Self {
        let chain = |letter: u8, party: usize| {
            let mut label = [letter, 0, 0, 0, 0];
            label[1..].copy_from_slice(&(party as u32).to_le_bytes());
            let mut shake = Shake256::default();
            shake.update(b"GeneratorsChain");
            shake.update(&label);
            let mut reader = shake.finalize_xof();
            (0..bits)
                .map(|_| {
                    let mut uniform = [0u8; 64];
                    reader.read(&mut uniform);
                    RistrettoPoint::from_uniform_bytes(&uniform)
                })
                .collect()
        };
        Self {
            g: (0..parties).map(|party| chain(b'G', party)).collect(),
            h: (0..parties).map(|party| chain(b'H', party)).collect(),
        }
    }
}

/// Replays the verification of the `RANGE_BITS`-bit range proof `bytes` over `commitments` on
/// `transcript` and defers its final equation to `equations`.
pub(crate) fn defer_range_proof(
    equations: &mut Equations,
    bytes: &[u8],
    transcript: &mut Transcript,
    commitments: &[RistrettoPoint],
) -> Result<(), Error> {
    let n = RANGE_BITS;
    let m = commitments.len();
    let nm = n * m;
    let lg = nm.ilog2() as usize;
    if bytes.len() != 32 * (2 * lg + 9) {
        return Err(Error::RangeProof);
    }
    let chunk =
        |i: usize| -> [u8; 32] { bytes[32 * i..32 * (i + 1)].try_into().expect("32 bytes") };
    let point = |i: usize| -> Result<(RistrettoPoint, [u8; 32]), Error> {
        let encoding = chunk(i);
        // The library refuses the identity for every prover point (`validate_and_append_point`).
        if CompressedRistretto(encoding).is_identity() {
            return Err(Error::RangeProof);
        }
        Ok((
            decode_point(&encoding, "range proof").map_err(|_| Error::RangeProof)?,
            encoding,
        ))
    };
    let scalar = |i: usize| decode_scalar(chunk(i), "range proof").map_err(|_| Error::RangeProof);
    let (a_point, a_bytes) = point(0)?;
    let (s_point, s_bytes) = point(1)?;
    let (t1_point, t1_bytes) = point(2)?;
    let (t2_point, t2_bytes) = point(3)?;
    let (t_x, t_x_blinding, e_blinding) = (scalar(4)?, scalar(5)?, scalar(6)?);
    let ipp_a = scalar(7 + 2 * lg)?;
    let ipp_b = scalar(8 + 2 * lg)?;

    transcript.append_message(b"dom-sep", b"rangeproof v1");
    transcript.append_u64(b"n", n as u64);
    transcript.append_u64(b"m", m as u64);
    for commitment in commitments {
        transcript.append_message(b"V", commitment.compress().as_bytes());
    }
    transcript.append_message(b"A", &a_bytes);
    transcript.append_message(b"S", &s_bytes);
    let y = challenge_scalar(transcript, b"y");
    let z = challenge_scalar(transcript, b"z");
    transcript.append_message(b"T_1", &t1_bytes);
    transcript.append_message(b"T_2", &t2_bytes);
    let x = challenge_scalar(transcript, b"x");
    transcript.append_message(b"t_x", t_x.as_bytes());
    transcript.append_message(b"t_x_blinding", t_x_blinding.as_bytes());
    transcript.append_message(b"e_blinding", e_blinding.as_bytes());
    let w = challenge_scalar(transcript, b"w");

    // Inner-product rounds: challenges u_i from L_i, R_i.
    transcript.append_message(b"dom-sep", b"ipp v1");
    transcript.append_u64(b"n", nm as u64);
    let mut rounds = Vec::with_capacity(lg);
    let mut challenges = Vec::with_capacity(lg);
    for round in 0..lg {
        let (l_point, l_bytes) = point(7 + 2 * round)?;
        let (r_point, r_bytes) = point(8 + 2 * round)?;
        transcript.append_message(b"L", &l_bytes);
        transcript.append_message(b"R", &r_bytes);
        challenges.push(challenge_scalar(transcript, b"u"));
        rounds.push((l_point, r_point));
    }
    let mut inverses = challenges.clone();
    let all_inverse = Scalar::batch_invert(&mut inverses);
    let u_sq: Vec<Scalar> = challenges.iter().map(|u| u * u).collect();
    let u_inv_sq: Vec<Scalar> = inverses.iter().map(|u| u * u).collect();
    let mut s = Vec::with_capacity(nm);
    s.push(all_inverse);
    for i in 1..nm {
        let lg_i = i.ilog2() as usize;
        s.push(s[i - (1 << lg_i)] * u_sq[lg - 1 - lg_i]);
    }

    // The library's random `c` separates the two checks inside one proof.
    let c = Scalar::random(&mut rand::thread_rng());
    let zz = z * z;
    let y_inv = y.invert();
    let powers = |base: Scalar, count: usize| -> Vec<Scalar> {
        std::iter::successors(Some(Scalar::ONE), |p| Some(p * base))
            .take(count)
            .collect()
    };
    let z_powers = powers(z, m);
    let two_powers = powers(Scalar::from(2u64), n);
    let y_inv_powers = powers(y_inv, nm);
    let sum = |values: &[Scalar]| values.iter().sum::<Scalar>();
    let delta = (z - zz) * sum(&powers(y, nm)) - zz * z * sum(&two_powers) * sum(&z_powers);

    let gens = generators();
    let mut terms = vec![
        (Scalar::ONE, a_point),
        (x, s_point),
        (c * x, t1_point),
        (c * x * x, t2_point),
        (-e_blinding - c * t_x_blinding, gens.h()),
        (w * (t_x - ipp_a * ipp_b) + c * (delta - t_x), gens.g()),
    ];
    for (round, (l_point, r_point)) in rounds.into_iter().enumerate() {
        terms.push((u_sq[round], l_point));
        terms.push((u_inv_sq[round], r_point));
    }
    for (j, commitment) in commitments.iter().enumerate() {
        terms.push((c * zz * z_powers[j], *commitment));
    }
    let g_scalars: Vec<Scalar> = s.iter().map(|s_k| -z - ipp_a * s_k).collect();
    let h_scalars: Vec<Scalar> = (0..nm)
        .map(|k| {
            z + y_inv_powers[k] * (zz * z_powers[k / n] * two_powers[k % n] - ipp_b * s[nm - 1 - k])
        })
        .collect();
    equations.push_with_range_generators(&terms, &g_scalars, &h_scalars);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_match_the_library() {
        let gens = generators();
        for party in 0..2 {
            let library: Vec<RistrettoPoint> = gens
                .bulletproofs
                .share(party)
                .G(RANGE_BITS)
                .copied()
                .collect();
            assert_eq!(gens.range.g[party], library);
        }
    }
}
