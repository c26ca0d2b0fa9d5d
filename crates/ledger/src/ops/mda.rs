//! Medical data assets (seed 000 Algorithms 1-5): registration, authorization and extraction,
//! each with a zero-knowledge proof whose `binding` input covers every other byte of the
//! transaction.
//!
//! - **Register** (Alg. 1-2): `re = H_reg(α, pk_A, σ)` joins the registration tree; the member's
//!   group signature makes the owner traceable by its group authority.
//! - **Authorize** (Alg. 3-4): `re_auth = H_auth(α, pk_A, pk_H, σ')` joins the authorization
//!   tree; the envelope carries the secrets the data user needs, sealed to it.
//! - **Extract** (Alg. 5): the data user proves an authorization for `pk_H` and names the
//!   ephemeral key `epk` the storage peers seal the shards to.
//!
//! The builders fill the fields, sign the signed message with the group signature, derive
//! `binding` from everything but the proof, then prove. The secrets (`sk`, salts) enter only the
//! witness; the transaction carries none of them.

use super::{
    ApplyContext, Body, BuildError, CheckContext, Claims, Operation, PROOF_BYTES, ProofBytes,
};
use crate::{
    error::TxError,
    kind::Kind,
    state::{self, AuditEvent, AuditLog, AuthorizationRecord, ExtractionRecord, MdaRecord},
    store::Kv,
    tree::{self, TreeId},
    types::{Field, GroupId, read_bytes},
};
use bytes::Buf;
use commonware_codec::{Error as CodecError, ReadExt, Write};
use medshare_crypto::{
    groupsig::{GroupPublicKey, MemberKey},
    merkle::MerklePath,
    poseidon::{Fr, Salt, SecretKey, authorization_commitment, registration_commitment},
};
use medshare_zk::{
    AuthorizationStatement, AuthorizationWitness, ExtractionStatement, ExtractionWitness,
    ProvingKey, RegistrationStatement, RegistrationWitness, prove,
};
use rand::{CryptoRng, RngCore};

/// A BBS04 group signature (fixed size; see `medshare_crypto::groupsig::Signature`).
pub const MAX_GROUP_SIGNATURE: usize = medshare_crypto::groupsig::Signature::BYTES;
/// A manifest reference: the CID of the manifest listing the MDA's shards.
pub const MAX_MANIFEST: usize = 128;
/// The HPKE envelope from owner to user: σ', α, pk_A, the data key and the manifest.
pub const MAX_ENVELOPE: usize = 4096;

/// MDA registration: `re = H_reg(α, pk_A, σ)` joins the registration tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Register {
    pub group: GroupId,
    pub alpha: Field,
    pub pk_a: Field,
    pub re: Field,
    pub manifest: Vec<u8>,
    pub group_signature: Vec<u8>,
    pub proof: ProofBytes,
}

/// MDA authorization: `re_auth = H_auth(α, pk_A, pk_H, σ')` joins the authorization tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorize {
    pub group: GroupId,
    pub alpha: Field,
    pub pk_a: Field,
    pub pk_h: Field,
    pub root: Field,
    pub re_auth: Field,
    pub envelope: Vec<u8>,
    pub group_signature: Vec<u8>,
    pub proof: ProofBytes,
}

/// MDA extraction: H proves an authorization for `pk_H` and names `epk`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extract {
    pub alpha: Field,
    pub pk_a: Field,
    pub pk_h: Field,
    pub root_auth: Field,
    pub re_auth: Field,
    pub epk: [u8; 32],
    pub proof: ProofBytes,
}

/// Both logs of α's owner see every event about α; `also` adds the data user's.
pub(super) fn audit(ctx: &mut ApplyContext<'_, '_>, event: &AuditEvent, also: Option<&Field>) {
    AuditLog::Alpha(&event.alpha).push(ctx.state, event);
    AuditLog::Pseudonym(&event.pk_a).push(ctx.state, event);
    if let Some(pk_h) = also {
        AuditLog::Pseudonym(pk_h).push(ctx.state, event);
    }
}

