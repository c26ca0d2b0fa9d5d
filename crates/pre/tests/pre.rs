//! Behaviour of the scheme as the three parties see it: delegator, storage peers, recipient.
//! Fragments cross party boundaries as bytes, as they will on the wire.

use medshare_pre::{
    CAPSULE_SIZE, CFRAG_SIZE, CFrag, Capsule, DELEGATION_SIZE, Delegation, Error, KFRAG_SIZE,
    KFrag, MasterSecret, PublicKey, SecretKey, Signer, VerifiedCFrag, VerifiedKFrag, VerifyingKey,
    decapsulate_original, decapsulate_reencrypted, encapsulate, generate_kfrags, open_original,
    open_reencrypted, seal,
};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngCore, SeedableRng};

const MDA: [u8; 32] = [0xa1; 32];
const EXPIRES_AT: u64 = 1_000;
const HEIGHT: u64 = 500;

struct Parties {
    delegating: SecretKey,
    signer: Signer,
    recipient: SecretKey,
    delegation: Delegation,
}

fn parties(rng: &mut StdRng, threshold: u8, shares: u8) -> Parties {
    let master = MasterSecret::random(rng);
    let delegating = SecretKey::derive(&master, &MDA);
    let signer = Signer::derive(&master, b"kfrag signer");
    let recipient = SecretKey::random(rng);
    let delegation = Delegation::new(
        MDA,
        delegating.public_key(),
        signer.verifying_key(),
        recipient.public_key(),
        threshold,
        shares,
        EXPIRES_AT,
    )
    .unwrap();
    Parties {
        delegating,
        signer,
        recipient,
        delegation,
    }
}

/// The delegator's fragments as each storage peer receives and checks them.
fn kfrags_at_peers(rng: &mut StdRng, parties: &Parties) -> Vec<VerifiedKFrag> {
    generate_kfrags(
        &parties.delegating,
        &parties.signer,
        &parties.delegation,
        rng,
    )
    .unwrap()
    .iter()
    .map(|kfrag| {
        KFrag::from_bytes(&kfrag.to_bytes()[..])
            .unwrap()
            .verify(&parties.delegation)
            .unwrap()
    })
    .collect()
}

/// Each peer re-encrypts; the recipient receives the bytes.
fn cfrag_bytes(rng: &mut StdRng, kfrags: &[VerifiedKFrag], capsule: &Capsule) -> Vec<Vec<u8>> {
    kfrags
        .iter()
        .map(|kfrag| {
            kfrag
                .reencrypt(capsule, HEIGHT, rng)
                .unwrap()
                .to_bytes()
                .to_vec()
        })
        .collect()
}

fn verify_all(bytes: &[Vec<u8>], capsule: &Capsule, delegation: &Delegation) -> Vec<VerifiedCFrag> {
    bytes
        .iter()
        .map(|cfrag| {
            CFrag::from_bytes(cfrag)
                .unwrap()
                .verify(capsule, delegation)
                .unwrap()
        })
        .collect()
}

fn verify_err(bytes: &[u8], capsule: &Capsule, delegation: &Delegation) -> Error {
    CFrag::from_bytes(bytes)
        .unwrap()
        .verify(capsule, delegation)
        .unwrap_err()
}

fn kfrag_verify_err(bytes: &[u8], delegation: &Delegation) -> Error {
    KFrag::from_bytes(bytes)
        .unwrap()
        .verify(delegation)
        .unwrap_err()
}

/// Another valid, canonical point encoding (to tamper without tripping the decoder).
fn other_point(rng: &mut StdRng) -> [u8; 32] {
    SecretKey::random(rng).public_key().to_bytes()
}

#[test]
fn any_threshold_subset_recovers_the_key_and_payload() {
    let mut rng = StdRng::seed_from_u64(1);
    for (threshold, shares) in [(1u8, 1u8), (1, 3), (2, 3), (3, 4), (4, 4), (5, 7), (7, 10)] {
        let parties = parties(&mut rng, threshold, shares);
        let kfrags = kfrags_at_peers(&mut rng, &parties);
        assert_eq!(kfrags.len(), usize::from(shares));

        let data_key = b"the MDA's 32-byte stream key....";
        let (capsule, ciphertext) = seal(
            &parties.delegation.delegating_key(),
            data_key,
            b"mda",
            &mut rng,
        );
        let capsule = Capsule::from_bytes(&capsule.to_bytes()).unwrap();
        let original = decapsulate_original(&parties.delegating, &capsule);
        let cfrags = verify_all(
            &cfrag_bytes(&mut rng, &kfrags, &capsule),
            &capsule,
            &parties.delegation,
        );

        for _ in 0..4 {
            let mut subset = cfrags.clone();
            subset.shuffle(&mut rng);
            subset.truncate(usize::from(threshold));
            let key =
                decapsulate_reencrypted(&parties.recipient, &parties.delegation, &capsule, &subset)
                    .unwrap();
            assert_eq!(key, original, "t={threshold} n={shares}");
            let opened = open_reencrypted(
                &parties.recipient,
                &parties.delegation,
                &capsule,
                &subset,
                &ciphertext,
                b"mda",
            )
            .unwrap();
            assert_eq!(&opened[..], data_key);
        }
        // All n fragments together also interpolate the same polynomial.
        let key =
            decapsulate_reencrypted(&parties.recipient, &parties.delegation, &capsule, &cfrags)
                .unwrap();
        assert_eq!(key, original);
    }
}

