//! Everything that can go wrong in the zero-knowledge layer.

use crate::circuits::CircuitId;

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
