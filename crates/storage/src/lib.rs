//! Storage layer of medshare (seed 000 §III "storage layer", docs/design.md "Storage layer").
//!
//! Seed 000 slices each MDA with IPFS across geographically dispersed peers so that no peer holds
//! a whole MDA, and returns it to a data user who presents a valid extraction proof. medshare
//! encrypts first, then slices: the file is sealed under a fresh data key in 1 MiB segments
//! ([`medshare_crypto::stream`]), erasure-coded into `k` data + `m` parity shards ([`erasure`]),
//! each named by its CID ([`content_id`]) and listed in a [`manifest`]. Shards are placed on
//! distinct storage peers ([`placement`]), kept durably and verified ([`store`]), and released
//! only sealed to the ephemeral key of a final extraction ([`peer`], [`gate`]).
//!
//! - data owner / data user: [`client::Client`]
//! - storage peer: [`peer::StoragePeer`], whose router the node mounts, with a [`gate::ReleaseGate`]
//!   read from finalized chain state.

#![forbid(unsafe_code)]

mod alpha;
pub mod api;
pub mod client;
pub mod codec;
mod content_id;
pub mod erasure;
mod gate;
mod manifest;
pub mod peer;
pub mod placement;
pub mod remote;
mod store;
mod transport;

pub use alpha::Alpha;
pub use client::{Client, ClientOptions, Staged, Upload};
pub use content_id::ContentId;
pub use erasure::Erasure;
pub use gate::{GateError, ReleaseGate, StaticGate};
pub use manifest::Manifest;
pub use peer::{PeerConfig, StoragePeer};
pub use placement::{Peer, PeerId, PeerList, Placement};
