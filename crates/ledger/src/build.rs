//! Building transactions on the client side: commitments, group signature, binding, proof.
//!
//! The order matters and is the same for every kind: fill the fields, sign the signed message
//! with the group signature, derive `binding` from everything but the proof, prove. The secrets
//! (`sk`, salts) enter only the witness; the transaction carries none of them.

use crate::{
    machine::{AUTHORITY_NAMESPACE, NOTE_NAMESPACE},
    tx::{
        AdvanceGroupEpoch, Authorize, CreateGroup, Extract, Note, PROOF_BYTES, Payout, PayoutTerms,
        Register, Revenue, RevenueTerms, Transaction, Withdraw,
    },
    types::{Field, GroupId},
};
use commonware_cryptography::{Signer, ed25519};
use medshare_crypto::{
    groupsig::{GroupPublicKey, MemberKey, Revocation},
    merkle::MerklePath,
    poseidon::{Fr, Salt, SecretKey, authorization_commitment, registration_commitment},
};
use medshare_zk::{
    AuthorizationWitness, ExtractionWitness, ProvingKey, RegistrationWitness, WithdrawalWitness,
    ZkError, prove,
};
use rand::{CryptoRng, RngCore};

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("group signature: {0}")]
    GroupSignature(String),
    #[error("proof: {0}")]
    Proof(#[from] ZkError),
}

fn sign_group<R: RngCore + CryptoRng>(
    tx: &Transaction,
    chain_id: &str,
    member: &MemberKey,
    group_key: &GroupPublicKey,
    rng: &mut R,
) -> Result<Vec<u8>, BuildError> {
    member
        .sign(group_key, &tx.signed_message(chain_id), rng)
        .map(|signature| signature.to_bytes())
        .map_err(|e| BuildError::GroupSignature(e.to_string()))
}

fn binding(tx: &Transaction, chain_id: &str) -> Fr {
    tx.binding(chain_id).expect("proof-carrying transaction").0
}

/// What a data owner needs to register an MDA (seed 000 Alg. 1).
pub struct Registration<'a> {
    pub chain_id: &'a str,
    pub group: GroupId,
    pub alpha: Fr,
    pub sk: &'a SecretKey,
    pub salt: &'a Salt,
    pub manifest: Vec<u8>,
    pub member: &'a MemberKey,
    pub group_key: &'a GroupPublicKey,
    pub proving_key: &'a ProvingKey,
}

pub fn register<R: RngCore + CryptoRng>(
    r: Registration,
    rng: &mut R,
) -> Result<Transaction, BuildError> {
    let pk_a = r.sk.public_key();
    let mut body = Register {
        group: r.group,
        alpha: Field(r.alpha),
        pk_a: Field(pk_a),
        re: Field(registration_commitment(r.alpha, pk_a, r.salt)),
        manifest: r.manifest,
        group_signature: Vec::new(),
        proof: [0; PROOF_BYTES],
    };
    body.group_signature = sign_group(
        &Transaction::Register(body.clone()),
        r.chain_id,
        r.member,
        r.group_key,
        rng,
    )?;
    let witness = RegistrationWitness {
        sk_a: r.sk.clone(),
        salt: r.salt.clone(),
    };
    let statement = witness.statement(
        r.alpha,
        binding(&Transaction::Register(body.clone()), r.chain_id),
    );
    body.proof = prove(r.proving_key, &statement, &witness, rng)?.to_bytes();
    Ok(Transaction::Register(body))
}

/// What a data owner needs to authorize a data user (seed 000 Alg. 3).
pub struct Authorization<'a> {
    pub chain_id: &'a str,
    pub group: GroupId,
    pub alpha: Fr,
    pub sk: &'a SecretKey,
    /// `σ` of the registration.
    pub salt: &'a Salt,
    /// `σ'`, fresh for this authorization (the data user receives it in the envelope).
    pub salt_auth: &'a Salt,
    pub pk_h: Fr,
    /// Path of the registration commitment in the registration tree, from a validator.
    pub path: MerklePath,
    /// HPKE envelope sealed to the data user.
    pub envelope: Vec<u8>,
    pub member: &'a MemberKey,
    pub group_key: &'a GroupPublicKey,
    pub proving_key: &'a ProvingKey,
}

pub fn authorize<R: RngCore + CryptoRng>(
    a: Authorization,
    rng: &mut R,
) -> Result<Transaction, BuildError> {
    let witness = AuthorizationWitness {
        sk_a: a.sk.clone(),
        salt: a.salt.clone(),
        salt_auth: a.salt_auth.clone(),
        path: a.path,
    };
    // The statement's root is the one the path leads to; binding comes after the signature.
    let draft = witness.statement(a.alpha, a.pk_h, Fr::from(0u64));
    let mut body = Authorize {
        group: a.group,
        alpha: Field(a.alpha),
        pk_a: Field(draft.pk_a),
        pk_h: Field(a.pk_h),
        root: Field(draft.root),
        re_auth: Field(authorization_commitment(
            a.alpha,
            draft.pk_a,
            a.pk_h,
            a.salt_auth,
        )),
        envelope: a.envelope,
        group_signature: Vec::new(),
        proof: [0; PROOF_BYTES],
    };
    body.group_signature = sign_group(
        &Transaction::Authorize(body.clone()),
        a.chain_id,
        a.member,
        a.group_key,
        rng,
    )?;
    let statement = witness.statement(
        a.alpha,
        a.pk_h,
        binding(&Transaction::Authorize(body.clone()), a.chain_id),
    );
    body.proof = prove(a.proving_key, &statement, &witness, rng)?.to_bytes();
    Ok(Transaction::Authorize(body))
}

