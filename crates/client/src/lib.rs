//! The application layer of medshare (seed 000 §III, Fig. 2) as a library: what a group
//! authority, a data owner, a data user and a regulator do, on top of a validator's `/v1` API and
//! the consortium's storage peers. The `medshare` command, its demo, the end-to-end test and the
//! benchmarks all drive these flows, so each exists once.
//!
//! - [`node::NodeClient`]: typed calls to a validator's API, with errors that say what to do.
//! - [`keystore::Keystore`]: the user's secrets (ZK identity, HPKE key, member keys, group
//!   authority keys, the salts and data keys of owned MDAs), encrypted under a passphrase.
//! - [`profile::Profile`]: the shareable public profile (pseudonym + encryption key).
//! - [`session::Session`]: one node, its genesis, its storage peers and the proving keys.
//! - [`group`] and [`mda`]: the operations, each leaving nothing partial when it fails.
//! - [`rewards`]: reward accounts, withdrawals, and the FSP's payouts and revenue shares.

#![forbid(unsafe_code)]

mod envelopes;
mod error;
pub mod group;
mod keystore;
pub mod mda;
mod node;
pub mod pending;
mod profile;
pub mod rewards;
mod session;

pub use error::Error;
pub use keystore::Keystore;
pub use node::NodeClient;
pub use profile::Profile;
pub use session::Session;

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
