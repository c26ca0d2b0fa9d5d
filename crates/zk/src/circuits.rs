//! The three relations of seed 000's sharing mechanism (§IV, Algorithms 1, 3 and 5), as docs/design.md
//! states them, and the withdrawal of rewards paid to a pseudonym, each a typed statement (public
//! inputs) and witness (private inputs).
//!
//! Every circuit also takes the public `binding = H_bind(transaction)` (docs/design.md, "departures"),
//! which ties the proof to the one transaction it was made for.

use crate::gadgets::{PathVar, binding_input, hash};
use ark_bls12_381::Bls12_381;
use ark_groth16::Groth16;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use medshare_crypto::merkle::MerklePath;
use medshare_crypto::poseidon::{
    Domain, Fr, Salt, SecretKey, authorization_commitment, registration_commitment,
};
use rand::{CryptoRng, RngCore};
use std::fmt;

mod sealed {
    pub trait Sealed {}
}

/// The public inputs of one of the circuits. Sealed: the statements below are the only ones.
pub trait Statement: sealed::Sealed + Clone + std::fmt::Debug + Send + Sync {
    /// The private inputs that prove this statement.
    type Witness: Send + Sync;
    /// The circuit that proves it.
    const CIRCUIT: CircuitId;
    /// Public inputs, in the order the circuit allocates them.
    fn public_inputs(&self) -> Vec<Fr>;
    /// Lay out the circuit's constraints; with an assignment, also its values. Internal: the
    /// prover and the setup call it.
    #[doc(hidden)]
    fn synthesize(
        cs: ConstraintSystemRef<Fr>,
        assignment: Option<(&Self, &Self::Witness)>,
    ) -> Result<(), SynthesisError>;
}

/// arkworks' view of a circuit: a statement type and, when proving, its assignment.
pub(crate) struct Circuit<'a, S: Statement>(pub(crate) Option<(&'a S, &'a S::Witness)>);

impl<S: Statement> ConstraintSynthesizer<Fr> for Circuit<'_, S> {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        S::synthesize(cs, self.0)
    }
}

fn input(cs: &ConstraintSystemRef<Fr>, value: Option<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    FpVar::new_input(cs.clone(), || {
        value.ok_or(SynthesisError::AssignmentMissing)
    })
}

fn witness(cs: &ConstraintSystemRef<Fr>, value: Option<&Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    FpVar::new_witness(cs.clone(), || {
        value.copied().ok_or(SynthesisError::AssignmentMissing)
    })
}

/// Registration (seed 000 Alg. 1): "I know `sk_A` behind `pk_A` and the salt `σ` of
/// `re = H_reg(α, pk_A, σ)`".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegistrationStatement {
    pub pk_a: Fr,
    pub re: Fr,
    pub alpha: Fr,
    pub binding: Fr,
}

/// Private inputs of a registration.
#[derive(Clone, Debug)]
pub struct RegistrationWitness {
    pub sk_a: SecretKey,
    pub salt: Salt,
}

impl RegistrationWitness {
    /// The statement this witness proves for MDA `alpha` in a transaction hashing to `binding`.
    pub fn statement(&self, alpha: Fr, binding: Fr) -> RegistrationStatement {
        let pk_a = self.sk_a.public_key();
        RegistrationStatement {
            pk_a,
            re: registration_commitment(alpha, pk_a, &self.salt),
            alpha,
            binding,
        }
    }
}

impl sealed::Sealed for RegistrationStatement {}

impl Statement for RegistrationStatement {
    type Witness = RegistrationWitness;
    const CIRCUIT: CircuitId = CircuitId::Registration;

    fn public_inputs(&self) -> Vec<Fr> {
        vec![self.pk_a, self.re, self.alpha, self.binding]
    }

    fn synthesize(
        cs: ConstraintSystemRef<Fr>,
        assignment: Option<(&Self, &Self::Witness)>,
    ) -> Result<(), SynthesisError> {
        let (s, w) = (assignment.map(|a| a.0), assignment.map(|a| a.1));
        let pk_a = input(&cs, s.map(|s| s.pk_a))?;
        let re = input(&cs, s.map(|s| s.re))?;
        let alpha = input(&cs, s.map(|s| s.alpha))?;
        binding_input(cs.clone(), s.map(|s| s.binding))?;
        let sk_a = witness(&cs, w.map(|w| w.sk_a.expose_secret()))?;
        let salt = witness(&cs, w.map(|w| w.salt.expose_secret()))?;

        hash(cs.clone(), Domain::Pk, &[sk_a])?.enforce_equal(&pk_a)?;
        hash(cs, Domain::Reg, &[alpha, pk_a, salt])?.enforce_equal(&re)
    }
}

/// Authorization (seed 000 Alg. 3): "I own a registration of α under `pk_A` in the tree with
/// root `root`, and `re_auth = H_auth(α, pk_A, pk_H, σ')`".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthorizationStatement {
    pub pk_a: Fr,
    pub pk_h: Fr,
    /// A recent root of the registration tree.
    pub root: Fr,
    pub alpha: Fr,
    pub re_auth: Fr,
    pub binding: Fr,
}

