//! The records the state machine keeps, and where they live in the key-value state.
//!
//! Records are encoded with postcard (deterministic for these types: no maps, fixed field
//! order). Every key starts with one byte naming its table:
//!
//! | prefix | key | value |
//! |---|---|---|
//! | `H` | — | [`Head`]: the last executed block |
//! | `G` | group | [`GroupRecord`] |
//! | `V` | group, epoch | the revocation that advanced the group to `epoch` |
//! | `M` | α | [`MdaRecord`] |
//! | `A` | `re_auth` | [`AuthorizationRecord`] |
//! | `X` | `epk` | [`ExtractionRecord`] |
//! | `T` | tx id | [`TxRecord`] |
//! | `N` | note author | last nonce |
//! | `E` / `e` | α, seq / α | [`AuditEvent`] / event count |
//! | `P` / `p` | pseudonym, seq / pseudonym | [`AuditEvent`] / event count |
//! | `r`, `n`, `q`, `s` | tree … | commitment trees ([`crate::tree`]) |
//! | `R` | [`AccountId`] | [`Account`]: a reward balance |
//! | `F` | FSP authority | [`FspRecord`]: the last epoch it paid, what it credited |
//! | `B` | height | the ed25519 key of the block's proposer |

use crate::{
    kind::Kind,
    store::{Kv, Overlay},
    types::{Field, GroupId, Hash},
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub height: u64,
    pub timestamp_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRecord {
    pub id: GroupId,
    /// The authority's ed25519 key: signs epoch advances.
    #[serde(with = "crate::types::hex_bytes")]
    pub authority: [u8; 32],
    /// The current BBS04 group public key (compressed).
    #[serde(with = "crate::types::hex_bytes")]
    pub public_key: Vec<u8>,
    pub epoch: u64,
    pub created_height: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MdaRecord {
    pub alpha: Field,
    pub pk_a: Field,
    pub re: Field,
    /// Leaf position in the registration tree (the paper's `Addr_α`).
    pub position: u64,
    #[serde(with = "crate::types::hex_bytes")]
    pub manifest: Vec<u8>,
    pub group: GroupId,
    pub height: u64,
    #[serde(with = "crate::types::hex_bytes")]
    pub tx: Hash,
    pub authorizations: u64,
    pub extractions: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRecord {
    pub alpha: Field,
    pub pk_a: Field,
    pub pk_h: Field,
    pub re_auth: Field,
    /// Leaf position in the authorization tree (the paper's `Addr_{α,H}`).
    pub position: u64,
    /// HPKE envelope sealed to the data user: σ', α, pk_A, data key, manifest.
    #[serde(with = "crate::types::hex_bytes")]
    pub envelope: Vec<u8>,
    pub group: GroupId,
    pub height: u64,
    #[serde(with = "crate::types::hex_bytes")]
    pub tx: Hash,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractionRecord {
    pub alpha: Field,
    pub pk_a: Field,
    pub pk_h: Field,
    pub re_auth: Field,
    /// The ephemeral X25519 key storage peers seal the shards to.
    #[serde(with = "crate::types::hex_bytes")]
    pub epk: [u8; 32],
    pub height: u64,
    #[serde(with = "crate::types::hex_bytes")]
    pub tx: Hash,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxRecord {
    pub height: u64,
    pub index: u32,
    pub kind: Kind,
}

/// One line of an MDA's audit log (seed 002's user audit): who did what to α, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub height: u64,
    pub timestamp_ms: u64,
    pub kind: Kind,
    pub alpha: Field,
    pub pk_a: Field,
    pub pk_h: Option<Field>,
    pub group: Option<GroupId>,
    #[serde(with = "crate::types::hex_bytes")]
    pub tx: Hash,
    /// Leaf position for registrations and authorizations.
    pub position: Option<u64>,
}

/// An owner withdrew the consent of one authorization: later extractions of it are refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentWithdrawal {
    pub height: u64,
    #[serde(with = "crate::types::hex_bytes")]
    pub tx: Hash,
}

/// Who a reward account belongs to.
///
/// - a **pseudonym** `pk = H_pk(sk)`: patients and data users; withdrawn with a zero-knowledge
///   proof of `sk`, so the account never links to a person;
/// - a **group**: a data-owner institution (seed 003's `H_i`), paid revenue shares;
/// - a **validator**, by its ed25519 key: seed 003's miners, paid for the blocks they proposed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountId {
    Pseudonym(Field),
    Group(GroupId),
    Validator(#[serde(with = "crate::types::hex_bytes")] [u8; 32]),
}

impl AccountId {
    fn key_suffix(&self) -> Vec<u8> {
        match self {
            Self::Pseudonym(pk) => [&[b'p'][..], &pk.to_bytes()].concat(),
            Self::Group(group) => [&[b'g'][..], group.as_str().as_bytes()].concat(),
            Self::Validator(key) => [&[b'v'][..], key].concat(),
        }
    }

    /// Parses the text form of [`fmt::Display`]: 64 hex digits (a pseudonym),
    /// `group:<name>` or `validator:<64 hex digits>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Some(name) = text.strip_prefix("group:") {
            return GroupId::new(name).map(Self::Group);
        }
        if let Some(key) = text.strip_prefix("validator:") {
            return hex::decode(key)
                .ok()
                .and_then(|bytes| bytes.try_into().ok())
                .map(Self::Validator)
                .ok_or_else(|| "a validator key is 64 hex digits".to_string());
        }
        Field::from_hex(text.strip_prefix("pk:").unwrap_or(text))
            .map(Self::Pseudonym)
            .ok_or_else(|| {
                "an account is a pseudonym (64 hex digits), group:<name> or validator:<hex>"
                    .to_string()
            })
    }
}

impl std::fmt::Display for AccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Pseudonym(pk) => write!(f, "{pk}"),
            Self::Group(group) => write!(f, "group:{group}"),
            Self::Validator(key) => write!(f, "validator:{}", hex::encode(key)),
        }
    }
}

