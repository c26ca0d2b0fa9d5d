//! Fault and attack tests of the consortium: real validators (our engine, chain and state
//! machine) on commonware's deterministic runtime and simulated network, with crashed,
//! restarted, conflicting and equivocating validators, and invalid transactions.

use commonware_codec::Encode;
use commonware_consensus::{
    marshal::{self, core::Mailbox, standard::Standard},
    simplex::{self, elector::RoundRobin, scheme::ed25519::Scheme},
    types::Height,
};
use commonware_cryptography::{Digestible, Sha256, Signer, ed25519};
use commonware_p2p::{
    Manager as _,
    simulated::{self, Link, Network, Oracle},
};
use commonware_runtime::{Clock, Handle, Metrics, Quota, Runner, Spawner, deterministic};
use commonware_utils::{NZU32, ordered::Set};
use futures::channel::oneshot;
use medshare_crypto::{
    groupsig::{GroupPublicKey, IssuingKey, MemberKey, MemberRegistry},
    poseidon::{Salt, SecretKey, alpha_from_digest},
};
use medshare_ledger::{
    Checked, Field, GroupId, Kv, Machine, Transaction,
    consortium::{self, CircuitSetup, ConsortiumSpec},
    genesis::Genesis,
    ops, state,
};
use medshare_node::{
    block::ChainBlock,
    chain::{Chain, ChainParams},
    engine::{self, Engine, NAMESPACE},
    gossip::{SubmitError, Submitter},
    state_db::StateDb,
    workers::Workers,
};
use medshare_zk::CircuitId;
use rand::{SeedableRng, rngs::StdRng};
use sha2::Digest as _;
use std::{
    path::PathBuf,
    sync::{Arc, OnceLock},
    time::Duration,
};

type Context = deterministic::Context;

const LINK: Link = Link {
    latency: Duration::from_millis(10),
    jitter: Duration::from_millis(2),
    success_rate: 1.0,
};

/// Groth16 keys, generated once per test binary.
fn keys() -> &'static CircuitSetup {
    static KEYS: OnceLock<CircuitSetup> = OnceLock::new();
    KEYS.get_or_init(|| CircuitSetup::generate(&mut StdRng::seed_from_u64(5)).expect("setup"))
}

/// A consortium: its genesis, its validators' keys, a group with an authority.
struct Consortium {
    genesis: Genesis,
    signers: Vec<ed25519::PrivateKey>,
    dir: tempfile::TempDir,
    authority: ed25519::PrivateKey,
    group: GroupId,
    group_key: GroupPublicKey,
    issuing: IssuingKey,
    registry: MemberRegistry,
}

impl Consortium {
    fn new(n: usize) -> Self {
        let spec = ConsortiumSpec {
            seed: Some(9),
            groups: vec![GroupId::new("hospital").unwrap()],
            ..ConsortiumSpec::local("medshare-sim", n, 20000)
        };
        let built = consortium::Consortium::build(&spec, keys());
        let group = built.groups.into_iter().next().expect("one genesis group");
        Self {
            genesis: built.genesis,
            signers: built.signers,
            dir: tempfile::tempdir().unwrap(),
            authority: built.authority,
            registry: MemberRegistry::new(&group.public),
            group: group.id,
            group_key: group.public,
            issuing: group.issuing,
        }
    }

    fn participants(&self) -> Vec<ed25519::PublicKey> {
        self.signers.iter().map(|s| s.public_key()).collect()
    }

    fn state_path(&self, index: usize) -> PathBuf {
        self.dir.path().join(format!("validator-{index}.redb"))
    }
}

/// What a running validator exposes to the test.
struct Validator {
    chain: Arc<Chain>,
    submitter: Submitter,
    marshal: Mailbox<Scheme, Standard<ChainBlock>>,
    handle: Handle<()>,
}

async fn network(
    context: &Context,
    consortium: &Consortium,
) -> Oracle<ed25519::PublicKey, Context> {
    let (network, oracle) = Network::new(
        context.with_label("network"),
        simulated::Config {
            max_size: 8 * 1024 * 1024,
            disconnect_on_block: true,
            tracked_peer_sets: Some(1),
        },
    );
    network.start();
    let participants = consortium.participants();
    oracle
        .manager()
        .track(0, Set::from_iter_dedup(participants.clone()))
        .await;
    for a in &participants {
        for b in &participants {
            if a != b {
                oracle.add_link(a.clone(), b.clone(), LINK).await.unwrap();
            }
        }
    }
    oracle
}

