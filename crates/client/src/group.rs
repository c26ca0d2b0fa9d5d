//! The group authority's operations and group membership (seed 000 operations 1 and 5):
//! create a group, enroll and revoke members, open a group signature; join a group, keep a
//! member key current through revocations; trace a signature's group from public data alone.

use crate::{
    Error, Keystore, Profile, Result, Session,
    envelopes::SealedMemberKey,
    keystore::{Authority, Membership},
    node::Included,
    session::FINALITY_TIMEOUT,
};
use commonware_codec::{DecodeExt, Encode};
use commonware_cryptography::ed25519;
use medshare_crypto::groupsig::{
    GroupPublicKey, IssuingKey, MemberIndex, MemberKey, MemberRegistry, OpeningKey, Revocation,
    Signature, generate_group, trace_group,
};
use medshare_ledger::{GroupId, Transaction, ops, tx::Kind};
use rand::rngs::OsRng;
use serde::Serialize;
use std::path::Path;

fn corrupt(what: &str, error: impl std::fmt::Display) -> Error {
    Error::Invalid(format!("{what} in the keystore does not decode ({error})"))
}

fn decode_hex(text: &str, what: &str) -> Result<Vec<u8>> {
    hex::decode(text).map_err(|_| Error::Inconsistent(format!("{what} is not hex")))
}

/// Reads a group authority's ed25519 key file (32 bytes, hex), as `medshare devnet` writes it.
pub fn read_authority_key(path: &Path) -> Result<ed25519::PrivateKey> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::Invalid(format!(
            "cannot read the authority key {}: {e}",
            path.display()
        ))
    })?;
    let bytes = hex::decode(text.trim())
        .map_err(|_| Error::Invalid(format!("{} is not hex", path.display())))?;
    ed25519::PrivateKey::decode(bytes.as_slice())
        .map_err(|_| Error::Invalid(format!("{} is not an ed25519 private key", path.display())))
}

/// The group's current key on chain.
pub async fn current_group_key(
    session: &Session,
    group: &GroupId,
) -> Result<(GroupPublicKey, u64)> {
    let view = session
        .node
        .group(group)
        .await?
        .ok_or_else(|| Error::UnknownGroup(group.clone()))?;
    let key = GroupPublicKey::from_bytes(&decode_hex(&view.public_key, "group key")?)
        .map_err(|e| Error::Inconsistent(format!("group key: {e}")))?;
    Ok((key, view.epoch))
}

/// The group key of `epoch`, rebuilt from public data: the key the group was created with (in
/// genesis or in its `CreateGroup` transaction) and the revocations up to `epoch`.
pub async fn group_key_at(
    session: &Session,
    group: &GroupId,
    epoch: u64,
) -> Result<GroupPublicKey> {
    let view = session
        .node
        .group(group)
        .await?
        .ok_or_else(|| Error::UnknownGroup(group.clone()))?;
    if epoch > view.epoch {
        return Err(Error::Inconsistent(format!(
            "group {group} has no epoch {epoch} yet"
        )));
    }
    let initial = if view.created_height == 0 {
        let listed = session
            .genesis
            .groups
            .iter()
            .find(|g| &g.id == group)
            .ok_or_else(|| Error::Inconsistent(format!("group {group} is not in genesis")))?;
        decode_hex(&listed.public_key, "genesis group key")?
    } else {
        let block = session.node.block(view.created_height).await?;
        let mut found = None;
        for entry in block
            .transactions
            .iter()
            .filter(|t| t.kind == Kind::CreateGroup)
        {
            if let Transaction::CreateGroup(create) =
                session.node.final_transaction(&entry.id).await?
                && &create.group == group
            {
                found = Some(create.public_key);
                break;
            }
        }
        found.ok_or_else(|| {
            Error::Inconsistent(format!(
                "block {} does not create group {group}",
                view.created_height
            ))
        })?
    };
    let mut key = GroupPublicKey::from_bytes(&initial)
        .map_err(|e| Error::Inconsistent(format!("group key: {e}")))?;
    while key.epoch() < epoch {
        let revocation = session.node.revocation(group, key.epoch() + 1).await?;
        let revocation = Revocation::from_bytes(&decode_hex(&revocation.revocation, "revocation")?)
            .map_err(|e| Error::Inconsistent(format!("revocation: {e}")))?;
        key = key
            .apply(&revocation)
            .map_err(|e| Error::Inconsistent(format!("revocation: {e}")))?;
    }
    Ok(key)
}