pub(super) fn read_mda(ctx: &ApplyContext<'_, '_>, alpha: &Field) -> Result<MdaRecord, TxError> {
    state::read(ctx.state, &state::mda_key(alpha)).ok_or(TxError::UnknownAlpha(*alpha))
}

impl Body for Register {
    const KIND: Kind = Kind::Register;
    fn read(buf: &mut impl Buf) -> Result<Self, CodecError> {
        Ok(Self {
            group: GroupId::read(buf)?,
            alpha: Field::read(buf)?,
            pk_a: Field::read(buf)?,
            re: Field::read(buf)?,
            manifest: read_bytes(buf, MAX_MANIFEST)?,
            group_signature: read_bytes(buf, MAX_GROUP_SIGNATURE)?,
            proof: ProofBytes::read(buf)?,
        })
    }
}

impl Operation for Register {
    fn write_fields(&self, buf: &mut Vec<u8>) {
        self.group.write(buf);
        self.alpha.write(buf);
        self.pk_a.write(buf);
        self.re.write(buf);
        self.manifest.write(buf);
    }

    fn write_authentication(&self, buf: &mut Vec<u8>) {
        self.group_signature.write(buf);
    }

    fn proof(&self) -> Option<&ProofBytes> {
        Some(&self.proof)
    }

    fn binding_suffix(&self) -> Option<Vec<u8>> {
        Some(encoded(&self.group_signature))
    }

    fn group_signature(&self) -> Option<(&GroupId, &[u8])> {
        Some((&self.group, &self.group_signature))
    }

    fn check(&self, ctx: &CheckContext<'_>) -> Result<Claims, TxError> {
        let group_signature = ctx.group_claim(&self.group, &self.group_signature)?;
        let statement = RegistrationStatement {
            pk_a: self.pk_a.0,
            re: self.re.0,
            alpha: self.alpha.0,
            binding: ctx.binding(),
        };
        Ok(Claims {
            group_signature: Some(group_signature),
            proof: Some(ctx.proof_claim(&statement, &self.proof)?),
        })
    }

    fn apply(&self, ctx: &mut ApplyContext<'_, '_>) -> Result<Option<u64>, TxError> {
        ctx.group_with_checked_key(&self.group)?;
        let key = state::mda_key(&self.alpha);
        if ctx.state.get(&key).is_some() {
            return Err(TxError::DuplicateAlpha(self.alpha));
        }
        let leaf = tree::append(ctx.state, TreeId::Registration, self.re)
            .ok_or(TxError::TreeFull(TreeId::Registration.name()))?;
        let record = MdaRecord {
            alpha: self.alpha,
            pk_a: self.pk_a,
            re: self.re,
            position: leaf,
            manifest: self.manifest.clone(),
            group: self.group.clone(),
            height: ctx.env.height,
            tx: ctx.id,
            authorizations: 0,
            extractions: 0,
        };
        state::write(ctx.state, key, &record);
        let event = AuditEvent {
            group: Some(self.group.clone()),
            position: Some(leaf),
            ..ctx.event(self.alpha, self.pk_a)
        };
        audit(ctx, &event, None);
        Ok(Some(leaf))
    }
}

impl Body for Authorize {
    const KIND: Kind = Kind::Authorize;
    fn read(buf: &mut impl Buf) -> Result<Self, CodecError> {
        Ok(Self {
            group: GroupId::read(buf)?,
            alpha: Field::read(buf)?,
            pk_a: Field::read(buf)?,
            pk_h: Field::read(buf)?,
            root: Field::read(buf)?,
            re_auth: Field::read(buf)?,
            envelope: read_bytes(buf, MAX_ENVELOPE)?,
            group_signature: read_bytes(buf, MAX_GROUP_SIGNATURE)?,
            proof: ProofBytes::read(buf)?,
        })
    }
}

impl Operation for Authorize {
    fn write_fields(&self, buf: &mut Vec<u8>) {
        self.group.write(buf);
        self.alpha.write(buf);
        self.pk_a.write(buf);
        self.pk_h.write(buf);
        self.root.write(buf);
        self.re_auth.write(buf);
        self.envelope.write(buf);
    }

