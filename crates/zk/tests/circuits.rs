//! End-to-end behaviour of the three circuits: honest proofs verify; every wrong witness is
//! refused; altered statements, foreign roots and bad batches do not verify; keys survive files;
//! degenerate keys and malformed proofs are refused.
//!
//! Keys are generated once per test binary; rejections of wrong witnesses are caught by the
//! prover's satisfiability check before any expensive work, so the file proves only a handful of
//! times.

use ark_bls12_381::{G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::Field;
use medshare_crypto::merkle::{CommitmentTree, MerklePath};
use medshare_crypto::poseidon::{
    Salt, SecretKey, alpha_from_data, authorization_commitment, registration_commitment,
};
use medshare_zk::keys::FORMAT_VERSION;
use medshare_zk::{
    AuthorizationStatement, AuthorizationWitness, CircuitId, ExtractionStatement,
    ExtractionWitness, Fr, Proof, ProvingKey, RegistrationStatement, RegistrationWitness,
    VerifyingKey, WithdrawalStatement, WithdrawalWitness, ZkError, batch_verify, prove, setup,
};
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::sync::OnceLock;

fn rng() -> StdRng {
    StdRng::seed_from_u64(0x6d65_6473)
}

fn keys(circuit: CircuitId) -> &'static (ProvingKey, VerifyingKey) {
    static KEYS: [OnceLock<(ProvingKey, VerifyingKey)>; 4] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    KEYS[circuit as usize - 1].get_or_init(|| setup(circuit, &mut rng()).unwrap())
}

fn fr(x: u64) -> Fr {
    Fr::from(x)
}

/// A data owner A with one registered MDA, and a data user H it authorized.
struct World {
    alpha: Fr,
    sk_a: SecretKey,
    salt: Salt,
    sk_h: SecretKey,
    salt_auth: Salt,
    registrations: CommitmentTree,
    authorizations: CommitmentTree,
    /// Positions of A's registration and of the authorization.
    re_position: u64,
    re_auth_position: u64,
}

impl World {
    fn new() -> Self {
        let mut rng = rng();
        let alpha = alpha_from_data(b"MRI series 2024-117");
        let (sk_a, salt) = (SecretKey::random(&mut rng), Salt::random(&mut rng));
        let (sk_h, salt_auth) = (SecretKey::random(&mut rng), Salt::random(&mut rng));
        let re = registration_commitment(alpha, sk_a.public_key(), &salt);
        let re_auth =
            authorization_commitment(alpha, sk_a.public_key(), sk_h.public_key(), &salt_auth);
        let mut registrations = CommitmentTree::new(4).unwrap();
        registrations
            .extend(&[fr(11), fr(12), fr(13), fr(14), fr(15)])
            .unwrap();
        let re_position = registrations.append(re).unwrap();
        registrations.append(fr(17)).unwrap();
        registrations.checkpoint();
        let mut authorizations = CommitmentTree::new(4).unwrap();
        authorizations.extend(&[fr(21), fr(22)]).unwrap();
        let re_auth_position = authorizations.append(re_auth).unwrap();
        authorizations.checkpoint();
        Self {
            alpha,
            sk_a,
            salt,
            sk_h,
            salt_auth,
            registrations,
            authorizations,
            re_position,
            re_auth_position,
        }
    }

    fn registration(&self) -> RegistrationWitness {
        RegistrationWitness {
            sk_a: self.sk_a.clone(),
            salt: self.salt.clone(),
        }
    }

    fn authorization(&self) -> AuthorizationWitness {
        AuthorizationWitness {
            sk_a: self.sk_a.clone(),
            salt: self.salt.clone(),
            salt_auth: self.salt_auth.clone(),
            path: self.registrations.path(self.re_position).unwrap(),
        }
    }

    fn extraction(&self) -> ExtractionWitness {
        ExtractionWitness {
            sk_h: self.sk_h.clone(),
            salt_auth: self.salt_auth.clone(),
            path: self.authorizations.path(self.re_auth_position).unwrap(),
        }
    }

    fn authorization_statement(&self) -> AuthorizationStatement {
        self.authorization()
            .statement(self.alpha, self.sk_h.public_key(), fr(0xb1))
    }

    fn extraction_statement(&self) -> ExtractionStatement {
        self.extraction()
            .statement(self.alpha, self.sk_a.public_key(), fr(0xb2))
    }
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(World::new)
}

