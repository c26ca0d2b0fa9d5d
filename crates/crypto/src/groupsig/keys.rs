//! Keys of BBS04 ("Short Group Signatures from SDH", KeyGen) and enrollment (seed 000 operation 1).

use std::{fmt, sync::Arc};

use ark_bls12_381::{Bls12_381, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup, pairing::Pairing};
use ark_ff::{Field, UniformRand, Zero};
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use super::{
    Epoch, GroupSigError, MemberIndex, Result,
    encoding::{G1_BYTES, G2_BYTES, Reader, SCALAR_BYTES, U64_BYTES, Writer},
    msm::FixedBase,
};

pub(super) type G2Prepared = <Bls12_381 as Pairing>::G2Prepared;

/// Domain tag of the digest of a group public key.
const GPK_DIGEST_TAG: &[u8] = b"medshare/groupsig/bbs04/v1/group-public-key";

/// The group public key of one epoch: `(g1, g2, h, u, v, w = g2^γ)` with `u^ξ1 = v^ξ2 = h`.
///
/// Published on chain. It changes only by [`GroupPublicKey::apply`]ing a revocation, which
/// replaces `(g1, g2, w)` and advances the epoch; `(h, u, v)` stay for the group's life.
#[derive(Clone)]
pub struct GroupPublicKey {
    pub(super) epoch: Epoch,
    pub(super) g1: G1Affine,
    pub(super) g2: G2Affine,
    pub(super) h: G1Affine,
    pub(super) u: G1Affine,
    pub(super) v: G1Affine,
    pub(super) w: G2Affine,
    /// Miller-loop line coefficients of `g2` and `w`: every verification pairs against both,
    /// so they are computed once per key.
    pub(super) g2_prepared: G2Prepared,
    pub(super) w_prepared: G2Prepared,
    /// Fixed-base tables of `u, v, h, g1` (528 KiB, shared by clones): signing and verifying
    /// multiply these generators by fresh scalars every time.
    pub(super) generators: Arc<Generators>,
    /// SHA-256 of the tagged encoding; every challenge hashes it (binds a signature to the key).
    pub(super) digest: [u8; 32],
}

/// Precomputed multiples of the G1 generators of a group key.
pub(super) struct Generators {
    pub(super) u: FixedBase,
    pub(super) v: FixedBase,
    pub(super) h: FixedBase,
    pub(super) g1: FixedBase,
}

/// The authority's secret `γ`: issues member keys and revocations.
pub struct IssuingKey {
    pub(super) gamma: Fr,
}

/// The authority's secret `(ξ1, ξ2)`: the decryption key of the linear encryption `(T1, T2, T3)`
/// of a signer's `A_i` (BBS04 Open).
pub struct OpeningKey {
    pub(super) xi1: Fr,
    pub(super) xi2: Fr,
}

/// A member's signing key `(A_i, x_i)` with `A_i^{γ+x_i} = g1` of its epoch.
///
/// Issued by the authority over a secure channel at enrollment; kept current by
/// [`MemberKey::update`] after each revocation.
#[derive(Clone)]
pub struct MemberKey {
    pub(super) index: MemberIndex,
    pub(super) epoch: Epoch,
    pub(super) a: G1Affine,
    pub(super) x: Fr,
}

/// BBS04 KeyGen for a dynamic group: random generators, `h`, `ξ1, ξ2` with `u = h^{1/ξ1}`,
/// `v = h^{1/ξ2}`, and `γ` with `w = g2^γ`. Members are enrolled afterwards, one at a time.
pub fn generate_group<R: RngCore + CryptoRng>(
    rng: &mut R,
) -> (GroupPublicKey, IssuingKey, OpeningKey) {
    let g1 = (G1Projective::generator() * random_nonzero(rng)).into_affine();
    let g2 = (G2Projective::generator() * random_nonzero(rng)).into_affine();
    let h = (G1Projective::generator() * random_nonzero(rng)).into_affine();
    let opening = OpeningKey {
        xi1: random_nonzero(rng),
        xi2: random_nonzero(rng),
    };
    let issuing = IssuingKey {
        gamma: random_nonzero(rng),
    };
    let u = (h * inverse(&opening.xi1)).into_affine();
    let v = (h * inverse(&opening.xi2)).into_affine();
    let w = (g2 * issuing.gamma).into_affine();
    let gpk = GroupPublicKey::new(0, g1, g2, h, u, v, w);
    (gpk, issuing, opening)
}

