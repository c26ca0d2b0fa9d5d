//! Service-layer cryptography of medshare (seed 000 §III, "service layer").
//!
//! Cryptography of the service layer (seed 000 §III): Poseidon and the commitment trees, BBS04
//! group signatures, HPKE envelopes and chunked encryption.
//!
//! The primitives the ledger's state machine calls (hashes, trees, signature and revocation
//! checks) are pure, deterministic computation. Key generation and sealing draw from the OS RNG,
//! and the group authority's member registry saves itself atomically to a file it controls.

#![forbid(unsafe_code)]

pub mod durable;
pub mod envelope;
pub mod groupsig;
pub mod merkle;
pub mod poseidon;
pub mod stream;
