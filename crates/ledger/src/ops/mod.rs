//! Operation families, the way a Cosmos SDK module or a Substrate pallet holds its messages: each
//! module owns its transaction bodies, their canonical encoding, their checks, their effects on
//! state and the client-side builders.
//!
//! - [`group`]: group enrollment (create a group, advance its epoch to revoke a member);
//! - [`mda`]: MDA registration, authorization and extraction (seed 000 Algorithms 1-5);
//! - [`rewards`]: the FSP's payouts, revenue shares and withdrawals (seed 000 §V, seed 003 ch. 7);
//! - [`note`]: a plain signed note, the no-privacy baseline of seed 000 Table VI.
//!
//! A body implements [`Operation`] (and [`Body`] for decoding); the `Transaction` enum in
//! [`crate::tx`] only dispatches to it. Checking is split so proofs and group signatures of a
//! whole batch settle together: [`Operation::check`] does the cheap checks and returns the
//! expensive ones as [`Claims`] (a group signature, a proof by circuit id with its public
//! inputs), which [`crate::machine`] verifies in one batch per circuit.

pub mod consent;
pub mod group;
pub mod mda;
pub mod note;
pub mod rewards;

use crate::{
    error::TxError,
    kind::Kind,
    state::{self, AuditEvent, GroupRecord},
    store::{Kv, Overlay},
    types::{Field, GroupId, Hash},
};
use bytes::Buf;
use commonware_codec::{Error as CodecError, Write};
use commonware_cryptography::{Verifier as _, ed25519};
use medshare_crypto::{
    groupsig::{GroupPublicKey, Signature as GroupSignature},
    poseidon::{self, Domain, Fr},
};
use medshare_zk::{CircuitId, Proof, Statement};
use sha2::{Digest as _, Sha256};
use std::{
    collections::{BTreeSet, HashMap},
    sync::{Arc, Mutex},
};

/// A compressed Groth16 proof over BLS12-381: A ∈ G1, B ∈ G2, C ∈ G1.
pub const PROOF_BYTES: usize = 48 + 96 + 48;

/// A Groth16 proof, kept as its compressed bytes: decoding the curve points is part of the
/// (expensive, cached) proof check, not of parsing.
pub type ProofBytes = [u8; PROOF_BYTES];

/// Namespace of genesis and group authorities' ed25519 signatures.
pub const AUTHORITY_NAMESPACE: &[u8] = b"medshare/authority";

/// Why a client could not build a transaction.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("group signature: {0}")]
    GroupSignature(String),
    #[error("proof: {0}")]
    Proof(#[from] medshare_zk::ZkError),
}

/// A transaction body: what every operation implements.
pub trait Operation: std::fmt::Debug + Send + Sync {
    /// The fields covered by signatures and the binding, in encoding order.
    fn write_fields(&self, buf: &mut Vec<u8>);

    /// Signatures, after the fields (the proof, if any, comes last: see [`Operation::proof`]).
    fn write_authentication(&self, buf: &mut Vec<u8>);

    /// The Groth16 proof of a proof-carrying body; encoded last and left out of the transaction
    /// id, because anyone can re-randomize a valid Groth16 proof into another valid one.
    fn proof(&self) -> Option<&ProofBytes> {
        None
    }

    /// For a proof-carrying body, what the proof's `binding` covers after the signed message
    /// (empty if nothing); `None` for a body without a proof.
    fn binding_suffix(&self) -> Option<Vec<u8>> {
        None
    }

    /// The group and group signature of a body a member signs (tracing reads them).
    fn group_signature(&self) -> Option<(&GroupId, &[u8])> {
        None
    }