impl GroupPublicKey {
    /// Encoded size: epoch, `g1, h, u, v` in G1 and `g2, w` in G2, compressed.
    pub const BYTES: usize = U64_BYTES + 4 * G1_BYTES + 2 * G2_BYTES;

    pub(super) fn new(
        epoch: Epoch,
        g1: G1Affine,
        g2: G2Affine,
        h: G1Affine,
        u: G1Affine,
        v: G1Affine,
        w: G2Affine,
    ) -> Self {
        let mut gpk = Self {
            epoch,
            g1,
            g2,
            h,
            u,
            v,
            w,
            g2_prepared: g2.into(),
            w_prepared: w.into(),
            generators: Arc::new(Generators {
                u: FixedBase::new(u),
                v: FixedBase::new(v),
                h: FixedBase::new(h),
                g1: FixedBase::new(g1),
            }),
            digest: [0; 32],
        };
        gpk.digest = Sha256::new()
            .chain_update(GPK_DIGEST_TAG)
            .chain_update(gpk.to_bytes())
            .finalize()
            .into();
        gpk
    }

    /// The epoch: how many revocations this group has gone through.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// `epoch ‖ g1 ‖ g2 ‖ h ‖ u ‖ v ‖ w`, [`Self::BYTES`] long.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(Self::BYTES);
        w.u64(self.epoch)
            .g1(&self.g1)
            .g2(&self.g2)
            .g1(&self.h)
            .g1(&self.u)
            .g1(&self.v)
            .g2(&self.w);
        w.0
    }

    /// Decodes and validates: every point on the curve, in the prime-order subgroup and not
    /// the identity.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::exact(bytes, Self::BYTES, "group public key")?;
        let epoch = r.u64()?;
        let g1 = r.g1("group public key g1")?;
        let g2 = r.g2("group public key g2")?;
        let h = r.g1("group public key h")?;
        let u = r.g1("group public key u")?;
        let v = r.g1("group public key v")?;
        let w = r.g2("group public key w")?;
        r.finish()?;
        Ok(Self::new(epoch, g1, g2, h, u, v, w))
    }

    pub(super) fn require_epoch(&self, found: Epoch) -> Result<()> {
        if found != self.epoch {
            return Err(GroupSigError::EpochMismatch {
                expected: self.epoch,
                found,
            });
        }
        Ok(())
    }
}

impl PartialEq for GroupPublicKey {
    fn eq(&self, other: &Self) -> bool {
        // The digest covers every field of the encoding.
        self.digest == other.digest
    }
}

impl Eq for GroupPublicKey {}

impl fmt::Debug for GroupPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupPublicKey")
            .field("epoch", &self.epoch)
            .field("digest", &hex::encode(self.digest))
            .finish_non_exhaustive()
    }
}

impl IssuingKey {
    /// Encoded size: `γ`.
    pub const BYTES: usize = SCALAR_BYTES;

    /// Issues a member key for the group's current epoch (seed 000 operation 1): a fresh
    /// `x_i` and `A_i = g1^{1/(γ+x_i)}`. The caller ([`super::MemberRegistry::enroll`]) picks
    /// the index and records who holds it.
    pub fn enroll<R: RngCore + CryptoRng>(
        &self,
        gpk: &GroupPublicKey,
        index: MemberIndex,
        rng: &mut R,
    ) -> Result<MemberKey> {
        self.require_group(gpk)?;
        loop {
            let x = random_nonzero(rng);
            // γ + x = 0 has probability 1/r; draw again rather than fail.
            if let Some(k) = (self.gamma + x).inverse() {
                let a = (gpk.g1 * k).into_affine();
                return Ok(MemberKey {
                    index,
                    epoch: gpk.epoch,
                    a,
                    x,
                });
            }
        }
    }