/// One honest proof per circuit, shared by the tests that alter statements.
fn authorization_proof() -> &'static Proof {
    static PROOF: OnceLock<Proof> = OnceLock::new();
    PROOF.get_or_init(|| {
        let w = world();
        let pk = &keys(CircuitId::Authorization).0;
        prove(
            pk,
            &w.authorization_statement(),
            &w.authorization(),
            &mut rng(),
        )
        .unwrap()
    })
}

fn extraction_proof() -> &'static Proof {
    static PROOF: OnceLock<Proof> = OnceLock::new();
    PROOF.get_or_init(|| {
        let w = world();
        let pk = &keys(CircuitId::Extraction).0;
        prove(pk, &w.extraction_statement(), &w.extraction(), &mut rng()).unwrap()
    })
}

fn assert_unsatisfied<T: std::fmt::Debug>(result: Result<T, ZkError>, what: &str) {
    assert!(
        matches!(result, Err(ZkError::Unsatisfied)),
        "{what}: expected Unsatisfied, got {result:?}"
    );
}

fn assert_invalid(result: Result<(), ZkError>, what: &str) {
    assert!(
        matches!(result, Err(ZkError::InvalidProof)),
        "{what}: expected InvalidProof, got {result:?}"
    );
}

/// A path to the same position with one sibling changed.
fn tampered(path: &MerklePath) -> MerklePath {
    let mut siblings = *path.siblings();
    siblings[3][1] += Fr::ONE;
    MerklePath::new(path.position(), siblings).unwrap()
}

#[test]
fn registration_honest_proof_verifies_and_alterations_do_not() {
    let w = world();
    let (pk, vk) = keys(CircuitId::Registration);
    let pvk = vk.prepare();
    let witness = w.registration();
    let statement = witness.statement(w.alpha, fr(0xb0));
    let proof = prove(pk, &statement, &witness, &mut rng()).unwrap();
    pvk.verify(&statement, &proof).unwrap();
    let decoded = Proof::from_bytes(&proof.to_bytes()).unwrap();
    pvk.verify(&statement, &decoded).unwrap();

    for (what, altered) in [
        (
            "binding",
            RegistrationStatement {
                binding: fr(0xb1),
                ..statement
            },
        ),
        (
            "alpha",
            RegistrationStatement {
                alpha: fr(1),
                ..statement
            },
        ),
        (
            "re",
            RegistrationStatement {
                re: fr(2),
                ..statement
            },
        ),
        (
            "pk_a",
            RegistrationStatement {
                pk_a: fr(3),
                ..statement
            },
        ),
    ] {
        assert_invalid(pvk.verify(&altered, &proof), what);
    }
}

#[test]
fn registration_refuses_wrong_witnesses() {
    let w = world();
    let pk = &keys(CircuitId::Registration).0;
    let honest = w.registration();
    let statement = honest.statement(w.alpha, fr(0xb0));
    let wrong_sk = RegistrationWitness {
        sk_a: SecretKey::from_field(fr(42)),
        ..honest.clone()
    };
    let wrong_salt = RegistrationWitness {
        salt: Salt::from_field(fr(43)),
        ..honest.clone()
    };
    assert_unsatisfied(prove(pk, &statement, &wrong_sk, &mut rng()), "wrong sk");
    assert_unsatisfied(prove(pk, &statement, &wrong_salt, &mut rng()), "wrong salt");
    let other_alpha = RegistrationStatement {
        alpha: alpha_from_data(b"another MDA"),
        ..statement
    };
    assert_unsatisfied(prove(pk, &other_alpha, &honest, &mut rng()), "wrong alpha");
}

#[test]
fn authorization_honest_proof_verifies_and_alterations_do_not() {
    let w = world();
    let pvk = keys(CircuitId::Authorization).1.prepare();
    let statement = w.authorization_statement();
    assert!(w.registrations.is_recent_root(&statement.root));
    let proof = authorization_proof();
    pvk.verify(&statement, proof).unwrap();

    for (what, altered) in [
        (
            "binding",
            AuthorizationStatement {
                binding: fr(1),
                ..statement
            },
        ),
        (
            "alpha",
            AuthorizationStatement {
                alpha: fr(2),
                ..statement
            },
        ),
        (
            "root",
            AuthorizationStatement {
                root: fr(3),
                ..statement
            },
        ),
        (
            "pk_h",
            AuthorizationStatement {
                pk_h: fr(4),
                ..statement
            },
        ),
        (
            "re_auth",
            AuthorizationStatement {
                re_auth: fr(5),
                ..statement
            },
        ),
    ] {
        assert_invalid(pvk.verify(&altered, proof), what);
    }
}

