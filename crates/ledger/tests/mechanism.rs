//! The sharing mechanism end to end on the state machine alone, with real proofs and real group
//! signatures: enroll, register, authorize, extract, audit, revoke; the rewards paid for it
//! (payouts, revenue shares, withdrawals) — and the attacks.

use commonware_codec::Encode;
use commonware_cryptography::{Signer, ed25519};
use medshare_crypto::{
    groupsig::{GroupPublicKey, IssuingKey, MemberKey, MemberRegistry, generate_group},
    poseidon::{Fr, Salt, SecretKey, alpha_from_digest},
};
use medshare_incentive::{
    Rational,
    apportion::apportion,
    shapley::{
        exact_by_subsets,
        simple::{F1Scores, SimpleModel},
    },
};
use medshare_ledger::{
    AccountId, BlockEnv, Checked, Field, GroupId, Kv, Machine, Overlay, Ratio, Transaction,
    TxError,
    consortium::{CircuitSetup, Consortium, ConsortiumSpec},
    ops,
    state::{self, AuditLog, FspRecord, MdaRecord},
    store::MemoryStore,
    tree::{self, TreeId},
    tx::{Kind, PayoutMdap, PayoutTerms, RevenueTerms},
};
use medshare_zk::{CircuitId, Proof};
use rand::{SeedableRng, rngs::StdRng};
use sha2::{Digest, Sha256};
use std::{collections::HashMap, sync::OnceLock};

const CHAIN: &str = "medshare-test";
const VALIDATORS: usize = 4;

/// Groth16 keys, generated once per test binary.
fn keys() -> &'static CircuitSetup {
    static KEYS: OnceLock<CircuitSetup> = OnceLock::new();
    KEYS.get_or_init(|| CircuitSetup::generate(&mut StdRng::seed_from_u64(1)).expect("setup"))
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
    /// The genesis validators' keys; they propose blocks in turn.
    validators: Vec<[u8; 32]>,
}

impl World {
    fn new() -> Self {
        let mut rng = StdRng::seed_from_u64(7);
        let spec = ConsortiumSpec {
            seed: Some(11),
            ..ConsortiumSpec::local(CHAIN, VALIDATORS, 1)
        };
        let consortium = Consortium::build(&spec, keys());
        let validators: Vec<[u8; 32]> = consortium.genesis.validator_keys().collect();
        let machine = consortium.machine(keys());
        let mut store = MemoryStore::default();
        let initial = consortium
            .genesis
            .initial_state(&machine, &MemoryStore::default())
            .unwrap();
        store.apply(&initial);
        let authority = consortium.authority;
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
            validators,
        };
        let create = Transaction::from(ops::group::create_group(
            CHAIN,
            world.group.clone(),
            &world.group_key,
            &world.authority,
        ));
        world.block(vec![create]).unwrap();
        world
    }

    /// Executes one block; on success commits it and returns the receipts' positions.
    fn block(&mut self, txs: Vec<Transaction>) -> Result<Vec<Option<u64>>, (usize, TxError)> {
        self.height += 1;
        let env = self.env(self.height);
        let (changes, receipts) = self
            .machine
            .execute(&self.store, env, &txs, &HashMap::new())?;
        self.store.apply(&changes);
        Ok(receipts.into_iter().map(|r| r.position).collect())
    }

    /// Block `height`, proposed by the validators in turn.
    fn env(&self, height: u64) -> BlockEnv {
        BlockEnv {
            height,
            timestamp_ms: 1000 * height,
            proposer: self.validators[height as usize % self.validators.len()],
        }
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
        ops::mda::register(
            ops::mda::Registration {
                chain_id: CHAIN,
                group: self.group.clone(),
                alpha,
                sk,
                salt,
                manifest: b"bafy-manifest".to_vec(),
                member,
                group_key: &self.group_key,
                proving_key: keys().proving_key(CircuitId::Registration),
            },
            &mut self.rng,
        )
        .map(Transaction::from)
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
        ops::mda::authorize(
            ops::mda::Authorization {
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
                proving_key: keys().proving_key(CircuitId::Authorization),
            },
            &mut self.rng,
        )
        .map(Transaction::from)
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
        ops::mda::extract(
            ops::mda::Extraction {
                chain_id: CHAIN,
                alpha,
                pk_a,
                sk: sk_h,
                salt_auth,
                path,
                epk,
                proving_key: keys().proving_key(CircuitId::Extraction),
            },
            &mut self.rng,
        )
        .map(Transaction::from)
        .unwrap()
    }

    fn check(&self, tx: &Transaction) -> Result<Checked, TxError> {
        self.machine.check(&self.store, tx)
    }

    /// The state if `tx` ran in the next block, without committing it.
    fn trial(&self, tx: &Transaction) -> Result<MemoryStore, TxError> {
        let checked = self.check(tx)?;
        let mut overlay = Overlay::new(&self.store);
        self.machine
            .apply(&mut overlay, self.env(self.height + 1), 0, tx, &checked)?;
        let changes = overlay.into_changes();
        let mut store = self.store.clone();
        store.apply(&changes);
        Ok(store)
    }

    fn withdraw(&mut self, sk: &SecretKey, amount: u128, nonce: u64) -> Transaction {
        ops::rewards::withdraw(
            ops::rewards::Withdrawal {
                chain_id: CHAIN,
                sk,
                amount,
                destination: b"iban:CH93 0076 2011 6238 5295 7".to_vec(),
                nonce,
                proving_key: keys().proving_key(CircuitId::Withdrawal),
            },
            &mut self.rng,
        )
        .map(Transaction::from)
        .unwrap()
    }
}

