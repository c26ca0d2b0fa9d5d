//! Signature points are decoded without a subgroup check; the verifier works on their
//! projection onto G1 instead, which is as strict and far cheaper.
//!
//! G1 is the subgroup of prime order `r` of the curve `E(Fq)`; `E(Fq) = G1 ⊕ T` with `T` of
//! order the cofactor `h`, coprime to `r`. Checking a decoded point for membership in G1 costs
//! two multiplications by the 64-bit curve parameter (Scott, ePrint 2021/1130, §6), ~40% of a
//! full scalar multiplication, and a compressed point also needs a square root: together far
//! more than verifying a signature's share of a batch. So signature points travel uncompressed
//! and decoding checks only that they lie on `E(Fq)`.
//!
//! Multiplication by the effective cofactor `h_eff = 1 − z = 0xd201000000010001` (`z` the
//! BLS12-381 parameter) maps `E(Fq)` onto G1 and kills exactly `T` (Wahby–Boneh, "Fast and
//! simple constant-time hashing to the BLS12-381 elliptic curve", TCHES 2019, §5; RFC 9380
//! §8.8.1); on G1 it is the bijection `P ↦ h_eff·P`. The verifier multiplies every combination
//! it checks by `h_eff` before the pairing, so each verification equation is checked on the
//! G1-components of the signature's points, and a torsion component changes nothing — the
//! same in single and in batch verification, and the only sound way to batch: the random
//! small weights of a batch would otherwise let components of small order cancel (Boyd,
//! Pavlovski, "Attacking and repairing batch verification schemes", ASIACRYPT 2000). The
//! opener decrypts the G1-component, [`project`], so tracing is unaffected too.

use ark_bls12_381::{Fr, G1Projective};
use ark_ec::PrimeGroup;
use ark_ff::Field;

/// The effective cofactor `1 − z` of BLS12-381 G1.
const H_EFF: u64 = 0xd201_0000_0001_0001;

/// `h_eff·p`: in G1, and zero exactly when `p` has no G1-component.
pub(super) fn clear_torsion(p: G1Projective) -> G1Projective {
    p.mul_bigint([H_EFF])
}

/// The G1-component of `p`: `p` itself for a point of G1.
pub(super) fn project(p: G1Projective) -> G1Projective {
    let h_eff_inverse = Fr::from(H_EFF)
        .inverse()
        .expect("h_eff is a non-zero integer below r");
    clear_torsion(p) * h_eff_inverse
}

#[cfg(test)]
pub(super) mod tests {
    use ark_bls12_381::{Fq, G1Affine};
    use ark_ec::{AffineRepr, CurveGroup};
    use ark_ff::{UniformRand, Zero};
    use rand::{SeedableRng, rngs::StdRng};

    use super::*;

    /// A point of `E(Fq)` outside G1.
    pub(in super::super) fn point_outside_g1() -> G1Affine {
        (1u64..)
            .filter_map(|x| G1Affine::get_point_from_x_unchecked(Fq::from(x), false))
            .find(|p| !p.is_in_correct_subgroup_assuming_on_curve())
            .expect("most points of E(Fq) lie outside G1")
    }

    #[test]
    fn clearing_keeps_g1_and_kills_the_torsion() {
        let mut rng = StdRng::seed_from_u64(30);
        let q = G1Projective::generator() * Fr::rand(&mut rng);
        let p = point_outside_g1().into_group();
        assert!(
            clear_torsion(p)
                .into_affine()
                .is_in_correct_subgroup_assuming_on_curve()
        );
        assert!(!clear_torsion(p).is_zero());
        // τ = p − project(p) is pure torsion: cleared to zero, and it does not move q.
        let torsion = p - project(p);
        assert!(!torsion.is_zero());
        assert!(clear_torsion(torsion).is_zero());
        assert_eq!(project(q), q);
        assert_eq!(project(q + torsion), q);
        assert_eq!(clear_torsion(q + torsion), clear_torsion(q));
    }
}
