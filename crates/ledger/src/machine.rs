//! The deterministic state machine: the "smart contracts" of seed 000 §IV.
//!
//! A transaction goes through two stages:
//!
//! 1. [`Machine::check`] — signatures and zero-knowledge proofs. Expensive and independent of
//!    everything but the group's current key, so the node runs it once per transaction on its
//!    verification workers (in batches) and caches the [`Checked`] result by transaction id.
//! 2. [`Machine::apply`] — the state rules (α uniqueness, recent roots, epochs, replays) and the
//!    effects. Cheap, sequential, run by every validator for every block.
//!
//! Nothing here does I/O: the same code runs in a unit test and on a 7-validator network.

use crate::{
    genesis::Genesis,
    rewards,
    state::{
        self, AccountId, AuditEvent, AuditLog, AuthorizationRecord, ExtractionRecord, FspRecord,
        GroupRecord, Head, MdaRecord, TxRecord,
    },
    store::{ChangeSet, Kv, Overlay},
    tree::{self, TreeId},
    tx::{Kind, Transaction},
    types::{Field, GroupId, Hash},
};
use commonware_codec::DecodeExt;
use commonware_cryptography::{Verifier as _, ed25519};
use medshare_crypto::groupsig::{self, GroupPublicKey, Revocation, Signature as GroupSignature};
use medshare_zk::{
    AuthorizationStatement, ExtractionStatement, PreparedVerifyingKey, Proof,
    RegistrationStatement, Statement, WithdrawalStatement, batch_verify,
};
use sha2::{Digest as _, Sha256};
use std::{
    collections::{BTreeSet, HashMap},
    sync::{Arc, Mutex},
};

/// Namespace of group authorities' ed25519 signatures.
pub const AUTHORITY_NAMESPACE: &[u8] = b"medshare/authority";
/// Namespace of baseline notes' ed25519 signatures.
pub const NOTE_NAMESPACE: &[u8] = b"medshare/note";

/// Why a transaction was refused. The text is what the submitter sees; it never contains a
/// secret (transactions carry none).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    #[error("malformed {what}: {reason}")]
    Malformed { what: &'static str, reason: String },
    #[error("unknown group {0}")]
    UnknownGroup(GroupId),
    #[error("group {0} already exists")]
    GroupExists(GroupId),
    #[error("the signer is not a group authority listed in genesis")]
    NotAnAuthority,
    #[error("the authority signature does not verify")]
    BadAuthoritySignature,
    #[error("the revocation does not apply to group {group}: {reason}")]
    BadRevocation { group: GroupId, reason: String },
    #[error(
        "the group signature does not verify under group {group}'s current key (epoch {epoch}): the member may be revoked or hold a key of an older epoch"
    )]
    BadGroupSignature { group: GroupId, epoch: u64 },
    #[error("group {0}'s key changed after this transaction was checked")]
    GroupKeyChanged(GroupId),
    #[error("the {0} proof does not verify")]
    InvalidProof(Kind),
    #[error("MDA {0} is already registered")]
    DuplicateAlpha(Field),
    #[error("MDA {0} is not registered")]
    UnknownAlpha(Field),
    #[error("MDA {alpha} is owned by another pseudonym or group")]
    NotOwner { alpha: Field },
    #[error("the root is not one of the recent roots of the {0} tree")]
    StaleRoot(&'static str),
    #[error("no authorization of MDA {alpha} to this data user has that commitment")]
    UnknownAuthorization { alpha: Field },
    #[error("this authorization commitment is already recorded")]
    DuplicateAuthorization,
    #[error("this ephemeral key was already used by an extraction")]
    ReusedEphemeralKey,
    #[error("transaction already included at height {0}")]
    Replayed(u64),
    #[error("note nonce {got} is not above the author's last nonce {last}")]
    StaleNonce { got: u64, last: u64 },
    #[error("the note signature does not verify")]
    BadNoteSignature,
    #[error("the {0} commitment tree is full")]
    TreeFull(&'static str),
    #[error("the blocks {from}..={to} {reason}")]
    BadEpoch {
        from: u64,
        to: u64,
        reason: &'static str,
    },
    #[error(
        "this FSP already paid out through height {paid_through}; an epoch must start after it"
    )]
    EpochAlreadyPaid { paid_through: u64 },
    #[error("incentive parameters: {0}")]
    BadIncentiveParameters(String),
    #[error("withdrawal nonce {got} is not the account's next nonce {expected}")]
    WrongNonce { expected: u64, got: u64 },
    #[error("the account holds {balance} tokens, fewer than the {amount} asked for")]
    InsufficientBalance { balance: u128, amount: u128 },
    #[error("a withdrawal must move at least one token")]
    EmptyWithdrawal,
    #[error("the credit would overflow the account's balance")]
    BalanceOverflow,
}

