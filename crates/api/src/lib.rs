//! The contract between a medshare validator's HTTP API (`/v1`) and its clients: request and
//! response bodies, stable error codes, and the storage peers a genesis file names.
//!
//! The node (`medshare-node`) serves these types and documents them in its OpenAPI document;
//! the client library (`medshare-client`) reads them. Views mirror the ledger's state records
//! instead of exposing them, so the state encoding can change without breaking clients.

#![forbid(unsafe_code)]

mod consortium;
mod error;
mod types;

pub use consortium::storage_peers;
pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use types::*;