    fn write_authentication(&self, buf: &mut Vec<u8>) {
        self.group_signature.write(buf);
    }

    fn proof(&self) -> Option<&ProofBytes> {
        Some(&self.proof)
    }

    fn binding_suffix(&self) -> Option<Vec<u8>> {
        Some(encoded(&self.group_signature))
    }

    fn group_signature(&self) -> Option<(&GroupId, &[u8])> {
        Some((&self.group, &self.group_signature))
    }

    fn check(&self, ctx: &CheckContext<'_>) -> Result<Claims, TxError> {
        let group_signature = ctx.group_claim(&self.group, &self.group_signature)?;
        let statement = AuthorizationStatement {
            pk_a: self.pk_a.0,
            pk_h: self.pk_h.0,
            root: self.root.0,
            alpha: self.alpha.0,
            re_auth: self.re_auth.0,
            binding: ctx.binding(),
        };
        Ok(Claims {
            group_signature: Some(group_signature),
            proof: Some(ctx.proof_claim(&statement, &self.proof)?),
        })
    }

    fn apply(&self, ctx: &mut ApplyContext<'_, '_>) -> Result<Option<u64>, TxError> {
        ctx.group_with_checked_key(&self.group)?;
        let mut mda = read_mda(ctx, &self.alpha)?;
        if mda.pk_a != self.pk_a || mda.group != self.group {
            return Err(TxError::NotOwner { alpha: self.alpha });
        }
        if !tree::is_recent_root(ctx.state, TreeId::Registration, &self.root) {
            return Err(TxError::StaleRoot(TreeId::Registration.name()));
        }
        let key = state::authorization_key(&self.re_auth);
        if ctx.state.get(&key).is_some() {
            return Err(TxError::DuplicateAuthorization);
        }
        let leaf = tree::append(ctx.state, TreeId::Authorization, self.re_auth)
            .ok_or(TxError::TreeFull(TreeId::Authorization.name()))?;
        let record = AuthorizationRecord {
            alpha: self.alpha,
            pk_a: self.pk_a,
            pk_h: self.pk_h,
            re_auth: self.re_auth,
            position: leaf,
            envelope: self.envelope.clone(),
            group: self.group.clone(),
            height: ctx.env.height,
            tx: ctx.id,
        };
        state::write(ctx.state, key, &record);
        mda.authorizations += 1;
        state::write(ctx.state, state::mda_key(&self.alpha), &mda);
        let event = AuditEvent {
            pk_h: Some(self.pk_h),
            group: Some(self.group.clone()),
            position: Some(leaf),
            ..ctx.event(self.alpha, self.pk_a)
        };
        audit(ctx, &event, Some(&self.pk_h));
        Ok(Some(leaf))
    }
}

impl Body for Extract {
    const KIND: Kind = Kind::Extract;
    fn read(buf: &mut impl Buf) -> Result<Self, CodecError> {
        Ok(Self {
            alpha: Field::read(buf)?,
            pk_a: Field::read(buf)?,
            pk_h: Field::read(buf)?,
            root_auth: Field::read(buf)?,
            re_auth: Field::read(buf)?,
            epk: <[u8; 32]>::read(buf)?,
            proof: ProofBytes::read(buf)?,
        })
    }
}

impl Operation for Extract {
    fn write_fields(&self, buf: &mut Vec<u8>) {
        self.alpha.write(buf);
        self.pk_a.write(buf);
        self.pk_h.write(buf);
        self.root_auth.write(buf);
        self.re_auth.write(buf);
        self.epk.write(buf);
    }

    fn write_authentication(&self, _buf: &mut Vec<u8>) {}

    fn proof(&self) -> Option<&ProofBytes> {
        Some(&self.proof)
    }

    fn binding_suffix(&self) -> Option<Vec<u8>> {
        Some(Vec::new())
    }

    fn check(&self, ctx: &CheckContext<'_>) -> Result<Claims, TxError> {
        let statement = ExtractionStatement {
            re_auth: self.re_auth.0,
            pk_a: self.pk_a.0,
            pk_h: self.pk_h.0,
            root_auth: self.root_auth.0,
            alpha: self.alpha.0,
            binding: ctx.binding(),
        };
        Ok(Claims {
            group_signature: None,
            proof: Some(ctx.proof_claim(&statement, &self.proof)?),
        })
    }