/// The result of [`Machine::check`]: the transaction's signatures and proof verified, and
/// against which group key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub id: Hash,
    /// SHA-256 of the group public key the group signature was verified against.
    pub group_key: Option<Hash>,
}

/// What applying a transaction did, for the submitter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub id: Hash,
    pub kind: Kind,
    /// Leaf position for registrations and authorizations.
    pub position: Option<u64>,
}

/// The block a transaction executes in.
#[derive(Clone, Copy, Debug)]
pub struct BlockEnv {
    pub height: u64,
    pub timestamp_ms: u64,
    /// The ed25519 key of the block's proposer: recorded per height, it weighs the validators'
    /// share of revenue (seed 003 (7.16)).
    pub proposer: [u8; 32],
}

/// A group signature to verify, with what it must verify against.
struct GroupClaim {
    hash: Hash,
    key: Arc<GroupPublicKey>,
    message: Vec<u8>,
    signature: GroupSignature,
    group: GroupId,
    epoch: u64,
}

/// What [`Machine::check_signatures`] leaves to the batched checks.
struct Pending {
    checked: Checked,
    group: Option<GroupClaim>,
    proof: Option<(Claim, Proof)>,
}

/// Verifies every group signature of a batch at once (one final exponentiation for all groups);
/// if the batch fails, finds the bad ones and marks their transactions.
fn settle_group_signatures(
    claims: &[(usize, GroupClaim)],
    results: &mut [Result<Checked, TxError>],
    rng: &mut (impl rand::RngCore + rand::CryptoRng),
) {
    if claims.is_empty() {
        return;
    }
    let items: Vec<_> = claims
        .iter()
        .map(|(_, c)| (c.key.as_ref(), c.message.as_slice(), &c.signature))
        .collect();
    if groupsig::verify_batch(&items, rng).is_ok() {
        return;
    }
    for bad in groupsig::find_invalid(&items, rng) {
        let (index, claim) = &claims[bad];
        results[*index] = Err(TxError::BadGroupSignature {
            group: claim.group.clone(),
            epoch: claim.epoch,
        });
    }
}

/// Verifies the proofs of one circuit in one batch; if the batch fails, one by one, marking
/// each bad proof's transaction.
fn settle<S: Statement + Clone>(
    key: &PreparedVerifyingKey,
    claims: Vec<(usize, S, Proof)>,
    kind: Kind,
    results: &mut [Result<Checked, TxError>],
    rng: &mut (impl rand::RngCore + rand::CryptoRng),
) {
    if claims.is_empty() {
        return;
    }
    let batch: Vec<(S, Proof)> = claims
        .iter()
        .map(|(_, s, p)| (s.clone(), p.clone()))
        .collect();
    if batch_verify(key, &batch, rng).is_ok() {
        return;
    }
    for (index, statement, proof) in &claims {
        if key.verify(statement, proof).is_err() {
            results[*index] = Err(TxError::InvalidProof(kind));
        }
    }
}

/// The verifying keys of the circuits, prepared once.
pub struct VerifyingKeys {
    pub registration: PreparedVerifyingKey,
    pub authorization: PreparedVerifyingKey,
    pub extraction: PreparedVerifyingKey,
    pub withdrawal: PreparedVerifyingKey,
}

pub struct Machine {
    chain_id: String,
    authorities: BTreeSet<[u8; 32]>,
    /// The genesis validators' ed25519 keys, in genesis order: seed 003's miners.
    validators: Vec<[u8; 32]>,
    keys: VerifyingKeys,
    /// Decompressing a group key costs more than a signature check; keys are immutable per
    /// (bytes), so parse each once.
    group_keys: Mutex<HashMap<Hash, Arc<GroupPublicKey>>>,
}