    /// Signatures and stateless rules; what is expensive is left in the returned claims.
    fn check(&self, ctx: &CheckContext<'_>) -> Result<Claims, TxError>;

    /// The state rules and effects. Returns the leaf position for bodies that append one. On
    /// error the caller drops everything written.
    fn apply(&self, ctx: &mut ApplyContext<'_, '_>) -> Result<Option<u64>, TxError>;
}

/// A body of a known kind that decodes itself.
pub trait Body: Operation + Clone + PartialEq + Eq + Sized {
    const KIND: Kind;
    /// Reads fields and authentication, as written.
    fn read(buf: &mut impl Buf) -> Result<Self, CodecError>;
}

/// The bytes an authority, a member's group signature or a note's author signs: the chain id,
/// the kind and every field but the signatures and the proof.
pub fn signed_message(chain_id: &str, kind: Kind, body: &dyn Operation) -> Vec<u8> {
    let mut buf = Vec::with_capacity(256);
    chain_id.as_bytes().to_vec().write(&mut buf);
    buf.push(kind as u8);
    body.write_fields(&mut buf);
    buf
}

/// The public `binding` input of a body's proof: `H_bind` of every byte but the proof's, so a
/// proof cannot be lifted onto another transaction. `None` for bodies without a proof.
pub fn binding(chain_id: &str, kind: Kind, body: &dyn Operation) -> Option<Field> {
    let mut message = signed_message(chain_id, kind, body);
    message.extend(body.binding_suffix()?);
    // Poseidon over the SHA-256 of the message rather than over the message itself: one
    // permutation instead of one per 124 bytes, on every validator for every transaction, and
    // just as binding (binding is never computed inside a circuit).
    let digest: [u8; 32] = Sha256::digest(&message).into();
    Some(Field(poseidon::hash_bytes(Domain::Bind, &digest)))
}

/// The block a transaction executes in.
#[derive(Clone, Copy, Debug)]
pub struct BlockEnv {
    pub height: u64,
    pub timestamp_ms: u64,
    /// The ed25519 key of the block's proposer: recorded per height, it weighs the validators'
    /// share of revenue (seed 003 (7.16)).
    pub proposer: [u8; 32],
}

/// What genesis fixes for every check and effect.
#[derive(Clone, Debug)]
pub struct ChainParams {
    /// Signed into every transaction, so nothing is valid on two chains.
    pub chain_id: String,
    /// ed25519 keys allowed to create groups and act as FSPs.
    pub authorities: BTreeSet<[u8; 32]>,
    /// The genesis validators' ed25519 keys, in genesis order: seed 003's miners.
    pub validators: Vec<[u8; 32]>,
    /// Whether the no-privacy baseline `Note` is accepted (benchmark consortia only).
    pub notes: bool,
}

/// Decoded BBS04 group keys by the SHA-256 of their bytes. Decompressing a key costs more than a
/// signature check and keys are immutable per bytes, so each is parsed once.
#[derive(Default)]
pub struct GroupKeys(Mutex<HashMap<Hash, Arc<GroupPublicKey>>>);

impl GroupKeys {
    pub fn get(&self, bytes: &[u8]) -> Result<(Hash, Arc<GroupPublicKey>), String> {
        let hash: Hash = Sha256::digest(bytes).into();
        if let Some(key) = self.0.lock().expect("cache lock").get(&hash) {
            return Ok((hash, key.clone()));
        }
        let key = Arc::new(GroupPublicKey::from_bytes(bytes).map_err(|e| e.to_string())?);
        self.0.lock().expect("cache lock").insert(hash, key.clone());
        Ok((hash, key))
    }

    /// The current key of a group record, which the state machine wrote and so must decode.
    fn current(&self, record: &GroupRecord) -> Result<(Hash, Arc<GroupPublicKey>), TxError> {
        self.get(&record.public_key)
            .map_err(|reason| TxError::Malformed {
                what: "group public key in state",
                reason,
            })
    }
}

/// A member's group signature to verify in a batch, with what it must verify against.
pub struct GroupClaim {
    /// SHA-256 of the group key: the check is valid only while the group keeps this key.
    pub(crate) key_hash: Hash,
    pub(crate) key: Arc<GroupPublicKey>,
    pub(crate) message: Vec<u8>,
    pub(crate) signature: GroupSignature,
    pub(crate) group: GroupId,
    pub(crate) epoch: u64,
}

/// A Groth16 proof to verify in a batch: the circuit and the public inputs it must prove.
pub struct ProofClaim {
    pub(crate) circuit: CircuitId,
    pub(crate) inputs: Vec<Fr>,
    pub(crate) proof: Proof,
}

/// The expensive checks a body leaves to the batch.
#[derive(Default)]
pub struct Claims {
    pub group_signature: Option<GroupClaim>,
    pub proof: Option<ProofClaim>,
}

/// What a body's check may read.
pub struct CheckContext<'a> {
    pub chain: &'a ChainParams,
    pub state: &'a dyn Kv,
    pub group_keys: &'a GroupKeys,
    /// The transaction's signed message.
    pub message: Vec<u8>,
    /// The transaction's binding, for proof-carrying bodies.
    pub binding: Option<Field>,
}

