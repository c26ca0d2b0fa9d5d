//! Verification: one proof, or many of one circuit at once.

use crate::circuits::{CircuitId, Statement};
use crate::error::ZkError;
use crate::proof::Proof;
use ark_bls12_381::{Bls12_381, Fq12, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::{Pairing, PairingOutput};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{AdditiveGroup, Field};
use rand::{CryptoRng, Rng, RngCore};

type G2Prepared = <Bls12_381 as Pairing>::G2Prepared;

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
        self.verify_inputs(&statement.public_inputs(), proof)
    }

    /// [`Self::verify`] for the public inputs of a statement of this key's circuit, already laid
    /// out (the state machine keeps claims of every circuit in one list).
    pub fn verify_inputs(&self, inputs: &[Fr], proof: &Proof) -> Result<(), ZkError> {
        let ic = self.input_commitment(&self.scalars(inputs, Fr::ONE)?);
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
    let inputs: Vec<Vec<Fr>> = items.iter().map(|(s, _)| s.public_inputs()).collect();
    let items: Vec<(&[Fr], &Proof)> = inputs
        .iter()
        .zip(items)
        .map(|(inputs, (_, proof))| (inputs.as_slice(), proof))
        .collect();
    batch_verify_inputs(pvk, &items, rng)
}

/// [`batch_verify`] for public inputs already laid out, each of a statement of `pvk`'s circuit.
pub fn batch_verify_inputs<R: RngCore + CryptoRng>(
    pvk: &PreparedVerifyingKey,
    items: &[(&[Fr], &Proof)],
    rng: &mut R,
) -> Result<(), ZkError> {
    if items.is_empty() {
        return Ok(());
    }
    let mut input_scalars = vec![Fr::ZERO; pvk.gamma_abc_g1.len()];
    let mut weights = Vec::with_capacity(items.len());
    let mut weighted_a = Vec::with_capacity(items.len());
    let mut cs = Vec::with_capacity(items.len());
    let mut bs = Vec::with_capacity(items.len() + 2);
    for (inputs, proof) in items {
        let r = Fr::from(rng.r#gen::<u128>());
        for (sum, term) in input_scalars.iter_mut().zip(pvk.scalars(inputs, r)?) {
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
