//! Service-layer cryptography of medshare (seed 000 §III, "service layer").
//!
//! Everything here is pure computation over BLS12-381: no I/O, no clocks, no global state, so the
//! ledger's state machine can call it deterministically on every validator.

pub mod envelope;
pub mod stream;