impl CheckContext<'_> {
    /// A genesis authority's signature over the transaction (group creation, payouts, revenue).
    pub fn check_authority(
        &self,
        authority: &ed25519::PublicKey,
        signature: &ed25519::Signature,
    ) -> Result<(), TxError> {
        if !self.chain.authorities.contains(authority.as_ref()) {
            return Err(TxError::NotAnAuthority);
        }
        if !authority.verify(AUTHORITY_NAMESPACE, &self.message, signature) {
            return Err(TxError::BadAuthoritySignature);
        }
        Ok(())
    }

    /// Decodes a member's group signature and finds the group's current key; the signature is
    /// verified with the batch.
    pub fn group_claim(&self, group: &GroupId, signature: &[u8]) -> Result<GroupClaim, TxError> {
        let record = read_group(self.state, group)?;
        let (key_hash, key) = self.group_keys.current(&record)?;
        let signature = GroupSignature::from_bytes(signature).map_err(|e| TxError::Malformed {
            what: "group signature",
            reason: e.to_string(),
        })?;
        Ok(GroupClaim {
            key_hash,
            key,
            message: self.message.clone(),
            signature,
            group: group.clone(),
            epoch: record.epoch,
        })
    }

    /// A proof of `statement`, decoded; verified with the batch.
    pub fn proof_claim<S: Statement>(
        &self,
        statement: &S,
        proof: &[u8],
    ) -> Result<ProofClaim, TxError> {
        let proof = Proof::from_bytes(proof).map_err(|e| TxError::Malformed {
            what: "proof",
            reason: e.to_string(),
        })?;
        Ok(ProofClaim {
            circuit: S::CIRCUIT,
            inputs: statement.public_inputs(),
            proof,
        })
    }

    /// The claims of a body authenticated only by a proof of knowledge of the `sk` behind `pk`,
    /// bound to this transaction (the withdrawal circuit): withdrawals and consent withdrawals.
    pub fn key_proof_claims(&self, pk: &Field, proof: &[u8]) -> Result<Claims, TxError> {
        let statement = medshare_zk::WithdrawalStatement {
            pk: pk.0,
            binding: self.binding(),
        };
        Ok(Claims {
            group_signature: None,
            proof: Some(self.proof_claim(&statement, proof)?),
        })
    }

    /// The binding of a proof-carrying body.
    pub fn binding(&self) -> Fr {
        self.binding.expect("proof-carrying transaction").0
    }
}

/// What a body's effects may read and write.
pub struct ApplyContext<'c, 'a> {
    pub state: &'c mut Overlay<'a>,
    pub env: BlockEnv,
    pub chain: &'c ChainParams,
    pub group_keys: &'c GroupKeys,
    /// The transaction's id and kind, for audit events.
    pub id: Hash,
    pub kind: Kind,
    /// The group key its group signature was checked against.
    pub checked_group_key: Option<Hash>,
}

impl ApplyContext<'_, '_> {
    /// The group, as long as it still has the key the group signature was checked against.
    pub fn group_with_checked_key(&self, group: &GroupId) -> Result<GroupRecord, TxError> {
        let record = read_group(self.state, group)?;
        let hash: Hash = Sha256::digest(&record.public_key).into();
        if self.checked_group_key != Some(hash) {
            return Err(TxError::GroupKeyChanged(group.clone()));
        }
        Ok(record)
    }

    /// An audit event of this transaction about α.
    pub fn event(&self, alpha: Field, pk_a: Field) -> AuditEvent {
        AuditEvent {
            height: self.env.height,
            timestamp_ms: self.env.timestamp_ms,
            kind: self.kind,
            alpha,
            pk_a,
            pk_h: None,
            group: None,
            tx: self.id,
            position: None,
        }
    }
}

/// A group's record, or `UnknownGroup`.
pub fn read_group(state: &dyn Kv, group: &GroupId) -> Result<GroupRecord, TxError> {
    state::read(state, &state::group_key(group)).ok_or_else(|| TxError::UnknownGroup(group.clone()))
}

/// Signs a body as a genesis or group authority.
pub(crate) fn authority_signature<B: Body>(
    chain_id: &str,
    body: &B,
    authority: &ed25519::PrivateKey,
) -> ed25519::Signature {
    use commonware_cryptography::Signer as _;
    authority.sign(
        AUTHORITY_NAMESPACE,
        &signed_message(chain_id, B::KIND, body),
    )
}
