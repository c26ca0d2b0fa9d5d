//! The network layer of medshare (seed 000 §III): a validator of the consortium chain.
//!
//! - [`engine`] wires commonware's simplex BFT consensus, marshal and p2p to our application;
//! - [`chain`] executes, builds and verifies blocks with the ledger's state machine and keeps the
//!   finalized state on disk ([`state_db`]);
//! - [`mempool`], [`workers`] and [`gossip`] admit transactions: checked once, in batches, by a
//!   pool of verification workers (seed 000's "workers").

#![forbid(unsafe_code)]

mod api;
mod application;
pub mod block;
pub mod chain;
pub mod config;
pub mod engine;
pub mod gossip;
mod mempool;
mod metrics;
mod release_gate;
pub mod run;
pub mod state_db;
pub mod workers;

pub use api::openapi;