#[test]
fn every_three_of_four_subset_works() {
    let mut rng = StdRng::seed_from_u64(2);
    let parties = parties(&mut rng, 3, 4);
    let kfrags = kfrags_at_peers(&mut rng, &parties);
    let (capsule, key) = encapsulate(&parties.delegation.delegating_key(), &mut rng);
    let cfrags = verify_all(
        &cfrag_bytes(&mut rng, &kfrags, &capsule),
        &capsule,
        &parties.delegation,
    );
    for left_out in 0..4 {
        let subset: Vec<_> = (0..4)
            .filter(|i| *i != left_out)
            .map(|i| cfrags[i].clone())
            .collect();
        assert_eq!(
            decapsulate_reencrypted(&parties.recipient, &parties.delegation, &capsule, &subset)
                .unwrap(),
            key
        );
    }
}

#[test]
fn fewer_than_threshold_fragments_are_refused() {
    let mut rng = StdRng::seed_from_u64(3);
    let parties = parties(&mut rng, 3, 4);
    let kfrags = kfrags_at_peers(&mut rng, &parties);
    let (capsule, _) = encapsulate(&parties.delegation.delegating_key(), &mut rng);
    let cfrags = verify_all(
        &cfrag_bytes(&mut rng, &kfrags, &capsule),
        &capsule,
        &parties.delegation,
    );
    for got in 0..3 {
        assert_eq!(
            decapsulate_reencrypted(
                &parties.recipient,
                &parties.delegation,
                &capsule,
                &cfrags[..got]
            ),
            Err(Error::NotEnoughFragments { needed: 3, got })
        );
    }
}

#[test]
fn a_repeated_fragment_does_not_count_twice() {
    let mut rng = StdRng::seed_from_u64(4);
    let parties = parties(&mut rng, 2, 3);
    let kfrags = kfrags_at_peers(&mut rng, &parties);
    let (capsule, _) = encapsulate(&parties.delegation.delegating_key(), &mut rng);
    let cfrags = verify_all(
        &cfrag_bytes(&mut rng, &kfrags[..1], &capsule),
        &capsule,
        &parties.delegation,
    );
    let twice = [cfrags[0].clone(), cfrags[0].clone()];
    assert_eq!(
        decapsulate_reencrypted(&parties.recipient, &parties.delegation, &capsule, &twice),
        Err(Error::DuplicateFragment)
    );
    // The same key fragment re-encrypting twice (fresh proof nonce) is still the same share.
    let again = kfrags[0].reencrypt(&capsule, HEIGHT, &mut rng).unwrap();
    assert_ne!(again.to_bytes(), cfrags[0].to_bytes());
    assert_eq!(
        decapsulate_reencrypted(
            &parties.recipient,
            &parties.delegation,
            &capsule,
            &[cfrags[0].clone(), again]
        ),
        Err(Error::DuplicateFragment)
    );
}

#[test]
fn fragments_of_two_kfrag_sets_do_not_mix() {
    let mut rng = StdRng::seed_from_u64(5);
    let parties = parties(&mut rng, 2, 2);
    let first = kfrags_at_peers(&mut rng, &parties);
    let second = kfrags_at_peers(&mut rng, &parties);
    let (capsule, _) = encapsulate(&parties.delegation.delegating_key(), &mut rng);
    let mixed = verify_all(
        &cfrag_bytes(&mut rng, &[first[0].clone(), second[1].clone()], &capsule),
        &capsule,
        &parties.delegation,
    );
    assert_eq!(
        decapsulate_reencrypted(&parties.recipient, &parties.delegation, &capsule, &mixed),
        Err(Error::MixedPrecursors)
    );
}