fn key_hash(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

/// A proof to verify, with the statement the transaction claims.
enum Claim {
    Registration(RegistrationStatement),
    Authorization(AuthorizationStatement),
    Extraction(ExtractionStatement),
    Withdrawal(WithdrawalStatement),
}

impl Machine {
    pub fn new(genesis: &Genesis, keys: VerifyingKeys) -> Self {
        Self {
            chain_id: genesis.chain_id.clone(),
            authorities: genesis.authority_keys().collect(),
            validators: genesis.validator_keys().collect(),
            keys,
            group_keys: Mutex::default(),
        }
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// Decodes a group public key (cached by its bytes).
    pub fn parse_group_key(&self, bytes: &[u8]) -> Result<Arc<GroupPublicKey>, String> {
        self.group_key(bytes).map(|(_, key)| key)
    }

    fn group_key(&self, bytes: &[u8]) -> Result<(Hash, Arc<GroupPublicKey>), String> {
        let hash = key_hash(bytes);
        if let Some(key) = self.group_keys.lock().expect("cache lock").get(&hash) {
            return Ok((hash, key.clone()));
        }
        let key = Arc::new(GroupPublicKey::from_bytes(bytes).map_err(|e| e.to_string())?);
        self.group_keys
            .lock()
            .expect("cache lock")
            .insert(hash, key.clone());
        Ok((hash, key))
    }

    /// A genesis authority's signature over the transaction (group creation, payouts, revenue).
    fn check_authority(
        &self,
        tx: &Transaction,
        authority: &ed25519::PublicKey,
        signature: &ed25519::Signature,
    ) -> Result<(), TxError> {
        if !self.authorities.contains(authority.as_ref()) {
            return Err(TxError::NotAnAuthority);
        }
        if !authority.verify(
            AUTHORITY_NAMESPACE,
            &tx.signed_message(&self.chain_id),
            signature,
        ) {
            return Err(TxError::BadAuthoritySignature);
        }
        Ok(())
    }

    fn group(state: &dyn Kv, group: &GroupId) -> Result<GroupRecord, TxError> {
        state::read(state, &state::group_key(group))
            .ok_or_else(|| TxError::UnknownGroup(group.clone()))
    }

    /// Decodes a member's group signature and finds the group's current key; the signature
    /// itself is verified in a batch by [`Machine::check_all`].
    fn group_claim(
        &self,
        state: &dyn Kv,
        tx: &Transaction,
        group: &GroupId,
        signature: &[u8],
    ) -> Result<GroupClaim, TxError> {
        let record = Self::group(state, group)?;
        let (hash, key) =
            self.group_key(&record.public_key)
                .map_err(|reason| TxError::Malformed {
                    what: "group public key in state",
                    reason,
                })?;
        let signature = GroupSignature::from_bytes(signature).map_err(|e| TxError::Malformed {
            what: "group signature",
            reason: e.to_string(),
        })?;
        Ok(GroupClaim {
            hash,
            key,
            message: tx.signed_message(&self.chain_id),
            signature,
            group: group.clone(),
            epoch: record.epoch,
        })
    }

    /// Everything of `check` that is not batched; returns the group signature and the proof
    /// still to verify.
    fn check_signatures(&self, state: &dyn Kv, tx: &Transaction) -> Result<Pending, TxError> {
        let id = tx.id();
        let message = || tx.signed_message(&self.chain_id);
        let proof = |bytes: &[u8]| {
            Proof::from_bytes(bytes).map_err(|e| TxError::Malformed {
                what: "proof",
                reason: e.to_string(),
            })
        };
        let binding = || {
            tx.binding(&self.chain_id)
                .expect("proof-carrying transaction")
                .0
        };
        let checked = |group_key| Checked { id, group_key };
        let pending = |group_key, group: Option<GroupClaim>, proof| Pending {
            checked: checked(group_key),
            group,
            proof,
        };
        Ok(match tx {
            Transaction::CreateGroup(body) => {
                self.check_authority(tx, &body.authority, &body.signature)?;
                self.group_key(&body.public_key)
                    .map_err(|reason| TxError::Malformed {
                        what: "group public key",
                        reason,
                    })?;
                pending(None, None, None)
            }
            Transaction::AdvanceGroupEpoch(body) => {
                let record = Self::group(state, &body.group)?;
                let authority = ed25519::PublicKey::decode(record.authority.as_slice())
                    .map_err(|_| TxError::NotAnAuthority)?;
                if !authority.verify(AUTHORITY_NAMESPACE, &message(), &body.signature) {
                    return Err(TxError::BadAuthoritySignature);
                }
                Revocation::from_bytes(&body.revocation).map_err(|e| TxError::Malformed {
                    what: "revocation",
                    reason: e.to_string(),
                })?;
                pending(None, None, None)
            }
            Transaction::Register(body) => {
                let claim = self.group_claim(state, tx, &body.group, &body.group_signature)?;
                let statement = RegistrationStatement {
                    pk_a: body.pk_a.0,
                    re: body.re.0,
                    alpha: body.alpha.0,
                    binding: binding(),
                };
                pending(
                    Some(claim.hash),
                    Some(claim),
                    Some((Claim::Registration(statement), proof(&body.proof)?)),
                )
            }
            Transaction::Authorize(body) => {
                let claim = self.group_claim(state, tx, &body.group, &body.group_signature)?;
                let statement = AuthorizationStatement {
                    pk_a: body.pk_a.0,
                    pk_h: body.pk_h.0,
                    root: body.root.0,
                    alpha: body.alpha.0,
                    re_auth: body.re_auth.0,
                    binding: binding(),
                };
                pending(
                    Some(claim.hash),
                    Some(claim),
                    Some((Claim::Authorization(statement), proof(&body.proof)?)),
                )
            }
            Transaction::Extract(body) => {
                let statement = ExtractionStatement {
                    re_auth: body.re_auth.0,
                    pk_a: body.pk_a.0,
                    pk_h: body.pk_h.0,
                    root_auth: body.root_auth.0,
                    alpha: body.alpha.0,
                    binding: binding(),
                };
                pending(
                    None,
                    None,
                    Some((Claim::Extraction(statement), proof(&body.proof)?)),
                )
            }
            Transaction::Note(body) => {
                if !body
                    .author
                    .verify(NOTE_NAMESPACE, &message(), &body.signature)
                {
                    return Err(TxError::BadNoteSignature);
                }
                pending(None, None, None)
            }
            Transaction::Payout(body) => {
                self.check_authority(tx, &body.authority, &body.signature)?;
                pending(None, None, None)
            }
            Transaction::Revenue(body) => {
                self.check_authority(tx, &body.authority, &body.signature)?;
                pending(None, None, None)
            }
            Transaction::Withdraw(body) => {
                let statement = WithdrawalStatement {
                    pk: body.pk.0,
                    binding: binding(),
                };
                pending(
                    None,
                    None,
                    Some((Claim::Withdrawal(statement), proof(&body.proof)?)),
                )
            }
        })
    }

    /// Verifies one transaction's signatures and proof.
    pub fn check(&self, state: &dyn Kv, tx: &Transaction) -> Result<Checked, TxError> {
        self.check_all(state, std::slice::from_ref(tx)).remove(0)
    }

    /// Verifies many transactions, batching the proofs of each circuit into one pairing check
    /// (a random linear combination). A failed batch falls back to one check per proof, so one
    /// bad proof costs its submitter, not the others.
    pub fn check_all(&self, state: &dyn Kv, txs: &[Transaction]) -> Vec<Result<Checked, TxError>> {
        let mut results = Vec::with_capacity(txs.len());
        let mut group_claims = Vec::new();
        let mut registrations = Vec::new();
        let mut authorizations = Vec::new();
        let mut extractions = Vec::new();
        let mut withdrawals = Vec::new();
        for (index, tx) in txs.iter().enumerate() {
            match self.check_signatures(state, tx) {
                Ok(pending) => {
                    if let Some(claim) = pending.group {
                        group_claims.push((index, claim));
                    }
                    match pending.proof {
                        Some((Claim::Registration(s), p)) => registrations.push((index, s, p)),
                        Some((Claim::Authorization(s), p)) => authorizations.push((index, s, p)),
                        Some((Claim::Extraction(s), p)) => extractions.push((index, s, p)),
                        Some((Claim::Withdrawal(s), p)) => withdrawals.push((index, s, p)),
                        None => {}
                    }
                    results.push(Ok(pending.checked));
                }
                Err(error) => results.push(Err(error)),
            }
        }
        let mut rng = rand::thread_rng();
        settle_group_signatures(&group_claims, &mut results, &mut rng);
        settle(
            &self.keys.registration,
            registrations,
            Kind::Register,
            &mut results,
            &mut rng,
        );
        settle(
            &self.keys.authorization,
            authorizations,
            Kind::Authorize,
            &mut results,
            &mut rng,
        );
        settle(
            &self.keys.extraction,
            extractions,
            Kind::Extract,
            &mut results,
            &mut rng,
        );
        settle(
            &self.keys.withdrawal,
            withdrawals,
            Kind::Withdraw,
            &mut results,
            &mut rng,
        );
        results
    }

    /// Applies one checked transaction: the state rules of DESIGN.md and their effects. On error
    /// nothing is written (the caller drops the nested overlay).
    pub fn apply(
        &self,
        state: &mut Overlay,
        env: BlockEnv,
        index: u32,
        tx: &Transaction,
        checked: &Checked,
    ) -> Result<Receipt, TxError> {
        let id = checked.id;
        debug_assert_eq!(id, tx.id(), "checked result belongs to another transaction");
        if let Some(seen) = state::read::<TxRecord>(state, &state::tx_key(&id)) {
            return Err(TxError::Replayed(seen.height));
        }
        let ensure_key = |state: &dyn Kv, group: &GroupId| -> Result<GroupRecord, TxError> {
            let record = Self::group(state, group)?;
            if checked.group_key != Some(key_hash(&record.public_key)) {
                return Err(TxError::GroupKeyChanged(group.clone()));
            }
            Ok(record)
        };
        let event = |kind, alpha: Field, pk_a: Field| AuditEvent {
            height: env.height,
            timestamp_ms: env.timestamp_ms,
            kind,
            alpha,
            pk_a,
            pk_h: None,
            group: None,
            tx: id,
            position: None,
        };
        let mut position = None;
        match tx {
            Transaction::CreateGroup(body) => {
                let key = state::group_key(&body.group);
                if state.get(&key).is_some() {
                    return Err(TxError::GroupExists(body.group.clone()));
                }
                let (_, public_key) =
                    self.group_key(&body.public_key)
                        .map_err(|reason| TxError::Malformed {
                            what: "group public key",
                            reason,
                        })?;
                let record = GroupRecord {
                    id: body.group.clone(),
                    authority: body
                        .authority
                        .as_ref()
                        .try_into()
                        .expect("ed25519 keys are 32 bytes"),
                    public_key: body.public_key.clone(),
                    epoch: public_key.epoch(),
                    created_height: env.height,
                };
                state::write(state, key, &record);
            }
            Transaction::AdvanceGroupEpoch(body) => {
                let mut record = Self::group(state, &body.group)?;
                let (_, current) =
                    self.group_key(&record.public_key)
                        .map_err(|reason| TxError::Malformed {
                            what: "group public key in state",
                            reason,
                        })?;
                let bad = |reason: String| TxError::BadRevocation {
                    group: body.group.clone(),
                    reason,
                };
                let revocation =
                    Revocation::from_bytes(&body.revocation).map_err(|e| bad(e.to_string()))?;
                let next = current.apply(&revocation).map_err(|e| bad(e.to_string()))?;
                record.public_key = next.to_bytes();
                record.epoch = next.epoch();
                state.put(
                    state::revocation_key(&body.group, record.epoch),
                    body.revocation.clone(),
                );
                state::write(state, state::group_key(&body.group), &record);
            }
            Transaction::Register(body) => {
                ensure_key(state, &body.group)?;
                let key = state::mda_key(&body.alpha);
                if state.get(&key).is_some() {
                    return Err(TxError::DuplicateAlpha(body.alpha));
                }
                let leaf = tree::append(state, TreeId::Registration, body.re)
                    .ok_or(TxError::TreeFull(TreeId::Registration.name()))?;
                position = Some(leaf);
                let record = MdaRecord {
                    alpha: body.alpha,
                    pk_a: body.pk_a,
                    re: body.re,
                    position: leaf,
                    manifest: body.manifest.clone(),
                    group: body.group.clone(),
                    height: env.height,
                    tx: id,
                    authorizations: 0,
                    extractions: 0,
                };
                state::write(state, key, &record);
                let event = AuditEvent {
                    group: Some(body.group.clone()),
                    position,
                    ..event(Kind::Register, body.alpha, body.pk_a)
                };
                AuditLog::Alpha(&body.alpha).push(state, &event);
                AuditLog::Pseudonym(&body.pk_a).push(state, &event);
            }
            Transaction::Authorize(body) => {
                ensure_key(state, &body.group)?;
                let mut mda: MdaRecord = state::read(state, &state::mda_key(&body.alpha))
                    .ok_or(TxError::UnknownAlpha(body.alpha))?;
                if mda.pk_a != body.pk_a || mda.group != body.group {
                    return Err(TxError::NotOwner { alpha: body.alpha });
                }
                if !tree::is_recent_root(state, TreeId::Registration, &body.root) {
                    return Err(TxError::StaleRoot(TreeId::Registration.name()));
                }
                let key = state::authorization_key(&body.re_auth);
                if state.get(&key).is_some() {
                    return Err(TxError::DuplicateAuthorization);
                }
                let leaf = tree::append(state, TreeId::Authorization, body.re_auth)
                    .ok_or(TxError::TreeFull(TreeId::Authorization.name()))?;
                position = Some(leaf);
                let record = AuthorizationRecord {
                    alpha: body.alpha,
                    pk_a: body.pk_a,
                    pk_h: body.pk_h,
                    re_auth: body.re_auth,
                    position: leaf,
                    envelope: body.envelope.clone(),
                    group: body.group.clone(),
                    height: env.height,
                    tx: id,
                };
                state::write(state, key, &record);
                mda.authorizations += 1;
                state::write(state, state::mda_key(&body.alpha), &mda);
                let event = AuditEvent {
                    pk_h: Some(body.pk_h),
                    group: Some(body.group.clone()),
                    position,
                    ..event(Kind::Authorize, body.alpha, body.pk_a)
                };
                AuditLog::Alpha(&body.alpha).push(state, &event);
                AuditLog::Pseudonym(&body.pk_a).push(state, &event);
                AuditLog::Pseudonym(&body.pk_h).push(state, &event);
            }
            Transaction::Extract(body) => {
                let mut mda: MdaRecord = state::read(state, &state::mda_key(&body.alpha))
                    .ok_or(TxError::UnknownAlpha(body.alpha))?;
                if mda.pk_a != body.pk_a {
                    return Err(TxError::NotOwner { alpha: body.alpha });
                }
                if !tree::is_recent_root(state, TreeId::Authorization, &body.root_auth) {
                    return Err(TxError::StaleRoot(TreeId::Authorization.name()));
                }
                let authorization: AuthorizationRecord =
                    state::read(state, &state::authorization_key(&body.re_auth))
                        .filter(|a: &AuthorizationRecord| {
                            a.alpha == body.alpha && a.pk_h == body.pk_h
                        })
                        .ok_or(TxError::UnknownAuthorization { alpha: body.alpha })?;
                let key = state::extraction_key(&body.epk);
                if state.get(&key).is_some() {
                    return Err(TxError::ReusedEphemeralKey);
                }
                let record = ExtractionRecord {
                    alpha: body.alpha,
                    pk_a: body.pk_a,
                    pk_h: body.pk_h,
                    re_auth: body.re_auth,
                    epk: body.epk,
                    height: env.height,
                    tx: id,
                };
                state::write(state, key, &record);
                mda.extractions += 1;
                state::write(state, state::mda_key(&body.alpha), &mda);
                let event = AuditEvent {
                    pk_h: Some(body.pk_h),
                    group: Some(authorization.group),
                    ..event(Kind::Extract, body.alpha, body.pk_a)
                };
                AuditLog::Alpha(&body.alpha).push(state, &event);
                AuditLog::Pseudonym(&body.pk_a).push(state, &event);
                AuditLog::Pseudonym(&body.pk_h).push(state, &event);
            }
            Transaction::Note(body) => {
                let key = state::nonce_key(body.author.as_ref());
                let last = state::read::<u64>(state, &key);
                if let Some(last) = last.filter(|last| body.nonce <= *last) {
                    return Err(TxError::StaleNonce {
                        got: body.nonce,
                        last,
                    });
                }
                state::write(state, key, &body.nonce);
            }
            Transaction::Payout(body) => {
                let key = state::fsp_key(body.authority.as_ref());
                let mut fsp: FspRecord = state::read(state, &key).unwrap_or_default();
                if body.terms.from_height <= fsp.paid_through {
                    return Err(TxError::EpochAlreadyPaid {
                        paid_through: fsp.paid_through,
                    });
                }
                let amounts = rewards::payout_amounts(state, env.height, &body.terms)?;
                for (mdap, amount) in body.terms.mdaps.iter().zip(&amounts) {
                    rewards::credit(state, &AccountId::Pseudonym(mdap.pk), *amount)?;
                }
                fsp.paid_through = body.terms.to_height;
                fsp.paid_out = fsp.paid_out.saturating_add(amounts.iter().sum());
                state::write(state, key, &fsp);
            }
            Transaction::Revenue(body) => {
                let split =
                    rewards::revenue_split(state, env.height, &self.validators, &body.terms)?;
                for (account, amount) in &split {
                    rewards::credit(state, account, *amount)?;
                }
                let key = state::fsp_key(body.authority.as_ref());
                let mut fsp: FspRecord = state::read(state, &key).unwrap_or_default();
                fsp.revenue = fsp.revenue.saturating_add(body.terms.fee);
                state::write(state, key, &fsp);
            }
            Transaction::Withdraw(body) => {
                let id = AccountId::Pseudonym(body.pk);
                let mut account = state::account(state, &id);
                if body.nonce != account.nonce {
                    return Err(TxError::WrongNonce {
                        expected: account.nonce,
                        got: body.nonce,
                    });
                }
                if body.amount == 0 {
                    return Err(TxError::EmptyWithdrawal);
                }
                if body.amount > account.balance {
                    return Err(TxError::InsufficientBalance {
                        balance: account.balance,
                        amount: body.amount,
                    });
                }
                account.balance -= body.amount;
                account.nonce += 1;
                state::write(state, state::account_key(&id), &account);
            }
        }
        state::write(
            state,
            state::tx_key(&id),
            &TxRecord {
                height: env.height,
                index,
                kind: tx.kind(),
            },
        );
        Ok(Receipt {
            id,
            kind: tx.kind(),
            position,
        })
    }

    /// Closes a block: rehashes the commitment trees and records the head.
    pub fn finish_block(state: &mut Overlay, env: BlockEnv) {
        tree::finish_block(state, TreeId::Registration);
        tree::finish_block(state, TreeId::Authorization);
        state.put(state::proposer_key(env.height), env.proposer.to_vec());
        state::write(
            state,
            state::head_key(),
            &Head {
                height: env.height,
                timestamp_ms: env.timestamp_ms,
            },
        );
    }

    /// Executes a proposed block on `base`: every transaction must apply, or the block is
    /// invalid. `checked` holds the cached check of each transaction that has one; the rest are
    /// checked here, in one batch.
    pub fn execute(
        &self,
        base: &dyn Kv,
        env: BlockEnv,
        txs: &[Transaction],
        checked: &HashMap<Hash, Checked>,
    ) -> Result<(ChangeSet, Vec<Receipt>), (usize, TxError)> {
        let missing: Vec<usize> = (0..txs.len())
            .filter(|&i| !checked.contains_key(&txs[i].id()))
            .collect();
        let missing_txs: Vec<Transaction> = missing.iter().map(|&i| txs[i].clone()).collect();
        let mut fresh = HashMap::new();
        for (&index, result) in missing.iter().zip(self.check_all(base, &missing_txs)) {
            fresh.insert(index, result.map_err(|e| (index, e))?);
        }
        let mut state = Overlay::new(base);
        let mut receipts = Vec::with_capacity(txs.len());
        for (index, tx) in txs.iter().enumerate() {
            let check = match fresh.get(&index) {
                Some(check) => check.clone(),
                None => checked[&tx.id()].clone(),
            };
            let changes = {
                let mut nested = Overlay::new(&state);
                let receipt = self
                    .apply_rechecking(&mut nested, env, index as u32, tx, &check)
                    .map_err(|e| (index, e))?;
                receipts.push(receipt);
                nested.into_changes()
            };
            state.absorb(changes);
        }
        Self::finish_block(&mut state, env);
        Ok((state.into_changes(), receipts))
    }

    /// [`Machine::apply`], re-checking once if the group key changed since the cached check
    /// (another block on this fork advanced the group's epoch).
    pub fn apply_rechecking(
        &self,
        state: &mut Overlay,
        env: BlockEnv,
        index: u32,
        tx: &Transaction,
        checked: &Checked,
    ) -> Result<Receipt, TxError> {
        match self.apply(state, env, index, tx, checked) {
            Err(TxError::GroupKeyChanged(_)) => {
                let fresh = self.check(state, tx)?;
                self.apply(state, env, index, tx, &fresh)
            }
            other => other,
        }
    }
}
