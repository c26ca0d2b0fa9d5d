//! The sharing mechanism end to end on the state machine alone, with real proofs and real group
//! signatures: enroll, register, authorize, extract, audit, revoke — and the attacks.

use commonware_cryptography::{Signer, ed25519};
use medshare_crypto::{
    groupsig::{GroupPublicKey, IssuingKey, MemberKey, MemberRegistry, generate_group},
    poseidon::{Fr, Salt, SecretKey, alpha_from_digest},
};
use medshare_ledger::{
    BlockEnv, Checked, Field, GroupId, Kv, Machine, Overlay, Transaction, TxError, VerifyingKeys,
    build,
    genesis::{AuthorityInfo, Genesis, ValidatorInfo, VerifyingKeyDigests},
    state::{self, AuditLog, MdaRecord},
    store::MemoryStore,
    tree::{self, TreeId},
    tx::Kind,
};
use medshare_zk::{CircuitId, ProvingKey, setup};
use rand::{SeedableRng, rngs::StdRng};
use sha2::{Digest, Sha256};
use std::{collections::HashMap, sync::OnceLock};

const CHAIN: &str = "medshare-test";

struct Keys {
    registration: ProvingKey,
    authorization: ProvingKey,
    extraction: ProvingKey,
    digests: VerifyingKeyDigests,
}

/// Groth16 keys, generated once per test binary.
fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = StdRng::seed_from_u64(1);
        let mut keygen = |circuit| setup(circuit, &mut rng).expect("setup");
        let (registration, reg_vk) = keygen(CircuitId::Registration);
        let (authorization, auth_vk) = keygen(CircuitId::Authorization);
        let (extraction, ext_vk) = keygen(CircuitId::Extraction);
        Keys {
            registration,
            authorization,
            extraction,
            digests: VerifyingKeyDigests {
                registration: hex::encode(reg_vk.digest()),
                authorization: hex::encode(auth_vk.digest()),
                extraction: hex::encode(ext_vk.digest()),
            },
        }
    })
}

fn verifying_keys() -> VerifyingKeys {
    let keys = keys();
    VerifyingKeys {
        registration: keys.registration.verifying_key().prepare(),
        authorization: keys.authorization.verifying_key().prepare(),
        extraction: keys.extraction.verifying_key().prepare(),
    }
}

/// A chain with one group authority, its group, and a state machine run block by block.
struct World {
    rng: StdRng,
    machine: Machine,
    store: MemoryStore,
    height: u64,
    authority: ed25519::PrivateKey,
    group: GroupId,
    group_key: GroupPublicKey,
    issuing: IssuingKey,
    registry: MemberRegistry,
}

impl World {
    fn new() -> Self {
        let mut rng = StdRng::seed_from_u64(7);
        let authority = ed25519::PrivateKey::from_seed(11);
        let genesis = Genesis {
            chain_id: CHAIN.into(),
            timestamp_ms: 1,
            validators: vec![ValidatorInfo {
                name: "v0".into(),
                public_key: hex::encode(ed25519::PrivateKey::from_seed(1).public_key().as_ref()),
                p2p: "127.0.0.1:1".parse().unwrap(),
                api: "127.0.0.1:2".parse().unwrap(),
                storage_key: None,
            }],
            verifying_keys: keys().digests.clone(),
            authorities: vec![AuthorityInfo {
                name: "st-marys".into(),
                public_key: hex::encode(authority.public_key().as_ref()),
            }],
            groups: Vec::new(),
        };
        let machine = Machine::new(&genesis, verifying_keys());
        let mut store = MemoryStore::default();
        let initial = genesis
            .initial_state(&machine, &MemoryStore::default())
            .unwrap();
        store.apply(&initial);
        let (group_key, issuing, _opening) = generate_group(&mut rng);
        let registry = MemberRegistry::new(&group_key);
        let mut world = Self {
            rng,
            machine,
            store,
            height: 0,
            authority,
            group: GroupId::new("st-marys").unwrap(),
            group_key,
            issuing,
            registry,
        };
        let create = build::create_group(
            CHAIN,
            world.group.clone(),
            &world.group_key,
            &world.authority,
        );
        world.block(vec![create]).unwrap();
        world
    }

    /// Executes one block; on success commits it and returns the receipts' positions.
    fn block(&mut self, txs: Vec<Transaction>) -> Result<Vec<Option<u64>>, (usize, TxError)> {
        self.height += 1;
        let env = BlockEnv {
            height: self.height,
            timestamp_ms: 1000 * self.height,
        };
        let (changes, receipts) = self
            .machine
            .execute(&self.store, env, &txs, &HashMap::new())?;
        self.store.apply(&changes);
        Ok(receipts.into_iter().map(|r| r.position).collect())
    }

    fn one(&mut self, tx: Transaction) -> Result<Option<u64>, TxError> {
        let height = self.height;
        self.block(vec![tx])
            .map(|mut p| p.remove(0))
            .map_err(|(_, e)| {
                self.height = height;
                e
            })
    }

    fn enroll(&mut self, who: &str) -> MemberKey {
        self.registry
            .enroll(&self.issuing, &self.group_key, who, &mut self.rng)
            .unwrap()
    }