#[test]
fn a_tampered_capsule_fragment_is_rejected() {
    let mut rng = StdRng::seed_from_u64(6);
    let parties = parties(&mut rng, 2, 3);
    let kfrags = kfrags_at_peers(&mut rng, &parties);
    let (capsule, _) = encapsulate(&parties.delegation.delegating_key(), &mut rng);
    let honest = cfrag_bytes(&mut rng, &kfrags[..1], &capsule).remove(0);
    let replacement = other_point(&mut rng);
    // E1, V1, then the proof's E2, V2, U2: any replaced point breaks the proof.
    for offset in [0, 32, 256, 288, 320] {
        let mut tampered = honest.clone();
        tampered[offset..offset + 32].copy_from_slice(&replacement);
        assert_eq!(
            verify_err(&tampered, &capsule, &parties.delegation),
            Error::BadCFragProof,
            "point at {offset}"
        );
    }
    // The response z.
    let mut tampered = honest.clone();
    tampered[352..].copy_from_slice(&[7u8; 32]);
    assert_eq!(
        verify_err(&tampered, &capsule, &parties.delegation),
        Error::BadCFragProof
    );
    // The commitment, precursor or key-fragment id: the delegator's signature no longer covers it.
    for offset in [160, 128] {
        let mut tampered = honest.clone();
        tampered[offset..offset + 32].copy_from_slice(&replacement);
        assert_eq!(
            verify_err(&tampered, &capsule, &parties.delegation),
            Error::BadKFragSignature,
            "field at {offset}"
        );
    }
    let mut tampered = honest.clone();
    tampered[96] ^= 1;
    assert_eq!(
        verify_err(&tampered, &capsule, &parties.delegation),
        Error::BadKFragSignature
    );
    // The untouched fragment still verifies.
    CFrag::from_bytes(&honest)
        .unwrap()
        .verify(&capsule, &parties.delegation)
        .unwrap();
}

#[test]
fn a_capsule_fragment_from_a_forged_key_fragment_is_rejected() {
    let mut rng = StdRng::seed_from_u64(7);
    let parties = parties(&mut rng, 2, 3);
    let (capsule, _) = encapsulate(&parties.delegation.delegating_key(), &mut rng);

    // A peer forges key fragments for the same MDA and recipient under its own keys: its
    // delegation (and its fragments) verify only against itself.
    let forger_key = SecretKey::random(&mut rng);
    let forger_signer = Signer::random(&mut rng);
    let forged = Delegation::new(
        MDA,
        forger_key.public_key(),
        forger_signer.verifying_key(),
        parties.recipient.public_key(),
        2,
        3,
        EXPIRES_AT,
    )
    .unwrap();
    let forged_kfrags = generate_kfrags(&forger_key, &forger_signer, &forged, &mut rng).unwrap();
    let forged_cfrag = cfrag_bytes(&mut rng, &forged_kfrags[..1], &capsule).remove(0);
    assert_eq!(
        verify_err(&forged_cfrag, &capsule, &parties.delegation),
        Error::DelegationMismatch
    );
    // Relabelled with the real delegation's id, the forger's signature does not verify.
    let mut relabelled = forged_cfrag.clone();
    relabelled[64..96].copy_from_slice(parties.delegation.id().as_bytes());
    assert_eq!(
        verify_err(&relabelled, &capsule, &parties.delegation),
        Error::BadKFragSignature
    );
}

#[test]
fn a_key_fragment_not_signed_by_the_delegator_is_rejected() {
    let mut rng = StdRng::seed_from_u64(8);
    let parties = parties(&mut rng, 2, 3);
    // The same delegation except for the signer: fragments signed by someone else.
    let impostor = Signer::random(&mut rng);
    let impostor_delegation = Delegation::new(
        MDA,
        parties.delegating.public_key(),
        impostor.verifying_key(),
        parties.recipient.public_key(),
        2,
        3,
        EXPIRES_AT,
    )
    .unwrap();
    let kfrag = generate_kfrags(
        &parties.delegating,
        &impostor,
        &impostor_delegation,
        &mut rng,
    )
    .unwrap()
    .remove(0)
    .to_bytes();
    assert_eq!(
        kfrag_verify_err(&kfrag[..], &parties.delegation),
        Error::DelegationMismatch
    );
    let mut relabelled = kfrag.to_vec();
    relabelled[..32].copy_from_slice(parties.delegation.id().as_bytes());
    assert_eq!(
        kfrag_verify_err(&relabelled, &parties.delegation),
        Error::BadKFragSignature
    );

    // A genuine fragment with a flipped signature byte.
    let genuine = kfrags_at_peers(&mut rng, &parties).remove(0).to_bytes();
    let mut flipped = genuine.to_vec();
    flipped[KFRAG_SIZE - 40] ^= 1;
    assert_eq!(
        kfrag_verify_err(&flipped, &parties.delegation),
        Error::BadKFragSignature
    );

    // The delegator cannot sign with a key the delegation does not name.
    assert_eq!(
        generate_kfrags(
            &parties.delegating,
            &impostor,
            &parties.delegation,
            &mut rng
        )
        .unwrap_err(),
        Error::KeyMismatch {
            what: "signing key"
        }
    );
}

