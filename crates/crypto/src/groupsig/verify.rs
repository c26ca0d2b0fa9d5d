//! BBS04 Verify, for one signature or a batch (the small-exponent test of Bellare, Garay,
//! Rabin, "Fast batch verification for modular exponentiation and digital signatures",
//! EUROCRYPT 1998): every check of every signature is folded into one pairing-product
//! equation with random 64-bit weights, so a batch costs one multi-scalar multiplication per
//! group, two Miller loops per group and a single final exponentiation.
//!
//! Per signature, with `c = H(gpk, epoch, msg, T1, T2, T3, A', Ā, R1..R5)` recomputed, the
//! checks are (module documentation of [`super`], "The signature of knowledge"):
//!
//! ```text
//! ρ1: s_α·u                     − R1 − c·T1 = 0
//! ρ2: s_β·v                     − R2 − c·T2 = 0
//! ρ3: s_r'·A' + (s_α + s_β)·h   − R3 − c·T3 = 0
//! ρ4: s_r·g1 − s_x·A'           − R4 − c·Ā  = 0
//! ρ5: s_r'·Ā + s_δ·A'           − R5 − c·g1 = 0
//! σ:  e(A', w) = e(Ā, g2)
//! ```
//!
//! With fresh random `ρ1..ρ5, σ` per signature, all of them become
//! `e(h_eff·X, g2) · e(h_eff·Y, w) = 1` with `X = Σ ρ-weighted G1 checks − Σ σ·Ā` and
//! `Y = Σ σ·A'`: the G1 checks are mapped into GT by `e(·, g2)`, injective on G1, and
//! `h_eff` projects onto G1 ([`super::torsion`]). The fixed bases `u, v, h, g1` collect one
//! scalar each per group.

use ark_bls12_381::{Bls12_381, Fr, G1Affine, G1Projective};
use ark_ec::{CurveGroup, pairing::Pairing};
use ark_ff::Zero;
use rand::{CryptoRng, RngCore};

use super::{
    GroupPublicKey, GroupSigError, Result, Signature, msm::msm, signature::challenge,
    torsion::clear_torsion,
};

impl GroupPublicKey {
    /// BBS04 Verify. Accepts only signatures of this key's epoch: a verifier holding the
    /// group's current key thereby refuses signatures of closed epochs.
    ///
    /// A batch of one ([`verify_batch`]): a valid signature always passes, an invalid one
    /// with probability at most 2^-64.
    pub fn verify(&self, msg: &[u8], sig: &Signature) -> Result<()> {
        self.verify_batch(&[(msg, sig)], &mut rand::thread_rng())
    }

    /// Verifies many `(message, signature)` pairs under this key at once; see
    /// [`verify_batch`], which also takes pairs of several groups.
    pub fn verify_batch<R: RngCore + CryptoRng>(
        &self,
        items: &[(&[u8], &Signature)],
        rng: &mut R,
    ) -> Result<()> {
        let items: Vec<_> = items.iter().map(|&(msg, sig)| (self, msg, sig)).collect();
        verify_batch(&items, rng)
    }
}

/// Verifies `(group key, message, signature)` triples at once: `Ok` if every signature
/// verifies under its key, except with probability at most 2^-64 per batch (the weights are
/// drawn from `rng`, which must be secret from whoever made the signatures).
///
/// A batch holding one bad signature fails as a whole, with
/// [`GroupSigError::EpochMismatch`] if a signature is of another epoch than its key, else
/// [`GroupSigError::InvalidSignature`]; [`find_invalid`] then names the culprits. Cost: per
/// signature a hash and a share of one multi-scalar multiplication per group; per group two
/// Miller loops; one final exponentiation for the whole batch. An empty batch passes.
pub fn verify_batch<R: RngCore + CryptoRng>(
    items: &[(&GroupPublicKey, &[u8], &Signature)],
    rng: &mut R,
) -> Result<()> {
    for (gpk, _, sig) in items {
        gpk.require_epoch(sig.epoch)?;
    }
    let mut groups: Vec<GroupTerms> = Vec::new();
    for &(gpk, msg, sig) in items {
        let at = match groups.iter().position(|g| g.gpk.digest == gpk.digest) {
            Some(at) => at,
            None => {
                groups.push(GroupTerms::new(gpk));
                groups.len() - 1
            }
        };
        groups[at].add(msg, sig, rng);
    }
    let mut g1 = Vec::with_capacity(2 * groups.len());
    let mut g2 = Vec::with_capacity(2 * groups.len());
    for group in &groups {
        let (x, y) = group.sums();
        g1.extend([x, y]);
        g2.extend([group.gpk.g2_prepared.clone(), group.gpk.w_prepared.clone()]);
    }
    let f = Bls12_381::multi_miller_loop(G1Projective::normalize_batch(&g1), g2);
    match Bls12_381::final_exponentiation(f) {
        Some(product) if product.is_zero() => Ok(()),
        _ => Err(GroupSigError::InvalidSignature),
    }
}