fn balance(state: &dyn Kv, account: AccountId) -> u128 {
    state::account(state, &account).balance
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

    // A group signature over another message fails, and so does the proof it is bound to: the
    // group signature is reported, with its "you may be revoked" hint.
    let Transaction::Register(mut both) = register.clone() else {
        unreachable!()
    };
    both.group_signature = patient
        .sign(&w.group_key, b"another message", &mut w.rng)
        .unwrap()
        .to_bytes();
    assert!(matches!(
        w.check(&Transaction::Register(both)),
        Err(TxError::BadGroupSignature { .. })
    ));

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
    let stolen = ops::mda::authorize(
        ops::mda::Authorization {
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
            proving_key: keys().proving_key(CircuitId::Authorization),
        },
        &mut w.rng,
    )
    .map(Transaction::from)
    .unwrap();
    assert!(matches!(w.one(stolen), Err(TxError::NotOwner { .. })));

    // A root that is not in the window (here: made up) is refused by the state rules.
    let salt_auth = Salt::random(&mut w.rng);
    let authorize = w.authorize(&patient, &sk, &salt, &salt_auth, alpha, position, pk_h);
    let Transaction::Authorize(mut stale) = authorize.clone() else {
        unreachable!()
    };
    stale.root = Field(Fr::from(12345u64));
    let checked = Checked::new(
        &Transaction::Authorize(stale.clone()),
        w.check(&authorize).unwrap().group_key,
    );
    let mut overlay = Overlay::new(&w.store);
    let env = w.env(99);
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
    let advance = Transaction::from(ops::group::advance_group_epoch(
        CHAIN,
        w.group.clone(),
        &revocation,
        &w.authority,
    ));
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
    let forged = Transaction::from(ops::group::advance_group_epoch(
        CHAIN,
        w.group.clone(),
        &revocation,
        &impostor,
    ));
    assert_eq!(w.check(&forged), Err(TxError::BadAuthoritySignature));
}

/// Seed 000 Fig. 3's quadratic model (Appendix A.2) for two MDAPs, at 1000 tokens per unit.
fn fig3_terms(pks: [Fr; 2], from_height: u64, to_height: u64, budget: u128) -> PayoutTerms {
    let mdap = |pk| PayoutMdap {
        pk: Field(pk),
        holdings: 10,
        tau: Ratio::new(1, 5),
        b: Ratio::integer(15),
    };
    PayoutTerms {
        from_height,
        to_height,
        budget,
        tokens_per_unit: 1000,
        mdaps: vec![mdap(pks[0]), mdap(pks[1])],
        phi: vec![Ratio::new(1, 5)],
        rho: Ratio::integer(2),
        a: Ratio::integer(15),
        sigma: Ratio::integer(2),
    }
}

/// `⌊1000 · V(h)⌋` for Fig. 3, by hand from (E.9): with g = 10, τ = φ = 1/5, ρ = σ = 2 and
/// a = b = 15 the symmetric first-order condition is 2(15 − h) + h/5 − 2(5 + h) − 2h = 0, so
/// h* = 100/29; x = τ g (b − h*) + φ h* = 690/29; B(g) − B(g − h*) + C(h*) = 10h* + 2h*² =
/// 49000/841, so y = 49000/841 − x h* = −20000/841 and V(h) = (690·29·h − 20000)/841.
fn fig3_tokens(h: u128) -> u128 {
    1000 * (690 * 29 * h - 20000) / 841
}

