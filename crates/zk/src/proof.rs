//! Proofs: prove, encode, verify one, verify many at once.

use crate::circuits::{Circuit, Statement};
use crate::keys::ProvingKey;
use crate::msm::msm;
use crate::{CircuitId, ZkError};
use ark_bls12_381::{Bls12_381, Fq12, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::{Pairing, PairingOutput};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::PrimeField;
use ark_ff::{AdditiveGroup, Field, UniformRand};
use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP, evaluate_constraint};
use ark_poly::GeneralEvaluationDomain;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, SynthesisMode,
};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use rand::{CryptoRng, Rng, RngCore};
use zeroize::Zeroizing;

type G2Prepared = <Bls12_381 as Pairing>::G2Prepared;

/// A Groth16 proof: `A`, `C` in G1 and `B` in G2.
#[derive(Clone, Debug, PartialEq)]
pub struct Proof(ark_groth16::Proof<Bls12_381>);

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

/// Prove `statement` with `witness`. Fails with [`ZkError::Unsatisfied`] if the witness does not
/// satisfy the statement, rather than returning a proof that cannot verify. Single-threaded.
pub fn prove<S: Statement, R: RngCore + CryptoRng>(
    pk: &ProvingKey,
    statement: &S,
    witness: &S::Witness,
    rng: &mut R,
) -> Result<Proof, ZkError> {
    if pk.circuit() != S::CIRCUIT {
        return Err(ZkError::WrongCircuit {
            expected: S::CIRCUIT,
            found: pk.circuit(),
        });
    }
    // Only the values are computed here: the constraints themselves are laid out once per key
    // (`Shape`), so no symbolic linear combination is built or inlined per proof.
    let cs = ConstraintSystem::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: false,
        generate_lc_assignments: false,
    });
    Circuit(Some((statement, witness))).generate_constraints(cs.clone())?;
    let shape = &pk.shape;
    let assignment = Zeroizing::new([cs.instance_assignment()?, cs.witness_assignment()?].concat());
    if cs.num_instance_variables() != shape.num_instance_variables
        || cs.num_witness_variables() != shape.num_witness_variables
    {
        return Err(ZkError::KeyMismatch(S::CIRCUIT));
    }
    // arkworks' prover only debug-asserts this, and would panic in tests.
    if !satisfied(&shape.matrices, &assignment) {
        return Err(ZkError::Unsatisfied);
    }
    let (r, s) = (Fr::rand(rng), Fr::rand(rng));
    Ok(Proof(groth16(pk, &assignment, r, s)?))
}

/// Groth16's prover (arkworks' `create_proof_with_reduction_and_matrices`, with [`msm`] for its
/// five multi-scalar multiplications): with `z` the assignment and `h` the quotient polynomial,
/// `A = α + Σ z_i·a_i + r·δ`, `B = β + Σ z_i·b_i + s·δ` (in G2, and in G1 for `C`),
/// `C = s·A + r·B - r·s·δ + Σ_witness z_i·l_i + Σ h_i·h_query_i`.
fn groth16(
    pk: &ProvingKey,
    assignment: &[Fr],
    r: Fr,
    s: Fr,
) -> Result<ark_groth16::Proof<Bls12_381>, ZkError> {
    let (shape, key) = (&pk.shape, &pk.inner);
    let h = LibsnarkReduction::witness_map_from_matrices::<Fr, GeneralEvaluationDomain<Fr>>(
        &shape.matrices,
        shape.num_instance_variables,
        shape.num_constraints,
        assignment,
    )?;
    let bigints = |values: &[Fr]| values.iter().map(|v| v.into_bigint()).collect::<Vec<_>>();
    // Every variable but the constant 1, whose query points are added as they are. Witness
    // values: wiped when dropped.
    let z = Zeroizing::new(bigints(&assignment[1..]));
    let witness = &z[shape.num_instance_variables - 1..];

    let a = key.vk.alpha_g1 + key.a_query[0] + msm(&key.a_query[1..], &z) + key.delta_g1 * r;
    let b_g1 = key.beta_g1 + key.b_g1_query[0] + msm(&key.b_g1_query[1..], &z) + key.delta_g1 * s;
    let b_g2 =
        key.vk.beta_g2 + key.b_g2_query[0] + msm(&key.b_g2_query[1..], &z) + key.vk.delta_g2 * s;
    let c = a * s + b_g1 * r - key.delta_g1 * (r * s)
        + msm(&key.l_query, witness)
        + msm(&key.h_query, &bigints(&h));
    Ok(ark_groth16::Proof {
        a: a.into_affine(),
        b: b_g2.into_affine(),
        c: c.into_affine(),
    })
}