/// A reward balance in tokens (the smallest unit), and the nonce its next withdrawal must carry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub balance: u128,
    pub nonce: u64,
}

/// What an authority acting as FSP has paid: payouts cover epochs in increasing order, never twice.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FspRecord {
    /// The last height of the last epoch paid out (0: none yet).
    pub paid_through: u64,
    /// Tokens credited by its payouts.
    pub paid_out: u128,
    /// Tokens credited by the revenues it recorded.
    pub revenue: u128,
}

fn key(prefix: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut key = vec![prefix];
    for part in parts {
        key.extend_from_slice(part);
    }
    key
}

pub fn head_key() -> Vec<u8> {
    key(b'H', &[])
}
pub fn group_key(group: &GroupId) -> Vec<u8> {
    key(b'G', &[group.as_str().as_bytes()])
}
pub fn revocation_key(group: &GroupId, epoch: u64) -> Vec<u8> {
    // The name is length-prefixed so one group's name cannot be a prefix of another's key.
    key(
        b'V',
        &[
            &[group.as_str().len() as u8],
            group.as_str().as_bytes(),
            &epoch.to_be_bytes(),
        ],
    )
}
pub fn mda_key(alpha: &Field) -> Vec<u8> {
    key(b'M', &[&alpha.to_bytes()])
}
pub fn authorization_key(re_auth: &Field) -> Vec<u8> {
    key(b'A', &[&re_auth.to_bytes()])
}
/// The withdrawal of the consent given by authorization `re_auth`.
pub fn consent_withdrawal_key(re_auth: &Field) -> Vec<u8> {
    key(b'W', &[&re_auth.to_bytes()])
}
pub fn extraction_key(epk: &[u8; 32]) -> Vec<u8> {
    key(b'X', &[epk])
}
pub fn tx_key(id: &Hash) -> Vec<u8> {
    key(b'T', &[id])
}
pub fn nonce_key(author: &[u8]) -> Vec<u8> {
    key(b'N', &[author])
}
pub fn account_key(account: &AccountId) -> Vec<u8> {
    key(b'R', &[&account.key_suffix()])
}
pub fn fsp_key(authority: &[u8]) -> Vec<u8> {
    key(b'F', &[authority])
}
pub fn proposer_key(height: u64) -> Vec<u8> {
    key(b'B', &[&height.to_be_bytes()])
}