#[test]
fn authorization_refuses_wrong_witnesses() {
    let w = world();
    let pk = &keys(CircuitId::Authorization).0;
    let statement = w.authorization_statement();
    let honest = w.authorization();
    let mut other_tree = CommitmentTree::new(1).unwrap();
    other_tree.extend(&[fr(1), fr(2)]).unwrap();

    let cases = [
        (
            "wrong sk",
            AuthorizationWitness {
                sk_a: SecretKey::from_field(fr(7)),
                ..honest.clone()
            },
        ),
        (
            "wrong salt",
            AuthorizationWitness {
                salt: Salt::from_field(fr(8)),
                ..honest.clone()
            },
        ),
        (
            "wrong salt_auth",
            AuthorizationWitness {
                salt_auth: Salt::from_field(fr(9)),
                ..honest.clone()
            },
        ),
        (
            "path of another leaf",
            AuthorizationWitness {
                path: w.registrations.path(0).unwrap(),
                ..honest.clone()
            },
        ),
        (
            "tampered path",
            AuthorizationWitness {
                path: tampered(&honest.path),
                ..honest.clone()
            },
        ),
        (
            "path from another tree",
            AuthorizationWitness {
                path: other_tree.path(1).unwrap(),
                ..honest.clone()
            },
        ),
    ];
    for (what, witness) in cases {
        assert_unsatisfied(prove(pk, &statement, &witness, &mut rng()), what);
    }
    let wrong_alpha = AuthorizationStatement {
        alpha: fr(10),
        ..statement
    };
    assert_unsatisfied(prove(pk, &wrong_alpha, &honest, &mut rng()), "wrong alpha");

    // A root the registration tree never had: the honest witness cannot reach it, and the
    // ledger would not accept it anyway.
    let foreign_root = other_tree.root();
    assert!(!w.registrations.is_recent_root(&foreign_root));
    let foreign = AuthorizationStatement {
        root: foreign_root,
        ..statement
    };
    assert_unsatisfied(
        prove(pk, &foreign, &honest, &mut rng()),
        "root not in the tree",
    );
}

#[test]
fn extraction_honest_proof_verifies_and_alterations_do_not() {
    let w = world();
    let pvk = keys(CircuitId::Extraction).1.prepare();
    let statement = w.extraction_statement();
    assert!(w.authorizations.is_recent_root(&statement.root_auth));
    let proof = extraction_proof();
    pvk.verify(&statement, proof).unwrap();

    for (what, altered) in [
        (
            "binding",
            ExtractionStatement {
                binding: fr(1),
                ..statement
            },
        ),
        (
            "alpha",
            ExtractionStatement {
                alpha: fr(2),
                ..statement
            },
        ),
        (
            "root_auth",
            ExtractionStatement {
                root_auth: fr(3),
                ..statement
            },
        ),
        (
            "pk_a",
            ExtractionStatement {
                pk_a: fr(4),
                ..statement
            },
        ),
        (
            "pk_h",
            ExtractionStatement {
                pk_h: fr(5),
                ..statement
            },
        ),
        (
            "re_auth",
            ExtractionStatement {
                re_auth: fr(6),
                ..statement
            },
        ),
    ] {
        assert_invalid(pvk.verify(&altered, proof), what);
    }
}

#[test]
fn extraction_refuses_wrong_witnesses() {
    let w = world();
    let pk = &keys(CircuitId::Extraction).0;
    let statement = w.extraction_statement();
    let honest = w.extraction();
    let cases = [
        (
            "wrong sk",
            ExtractionWitness {
                sk_h: SecretKey::from_field(fr(7)),
                ..honest.clone()
            },
        ),
        (
            "wrong salt_auth",
            ExtractionWitness {
                salt_auth: Salt::from_field(fr(8)),
                ..honest.clone()
            },
        ),
        (
            "path of another leaf",
            ExtractionWitness {
                path: w.authorizations.path(1).unwrap(),
                ..honest.clone()
            },
        ),
        (
            "tampered path",
            ExtractionWitness {
                path: tampered(&honest.path),
                ..honest.clone()
            },
        ),
    ];
    for (what, witness) in cases {
        assert_unsatisfied(prove(pk, &statement, &witness, &mut rng()), what);
    }
    // Someone else's authorization: H' cannot extract with H's σ'.
    let intruder = ExtractionWitness {
        sk_h: SecretKey::from_field(fr(99)),
        ..honest.clone()
    };
    let intruder_statement = intruder.statement(w.alpha, w.sk_a.public_key(), fr(0xb2));
    assert!(
        !w.authorizations
            .is_recent_root(&intruder_statement.root_auth)
    );
    let claimed = ExtractionStatement {
        root_auth: statement.root_auth,
        ..intruder_statement
    };
    assert_unsatisfied(
        prove(pk, &claimed, &intruder, &mut rng()),
        "unauthorized user",
    );
    let wrong_alpha = ExtractionStatement {
        alpha: fr(10),
        ..statement
    };
    assert_unsatisfied(prove(pk, &wrong_alpha, &honest, &mut rng()), "wrong alpha");
}

