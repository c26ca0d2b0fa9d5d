//! In-circuit counterparts of `medshare_crypto::{poseidon, merkle}`.
//!
//! Each gadget computes exactly what its native twin computes (the tests run both on the published
//! vectors), so a statement built natively by a client is the statement the circuit proves.

use ark_crypto_primitives::sponge::constraints::CryptographicSpongeVar;
use ark_crypto_primitives::sponge::poseidon::constraints::PoseidonSpongeVar;
use ark_r1cs_std::GR1CSVar;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use medshare_crypto::merkle::{ARITY, DEPTH, MerklePath};
use medshare_crypto::poseidon::{Domain, Fr};

/// `H_d(inputs)` in the circuit: arkworks' Poseidon sponge gadget with the capacity element set
/// to the domain tag, as in `medshare_crypto::poseidon::hash`. Constants cost nothing (the tag,
/// zero padding in the first round): `pk` is 237 constraints, a width-5 hash of four is 297.
pub fn hash(
    cs: ConstraintSystemRef<Fr>,
    domain: Domain,
    inputs: &[FpVar<Fr>],
) -> Result<FpVar<Fr>, SynthesisError> {
    let mut sponge = PoseidonSpongeVar::new(cs, domain.width().config());
    sponge.state[0] = FpVar::constant(domain.capacity_tag(inputs.len()));
    sponge.absorb(&inputs)?;
    let mut out = sponge.squeeze_field_elements(1)?;
    Ok(out.remove(0))
}

/// The private Merkle path of a circuit: per level the three siblings and the two bits of the
/// node's slot (the base-4 digit of the leaf position), all witnesses.
pub struct PathVar {
    levels: Vec<LevelVar>,
}

struct LevelVar {
    siblings: [FpVar<Fr>; ARITY - 1],
    /// Low and high bit of the slot.
    slot_bits: [Boolean<Fr>; 2],
}

impl PathVar {
    /// Allocate the path as witnesses; `None` during setup.
    pub fn new_witness(
        cs: ConstraintSystemRef<Fr>,
        path: Option<&MerklePath>,
    ) -> Result<Self, SynthesisError> {
        let levels = (0..DEPTH)
            .map(|h| {
                let sibling = |k: usize| {
                    FpVar::new_witness(cs.clone(), || {
                        path.map(|p| p.siblings()[h][k])
                            .ok_or(SynthesisError::AssignmentMissing)
                    })
                };
                // Allocating a Boolean adds its `b * (1 - b) = 0` constraint.
                let bit = |i: usize| {
                    Boolean::new_witness(cs.clone(), || {
                        path.map(|p| (p.slot(h) >> i) & 1 == 1)
                            .ok_or(SynthesisError::AssignmentMissing)
                    })
                };
                Ok(LevelVar {
                    siblings: [sibling(0)?, sibling(1)?, sibling(2)?],
                    slot_bits: [bit(0)?, bit(1)?],
                })
            })
            .collect::<Result<_, SynthesisError>>()?;
        Ok(Self { levels })
    }

    /// The root reached from `leaf`: at each level, place the node at its slot among the
    /// siblings and hash the four children (297 + 7 constraints per level).
    pub fn root_for(
        &self,
        cs: ConstraintSystemRef<Fr>,
        leaf: &FpVar<Fr>,
    ) -> Result<FpVar<Fr>, SynthesisError> {
        let mut node = leaf.clone();
        for level in &self.levels {
            let children = level.place(&node)?;
            node = hash(cs.clone(), Domain::Node, &children)?;
        }
        Ok(node)
    }
}

impl LevelVar {
    /// The four children with `node` at slot `d = b0 + 2·b1` and the siblings, in order, in the
    /// other slots. With the indicators `g1 = [d ≥ 1] = b0 + b1 - b0·b1`, `g2 = [d ≥ 2] = b1`,
    /// `g3 = [d = 3] = b0·b1`:
    /// `c0 = g1 ? s0 : n`, `c1 = g2 ? s1 : (g1 ? n : s0)`, `c2 = g3 ? s2 : (g2 ? n : s1)`, and
    /// `c3` is what is left of `n + s0 + s1 + s2`. Five products (`g3` and four selections).
    fn place(&self, node: &FpVar<Fr>) -> Result<[FpVar<Fr>; ARITY], SynthesisError> {
        let [s0, s1, s2] = &self.siblings;
        let [b0, b1] = &self.slot_bits;
        let g3 = FpVar::from(b0 & b1);
        let g2 = FpVar::from(b1.clone());
        let g1 = FpVar::from(b0.clone()) + &g2 - &g3;

        let c0 = node + (s0 - node) * &g1;
        let n_or_s0 = node + s0 - &c0;
        let c1 = &n_or_s0 + (s1 - &n_or_s0) * &g2;
        let n_or_s1 = s1 + (node - s1) * &g2;
        let c2 = &n_or_s1 + (s2 - &n_or_s1) * &g3;
        let c3 = node + s0 + s1 + s2 - &c0 - &c1 - &c2;
        Ok([c0, c1, c2, c3])
    }
}

