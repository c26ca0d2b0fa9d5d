//! Who stores shards: every validator of genesis that lists a storage key runs a storage peer
//! behind its API address (docs/design.md "Roles": a consortium member runs a validator and a
//! storage peer).

use medshare_ledger::Genesis;
use medshare_storage::placement::PeerError;
use medshare_storage::{Peer, PeerList};

/// The storage peers of `genesis`, in genesis order: id = validator name, URL = its API.
pub fn storage_peers(genesis: &Genesis) -> Result<PeerList, PeerError> {
    let peers = genesis
        .validators
        .iter()
        .filter_map(|validator| {
            let key = validator.storage_key?;
            Some(validator.name.parse().map(|id| Peer {
                id,
                url: format!("http://{}", validator.api),
                key,
            }))
        })
        .collect::<Result<Vec<_>, _>>()?;
    PeerList::new(peers)
}