/// Whether `assignment` satisfies every R1CS row `<A, z> * <B, z> = <C, z>`.
fn satisfied(matrices: &[Matrix<Fr>], assignment: &[Fr]) -> bool {
    let [a, b, c] = matrices else {
        return false;
    };
    a.iter().zip(b).zip(c).all(|((a, b), c)| {
        evaluate_constraint(a, assignment) * evaluate_constraint(b, assignment)
            == evaluate_constraint(c, assignment)
    })
}

/// A verifying key ready for verification: `e(α, β)` and the prepared `-γ`, `-δ`. Immutable,
/// `Send + Sync`: share one per circuit across all verification workers.
#[derive(Clone)]
pub struct PreparedVerifyingKey {
    circuit: CircuitId,
    gamma_abc_g1: Vec<G1Affine>,
    alpha_g1_beta_g2: Fq12,
    gamma_g2_neg: G2Prepared,
    delta_g2_neg: G2Prepared,
}

impl PreparedVerifyingKey {
    pub(crate) fn new(circuit: CircuitId, vk: &ark_groth16::VerifyingKey<Bls12_381>) -> Self {
        let neg = |p: G2Affine| G2Prepared::from((-p.into_group()).into_affine());
        Self {
            circuit,
            gamma_abc_g1: vk.gamma_abc_g1.clone(),
            alpha_g1_beta_g2: Bls12_381::pairing(vk.alpha_g1, vk.beta_g2).0,
            gamma_g2_neg: neg(vk.gamma_g2),
            delta_g2_neg: neg(vk.delta_g2),
        }
    }

    /// The circuit this key verifies.
    pub fn circuit(&self) -> CircuitId {
        self.circuit
    }

    /// Verify one proof: `e(A, B) · e(IC, -γ) · e(C, -δ) = e(α, β)` with
    /// `IC = Σ x_i · [γ_abc]_i` (one multi-Miller loop, one final exponentiation).
    pub fn verify<S: Statement>(&self, statement: &S, proof: &Proof) -> Result<(), ZkError> {
        self.check_circuit::<S>()?;
        let ic = self.input_commitment(&self.scalars(&statement.public_inputs(), Fr::ONE)?);
        let proof = &proof.0;
        self.pairing_check(
            vec![proof.a, ic.into_affine(), proof.c],
            vec![G2Prepared::from(proof.b)],
            PairingOutput(self.alpha_g1_beta_g2),
        )
    }

    fn check_circuit<S: Statement>(&self) -> Result<(), ZkError> {
        if S::CIRCUIT == self.circuit {
            Ok(())
        } else {
            Err(ZkError::WrongCircuit {
                expected: S::CIRCUIT,
                found: self.circuit,
            })
        }
    }

    /// `[r, r·x_1, .., r·x_n]`: the multipliers of the input points for public inputs `x`
    /// weighted by `r`.
    fn scalars(&self, inputs: &[Fr], r: Fr) -> Result<Vec<Fr>, ZkError> {
        if inputs.len() + 1 != self.gamma_abc_g1.len() {
            return Err(ZkError::DegenerateKey(
                "wrong number of public inputs for the circuit",
            ));
        }
        Ok(std::iter::once(r)
            .chain(inputs.iter().map(|x| r * x))
            .collect())
    }

    fn input_commitment(&self, scalars: &[Fr]) -> G1Projective {
        G1Projective::msm_unchecked(&self.gamma_abc_g1, scalars)
    }