#[test]
fn a_key_fragment_with_a_swapped_share_is_rejected_by_the_peer() {
    let mut rng = StdRng::seed_from_u64(9);
    let parties = parties(&mut rng, 2, 3);
    let genuine = kfrags_at_peers(&mut rng, &parties).remove(0).to_bytes();
    let mut swapped = genuine.to_vec();
    swapped[64..96].copy_from_slice(&[5u8; 32]);
    assert_eq!(
        kfrag_verify_err(&swapped, &parties.delegation),
        Error::KFragCommitmentMismatch
    );
}

#[test]
fn a_key_fragment_for_one_delegation_is_refused_under_another() {
    let mut rng = StdRng::seed_from_u64(10);
    let parties = parties(&mut rng, 2, 3);
    let a = parties.delegation;
    let other_recipient = SecretKey::random(&mut rng).public_key();
    let variants = [
        // Another MDA, another recipient, a later expiry, a lower threshold.
        Delegation::new(
            [0xb2; 32],
            a.delegating_key(),
            a.verifying_key(),
            a.recipient(),
            2,
            3,
            EXPIRES_AT,
        ),
        Delegation::new(
            MDA,
            a.delegating_key(),
            a.verifying_key(),
            other_recipient,
            2,
            3,
            EXPIRES_AT,
        ),
        Delegation::new(
            MDA,
            a.delegating_key(),
            a.verifying_key(),
            a.recipient(),
            2,
            3,
            EXPIRES_AT + 1,
        ),
        Delegation::new(
            MDA,
            a.delegating_key(),
            a.verifying_key(),
            a.recipient(),
            1,
            3,
            EXPIRES_AT,
        ),
    ];
    let kfrags = kfrags_at_peers(&mut rng, &parties);
    let kfrag = kfrags[0].to_bytes();
    let (capsule, _) = encapsulate(&a.delegating_key(), &mut rng);
    let cfrag = cfrag_bytes(&mut rng, &kfrags[..1], &capsule).remove(0);
    for b in variants {
        let b = b.unwrap();
        assert_ne!(a.id(), b.id());
        // At the peer.
        assert_eq!(kfrag_verify_err(&kfrag[..], &b), Error::DelegationMismatch);
        let mut relabelled = kfrag.to_vec();
        relabelled[..32].copy_from_slice(b.id().as_bytes());
        assert_eq!(kfrag_verify_err(&relabelled, &b), Error::BadKFragSignature);
        // At the recipient.
        assert_eq!(verify_err(&cfrag, &capsule, &b), Error::DelegationMismatch);
        let mut relabelled = cfrag.clone();
        relabelled[64..96].copy_from_slice(b.id().as_bytes());
        assert_eq!(
            verify_err(&relabelled, &capsule, &b),
            Error::BadKFragSignature
        );
    }
}

#[test]
fn a_capsule_fragment_replayed_for_another_capsule_is_rejected() {
    let mut rng = StdRng::seed_from_u64(11);
    let parties = parties(&mut rng, 2, 3);
    let kfrags = kfrags_at_peers(&mut rng, &parties);
    let key = parties.delegation.delegating_key();
    let (first, _) = encapsulate(&key, &mut rng);
    let (second, second_key) = encapsulate(&key, &mut rng);
    let for_first = cfrag_bytes(&mut rng, &kfrags, &first);
    // As bytes: the proof covers the capsule.
    assert_eq!(
        verify_err(&for_first[0], &second, &parties.delegation),
        Error::BadCFragProof
    );
    // Already verified for the first capsule, then offered for the second.
    let verified_first = verify_all(&for_first, &first, &parties.delegation);
    let for_second = verify_all(
        &cfrag_bytes(&mut rng, &kfrags[..1], &second),
        &second,
        &parties.delegation,
    );
    assert_eq!(
        decapsulate_reencrypted(
            &parties.recipient,
            &parties.delegation,
            &second,
            &[for_second[0].clone(), verified_first[1].clone()]
        ),
        Err(Error::CFragForOtherCapsule)
    );
    let mut both = for_second;
    both.extend(verify_all(
        &cfrag_bytes(&mut rng, &kfrags[1..2], &second),
        &second,
        &parties.delegation,
    ));
    assert_eq!(
        decapsulate_reencrypted(&parties.recipient, &parties.delegation, &second, &both).unwrap(),
        second_key
    );
}