#[test]
fn payouts_pay_the_valorization_of_the_mdas_each_pseudonym_authorized() {
    let mut w = World::new();
    let member = w.enroll("hospital-records");
    let (sk_1, sk_2) = (SecretKey::random(&mut w.rng), SecretKey::random(&mut w.rng));
    let salt = Salt::random(&mut w.rng);
    let (pk_h, pk_h2) = (
        SecretKey::random(&mut w.rng).public_key(),
        SecretKey::random(&mut w.rng).public_key(),
    );
    let registrations = vec![
        w.register(&member, &sk_1, &salt, b"scan a"),
        w.register(&member, &sk_1, &salt, b"scan b"),
        w.register(&member, &sk_1, &salt, b"scan c"),
        w.register(&member, &sk_2, &salt, b"scan d"),
    ];
    let alphas: Vec<Fr> = registrations.iter().map(alpha).collect();
    let positions = w.block(registrations).unwrap();
    // MDAP 1 authorizes two of its MDAs, one of them to two users (still one MDA shared): h = 2.
    // MDAP 2 authorizes its one MDA: h = 1. MDAP 1's third MDA is never shared.
    let grants = [
        (&sk_1, 0, pk_h),
        (&sk_1, 0, pk_h2),
        (&sk_1, 1, pk_h),
        (&sk_2, 3, pk_h),
    ];
    let authorizations = grants
        .into_iter()
        .map(|(sk, i, user)| {
            let salt_auth = Salt::random(&mut w.rng);
            let position = positions[i].unwrap();
            w.authorize(&member, sk, &salt, &salt_auth, alphas[i], position, user)
        })
        .collect();
    w.block(authorizations).unwrap();
    let epoch_end = w.height;
    let pks = [sk_1.public_key(), sk_2.public_key()];
    let account = |i: usize| AccountId::Pseudonym(Field(pks[i]));

    // An epoch before the authorizations pays nothing.
    let early = w
        .trial(&Transaction::from(ops::rewards::payout(
            CHAIN,
            fig3_terms(pks, 1, 2, 1_000_000),
            &w.authority,
        )))
        .unwrap();
    assert_eq!(
        (balance(&early, account(0)), balance(&early, account(1))),
        (0, 0)
    );

    // A budget below what is due is apportioned by the dues and spent exactly:
    // 20000 · (23804, 11) / 23815 = (19990.76…, 9.24…) → (19991, 9).
    let (due_1, due_2) = (fig3_tokens(2), fig3_tokens(1));
    assert_eq!((due_1, due_2), (23_804, 11));
    let capped = w
        .trial(&Transaction::from(ops::rewards::payout(
            CHAIN,
            fig3_terms(pks, 1, epoch_end, 20_000),
            &w.authority,
        )))
        .unwrap();
    let paid = (balance(&capped, account(0)), balance(&capped, account(1)));
    assert_eq!(paid, (19_991, 9));
    assert_eq!(paid.0 + paid.1, 20_000);

    let payout = Transaction::from(ops::rewards::payout(
        CHAIN,
        fig3_terms(pks, 1, epoch_end, 1_000_000),
        &w.authority,
    ));
    w.one(payout).unwrap();
    assert_eq!(balance(&w.store, account(0)), due_1);
    assert_eq!(balance(&w.store, account(1)), due_2);
    let fsp: FspRecord =
        state::read(&w.store, &state::fsp_key(w.authority.public_key().as_ref())).unwrap();
    assert_eq!((fsp.paid_through, fsp.paid_out), (epoch_end, due_1 + due_2));

    // The same epoch, or one overlapping it, cannot be paid again; nor can an epoch not over.
    for (from, to) in [(1, epoch_end), (epoch_end, epoch_end + 1)] {
        let again = Transaction::from(ops::rewards::payout(
            CHAIN,
            fig3_terms(pks, from, to, 999_999),
            &w.authority,
        ));
        assert_eq!(
            w.one(again),
            Err(TxError::EpochAlreadyPaid {
                paid_through: epoch_end
            })
        );
    }
    let unfinished = Transaction::from(ops::rewards::payout(
        CHAIN,
        fig3_terms(pks, epoch_end + 1, epoch_end + 5, 1_000_000),
        &w.authority,
    ));
    assert!(matches!(w.one(unfinished), Err(TxError::BadEpoch { .. })));
    // Parameters outside the model's assumptions (τ = 0, a φ per pair missing) are refused.
    let mut flat = fig3_terms(pks, epoch_end + 1, epoch_end + 1, 1);
    flat.mdaps[0].tau = Ratio::integer(0);
    let mut no_phi = fig3_terms(pks, epoch_end + 1, epoch_end + 1, 1);
    no_phi.phi.clear();
    w.block(Vec::new()).unwrap();
    let root_before = w.store.root();
    for terms in [flat, no_phi] {
        let tx = Transaction::from(ops::rewards::payout(CHAIN, terms, &w.authority));
        assert!(matches!(w.one(tx), Err(TxError::BadIncentiveParameters(_))));
    }
    // Only a genesis authority acts as the FSP.
    let impostor = ed25519::PrivateKey::from_seed(99);
    let forged = Transaction::from(ops::rewards::payout(
        CHAIN,
        fig3_terms(pks, epoch_end + 1, epoch_end + 1, 1),
        &impostor,
    ));
    assert_eq!(w.check(&forged), Err(TxError::NotAnAuthority));
    assert_eq!(w.store.root(), root_before);
}

