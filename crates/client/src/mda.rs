//! The data owner's and data user's operations on MDAs (seed 000 §IV, Algorithms 1-5):
//! register, authorize, extract, list, audit, trace.
//!
//! Each checks its transaction against the node's finalized state before it changes anything,
//! so a refusal (revoked, not the owner, not authorized…) leaves nothing on chain, on the storage
//! peers or on disk.

use crate::{
    Error, Keystore, Profile, Result, Session,
    envelopes::Grant,
    group::{self, member_key},
    keystore::OwnedMda,
    pending,
    session::FINALITY_TIMEOUT,
};
use medshare_api::AuditEventView;
use medshare_crypto::{
    envelope,
    poseidon::{Salt, alpha_from_digest},
    stream::StreamKey,
};
use medshare_ledger::{
    Field, GroupId, Transaction, ops,
    tree::TreeId,
    tx::{Kind, MAX_ENVELOPE},
};
use medshare_storage::{ContentId, Erasure, Manifest};
use medshare_zk::CircuitId;
use rand::rngs::OsRng;
use serde::Serialize;
use std::{
    path::{Path, PathBuf},
    time::Instant,
};

/// Largest MDA: what the storage peers' default shard limit (1 GiB) allows at k = 4.
pub const MAX_MDA_BYTES: u64 = 4 << 30;

/// Parses α as printed by medshare (64 hex digits).
pub fn parse_alpha(text: &str) -> Result<Field> {
    Field::from_hex(text).ok_or_else(|| {
        Error::Invalid(format!(
            "{text:?} is not an α: expected the 64 hex digits medshare printed at registration"
        ))
    })
}

fn manifest_ref(cid: &ContentId) -> Vec<u8> {
    cid.to_bytes().to_vec()
}

/// Runs proving work off the async runtime.
pub(crate) async fn prove<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))?
}

/// What `register` did.
#[derive(Debug, Serialize)]
pub struct Registered {
    pub alpha: Field,
    /// The leaf of the registration tree (the paper's `Addr_α`).
    pub position: u64,
    pub height: u64,
    pub group: GroupId,
    pub manifest: String,
    pub tx: String,
    pub bytes: u64,
}

/// Registers the file at `file` in `group` (Algorithms 1-2): encrypts and encodes it, proves,
/// checks with the node, uploads the shards, submits and waits for finality.
pub async fn register(
    session: &Session,
    keystore: &mut Keystore,
    file: &Path,
    group: &GroupId,
) -> Result<Registered> {
    pending::reconcile(session, keystore).await?;
    let len = std::fs::metadata(file)
        .map_err(|e| Error::Invalid(format!("cannot read {}: {e}", file.display())))?
        .len();
    if len > MAX_MDA_BYTES {
        return Err(Error::FileTooLarge {
            path: file.to_owned(),
            len,
            max: MAX_MDA_BYTES,
        });
    }
    let (member, group_key) = member_key(session, keystore, group).await?;
    let storage = session.storage()?;
    let staged = storage.encode(file, Erasure::default()).await?;
    let manifest = staged.manifest().clone();
    let alpha = Field(alpha_from_digest(&manifest.alpha().0));
    if session.node.mda(&alpha).await?.is_some() {
        return Err(Error::Invalid(match keystore.mda(&alpha) {
            Some(_) => format!("you registered this data already: α = {alpha}"),
            None => format!("this exact data is registered already as α = {alpha}"),
        }));
    }
    // The manifest must fit the authorization envelope later (sealed grant ≈ manifest + 120 B).
    if manifest.to_bytes().len() + 200 > MAX_ENVELOPE {
        return Err(Error::Invalid(
            "too many shards for the authorization envelope".into(),
        ));
    }
    let salt = Salt::random(&mut OsRng);
    let proving_key = session.proving_key(CircuitId::Registration).await?;
    let tx = {
        let (chain_id, group, sk, salt) = (
            session.chain_id().to_string(),
            group.clone(),
            keystore.zk_secret(),
            salt.clone(),
        );
        let manifest = manifest_ref(&manifest.cid());
        prove(move || {
            Ok(ops::mda::register(
                ops::mda::Registration {
                    chain_id: &chain_id,
                    group,
                    alpha: alpha.0,
                    sk: &sk,
                    salt: &salt,
                    manifest,
                    member: &member,
                    group_key: &group_key,
                    proving_key: &proving_key,
                },
                &mut OsRng,
            )
            .map(Transaction::from)?)
        })
        .await?
    };
    session.node.check(&tx).await?;
    let upload = storage.push(staged).await?;
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    keystore.set_mda(OwnedMda {
        alpha: alpha.to_bytes(),
        name,
        group: group.to_string(),
        salt: *salt.to_bytes(),
        data_key: *upload.data_key.as_bytes(),
        manifest: upload.manifest.to_bytes(),
        position: None,
    });
    keystore.save()?;
    let included = pending::submit(session, keystore, &tx, Some(&alpha)).await?;
    let record = session
        .node
        .mda(&alpha)
        .await?
        .ok_or_else(|| Error::Inconsistent(format!("MDA {alpha} is final but not found")))?;
    if let Some(mut owned) = keystore.mda(&alpha).cloned() {
        owned.position = Some(record.position);
        keystore.set_mda(owned);
        keystore.save()?;
    }
    Ok(Registered {
        alpha,
        position: record.position,
        height: included.height,
        group: group.clone(),
        manifest: upload.manifest_cid.to_string(),
        tx: hex::encode(tx.id()),
        bytes: len,
    })
}

