//! Groth16 setup and the key files.
//!
//! A key file is a 7-byte header — `"MSZK"`, the format version, the kind (1 proving, 2
//! verifying), the circuit id — followed by the arkworks canonical serialization of the key:
//! uncompressed for proving keys (tens of thousands of points; decompressing them would cost
//! seconds), compressed for verifying keys (they go into genesis). Reading validates every point
//! (on the curve, in the prime-order subgroup) and the sanity rules below.

use crate::circuits::CircuitId;
use crate::error::ZkError;
use crate::verify::PreparedVerifyingKey;
use ark_bls12_381::Fr;
use ark_bls12_381::{Bls12_381, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_relations::gr1cs::{
    ConstraintSystem, Matrix, OptimizationGoal, R1CS_PREDICATE_LABEL, SynthesisMode,
};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

const MAGIC: &[u8; 4] = b"MSZK";
/// Version of the key file format; bump it when the layout or a circuit changes.
pub const FORMAT_VERSION: u8 = 1;
const HEADER_LEN: usize = 7;

#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Kind {
    Proving = 1,
    Verifying = 2,
}

/// Groth16 setup of `circuit`: a fresh proving key and its verifying key. Whoever holds the RNG
/// output could forge proofs; see the crate docs.
pub fn setup<R: RngCore + CryptoRng>(
    circuit: CircuitId,
    rng: &mut R,
) -> Result<(ProvingKey, VerifyingKey), ZkError> {
    let inner = circuit.generate(rng)?;
    let verifying_key = VerifyingKey::new(circuit, inner.vk.clone())?;
    Ok((ProvingKey::new(circuit, inner)?, verifying_key))
}

/// Number of R1CS constraints of `circuit` (as the prover sees them, public-input copies not
/// included).
pub fn constraint_count(circuit: CircuitId) -> Result<usize, ZkError> {
    Ok(Shape::of(circuit)?.num_constraints)
}

/// The constraint system of a circuit, independent of any assignment: what the prover needs
/// besides the key and the values. Computed once per proving key, since laying out the circuit
/// (arkworks inlines every symbolic linear combination) costs more than evaluating it.
#[derive(Clone)]
pub(crate) struct Shape {
    /// The R1CS matrices A, B, C, row per constraint.
    pub(crate) matrices: Vec<Matrix<Fr>>,
    /// Instance variables, the constant `1` included.
    pub(crate) num_instance_variables: usize,
    pub(crate) num_witness_variables: usize,
    pub(crate) num_constraints: usize,
}

impl Shape {
    fn of(circuit: CircuitId) -> Result<Self, ZkError> {
        let cs = ConstraintSystem::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        circuit.synthesize(cs.clone())?;
        cs.finalize();
        let matrices = cs
            .to_matrices()?
            .remove(R1CS_PREDICATE_LABEL)
            .filter(|m| m.len() == 3)
            .ok_or(ZkError::KeyMismatch(circuit))?;
        Ok(Self {
            matrices,
            num_instance_variables: cs.num_instance_variables(),
            num_witness_variables: cs.num_witness_variables(),
            num_constraints: cs.num_constraints(),
        })
    }
}

fn header(kind: Kind, circuit: CircuitId) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&[FORMAT_VERSION, kind as u8, circuit as u8]);
    out
}

/// Check the header of a key file of `kind`; returns the circuit and the body.
fn parse_header(bytes: &[u8], kind: Kind) -> Result<(CircuitId, &[u8]), ZkError> {
    if bytes.len() < HEADER_LEN || &bytes[..4] != MAGIC {
        return Err(ZkError::MalformedKey("not a medshare key file"));
    }
    if bytes[4] != FORMAT_VERSION {
        return Err(ZkError::MalformedKey("unsupported key format version"));
    }
    if bytes[5] != kind as u8 {
        return Err(ZkError::MalformedKey(match kind {
            Kind::Proving => "not a proving key",
            Kind::Verifying => "not a verifying key",
        }));
    }
    let circuit = CircuitId::from_id(bytes[6]).ok_or(ZkError::MalformedKey("unknown circuit"))?;
    Ok((circuit, &bytes[HEADER_LEN..]))
}

/// Deserialize exactly the whole of `body`, validating every point.
fn deserialize<T: CanonicalDeserialize>(body: &[u8], compress: Compress) -> Result<T, ZkError> {
    let mut reader = body;
    let value = T::deserialize_with_mode(&mut reader, compress, Validate::Yes)
        .map_err(|_| ZkError::MalformedKey("invalid key encoding"))?;
    if !reader.is_empty() {
        return Err(ZkError::MalformedKey("trailing bytes"));
    }
    Ok(value)
}

fn serialize(value: &impl CanonicalSerialize, compress: Compress, out: &mut Vec<u8>) {
    value
        .serialize_with_mode(out, compress)
        .expect("writing to a Vec cannot fail");
}

