//! The storage peers of the consortium, and which of them holds which shard.
//!
//! Seed 000 §III sends slices "to geographically dispersed peers ... no peer can obtain a full
//! MDA". Placement is rendezvous (highest-random-weight) hashing: every peer gets a score per
//! shard, `SHA-256(domain ‖ shard CID ‖ peer id)`, and a shard goes to its best-scoring peer that
//! still has room. "Room" is `⌈(k + m) / n⌉` shards of one MDA, which is 1 — distinct peers — as
//! soon as there are `k + m` peers, and must stay below `k` so that no peer ever holds enough
//! shards to rebuild the MDA. Placement is a pure function of the manifest and the peer list, so
//! uploader, downloader and repairing peer all compute the same one, and adding a peer to genesis
//! moves few shards.

use std::collections::HashSet;
use std::fmt;

use medshare_crypto::envelope::PublicKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::erasure::Erasure;
use crate::manifest::Manifest;

const DOMAIN: &[u8] = b"medshare/placement/v1";
/// Longest peer id.
const MAX_PEER_ID: usize = 64;

/// Name of a storage peer, as listed in genesis: 1 to 64 characters among `A-Z a-z 0-9 . _ -`
/// (it appears in URLs and logs).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PeerId(String);

impl PeerId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PeerId {
    type Error = PeerError;

    fn try_from(id: String) -> Result<Self, Self::Error> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if id.is_empty() || id.len() > MAX_PEER_ID || !id.chars().all(allowed) {
            return Err(PeerError::BadId(id));
        }
        Ok(Self(id))
    }
}

impl std::str::FromStr for PeerId {
    type Err = PeerError;

    fn from_str(id: &str) -> Result<Self, Self::Err> {
        id.to_string().try_into()
    }
}

impl From<PeerId> for String {
    fn from(id: PeerId) -> Self {
        id.0
    }
}

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PeerId({})", self.0)
    }
}

/// A storage peer: its id, the base URL of its storage API, and the HPKE public key to which
/// other peers seal shards when it repairs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peer {
    pub id: PeerId,
    pub url: String,
    pub key: PublicKey,
}

/// A peer list that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PeerError {
    #[error("invalid peer id {0:?}: use 1 to 64 characters among A-Z a-z 0-9 . _ -")]
    BadId(String),
    #[error("peer {0} is listed twice")]
    Duplicate(PeerId),
    #[error("peer {id}: invalid base URL {url:?} (expected http:// or https://)")]
    BadUrl { id: PeerId, url: String },
    #[error("the peer list is empty")]
    Empty,
}

/// The storage peers of genesis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerList(Vec<Peer>);

impl PeerList {
    /// Checks ids are unique and URLs are HTTP(S) base URLs.
    pub fn new(peers: Vec<Peer>) -> Result<Self, PeerError> {
        if peers.is_empty() {
            return Err(PeerError::Empty);
        }
        let mut seen = HashSet::new();
        for peer in &peers {
            if !seen.insert(&peer.id) {
                return Err(PeerError::Duplicate(peer.id.clone()));
            }
            let parsed = reqwest::Url::parse(&peer.url);
            if !matches!(parsed, Ok(ref url) if matches!(url.scheme(), "http" | "https") && url.has_host())
            {
                return Err(PeerError::BadUrl {
                    id: peer.id.clone(),
                    url: peer.url.clone(),
                });
            }
        }
        Ok(Self(peers))
    }

    /// All peers, in genesis order.
    pub fn peers(&self) -> &[Peer] {
        &self.0
    }

    /// The peer named `id`.
    pub fn get(&self, id: &PeerId) -> Option<&Peer> {
        self.0.iter().find(|peer| &peer.id == id)
    }

    /// Checks that `erasure` can be placed on these peers without any peer getting `k` shards.
    pub fn check_capacity(&self, erasure: Erasure) -> Result<(), PlacementError> {
        let most = erasure.total().div_ceil(self.0.len());
        if most >= erasure.k() {
            return Err(PlacementError::TooFewPeers {
                peers: self.0.len(),
                k: erasure.k(),
                m: erasure.m(),
            });
        }
        Ok(())
    }
}

/// A placement that cannot keep shards apart.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlacementError {
    #[error(
        "{peers} storage peers cannot hold {k} + {m} shards with fewer than {k} on each peer; \
         add peers or lower m"
    )]
    TooFewPeers { peers: usize, k: usize, m: usize },
}

/// The peer of every shard of one MDA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    holders: Vec<PeerId>,
}