/// Private inputs of an authorization.
#[derive(Clone, Debug)]
pub struct AuthorizationWitness {
    pub sk_a: SecretKey,
    /// `σ` of the registration.
    pub salt: Salt,
    /// `σ'` of the new authorization.
    pub salt_auth: Salt,
    /// Path of `re` in the registration tree.
    pub path: MerklePath,
}

impl AuthorizationWitness {
    /// The statement this witness proves: authorizing `pk_h` to MDA `alpha`, against the root
    /// the path leads to, in a transaction hashing to `binding`.
    pub fn statement(&self, alpha: Fr, pk_h: Fr, binding: Fr) -> AuthorizationStatement {
        let pk_a = self.sk_a.public_key();
        let re = registration_commitment(alpha, pk_a, &self.salt);
        AuthorizationStatement {
            pk_a,
            pk_h,
            root: self.path.root_for(re),
            alpha,
            re_auth: authorization_commitment(alpha, pk_a, pk_h, &self.salt_auth),
            binding,
        }
    }
}

impl sealed::Sealed for AuthorizationStatement {}

impl Statement for AuthorizationStatement {
    type Witness = AuthorizationWitness;
    const CIRCUIT: CircuitId = CircuitId::Authorization;

    fn public_inputs(&self) -> Vec<Fr> {
        vec![
            self.pk_a,
            self.pk_h,
            self.root,
            self.alpha,
            self.re_auth,
            self.binding,
        ]
    }

    fn synthesize(
        cs: ConstraintSystemRef<Fr>,
        assignment: Option<(&Self, &Self::Witness)>,
    ) -> Result<(), SynthesisError> {
        let (s, w) = (assignment.map(|a| a.0), assignment.map(|a| a.1));
        let pk_a = input(&cs, s.map(|s| s.pk_a))?;
        let pk_h = input(&cs, s.map(|s| s.pk_h))?;
        let root = input(&cs, s.map(|s| s.root))?;
        let alpha = input(&cs, s.map(|s| s.alpha))?;
        let re_auth = input(&cs, s.map(|s| s.re_auth))?;
        binding_input(cs.clone(), s.map(|s| s.binding))?;
        let sk_a = witness(&cs, w.map(|w| w.sk_a.expose_secret()))?;
        let salt = witness(&cs, w.map(|w| w.salt.expose_secret()))?;
        let salt_auth = witness(&cs, w.map(|w| w.salt_auth.expose_secret()))?;
        let path = PathVar::new_witness(cs.clone(), w.map(|w| &w.path))?;

        hash(cs.clone(), Domain::Pk, &[sk_a])?.enforce_equal(&pk_a)?;
        let re = hash(
            cs.clone(),
            Domain::Reg,
            &[alpha.clone(), pk_a.clone(), salt],
        )?;
        path.root_for(cs.clone(), &re)?.enforce_equal(&root)?;
        hash(cs, Domain::Auth, &[alpha, pk_a, pk_h, salt_auth])?.enforce_equal(&re_auth)
    }
}

/// Extraction (seed 000 Alg. 5): "I am `pk_H`, and `re_auth`, an authorization of α from `pk_A`
/// to me, is in the authorization tree with root `root_auth`".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtractionStatement {
    pub re_auth: Fr,
    pub pk_a: Fr,
    pub pk_h: Fr,
    /// A recent root of the authorization tree.
    pub root_auth: Fr,
    pub alpha: Fr,
    pub binding: Fr,
}

/// Private inputs of an extraction.
#[derive(Clone, Debug)]
pub struct ExtractionWitness {
    pub sk_h: SecretKey,
    /// `σ'` of the authorization (received in its envelope).
    pub salt_auth: Salt,
    /// Path of `re_auth` in the authorization tree.
    pub path: MerklePath,
}

impl ExtractionWitness {
    /// The statement this witness proves: extracting MDA `alpha` that `pk_a` authorized, against
    /// the root the path leads to, in a transaction hashing to `binding`.
    pub fn statement(&self, alpha: Fr, pk_a: Fr, binding: Fr) -> ExtractionStatement {
        let pk_h = self.sk_h.public_key();
        let re_auth = authorization_commitment(alpha, pk_a, pk_h, &self.salt_auth);
        ExtractionStatement {
            re_auth,
            pk_a,
            pk_h,
            root_auth: self.path.root_for(re_auth),
            alpha,
            binding,
        }
    }
}

impl sealed::Sealed for ExtractionStatement {}

impl Statement for ExtractionStatement {
    type Witness = ExtractionWitness;
    const CIRCUIT: CircuitId = CircuitId::Extraction;

    fn public_inputs(&self) -> Vec<Fr> {
        vec![
            self.re_auth,
            self.pk_a,
            self.pk_h,
            self.root_auth,
            self.alpha,
            self.binding,
        ]
    }

