//! BBS04 Sign: a linear encryption `(T1, T2, T3)` of the signer's `A` under `(u, v, h)` and a
//! Fiat-Shamir signature of knowledge that the encrypted `A` is an SDH pair with some `x`,
//! in the pairing-free, commitment form described in the module documentation
//! ([`super`], "The signature of knowledge").
//!
//! The signer randomizes its key, `A' = r·A` and `Ā = r·g1 − x·A'` (which is `γ·A'`), and
//! proves knowledge of `(α, β, r, r' = 1/r, x, δ = x/r)` with
//!
//! | | equation | commitment |
//! |---|---|---|
//! | E1 | `T1 = α·u` | `R1 = k_α·u` |
//! | E2 | `T2 = β·v` | `R2 = k_β·v` |
//! | E3 | `T3 = r'·A' + (α+β)·h` | `R3 = k_r'·A' + (k_α+k_β)·h` |
//! | E4 | `Ā = r·g1 − x·A'` | `R4 = k_r·g1 − k_x·A'` |
//! | E5 | `g1 = r'·Ā + δ·A'` | `R5 = k_r'·Ā + k_δ·A'` |
//!
//! and responses `s = k + c·witness`. Everything is in G1: signing needs no pairing.

use ark_bls12_381::{Fr, G1Affine, G1Projective};
use ark_ec::CurveGroup;
use ark_ff::{AdditiveGroup, Field, PrimeField, UniformRand};
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha512};
use zeroize::Zeroize;

use super::{
    Epoch, GroupPublicKey, MemberKey, Result,
    encoding::{G1_UNCOMPRESSED_BYTES, Reader, SCALAR_BYTES, U64_BYTES, Writer},
    error::GroupSigError,
    keys::random_nonzero,
    msm::Bases,
};

/// Encoding version: 1 was BBS04's challenge form (`c` in place of the commitments).
const VERSION: u8 = 2;

/// Domain tag of the Fiat-Shamir challenge.
const CHALLENGE_TAG: &[u8] = b"medshare/groupsig/bbs04/v2/challenge";

/// The points of a signature, in encoding and hashing order: the statement
/// `T1, T2, T3, A', Ā` then the commitments `R1..R5`.
const POINTS: usize = 10;

/// A group signature `σ = (T1, T2, T3, A', Ā, R1..R5, s_α, s_β, s_r, s_r', s_x, s_δ)` for one
/// epoch.
///
/// [`Signature::BYTES`] = 1161 bytes: a version byte, the epoch (8), ten uncompressed G1
/// points (10 × 96) and six scalars (6 × 32). The points are uncompressed because
/// decompressing costs a square root each, several times a signature's share of a batch
/// verification; see the `torsion` module for why they carry no subgroup check either.
#[derive(Clone, PartialEq, Eq)]
pub struct Signature {
    pub(super) epoch: Epoch,
    pub(super) t1: G1Affine,
    pub(super) t2: G1Affine,
    pub(super) t3: G1Affine,
    /// `A' = r·A`: the signer's key, re-randomized.
    pub(super) a_prime: G1Affine,
    /// `Ā = γ·A'`, computed as `r·g1 − x·A'`.
    pub(super) a_bar: G1Affine,
    /// `R1..R5`.
    pub(super) commitments: [G1Affine; 5],
    pub(super) responses: PerWitness,
}

/// One scalar per witness `(α, β, r, r', x, δ)`: the witnesses themselves, their masks `k`,
/// or the responses `s = k + c·witness`.
#[derive(Clone, PartialEq, Eq, Zeroize)]
pub(super) struct PerWitness {
    pub(super) alpha: Fr,
    pub(super) beta: Fr,
    pub(super) r: Fr,
    pub(super) r_inv: Fr,
    pub(super) x: Fr,
    pub(super) delta: Fr,
}

impl PerWitness {
    fn zero() -> Self {
        Self {
            alpha: Fr::ZERO,
            beta: Fr::ZERO,
            r: Fr::ZERO,
            r_inv: Fr::ZERO,
            x: Fr::ZERO,
            delta: Fr::ZERO,
        }
    }

    fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self {
            alpha: Fr::rand(rng),
            beta: Fr::rand(rng),
            r: Fr::rand(rng),
            r_inv: Fr::rand(rng),
            x: Fr::rand(rng),
            delta: Fr::rand(rng),
        }
    }

    /// `self + c·witness`, field by field.
    fn respond(&self, c: Fr, witness: &Self) -> Self {
        Self {
            alpha: self.alpha + c * witness.alpha,
            beta: self.beta + c * witness.beta,
            r: self.r + c * witness.r,
            r_inv: self.r_inv + c * witness.r_inv,
            x: self.x + c * witness.x,
            delta: self.delta + c * witness.delta,
        }
    }

    fn as_array(&self) -> [&Fr; 6] {
        [
            &self.alpha,
            &self.beta,
            &self.r,
            &self.r_inv,
            &self.x,
            &self.delta,
        ]
    }
}

impl MemberKey {
    /// BBS04 Sign: `σ` on `msg` under the group key of this key's epoch.
    pub fn sign<R: RngCore + CryptoRng>(
        &self,
        gpk: &GroupPublicKey,
        msg: &[u8],
        rng: &mut R,
    ) -> Result<Signature> {
        let commitment = self.commit(gpk, rng)?;
        Ok(commitment.respond(gpk, msg))
    }

    /// The signer's first move: fresh witnesses, the statement `T1, T2, T3, A', Ā` and the
    /// commitments `R1..R5`.
    pub(super) fn commit<R: RngCore + CryptoRng>(
        &self,
        gpk: &GroupPublicKey,
        rng: &mut R,
    ) -> Result<Commitment> {
        gpk.require_epoch(self.epoch)?;
        // Non-zero α, β, r keep T1, T2, A' off the identity, which decoding refuses.
        let r = random_nonzero(rng);
        let r_inv = r.inverse().expect("r is non-zero");
        let w = PerWitness {
            alpha: random_nonzero(rng),
            beta: random_nonzero(rng),
            r,
            r_inv,
            x: self.x,
            delta: self.x * r_inv,
        };
        let k = PerWitness::random(rng);

        // Every point is a combination of the group key's generators (fixed-base tables) and
        // the member's A: A' = r·A, so k·A' = (k·r)·A and Ā = r·g1 − (x·r)·A.
        let g = &gpk.generators;
        let a = Bases::new(&[self.a]);
        let times_a = |s: Fr| a.combine(&[(0, s)]);
        let p = G1Projective::normalize_batch(&[
            g.u.mul(&w.alpha),
            g.v.mul(&w.beta),
            g.h.mul(&(w.alpha + w.beta)) + self.a,
            times_a(w.r),
            g.g1.mul(&w.r) - times_a(w.x * w.r),
            g.u.mul(&k.alpha),
            g.v.mul(&k.beta),
            g.h.mul(&(k.alpha + k.beta)) + times_a(k.r_inv * w.r),
            g.g1.mul(&k.r) - times_a(k.x * w.r),
            // k_r'·Ā + k_δ·A' = (k_r'·r)·g1 + (k_δ − k_r'·x)·r·A
            g.g1.mul(&(k.r_inv * w.r)) + times_a((k.delta - k.r_inv * w.x) * w.r),
        ]);
        let signature = Signature {
            epoch: self.epoch,
            t1: p[0],
            t2: p[1],
            t3: p[2],
            a_prime: p[3],
            a_bar: p[4],
            commitments: [p[5], p[6], p[7], p[8], p[9]],
            responses: PerWitness::zero(),
        };
        Ok(Commitment {
            signature,
            witness: w,
            masks: k,
        })
    }
}

/// A signature whose responses are not computed yet, with the secrets to compute them.
pub(super) struct Commitment {
    /// Responses are zero until [`Commitment::respond`].
    pub(super) signature: Signature,
    witness: PerWitness,
    masks: PerWitness,
}

