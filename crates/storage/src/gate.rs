//! The one decision storage takes from the chain: may this key receive this MDA?
//!
//! Seed 000 §IV operation 4 has the IPFS nodes check the extraction proof before they return
//! S_α. Here validators check the proof when the `Extract` transaction is executed
//! (docs/design.md "The sharing mechanism" step 4), and a storage peer only asks finalized state
//! whether such an extraction exists. The node implements [`ReleaseGate`] from its finalized
//! state; nothing else in this crate knows about the chain.

use std::collections::HashMap;
use std::sync::RwLock;

use medshare_crypto::envelope::PublicKey;

use crate::alpha::Alpha;
use crate::content_id::ContentId;

/// Finalized chain state, as far as releasing shards is concerned. Called on a blocking thread,
/// once per shard request, so an implementation may read a database.
pub trait ReleaseGate: Send + Sync + 'static {
    /// The manifest CID registered for `alpha` if a final `Extract` of `alpha` names the
    /// ephemeral key `epk`; `None` if there is none.
    fn extraction(&self, alpha: &Alpha, epk: &PublicKey) -> Result<Option<ContentId>, GateError>;
}

/// The gate could not answer (e.g. the node has not caught up); the request may be retried.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("release gate unavailable: {0}")]
pub struct GateError(pub String);

/// A fixed set of releases. It serves tests, and a standalone storage peer before it can read a
/// node's finalized state: such a peer releases only what its operator listed.
#[derive(Default)]
pub struct StaticGate {
    releases: RwLock<HashMap<(Alpha, PublicKey), ContentId>>,
}

impl StaticGate {
    /// A gate that releases nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Releases the MDA `alpha`, registered with `manifest`, to `epk`.
    pub fn release(&self, alpha: Alpha, epk: PublicKey, manifest: ContentId) {
        let mut releases = self
            .releases
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        releases.insert((alpha, epk), manifest);
    }
}

impl ReleaseGate for StaticGate {
    fn extraction(&self, alpha: &Alpha, epk: &PublicKey) -> Result<Option<ContentId>, GateError> {
        let releases = self
            .releases
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(releases.get(&(*alpha, *epk)).copied())
    }
}
