//! A Groth16 proof and its encoding.

use crate::error::ZkError;
use ark_bls12_381::Bls12_381;
use ark_ec::AffineRepr;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};

/// A Groth16 proof: `A`, `C` in G1 and `B` in G2.
#[derive(Clone, Debug, PartialEq)]
pub struct Proof(pub(crate) ark_groth16::Proof<Bls12_381>);

impl Proof {
    /// Length of the encoding: compressed `A` (48 bytes), `B` (96), `C` (48).
    pub const SIZE: usize = 192;

    /// Compressed encoding.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut out = [0u8; Self::SIZE];
        self.0
            .serialize_compressed(&mut out[..])
            .expect("a proof is exactly SIZE bytes");
        out
    }

    /// Another valid proof of the same statement, `(−A, −B, C)`: what anyone who sees a proof can
    /// compute (e(−A, −B) = e(A, B)). Groth16 proofs are malleable, which is why transaction ids
    /// leave proofs out; tests use this to play the relay that mauls a pending transaction.
    pub fn mauled(&self) -> Self {
        let mut inner = self.0.clone();
        inner.a = -inner.a;
        inner.b = -inner.b;
        Self(inner)
    }

    /// Decode, checking that every point is on its curve, in the prime-order subgroup and not
    /// the identity (an honest proof never has one).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ZkError> {
        if bytes.len() != Self::SIZE {
            return Err(ZkError::MalformedProof("a proof is 192 bytes"));
        }
        let inner = ark_groth16::Proof::<Bls12_381>::deserialize_with_mode(
            bytes,
            Compress::Yes,
            Validate::Yes,
        )
        .map_err(|_| ZkError::MalformedProof("not three valid compressed curve points"))?;
        if inner.a.is_zero() || inner.b.is_zero() || inner.c.is_zero() {
            return Err(ZkError::MalformedProof("identity point"));
        }
        Ok(Self(inner))
    }
}