/// The positions in `items` of the signatures that do not verify, in order: for after
/// [`verify_batch`] failed. Bisects with batch verifications, so `k` bad signatures among `n`
/// cost about `2k·log2(n/k)` half-size batches instead of `n` single verifications. Never
/// names a valid signature: each position is confirmed by verifying it alone.
pub fn find_invalid<R: RngCore + CryptoRng>(
    items: &[(&GroupPublicKey, &[u8], &Signature)],
    rng: &mut R,
) -> Vec<usize> {
    let mut invalid = Vec::new();
    let mut candidates = Vec::with_capacity(items.len());
    for (i, (gpk, _, sig)) in items.iter().enumerate() {
        if gpk.require_epoch(sig.epoch).is_err() {
            invalid.push(i);
        } else {
            candidates.push(i);
        }
    }
    // The whole batch is known to fail: start from its halves.
    let (left, right) = candidates.split_at(candidates.len() / 2);
    bisect(items, left, rng, &mut invalid);
    bisect(items, right, rng, &mut invalid);
    invalid.sort_unstable();
    invalid
}

fn bisect<R: RngCore + CryptoRng>(
    items: &[(&GroupPublicKey, &[u8], &Signature)],
    positions: &[usize],
    rng: &mut R,
    invalid: &mut Vec<usize>,
) {
    let batch: Vec<_> = positions.iter().map(|&i| items[i]).collect();
    if verify_batch(&batch, rng).is_ok() {
        return;
    }
    if let [only] = positions {
        invalid.push(*only);
        return;
    }
    let (left, right) = positions.split_at(positions.len() / 2);
    bisect(items, left, rng, invalid);
    bisect(items, right, rng, invalid);
}

/// The weighted checks of the signatures of one group key.
struct GroupTerms<'a> {
    gpk: &'a GroupPublicKey,
    /// Scalars of the fixed bases `u, v, h, g1` in the sum paired with `g2`.
    u: Fr,
    v: Fr,
    h: Fr,
    g1: Fr,
    /// The signature points and their scalars in the sum paired with `g2`.
    points: Vec<G1Affine>,
    scalars: Vec<Fr>,
    /// `A'` of each signature and its weight `σ` in the sum paired with `w`.
    a_primes: Vec<G1Affine>,
    weights: Vec<Fr>,
}

impl<'a> GroupTerms<'a> {
    fn new(gpk: &'a GroupPublicKey) -> Self {
        Self {
            gpk,
            u: Fr::zero(),
            v: Fr::zero(),
            h: Fr::zero(),
            g1: Fr::zero(),
            points: Vec::new(),
            scalars: Vec::new(),
            a_primes: Vec::new(),
            weights: Vec::new(),
        }
    }

    /// Adds the five G1 checks of `sig` with weights `ρ1..ρ5` and its pairing check with
    /// weight `σ` (module documentation).
    fn add<R: RngCore + CryptoRng>(&mut self, msg: &[u8], sig: &Signature, rng: &mut R) {
        let c = challenge(self.gpk, msg, sig);
        let s = &sig.responses;
        let [p1, p2, p3, p4, p5, sigma] = [(); 6].map(|_| Fr::from(rng.next_u64()));
        let [r1, r2, r3, r4, r5] = sig.commitments;
        self.u += p1 * s.alpha;
        self.v += p2 * s.beta;
        self.h += p3 * (s.alpha + s.beta);
        self.g1 += p4 * s.r - p5 * c;
        self.points.extend([
            sig.t1,
            sig.t2,
            sig.t3,
            sig.a_prime,
            sig.a_bar,
            r1,
            r2,
            r3,
            r4,
            r5,
        ]);
        self.scalars.extend([
            -(p1 * c),
            -(p2 * c),
            -(p3 * c),
            p3 * s.r_inv - p4 * s.x + p5 * s.delta,
            p5 * s.r_inv - p4 * c - sigma,
            -p1,
            -p2,
            -p3,
            -p4,
            -p5,
        ]);
        self.a_primes.push(sig.a_prime);
        self.weights.push(sigma);
    }

    /// `(h_eff·X, h_eff·Y)`, to be paired with `(g2, w)`.
    fn sums(&self) -> (G1Projective, G1Projective) {
        let g = &self.gpk.generators;
        let x = g.u.mul(&self.u)
            + g.v.mul(&self.v)
            + g.h.mul(&self.h)
            + g.g1.mul(&self.g1)
            + msm(&self.points, &self.scalars);
        let y = msm(&self.a_primes, &self.weights);
        (clear_torsion(x), clear_torsion(y))
    }
}