/// Starts validator `index`. Everything it runs is spawned under one task, so aborting `handle`
/// crashes the whole validator.
async fn start(
    context: &Context,
    oracle: &Oracle<ed25519::PublicKey, Context>,
    consortium: &Consortium,
    index: usize,
) -> Validator {
    start_incarnation(context, oracle, consortium, index, 0).await
}

/// (Re)starts validator `index` on its existing state and journals; each incarnation needs its
/// own metrics label.
async fn start_incarnation(
    context: &Context,
    oracle: &Oracle<ed25519::PublicKey, Context>,
    consortium: &Consortium,
    index: usize,
    incarnation: u32,
) -> Validator {
    let signer = consortium.signers[index].clone();
    let machine = Arc::new(Machine::new(
        consortium.genesis.params(),
        keys().circuit_keys(),
    ));
    let db = StateDb::open(&consortium.state_path(index)).expect("open state");
    let params = ChainParams {
        max_block_txs: 16,
        block_timeout: Duration::from_millis(50),
    };
    let chain = Arc::new(
        Chain::open(
            &consortium.genesis,
            machine,
            db,
            params,
            Workers::new(0),
            10_000,
        )
        .expect("open chain"),
    );
    let participants = Set::from_iter_dedup(consortium.participants());
    let oracle = oracle.clone();
    let (ready, started) = oneshot::channel();
    let task_chain = chain.clone();
    let handle = context
        .with_label(&format!("validator_{index}_{incarnation}"))
        .spawn(move |context| async move {
            let me = signer.public_key();
            let control = oracle.control(me.clone());
            let quota = Quota::per_second(NZU32!(1_000_000));
            let mut channels = Vec::new();
            for channel in 0..6 {
                channels.push(
                    control
                        .register(channel, quota)
                        .await
                        .expect("register channel"),
                );
            }
            let mut channels = channels.into_iter();
            let mut next = || channels.next().unwrap();
            let (votes, certificates, resolver, broadcast, backfill, transactions) =
                (next(), next(), next(), next(), next(), next());
            let engine = Engine::new(
                context.with_label("engine"),
                task_chain,
                engine::Config {
                    blocker: control.clone(),
                    provider: oracle.manager(),
                    partition_prefix: format!("validator-{index}"),
                    freezer_table_initial_size: 2u32.pow(10),
                    signer,
                    participants,
                    mailbox_size: 1024,
                    deque_size: 16,
                    timeouts: engine::Timeouts::default(),
                    fetch_concurrent: 4,
                },
            )
            .await;
            let backfill = marshal::resolver::p2p::init(
                &context.with_label("backfill"),
                marshal::resolver::p2p::Config {
                    public_key: me,
                    peer_provider: oracle.manager(),
                    blocker: control,
                    mailbox_size: 1024,
                    initial: Duration::from_secs(1),
                    timeout: Duration::from_secs(2),
                    fetch_retry_timeout: Duration::from_millis(100),
                    priority_requests: false,
                    priority_responses: false,
                },
                backfill,
            );
            let _ = ready.send((engine.submitter(), engine.marshal()));
            let _ = engine
                .start(
                    votes,
                    certificates,
                    resolver,
                    broadcast,
                    backfill,
                    transactions,
                )
                .await;
        });
    let (submitter, marshal) = started.await.expect("validator started");
    Validator {
        chain,
        submitter,
        marshal,
        handle,
    }
}

fn height(v: &Validator) -> u64 {
    v.chain.tip().height
}

/// Waits (in simulated time) until `done` holds, or panics after `limit`.
async fn wait_until(context: &Context, limit: Duration, what: &str, done: impl Fn() -> bool) {
    let deadline = context.current() + limit;
    while !done() {
        assert!(
            context.current() < deadline,
            "timed out waiting until {what}"
        );
        context.sleep(Duration::from_millis(50)).await;
    }
}

/// Every validator holds the same finalized block at every height they all have: no fork.
async fn assert_no_fork(validators: &[&Validator]) {
    let common = validators.iter().map(|v| height(v)).min().unwrap();
    assert!(common > 0);
    for h in 1..=common {
        let mut digests = Vec::new();
        for v in validators {
            let block = v
                .marshal
                .get_block(Height::new(h))
                .await
                .expect("finalized block stored");
            digests.push(block.digest());
        }
        assert!(
            digests.windows(2).all(|w| w[0] == w[1]),
            "fork at height {h}"
        );
    }
    // The state on disk after the common height matches too (checked block by block against
    // each header when applied): compare the tips of validators at the same height.
}