    fn register(
        &mut self,
        member: &MemberKey,
        sk: &SecretKey,
        salt: &Salt,
        data: &[u8],
    ) -> Transaction {
        let alpha = alpha_from_digest(&Sha256::digest(data).into());
        build::register(
            build::Registration {
                chain_id: CHAIN,
                group: self.group.clone(),
                alpha,
                sk,
                salt,
                manifest: b"bafy-manifest".to_vec(),
                member,
                group_key: &self.group_key,
                proving_key: &keys().registration,
            },
            &mut self.rng,
        )
        .unwrap()
    }

    #[allow(clippy::too_many_arguments)]
    fn authorize(
        &mut self,
        member: &MemberKey,
        sk: &SecretKey,
        salt: &Salt,
        salt_auth: &Salt,
        alpha: Fr,
        position: u64,
        pk_h: Fr,
    ) -> Transaction {
        let path = tree::path(&self.store, TreeId::Registration, position).unwrap();
        build::authorize(
            build::Authorization {
                chain_id: CHAIN,
                group: self.group.clone(),
                alpha,
                sk,
                salt,
                salt_auth,
                pk_h,
                path,
                envelope: b"sealed to H".to_vec(),
                member,
                group_key: &self.group_key,
                proving_key: &keys().authorization,
            },
            &mut self.rng,
        )
        .unwrap()
    }

    fn extract(
        &mut self,
        sk_h: &SecretKey,
        salt_auth: &Salt,
        alpha: Fr,
        pk_a: Fr,
        position: u64,
        epk: [u8; 32],
    ) -> Transaction {
        let path = tree::path(&self.store, TreeId::Authorization, position).unwrap();
        build::extract(
            build::Extraction {
                chain_id: CHAIN,
                alpha,
                pk_a,
                sk: sk_h,
                salt_auth,
                path,
                epk,
                proving_key: &keys().extraction,
            },
            &mut self.rng,
        )
        .unwrap()
    }

    fn check(&self, tx: &Transaction) -> Result<Checked, TxError> {
        self.machine.check(&self.store, tx)
    }
}

fn alpha(tx: &Transaction) -> Fr {
    match tx {
        Transaction::Register(r) => r.alpha.0,
        _ => unreachable!(),
    }
}

#[test]
fn register_authorize_extract_and_audit() {
    let mut w = World::new();
    let patient = w.enroll("patient-1");
    let (sk_a, salt) = (SecretKey::random(&mut w.rng), Salt::random(&mut w.rng));
    let sk_h = SecretKey::random(&mut w.rng);
    let salt_auth = Salt::random(&mut w.rng);

    let register = w.register(&patient, &sk_a, &salt, b"CT scan");
    let alpha = alpha(&register);
    let position = w.one(register.clone()).unwrap().unwrap();
    let record: MdaRecord = state::read(&w.store, &state::mda_key(&Field(alpha))).unwrap();
    assert_eq!(
        (record.position, record.pk_a.0),
        (position, sk_a.public_key())
    );

    let authorize = w.authorize(
        &patient,
        &sk_a,
        &salt,
        &salt_auth,
        alpha,
        position,
        sk_h.public_key(),
    );
    let auth_position = w.one(authorize.clone()).unwrap().unwrap();

    let extract = w.extract(
        &sk_h,
        &salt_auth,
        alpha,
        sk_a.public_key(),
        auth_position,
        [9; 32],
    );
    w.one(extract.clone()).unwrap();
    assert!(w.store.get(&state::extraction_key(&[9; 32])).is_some());

    let log = AuditLog::Alpha(&Field(alpha)).read(&w.store, 0, 10);
    let kinds: Vec<Kind> = log.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [Kind::Register, Kind::Authorize, Kind::Extract]);
    assert!(log.iter().all(|e| e.pk_a.0 == sk_a.public_key()));
    assert_eq!(log[2].pk_h.map(|f| f.0), Some(sk_h.public_key()));
    // The data user's pseudonym sees the authorization and the extraction.
    assert_eq!(
        AuditLog::Pseudonym(&Field(sk_h.public_key())).len(&w.store),
        2
    );

    // Replays of each are refused, and change nothing.
    let root = w.store.root();
    for tx in [register, authorize, extract] {
        assert!(matches!(w.one(tx), Err(TxError::Replayed(_))));
    }
    assert_eq!(w.store.root(), root);
}