#[test]
fn fragments_of_one_mda_open_no_capsule_of_another() {
    let mut rng = StdRng::seed_from_u64(12);
    let master = MasterSecret::random(&mut rng);
    let signer = Signer::derive(&master, b"kfrag signer");
    let recipient = SecretKey::random(&mut rng);
    let mda_a = SecretKey::derive(&master, b"mda a");
    let mda_b = SecretKey::derive(&master, b"mda b");
    let delegation_a = Delegation::new(
        *b"mda a...........................",
        mda_a.public_key(),
        signer.verifying_key(),
        recipient.public_key(),
        2,
        2,
        EXPIRES_AT,
    )
    .unwrap();
    let kfrags = generate_kfrags(&mda_a, &signer, &delegation_a, &mut rng).unwrap();
    // A payload sealed under MDA b: the peers' re-encryption is honest, so the proofs verify and
    // the fragments combine, but to a key unrelated to b's capsule key.
    let (capsule_b, ciphertext_b) = seal(&mda_b.public_key(), b"b's data key", b"", &mut rng);
    let cfrags = verify_all(
        &cfrag_bytes(&mut rng, &kfrags, &capsule_b),
        &capsule_b,
        &delegation_a,
    );
    let combined = decapsulate_reencrypted(&recipient, &delegation_a, &capsule_b, &cfrags).unwrap();
    assert_ne!(combined, decapsulate_original(&mda_b, &capsule_b));
    assert_eq!(
        open_reencrypted(
            &recipient,
            &delegation_a,
            &capsule_b,
            &cfrags,
            &ciphertext_b,
            b""
        ),
        Err(Error::Decryption)
    );
    // The same fragments do open a capsule of MDA a.
    let (capsule_a, ciphertext_a) = seal(&mda_a.public_key(), b"a's data key", b"", &mut rng);
    let cfrags = verify_all(
        &cfrag_bytes(&mut rng, &kfrags, &capsule_a),
        &capsule_a,
        &delegation_a,
    );
    assert_eq!(
        &open_reencrypted(
            &recipient,
            &delegation_a,
            &capsule_a,
            &cfrags,
            &ciphertext_a,
            b""
        )
        .unwrap()[..],
        b"a's data key"
    );
}

#[test]
fn peers_refuse_to_reencrypt_after_expiry() {
    let mut rng = StdRng::seed_from_u64(13);
    let parties = parties(&mut rng, 1, 2);
    let kfrags = kfrags_at_peers(&mut rng, &parties);
    let (capsule, _) = encapsulate(&parties.delegation.delegating_key(), &mut rng);
    kfrags[0].reencrypt(&capsule, EXPIRES_AT, &mut rng).unwrap();
    assert_eq!(
        kfrags[0]
            .reencrypt(&capsule, EXPIRES_AT + 1, &mut rng)
            .unwrap_err(),
        Error::Expired {
            expires_at: EXPIRES_AT,
            height: EXPIRES_AT + 1
        }
    );
}

#[test]
fn only_the_named_keys_act() {
    let mut rng = StdRng::seed_from_u64(14);
    let parties = parties(&mut rng, 1, 1);
    let stranger = SecretKey::random(&mut rng);
    assert_eq!(
        generate_kfrags(&stranger, &parties.signer, &parties.delegation, &mut rng).unwrap_err(),
        Error::KeyMismatch {
            what: "delegating key"
        }
    );
    let kfrags = kfrags_at_peers(&mut rng, &parties);
    let (capsule, _) = encapsulate(&parties.delegation.delegating_key(), &mut rng);
    let cfrags = verify_all(
        &cfrag_bytes(&mut rng, &kfrags, &capsule),
        &capsule,
        &parties.delegation,
    );
    assert_eq!(
        decapsulate_reencrypted(&stranger, &parties.delegation, &capsule, &cfrags),
        Err(Error::KeyMismatch {
            what: "recipient key"
        })
    );
}

