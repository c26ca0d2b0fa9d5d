//! Zero-knowledge core of medshare's supervisory sharing mechanism (seed 000 §IV, Algorithms 1-5).
//!
//! Three Groth16 circuits over BLS12-381 — registration, authorization, extraction — exactly as
//! DESIGN.md states them, and a fourth, withdrawal, that proves knowledge of a pseudonym's `sk` to
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

pub mod circuits;
pub mod gadgets;
pub mod keys;
mod msm;
pub mod proof;

pub use circuits::{
    AuthorizationStatement, AuthorizationWitness, ExtractionStatement, ExtractionWitness,
    RegistrationStatement, RegistrationWitness, Statement, WithdrawalStatement, WithdrawalWitness,
};
pub use keys::{ProvingKey, VerifyingKey, constraint_count, setup};
pub use medshare_crypto::poseidon::Fr;
pub use proof::{PreparedVerifyingKey, Proof, batch_verify, prove};

use std::fmt;

/// The circuits. The discriminant is the circuit id written in key files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum CircuitId {
    Registration = 1,
    Authorization = 2,
    Extraction = 3,
    Withdrawal = 4,
}

impl CircuitId {
    /// All circuits, in id order.
    pub const ALL: [CircuitId; 4] = [
        CircuitId::Registration,
        CircuitId::Authorization,
        CircuitId::Extraction,
        CircuitId::Withdrawal,
    ];

    /// Lower-case name, as in the benchmark output.
    pub const fn name(self) -> &'static str {
        match self {
            CircuitId::Registration => "registration",
            CircuitId::Authorization => "authorization",
            CircuitId::Extraction => "extraction",
            CircuitId::Withdrawal => "withdrawal",
        }
    }

    /// Number of public inputs of the circuit (binding included).
    pub const fn num_public_inputs(self) -> usize {
        match self {
            CircuitId::Withdrawal => 2,
            CircuitId::Registration => 4,
            CircuitId::Authorization | CircuitId::Extraction => 6,
        }
    }

    /// The circuit with id `id`, if any.
    pub fn from_id(id: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|c| *c as u8 == id)
    }
}

impl fmt::Display for CircuitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything that can go wrong. Errors never carry secret values.
#[derive(Debug, thiserror::Error)]
pub enum ZkError {
    /// The proof is well formed but does not verify for this statement and key (or, for a
    /// batch, at least one proof does not).
    #[error("proof does not verify")]
    InvalidProof,
    /// The bytes are not a proof.
    #[error("malformed proof: {0}")]
    MalformedProof(&'static str),
    /// The bytes are not a key of this format version.
    #[error("malformed key: {0}")]
    MalformedKey(&'static str),
    /// A verifying key that could let anyone prove anything, or not fit its circuit.
    #[error("degenerate verifying key: {0}")]
    DegenerateKey(&'static str),
    /// A key for one circuit used with a statement of another.
    #[error("key is for the {found} circuit, the statement for {expected}")]
    WrongCircuit {
        expected: CircuitId,
        found: CircuitId,
    },
    /// The proving key was not generated for this circuit's constraint system.
    #[error("proving key does not match the {0} circuit")]
    KeyMismatch(CircuitId),
    /// The witness does not satisfy the statement: no valid proof exists for it.
    #[error("witness does not satisfy the statement")]
    Unsatisfied,
    /// Constraint synthesis failed (a bug, not bad input).
    #[error("constraint synthesis failed: {0}")]
    Synthesis(#[from] ark_relations::gr1cs::SynthesisError),
    /// Reading or writing a key file.
    #[error("key file {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}