fn run(
    seed: u64,
    test: impl FnOnce(Context) -> futures::future::BoxFuture<'static, ()> + Send + 'static,
) {
    let config = deterministic::Config::default()
        .with_seed(seed)
        .with_timeout(Some(Duration::from_secs(600)));
    deterministic::Runner::new(config).start(test);
}

fn crashed_validators_do_not_stop_the_chain(n: usize, crashed: usize) {
    run(n as u64, move |context| {
        Box::pin(async move {
            let consortium = Consortium::new(n);
            let oracle = network(&context, &consortium).await;
            let mut validators = Vec::new();
            for index in crashed..n {
                validators.push(start(&context, &oracle, &consortium, index).await);
            }
            wait_until(
                &context,
                Duration::from_secs(120),
                "20 blocks are final everywhere",
                || validators.iter().all(|v| height(v) >= 20),
            )
            .await;
            assert_no_fork(&validators.iter().collect::<Vec<_>>()).await;
        })
    });
}

#[test]
fn four_validators_with_one_crashed_keep_finalizing() {
    crashed_validators_do_not_stop_the_chain(4, 1);
}

#[test]
fn seven_validators_with_two_crashed_keep_finalizing() {
    crashed_validators_do_not_stop_the_chain(7, 2);
}

#[test]
fn a_validator_killed_mid_run_restarts_and_catches_up() {
    run(3, |context| {
        Box::pin(async move {
            let consortium = Consortium::new(4);
            let oracle = network(&context, &consortium).await;
            let mut validators = Vec::new();
            for index in 0..4 {
                validators.push(start(&context, &oracle, &consortium, index).await);
            }
            wait_until(&context, Duration::from_secs(60), "height 5", || {
                validators.iter().all(|v| height(v) >= 5)
            })
            .await;
            // Kill validator 3 abruptly; the others go on without it.
            let killed = validators.pop().unwrap();
            killed.handle.abort();
            let stopped_at = height(&killed);
            drop(killed);
            wait_until(
                &context,
                Duration::from_secs(120),
                "the others pass height 30",
                || validators.iter().all(|v| height(v) >= 30),
            )
            .await;
            // Restart it on its own disk: it replays its journal and backfills what it missed.
            let restarted = start_incarnation(&context, &oracle, &consortium, 3, 1).await;
            assert!(height(&restarted) >= stopped_at, "finalized state was lost");
            validators.push(restarted);
            wait_until(
                &context,
                Duration::from_secs(120),
                "the restarted validator catches up",
                || height(&validators[3]) >= 30,
            )
            .await;
            assert_no_fork(&validators.iter().collect::<Vec<_>>()).await;
            // Same state root at the same height as a validator that never stopped.
            let target = height(&validators[3]);
            wait_until(
                &context,
                Duration::from_secs(10),
                "validator 0 is at least as far",
                || height(&validators[0]) >= target,
            )
            .await;
            let block = validators[0]
                .marshal
                .get_block(Height::new(target))
                .await
                .unwrap();
            assert_eq!(validators[3].chain.tip().height, target);
            assert_eq!(validators[3].chain.tip().root(), block.header().state_root);
        })
    });
}

/// Honest validators 1..4 with a Byzantine validator 0 driven by one of commonware's mocks.
fn byzantine_validator_does_not_fork(
    seed: u64,
    byzantine: impl FnOnce(
        Context,
        Scheme,
        (
            simulated::Sender<ed25519::PublicKey, Context>,
            simulated::Receiver<ed25519::PublicKey>,
        ),
        (
            simulated::Sender<ed25519::PublicKey, Context>,
            simulated::Receiver<ed25519::PublicKey>,
        ),
    ) + Send
    + 'static,
) {
    run(seed, move |context| {
        Box::pin(async move {
            let consortium = Consortium::new(4);
            let oracle = network(&context, &consortium).await;
            let control = oracle.control(consortium.signers[0].public_key());
            let quota = Quota::per_second(NZU32!(1_000_000));
            let votes = control.register(0, quota).await.unwrap();
            let certificates = control.register(1, quota).await.unwrap();
            let scheme = Scheme::signer(
                NAMESPACE,
                Set::from_iter_dedup(consortium.participants()),
                consortium.signers[0].clone(),
            )
            .unwrap();
            byzantine(context.with_label("byzantine"), scheme, votes, certificates);
            let mut validators = Vec::new();
            for index in 1..4 {
                validators.push(start(&context, &oracle, &consortium, index).await);
            }
            wait_until(
                &context,
                Duration::from_secs(180),
                "15 blocks are final",
                || validators.iter().all(|v| height(v) >= 15),
            )
            .await;
            assert_no_fork(&validators.iter().collect::<Vec<_>>()).await;
        })
    });
}

