//! Revocation (BBS04, the section on revocation): the exit mechanism seed 000 lists as future
//! work.
//!
//! To revoke the member with `x*`, the authority publishes `x*` and the old epoch's generators
//! raised to `1/(γ+x*)`: `g1' = g1^{1/(γ+x*)}`, `g2' = g2^{1/(γ+x*)}`. The new group key is
//! `(g1', g2', h, u, v, w')` with `w' = g2·g2'^{-x*} = g2'^γ`. Every other member computes
//! `A_i' = (g1'/A_i)^{1/(x_i−x*)}`, which satisfies `A_i'^{γ+x_i} = g1'`; the revoked member
//! would need `x_i − x* ≠ 0` and cannot. The paper publishes the new generator in G2 and maps
//! it to G1 with `ψ`; a type-3 pairing has no `ψ`, so both are published and tied together by
//! a pairing check.

use ark_bls12_381::{Bls12_381, Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup, pairing::Pairing};
use ark_ff::{Field, Zero};

use super::{
    Epoch, GroupPublicKey, GroupSigError, IssuingKey, MemberKey, Result,
    encoding::{G1_BYTES, G2_BYTES, Reader, SCALAR_BYTES, U64_BYTES, Writer},
};

/// Public revocation data that closes one epoch: `(epoch, x*, g1', g2')`.
///
/// Anyone holding the closed epoch's group key checks it ([`GroupPublicKey::apply`]) and
/// derives the next key from it; members derive their next key ([`MemberKey::update`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Revocation {
    pub(super) epoch: Epoch,
    pub(super) x: Fr,
    pub(super) g1: G1Affine,
    pub(super) g2: G2Affine,
}

impl IssuingKey {
    /// Revokes `member` (the authority's copy of its current key): returns the revocation to
    /// publish and the group key of the next epoch.
    pub fn revoke(
        &self,
        gpk: &GroupPublicKey,
        member: &MemberKey,
    ) -> Result<(Revocation, GroupPublicKey)> {
        self.require_group(gpk)?;
        gpk.require_epoch(member.epoch)?;
        // γ + x = 0 would mean the key was not issued by `enroll`, which never picks it.
        let k = (self.gamma + member.x)
            .inverse()
            .ok_or(GroupSigError::KeyMismatch)?;
        let revocation = Revocation {
            epoch: gpk.epoch,
            x: member.x,
            g1: (gpk.g1 * k).into_affine(),
            g2: (gpk.g2 * k).into_affine(),
        };
        // The same checked path every validator takes.
        let next = gpk.apply(&revocation)?;
        Ok((revocation, next))
    }
}

impl GroupPublicKey {
    /// The group key of the next epoch, after checking the revocation against this key:
    /// `e(g1', w·g2^{x*}) = e(g1, g2)` proves `g1' = g1^{1/(γ+x*)}`, and
    /// `e(g1', g2) = e(g1, g2')` proves `g2'` has the same exponent. Deterministic; a bad
    /// revocation is refused and changes nothing.
    pub fn apply(&self, revocation: &Revocation) -> Result<GroupPublicKey> {
        self.require_epoch(revocation.epoch)?;
        let next_epoch = self
            .epoch
            .checked_add(1)
            .ok_or(GroupSigError::Overflow("epoch"))?;
        let w_x = (self.w + self.g2 * revocation.x).into_affine();
        let sdh = Bls12_381::multi_pairing([revocation.g1, -self.g1], [w_x, self.g2]);
        let same_exponent =
            Bls12_381::multi_pairing([revocation.g1, -self.g1], [self.g2, revocation.g2]);
        if !sdh.is_zero() || !same_exponent.is_zero() {
            return Err(GroupSigError::InvalidRevocation);
        }
        // w' = g2 · g2'^{-x*} = g2'^γ; not the identity since γ ≠ 0.
        let w = (self.g2 - revocation.g2 * revocation.x).into_affine();
        if w.is_zero() {
            return Err(GroupSigError::InvalidRevocation);
        }
        Ok(GroupPublicKey::new(
            next_epoch,
            revocation.g1,
            revocation.g2,
            self.h,
            self.u,
            self.v,
            w,
        ))
    }
}

impl MemberKey {
    /// This member's key for the next epoch: `A' = (g1'/A)^{1/(x−x*)}`, from public data
    /// alone. Apply revocations one epoch at a time, in order. The revoked member gets
    /// [`GroupSigError::Revoked`]. Take the revocation from the ledger (which
    /// [`GroupPublicKey::apply`]d it) or check the result with [`MemberKey::check`].
    pub fn update(&self, revocation: &Revocation) -> Result<MemberKey> {
        if revocation.epoch != self.epoch {
            return Err(GroupSigError::EpochMismatch {
                expected: self.epoch,
                found: revocation.epoch,
            });
        }
        let epoch = self
            .epoch
            .checked_add(1)
            .ok_or(GroupSigError::Overflow("epoch"))?;
        let k = (self.x - revocation.x)
            .inverse()
            .ok_or(GroupSigError::Revoked)?;
        Ok(MemberKey {
            index: self.index,
            epoch,
            a: ((revocation.g1 - self.a) * k).into_affine(),
            x: self.x,
        })
    }
}

impl Revocation {
    /// Encoded size: `epoch ‖ x* ‖ g1' ‖ g2'`.
    pub const BYTES: usize = U64_BYTES + SCALAR_BYTES + G1_BYTES + G2_BYTES;

    /// The epoch this revocation closes; the next key has `epoch + 1`.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(Self::BYTES);
        w.u64(self.epoch).scalar(&self.x).g1(&self.g1).g2(&self.g2);
        w.0
    }

    /// Decodes and validates the encoding; [`GroupPublicKey::apply`] validates the content.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::exact(bytes, Self::BYTES, "revocation")?;
        let revocation = Self {
            epoch: r.u64()?,
            x: r.scalar("revocation x*")?,
            g1: r.g1("revocation g1'")?,
            g2: r.g2("revocation g2'")?,
        };
        r.finish()?;
        Ok(revocation)
    }
}

impl std::fmt::Debug for Revocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revocation")
            .field("epoch", &self.epoch)
            .field("bytes", &hex::encode(self.to_bytes()))
            .finish()
    }
}
