//! Service-layer cryptography of medshare (seed 000 §III, "service layer").
//!
//! Everything here is pure computation over BLS12-381 — no clocks, no global state — so the
//! ledger's state machine can call it deterministically on every validator. The one exception is
//! the group authority's member registry, which saves itself atomically to a file it controls.

pub mod groupsig;
pub mod merkle;
pub mod poseidon;
