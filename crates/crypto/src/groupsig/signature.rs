//! BBS04 Sign and Verify ("Short Group Signatures from SDH"): a linear encryption
//! `(T1, T2, T3)` of the signer's `A_i` under `(u, v, h)` plus a Fiat-Shamir signature of
//! knowledge of `(α, β, x, δ1 = xα, δ2 = xβ)` (the paper's Protocol 1, "A Zero-Knowledge
//! Protocol for SDH") proving that the encrypted `A_i` is an SDH pair with some `x`.
//!
//! The paper's third commitment
//! `R3 = e(T3, g2)^{r_x} · e(h, w)^{-r_α-r_β} · e(h, g2)^{-r_δ1-r_δ2}` (and its verifier form,
//! with the extra factor `(e(T3, w) / e(g1, g2))^c`) is regrouped by bilinearity into
//! `e(X, g2) · e(Y, w)`: two Miller loops against the key's prepared `g2` and `w` and one final
//! exponentiation, instead of five pairings.

use ark_bls12_381::{Bls12_381, Fr, G1Affine, G1Projective};
use ark_ec::{
    CurveGroup,
    pairing::{Pairing, PairingOutput},
};
use ark_ff::{Field, PrimeField, UniformRand};
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha512};
use zeroize::Zeroize;

use super::{
    Epoch, GroupPublicKey, GroupSigError, MemberKey, Result,
    encoding::{G1_BYTES, Reader, SCALAR_BYTES, U64_BYTES, Writer},
    keys::random_nonzero,
    msm::Bases,
};

/// Domain tag of the Fiat-Shamir challenge.
const CHALLENGE_TAG: &[u8] = b"medshare/groupsig/bbs04/v1/challenge";

/// A group signature `σ = (T1, T2, T3, c, s_α, s_β, s_x, s_δ1, s_δ2)` for one epoch.
///
/// [`Signature::BYTES`] = 344 bytes: the epoch (8), three compressed G1 points (3 × 48) and six
/// scalars (6 × 32). The paper's 1533 bits (192 bytes) use a 170-bit MNT curve at about
/// 80-bit security; BLS12-381 gives about 128 bits.
#[derive(Clone, PartialEq, Eq)]
pub struct Signature {
    pub(super) epoch: Epoch,
    pub(super) t1: G1Affine,
    pub(super) t2: G1Affine,
    pub(super) t3: G1Affine,
    pub(super) c: Fr,
    s_alpha: Fr,
    s_beta: Fr,
    s_x: Fr,
    s_delta1: Fr,
    s_delta2: Fr,
}

/// The five commitments of the signature of knowledge.
struct Commitments {
    r1: G1Affine,
    r2: G1Affine,
    r3: PairingOutput<Bls12_381>,
    r4: G1Affine,
    r5: G1Affine,
}