/// What `authorize` did.
#[derive(Debug, Serialize)]
pub struct Authorized {
    pub alpha: Field,
    /// The data user's pseudonym.
    pub pk_h: Field,
    pub re_auth: Field,
    /// The leaf of the authorization tree (the paper's `Addr_{α,H}`).
    pub position: u64,
    pub height: u64,
    pub tx: String,
}

/// Authorizes the holder of `to` to extract MDA `alpha` (Algorithms 3-4); the envelope carries
/// σ', the data key and the manifest, sealed to them.
pub async fn authorize(
    session: &Session,
    keystore: &mut Keystore,
    alpha: &Field,
    to: &Profile,
) -> Result<Authorized> {
    pending::reconcile(session, keystore).await?;
    let record = session
        .node
        .mda(alpha)
        .await?
        .ok_or(Error::UnknownAlpha(*alpha))?;
    let owned = keystore
        .mda(alpha)
        .cloned()
        .ok_or(Error::NotOwner(*alpha))?;
    if record.pk_a != keystore.pseudonym() {
        return Err(Error::NotOwner(*alpha));
    }
    let (member, group_key) = member_key(session, keystore, &record.group).await?;
    let (leaf, path) = session
        .node
        .path(TreeId::Registration, record.position)
        .await?;
    if leaf != record.re {
        return Err(Error::Inconsistent(
            "the registration leaf differs from the record".into(),
        ));
    }
    let manifest = Manifest::from_bytes(&owned.manifest)
        .map_err(|e| Error::Invalid(format!("stored manifest: {e}")))?;
    let salt_auth = Salt::random(&mut OsRng);
    let grant = Grant {
        salt_auth: salt_auth.clone(),
        alpha: *alpha,
        pk_a: record.pk_a,
        data_key: StreamKey::from_bytes(owned.data_key),
        manifest,
    };
    let envelope = grant.seal(session.chain_id(), &to.pseudonym, &to.encryption)?;
    let salt = Salt::from_bytes(&owned.salt)
        .map_err(|_| Error::Invalid("stored σ does not decode".into()))?;
    let proving_key = session.proving_key(CircuitId::Authorization).await?;
    let tx = {
        let (chain_id, group, sk, pk_h, alpha) = (
            session.chain_id().to_string(),
            record.group.clone(),
            keystore.zk_secret(),
            to.pseudonym,
            *alpha,
        );
        prove(move || {
            Ok(ops::mda::authorize(
                ops::mda::Authorization {
                    chain_id: &chain_id,
                    group,
                    alpha: alpha.0,
                    sk: &sk,
                    salt: &salt,
                    salt_auth: &salt_auth,
                    pk_h: pk_h.0,
                    path,
                    envelope,
                    member: &member,
                    group_key: &group_key,
                    proving_key: &proving_key,
                },
                &mut OsRng,
            )?)
        })
        .await?
    };
    let re_auth = tx.re_auth;
    let tx = Transaction::from(tx);
    session.node.check(&tx).await?;
    let included = pending::submit(session, keystore, &tx, None).await?;
    let view =
        session.node.authorization(&re_auth).await?.ok_or_else(|| {
            Error::Inconsistent("the authorization is final but not found".into())
        })?;
    Ok(Authorized {
        alpha: *alpha,
        pk_h: to.pseudonym,
        re_auth,
        position: view.position,
        height: included.height,
        tx: hex::encode(tx.id()),
    })
}