#[test]
fn revenue_is_split_by_shapley_values_to_the_token() {
    let mut w = World::new();
    let (clinic_key, _, _) = generate_group(&mut w.rng);
    let clinic = GroupId::new("city-clinic").unwrap();
    let create = Transaction::from(ops::group::create_group(
        CHAIN,
        clinic.clone(),
        &clinic_key,
        &w.authority,
    ));
    w.one(create).unwrap();
    while w.height < 8 {
        w.block(Vec::new()).unwrap();
    }
    let third_party = Field(SecretKey::random(&mut w.rng).public_key());
    let f1 = vec![0, 600_000_000, 700_000_000, 900_000_000];
    let fee = 1_000_003;
    let owners = vec![w.group.clone(), clinic.clone()];
    let terms = |from_height, to_height| RevenueTerms {
        fee,
        reference: b"invoice 2024-117".to_vec(),
        from_height,
        to_height,
        owners: owners.clone(),
        f1: f1.clone(),
        third_party,
    };
    let accounts: Vec<AccountId> = [
        AccountId::Group(w.group.clone()),
        AccountId::Group(clinic.clone()),
    ]
    .into_iter()
    .chain(w.validators.iter().map(|v| AccountId::Validator(*v)))
    .chain([AccountId::Pseudonym(third_party)])
    .collect();

    // Blocks 1..=8: every validator proposed two, so all weigh alike. Independently of the closed
    // form (7.10): the Shapley values (7.3) of the simple model's game by brute force over its
    // 2^7 coalitions, apportioned by largest remainder.
    let revenue = Transaction::from(ops::rewards::revenue(CHAIN, terms(1, 8), &w.authority));
    w.one(revenue.clone()).unwrap();
    let model = SimpleModel::new(F1Scores::new(2, f1.clone()).unwrap(), 4).unwrap();
    let shapley: Vec<Rational> = exact_by_subsets(&model).unwrap();
    let expected = apportion(fee, &shapley).unwrap();
    let credited: Vec<u128> = accounts
        .iter()
        .map(|a| balance(&w.store, a.clone()))
        .collect();
    assert_eq!(credited, expected);
    assert_eq!(credited.iter().sum::<u128>(), fee);
    assert!(credited.iter().all(|c| *c > 0));

    // Blocks 1..=3 were proposed by validators 1, 2 and 3: validator 0 earns nothing of that fee,
    // the others a third each of the miners' share; still nothing is lost.
    let skewed = w
        .trial(&Transaction::from(ops::rewards::revenue(
            CHAIN,
            terms(1, 3),
            &w.authority,
        )))
        .unwrap();
    let gained: Vec<u128> = accounts
        .iter()
        .zip(&credited)
        .map(|(a, before)| balance(&skewed, a.clone()) - before)
        .collect();
    assert_eq!(gained.iter().sum::<u128>(), fee);
    assert_eq!(gained[2], 0);
    assert!(
        gained[3..6]
            .iter()
            .all(|g| g.abs_diff(gained[3]) <= 1 && *g > 0)
    );

    // A replay, an unknown owner, a wrong F1 table, a period not over: refused, nothing changes.
    let root = w.store.root();
    assert!(matches!(w.one(revenue), Err(TxError::Replayed(_))));
    let mut stranger = terms(1, 8);
    stranger.owners[1] = GroupId::new("nowhere").unwrap();
    let mut short_table = terms(1, 8);
    short_table.f1.pop();
    let refusals = [
        (stranger, "unknown group"),
        (short_table, "F1 table"),
        (terms(5, 50), "period not over"),
    ];
    for (terms, what) in refusals {
        let tx = Transaction::from(ops::rewards::revenue(CHAIN, terms, &w.authority));
        let result = w.one(tx);
        assert!(
            matches!(
                result,
                Err(TxError::UnknownGroup(_)
                    | TxError::BadIncentiveParameters(_)
                    | TxError::BadEpoch { .. })
            ),
            "{what}: {result:?}"
        );
    }
    assert_eq!(w.store.root(), root);
}