#[test]
fn a_conflicting_validator_does_not_fork_the_chain() {
    byzantine_validator_does_not_fork(11, |context, scheme, votes, _| {
        simplex::mocks::conflicter::Conflicter::<_, _, Sha256>::new(
            context,
            simplex::mocks::conflicter::Config { scheme },
        )
        .start(votes);
    });
}

#[test]
fn an_equivocating_leader_does_not_fork_the_chain() {
    byzantine_validator_does_not_fork(12, |context, scheme, votes, certificates| {
        simplex::mocks::equivocator::Equivocator::<_, _, RoundRobin, Sha256>::new(
            context,
            simplex::mocks::equivocator::Config {
                scheme,
                elector: RoundRobin::default(),
                epoch: engine::EPOCH,
                relay: Arc::new(simplex::mocks::relay::Relay::new()),
                hasher: Sha256::default(),
            },
        )
        .start(votes, certificates);
    });
}

/// Builds a registration of `data` by `member`.
fn register(
    consortium: &Consortium,
    member: &MemberKey,
    group_key: &GroupPublicKey,
    sk: &SecretKey,
    data: &[u8],
    rng: &mut StdRng,
) -> Transaction {
    let salt = Salt::random(rng);
    register_salted(consortium, member, group_key, sk, &salt, data, rng)
}

fn register_salted(
    consortium: &Consortium,
    member: &MemberKey,
    group_key: &GroupPublicKey,
    sk: &SecretKey,
    salt: &Salt,
    data: &[u8],
    rng: &mut StdRng,
) -> Transaction {
    ops::mda::register(
        ops::mda::Registration {
            chain_id: &consortium.genesis.chain_id,
            group: consortium.group.clone(),
            alpha: alpha_from_digest(&sha2::Sha256::digest(data).into()),
            sk,
            salt,
            manifest: b"manifest-cid".to_vec(),
            member,
            group_key,
            proving_key: keys().proving_key(CircuitId::Registration),
        },
        rng,
    )
    .map(Transaction::from)
    .unwrap()
}

async fn wait_final(context: &Context, v: &Validator, tx: &Transaction) -> u64 {
    let key = state::tx_key(&tx.id());
    wait_until(
        context,
        Duration::from_secs(60),
        "the transaction is final",
        || v.chain.db.snapshot().get(&key).is_some(),
    )
    .await;
    height(v)
}

fn rejected(result: Result<medshare_ledger::Hash, SubmitError>, reason: &str) {
    match result {
        Err(SubmitError::Rejected(message)) => assert!(
            message.contains(reason),
            "{message:?} does not say {reason:?}"
        ),
        other => panic!("expected a rejection saying {reason:?}, got {other:?}"),
    }
}