impl MemberKey {
    /// BBS04 Sign: `σ` on `msg` under the group key of this key's epoch.
    pub fn sign<R: RngCore + CryptoRng>(
        &self,
        gpk: &GroupPublicKey,
        msg: &[u8],
        rng: &mut R,
    ) -> Result<Signature> {
        gpk.require_epoch(self.epoch)?;
        // Non-zero α, β keep T1, T2 off the identity, which decoding refuses.
        let mut alpha = random_nonzero(rng);
        let mut beta = random_nonzero(rng);
        let mut delta1 = self.x * alpha;
        let mut delta2 = self.x * beta;
        let mut r = [(); 5].map(|_| Fr::rand(rng));
        let [r_alpha, r_beta, r_x, r_delta1, r_delta2] = r;

        // T1 = u^α, T2 = v^β, T3 = A·h^{α+β}.
        // The signer knows α and β, so T1^{r_x} = u^{α·r_x} and T2^{r_x} = v^{β·r_x}:
        // R1 = u^{r_α}, R2 = v^{r_β}, R4 = u^{α·r_x − r_δ1}, R5 = v^{β·r_x − r_δ2},
        // R3 = e(T3^{r_x}·h^{-r_δ1-r_δ2}, g2) · e(h^{-r_α-r_β}, w) with
        // T3^{r_x}·h^{-r_δ1-r_δ2} = A^{r_x}·h^{(α+β)·r_x − r_δ1 − r_δ2}.
        let bases = Bases::new(&[gpk.u, gpk.v, gpk.h, self.a]);
        let (u, v, h, a) = (0, 1, 2, 3);
        let p = G1Projective::normalize_batch(&[
            bases.combine(&[(u, alpha)]),
            bases.combine(&[(v, beta)]),
            bases.combine(&[(h, alpha + beta), (a, Fr::ONE)]),
            bases.combine(&[(u, r_alpha)]),
            bases.combine(&[(v, r_beta)]),
            bases.combine(&[(u, alpha * r_x - r_delta1)]),
            bases.combine(&[(v, beta * r_x - r_delta2)]),
            bases.combine(&[(a, r_x), (h, (alpha + beta) * r_x - r_delta1 - r_delta2)]),
            bases.combine(&[(h, -(r_alpha + r_beta))]),
        ]);
        let (t1, t2, t3) = (p[0], p[1], p[2]);
        let commitments = Commitments {
            r1: p[3],
            r2: p[4],
            r3: pairing_product(gpk, p[7], p[8])?,
            r4: p[5],
            r5: p[6],
        };
        let c = challenge(gpk, msg, &t1, &t2, &t3, &commitments);
        let sig = Signature {
            epoch: self.epoch,
            t1,
            t2,
            t3,
            c,
            s_alpha: r_alpha + c * alpha,
            s_beta: r_beta + c * beta,
            s_x: r_x + c * self.x,
            s_delta1: r_delta1 + c * delta1,
            s_delta2: r_delta2 + c * delta2,
        };
        // Any of these would let a reader strip the encryption off A_i or solve for x_i.
        alpha.zeroize();
        beta.zeroize();
        delta1.zeroize();
        delta2.zeroize();
        r.zeroize();
        Ok(sig)
    }
}

impl GroupPublicKey {
    /// BBS04 Verify. Accepts only signatures of this key's epoch: a verifier holding the
    /// group's current key thereby refuses signatures of closed epochs.
    pub fn verify(&self, msg: &[u8], sig: &Signature) -> Result<()> {
        self.require_epoch(sig.epoch)?;
        let c = sig.c;
        // R̃1 = u^{s_α}·T1^{-c}, R̃2 = v^{s_β}·T2^{-c}, R̃4 = T1^{s_x}·u^{-s_δ1},
        // R̃5 = T2^{s_x}·v^{-s_δ2}, and
        // R̃3 = e(T3^{s_x}·h^{-s_δ1-s_δ2}·g1^{-c}, g2) · e(h^{-s_α-s_β}·T3^c, w).
        let bases = Bases::new(&[self.u, self.v, self.h, self.g1, sig.t1, sig.t2, sig.t3]);
        let (u, v, h, g1, t1, t2, t3) = (0, 1, 2, 3, 4, 5, 6);
        let p = G1Projective::normalize_batch(&[
            bases.combine(&[(u, sig.s_alpha), (t1, -c)]),
            bases.combine(&[(v, sig.s_beta), (t2, -c)]),
            bases.combine(&[(t1, sig.s_x), (u, -sig.s_delta1)]),
            bases.combine(&[(t2, sig.s_x), (v, -sig.s_delta2)]),
            bases.combine(&[(t3, sig.s_x), (h, -(sig.s_delta1 + sig.s_delta2)), (g1, -c)]),
            bases.combine(&[(t3, c), (h, -(sig.s_alpha + sig.s_beta))]),
        ]);
        let commitments = Commitments {
            r1: p[0],
            r2: p[1],
            r3: pairing_product(self, p[4], p[5])?,
            r4: p[2],
            r5: p[3],
        };
        if challenge(self, msg, &sig.t1, &sig.t2, &sig.t3, &commitments) != c {
            return Err(GroupSigError::InvalidSignature);
        }
        Ok(())
    }
}