/// The account's balance and nonce; an account never credited is empty.
pub fn account(state: &dyn Kv, account: &AccountId) -> Account {
    read(state, &account_key(account)).unwrap_or_default()
}

/// Reads a record; state is written only by this crate, so a record that does not decode means
/// the store is corrupt, and continuing would fork this validator from the others.
pub fn read<T: DeserializeOwned>(state: &dyn Kv, key: &[u8]) -> Option<T> {
    state.get(key).map(|bytes| {
        postcard::from_bytes(&bytes).expect("state record is corrupt: refusing to continue")
    })
}

pub fn write<T: Serialize>(state: &mut Overlay, key: Vec<u8>, record: &T) {
    state.put(
        key,
        postcard::to_allocvec(record).expect("records serialize"),
    );
}

/// Audit logs: by α for the owner and the regulator, by pseudonym for "my MDAs".
#[derive(Clone, Copy)]
pub enum AuditLog<'a> {
    Alpha(&'a Field),
    Pseudonym(&'a Field),
}

impl AuditLog<'_> {
    fn prefixes(self) -> (u8, u8, [u8; 32]) {
        match self {
            Self::Alpha(alpha) => (b'E', b'e', alpha.to_bytes()),
            Self::Pseudonym(pk) => (b'P', b'p', pk.to_bytes()),
        }
    }

    pub fn len(self, state: &dyn Kv) -> u32 {
        let (_, count, id) = self.prefixes();
        state
            .get(&key(count, &[&id]))
            .map(|bytes| u32::from_be_bytes(bytes.try_into().expect("counters are 4 bytes")))
            .unwrap_or(0)
    }

    pub fn push(self, state: &mut Overlay, event: &AuditEvent) {
        let (events, count, id) = self.prefixes();
        let seq = self.len(state);
        write(state, key(events, &[&id, &seq.to_be_bytes()]), event);
        state.put(key(count, &[&id]), (seq + 1).to_be_bytes().to_vec());
    }

    /// Events `from..from+limit`, oldest first.
    pub fn read(self, state: &dyn Kv, from: u32, limit: u32) -> Vec<AuditEvent> {
        let (events, _, id) = self.prefixes();
        let end = self.len(state).min(from.saturating_add(limit));
        (from..end)
            .filter_map(|seq| read(state, &key(events, &[&id, &seq.to_be_bytes()])))
            .collect()
    }
}

/// Typed reads of finalized state, for whoever serves it (the node's API, the storage gate):
/// callers name the record they want, never a raw key or a value type of their choosing.
pub struct StateView<S: Kv>(pub S);

impl<S: Kv> StateView<S> {
    /// The last executed block.
    pub fn head(&self) -> Option<Head> {
        read(&self.0, &head_key())
    }
    pub fn group(&self, group: &GroupId) -> Option<GroupRecord> {
        read(&self.0, &group_key(group))
    }
    /// The revocation that advanced `group` to `epoch`.
    pub fn revocation(&self, group: &GroupId, epoch: u64) -> Option<Vec<u8>> {
        self.0.get(&revocation_key(group, epoch))
    }
    pub fn mda(&self, alpha: &Field) -> Option<MdaRecord> {
        read(&self.0, &mda_key(alpha))
    }
    pub fn authorization(&self, re_auth: &Field) -> Option<AuthorizationRecord> {
        read(&self.0, &authorization_key(re_auth))
    }
    pub fn extraction(&self, epk: &[u8; 32]) -> Option<ExtractionRecord> {
        read(&self.0, &extraction_key(epk))
    }
    /// Where a final transaction was included.
    pub fn transaction(&self, id: &Hash) -> Option<TxRecord> {
        read(&self.0, &tx_key(id))
    }
    pub fn account(&self, id: &AccountId) -> Account {
        account(&self.0, id)
    }
    /// What an FSP has paid (nothing yet: the default record).
    pub fn fsp(&self, authority: &[u8]) -> FspRecord {
        read(&self.0, &fsp_key(authority)).unwrap_or_default()
    }
    pub fn audit_len(&self, log: AuditLog<'_>) -> u32 {
        log.len(&self.0)
    }
    pub fn audit(&self, log: AuditLog<'_>, from: u32, limit: u32) -> Vec<AuditEvent> {
        log.read(&self.0, from, limit)
    }
}
