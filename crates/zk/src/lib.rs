//! Zero-knowledge core of medshare's supervisory sharing mechanism (seed 000 §IV, Algorithms 1-5).
//!
//! Three Groth16 circuits over BLS12-381 — registration, authorization, extraction — exactly as
//! docs/design.md states them, and a fourth, withdrawal, that proves knowledge of a pseudonym's `sk` to
//! move the rewards credited to it, with typed statements and witnesses ([`circuits`]), key generation and
//! key files ([`keys`]), proving, verification and batch verification ([`proof`]).
//!
//! ```text
//! let (pk, vk) = setup(CircuitId::Registration, &mut rng)?;      // once, at genesis
//! let statement = witness.statement(alpha, binding);             // client
//! let proof = prove(&pk, &statement, &witness, &mut rng)?;       // client, one core
//! vk.prepare().verify(&statement, &proof)?;                      // every validator
//! ```
//!
//! The setup is a plain Groth16 setup from an RNG: whoever runs it knows the trapdoor and could
//! forge proofs. There is no multi-party ceremony here; a production consortium would run one
//! (for instance a Powers-of-Tau + per-circuit phase 2) and put the resulting verifying keys'
//! digests in its genesis file.

#![forbid(unsafe_code)]

mod circuits;
mod error;
mod gadgets;
pub mod keys;
mod msm;
mod proof;
mod prove;
mod verify;

pub use circuits::{
    AuthorizationStatement, AuthorizationWitness, CircuitId, ExtractionStatement,
    ExtractionWitness, RegistrationStatement, RegistrationWitness, Statement, WithdrawalStatement,
    WithdrawalWitness,
};
pub use error::ZkError;
pub use keys::{ProvingKey, VerifyingKey, constraint_count, setup};
pub use medshare_crypto::poseidon::Fr;
pub use proof::Proof;
pub use prove::prove;
pub use verify::{PreparedVerifyingKey, batch_verify, batch_verify_inputs};