    /// `Π e(g1_i, g2_i) · e(g1_{n}, -γ) · e(g1_{n+1}, -δ) = expected`, where the last two G1
    /// points pair with the key's prepared `-γ` and `-δ`.
    fn pairing_check(
        &self,
        g1: Vec<G1Affine>,
        mut g2: Vec<G2Prepared>,
        expected: PairingOutput<Bls12_381>,
    ) -> Result<(), ZkError> {
        g2.push(self.gamma_g2_neg.clone());
        g2.push(self.delta_g2_neg.clone());
        let miller = Bls12_381::multi_miller_loop(g1, g2);
        match Bls12_381::final_exponentiation(miller) {
            Some(result) if result == expected => Ok(()),
            _ => Err(ZkError::InvalidProof),
        }
    }
}

/// Verify many proofs of one circuit at once, by a random linear combination: with independent
/// 128-bit `r_i`,
/// `Π e(r_i·A_i, B_i) · e(Σ r_i·IC_i, -γ) · e(Σ r_i·C_i, -δ) = e(α, β)^(Σ r_i)`,
/// one multi-Miller loop over `n + 2` pairs and one final exponentiation. A batch with any
/// invalid proof fails except with probability about 2^-128; it does not say which proof is bad
/// (verify them one by one to find out). An empty batch verifies.
pub fn batch_verify<S: Statement, R: RngCore + CryptoRng>(
    pvk: &PreparedVerifyingKey,
    items: &[(S, Proof)],
    rng: &mut R,
) -> Result<(), ZkError> {
    pvk.check_circuit::<S>()?;
    if items.is_empty() {
        return Ok(());
    }
    let mut input_scalars = vec![Fr::ZERO; pvk.gamma_abc_g1.len()];
    let mut weights = Vec::with_capacity(items.len());
    let mut weighted_a = Vec::with_capacity(items.len());
    let mut cs = Vec::with_capacity(items.len());
    let mut bs = Vec::with_capacity(items.len() + 2);
    for (statement, proof) in items {
        let r = Fr::from(rng.r#gen::<u128>());
        for (sum, term) in input_scalars
            .iter_mut()
            .zip(pvk.scalars(&statement.public_inputs(), r)?)
        {
            *sum += term;
        }
        weighted_a.push(proof.0.a * r);
        bs.push(G2Prepared::from(proof.0.b));
        cs.push(proof.0.c);
        weights.push(r);
    }
    let weight_sum = input_scalars[0];
    let mut g1 = G1Projective::normalize_batch(&weighted_a);
    g1.push(pvk.input_commitment(&input_scalars).into_affine());
    g1.push(G1Projective::msm_unchecked(&cs, &weights).into_affine());
    pvk.pairing_check(g1, bs, PairingOutput(pvk.alpha_g1_beta_g2) * weight_sum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CircuitId, RegistrationWitness, setup};
    use ark_groth16::Groth16;
    use medshare_crypto::poseidon::{Salt, SecretKey};
    use rand::SeedableRng;

    /// Our prover computes exactly arkworks' proof for the same randomness.
    #[test]
    fn prover_equals_arkworks() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let (pk, _) = setup(CircuitId::Registration, &mut rng).unwrap();
        let witness = RegistrationWitness {
            sk_a: SecretKey::random(&mut rng),
            salt: Salt::random(&mut rng),
        };
        let statement = witness.statement(Fr::from(5u8), Fr::from(6u8));
        let cs = ConstraintSystem::new_ref();
        cs.set_mode(SynthesisMode::Prove {
            construct_matrices: false,
            generate_lc_assignments: false,
        });
        Circuit(Some((&statement, &witness)))
            .generate_constraints(cs.clone())
            .unwrap();
        let assignment = [
            cs.instance_assignment().unwrap(),
            cs.witness_assignment().unwrap(),
        ]
        .concat();
        let (r, s) = (Fr::from(11u8), Fr::from(13u8));
        let ours = groth16(&pk, &assignment, r, s).unwrap();
        let theirs = Groth16::<Bls12_381>::create_proof_with_reduction_and_matrices(
            &pk.inner,
            r,
            s,
            &pk.shape.matrices,
            pk.shape.num_instance_variables,
            pk.shape.num_constraints,
            &assignment,
        )
        .unwrap();
        assert_eq!(ours, theirs);
    }
}