    /// `w = g2^γ`: refuses to issue or revoke under another group's key.
    pub(super) fn require_group(&self, gpk: &GroupPublicKey) -> Result<()> {
        if (gpk.g2 * self.gamma).into_affine() != gpk.w {
            return Err(GroupSigError::KeyMismatch);
        }
        Ok(())
    }

    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut w = Writer::with_capacity(Self::BYTES);
        w.scalar(&self.gamma);
        Zeroizing::new(w.0)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::exact(bytes, Self::BYTES, "issuing key")?;
        let gamma = r.nonzero_scalar("issuing key γ")?;
        r.finish()?;
        Ok(Self { gamma })
    }
}

impl OpeningKey {
    /// Encoded size: `ξ1 ‖ ξ2`.
    pub const BYTES: usize = 2 * SCALAR_BYTES;

    /// `u^ξ1 = v^ξ2 = h`: refuses to open under another group's key.
    pub(super) fn require_group(&self, gpk: &GroupPublicKey) -> Result<()> {
        let g = &gpk.generators;
        let h = gpk.h.into_group();
        if g.u.mul(&self.xi1) != h || g.v.mul(&self.xi2) != h {
            return Err(GroupSigError::KeyMismatch);
        }
        Ok(())
    }

    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut w = Writer::with_capacity(Self::BYTES);
        w.scalar(&self.xi1).scalar(&self.xi2);
        Zeroizing::new(w.0)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::exact(bytes, Self::BYTES, "opening key")?;
        let xi1 = r.nonzero_scalar("opening key ξ1")?;
        let xi2 = r.nonzero_scalar("opening key ξ2")?;
        r.finish()?;
        Ok(Self { xi1, xi2 })
    }
}

impl MemberKey {
    /// Encoded size: `index ‖ epoch ‖ A ‖ x`.
    pub const BYTES: usize = 2 * U64_BYTES + G1_BYTES + SCALAR_BYTES;

    /// The member's number in its group.
    pub fn index(&self) -> MemberIndex {
        self.index
    }

    /// The epoch this key signs for.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// Checks the key against the group key of its epoch: `e(A, w·g2^x) = e(g1, g2)`, i.e.
    /// `(A, x)` is an SDH pair for `γ`. A member runs this on the key it receives.
    pub fn check(&self, gpk: &GroupPublicKey) -> Result<()> {
        gpk.require_epoch(self.epoch)?;
        let w_x = (gpk.w + gpk.g2 * self.x).into_affine();
        let product = Bls12_381::multi_pairing([self.a, -gpk.g1], [w_x, gpk.g2]);
        if !product.is_zero() {
            return Err(GroupSigError::KeyMismatch);
        }
        Ok(())
    }

    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut w = Writer::with_capacity(Self::BYTES);
        w.u64(self.index)
            .u64(self.epoch)
            .g1(&self.a)
            .scalar(&self.x);
        Zeroizing::new(w.0)
    }

    /// Decodes and validates the encoding; [`MemberKey::check`] validates it against the group.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::exact(bytes, Self::BYTES, "member key")?;
        let index = r.u64()?;
        let epoch = r.u64()?;
        let a = r.g1("member key A")?;
        let x = r.scalar("member key x")?;
        r.finish()?;
        Ok(Self { index, epoch, a, x })
    }
}

impl Drop for IssuingKey {
    fn drop(&mut self) {
        self.gamma.zeroize();
    }
}

impl Drop for OpeningKey {
    fn drop(&mut self) {
        self.xi1.zeroize();
        self.xi2.zeroize();
    }
}

impl Drop for MemberKey {
    fn drop(&mut self) {
        self.a.zeroize();
        self.x.zeroize();
    }
}

impl fmt::Debug for IssuingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IssuingKey(<redacted>)")
    }
}

impl fmt::Debug for OpeningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OpeningKey(<redacted>)")
    }
}

impl fmt::Debug for MemberKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemberKey")
            .field("index", &self.index)
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

pub(super) fn random_nonzero<R: RngCore + CryptoRng>(rng: &mut R) -> Fr {
    loop {
        let s = Fr::rand(rng);
        if !s.is_zero() {
            return s;
        }
    }
}

/// Inverse of a scalar the caller knows is non-zero (drawn by [`random_nonzero`] or decoded by
/// `nonzero_scalar`).
fn inverse(s: &Fr) -> Fr {
    s.inverse().expect("scalar is non-zero by construction")
}
