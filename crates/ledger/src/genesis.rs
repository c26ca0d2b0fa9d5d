//! The genesis file: who validates, which verifying keys and group authorities the chain trusts,
//! and the groups it starts with. Every validator starts from the same file.

pub use crate::circuits::VerifyingKeyDigests;
use crate::{
    machine::{Machine, finish_block},
    ops::{BlockEnv, ChainParams},
    state::{self, GroupRecord},
    store::{ChangeSet, Kv, Overlay},
    types::GroupId,
};
use serde::{Deserialize, Serialize};
use std::{collections::BTreeSet, net::SocketAddr};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// Signed into every transaction, so nothing is valid on two chains.
    pub chain_id: String,
    pub timestamp_ms: u64,
    pub validators: Vec<ValidatorInfo>,
    /// SHA-256 digests (hex) of the verifying key files; a node refuses keys that differ.
    pub verifying_keys: VerifyingKeyDigests,
    /// ed25519 keys (hex) allowed to create groups.
    pub authorities: Vec<AuthorityInfo>,
    /// Groups that exist from the start.
    #[serde(default)]
    pub groups: Vec<GenesisGroup>,
    /// Accept the no-privacy baseline `Note` (free, from any key): for throughput benchmarks
    /// only, off on every consortium that shares data.
    #[serde(default)]
    pub benchmark_notes: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorInfo {
    pub name: String,
    /// ed25519 public key, hex.
    pub public_key: String,
    /// Where its authenticated p2p endpoint listens.
    pub p2p: SocketAddr,
    /// Where its HTTP API (and storage peer) listens.
    pub api: SocketAddr,
    /// The HPKE public key of its storage peer (`mspk1…`): other peers seal repair traffic to it.
    /// A validator without one runs no storage peer and gets no shards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_key: Option<medshare_crypto::envelope::PublicKey>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorityInfo {
    pub name: String,
    /// ed25519 public key, hex.
    pub public_key: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisGroup {
    pub id: GroupId,
    /// The authority's ed25519 key, hex; must be one of `authorities`.
    pub authority: String,
    /// BBS04 group public key, hex.
    pub public_key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    #[error("genesis: {0}")]
    Invalid(String),
}

fn key32(hex_text: &str, what: &str) -> Result<[u8; 32], GenesisError> {
    hex::decode(hex_text)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| GenesisError::Invalid(format!("{what} {hex_text:?} is not 32 bytes of hex")))
}

impl Genesis {
    pub fn from_json(text: &str) -> Result<Self, GenesisError> {
        let genesis: Self =
            serde_json::from_str(text).map_err(|e| GenesisError::Invalid(e.to_string()))?;
        genesis.validate()?;
        Ok(genesis)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("genesis serializes")
    }

    /// Checks what can be checked without the verifying keys.
    pub fn validate(&self) -> Result<(), GenesisError> {
        let invalid = |msg: String| Err(GenesisError::Invalid(msg));
        if self.chain_id.is_empty() || self.chain_id.len() > 64 {
            return invalid("chain_id must be 1 to 64 bytes".into());
        }
        self.verifying_keys
            .validate()
            .map_err(GenesisError::Invalid)?;
        if self.validators.is_empty() {
            return invalid("at least one validator is needed".into());
        }
        let mut seen = BTreeSet::new();
        for validator in &self.validators {
            if !seen.insert(key32(&validator.public_key, "validator key")?) {
                return invalid(format!("validator {} is listed twice", validator.name));
            }
        }
        let authorities: BTreeSet<_> = self.authority_keys().collect();
        for authority in &self.authorities {
            key32(&authority.public_key, "authority key")?;
        }
        let mut groups = BTreeSet::new();
        for group in &self.groups {
            if !groups.insert(group.id.clone()) {
                return invalid(format!("group {} is listed twice", group.id));
            }
            if !authorities.contains(&key32(&group.authority, "group authority")?) {
                return invalid(format!("group {}'s authority is not listed", group.id));
            }
            hex::decode(&group.public_key).map_err(|_| {
                GenesisError::Invalid(format!("group {}'s key is not hex", group.id))
            })?;
        }
        Ok(())
    }

    /// The validators' ed25519 keys, in genesis order (validated: 32 bytes of hex each).
    pub fn validator_keys(&self) -> impl Iterator<Item = [u8; 32]> + '_ {
        self.validators
            .iter()
            .filter_map(|v| key32(&v.public_key, "validator key").ok())
    }

    pub fn authority_keys(&self) -> impl Iterator<Item = [u8; 32]> + '_ {
        self.authorities
            .iter()
            .filter_map(|a| key32(&a.public_key, "authority key").ok())
    }

    /// What the state machine takes from genesis.
    pub fn params(&self) -> ChainParams {
        ChainParams {
            chain_id: self.chain_id.clone(),
            authorities: self.authority_keys().collect(),
            validators: self.validator_keys().collect(),
            notes: self.benchmark_notes,
        }
    }

    /// The state at height 0.
    pub fn initial_state(
        &self,
        machine: &Machine,
        empty: &dyn Kv,
    ) -> Result<ChangeSet, GenesisError> {
        let mut state = Overlay::new(empty);
        for group in &self.groups {
            let public_key = hex::decode(&group.public_key).map_err(|_| {
                GenesisError::Invalid(format!("group {}'s key is not hex", group.id))
            })?;
            let epoch = machine
                .parse_group_key(&public_key)
                .map_err(|e| GenesisError::Invalid(format!("group {}'s key: {e}", group.id)))?
                .epoch();
            let record = GroupRecord {
                id: group.id.clone(),
                authority: key32(&group.authority, "group authority")?,
                public_key,
                epoch,
                created_height: 0,
            };
            state::write(&mut state, state::group_key(&group.id), &record);
        }
        finish_block(
            &mut state,
            BlockEnv {
                height: 0,
                timestamp_ms: self.timestamp_ms,
                // Nobody proposed the genesis block: no validator is weighed for it.
                proposer: [0; 32],
            },
        );
        Ok(state.into_changes())
    }
}