    fn synthesize(
        cs: ConstraintSystemRef<Fr>,
        assignment: Option<(&Self, &Self::Witness)>,
    ) -> Result<(), SynthesisError> {
        let (s, w) = (assignment.map(|a| a.0), assignment.map(|a| a.1));
        let re_auth = input(&cs, s.map(|s| s.re_auth))?;
        let pk_a = input(&cs, s.map(|s| s.pk_a))?;
        let pk_h = input(&cs, s.map(|s| s.pk_h))?;
        let root_auth = input(&cs, s.map(|s| s.root_auth))?;
        let alpha = input(&cs, s.map(|s| s.alpha))?;
        binding_input(cs.clone(), s.map(|s| s.binding))?;
        let sk_h = witness(&cs, w.map(|w| w.sk_h.expose_secret()))?;
        let salt_auth = witness(&cs, w.map(|w| w.salt_auth.expose_secret()))?;
        let path = PathVar::new_witness(cs.clone(), w.map(|w| &w.path))?;

        hash(cs.clone(), Domain::Pk, &[sk_h])?.enforce_equal(&pk_h)?;
        path.root_for(cs.clone(), &re_auth)?
            .enforce_equal(&root_auth)?;
        hash(cs, Domain::Auth, &[alpha, pk_a, pk_h, salt_auth])?.enforce_equal(&re_auth)
    }
}

/// Withdrawal of rewards credited to a pseudonym: "I know `sk` behind `pk`". The amount, the
/// destination and the account nonce enter only through `binding`, so the proof authorizes that
/// one withdrawal and cannot be replayed with another nonce or redirected to another destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WithdrawalStatement {
    pub pk: Fr,
    pub binding: Fr,
}

/// Private input of a withdrawal.
#[derive(Clone, Debug)]
pub struct WithdrawalWitness {
    pub sk: SecretKey,
}

impl WithdrawalWitness {
    /// The statement this witness proves for a transaction hashing to `binding`.
    pub fn statement(&self, binding: Fr) -> WithdrawalStatement {
        WithdrawalStatement {
            pk: self.sk.public_key(),
            binding,
        }
    }
}

impl sealed::Sealed for WithdrawalStatement {}

impl Statement for WithdrawalStatement {
    type Witness = WithdrawalWitness;
    const CIRCUIT: CircuitId = CircuitId::Withdrawal;

    fn public_inputs(&self) -> Vec<Fr> {
        vec![self.pk, self.binding]
    }

    fn synthesize(
        cs: ConstraintSystemRef<Fr>,
        assignment: Option<(&Self, &Self::Witness)>,
    ) -> Result<(), SynthesisError> {
        let (s, w) = (assignment.map(|a| a.0), assignment.map(|a| a.1));
        let pk = input(&cs, s.map(|s| s.pk))?;
        binding_input(cs.clone(), s.map(|s| s.binding))?;
        let sk = witness(&cs, w.map(|w| w.sk.expose_secret()))?;
        hash(cs, Domain::Pk, &[sk])?.enforce_equal(&pk)
    }
}

/// The registry of circuits: one line each, naming its id (written in key files), its name and
/// its statement. Everything that works on "every circuit" (setup, key files, genesis digests,
/// the chain's verifying keys) goes through [`CircuitId::ALL`] and the dispatch generated here.
macro_rules! circuits {
    ($($id:ident = $byte:literal => $name:literal, $statement:ty, $inputs:literal;)*) => {
        /// The circuits. The discriminant is the circuit id written in key files.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(u8)]
        pub enum CircuitId {
            $($id = $byte,)*
        }

        impl CircuitId {
            /// All circuits, in id order.
            pub const ALL: [CircuitId; [$($byte),*].len()] = [$(CircuitId::$id,)*];

            /// Lower-case name, as in genesis and the benchmark output.
            pub const fn name(self) -> &'static str {
                match self {
                    $(CircuitId::$id => $name,)*
                }
            }

            /// Number of public inputs of the circuit (binding included).
            pub const fn num_public_inputs(self) -> usize {
                match self {
                    $(CircuitId::$id => $inputs,)*
                }
            }

            /// Lays out the circuit's constraints without an assignment.
            pub(crate) fn synthesize(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
                match self {
                    $(CircuitId::$id => <$statement>::synthesize(cs, None),)*
                }
            }

            /// A Groth16 setup of the circuit from `rng`.
            pub(crate) fn generate(
                self,
                rng: &mut (impl RngCore + CryptoRng),
            ) -> Result<ark_groth16::ProvingKey<Bls12_381>, SynthesisError> {
                match self {
                    $(CircuitId::$id => Groth16::<Bls12_381>::generate_random_parameters_with_reduction(
                        Circuit::<$statement>(None),
                        rng,
                    ),)*
                }
            }
        }
    };
}

circuits! {
    Registration = 1 => "registration", RegistrationStatement, 4;
    Authorization = 2 => "authorization", AuthorizationStatement, 6;
    Extraction = 3 => "extraction", ExtractionStatement, 6;
    Withdrawal = 4 => "withdrawal", WithdrawalStatement, 2;
}

impl CircuitId {
    /// The circuit with id `id`, if any.
    pub fn from_id(id: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|c| *c as u8 == id)
    }

    /// The circuit named `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl fmt::Display for CircuitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