#[test]
fn forged_lifted_and_duplicate_registrations_are_refused() {
    let mut w = World::new();
    let patient = w.enroll("patient-1");
    let (sk, salt) = (SecretKey::random(&mut w.rng), Salt::random(&mut w.rng));
    let register = w.register(&patient, &sk, &salt, b"MR image");

    // A forged proof: another registration's proof on this transaction.
    let other = w.register(&patient, &sk, &salt, b"another image");
    let (Transaction::Register(mut forged), Transaction::Register(donor)) =
        (register.clone(), other)
    else {
        unreachable!()
    };
    forged.proof = donor.proof;
    assert_eq!(
        w.check(&Transaction::Register(forged)),
        Err(TxError::InvalidProof(Kind::Register))
    );

    // Lifting: the same proof with another manifest breaks the binding (and the group signature).
    let Transaction::Register(mut lifted) = register.clone() else {
        unreachable!()
    };
    lifted.manifest = b"attacker's manifest".to_vec();
    assert!(w.check(&Transaction::Register(lifted)).is_err());

    // Swapping in another member's group signature redirects tracing: the binding refuses it.
    let intruder = w.enroll("intruder");
    let Transaction::Register(mut swapped) = register.clone() else {
        unreachable!()
    };
    let message = register.signed_message(CHAIN);
    swapped.group_signature = intruder
        .sign(&w.group_key, &message, &mut w.rng)
        .unwrap()
        .to_bytes();
    assert_eq!(
        w.check(&Transaction::Register(swapped)),
        Err(TxError::InvalidProof(Kind::Register))
    );

    // Garbage proof bytes are a clear error, not a panic.
    let Transaction::Register(mut garbage) = register.clone() else {
        unreachable!()
    };
    garbage.proof = [0xAB; 192];
    assert!(matches!(
        w.check(&Transaction::Register(garbage)),
        Err(TxError::Malformed { .. })
    ));

    // The honest one goes through once; a second registration of the same α does not.
    w.one(register).unwrap();
    let other_salt = Salt::random(&mut w.rng);
    let again = w.register(&patient, &sk, &other_salt, b"MR image");
    assert!(matches!(w.one(again), Err(TxError::DuplicateAlpha(_))));
}

#[test]
fn authorization_needs_a_recent_root_and_the_owners_key() {
    let mut w = World::new();
    let patient = w.enroll("patient-1");
    let (sk, salt) = (SecretKey::random(&mut w.rng), Salt::random(&mut w.rng));
    let register = w.register(&patient, &sk, &salt, b"FHIR bundle");
    let alpha = alpha(&register);
    let position = w.one(register).unwrap().unwrap();
    let pk_h = SecretKey::random(&mut w.rng).public_key();

    // Someone who does not know sk can only prove about a commitment under their own key, which
    // is not the registered owner's: refused.
    let thief = SecretKey::random(&mut w.rng);
    let path = tree::path(&w.store, TreeId::Registration, position).unwrap();
    let stolen = build::authorize(
        build::Authorization {
            chain_id: CHAIN,
            group: w.group.clone(),
            alpha,
            sk: &thief,
            salt: &salt,
            salt_auth: &Salt::random(&mut w.rng),
            pk_h,
            path,
            envelope: Vec::new(),
            member: &patient,
            group_key: &w.group_key,
            proving_key: &keys().authorization,
        },
        &mut w.rng,
    )
    .unwrap();
    assert!(matches!(w.one(stolen), Err(TxError::NotOwner { .. })));

    // A root that is not in the window (here: made up) is refused by the state rules.
    let salt_auth = Salt::random(&mut w.rng);
    let authorize = w.authorize(&patient, &sk, &salt, &salt_auth, alpha, position, pk_h);
    let Transaction::Authorize(mut stale) = authorize.clone() else {
        unreachable!()
    };
    stale.root = Field(Fr::from(12345u64));
    let checked = Checked {
        id: Transaction::Authorize(stale.clone()).id(),
        group_key: w.check(&authorize).unwrap().group_key,
    };
    let mut overlay = Overlay::new(&w.store);
    let env = BlockEnv {
        height: 99,
        timestamp_ms: 99,
    };
    assert_eq!(
        w.machine.apply(
            &mut overlay,
            env,
            0,
            &Transaction::Authorize(stale),
            &checked
        ),
        Err(TxError::StaleRoot("registration"))
    );
    w.one(authorize).unwrap();
}

#[test]
fn revoked_members_cannot_register_and_the_rest_update() {
    let mut w = World::new();
    let alice = w.enroll("alice");
    let bob = w.enroll("bob");
    let (sk, salt) = (SecretKey::random(&mut w.rng), Salt::random(&mut w.rng));
    // Bob signs before the revocation; the transaction is still in flight.
    let in_flight = w.register(&bob, &sk, &salt, b"bob's scan");

    let (revocation, next_key) = w
        .registry
        .revoke(&w.issuing, &w.group_key, bob.index())
        .unwrap();
    let advance = build::advance_group_epoch(CHAIN, w.group.clone(), &revocation, &w.authority);
    w.one(advance).unwrap();
    w.group_key = next_key;

    assert!(matches!(
        w.one(in_flight),
        Err(TxError::BadGroupSignature { .. })
    ));
    // Bob cannot update his key from the public revocation data.
    assert!(bob.update(&revocation).is_err());
    // Alice updates from public data alone and keeps registering.
    let alice = alice.update(&revocation).unwrap();
    let register = w.register(&alice, &sk, &salt, b"alice's scan");
    w.one(register).unwrap();

    // Only the authority can advance the epoch, once per revocation.
    let impostor = ed25519::PrivateKey::from_seed(99);
    let forged = build::advance_group_epoch(CHAIN, w.group.clone(), &revocation, &impostor);
    assert_eq!(w.check(&forged), Err(TxError::BadAuthoritySignature));
}