/// What a data user needs to extract an authorized MDA (seed 000 Alg. 5).
pub struct Extraction<'a> {
    pub chain_id: &'a str,
    pub alpha: Fr,
    pub pk_a: Fr,
    pub sk: &'a SecretKey,
    /// `σ'` from the authorization envelope.
    pub salt_auth: &'a Salt,
    /// Path of `re_auth` in the authorization tree, from a validator.
    pub path: MerklePath,
    /// The ephemeral X25519 public key the shards will be sealed to.
    pub epk: [u8; 32],
    pub proving_key: &'a ProvingKey,
}

pub fn extract<R: RngCore + CryptoRng>(
    e: Extraction,
    rng: &mut R,
) -> Result<Transaction, BuildError> {
    let witness = ExtractionWitness {
        sk_h: e.sk.clone(),
        salt_auth: e.salt_auth.clone(),
        path: e.path,
    };
    let draft = witness.statement(e.alpha, e.pk_a, Fr::from(0u64));
    let mut body = Extract {
        alpha: Field(e.alpha),
        pk_a: Field(e.pk_a),
        pk_h: Field(draft.pk_h),
        root_auth: Field(draft.root_auth),
        re_auth: Field(draft.re_auth),
        epk: e.epk,
        proof: [0; PROOF_BYTES],
    };
    let statement = witness.statement(
        e.alpha,
        e.pk_a,
        binding(&Transaction::Extract(body.clone()), e.chain_id),
    );
    body.proof = prove(e.proving_key, &statement, &witness, rng)?.to_bytes();
    Ok(Transaction::Extract(body))
}

/// A group authority publishes its group (operation 1).
pub fn create_group(
    chain_id: &str,
    group: GroupId,
    group_key: &GroupPublicKey,
    authority: &ed25519::PrivateKey,
) -> Transaction {
    let mut body = CreateGroup {
        group,
        public_key: group_key.to_bytes(),
        authority: authority.public_key(),
        signature: authority.sign(AUTHORITY_NAMESPACE, b""),
    };
    body.signature = authority.sign(
        AUTHORITY_NAMESPACE,
        &Transaction::CreateGroup(body.clone()).signed_message(chain_id),
    );
    Transaction::CreateGroup(body)
}

/// A group authority revokes a member: the group advances one epoch.
pub fn advance_group_epoch(
    chain_id: &str,
    group: GroupId,
    revocation: &Revocation,
    authority: &ed25519::PrivateKey,
) -> Transaction {
    let mut body = AdvanceGroupEpoch {
        group,
        revocation: revocation.to_bytes(),
        signature: authority.sign(AUTHORITY_NAMESPACE, b""),
    };
    body.signature = authority.sign(
        AUTHORITY_NAMESPACE,
        &Transaction::AdvanceGroupEpoch(body.clone()).signed_message(chain_id),
    );
    Transaction::AdvanceGroupEpoch(body)
}

/// A plain signed note: the no-privacy baseline.
pub fn note(
    chain_id: &str,
    author: &ed25519::PrivateKey,
    nonce: u64,
    payload: Vec<u8>,
) -> Transaction {
    let mut body = Note {
        author: author.public_key(),
        nonce,
        payload,
        signature: author.sign(NOTE_NAMESPACE, b""),
    };
    body.signature = author.sign(
        NOTE_NAMESPACE,
        &Transaction::Note(body.clone()).signed_message(chain_id),
    );
    Transaction::Note(body)
}

/// A genesis authority, acting as the FSP, pays MDAPs for an epoch.
pub fn payout(chain_id: &str, terms: PayoutTerms, authority: &ed25519::PrivateKey) -> Transaction {
    let mut body = Payout {
        authority: authority.public_key(),
        terms,
        signature: authority.sign(AUTHORITY_NAMESPACE, b""),
    };
    body.signature = authority.sign(
        AUTHORITY_NAMESPACE,
        &Transaction::Payout(body.clone()).signed_message(chain_id),
    );
    Transaction::Payout(body)
}

/// A genesis authority, acting as the FSP that collected a fee, shares it out.
pub fn revenue(
    chain_id: &str,
    terms: RevenueTerms,
    authority: &ed25519::PrivateKey,
) -> Transaction {
    let mut body = Revenue {
        authority: authority.public_key(),
        terms,
        signature: authority.sign(AUTHORITY_NAMESPACE, b""),
    };
    body.signature = authority.sign(
        AUTHORITY_NAMESPACE,
        &Transaction::Revenue(body.clone()).signed_message(chain_id),
    );
    Transaction::Revenue(body)
}

/// What a pseudonym needs to withdraw its rewards.
pub struct Withdrawal<'a> {
    pub chain_id: &'a str,
    pub sk: &'a SecretKey,
    pub amount: u128,
    pub destination: Vec<u8>,
    /// The account's next nonce (`Account::nonce`).
    pub nonce: u64,
    pub proving_key: &'a ProvingKey,
}

pub fn withdraw<R: RngCore + CryptoRng>(
    w: Withdrawal,
    rng: &mut R,
) -> Result<Transaction, BuildError> {
    let witness = WithdrawalWitness { sk: w.sk.clone() };
    let mut body = Withdraw {
        pk: Field(w.sk.public_key()),
        amount: w.amount,
        destination: w.destination,
        nonce: w.nonce,
        proof: [0; PROOF_BYTES],
    };
    let statement = witness.statement(binding(&Transaction::Withdraw(body.clone()), w.chain_id));
    body.proof = prove(w.proving_key, &statement, &witness, rng)?.to_bytes();
    Ok(Transaction::Withdraw(body))
}