#[test]
fn sealed_payloads_authenticate_capsule_ciphertext_and_context() {
    let mut rng = StdRng::seed_from_u64(15);
    let owner = SecretKey::random(&mut rng);
    let (capsule, ciphertext) = seal(&owner.public_key(), b"payload", b"context", &mut rng);
    assert_eq!(
        &open_original(&owner, &capsule, &ciphertext, b"context").unwrap()[..],
        b"payload"
    );
    assert_eq!(
        open_original(&owner, &capsule, &ciphertext, b"other context"),
        Err(Error::Decryption)
    );
    let mut flipped = ciphertext.clone();
    flipped[0] ^= 1;
    assert_eq!(
        open_original(&owner, &capsule, &flipped, b"context"),
        Err(Error::Decryption)
    );
    let (other_capsule, _) = seal(&owner.public_key(), b"payload", b"context", &mut rng);
    assert_eq!(
        open_original(&owner, &other_capsule, &ciphertext, b"context"),
        Err(Error::Decryption)
    );
    assert_eq!(
        open_original(
            &SecretKey::random(&mut rng),
            &capsule,
            &ciphertext,
            b"context"
        ),
        Err(Error::Decryption)
    );
}

#[test]
fn derived_keys_are_deterministic_and_independent_per_context() {
    let master = MasterSecret::from_bytes([3; 32]);
    let again = MasterSecret::from_bytes(*master.to_bytes());
    let a = SecretKey::derive(&master, b"mda a");
    assert_eq!(
        a.public_key(),
        SecretKey::derive(&again, b"mda a").public_key()
    );
    assert_ne!(
        a.public_key(),
        SecretKey::derive(&master, b"mda b").public_key()
    );
    assert_ne!(
        a.public_key(),
        SecretKey::derive(&MasterSecret::from_bytes([4; 32]), b"mda a").public_key()
    );
    assert_eq!(
        Signer::derive(&master, b"s").verifying_key(),
        Signer::derive(&again, b"s").verifying_key()
    );
    assert_ne!(
        Signer::derive(&master, b"s").verifying_key(),
        Signer::derive(&master, b"t").verifying_key()
    );
    let restored = SecretKey::from_bytes(&a.to_bytes()[..]).unwrap();
    assert_eq!(restored.public_key(), a.public_key());
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let mut rng = StdRng::seed_from_u64(16);
    let master = MasterSecret::random(&mut rng);
    let secret = SecretKey::derive(&master, b"mda");
    let parties = parties(&mut rng, 1, 1);
    let kfrag = kfrags_at_peers(&mut rng, &parties).remove(0);
    let (_, data_key) = encapsulate(&secret.public_key(), &mut rng);
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let printed = format!(
        "{master:?} {secret:?} {kfrag:?} {data_key:?} {:?}",
        parties.signer
    );
    for secret_bytes in [
        hex(&master.to_bytes()[..]),
        hex(&secret.to_bytes()[..]),
        hex(&kfrag.to_bytes()[64..96]),
        hex(data_key.as_bytes()),
    ] {
        assert!(!printed.contains(&secret_bytes), "{printed}");
    }
    assert!(printed.contains("<redacted>"));
}

#[test]
fn encodings_round_trip_and_have_fixed_sizes() {
    let mut rng = StdRng::seed_from_u64(17);
    let parties = parties(&mut rng, 2, 3);
    let delegation = Delegation::from_bytes(&parties.delegation.to_bytes()).unwrap();
    assert_eq!(delegation, parties.delegation);
    assert_eq!(delegation.to_bytes().len(), DELEGATION_SIZE);
    assert_eq!(delegation.mda_id(), &MDA);
    assert_eq!((delegation.threshold(), delegation.shares()), (2, 3));
    assert_eq!(delegation.expires_at(), EXPIRES_AT);
    let kfrags = kfrags_at_peers(&mut rng, &parties);
    assert_eq!(kfrags[0].to_bytes().len(), KFRAG_SIZE);
    // A peer files a received fragment under the delegation it names, before verifying it.
    let received = KFrag::from_bytes(&kfrags[0].to_bytes()[..]).unwrap();
    assert_eq!(received.delegation_id(), delegation.id());
    assert_ne!(kfrags[0].id(), kfrags[1].id());
    let (capsule, _) = encapsulate(&delegation.delegating_key(), &mut rng);
    assert_eq!(Capsule::from_bytes(&capsule.to_bytes()).unwrap(), capsule);
    let cfrag = cfrag_bytes(&mut rng, &kfrags[..1], &capsule).remove(0);
    assert_eq!(cfrag.len(), CFRAG_SIZE);
    assert_eq!(
        CFrag::from_bytes(&cfrag).unwrap().to_bytes().to_vec(),
        cfrag
    );
    let key = parties.signer.verifying_key();
    assert_eq!(VerifyingKey::from_bytes(&key.to_bytes()).unwrap(), key);
}