/// Brings `member` to the group's current epoch from the public revocations (BBS04 §7).
async fn catch_up(
    session: &Session,
    group: &GroupId,
    member: MemberKey,
) -> Result<(MemberKey, GroupPublicKey)> {
    let (key, epoch) = current_group_key(session, group).await?;
    let mut member = member;
    while member.epoch() < epoch {
        let view = session.node.revocation(group, member.epoch() + 1).await?;
        let revocation = Revocation::from_bytes(&decode_hex(&view.revocation, "revocation")?)
            .map_err(|e| Error::Inconsistent(format!("revocation: {e}")))?;
        member = member.update(&revocation).map_err(|_| Error::Revoked {
            group: group.clone(),
            epoch,
        })?;
    }
    member
        .check(&key)
        .map_err(|_| Error::Invalid(format!("this member key does not belong to group {group}")))?;
    Ok((member, key))
}

/// The keystore's member key of `group`, updated to the current epoch (and saved if it moved).
pub async fn member_key(
    session: &Session,
    keystore: &mut Keystore,
    group: &GroupId,
) -> Result<(MemberKey, GroupPublicKey)> {
    let membership = keystore
        .membership(group.as_str())
        .cloned()
        .ok_or_else(|| Error::NotMember(group.clone()))?;
    let stored = MemberKey::from_bytes(&membership.key).map_err(|e| corrupt("member key", e))?;
    let stored_epoch = stored.epoch();
    let (member, key) = catch_up(session, group, stored).await?;
    if member.epoch() != stored_epoch {
        let mut updated = membership.clone();
        updated.key = member.to_bytes().to_vec();
        keystore.set_membership(updated);
        keystore.save()?;
    }
    Ok((member, key))
}

/// Creates group `group` with the authority's ed25519 key `signer` (listed in genesis): a fresh
/// BBS04 group whose issuing and opening keys stay in the keystore.
pub async fn create(
    session: &Session,
    keystore: &mut Keystore,
    group: &GroupId,
    signer: &ed25519::PrivateKey,
) -> Result<Included> {
    if session.node.group(group).await?.is_some() {
        return Err(Error::Invalid(format!(
            "group {group} already exists on this chain; choose another name"
        )));
    }
    let (key, issuing, opening) = generate_group(&mut OsRng);
    let registry = MemberRegistry::new(&key);
    let tx = Transaction::from(ops::group::create_group(
        session.chain_id(),
        group.clone(),
        &key,
        signer,
    ));
    session.node.check(&tx).await?;
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&signer.encode());
    keystore.set_authority(Authority {
        group: group.to_string(),
        signer: seed,
        issuing: issuing.to_bytes().to_vec(),
        opening: opening.to_bytes().to_vec(),
        registry: registry.to_bytes().to_vec(),
        group_keys: vec![key.to_bytes()],
    });
    keystore.save()?;
    match session.node.submit_and_wait(&tx, FINALITY_TIMEOUT).await {
        Err(error) if error.is_refusal() => {
            keystore.remove_authority(group.as_str());
            keystore.save()?;
            Err(error)
        }
        other => other,
    }
}

struct AuthorityKeys {
    entry: Authority,
    registry: MemberRegistry,
    issuing: IssuingKey,
    /// The group key of the registry's epoch, checked against the chain.
    key: GroupPublicKey,
}