#[test]
fn withdrawal_proves_the_key_and_binds_the_transaction() {
    let w = world();
    let (pk, vk) = keys(CircuitId::Withdrawal);
    let pvk = vk.prepare();
    let witness = WithdrawalWitness { sk: w.sk_a.clone() };
    let statement = witness.statement(fr(0xb3));
    assert_eq!(statement.pk, w.sk_a.public_key());
    let proof = prove(pk, &statement, &witness, &mut rng()).unwrap();
    pvk.verify(&statement, &proof).unwrap();

    // Another transaction (amount, destination or nonce changed) has another binding.
    let redirected = WithdrawalStatement {
        binding: fr(0xb4),
        ..statement
    };
    assert_invalid(pvk.verify(&redirected, &proof), "altered binding");
    // Someone else's account.
    let theft = WithdrawalStatement {
        pk: w.sk_h.public_key(),
        ..statement
    };
    assert_invalid(pvk.verify(&theft, &proof), "another pseudonym");
    // Without sk there is no witness: the prover refuses before any expensive work.
    let thief = WithdrawalWitness { sk: w.sk_h.clone() };
    assert_unsatisfied(prove(pk, &statement, &thief, &mut rng()), "wrong sk");
}

#[test]
fn batches_verify_only_if_every_proof_does() {
    let (pk, vk) = keys(CircuitId::Registration);
    let pvk = vk.prepare();
    let mut rng = rng();
    let items: Vec<(RegistrationStatement, Proof)> = (0..6)
        .map(|i| {
            let witness = RegistrationWitness {
                sk_a: SecretKey::random(&mut rng),
                salt: Salt::random(&mut rng),
            };
            let statement = witness.statement(fr(1000 + i), fr(2000 + i));
            let proof = prove(pk, &statement, &witness, &mut rng).unwrap();
            (statement, proof)
        })
        .collect();
    batch_verify(&pvk, &items, &mut rng).unwrap();
    batch_verify::<RegistrationStatement, _>(&pvk, &[], &mut rng).unwrap();

    let mut altered = items.clone();
    altered[3].0.binding = fr(7);
    assert_invalid(
        batch_verify(&pvk, &altered, &mut rng),
        "one altered binding",
    );

    let mut swapped = items.clone();
    let proof_0 = swapped[0].1.clone();
    swapped[0].1 = swapped[1].1.clone();
    swapped[1].1 = proof_0;
    assert_invalid(batch_verify(&pvk, &swapped, &mut rng), "two swapped proofs");
}

#[test]
fn keys_and_statements_of_different_circuits_do_not_mix() {
    let w = world();
    let registration_pvk = keys(CircuitId::Registration).1.prepare();
    let statement = w.authorization_statement();
    assert!(matches!(
        registration_pvk.verify(&statement, authorization_proof()),
        Err(ZkError::WrongCircuit { .. })
    ));
    let extraction_pk = &keys(CircuitId::Extraction).0;
    assert!(matches!(
        prove(extraction_pk, &statement, &w.authorization(), &mut rng()),
        Err(ZkError::WrongCircuit { .. })
    ));
    assert!(matches!(
        batch_verify(
            &registration_pvk,
            &[(statement, authorization_proof().clone())],
            &mut rng()
        ),
        Err(ZkError::WrongCircuit { .. })
    ));
}