#[test]
fn withdrawals_need_the_key_the_next_nonce_and_the_balance() {
    let mut w = World::new();
    let sk = SecretKey::random(&mut w.rng);
    let pk = Field(sk.public_key());
    let account = AccountId::Pseudonym(pk);
    // The pseudonym earns a third party's share of a fee.
    let terms = RevenueTerms {
        fee: 10_000,
        reference: Vec::new(),
        from_height: 1,
        to_height: 1,
        owners: vec![w.group.clone()],
        f1: vec![0, 800_000_000],
        third_party: pk,
    };
    w.one(Transaction::from(ops::rewards::revenue(
        CHAIN,
        terms,
        &w.authority,
    )))
    .unwrap();
    let earned = balance(&w.store, account.clone());
    assert!(earned > 1_000);
    let root = w.store.root();

    // More than the balance: refused. An empty account has nothing to withdraw either.
    let overdraft = w.withdraw(&sk, earned + 1, 0);
    assert_eq!(
        w.one(overdraft),
        Err(TxError::InsufficientBalance {
            balance: earned,
            amount: earned + 1
        })
    );
    let stranger = SecretKey::random(&mut w.rng);
    let empty = w.withdraw(&stranger, 1, 0);
    assert!(matches!(
        w.one(empty.clone()),
        Err(TxError::InsufficientBalance { balance: 0, .. })
    ));

    // Redirected: the proof of a genuine withdrawal, with another destination.
    let genuine = w.withdraw(&sk, 1_000, 0);
    let Transaction::Withdraw(mut redirected) = genuine.clone() else {
        unreachable!()
    };
    redirected.destination = b"attacker's account".to_vec();
    assert_eq!(
        w.check(&Transaction::Withdraw(redirected)),
        Err(TxError::InvalidProof(Kind::Withdraw))
    );
    // Forged: someone without sk grafts the proof of their own withdrawal onto one from pk.
    let (Transaction::Withdraw(mut forged), Transaction::Withdraw(donor)) =
        (genuine.clone(), empty)
    else {
        unreachable!()
    };
    forged.proof = donor.proof;
    assert_eq!(
        w.check(&Transaction::Withdraw(forged)),
        Err(TxError::InvalidProof(Kind::Withdraw))
    );
    assert_eq!(w.store.root(), root);

    // The genuine one moves the tokens and uses the nonce.
    w.one(genuine.clone()).unwrap();
    assert_eq!(
        state::account(&w.store, &account),
        state::Account {
            balance: earned - 1_000,
            nonce: 1
        }
    );
    // Replayed as is, or proven afresh (the same transaction: ids leave the proof out), or
    // another amount with the used nonce: refused.
    assert!(matches!(w.one(genuine), Err(TxError::Replayed(_))));
    let reproven = w.withdraw(&sk, 1_000, 0);
    assert!(matches!(w.one(reproven), Err(TxError::Replayed(_))));
    let stale = w.withdraw(&sk, 999, 0);
    assert_eq!(
        w.one(stale),
        Err(TxError::WrongNonce {
            expected: 1,
            got: 0
        })
    );
    let nothing = w.withdraw(&sk, 0, 1);
    assert_eq!(w.one(nothing), Err(TxError::EmptyWithdrawal));
    let rest = w.withdraw(&sk, earned - 1_000, 1);
    w.one(rest).unwrap();
    assert_eq!(balance(&w.store, account), 0);
}