    fn apply(&self, ctx: &mut ApplyContext<'_, '_>) -> Result<Option<u64>, TxError> {
        let mut mda = read_mda(ctx, &self.alpha)?;
        if mda.pk_a != self.pk_a {
            return Err(TxError::NotOwner { alpha: self.alpha });
        }
        if !tree::is_recent_root(ctx.state, TreeId::Authorization, &self.root_auth) {
            return Err(TxError::StaleRoot(TreeId::Authorization.name()));
        }
        let authorization: AuthorizationRecord =
            state::read(ctx.state, &state::authorization_key(&self.re_auth))
                .filter(|a: &AuthorizationRecord| a.alpha == self.alpha && a.pk_h == self.pk_h)
                .ok_or(TxError::UnknownAuthorization { alpha: self.alpha })?;
        if let Some(withdrawn) = state::read::<state::ConsentWithdrawal>(
            ctx.state,
            &state::consent_withdrawal_key(&self.re_auth),
        ) {
            return Err(TxError::ConsentWithdrawn {
                alpha: self.alpha,
                height: withdrawn.height,
            });
        }
        let key = state::extraction_key(&self.epk);
        if ctx.state.get(&key).is_some() {
            return Err(TxError::ReusedEphemeralKey);
        }
        let record = ExtractionRecord {
            alpha: self.alpha,
            pk_a: self.pk_a,
            pk_h: self.pk_h,
            re_auth: self.re_auth,
            epk: self.epk,
            height: ctx.env.height,
            tx: ctx.id,
        };
        state::write(ctx.state, key, &record);
        mda.extractions += 1;
        state::write(ctx.state, state::mda_key(&self.alpha), &mda);
        let event = AuditEvent {
            pk_h: Some(self.pk_h),
            group: Some(authorization.group),
            ..ctx.event(self.alpha, self.pk_a)
        };
        audit(ctx, &event, Some(&self.pk_h));
        Ok(None)
    }
}

/// The canonical (length-prefixed) encoding of a byte string.
fn encoded(bytes: &Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 2);
    bytes.write(&mut out);
    out
}

fn sign_group<B: Body, R: RngCore + CryptoRng>(
    chain_id: &str,
    body: &B,
    member: &MemberKey,
    group_key: &GroupPublicKey,
    rng: &mut R,
) -> Result<Vec<u8>, BuildError> {
    member
        .sign(
            group_key,
            &super::signed_message(chain_id, B::KIND, body),
            rng,
        )
        .map(|signature| signature.to_bytes())
        .map_err(|e| BuildError::GroupSignature(e.to_string()))
}

fn binding<B: Body>(chain_id: &str, body: &B) -> Fr {
    super::binding(chain_id, B::KIND, body)
        .expect("proof-carrying transaction")
        .0
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
) -> Result<Register, BuildError> {
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
    body.group_signature = sign_group(r.chain_id, &body, r.member, r.group_key, rng)?;
    let witness = RegistrationWitness {
        sk_a: r.sk.clone(),
        salt: r.salt.clone(),
    };
    let statement = witness.statement(r.alpha, binding(r.chain_id, &body));
    body.proof = prove(r.proving_key, &statement, &witness, rng)?.to_bytes();
    Ok(body)
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
) -> Result<Authorize, BuildError> {
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
    body.group_signature = sign_group(a.chain_id, &body, a.member, a.group_key, rng)?;
    let statement = witness.statement(a.alpha, a.pk_h, binding(a.chain_id, &body));
    body.proof = prove(a.proving_key, &statement, &witness, rng)?.to_bytes();
    Ok(body)
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

pub fn extract<R: RngCore + CryptoRng>(e: Extraction, rng: &mut R) -> Result<Extract, BuildError> {
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
    let statement = witness.statement(e.alpha, e.pk_a, binding(e.chain_id, &body));
    body.proof = prove(e.proving_key, &statement, &witness, rng)?.to_bytes();
    Ok(body)
}
