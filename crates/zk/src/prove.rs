//! Proving: the one phase that runs on the client.

use crate::circuits::{Circuit, Statement};
use crate::error::ZkError;
use crate::keys::ProvingKey;
use crate::msm::msm;
use crate::proof::Proof;
use ark_bls12_381::{Bls12_381, Fr};
use ark_ec::CurveGroup;
use ark_ff::PrimeField;
use ark_ff::UniformRand;
use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP, evaluate_constraint};
use ark_poly::GeneralEvaluationDomain;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, SynthesisMode,
};
use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CircuitId, RegistrationWitness, setup};
    use ark_groth16::Groth16;
    use ark_relations::gr1cs::ConstraintSystem;
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
