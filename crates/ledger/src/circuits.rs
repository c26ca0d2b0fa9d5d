//! The circuits the chain verifies, by [`CircuitId`]: their prepared verifying keys, and the
//! digests of the key files genesis pins. Adding a circuit is one entry in the zk crate's
//! registry; nothing here names a circuit.

use medshare_zk::{CircuitId, PreparedVerifyingKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The prepared verifying key of every circuit.
pub struct CircuitKeys(BTreeMap<CircuitId, PreparedVerifyingKey>);

impl CircuitKeys {
    /// One key per circuit of [`CircuitId::ALL`], in any order.
    pub fn new(keys: impl IntoIterator<Item = PreparedVerifyingKey>) -> Result<Self, String> {
        let mut map = BTreeMap::new();
        for key in keys {
            if map.insert(key.circuit(), key).is_some() {
                return Err("a circuit has two verifying keys".into());
            }
        }
        if let Some(missing) = CircuitId::ALL.iter().find(|c| !map.contains_key(c)) {
            return Err(format!("no verifying key for the {missing} circuit"));
        }
        Ok(Self(map))
    }

    pub fn get(&self, circuit: CircuitId) -> &PreparedVerifyingKey {
        &self.0[&circuit]
    }
}

/// SHA-256 digests (hex) of the verifying key files, by circuit name. A node refuses keys that
/// differ, and genesis must name every circuit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VerifyingKeyDigests(BTreeMap<String, String>);

impl VerifyingKeyDigests {
    /// The digests of these keys.
    pub fn of<'a>(keys: impl IntoIterator<Item = &'a VerifyingKey>) -> Self {
        Self(
            keys.into_iter()
                .map(|key| (key.circuit().name().to_string(), hex::encode(key.digest())))
                .collect(),
        )
    }

    /// The digest genesis pins for `circuit`.
    pub fn get(&self, circuit: CircuitId) -> Option<&str> {
        self.0.get(circuit.name()).map(String::as_str)
    }

    /// Every circuit has a digest of 32 bytes of hex, and nothing else is named.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(unknown) = self.0.keys().find(|n| CircuitId::from_name(n).is_none()) {
            return Err(format!(
                "verifying_keys names an unknown circuit {unknown:?}"
            ));
        }
        for circuit in CircuitId::ALL {
            let digest = self
                .get(circuit)
                .ok_or_else(|| format!("verifying_keys has no digest for the {circuit} circuit"))?;
            if hex::decode(digest).map(|d| d.len()) != Ok(32) {
                return Err(format!("the {circuit} digest is not 32 bytes of hex"));
            }
        }
        Ok(())
    }
}
