//! The mechanism layer of medshare (seed 000 §III-IV): transactions, blocks, and the
//! deterministic state machine that every validator runs on every finalized block.
//!
//! No I/O and no networking here: state is read through [`store::Kv`] and written to an
//! [`store::Overlay`], so the same code runs in a unit test and in a 7-validator network, and the
//! node decides where state lives. Each family of operations lives in one module of [`ops`];
//! [`tx`] dispatches to it and [`machine`] runs it.

#![forbid(unsafe_code)]

pub mod block;
mod circuits;
pub mod consortium;
mod dispatch;
mod error;
pub mod genesis;
mod kind;
pub mod machine;
pub mod ops;
mod settle;
pub mod state;
pub mod store;
pub mod tree;
pub mod tx;
mod types;

pub use block::{Block, Header};
pub use circuits::{CircuitKeys, VerifyingKeyDigests};
pub use error::TxError;
pub use genesis::Genesis;
pub use kind::Kind;
pub use machine::{Checked, Machine, Receipt};
pub use ops::{BlockEnv, ChainParams};
pub use state::AccountId;
pub use store::{ChangeSet, Kv, Overlay, StateRoot};
pub use tx::Transaction;
pub use types::{Field, GroupId, Hash, Ratio};