#[test]
fn wrong_lengths_are_refused() {
    let mut rng = StdRng::seed_from_u64(18);
    let parties = parties(&mut rng, 2, 3);
    let kfrag = kfrags_at_peers(&mut rng, &parties)
        .remove(0)
        .to_bytes()
        .to_vec();
    let (capsule, _) = encapsulate(&parties.delegation.delegating_key(), &mut rng);
    let capsule = capsule.to_bytes().to_vec();
    assert_eq!(capsule.len(), CAPSULE_SIZE);
    let cfrag = {
        let kfrag = KFrag::from_bytes(&kfrag)
            .unwrap()
            .verify(&parties.delegation)
            .unwrap();
        let capsule = Capsule::from_bytes(&capsule).unwrap();
        kfrag
            .reencrypt(&capsule, HEIGHT, &mut rng)
            .unwrap()
            .to_bytes()
            .to_vec()
    };
    let delegation = parties.delegation.to_bytes().to_vec();
    let public = parties.recipient.public_key().to_bytes().to_vec();
    type Decode = fn(&[u8]) -> Option<Error>;
    let cases: [(&str, Vec<u8>, Decode); 6] = [
        ("capsule", capsule, |b| Capsule::from_bytes(b).err()),
        ("key fragment", kfrag, |b| KFrag::from_bytes(b).err()),
        ("capsule fragment", cfrag, |b| CFrag::from_bytes(b).err()),
        ("delegation", delegation, |b| {
            Delegation::from_bytes(b).err()
        }),
        ("public key", public.clone(), |b| {
            PublicKey::from_bytes(b).err()
        }),
        ("verifying key", public, |b| {
            VerifyingKey::from_bytes(b).err()
        }),
    ];
    for (what, bytes, decode) in cases {
        let expected = bytes.len();
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert_eq!(
            decode(&trailing),
            Some(Error::Length {
                what,
                expected,
                got: expected + 1
            })
        );
        assert_eq!(
            decode(&bytes[..expected - 1]),
            Some(Error::Length {
                what,
                expected,
                got: expected - 1
            })
        );
        assert_eq!(
            decode(&[]),
            Some(Error::Length {
                what,
                expected,
                got: 0
            })
        );
    }
}

#[test]
fn non_canonical_and_identity_points_are_refused() {
    let mut rng = StdRng::seed_from_u64(19);
    let parties = parties(&mut rng, 2, 3);
    let identity = [0u8; 32];
    // p itself (not reduced), and 1 (an odd, hence "negative", field element).
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    let mut one = [0u8; 32];
    one[0] = 1;
    let non_canonical = [p, one, [0xff; 32]];

    assert_eq!(
        PublicKey::from_bytes(&identity),
        Err(Error::IdentityPoint { what: "public key" })
    );
    for bytes in non_canonical {
        assert_eq!(
            PublicKey::from_bytes(&bytes),
            Err(Error::NonCanonicalPoint { what: "public key" })
        );
    }
    // A canonical encoding of a valid point, for contrast.
    let valid = parties.recipient.public_key().to_bytes();
    let mut negated_sign = valid;
    negated_sign[0] |= 1;
    assert_eq!(
        PublicKey::from_bytes(&negated_sign),
        Err(Error::NonCanonicalPoint { what: "public key" })
    );

    let (capsule, _) = encapsulate(&parties.delegation.delegating_key(), &mut rng);
    let mut bytes = capsule.to_bytes();
    bytes[32..64].copy_from_slice(&identity);
    assert_eq!(
        Capsule::from_bytes(&bytes),
        Err(Error::IdentityPoint { what: "capsule V" })
    );
    let mut bytes = capsule.to_bytes();
    bytes[..32].copy_from_slice(&p);
    assert_eq!(
        Capsule::from_bytes(&bytes),
        Err(Error::NonCanonicalPoint { what: "capsule E" })
    );

    let kfrags = kfrags_at_peers(&mut rng, &parties);
    let mut kfrag = kfrags[0].to_bytes().to_vec();
    kfrag[128..160].copy_from_slice(&identity);
    assert_eq!(
        KFrag::from_bytes(&kfrag).unwrap_err(),
        Error::IdentityPoint {
            what: "key fragment commitment"
        }
    );
    let cfrag = cfrag_bytes(&mut rng, &kfrags[..1], &capsule).remove(0);
    for (offset, what) in [
        (0, "capsule fragment E1"),
        (32, "capsule fragment V1"),
        (128, "capsule fragment precursor"),
        (320, "proof U2"),
    ] {
        let mut tampered = cfrag.clone();
        tampered[offset..offset + 32].copy_from_slice(&identity);
        assert_eq!(
            CFrag::from_bytes(&tampered).unwrap_err(),
            Error::IdentityPoint { what }
        );
        tampered[offset..offset + 32].copy_from_slice(&one);
        assert_eq!(
            CFrag::from_bytes(&tampered).unwrap_err(),
            Error::NonCanonicalPoint { what }
        );
    }
}