/// Allocate `binding` as a public input and put it in a constraint (`binding² = witness`).
///
/// `binding` takes no part in the relation; it is public only so that a proof cannot be moved to
/// another transaction (docs/design.md). A Groth16 input that appears in no constraint can have an
/// identity verifying-key point, and then nothing ties the proof to its value. arkworks' R1CS to
/// QAP reduction happens to add a copy row per input, which already prevents that; this
/// constraint makes the binding explicit instead of relying on it, and the verifying-key checks
/// refuse identity input points from any setup.
pub fn binding_input(
    cs: ConstraintSystemRef<Fr>,
    binding: Option<Fr>,
) -> Result<(), SynthesisError> {
    let binding = FpVar::new_input(cs.clone(), || {
        binding.ok_or(SynthesisError::AssignmentMissing)
    })?;
    let square = FpVar::new_witness(cs, || binding.value().map(|b| b * b))?;
    binding.mul_equals(&binding, &square)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::PrimeField;
    use ark_r1cs_std::eq::EqGadget;
    use ark_relations::gr1cs::ConstraintSystem;
    use medshare_crypto::merkle::CommitmentTree;
    use medshare_crypto::poseidon;
    use serde_json::Value;

    const VECTORS: &str = include_str!("../../crypto/tests/vectors/poseidon.json");

    fn parse_fr(hex_be: &str) -> Fr {
        let bytes = hex::decode(hex_be.trim_start_matches("0x")).unwrap();
        Fr::from_be_bytes_mod_order(&bytes)
    }

    fn domain(name: &str) -> Domain {
        *Domain::ALL.iter().find(|d| d.name() == name).unwrap()
    }

    /// Every published `hash` vector, recomputed by the gadget over witnesses.
    #[test]
    fn gadget_matches_published_vectors() {
        let vectors: Value = serde_json::from_str(VECTORS).unwrap();
        let cases = vectors["hash"].as_array().unwrap();
        assert!(cases.len() >= 5);
        for case in cases {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let inputs: Vec<FpVar<Fr>> = case["inputs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| FpVar::new_witness(cs.clone(), || Ok(parse_fr(x.as_str().unwrap()))))
                .collect::<Result<_, _>>()
                .unwrap();
            let out = hash(
                cs.clone(),
                domain(case["domain"].as_str().unwrap()),
                &inputs,
            )
            .unwrap();
            let expected = parse_fr(case["output"].as_str().unwrap());
            assert_eq!(out.value().unwrap(), expected, "{case}");
            // The value is not just computed but enforced: pinning the output to it satisfies
            // the system, pinning it to anything else does not.
            out.enforce_equal(&FpVar::new_input(cs.clone(), || Ok(expected)).unwrap())
                .unwrap();
            assert!(cs.is_satisfied().unwrap());
        }
    }

    #[test]
    fn gadget_hash_is_enforced() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let x = FpVar::new_witness(cs.clone(), || Ok(Fr::from(5u8))).unwrap();
        let out = hash(cs.clone(), Domain::Pk, &[x]).unwrap();
        let wrong = poseidon::hash(Domain::Pk, &[Fr::from(6u8)]);
        out.enforce_equal(&FpVar::new_input(cs.clone(), || Ok(wrong)).unwrap())
            .unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }

    #[test]
    fn constraint_counts_per_hash() {
        for (domain, arity, expected) in [(Domain::Pk, 1, 237), (Domain::Node, 4, 297)] {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let inputs: Vec<_> = (0..arity)
                .map(|i| FpVar::new_witness(cs.clone(), || Ok(Fr::from(i as u64))).unwrap())
                .collect();
            let _ = hash(cs.clone(), domain, &inputs).unwrap();
            assert_eq!(cs.num_constraints(), expected, "{domain:?}");
        }
    }

    #[test]
    fn path_gadget_matches_native_root() {
        let mut tree = CommitmentTree::new(1).unwrap();
        let leaves: Vec<Fr> = (0..23u64).map(|i| Fr::from(i + 10)).collect();
        tree.extend(&leaves).unwrap();
        for position in [0, 1, 6, 11, 15, 22] {
            let path = tree.path(position).unwrap();
            let cs = ConstraintSystem::<Fr>::new_ref();
            let leaf = FpVar::new_witness(cs.clone(), || Ok(leaves[position as usize])).unwrap();
            let path_var = PathVar::new_witness(cs.clone(), Some(&path)).unwrap();
            let root = path_var.root_for(cs.clone(), &leaf).unwrap();
            assert_eq!(root.value().unwrap(), tree.root());
            assert!(cs.is_satisfied().unwrap());
        }
    }
}