impl Placement {
    /// Places the shards of `manifest` on `peers`.
    pub fn compute(manifest: &Manifest, peers: &PeerList) -> Result<Self, PlacementError> {
        let erasure = manifest.erasure();
        peers.check_capacity(erasure)?;
        let room = erasure.total().div_ceil(peers.peers().len());
        let mut load = vec![0usize; peers.peers().len()];
        let mut holders = Vec::with_capacity(erasure.total());
        for shard in manifest.shards() {
            let mut ranked: Vec<(usize, [u8; 32])> = peers
                .peers()
                .iter()
                .enumerate()
                .map(|(i, peer)| (i, score(&shard.to_bytes(), &peer.id)))
                .collect();
            ranked.sort_by_key(|&(_, score)| std::cmp::Reverse(score));
            // Total room is at least k + m, so some peer always has room left.
            let chosen = ranked
                .iter()
                .map(|&(i, _)| i)
                .find(|&i| load[i] < room)
                .unwrap_or(ranked[0].0);
            load[chosen] += 1;
            holders.push(peers.peers()[chosen].id.clone());
        }
        Ok(Self { holders })
    }

    /// The peer holding shard `index`.
    pub fn holder(&self, index: usize) -> &PeerId {
        &self.holders[index]
    }

    /// Shard indices held by `peer`.
    pub fn shards_of(&self, peer: &PeerId) -> Vec<usize> {
        (0..self.holders.len())
            .filter(|&i| &self.holders[i] == peer)
            .collect()
    }
}

fn score(shard: &[u8], peer: &PeerId) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(DOMAIN);
    hash.update(shard);
    hash.update(peer.as_str().as_bytes());
    hash.finalize().into()
}

#[cfg(test)]
mod tests {
    use medshare_crypto::envelope::SecretKey;

    use super::*;
    use crate::alpha::Alpha;
    use crate::content_id::ContentId;

    fn peers(n: usize) -> PeerList {
        PeerList::new(
            (0..n)
                .map(|i| Peer {
                    id: format!("peer-{i}").parse().unwrap(),
                    url: format!("http://127.0.0.1:{}", 7000 + i),
                    key: SecretKey::generate().public_key(),
                })
                .collect(),
        )
        .unwrap()
    }

    fn manifest(seed: u8, erasure: Erasure) -> Manifest {
        let shards = (0..erasure.total())
            .map(|i| ContentId::of(&[seed, i as u8]))
            .collect();
        Manifest::new(erasure, 0, Alpha([seed; 32]), [0; 19], shards).unwrap()
    }

    #[test]
    fn no_peer_ever_gets_k_shards() {
        for (n, k, m) in [
            (6, 4, 2),
            (4, 4, 2),
            (3, 4, 2),
            (7, 4, 2),
            (2, 3, 1),
            (10, 3, 3),
        ] {
            let list = peers(n);
            let erasure = Erasure::new(k, m).unwrap();
            for seed in 0..50 {
                let placement = Placement::compute(&manifest(seed, erasure), &list).unwrap();
                for peer in list.peers() {
                    let held = placement.shards_of(&peer.id).len();
                    assert!(held < k, "{n} peers, {k}+{m}: {} holds {held}", peer.id);
                    assert!(held <= (k + m).div_ceil(n));
                }
            }
        }
    }

    #[test]
    fn enough_peers_means_distinct_peers() {
        let list = peers(6);
        let placement = Placement::compute(&manifest(1, Erasure::default()), &list).unwrap();
        let distinct: HashSet<_> = (0..6).map(|i| placement.holder(i)).collect();
        assert_eq!(distinct.len(), 6);
    }

    #[test]
    fn impossible_configurations_are_refused() {
        let erasure = Erasure::default();
        assert_eq!(
            peers(1).check_capacity(erasure),
            Err(PlacementError::TooFewPeers {
                peers: 1,
                k: 4,
                m: 2
            })
        );
        // Two peers: 3 shards each, fewer than k = 4.
        assert!(peers(2).check_capacity(erasure).is_ok());
        assert!(Placement::compute(&manifest(0, Erasure::new(2, 1).unwrap()), &peers(1)).is_err());
    }

    #[test]
    fn placement_spreads_and_is_stable() {
        let list = peers(12);
        let mut used = HashSet::new();
        for seed in 0..40 {
            let m = manifest(seed, Erasure::default());
            let placement = Placement::compute(&m, &list).unwrap();
            assert_eq!(placement, Placement::compute(&m, &list).unwrap());
            used.extend((0..6).map(|i| placement.holder(i).clone()));
        }
        assert_eq!(used.len(), 12, "every peer gets work");
    }

    #[test]
    fn peer_lists_are_checked() {
        let mut list = peers(2).peers().to_vec();
        assert!("bad id".parse::<PeerId>().is_err());
        assert!("".parse::<PeerId>().is_err());
        assert!("a/b".parse::<PeerId>().is_err());
        list[1].id = list[0].id.clone();
        assert!(matches!(
            PeerList::new(list.clone()),
            Err(PeerError::Duplicate(_))
        ));
        list[1].id = "other".parse().unwrap();
        list[1].url = "ftp://host".into();
        assert!(matches!(PeerList::new(list), Err(PeerError::BadUrl { .. })));
        assert_eq!(PeerList::new(vec![]), Err(PeerError::Empty));
    }
}