async fn authority_keys(
    session: &Session,
    keystore: &Keystore,
    group: &GroupId,
) -> Result<AuthorityKeys> {
    let entry = keystore
        .authority(group.as_str())
        .cloned()
        .ok_or_else(|| Error::NotAuthority(group.clone()))?;
    let registry =
        MemberRegistry::from_bytes(&entry.registry).map_err(|e| corrupt("member registry", e))?;
    let issuing = IssuingKey::from_bytes(&entry.issuing).map_err(|e| corrupt("issuing key", e))?;
    let latest = entry
        .group_keys
        .last()
        .ok_or_else(|| corrupt("group keys", "none"))?;
    let key = GroupPublicKey::from_bytes(latest).map_err(|e| corrupt("group key", e))?;
    let (on_chain, _) = current_group_key(session, group).await?;
    if on_chain != key {
        return Err(Error::Inconsistent(format!(
            "group {group} on chain is at another key than this keystore's (epoch {}); is this the authority's keystore?",
            key.epoch()
        )));
    }
    Ok(AuthorityKeys {
        entry,
        registry,
        issuing,
        key,
    })
}

/// What `enroll` did.
#[derive(Debug, Serialize)]
pub struct Enrolled {
    pub group: GroupId,
    pub name: String,
    pub index: MemberIndex,
    pub epoch: u64,
}

/// Enrolls `name` in `group` (operation 1) and writes its member key, sealed to the member's
/// profile, to `out`.
pub async fn enroll(
    session: &Session,
    keystore: &mut Keystore,
    group: &GroupId,
    name: &str,
    to: &Profile,
    out: &Path,
) -> Result<Enrolled> {
    if out.exists() {
        return Err(Error::OutputExists(out.to_owned()));
    }
    let AuthorityKeys {
        mut entry,
        mut registry,
        issuing,
        key,
    } = authority_keys(session, keystore, group).await?;
    let member = registry
        .enroll(&issuing, &key, name, &mut OsRng)
        .map_err(|e| Error::Invalid(format!("cannot enroll {name}: {e}")))?;
    let sealed = SealedMemberKey::seal(
        session.chain_id(),
        group,
        name,
        &member.to_bytes(),
        &to.encryption,
    )?;
    // The registry is saved before the key leaves, so every issued key can be opened.
    entry.registry = registry.to_bytes().to_vec();
    keystore.set_authority(entry);
    keystore.save()?;
    let text = serde_json::to_string_pretty(&sealed).expect("member key file serializes");
    medshare_crypto::durable::write_private(out, text.as_bytes())?;
    Ok(Enrolled {
        group: group.clone(),
        name: name.into(),
        index: member.index(),
        epoch: member.epoch(),
    })
}

/// Imports a member key file written by `enroll` into the keystore.
pub async fn join(session: &Session, keystore: &mut Keystore, file: &Path) -> Result<Enrolled> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Error::Invalid(format!("cannot read {}: {e}", file.display())))?;
    let sealed: SealedMemberKey = serde_json::from_str(&text)
        .map_err(|e| Error::Invalid(format!("{} is not a member key file: {e}", file.display())))?;
    if sealed.chain_id != session.chain_id() {
        return Err(Error::Invalid(format!(
            "this member key is for chain {}, the node runs {}",
            sealed.chain_id,
            session.chain_id()
        )));
    }
    let bytes = sealed.open(&keystore.hpke_secret())?;
    let member =
        MemberKey::from_bytes(&bytes).map_err(|e| Error::Invalid(format!("member key: {e}")))?;
    let (member, _) = catch_up(session, &sealed.group, member).await?;
    keystore.set_membership(Membership {
        group: sealed.group.to_string(),
        name: sealed.name.clone(),
        key: member.to_bytes().to_vec(),
    });
    keystore.save()?;
    Ok(Enrolled {
        group: sealed.group,
        name: sealed.name,
        index: member.index(),
        epoch: member.epoch(),
    })
}

/// What `revoke` did.
#[derive(Debug, Serialize)]
pub struct Revoked {
    pub group: GroupId,
    pub name: String,
    pub index: MemberIndex,
    /// The group's epoch after the revocation.
    pub epoch: u64,
    pub height: u64,
}

