//! The mechanism layer of medshare (seed 000 §III-IV): transactions, blocks, and the
//! deterministic state machine that every validator runs on every finalized block.
//!
//! No I/O and no networking here: state is read through [`store::Kv`] and written to an
//! [`store::Overlay`], so the same code runs in a unit test and in a 7-validator network, and the
//! node decides where state lives.

pub mod block;
pub mod build;
pub mod genesis;
pub mod machine;
pub mod rewards;
pub mod state;
pub mod store;
pub mod tree;
pub mod tx;
pub mod types;

pub use block::{Block, Header};
pub use genesis::Genesis;
pub use machine::{BlockEnv, Checked, Machine, Receipt, TxError, VerifyingKeys};
pub use state::AccountId;
pub use store::{ChangeSet, Kv, Overlay, StateRoot};
pub use tx::Transaction;
pub use types::{Field, GroupId, Hash, Ratio};