/// What `extract` did, with the time each stage took.
#[derive(Debug, Serialize)]
pub struct Extracted {
    pub alpha: Field,
    pub output: PathBuf,
    pub bytes: u64,
    pub height: u64,
    pub tx: String,
    /// Prove, check, submit until final.
    pub chain_ms: u64,
    /// Fetch k shards, rebuild, decrypt, check SHA-256(S) = α, write.
    pub storage_ms: u64,
}

/// The newest authorization of `alpha` to `me`, by its leaf in the authorization tree.
async fn my_authorization(session: &Session, alpha: &Field, me: &Field) -> Result<u64> {
    session
        .node
        .audit_pseudonym(me)
        .await?
        .into_iter()
        .rev()
        .find(|e| e.kind == Kind::Authorize && &e.alpha == alpha && e.pk_h.as_ref() == Some(me))
        .and_then(|e| e.position)
        .ok_or(Error::NotAuthorized(*alpha))
}

/// Extracts MDA `alpha` to `output` (Algorithm 5): opens the authorization envelope, proves the
/// authorization under a fresh ephemeral key, waits for finality, then fetches the shards the
/// storage peers release to that key, rebuilds, decrypts and checks `SHA-256(S) = α` before
/// writing `output` (atomically; nothing is written on any failure).
pub async fn extract(
    session: &Session,
    keystore: &Keystore,
    alpha: &Field,
    output: &Path,
) -> Result<Extracted> {
    if output.exists() {
        return Err(Error::OutputExists(output.to_owned()));
    }
    let started = Instant::now();
    let record = session
        .node
        .mda(alpha)
        .await?
        .ok_or(Error::UnknownAlpha(*alpha))?;
    let me = keystore.pseudonym();
    let position = my_authorization(session, alpha, &me).await?;
    let (re_auth, path) = session.node.path(TreeId::Authorization, position).await?;
    let authorization = session
        .node
        .authorization(&re_auth)
        .await?
        .filter(|a| &a.alpha == alpha && a.pk_h == me)
        .ok_or(Error::NotAuthorized(*alpha))?;
    let sealed = hex::decode(&authorization.envelope)
        .map_err(|_| Error::Inconsistent("the envelope is not hex".into()))?;
    let grant = Grant::open(
        &sealed,
        session.chain_id(),
        *alpha,
        authorization.pk_a,
        &me,
        &keystore.hpke_secret(),
    )?;
    if hex::encode(manifest_ref(&grant.manifest.cid())) != record.manifest
        || Field(alpha_from_digest(&grant.manifest.alpha().0)) != *alpha
    {
        return Err(Error::Inconsistent(
            "the manifest in the envelope is not the one registered for this MDA".into(),
        ));
    }
    let ephemeral = envelope::SecretKey::generate();
    let proving_key = session.proving_key(CircuitId::Extraction).await?;
    let tx = {
        let (chain_id, sk, salt_auth, pk_a, epk, alpha) = (
            session.chain_id().to_string(),
            keystore.zk_secret(),
            grant.salt_auth.clone(),
            authorization.pk_a,
            ephemeral.public_key().to_bytes(),
            *alpha,
        );
        prove(move || {
            Ok(ops::mda::extract(
                ops::mda::Extraction {
                    chain_id: &chain_id,
                    alpha: alpha.0,
                    pk_a: pk_a.0,
                    sk: &sk,
                    salt_auth: &salt_auth,
                    path,
                    epk,
                    proving_key: &proving_key,
                },
                &mut OsRng,
            )
            .map(Transaction::from)?)
        })
        .await?
    };
    session.node.check(&tx).await?;
    let included = session.node.submit_and_wait(&tx, FINALITY_TIMEOUT).await?;
    let chain_ms = started.elapsed().as_millis() as u64;
    let fetching = Instant::now();
    session.wait_peers_at(included.height).await?;
    session
        .storage()?
        .download(&grant.manifest, &grant.data_key, &ephemeral, output)
        .await?;
    Ok(Extracted {
        alpha: *alpha,
        output: output.to_owned(),
        bytes: grant.manifest.plaintext_len(),
        height: included.height,
        tx: hex::encode(tx.id()),
        chain_ms,
        storage_ms: fetching.elapsed().as_millis() as u64,
    })
}

