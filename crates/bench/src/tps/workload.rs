//! The requests of a benchmark: authorizations with real proofs (or the baseline's signed
//! notes), built once per seed and kept in `bench-results/cache/`.

use anyhow::{Context, Result};
use commonware_codec::Encode;
use medshare_crypto::{
    groupsig::{MemberRegistry, generate_group},
    merkle::CommitmentTree,
    poseidon::{Salt, SecretKey, alpha_from_data, registration_commitment},
};
use medshare_ledger::{GroupId, Transaction, ops};
use medshare_zk::CircuitId;
use rand::{RngCore, SeedableRng, rngs::StdRng};
use std::{
    io::Write as _,
    path::{Path, PathBuf},
    sync::Arc,
    time::Instant,
};

use super::setup::{Args, Consortium, Kind, proving_key, results_dir, signer};

/// The requests of one benchmark: what must be final first, then what is released at once.
pub(super) struct Workload {
    pub(super) setup: Vec<Transaction>,
    pub(super) requests: Vec<Transaction>,
}

pub(super) fn cache_path(args: &Args, kind: Kind) -> PathBuf {
    let kind = if kind == Kind::Note {
        "notes"
    } else {
        "authorizations"
    };
    results_dir()
        .join("cache")
        .join(format!("{kind}-{}-{}.txs", args.seed, args.requests))
}

fn write_txs(path: &Path, setup: &[Transaction], requests: &[Transaction]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut file = std::io::BufWriter::new(medshare_crypto::durable::PendingFile::create_in(dir)?);
    for list in [setup, requests] {
        file.write_all(&(list.len() as u32).to_le_bytes())?;
        for tx in list {
            let bytes = tx.encode();
            file.write_all(&(bytes.len() as u32).to_le_bytes())?;
            file.write_all(&bytes)?;
        }
    }
    file.into_inner()?.commit(path)?;
    Ok(())
}

fn read_txs(path: &Path) -> Result<Workload> {
    let bytes = std::fs::read(path)?;
    let mut at = 0usize;
    let mut take = |n: usize| -> Result<&[u8]> {
        let slice = bytes.get(at..at + n).context("truncated request cache")?;
        at += n;
        Ok(slice)
    };
    let mut lists = Vec::new();
    for _ in 0..2 {
        let count = u32::from_le_bytes(take(4)?.try_into()?) as usize;
        let mut list = Vec::with_capacity(count);
        for _ in 0..count {
            let len = u32::from_le_bytes(take(4)?.try_into()?) as usize;
            list.push(Transaction::from_bytes(take(len)?)?);
        }
        lists.push(list);
    }
    let requests = lists.pop().expect("two lists");
    let setup = lists.pop().expect("two lists");
    Ok(Workload { setup, requests })
}

/// Generates (or loads) the workload. Authorizations are proved on every core.
pub(super) fn workload(args: &Args, kind: Kind, consortium: &Consortium) -> Result<Workload> {
    let path = cache_path(args, kind);
    if path.exists() {
        return read_txs(&path);
    }
    std::fs::create_dir_all(path.parent().expect("in a directory"))?;
    let chain_id = consortium.genesis.chain_id.clone();
    if kind == Kind::Note {
        // One author per note: strictly increasing nonces per author would make notes that
        // overtake each other in the burst stale.
        let requests = (0..args.requests)
            .map(|i| {
                let author = signer(args.seed, 5_000 + i as u64);
                Transaction::from(ops::note::note(&chain_id, &author, 1, vec![7u8; 420]))
            })
            .collect::<Vec<_>>();
        write_txs(&path, &[], &requests)?;
        return Ok(Workload {
            setup: Vec::new(),
            requests,
        });
    }
    let mut rng = StdRng::seed_from_u64(args.seed);
    let (group_key, issuing, _) = generate_group(&mut rng);
    let mut registry = MemberRegistry::new(&group_key);
    let member = registry.enroll(&issuing, &group_key, "bench-owner", &mut rng)?;
    let group = GroupId::new("bench").expect("valid");
    let owner = SecretKey::random(&mut rng);
    let salt = Salt::random(&mut rng);
    let alpha = alpha_from_data(format!("medshare bench MDA {}", args.seed).as_bytes());
    let registration = ops::mda::register(
        ops::mda::Registration {
            chain_id: &chain_id,
            group: group.clone(),
            alpha,
            sk: &owner,
            salt: &salt,
            manifest: vec![1u8; 36],
            member: &member,
            group_key: &group_key,
            proving_key: &proving_key(&consortium.keys_dir, args.seed, CircuitId::Registration)?,
        },
        &mut rng,
    )
    .map(Transaction::from)?;
    // The registration tree will hold exactly this leaf: its path and root are known now.
    let mut tree = CommitmentTree::new(1)?;
    tree.append(registration_commitment(alpha, owner.public_key(), &salt))?;
    let path_to_leaf = tree.path(0)?;
    let authorization_key = proving_key(&consortium.keys_dir, args.seed, CircuitId::Authorization)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let shards: Vec<Vec<Transaction>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (group, chain_id, member, group_key) =
                    (group.clone(), &chain_id, &member, &group_key);
                let (owner, salt, path, key, done) = (
                    &owner,
                    &salt,
                    &path_to_leaf,
                    &authorization_key,
                    done.clone(),
                );
                scope.spawn(move || -> Result<Vec<Transaction>> {
                    let mut rng = StdRng::seed_from_u64(args.seed.wrapping_add(1 + t as u64));
                    let mut txs = Vec::new();
                    for _ in (t..args.requests).step_by(threads) {
                        let mut envelope = vec![0u8; 420];
                        rng.fill_bytes(&mut envelope);
                        txs.push(
                            ops::mda::authorize(
                                ops::mda::Authorization {
                                    chain_id,
                                    group: group.clone(),
                                    alpha,
                                    sk: owner,
                                    salt,
                                    salt_auth: &Salt::random(&mut rng),
                                    pk_h: SecretKey::random(&mut rng).public_key(),
                                    path: path.clone(),
                                    envelope,
                                    member,
                                    group_key,
                                    proving_key: key,
                                },
                                &mut rng,
                            )
                            .map(Transaction::from)?,
                        );
                        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        if n % 256 == 0 {
                            eprintln!(
                                "  proved {n}/{} authorizations ({:.0} s)",
                                args.requests,
                                started.elapsed().as_secs_f64()
                            );
                        }
                    }
                    Ok(txs)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("prover thread"))
            .collect::<Result<_>>()
    })?;
    let requests: Vec<Transaction> = shards.into_iter().flatten().collect();
    write_txs(&path, std::slice::from_ref(&registration), &requests)?;
    Ok(Workload {
        setup: vec![registration],
        requests,
    })
}