fn read_file(path: &Path) -> Result<Vec<u8>, ZkError> {
    std::fs::read(path).map_err(|source| ZkError::Io {
        path: path.to_owned(),
        source,
    })
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ZkError> {
    std::fs::write(path, bytes).map_err(|source| ZkError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Reject verifying keys that would accept proofs of false statements or do not fit `circuit`:
/// `gamma = delta` (a classic forgery: then `C` can absorb the public-input term), identity or
/// generator points (a trapdoor of 0 or 1), and a wrong number of public inputs. An identity
/// input point would leave that input unbound by the proof.
fn check_sane(
    circuit: CircuitId,
    vk: &ark_groth16::VerifyingKey<Bls12_381>,
) -> Result<(), ZkError> {
    if vk.gamma_abc_g1.len() != circuit.num_public_inputs() + 1 {
        return Err(ZkError::DegenerateKey(
            "wrong number of public inputs for the circuit",
        ));
    }
    let bad_g1 = |p: &G1Affine| p.is_zero() || *p == G1Affine::generator();
    let bad_g2 = |p: &G2Affine| p.is_zero() || *p == G2Affine::generator();
    if bad_g1(&vk.alpha_g1) || bad_g2(&vk.beta_g2) || bad_g2(&vk.gamma_g2) || bad_g2(&vk.delta_g2) {
        return Err(ZkError::DegenerateKey(
            "alpha, beta, gamma or delta is the identity or the generator",
        ));
    }
    if vk.gamma_g2 == vk.delta_g2 {
        return Err(ZkError::DegenerateKey("gamma = delta"));
    }
    if vk.gamma_abc_g1.iter().any(bad_g1) {
        return Err(ZkError::DegenerateKey(
            "a public-input point is the identity or the generator",
        ));
    }
    Ok(())
}

/// The key a client proves with. Large (megabytes); secret-free.
#[derive(Clone)]
pub struct ProvingKey {
    circuit: CircuitId,
    pub(crate) inner: ark_groth16::ProvingKey<Bls12_381>,
    pub(crate) shape: Arc<Shape>,
}

impl ProvingKey {
    /// Pair an arkworks key with its circuit, checking that the key's queries fit it.
    fn new(circuit: CircuitId, inner: ark_groth16::ProvingKey<Bls12_381>) -> Result<Self, ZkError> {
        check_sane(circuit, &inner.vk)?;
        let shape = Shape::of(circuit)?;
        // One A, B (G1 and G2) query point per variable, an L point per witness variable, an
        // input point per instance variable, an H point per power below the domain size.
        let variables = shape.num_instance_variables + shape.num_witness_variables;
        let domain = (shape.num_constraints + shape.num_instance_variables).next_power_of_two();
        if inner.a_query.len() != variables
            || inner.b_g1_query.len() != variables
            || inner.b_g2_query.len() != variables
            || inner.l_query.len() != shape.num_witness_variables
            || inner.vk.gamma_abc_g1.len() != shape.num_instance_variables
            || inner.h_query.len() != domain - 1
        {
            return Err(ZkError::KeyMismatch(circuit));
        }
        Ok(Self {
            circuit,
            inner,
            shape: Arc::new(shape),
        })
    }

    /// The circuit this key proves.
    pub fn circuit(&self) -> CircuitId {
        self.circuit
    }

    /// The verifying key generated with it.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey {
            circuit: self.circuit,
            inner: self.inner.vk.clone(),
        }
    }

    /// The key file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = header(Kind::Proving, self.circuit);
        serialize(&self.inner, Compress::No, &mut out);
        out
    }

    /// Decode and validate a key file's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ZkError> {
        let (circuit, body) = parse_header(bytes, Kind::Proving)?;
        Self::new(circuit, deserialize(body, Compress::No)?)
    }

    /// Write the key file.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), ZkError> {
        write_file(path.as_ref(), &self.to_bytes())
    }

    /// Read and validate a key file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, ZkError> {
        Self::from_bytes(&read_file(path.as_ref())?)
    }
}

impl std::fmt::Debug for ProvingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProvingKey({})", self.circuit)
    }
}

/// The key validators verify with; its digest goes into genesis. Always sane (see
/// [`VerifyingKey::new`]).
#[derive(Clone, PartialEq)]
pub struct VerifyingKey {
    circuit: CircuitId,
    inner: ark_groth16::VerifyingKey<Bls12_381>,
}

impl VerifyingKey {
    /// Wrap an arkworks key for `circuit`, refusing degenerate ones.
    pub fn new(
        circuit: CircuitId,
        inner: ark_groth16::VerifyingKey<Bls12_381>,
    ) -> Result<Self, ZkError> {
        check_sane(circuit, &inner)?;
        Ok(Self { circuit, inner })
    }

    /// The circuit this key verifies.
    pub fn circuit(&self) -> CircuitId {
        self.circuit
    }

    /// The arkworks key.
    pub fn inner(&self) -> &ark_groth16::VerifyingKey<Bls12_381> {
        &self.inner
    }

    /// Precompute what every verification needs (`e(α, β)`, prepared `-γ`, `-δ`).
    pub fn prepare(&self) -> PreparedVerifyingKey {
        PreparedVerifyingKey::new(self.circuit, &self.inner)
    }

    /// The key file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = header(Kind::Verifying, self.circuit);
        serialize(&self.inner, Compress::Yes, &mut out);
        out
    }

    /// Decode and validate a key file's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ZkError> {
        let (circuit, body) = parse_header(bytes, Kind::Verifying)?;
        Self::new(circuit, deserialize(body, Compress::Yes)?)
    }

    /// SHA-256 of the key file's bytes: what the genesis file pins.
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.to_bytes()).into()
    }

    /// Write the key file.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), ZkError> {
        write_file(path.as_ref(), &self.to_bytes())
    }

    /// Read and validate a key file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, ZkError> {
        Self::from_bytes(&read_file(path.as_ref())?)
    }
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "VerifyingKey({}, {})",
            self.circuit,
            hex::encode(self.digest())
        )
    }
}