/// An MDA in `mda list`.
#[derive(Debug, Serialize)]
pub struct Listed {
    pub alpha: Field,
    pub name: String,
    pub group: String,
    pub position: Option<u64>,
    pub authorizations: u64,
    pub extractions: u64,
}

/// An MDA shared with this keystore's pseudonym.
#[derive(Debug, Serialize)]
pub struct Shared {
    pub alpha: Field,
    pub owner: Field,
    pub height: u64,
}

#[derive(Debug, Serialize)]
pub struct Listing {
    pub owned: Vec<Listed>,
    pub shared_with_me: Vec<Shared>,
    /// What became of transactions whose outcome was not known.
    pub reconciled: Vec<pending::Reconciled>,
    /// Ids of transactions still not settled.
    pub pending: Vec<String>,
}

/// The MDAs this keystore owns (with their counts on chain) and those authorized to it, after
/// settling any transaction whose outcome was not known.
pub async fn list(session: &Session, keystore: &mut Keystore) -> Result<Listing> {
    let reconciled = pending::reconcile(session, keystore).await?;
    let mut owned = Vec::new();
    for mda in keystore.mdas() {
        let record = session.node.mda(&mda.alpha()).await?;
        owned.push(Listed {
            alpha: mda.alpha(),
            name: mda.name.clone(),
            group: mda.group.clone(),
            position: record.as_ref().map(|r| r.position),
            authorizations: record.as_ref().map_or(0, |r| r.authorizations),
            extractions: record.as_ref().map_or(0, |r| r.extractions),
        });
    }
    let me = keystore.pseudonym();
    let shared_with_me = session
        .node
        .audit_pseudonym(&me)
        .await?
        .into_iter()
        .filter(|e| e.kind == Kind::Authorize && e.pk_h == Some(me))
        .map(|e| Shared {
            alpha: e.alpha,
            owner: e.pk_a,
            height: e.height,
        })
        .collect();
    Ok(Listing {
        owned,
        shared_with_me,
        reconciled,
        pending: keystore
            .pending()
            .iter()
            .map(|p| hex::encode(p.id))
            .collect(),
    })
}

/// Every event of MDA `alpha`, oldest first.
pub async fn audit(session: &Session, alpha: &Field) -> Result<Vec<AuditEventView>> {
    if session.node.mda(alpha).await?.is_none() {
        return Err(Error::UnknownAlpha(*alpha));
    }
    session.node.audit_alpha(alpha).await
}