impl Commitment {
    /// The signer's second move: `c = H(…)` and the responses `s = k + c·witness`.
    pub(super) fn respond(mut self, gpk: &GroupPublicKey, msg: &[u8]) -> Signature {
        let c = challenge(gpk, msg, &self.signature);
        self.signature.responses = self.masks.respond(c, &self.witness);
        self.signature.clone()
    }
}

impl Drop for Commitment {
    fn drop(&mut self) {
        // Any of these would let a reader strip the encryption off A or solve for x.
        self.witness.zeroize();
        self.masks.zeroize();
    }
}

impl Signature {
    /// Encoded size: `version ‖ epoch ‖ T1 ‖ T2 ‖ T3 ‖ A' ‖ Ā ‖ R1..R5 ‖ s_α ‖ s_β ‖ s_r ‖
    /// s_r' ‖ s_x ‖ s_δ`.
    pub const BYTES: usize = 1 + U64_BYTES + POINTS * G1_UNCOMPRESSED_BYTES + 6 * SCALAR_BYTES;

    /// The epoch of the group key this signature was made under.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// `T1, T2, T3, A', Ā, R1..R5`.
    pub(super) fn points(&self) -> [G1Affine; POINTS] {
        let [r1, r2, r3, r4, r5] = self.commitments;
        [
            self.t1,
            self.t2,
            self.t3,
            self.a_prime,
            self.a_bar,
            r1,
            r2,
            r3,
            r4,
            r5,
        ]
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(Self::BYTES);
        w.u8(VERSION).u64(self.epoch);
        for p in &self.points() {
            w.g1_uncompressed(p);
        }
        for s in self.responses.as_array() {
            w.scalar(s);
        }
        w.0
    }

    /// Decodes and validates the encoding: the version, points on the curve and not the
    /// identity (no subgroup check, see the `torsion` module), scalars canonical. Whether it
    /// verifies is [`GroupPublicKey::verify`]'s job.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::exact(bytes, Self::BYTES, "group signature")?;
        if r.u8()? != VERSION {
            return Err(GroupSigError::Malformed {
                what: "group signature",
                reason: "unsupported version",
            });
        }
        let sig = Self {
            epoch: r.u64()?,
            t1: r.g1_on_curve("group signature T1")?,
            t2: r.g1_on_curve("group signature T2")?,
            t3: r.g1_on_curve("group signature T3")?,
            a_prime: r.g1_on_curve("group signature A'")?,
            a_bar: r.g1_on_curve("group signature Ā")?,
            commitments: [
                r.g1_on_curve("group signature R1")?,
                r.g1_on_curve("group signature R2")?,
                r.g1_on_curve("group signature R3")?,
                r.g1_on_curve("group signature R4")?,
                r.g1_on_curve("group signature R5")?,
            ],
            responses: PerWitness {
                alpha: r.scalar("group signature s_α")?,
                beta: r.scalar("group signature s_β")?,
                r: r.scalar("group signature s_r")?,
                r_inv: r.scalar("group signature s_r'")?,
                x: r.scalar("group signature s_x")?,
                delta: r.scalar("group signature s_δ")?,
            },
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

/// The Fiat-Shamir challenge `c = H(tag, gpk, epoch, msg, T1, T2, T3, A', Ā, R1..R5)`:
/// SHA-512 reduced modulo the group order (512 bits, so the bias is below 2^-256). It binds
/// the signature to one group key (its digest covers the epoch) and to the exact encoding of
/// every point.
pub(super) fn challenge(gpk: &GroupPublicKey, msg: &[u8], sig: &Signature) -> Fr {
    let mut head = Writer::with_capacity(CHALLENGE_TAG.len() + 32 + 2 * U64_BYTES);
    head.bytes(CHALLENGE_TAG)
        .bytes(&gpk.digest)
        .u64(sig.epoch)
        .u64(msg.len() as u64);
    let mut points = Writer::with_capacity(POINTS * G1_UNCOMPRESSED_BYTES);
    for p in &sig.points() {
        points.g1_uncompressed(p);
    }
    let digest = Sha512::new()
        .chain_update(&head.0)
        .chain_update(msg)
        .chain_update(&points.0)
        .finalize();
    Fr::from_le_bytes_mod_order(&digest)
}