#[test]
fn invalid_transactions_are_never_finalized_and_say_why() {
    run(21, |context| {
        Box::pin(async move {
            let mut rng = StdRng::seed_from_u64(1);
            let mut consortium = Consortium::new(4);
            let oracle = network(&context, &consortium).await;
            let mut validators = Vec::new();
            for index in 0..4 {
                validators.push(start(&context, &oracle, &consortium, index).await);
            }
            let group_key = consortium.group_key.clone();
            let alice = consortium
                .registry
                .enroll(&consortium.issuing, &group_key, "alice", &mut rng)
                .unwrap();
            let bob = consortium
                .registry
                .enroll(&consortium.issuing, &group_key, "bob", &mut rng)
                .unwrap();
            let sk = SecretKey::random(&mut rng);
            let submit = |tx: Transaction| validators[1].submitter.submit(tx);

            // An honest registration is final everywhere.
            let honest_salt = Salt::random(&mut rng);
            let honest = register_salted(
                &consortium,
                &alice,
                &group_key,
                &sk,
                &honest_salt,
                b"CT scan",
                &mut rng,
            );
            submit(honest.clone()).await.unwrap();
            wait_final(&context, &validators[2], &honest).await;

            // A relay mauls a pending registration's proof and gets its copy in first: the copy
            // has the owner's id, so the owner's own submission is answered with that id and is
            // final (not refused as a duplicate).
            let owned = register(&consortium, &alice, &group_key, &sk, b"X-ray", &mut rng);
            let mut bytes = owned.encode().to_vec();
            let at = bytes.len() - ops::PROOF_BYTES;
            let mauled = medshare_zk::Proof::from_bytes(&bytes[at..])
                .unwrap()
                .mauled();
            bytes[at..].copy_from_slice(&mauled.to_bytes());
            let mauled = Transaction::from_bytes(&bytes).unwrap();
            assert_ne!(mauled.encoding_hash(), owned.encoding_hash());
            assert_eq!(validators[0].submitter.submit(mauled).await, Ok(owned.id()));
            assert_eq!(submit(owned.clone()).await, Ok(owned.id()));
            wait_final(&context, &validators[3], &owned).await;
            assert_eq!(submit(owned.clone()).await, Ok(owned.id()));

            // A forged proof: another registration's proof on this transaction.
            let other = register(&consortium, &alice, &group_key, &sk, b"MR image", &mut rng);
            let (Transaction::Register(mut forged), Transaction::Register(donor)) =
                (other.clone(), honest.clone())
            else {
                unreachable!()
            };
            forged.proof = donor.proof;
            rejected(
                submit(Transaction::Register(forged)).await,
                "proof does not verify",
            );

            // A replay of the same α under a fresh proof and signature.
            let replay = register(&consortium, &alice, &group_key, &sk, b"CT scan", &mut rng);
            rejected(submit(replay).await, "already registered");

            // An authorization by the owner against a root that was never the tree's: a tree
            // holding the owner's commitment and one more leaf.
            let Transaction::Register(honest_body) = &honest else {
                unreachable!()
            };
            let mut fake_tree = medshare_crypto::merkle::CommitmentTree::new(1).unwrap();
            fake_tree.append(honest_body.re.0).unwrap();
            fake_tree
                .append(Field::from(medshare_crypto::poseidon::Fr::from(1u64)).0)
                .unwrap();
            let stale = ops::mda::authorize(
                ops::mda::Authorization {
                    chain_id: &consortium.genesis.chain_id,
                    group: consortium.group.clone(),
                    alpha: honest_body.alpha.0,
                    sk: &sk,
                    salt: &honest_salt,
                    salt_auth: &Salt::random(&mut rng),
                    pk_h: SecretKey::random(&mut rng).public_key(),
                    path: fake_tree.path(0).unwrap(),
                    envelope: Vec::new(),
                    member: &alice,
                    group_key: &group_key,
                    proving_key: keys().proving_key(CircuitId::Authorization),
                },
                &mut rng,
            )
            .map(Transaction::from)
            .unwrap();
            rejected(submit(stale).await, "not one of the recent roots");

            // Revoke bob; his next registration is refused.
            let (revocation, next_key) = consortium
                .registry
                .revoke(&consortium.issuing, &group_key, bob.index())
                .unwrap();
            let advance = Transaction::from(ops::group::advance_group_epoch(
                &consortium.genesis.chain_id,
                consortium.group.clone(),
                &revocation,
                &consortium.authority,
            ));
            submit(advance.clone()).await.unwrap();
            wait_final(&context, &validators[0], &advance).await;
            let revoked = register(
                &consortium,
                &bob,
                &group_key,
                &SecretKey::random(&mut rng),
                b"bob's scan",
                &mut rng,
            );
            rejected(submit(revoked).await, "group signature does not verify");
            assert!(bob.update(&revocation).is_err());
            let alice = alice.update(&revocation).unwrap();
            let fine = register(
                &consortium,
                &alice,
                &next_key,
                &sk,
                b"alice's new scan",
                &mut rng,
            );
            submit(fine.clone()).await.unwrap();
            wait_final(&context, &validators[3], &fine).await;

            // A Byzantine proposer slips an invalid proof into its own mempool, bypassing the
            // checks: its blocks are refused by the others and the transaction never lands.
            let smuggled = {
                let (Transaction::Register(mut body), Transaction::Register(donor)) = (
                    register(&consortium, &alice, &next_key, &sk, b"smuggled", &mut rng),
                    fine.clone(),
                ) else {
                    unreachable!()
                };
                body.proof = donor.proof;
                Transaction::Register(body)
            };
            let forged_check = Checked::new(
                &smuggled,
                Some(sha2::Sha256::digest(next_key.to_bytes()).into()),
            );
            validators[0]
                .chain
                .mempool
                .insert(Arc::new(smuggled.clone()), forged_check)
                .unwrap();
            let start_height = height(&validators[1]);
            wait_until(
                &context,
                Duration::from_secs(180),
                "12 more blocks are final",
                || {
                    validators[1..]
                        .iter()
                        .all(|v| height(v) >= start_height + 12)
                },
            )
            .await;
            for v in &validators {
                assert!(
                    v.chain
                        .db
                        .snapshot()
                        .get(&state::tx_key(&smuggled.id()))
                        .is_none()
                );
            }
            assert_no_fork(&validators[1..].iter().collect::<Vec<_>>()).await;
        })
    });
}
