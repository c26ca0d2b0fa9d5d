//! Seed 000 operation 5, ownership traceability: the authority opens a signature to a member
//! (`t(A_info)`, BBS04 Open); anyone else learns only which group signed (`t'(A_info)`).

use ark_ec::CurveGroup;

use super::{
    GroupPublicKey, GroupSigError, MemberIndex, MemberRegistry, OpeningKey, Result, Signature,
    msm::Bases, torsion::project,
};

impl OpeningKey {
    /// BBS04 Open: verifies `sig` on `msg` under `gpk` (the group key of the signature's
    /// epoch), decrypts `A = T3 − ξ1·T1 − ξ2·T2` (of the G1-components, which is what
    /// verification vouches for, see the `torsion` module) and looks `A` up in the authority's
    /// registry. A signature that does not verify is an error, never an index.
    pub fn open(
        &self,
        gpk: &GroupPublicKey,
        registry: &MemberRegistry,
        msg: &[u8],
        sig: &Signature,
    ) -> Result<MemberIndex> {
        self.require_group(gpk)?;
        gpk.verify(msg, sig)?;
        let decrypted =
            Bases::new(&[sig.t1, sig.t2]).combine(&[(0, -self.xi1), (1, -self.xi2)]) + sig.t3;
        let a = project(decrypted).into_affine();
        registry
            .member_with_key(sig.epoch, &a)
            .ok_or(GroupSigError::UnknownMember)
    }
}

/// Which of the known groups made `sig` on `msg` (seed 000's `t'`), without any opening key:
/// the first group whose key of the signature's epoch verifies it. The challenge hashes the
/// group key, so a signature verifies under at most one group. `None` if none does.
pub fn trace_group<I: Clone>(
    groups: &[(I, &GroupPublicKey)],
    msg: &[u8],
    sig: &Signature,
) -> Option<I> {
    groups
        .iter()
        .filter(|(_, gpk)| gpk.epoch == sig.epoch)
        .find(|(_, gpk)| gpk.verify(msg, sig).is_ok())
        .map(|(id, _)| id.clone())
}
