//! Behaviour of the group signatures end to end, and the attacks: forged keys, altered
//! messages, other groups, closed epochs, bad revocations, malformed bytes.

use ark_bls12_381::{Fq, Fr, G1Affine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::UniformRand;
use ark_serialize::CanonicalSerialize;
use rand::{Rng, SeedableRng, rngs::StdRng};

use super::*;

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Layout of an encoded signature: version, epoch, ten 96-byte points, six scalars.
const POINTS_AT: usize = 9;
const POINT: usize = 96;
const SCALARS_AT: usize = POINTS_AT + 10 * POINT;

/// Byte range of the `i`-th point (T1, T2, T3, A', Ā, R1..R5) of an encoded signature.
fn point_bytes(i: usize) -> std::ops::Range<usize> {
    POINTS_AT + i * POINT..POINTS_AT + (i + 1) * POINT
}

struct Group {
    gpk: GroupPublicKey,
    issuing: IssuingKey,
    opening: OpeningKey,
    registry: MemberRegistry,
}

fn group_with_members(n: usize, rng: &mut StdRng) -> (Group, Vec<MemberKey>) {
    let (gpk, issuing, opening) = generate_group(rng);
    let mut registry = MemberRegistry::new(&gpk);
    let keys = (0..n)
        .map(|i| {
            let key = registry
                .enroll(&issuing, &gpk, &format!("patient-{i}"), rng)
                .unwrap();
            key.check(&gpk).unwrap();
            key
        })
        .collect();
    let group = Group {
        gpk,
        issuing,
        opening,
        registry,
    };
    (group, keys)
}

fn open(g: &Group, gpk: &GroupPublicKey, msg: &[u8], sig: &Signature) -> Result<MemberIndex> {
    g.opening.open(gpk, &g.registry, msg, sig)
}

#[test]
fn every_member_signs_verifies_and_opens_to_itself() {
    let mut rng = rng(1);
    let (g, keys) = group_with_members(12, &mut rng);
    for (i, key) in keys.iter().enumerate() {
        let msg = format!("authorize MDA {i}");
        let sig = key.sign(&g.gpk, msg.as_bytes(), &mut rng).unwrap();
        assert_eq!(sig.epoch(), 0);
        g.gpk.verify(msg.as_bytes(), &sig).unwrap();
        let index = open(&g, &g.gpk, msg.as_bytes(), &sig).unwrap();
        assert_eq!(index, key.index());
        assert_eq!(
            g.registry.identity(index),
            Some(format!("patient-{i}").as_str())
        );
    }
}

#[test]
fn key_not_issued_by_the_authority_cannot_sign() {
    let mut rng = rng(2);
    let (g, _) = group_with_members(2, &mut rng);
    // A self-made (A, x) pair.
    let forged = MemberKey {
        index: 0,
        epoch: 0,
        a: (G1Projective::generator() * Fr::rand(&mut rng)).into_affine(),
        x: Fr::rand(&mut rng),
    };
    assert!(matches!(
        forged.check(&g.gpk),
        Err(GroupSigError::KeyMismatch)
    ));
    let sig = forged.sign(&g.gpk, b"msg", &mut rng).unwrap();
    assert!(matches!(
        g.gpk.verify(b"msg", &sig),
        Err(GroupSigError::InvalidSignature)
    ));
    assert!(matches!(
        open(&g, &g.gpk, b"msg", &sig),
        Err(GroupSigError::InvalidSignature)
    ));

    // A key honestly issued by another authority.
    let (other, other_keys) = group_with_members(1, &mut rng);
    let sig = other_keys[0].sign(&g.gpk, b"msg", &mut rng).unwrap();
    assert!(g.gpk.verify(b"msg", &sig).is_err());
    // Another authority's secrets are refused under this group's key.
    assert!(matches!(
        other.issuing.enroll(&g.gpk, 7, &mut rng),
        Err(GroupSigError::KeyMismatch)
    ));
    let honest = keys_sign(&g, &mut rng);
    assert!(matches!(
        other.opening.open(&g.gpk, &g.registry, b"msg", &honest),
        Err(GroupSigError::KeyMismatch)
    ));
}

fn keys_sign(g: &Group, rng: &mut StdRng) -> Signature {
    g.registry
        .member_key(0)
        .unwrap()
        .sign(&g.gpk, b"msg", rng)
        .unwrap()
}

#[test]
fn altered_message_or_signature_fails() {
    let mut rng = rng(3);
    let (g, keys) = group_with_members(1, &mut rng);
    let sig = keys[0]
        .sign(&g.gpk, b"authorize alpha to H", &mut rng)
        .unwrap();
    g.gpk.verify(b"authorize alpha to H", &sig).unwrap();
    assert!(matches!(
        g.gpk.verify(b"authorize alpha to E", &sig),
        Err(GroupSigError::InvalidSignature)
    ));
    assert!(g.gpk.verify(b"", &sig).is_err());
    // Every response is checked.
    let bytes = sig.to_bytes();
    for offset in (SCALARS_AT..Signature::BYTES).step_by(32) {
        let mut altered = bytes.clone();
        altered[offset] ^= 1;
        let altered = Signature::from_bytes(&altered).unwrap();
        assert!(g.gpk.verify(b"authorize alpha to H", &altered).is_err());
    }
    // Swapping two points keeps valid points but breaks the proof.
    for (i, j) in [(0, 1), (3, 4), (5, 6), (2, 7)] {
        let mut swapped = bytes.clone();
        swapped[point_bytes(i)].copy_from_slice(&bytes[point_bytes(j)]);
        swapped[point_bytes(j)].copy_from_slice(&bytes[point_bytes(i)]);
        let swapped = Signature::from_bytes(&swapped).unwrap();
        assert!(g.gpk.verify(b"authorize alpha to H", &swapped).is_err());
    }
}

#[test]
fn other_group_key_rejects_and_trace_group_names_the_signer_group() {
    let mut rng = rng(4);
    let (a, a_keys) = group_with_members(2, &mut rng);
    let (b, _) = group_with_members(2, &mut rng);
    let (c, _) = group_with_members(2, &mut rng);
    let sig = a_keys[1].sign(&a.gpk, b"A_info", &mut rng).unwrap();
    assert!(matches!(
        b.gpk.verify(b"A_info", &sig),
        Err(GroupSigError::InvalidSignature)
    ));
    let groups = [("B", &b.gpk), ("A", &a.gpk), ("C", &c.gpk)];
    assert_eq!(trace_group(&groups, b"A_info", &sig), Some("A"));
    assert_eq!(trace_group(&groups, b"A_inf0", &sig), None);
    assert_eq!(trace_group(&groups[..1], b"A_info", &sig), None);
}

#[test]
fn two_signatures_by_one_member_share_no_component() {
    let mut rng = rng(5);
    let (g, keys) = group_with_members(1, &mut rng);
    let s1 = keys[0]
        .sign(&g.gpk, b"same message", &mut rng)
        .unwrap()
        .to_bytes();
    let s2 = keys[0]
        .sign(&g.gpk, b"same message", &mut rng)
        .unwrap()
        .to_bytes();
    let components = |s: &[u8]| -> Vec<Vec<u8>> {
        let points = s[POINTS_AT..SCALARS_AT].chunks(POINT);
        let scalars = s[SCALARS_AT..].chunks(32);
        points.chain(scalars).map(<[u8]>::to_vec).collect()
    };
    let (c1, c2) = (components(&s1), components(&s2));
    assert_eq!(c1.len(), 16);
    for x in &c1 {
        assert!(!c2.contains(x), "a component repeats across signatures");
    }
}

#[test]
fn revocation_removes_one_member_and_the_rest_update_from_public_data() {
    let mut rng = rng(6);
    let (mut g, keys) = group_with_members(5, &mut rng);
    let gpk0 = g.gpk.clone();
    let old_sig = keys[2].sign(&gpk0, b"before", &mut rng).unwrap();

    let (revocation, gpk1) = g.registry.revoke(&g.issuing, &gpk0, 2).unwrap();
    assert_eq!(gpk1.epoch(), 1);
    assert_eq!(g.registry.epoch(), 1);
    assert_eq!(g.registry.is_revoked(2), Some(true));
    // Anyone derives the same next key from the old one and the published data.
    let published = Revocation::from_bytes(&revocation.to_bytes()).unwrap();
    assert_eq!(gpk0.apply(&published).unwrap(), gpk1);
    g.gpk = gpk1.clone();

    for key in keys.iter().filter(|k| k.index() != 2) {
        let updated = key.update(&published).unwrap();
        assert_eq!(updated.epoch(), 1);
        updated.check(&gpk1).unwrap();
        assert_eq!(updated.a, g.registry.member_key(key.index()).unwrap().a);
        let sig = updated.sign(&gpk1, b"after", &mut rng).unwrap();
        gpk1.verify(b"after", &sig).unwrap();
        assert_eq!(open(&g, &gpk1, b"after", &sig).unwrap(), key.index());
        // A key that was not updated no longer signs for the group.
        assert!(matches!(
            key.sign(&gpk1, b"after", &mut rng),
            Err(GroupSigError::EpochMismatch { .. })
        ));
    }

    // The revoked member cannot update...
    assert!(matches!(
        keys[2].update(&published),
        Err(GroupSigError::Revoked)
    ));
    // ...nor sign for the new epoch by relabelling its old key.
    let relabelled = MemberKey {
        epoch: 1,
        ..keys[2].clone()
    };
    assert!(matches!(
        relabelled.check(&gpk1),
        Err(GroupSigError::KeyMismatch)
    ));
    let sig = relabelled.sign(&gpk1, b"after", &mut rng).unwrap();
    assert!(matches!(
        gpk1.verify(b"after", &sig),
        Err(GroupSigError::InvalidSignature)
    ));
    // Its signatures of the closed epoch are refused under the current key...
    assert!(matches!(
        gpk1.verify(b"before", &old_sig),
        Err(GroupSigError::EpochMismatch {
            expected: 1,
            found: 0
        })
    ));
    // ...yet still open to it under the key of their epoch.
    assert_eq!(open(&g, &gpk0, b"before", &old_sig).unwrap(), 2);
    assert!(matches!(
        g.registry.revoke(&g.issuing, &gpk1, 2),
        Err(GroupSigError::AlreadyRevoked(2))
    ));
}

#[test]
fn members_catch_up_over_several_epochs_and_late_members_join_the_current_one() {
    let mut rng = rng(7);
    let (mut g, keys) = group_with_members(6, &mut rng);
    let mut gpks = vec![g.gpk.clone()];
    let mut revocations = Vec::new();
    for (step, revoked) in [4u64, 0, 5].into_iter().enumerate() {
        let gpk = gpks[step].clone();
        let (rev, next) = g.registry.revoke(&g.issuing, &gpk, revoked).unwrap();
        revocations.push(rev);
        gpks.push(next);
        if step == 1 {
            // Enrolled at epoch 2: gets a key of that epoch, catches up with one update.
            let late = g
                .registry
                .enroll(&g.issuing, &gpks[2], "late", &mut rng)
                .unwrap();
            assert_eq!((late.index(), late.epoch()), (6, 2));
            late.check(&gpks[2]).unwrap();
        }
    }
    g.gpk = gpks[3].clone();
    let late = g.registry.member_key(6).unwrap();
    assert_eq!(late.epoch(), 3);
    late.check(&g.gpk).unwrap();

    // Member 1 was offline for three epochs: skipping one is refused, in order works.
    assert!(matches!(
        keys[1].update(&revocations[1]),
        Err(GroupSigError::EpochMismatch {
            expected: 0,
            found: 1
        })
    ));
    let mut key = keys[1].clone();
    for rev in &revocations {
        key = key.update(rev).unwrap();
    }
    key.check(&g.gpk).unwrap();
    for signer in [&key, &late] {
        let sig = signer.sign(&g.gpk, b"epoch 3", &mut rng).unwrap();
        g.gpk.verify(b"epoch 3", &sig).unwrap();
        assert_eq!(open(&g, &g.gpk, b"epoch 3", &sig).unwrap(), signer.index());
    }
    // Member 0, revoked in the second step, is out from epoch 2 on.
    let key0 = keys[0].update(&revocations[0]).unwrap();
    assert!(matches!(
        key0.update(&revocations[1]),
        Err(GroupSigError::Revoked)
    ));
}

#[test]
fn bad_revocations_are_refused() {
    let mut rng = rng(8);
    let (g, _) = group_with_members(3, &mut rng);
    let (other, _) = group_with_members(1, &mut rng);
    let key = g.registry.member_key(1).unwrap();
    let (rev, _) = g.issuing.revoke(&g.gpk, &key).unwrap();
    let bytes = rev.to_bytes();

    // Wrong x*: the SDH check fails.
    let mut wrong_x = rev.clone();
    wrong_x.x += Fr::from(1u64);
    // A valid point that is not g1^{1/(γ+x*)}.
    let mut wrong_g1 = rev.clone();
    wrong_g1.g1 = (G1Projective::generator() * Fr::rand(&mut rng)).into_affine();
    // g2' with another exponent than g1'.
    let mut wrong_g2 = rev.clone();
    wrong_g2.g2 = (wrong_g2.g2 * Fr::from(2u64)).into_affine();
    for bad in [wrong_x, wrong_g1, wrong_g2] {
        assert!(matches!(
            g.gpk.apply(&bad),
            Err(GroupSigError::InvalidRevocation)
        ));
    }
    // Another group's key, and a revocation of a different epoch.
    assert!(matches!(
        other.gpk.apply(&rev),
        Err(GroupSigError::InvalidRevocation)
    ));
    let mut later = bytes.clone();
    later[0] = 1;
    let later = Revocation::from_bytes(&later).unwrap();
    assert!(matches!(
        g.gpk.apply(&later),
        Err(GroupSigError::EpochMismatch {
            expected: 0,
            found: 1
        })
    ));
    // Another authority cannot revoke in this group.
    assert!(matches!(
        other.issuing.revoke(&g.gpk, &key),
        Err(GroupSigError::KeyMismatch)
    ));
}

#[test]
fn encodings_round_trip() {
    let mut rng = rng(9);
    let (mut g, keys) = group_with_members(3, &mut rng);
    let sig = keys[0].sign(&g.gpk, b"m", &mut rng).unwrap();
    let (rev, gpk1) = g.registry.revoke(&g.issuing, &g.gpk.clone(), 1).unwrap();
    g.gpk = gpk1;

    assert_eq!(g.gpk.to_bytes().len(), GroupPublicKey::BYTES);
    assert_eq!(
        GroupPublicKey::from_bytes(&g.gpk.to_bytes()).unwrap(),
        g.gpk
    );
    assert_eq!(sig.to_bytes().len(), 1161);
    assert_eq!(Signature::from_bytes(&sig.to_bytes()).unwrap(), sig);
    assert_eq!(Revocation::from_bytes(&rev.to_bytes()).unwrap(), rev);
    let key = MemberKey::from_bytes(&keys[2].to_bytes()).unwrap();
    assert_eq!(*key.to_bytes(), *keys[2].to_bytes());
    let issuing = IssuingKey::from_bytes(&g.issuing.to_bytes()).unwrap();
    assert_eq!(*issuing.to_bytes(), *g.issuing.to_bytes());
    let opening = OpeningKey::from_bytes(&g.opening.to_bytes()).unwrap();
    assert_eq!(*opening.to_bytes(), *g.opening.to_bytes());

    let registry = MemberRegistry::from_bytes(&g.registry.to_bytes()).unwrap();
    assert_eq!(*registry.to_bytes(), *g.registry.to_bytes());
    let current = registry.member_key(2).unwrap();
    let sig = current.sign(&g.gpk, b"m", &mut rng).unwrap();
    assert_eq!(opening.open(&g.gpk, &registry, b"m", &sig).unwrap(), 2);
}

/// Encodings of G1 points that key decoding must refuse: off the curve, and on the curve but
/// outside the prime-order subgroup.
fn bad_g1_encodings() -> (Vec<u8>, Vec<u8>) {
    let mut off_curve = None;
    let mut off_subgroup = None;
    for i in 1u64.. {
        match G1Affine::get_point_from_x_unchecked(Fq::from(i), false) {
            None => off_curve = off_curve.or(Some(fq_compressed(Fq::from(i)))),
            Some(p) if !p.is_in_correct_subgroup_assuming_on_curve() => {
                let mut b = Vec::new();
                p.serialize_compressed(&mut b).unwrap();
                off_subgroup = off_subgroup.or(Some(b));
            }
            Some(_) => {}
        }
        if let (Some(a), Some(b)) = (&off_curve, &off_subgroup) {
            return (a.clone(), b.clone());
        }
    }
    unreachable!()
}

/// A compressed-point encoding of the x-coordinate `x` (big-endian, compression flag set).
fn fq_compressed(x: Fq) -> Vec<u8> {
    let mut be = fq_big_endian(x);
    be[0] |= 0x80;
    be
}

fn fq_big_endian(x: Fq) -> Vec<u8> {
    let mut le = Vec::new();
    x.serialize_compressed(&mut le).unwrap();
    le.into_iter().rev().collect()
}

fn uncompressed(p: &G1Affine) -> Vec<u8> {
    let mut b = Vec::new();
    p.serialize_uncompressed(&mut b).unwrap();
    b
}

#[test]
fn malformed_bytes_give_typed_errors() {
    let mut rng = rng(10);
    let (g, keys) = group_with_members(1, &mut rng);
    let sig = keys[0].sign(&g.gpk, b"m", &mut rng).unwrap().to_bytes();
    let t1 = Signature::from_bytes(&sig).unwrap().t1;
    let mut identity = vec![0u8; 96];
    identity[0] = 0x40;
    // T1's x with y + 1: off the curve.
    let off_curve = [fq_big_endian(t1.x), fq_big_endian(t1.y + Fq::from(1u64))].concat();
    let mut compressed_flag = uncompressed(&t1);
    compressed_flag[0] |= 0x80;
    // x = p: a coordinate out of range.
    let mut out_of_range = uncompressed(&t1);
    out_of_range[..48].copy_from_slice(&fq_big_endian(-Fq::from(1u64)));
    out_of_range[47] += 1;

    let with_t1 = |t1: &[u8]| {
        let mut b = sig.clone();
        b[point_bytes(0)].copy_from_slice(t1);
        Signature::from_bytes(&b)
    };
    for bad in [&off_curve, &compressed_flag, &out_of_range] {
        assert!(matches!(
            with_t1(bad),
            Err(GroupSigError::InvalidPoint {
                what: "group signature T1"
            })
        ));
    }
    assert!(matches!(
        with_t1(&identity),
        Err(GroupSigError::IdentityPoint { .. })
    ));

    let mut big_scalar = sig.clone();
    big_scalar[SCALARS_AT..SCALARS_AT + 32].fill(0xff);
    assert!(matches!(
        Signature::from_bytes(&big_scalar),
        Err(GroupSigError::NonCanonicalScalar { .. })
    ));
    let mut version_1 = sig.clone();
    version_1[0] = 1;
    assert!(matches!(
        Signature::from_bytes(&version_1),
        Err(GroupSigError::Malformed {
            reason: "unsupported version",
            ..
        })
    ));
    assert!(matches!(
        Signature::from_bytes(&sig[1..]),
        Err(GroupSigError::Length {
            expected: 1161,
            found: 1160,
            ..
        })
    ));
    // The former 344-byte format is refused by its length.
    assert!(matches!(
        Signature::from_bytes(&sig[..344]),
        Err(GroupSigError::Length { .. })
    ));
    assert!(matches!(
        Signature::from_bytes(&[sig.clone(), vec![0]].concat()),
        Err(GroupSigError::Length { .. })
    ));

    let (off_curve, off_subgroup) = bad_g1_encodings();
    let mut identity = vec![0u8; 48];
    identity[0] = 0xc0;
    let gpk = g.gpk.to_bytes();
    for (bad, what) in [(&off_curve, "off curve"), (&off_subgroup, "off subgroup")] {
        let mut b = gpk.clone();
        b[8..56].copy_from_slice(bad);
        assert!(
            matches!(
                GroupPublicKey::from_bytes(&b),
                Err(GroupSigError::InvalidPoint {
                    what: "group public key g1"
                })
            ),
            "{what}"
        );
    }
    let mut gpk_identity_h = gpk.clone();
    gpk_identity_h[8 + 48 + 96..8 + 2 * 48 + 96].copy_from_slice(&identity);
    assert!(matches!(
        GroupPublicKey::from_bytes(&gpk_identity_h),
        Err(GroupSigError::IdentityPoint {
            what: "group public key h"
        })
    ));
    let mut gpk_bad_g2 = gpk.clone();
    gpk_bad_g2[8 + 48 + 10] ^= 0x55;
    assert!(matches!(
        GroupPublicKey::from_bytes(&gpk_bad_g2),
        Err(GroupSigError::InvalidPoint { .. })
    ));
    assert!(matches!(
        IssuingKey::from_bytes(&[0u8; 32]),
        Err(GroupSigError::ZeroScalar { .. })
    ));
    assert!(matches!(
        OpeningKey::from_bytes(&[0xffu8; 64]),
        Err(GroupSigError::NonCanonicalScalar { .. })
    ));
    assert!(matches!(
        MemberKey::from_bytes(&[]),
        Err(GroupSigError::Length { .. })
    ));
    assert!(matches!(
        Revocation::from_bytes(&[1; 10]),
        Err(GroupSigError::Length { .. })
    ));

    let registry = g.registry.to_bytes();
    assert!(matches!(
        MemberRegistry::from_bytes(&registry[..registry.len() - 1]),
        Err(GroupSigError::Malformed { .. })
    ));
    let mut bad_magic = registry.to_vec();
    bad_magic[0] ^= 1;
    assert!(matches!(
        MemberRegistry::from_bytes(&bad_magic),
        Err(GroupSigError::Malformed { .. })
    ));
    // A huge key count must be refused before anything is allocated.
    let mut huge = registry.to_vec();
    let key_count_at = 8 + 3 * 8 + 8 + 8 + 1 + 32;
    huge[key_count_at..key_count_at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(
        MemberRegistry::from_bytes(&huge),
        Err(GroupSigError::Malformed { .. })
    ));
}

#[test]
fn random_corruptions_never_panic_and_never_verify() {
    let mut rng = rng(11);
    let (g, keys) = group_with_members(1, &mut rng);
    let sig = keys[0].sign(&g.gpk, b"m", &mut rng).unwrap().to_bytes();
    let rev_bytes = {
        let (rev, _) = g.issuing.revoke(&g.gpk, &keys[0]).unwrap();
        rev.to_bytes()
    };
    for _ in 0..200 {
        let mut b = sig.clone();
        let at = rng.gen_range(0..b.len());
        b[at] ^= 1 << rng.gen_range(0..8);
        if let Ok(altered) = Signature::from_bytes(&b) {
            assert!(g.gpk.verify(b"m", &altered).is_err());
        }
        let mut r = rev_bytes.clone();
        let at = rng.gen_range(8..r.len());
        r[at] ^= 1 << rng.gen_range(0..8);
        if let Ok(altered) = Revocation::from_bytes(&r) {
            assert!(g.gpk.apply(&altered).is_err());
        }
    }
    let garbage: Vec<u8> = (0..400).map(|_| rng.r#gen()).collect();
    assert!(GroupPublicKey::from_bytes(&garbage[..GroupPublicKey::BYTES]).is_err());
    assert!(MemberRegistry::from_bytes(&garbage).is_err());
}

#[test]
fn registry_saves_atomically_and_loads() {
    let mut rng = rng(12);
    let (g, _) = group_with_members(3, &mut rng);
    let dir = std::env::temp_dir().join(format!("medshare-groupsig-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("registry.bin");
    g.registry.save(&path).unwrap();
    g.registry.save(&path).unwrap(); // overwrites in place
    let loaded = MemberRegistry::load(&path).unwrap();
    assert_eq!(*loaded.to_bytes(), *g.registry.to_bytes());
    assert_eq!(loaded.identity(1), Some("patient-1"));
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    assert!(matches!(
        MemberRegistry::load(&dir.join("missing")),
        Err(GroupSigError::RegistryIo { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let mut rng = rng(13);
    let (g, keys) = group_with_members(1, &mut rng);
    let shown = format!("{:?} {:?} {:?}", keys[0], g.issuing, g.opening);
    for secret in [
        hex::encode(&*keys[0].to_bytes()),
        hex::encode(&keys[0].to_bytes()[16..48]),
        hex::encode(&keys[0].to_bytes()[64..]),
        hex::encode(&*g.issuing.to_bytes()),
        hex::encode(&g.opening.to_bytes()[..32]),
    ] {
        assert!(!shown.contains(&secret));
    }
    assert!(shown.contains("redacted"));
    assert!(!format!("{:?}", g.registry).contains("patient"));
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<GroupPublicKey>();
    check::<Signature>();
    check::<Revocation>();
    check::<MemberKey>();
    check::<IssuingKey>();
    check::<OpeningKey>();
    check::<MemberRegistry>();
    check::<GroupSigError>();
}

/// `n` signatures on distinct messages by the members of `g` in turn.
fn signed(g: &Group, keys: &[MemberKey], n: usize, rng: &mut StdRng) -> Vec<(Vec<u8>, Signature)> {
    (0..n)
        .map(|i| {
            let msg = format!("authorization {i}").into_bytes();
            let sig = keys[i % keys.len()].sign(&g.gpk, &msg, rng).unwrap();
            (msg, sig)
        })
        .collect()
}

fn as_items(signed: &[(Vec<u8>, Signature)]) -> Vec<(&[u8], &Signature)> {
    signed.iter().map(|(m, s)| (m.as_slice(), s)).collect()
}

#[test]
fn batches_of_good_signatures_verify() {
    let mut rng = rng(14);
    let (g, keys) = group_with_members(4, &mut rng);
    let all = signed(&g, &keys, 64, &mut rng);
    for n in [0, 1, 2, 64] {
        g.gpk.verify_batch(&as_items(&all[..n]), &mut rng).unwrap();
    }
    // Signature from the batch pass singly too, and nothing is reported invalid.
    let items: Vec<_> = all.iter().map(|(m, s)| (&g.gpk, m.as_slice(), s)).collect();
    assert!(find_invalid(&items, &mut rng).is_empty());
}

/// The ways a signature can be bad inside an otherwise good batch of group `g`.
fn bad_signatures(
    g: &Group,
    keys: &[MemberKey],
    rng: &mut StdRng,
) -> Vec<(&'static str, Vec<u8>, Signature)> {
    let msg = b"authorization 999".to_vec();
    let good = keys[0].sign(&g.gpk, &msg, rng).unwrap();
    let bytes = good.to_bytes();
    let decode = |b: &[u8]| Signature::from_bytes(b).unwrap();
    let mut bad = vec![(
        "altered message",
        b"authorization 998".to_vec(),
        good.clone(),
    )];
    for (what, at) in [
        ("altered s_α", SCALARS_AT),
        ("altered s_δ", SCALARS_AT + 5 * 32),
    ] {
        let mut b = bytes.clone();
        b[at] ^= 4;
        bad.push((what, msg.clone(), decode(&b)));
    }
    for (what, i, j) in [
        ("swapped T1, T2", 0, 1),
        ("swapped A', Ā", 3, 4),
        ("swapped R3, R4", 7, 8),
    ] {
        let mut b = bytes.clone();
        b[point_bytes(i)].copy_from_slice(&bytes[point_bytes(j)]);
        b[point_bytes(j)].copy_from_slice(&bytes[point_bytes(i)]);
        bad.push((what, msg.clone(), decode(&b)));
    }
    // A point moved by a torsion component after signing: on the curve, so it decodes.
    let mut torsion = good.clone();
    let tau = super::torsion::tests::point_outside_g1();
    torsion.commitments[0] = (torsion.commitments[0] + tau).into_affine();
    bad.push((
        "torsion added to R1",
        msg.clone(),
        decode(&torsion.to_bytes()),
    ));
    // A forged key (A, x) not issued by the authority.
    let forged = MemberKey {
        index: 0,
        epoch: g.gpk.epoch(),
        a: (G1Projective::generator() * Fr::rand(rng)).into_affine(),
        x: Fr::rand(rng),
    };
    bad.push((
        "forged key",
        msg.clone(),
        forged.sign(&g.gpk, &msg, rng).unwrap(),
    ));
    // A good signature of another group.
    let (other, other_keys) = group_with_members(1, rng);
    let foreign = other_keys[0].sign(&other.gpk, &msg, rng).unwrap();
    bad.push(("another group's signature", msg.clone(), foreign));
    bad
}

#[test]
fn one_bad_signature_anywhere_fails_the_batch_and_is_found() {
    let mut rng = rng(15);
    let (g, keys) = group_with_members(4, &mut rng);
    let mut batch = signed(&g, &keys, 24, &mut rng);
    for (what, msg, sig) in bad_signatures(&g, &keys, &mut rng) {
        assert!(g.gpk.verify(&msg, &sig).is_err(), "{what} verifies alone");
        let at = rng.gen_range(0..=batch.len());
        batch.insert(at, (msg, sig));
        assert!(
            matches!(
                g.gpk.verify_batch(&as_items(&batch), &mut rng),
                Err(GroupSigError::InvalidSignature)
            ),
            "{what}"
        );
        let items: Vec<_> = batch
            .iter()
            .map(|(m, s)| (&g.gpk, m.as_slice(), s))
            .collect();
        assert_eq!(find_invalid(&items, &mut rng), vec![at], "{what}");
        batch.remove(at);
    }
    g.gpk.verify_batch(&as_items(&batch), &mut rng).unwrap();
}

#[test]
fn old_epoch_signature_fails_the_batch() {
    let mut rng = rng(16);
    let (mut g, keys) = group_with_members(3, &mut rng);
    let old = keys[1].sign(&g.gpk, b"before", &mut rng).unwrap();
    let (revocation, next) = g.registry.revoke(&g.issuing, &g.gpk, 0).unwrap();
    g.gpk = next;
    let keys: Vec<_> = keys[1..]
        .iter()
        .map(|k| k.update(&revocation).unwrap())
        .collect();
    let mut batch = signed(&g, &keys, 8, &mut rng);
    batch.insert(5, (b"before".to_vec(), old));
    assert!(matches!(
        g.gpk.verify_batch(&as_items(&batch), &mut rng),
        Err(GroupSigError::EpochMismatch {
            expected: 1,
            found: 0
        })
    ));
    let items: Vec<_> = batch
        .iter()
        .map(|(m, s)| (&g.gpk, m.as_slice(), s))
        .collect();
    assert_eq!(find_invalid(&items, &mut rng), vec![5]);
}

#[test]
fn batches_mix_groups_and_name_every_bad_signature() {
    let mut rng = rng(17);
    let groups: Vec<_> = (0..3).map(|_| group_with_members(2, &mut rng)).collect();
    let signed: Vec<_> = groups
        .iter()
        .map(|(g, keys)| signed(g, keys, 6, &mut rng))
        .collect();
    // Interleaved: signature i of group 0, of group 1, of group 2, then i + 1...
    let items: Vec<(&GroupPublicKey, &[u8], &Signature)> = (0..6)
        .flat_map(|i| {
            groups
                .iter()
                .zip(&signed)
                .map(move |((g, _), s)| (&g.gpk, s[i].0.as_slice(), &s[i].1))
        })
        .collect();
    verify_batch(&items, &mut rng).unwrap();
    // Two signatures presented under the wrong group, one with a wrong message.
    let mut bad = items.clone();
    bad[4].0 = &groups[0].0.gpk;
    bad[9].1 = b"another message";
    bad[13].0 = &groups[2].0.gpk;
    assert!(matches!(
        verify_batch(&bad, &mut rng),
        Err(GroupSigError::InvalidSignature)
    ));
    assert_eq!(find_invalid(&bad, &mut rng), vec![4, 9, 13]);
    assert!(verify_batch(&[], &mut rng).is_ok());
}

#[test]
fn torsion_components_are_ignored_consistently() {
    let mut rng = rng(18);
    let (g, keys) = group_with_members(2, &mut rng);
    let tau = super::torsion::tests::point_outside_g1().into_group();
    let tau = tau - super::torsion::project(tau);
    // A signer adds torsion to its points before hashing them: the G1-components still
    // satisfy every equation, so single and batch verification both accept and opening
    // names the signer.
    let mut commitment = keys[1].commit(&g.gpk, &mut rng).unwrap();
    let sig = &mut commitment.signature;
    for p in [
        &mut sig.t1,
        &mut sig.t3,
        &mut sig.a_prime,
        &mut sig.commitments[4],
    ] {
        *p = (*p + tau).into_affine();
    }
    let sig = commitment.respond(&g.gpk, b"m");
    assert!(!sig.t1.is_in_correct_subgroup_assuming_on_curve());
    let sig = Signature::from_bytes(&sig.to_bytes()).unwrap();
    g.gpk.verify(b"m", &sig).unwrap();
    let mut batch = signed(&g, &keys, 5, &mut rng);
    batch.push((b"m".to_vec(), sig.clone()));
    g.gpk.verify_batch(&as_items(&batch), &mut rng).unwrap();
    assert_eq!(open(&g, &g.gpk, b"m", &sig).unwrap(), keys[1].index());
}

#[test]
fn random_corruptions_never_verify_in_a_batch() {
    let mut rng = rng(19);
    let (g, keys) = group_with_members(2, &mut rng);
    let batch = signed(&g, &keys, 3, &mut rng);
    for _ in 0..40 {
        let mut b = batch[1].1.to_bytes();
        let at = rng.gen_range(0..b.len());
        b[at] ^= 1 << rng.gen_range(0..8);
        if let Ok(altered) = Signature::from_bytes(&b) {
            let mut items = as_items(&batch);
            items[1].1 = &altered;
            assert!(g.gpk.verify_batch(&items, &mut rng).is_err());
        }
    }
}
