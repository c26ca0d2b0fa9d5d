//! The storage peer's one question to the chain — may this ephemeral key receive this MDA? —
//! answered from this validator's finalized state (seed 000 §IV operation 4, docs/design.md
//! "Storage layer": peers serve shards only to the ephemeral key of a final extraction).
//!
//! A final `Extract` left `X ‖ epk → ExtractionRecord` (which α it extracted) and the
//! registration left `M ‖ α → MdaRecord` (which manifest α was registered with). Storage names α
//! by its whole SHA-256; the ledger keeps its first 248 bits as a field element
//! ([`alpha_from_digest`]), so the gate maps one to the other before comparing.

use crate::chain::Chain;
use medshare_crypto::{envelope::PublicKey, poseidon::alpha_from_digest};
use medshare_ledger::{Field, Kv, state::StateView};
use medshare_storage::{Alpha, ContentId, GateError, ReleaseGate};
use std::sync::Arc;

/// A [`ReleaseGate`] over the node's finalized state.
pub struct ChainGate {
    chain: Arc<Chain>,
}

impl ChainGate {
    pub fn new(chain: Arc<Chain>) -> Self {
        Self { chain }
    }
}

impl ReleaseGate for ChainGate {
    fn extraction(&self, alpha: &Alpha, epk: &PublicKey) -> Result<Option<ContentId>, GateError> {
        Ok(released_manifest(
            StateView(self.chain.finalized()),
            alpha,
            epk,
        ))
    }
}

/// The manifest of `alpha` if a final extraction of `alpha` names `epk`.
pub fn released_manifest<S: Kv>(
    state: StateView<S>,
    alpha: &Alpha,
    epk: &PublicKey,
) -> Option<ContentId> {
    let extraction = state.extraction(&epk.to_bytes())?;
    if extraction.alpha != Field(alpha_from_digest(&alpha.0)) {
        return None;
    }
    let mda = state.mda(&extraction.alpha)?;
    // The owner registered whatever bytes it liked; only a well-formed CID names a manifest.
    ContentId::from_bytes(&mda.manifest).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use medshare_crypto::envelope::SecretKey;
    use medshare_ledger::{
        GroupId, Overlay,
        state::{self, ExtractionRecord, MdaRecord},
        store::MemoryStore,
    };

    fn store_with(alpha: &Alpha, epk: &PublicKey, manifest: Vec<u8>) -> MemoryStore {
        let field = Field(alpha_from_digest(&alpha.0));
        let mut store = MemoryStore::default();
        let changes = {
            let mut overlay = Overlay::new(&store);
            let mda = MdaRecord {
                alpha: field,
                pk_a: Field::default(),
                re: Field::default(),
                position: 0,
                manifest,
                group: GroupId::new("g").unwrap(),
                height: 1,
                tx: [0; 32],
                authorizations: 1,
                extractions: 1,
            };
            state::write(&mut overlay, state::mda_key(&field), &mda);
            let extraction = ExtractionRecord {
                alpha: field,
                pk_a: Field::default(),
                pk_h: Field::default(),
                re_auth: Field::default(),
                epk: epk.to_bytes(),
                height: 3,
                tx: [1; 32],
            };
            state::write(
                &mut overlay,
                state::extraction_key(&epk.to_bytes()),
                &extraction,
            );
            overlay.into_changes()
        };
        store.apply(&changes);
        store
    }

    #[test]
    fn releases_only_to_the_key_of_a_final_extraction_of_that_mda() {
        let alpha = Alpha([7; 32]);
        let epk = SecretKey::generate().public_key();
        let manifest = ContentId::of(b"manifest");
        let store = store_with(&alpha, &epk, manifest.to_bytes().to_vec());
        assert_eq!(
            released_manifest(StateView(store.clone()), &alpha, &epk),
            Some(manifest)
        );
        // Another key, another MDA: nothing.
        let stranger = SecretKey::generate().public_key();
        assert_eq!(
            released_manifest(StateView(store.clone()), &alpha, &stranger),
            None
        );
        assert_eq!(
            released_manifest(StateView(store.clone()), &Alpha([8; 32]), &epk),
            None
        );
        // Same first 248 bits but another digest still maps to the same field element; the
        // storage peer then compares the manifest's full α (see `StoragePeer`).
        let mut near = alpha;
        near.0[31] ^= 0xff;
        assert_eq!(
            released_manifest(StateView(store.clone()), &near, &epk),
            Some(manifest)
        );
    }

    #[test]
    fn a_registration_without_a_valid_cid_releases_nothing() {
        let alpha = Alpha([9; 32]);
        let epk = SecretKey::generate().public_key();
        let store = store_with(&alpha, &epk, b"not a cid".to_vec());
        assert_eq!(
            released_manifest(StateView(store.clone()), &alpha, &epk),
            None
        );
    }
}