#[test]
fn non_canonical_scalars_and_invalid_keys_are_refused() {
    let mut rng = StdRng::seed_from_u64(20);
    let parties = parties(&mut rng, 2, 3);
    // ℓ, the group order, little-endian: the smallest unreduced value.
    let order: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    assert_eq!(
        SecretKey::from_bytes(&order).unwrap_err(),
        Error::NonCanonicalScalar { what: "secret key" }
    );
    assert_eq!(
        SecretKey::from_bytes(&[0; 32]).unwrap_err(),
        Error::ZeroScalar { what: "secret key" }
    );

    let (capsule, _) = encapsulate(&parties.delegation.delegating_key(), &mut rng);
    let mut bytes = capsule.to_bytes();
    bytes[64..].copy_from_slice(&order);
    assert_eq!(
        Capsule::from_bytes(&bytes),
        Err(Error::NonCanonicalScalar { what: "capsule s" })
    );
    // A canonical but wrong s: the capsule's validity check fails, so peers never touch it.
    bytes[64..].copy_from_slice(&[1; 32]);
    assert_eq!(Capsule::from_bytes(&bytes), Err(Error::InvalidCapsule));

    let kfrags = kfrags_at_peers(&mut rng, &parties);
    let mut kfrag = kfrags[0].to_bytes().to_vec();
    kfrag[64..96].copy_from_slice(&order);
    assert_eq!(
        KFrag::from_bytes(&kfrag).unwrap_err(),
        Error::NonCanonicalScalar {
            what: "key fragment share"
        }
    );
    let mut cfrag = cfrag_bytes(&mut rng, &kfrags[..1], &capsule).remove(0);
    cfrag[352..].copy_from_slice(&order);
    assert_eq!(
        CFrag::from_bytes(&cfrag).unwrap_err(),
        Error::NonCanonicalScalar { what: "proof z" }
    );

    // ed25519: the identity (small order) and a non-point.
    let mut ed_identity = [0u8; 32];
    ed_identity[0] = 1;
    assert_eq!(
        VerifyingKey::from_bytes(&ed_identity),
        Err(Error::InvalidVerifyingKey)
    );
    let mut delegation = parties.delegation.to_bytes();
    delegation[64..96].copy_from_slice(&ed_identity);
    assert_eq!(
        Delegation::from_bytes(&delegation),
        Err(Error::InvalidVerifyingKey)
    );
    // A threshold of zero, or above the number of shares.
    for (threshold, shares) in [(0u8, 3u8), (4, 3)] {
        let mut delegation = parties.delegation.to_bytes();
        delegation[128] = threshold;
        delegation[129] = shares;
        assert_eq!(
            Delegation::from_bytes(&delegation),
            Err(Error::InvalidThreshold { threshold, shares })
        );
    }
}

#[test]
fn a_signature_with_a_non_canonical_s_is_refused() {
    let mut rng = StdRng::seed_from_u64(21);
    let parties = parties(&mut rng, 2, 3);
    let genuine = kfrags_at_peers(&mut rng, &parties).remove(0).to_bytes();
    // s + ℓ encodes the same residue; strict verification refuses the malleated form.
    let order: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut malleated = genuine.to_vec();
    let s = &mut malleated[KFRAG_SIZE - 32..];
    let mut carry = 0u16;
    for (byte, add) in s.iter_mut().zip(order) {
        let sum = u16::from(*byte) + u16::from(add) + carry;
        *byte = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(
        kfrag_verify_err(&malleated, &parties.delegation),
        Error::BadKFragSignature
    );
    KFrag::from_bytes(&genuine[..])
        .unwrap()
        .verify(&parties.delegation)
        .unwrap();
}

#[test]
fn random_bytes_never_decode_to_a_verified_fragment() {
    let mut rng = StdRng::seed_from_u64(22);
    let parties = parties(&mut rng, 2, 3);
    let (capsule, _) = encapsulate(&parties.delegation.delegating_key(), &mut rng);
    for _ in 0..200 {
        let mut bytes = vec![0u8; CFRAG_SIZE];
        rng.fill_bytes(&mut bytes);
        let verified =
            CFrag::from_bytes(&bytes).and_then(|c| c.verify(&capsule, &parties.delegation));
        assert!(verified.is_err());
        let mut bytes = vec![0u8; KFRAG_SIZE];
        rng.fill_bytes(&mut bytes);
        assert!(
            KFrag::from_bytes(&bytes)
                .and_then(|k| k.verify(&parties.delegation))
                .is_err()
        );
    }
}