/// What anyone relaying a pending transaction can do: replace its Groth16 proof by another valid
/// proof of the same statement.
fn maul(tx: &Transaction) -> Transaction {
    let mut bytes = tx.encode().to_vec();
    let at = bytes.len() - ops::PROOF_BYTES;
    let proof = Proof::from_bytes(&bytes[at..]).unwrap().mauled();
    bytes[at..].copy_from_slice(&proof.to_bytes());
    let mauled = Transaction::from_bytes(&bytes).unwrap();
    assert_ne!(mauled.encoding_hash(), tx.encoding_hash(), "other bytes");
    mauled
}

/// The transaction is final under its id, whichever copy landed.
fn is_final(w: &World, tx: &Transaction) -> bool {
    state::StateView(w.store.clone())
        .transaction(&tx.id())
        .is_some()
}

#[test]
fn mauled_proofs_keep_the_id_so_the_owners_transaction_is_the_one_final() {
    let mut w = World::new();
    let patient = w.enroll("patient-1");
    let (sk_a, salt) = (SecretKey::random(&mut w.rng), Salt::random(&mut w.rng));
    let sk_h = SecretKey::random(&mut w.rng);
    let salt_auth = Salt::random(&mut w.rng);

    // Each proof-carrying kind: the mauled copy verifies, has the same id, and only one of the
    // two copies ever applies — in either order.
    let register = w.register(&patient, &sk_a, &salt, b"CT scan");
    let mauled = maul(&register);
    assert_eq!(mauled.id(), register.id());
    w.check(&mauled).expect("the mauled proof is valid");
    let position = w.one(mauled).unwrap().unwrap();
    assert!(is_final(&w, &register));
    assert!(matches!(w.one(register.clone()), Err(TxError::Replayed(_))));

    let alpha = alpha(&register);
    let authorize = w.authorize(
        &patient,
        &sk_a,
        &salt,
        &salt_auth,
        alpha,
        position,
        sk_h.public_key(),
    );
    let mauled = maul(&authorize);
    assert_eq!(mauled.id(), authorize.id());
    let auth_position = w.one(authorize.clone()).unwrap().unwrap();
    assert!(matches!(w.one(mauled), Err(TxError::Replayed(_))));

    let extract = w.extract(
        &sk_h,
        &salt_auth,
        alpha,
        sk_a.public_key(),
        auth_position,
        [9; 32],
    );
    let mauled = maul(&extract);
    assert_eq!(mauled.id(), extract.id());
    w.one(mauled).unwrap();
    assert!(is_final(&w, &extract));
    assert!(matches!(w.one(extract), Err(TxError::Replayed(_))));

    let pk = Field(sk_a.public_key());
    let terms = RevenueTerms {
        fee: 10_000,
        reference: Vec::new(),
        from_height: 1,
        to_height: 1,
        owners: vec![w.group.clone()],
        f1: vec![0, 800_000_000],
        third_party: pk,
    };
    w.one(Transaction::from(ops::rewards::revenue(
        CHAIN,
        terms,
        &w.authority,
    )))
    .unwrap();
    let withdraw = w.withdraw(&sk_a, 1_000, 0);
    let mauled = maul(&withdraw);
    assert_eq!(mauled.id(), withdraw.id());
    w.one(mauled).unwrap();
    assert!(is_final(&w, &withdraw));
    let root = w.store.root();
    assert!(matches!(w.one(withdraw), Err(TxError::Replayed(_))));
    assert_eq!(w.store.root(), root, "paid once");
}

#[test]
fn a_cached_check_covers_only_the_bytes_it_checked() {
    let mut w = World::new();
    let patient = w.enroll("patient-1");
    let (sk, salt) = (SecretKey::random(&mut w.rng), Salt::random(&mut w.rng));
    let register = w.register(&patient, &sk, &salt, b"MR image");
    let Transaction::Register(donor) = w.register(&patient, &sk, &salt, b"another image") else {
        unreachable!()
    };
    // Same id (the id leaves the proof out), but another registration's proof.
    let Transaction::Register(mut forged) = register.clone() else {
        unreachable!()
    };
    forged.proof = donor.proof;
    let forged = Transaction::Register(forged);
    assert_eq!(forged.id(), register.id());

    // A proposer's block carries the forged bytes where validators hold the check of the
    // genuine ones: the check is not reused, the proof is verified and refused.
    let cached: HashMap<_, _> = [(register.id(), w.check(&register).unwrap())].into();
    let env = w.env(w.height + 1);
    let refused = w.machine.execute(&w.store, env, &[forged], &cached);
    assert!(matches!(
        refused,
        Err((0, TxError::InvalidProof(Kind::Register)))
    ));
    // The genuine bytes reuse it.
    assert!(
        w.machine
            .execute(&w.store, env, &[register], &cached)
            .is_ok()
    );
}