/// Revokes member `name` of `group`: the group advances one epoch; everyone else updates from
/// the public revocation, the revoked member cannot.
pub async fn revoke(
    session: &Session,
    keystore: &mut Keystore,
    group: &GroupId,
    name: &str,
) -> Result<Revoked> {
    let AuthorityKeys {
        entry,
        mut registry,
        issuing,
        key,
    } = authority_keys(session, keystore, group).await?;
    let index = (0..registry.len() as u64)
        .find(|&i| registry.identity(i) == Some(name) && registry.is_revoked(i) == Some(false))
        .ok_or_else(|| {
            Error::Invalid(format!("group {group} has no current member named {name}"))
        })?;
    let (revocation, next) = registry
        .revoke(&issuing, &key, index)
        .map_err(|e| Error::Invalid(format!("cannot revoke {name}: {e}")))?;
    let signer = ed25519::PrivateKey::decode(entry.signer.as_slice())
        .map_err(|e| corrupt("authority key", e))?;
    let tx = Transaction::from(ops::group::advance_group_epoch(
        session.chain_id(),
        group.clone(),
        &revocation,
        &signer,
    ));
    session.node.check(&tx).await?;
    let mut updated = entry.clone();
    updated.registry = registry.to_bytes().to_vec();
    updated.group_keys.push(next.to_bytes());
    keystore.set_authority(updated);
    keystore.save()?;
    match session.node.submit_and_wait(&tx, FINALITY_TIMEOUT).await {
        Ok(included) => Ok(Revoked {
            group: group.clone(),
            name: name.into(),
            index,
            epoch: next.epoch(),
            height: included.height,
        }),
        Err(error) => {
            if error.is_refusal() {
                keystore.set_authority(entry);
                keystore.save()?;
            }
            Err(error)
        }
    }
}

/// The group signature of a registration or authorization, with the message it signs.
pub fn group_signature(
    session: &Session,
    tx: &Transaction,
) -> Result<(GroupId, Signature, Vec<u8>)> {
    let Some((group, bytes)) = tx.group_signature() else {
        return Err(Error::Invalid(format!(
            "a {} transaction carries no group signature; give a registration or an authorization",
            tx.kind()
        )));
    };
    let signature = Signature::from_bytes(bytes)
        .map_err(|e| Error::Inconsistent(format!("group signature: {e}")))?;
    Ok((
        group.clone(),
        signature,
        tx.signed_message(session.chain_id()),
    ))
}

/// Which group signed transaction `id` (seed 000's `t'`): verified from public data alone.
pub async fn trace_transaction(session: &Session, id: &str) -> Result<GroupId> {
    let tx = session.node.final_transaction(id).await?;
    let (group, signature, message) = group_signature(session, &tx)?;
    let key = group_key_at(session, &group, signature.epoch()).await?;
    trace_group(&[(group.clone(), &key)], &message, &signature).ok_or_else(|| {
        Error::Inconsistent(format!(
            "the group signature of {id} does not verify under group {group}"
        ))
    })
}

/// Who signed transaction `id` (seed 000's `t`): the authority opens the group signature.
#[derive(Debug, Serialize)]
pub struct Opened {
    pub group: GroupId,
    pub index: MemberIndex,
    pub member: String,
    pub epoch: u64,
}

pub async fn open(session: &Session, keystore: &Keystore, id: &str) -> Result<Opened> {
    let tx = session.node.final_transaction(id).await?;
    let (group, signature, message) = group_signature(session, &tx)?;
    let entry = keystore
        .authority(group.as_str())
        .ok_or_else(|| Error::NotAuthority(group.clone()))?;
    let registry =
        MemberRegistry::from_bytes(&entry.registry).map_err(|e| corrupt("member registry", e))?;
    let opening = OpeningKey::from_bytes(&entry.opening).map_err(|e| corrupt("opening key", e))?;
    let epoch = signature.epoch();
    let key = entry
        .group_keys
        .iter()
        .filter_map(|bytes| GroupPublicKey::from_bytes(bytes).ok())
        .find(|key| key.epoch() == epoch)
        .ok_or_else(|| {
            Error::Inconsistent(format!("this keystore has no group key of epoch {epoch}"))
        })?;
    let index = opening
        .open(&key, &registry, &message, &signature)
        .map_err(|e| Error::Inconsistent(format!("cannot open the signature: {e}")))?;
    Ok(Opened {
        group,
        index,
        member: registry.identity(index).unwrap_or("?").to_string(),
        epoch,
    })
}