/// One group-signed event of an MDA, traced.
#[derive(Debug, Serialize)]
pub struct Traced {
    pub kind: Kind,
    pub tx: String,
    pub height: u64,
    /// The group whose key verifies the signature (anyone can check this).
    pub group: GroupId,
    /// The member who signed, when the keystore holds the group's opening key.
    pub member: Option<String>,
}

/// Ownership tracing (operation 5) of every registration and authorization of `alpha`: the group
/// for anyone; the member too when `keystore` is the group's authority.
pub async fn trace(
    session: &Session,
    keystore: Option<&Keystore>,
    alpha: &Field,
) -> Result<Vec<Traced>> {
    let mut traced = Vec::new();
    for event in audit(session, alpha).await? {
        if !matches!(event.kind, Kind::Register | Kind::Authorize) {
            continue;
        }
        let group = group::trace_transaction(session, &event.tx).await?;
        let member = match keystore.filter(|k| k.authority(group.as_str()).is_some()) {
            Some(keystore) => Some(group::open(session, keystore, &event.tx).await?.member),
            None => None,
        };
        traced.push(Traced {
            kind: event.kind,
            tx: event.tx,
            height: event.height,
            group,
            member,
        });
    }
    Ok(traced)
}

/// What `withdraw_consent` did: one entry per authorization withdrawn.
#[derive(Debug, Serialize)]
pub struct ConsentWithdrawn {
    pub alpha: Field,
    pub pk_h: Field,
    pub re_auth: Field,
    pub height: u64,
    pub tx: String,
}

/// Withdraws every consent this owner gave `from` for MDA `alpha` that is still in force, with a
/// proof of the owner's key; later extractions of them are refused by the chain.
pub async fn withdraw_consent(
    session: &Session,
    keystore: &mut Keystore,
    alpha: &Field,
    from: &Profile,
) -> Result<Vec<ConsentWithdrawn>> {
    pending::reconcile(session, keystore).await?;
    let record = session
        .node
        .mda(alpha)
        .await?
        .ok_or(Error::UnknownAlpha(*alpha))?;
    if record.pk_a != keystore.pseudonym() || keystore.mda(alpha).is_none() {
        return Err(Error::NotOwner(*alpha));
    }
    let events = audit(session, alpha).await?;
    let withdrawn: Vec<Option<u64>> = events
        .iter()
        .filter(|e| e.kind == Kind::WithdrawConsent)
        .map(|e| e.position)
        .collect();
    let in_force: Vec<u64> = events
        .iter()
        .filter(|e| e.kind == Kind::Authorize && e.pk_h == Some(from.pseudonym))
        .filter_map(|e| e.position)
        .filter(|position| !withdrawn.contains(&Some(*position)))
        .collect();
    if in_force.is_empty() {
        return Err(Error::Invalid(format!(
            "{} holds no consent in force for MDA {alpha}; `medshare mda audit {alpha}` lists them",
            from.pseudonym
        )));
    }
    let proving_key = session.proving_key(CircuitId::Withdrawal).await?;
    let mut done = Vec::new();
    for position in in_force {
        let (re_auth, _) = session.node.path(TreeId::Authorization, position).await?;
        let (chain_id, sk, alpha, proving_key) = (
            session.chain_id().to_string(),
            keystore.zk_secret(),
            *alpha,
            proving_key.clone(),
        );
        let tx = prove(move || {
            Ok(ops::consent::withdraw_consent(
                ops::consent::ConsentWithdrawalRequest {
                    chain_id: &chain_id,
                    alpha,
                    re_auth,
                    sk: &sk,
                    proving_key: &proving_key,
                },
                &mut OsRng,
            )
            .map(Transaction::from)?)
        })
        .await?;
        session.node.check(&tx).await?;
        let included = pending::submit(session, keystore, &tx, None).await?;
        done.push(ConsentWithdrawn {
            alpha,
            pk_h: from.pseudonym,
            re_auth,
            height: included.height,
            tx: hex::encode(tx.id()),
        });
    }
    Ok(done)
}