#[test]
fn notes_are_refused_unless_a_benchmark_genesis_enables_them() {
    let mut w = World::new();
    let author = ed25519::PrivateKey::from_seed(7);
    let note = Transaction::from(ops::note::note(CHAIN, &author, 1, vec![0; 1024]));
    let root = w.store.root();
    assert_eq!(w.check(&note), Err(TxError::NotesDisabled));
    assert_eq!(w.one(note), Err(TxError::NotesDisabled));
    assert_eq!(w.store.root(), root, "nothing changed");
}

#[test]
fn a_withdrawn_consent_cannot_be_extracted_and_only_the_owner_can_withdraw() {
    let mut w = World::new();
    let patient = w.enroll("patient-1");
    let (sk_a, salt) = (SecretKey::random(&mut w.rng), Salt::random(&mut w.rng));
    let sk_h = SecretKey::random(&mut w.rng);
    let salt_auth = Salt::random(&mut w.rng);
    let register = w.register(&patient, &sk_a, &salt, b"CT scan");
    let alpha = alpha(&register);
    let position = w.one(register).unwrap().unwrap();
    let authorize = w.authorize(
        &patient,
        &sk_a,
        &salt,
        &salt_auth,
        alpha,
        position,
        sk_h.public_key(),
    );
    let Transaction::Authorize(body) = &authorize else {
        unreachable!()
    };
    let re_auth = body.re_auth;
    let auth_position = w.one(authorize).unwrap().unwrap();
    let withdraw = |w: &mut World, sk: &SecretKey| {
        Transaction::from(
            ops::consent::withdraw_consent(
                ops::consent::ConsentWithdrawalRequest {
                    chain_id: CHAIN,
                    alpha: Field(alpha),
                    re_auth,
                    sk,
                    proving_key: keys().proving_key(CircuitId::Withdrawal),
                },
                &mut w.rng,
            )
            .unwrap(),
        )
    };

    // Someone else (here the data user) cannot withdraw the owner's consent.
    let root = w.store.root();
    let forged = withdraw(&mut w, &sk_h);
    assert_eq!(
        w.one(forged),
        Err(TxError::NotOwner {
            alpha: Field(alpha)
        })
    );
    let Transaction::WithdrawConsent(mut lifted) = withdraw(&mut w, &sk_h) else {
        unreachable!()
    };
    lifted.pk_a = Field(sk_a.public_key());
    assert_eq!(
        w.check(&Transaction::WithdrawConsent(lifted)),
        Err(TxError::InvalidProof(Kind::WithdrawConsent))
    );
    assert_eq!(w.store.root(), root);

    // The owner withdraws; the data user's extraction is refused, and the audit log says why.
    let withdrawal = withdraw(&mut w, &sk_a);
    w.one(withdrawal).unwrap();
    let extract = w.extract(
        &sk_h,
        &salt_auth,
        alpha,
        sk_a.public_key(),
        auth_position,
        [9; 32],
    );
    assert!(matches!(
        w.one(extract),
        Err(TxError::ConsentWithdrawn { .. })
    ));
    let log = AuditLog::Alpha(&Field(alpha)).read(&w.store, 0, 10);
    let kinds: Vec<Kind> = log.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [Kind::Register, Kind::Authorize, Kind::WithdrawConsent]
    );
    assert_eq!(log[2].pk_h, Some(Field(sk_h.public_key())));
    assert_eq!(
        AuditLog::Pseudonym(&Field(sk_h.public_key())).len(&w.store),
        2,
        "the data user sees the withdrawal"
    );
    // Withdrawing again (proven afresh: the same transaction) is a replay.
    let again = withdraw(&mut w, &sk_a);
    assert!(matches!(w.one(again), Err(TxError::Replayed(_))));
}