impl Signature {
    /// Encoded size: `epoch ‖ T1 ‖ T2 ‖ T3 ‖ c ‖ s_α ‖ s_β ‖ s_x ‖ s_δ1 ‖ s_δ2`.
    pub const BYTES: usize = U64_BYTES + 3 * G1_BYTES + 6 * SCALAR_BYTES;

    /// The epoch of the group key this signature was made under.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(Self::BYTES);
        w.u64(self.epoch)
            .g1(&self.t1)
            .g1(&self.t2)
            .g1(&self.t3)
            .scalar(&self.c)
            .scalar(&self.s_alpha)
            .scalar(&self.s_beta)
            .scalar(&self.s_x)
            .scalar(&self.s_delta1)
            .scalar(&self.s_delta2);
        w.0
    }

    /// Decodes and validates the encoding: points in the prime-order subgroup and not the
    /// identity, scalars canonical. Whether it verifies is [`GroupPublicKey::verify`]'s job.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::exact(bytes, Self::BYTES, "group signature")?;
        let sig = Self {
            epoch: r.u64()?,
            t1: r.g1("group signature T1")?,
            t2: r.g1("group signature T2")?,
            t3: r.g1("group signature T3")?,
            c: r.scalar("group signature c")?,
            s_alpha: r.scalar("group signature s_α")?,
            s_beta: r.scalar("group signature s_β")?,
            s_x: r.scalar("group signature s_x")?,
            s_delta1: r.scalar("group signature s_δ1")?,
            s_delta2: r.scalar("group signature s_δ2")?,
        };
        r.finish()?;
        Ok(sig)
    }
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signature")
            .field("epoch", &self.epoch)
            .field("bytes", &hex::encode(self.to_bytes()))
            .finish()
    }
}

/// `e(x, g2) · e(y, w)`: two Miller loops, one final exponentiation.
fn pairing_product(
    gpk: &GroupPublicKey,
    x: G1Affine,
    y: G1Affine,
) -> Result<PairingOutput<Bls12_381>> {
    let f = Bls12_381::multi_miller_loop([x, y], [gpk.g2_prepared.clone(), gpk.w_prepared.clone()]);
    // `None` only for a zero Miller-loop value, which non-degenerate inputs never give.
    Bls12_381::final_exponentiation(f).ok_or(GroupSigError::InvalidSignature)
}

/// The Fiat-Shamir challenge `c = H(tag, gpk, epoch, msg, T1, T2, T3, R1..R5)`: SHA-512 reduced
/// modulo the group order (512 bits, so the bias is below 2^-256).
fn challenge(
    gpk: &GroupPublicKey,
    msg: &[u8],
    t1: &G1Affine,
    t2: &G1Affine,
    t3: &G1Affine,
    k: &Commitments,
) -> Fr {
    let mut head = Writer::with_capacity(CHALLENGE_TAG.len() + 32 + 2 * U64_BYTES);
    head.bytes(CHALLENGE_TAG)
        .bytes(&gpk.digest)
        .u64(gpk.epoch)
        .u64(msg.len() as u64);
    let mut tail = Writer::with_capacity(8 * G1_BYTES + 576);
    tail.g1(t1)
        .g1(t2)
        .g1(t3)
        .g1(&k.r1)
        .g1(&k.r2)
        .gt(&k.r3)
        .g1(&k.r4)
        .g1(&k.r5);
    let digest = Sha512::new()
        .chain_update(&head.0)
        .chain_update(msg)
        .chain_update(&tail.0)
        .finalize();
    Fr::from_le_bytes_mod_order(&digest)
}