#[test]
fn keys_round_trip_through_files() {
    let (pk, vk) = keys(CircuitId::Registration);
    let dir = std::env::temp_dir().join(format!("medshare-zk-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (pk_path, vk_path) = (dir.join("registration.pk"), dir.join("registration.vk"));
    pk.write(&pk_path).unwrap();
    vk.write(&vk_path).unwrap();
    let pk_read = ProvingKey::read(&pk_path).unwrap();
    let vk_read = VerifyingKey::read(&vk_path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    assert_eq!(vk_read, *vk);
    assert_eq!(vk_read.digest(), vk.digest());
    assert_eq!(pk_read.verifying_key(), *vk);
    assert_eq!(pk_read.to_bytes(), pk.to_bytes());
    let w = world();
    let witness = w.registration();
    let statement = witness.statement(w.alpha, fr(5));
    let proof = prove(&pk_read, &statement, &witness, &mut rng()).unwrap();
    vk_read.prepare().verify(&statement, &proof).unwrap();

    assert!(matches!(
        VerifyingKey::read(dir.join("missing.vk")),
        Err(ZkError::Io { .. })
    ));
    // A proving key is not a verifying key, and the other way round.
    assert!(VerifyingKey::from_bytes(&pk.to_bytes()).is_err());
    assert!(ProvingKey::from_bytes(&vk.to_bytes()).is_err());
}

#[test]
fn malformed_key_files_are_refused() {
    let vk_bytes = keys(CircuitId::Registration).1.to_bytes();
    let with = |i: usize, b: u8| {
        let mut v = vk_bytes.clone();
        v[i] = b;
        v
    };
    let mut trailing = vk_bytes.clone();
    trailing.push(0);
    for (what, bytes) in [
        ("magic", with(0, b'X')),
        ("version", with(4, FORMAT_VERSION + 1)),
        ("kind", with(5, 9)),
        ("circuit", with(6, 0)),
        ("truncated", vk_bytes[..vk_bytes.len() - 1].to_vec()),
        ("trailing", trailing),
        ("point", with(20, vk_bytes[20] ^ 0x55)),
        ("empty", Vec::new()),
    ] {
        assert!(VerifyingKey::from_bytes(&bytes).is_err(), "{what} accepted");
    }
    // The registration key relabelled as an authorization key has the wrong input count.
    assert!(matches!(
        VerifyingKey::from_bytes(&with(6, CircuitId::Authorization as u8)),
        Err(ZkError::DegenerateKey(_))
    ));
}

#[test]
fn degenerate_verifying_keys_are_refused() {
    let vk = keys(CircuitId::Registration).1.inner().clone();
    let circuit = CircuitId::Registration;
    VerifyingKey::new(circuit, vk.clone()).unwrap();

    let mut gamma_is_delta = vk.clone();
    gamma_is_delta.gamma_g2 = vk.delta_g2;
    let mut alpha_generator = vk.clone();
    alpha_generator.alpha_g1 = G1Affine::generator();
    let mut beta_identity = vk.clone();
    beta_identity.beta_g2 = G2Affine::zero();
    let mut delta_generator = vk.clone();
    delta_generator.delta_g2 = G2Affine::generator();
    let mut unbound_input = vk.clone();
    unbound_input.gamma_abc_g1[4] = G1Affine::zero(); // binding's point
    let mut missing_input = vk.clone();
    missing_input.gamma_abc_g1.pop();
    let mut extra_input = vk.clone();
    extra_input.gamma_abc_g1.push(vk.gamma_abc_g1[1]);

    for (what, key) in [
        ("gamma = delta", gamma_is_delta),
        ("alpha generator", alpha_generator),
        ("beta identity", beta_identity),
        ("delta generator", delta_generator),
        ("identity input point", unbound_input),
        ("missing input", missing_input),
        ("extra input", extra_input),
    ] {
        assert!(
            matches!(
                VerifyingKey::new(circuit, key),
                Err(ZkError::DegenerateKey(_))
            ),
            "{what} accepted"
        );
    }
}

#[test]
fn malformed_proofs_are_refused() {
    let bytes = authorization_proof().to_bytes();
    assert!(matches!(
        Proof::from_bytes(&bytes[..191]),
        Err(ZkError::MalformedProof(_))
    ));
    assert!(Proof::from_bytes(&[0xff; Proof::SIZE]).is_err());
    assert!(Proof::from_bytes(&[0; Proof::SIZE]).is_err());
    // The compressed identity (infinity flag set) in A.
    let mut identity = bytes;
    identity[..48].fill(0);
    identity[47] = 0x40;
    assert!(Proof::from_bytes(&identity).is_err());
    let mut flipped = bytes;
    flipped[10] ^= 1;
    match Proof::from_bytes(&flipped) {
        Err(_) => {}
        Ok(proof) => assert_invalid(
            keys(CircuitId::Authorization)
                .1
                .prepare()
                .verify(&world().authorization_statement(), &proof),
            "flipped bit",
        ),
    }
}

/// Validators share one prepared key per circuit across their verification workers.
#[test]
fn keys_and_proofs_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<ProvingKey>();
    shareable::<VerifyingKey>();
    shareable::<medshare_zk::PreparedVerifyingKey>();
    shareable::<Proof>();
    shareable::<AuthorizationStatement>();
    let pvk = keys(CircuitId::Extraction).1.prepare();
    let statement = world().extraction_statement();
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| pvk.verify(&statement, extraction_proof()).unwrap());
        }
    });
}
