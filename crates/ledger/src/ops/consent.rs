//! Consent withdrawal: an owner withdraws an authorization before the data user has used it.
//!
//! `WithdrawConsent` names the authorization (`re_auth`) of MDA α and proves knowledge of the
//! `sk_A` behind the owner's pseudonym `pk_A` (the withdrawal circuit: knowledge of `sk` for `pk`,
//! bound to this transaction), so nobody but the owner can withdraw. Once final, every later
//! `Extract` of that authorization is refused ("consent withdrawn"), so the storage peers never
//! see a final extraction to release shards for; the audit logs of α, the owner and the data user
//! show the withdrawal. Extractions made before stay (they cannot be undone).

use super::{
    ApplyContext, Body, BuildError, CheckContext, Claims, Operation, PROOF_BYTES, ProofBytes,
    mda::{audit, read_mda},
};
use crate::{
    error::TxError,
    kind::Kind,
    state::{self, AuditEvent, AuthorizationRecord, ConsentWithdrawal},
    types::Field,
};
use bytes::Buf;
use commonware_codec::{Error as CodecError, ReadExt, Write};
use medshare_crypto::poseidon::SecretKey;
use medshare_zk::{ProvingKey, WithdrawalWitness, prove};
use rand::{CryptoRng, RngCore};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WithdrawConsent {
    pub alpha: Field,
    pub pk_a: Field,
    /// The authorization withdrawn.
    pub re_auth: Field,
    pub proof: ProofBytes,
}

impl Body for WithdrawConsent {
    const KIND: Kind = Kind::WithdrawConsent;
    fn read(buf: &mut impl Buf) -> Result<Self, CodecError> {
        Ok(Self {
            alpha: Field::read(buf)?,
            pk_a: Field::read(buf)?,
            re_auth: Field::read(buf)?,
            proof: ProofBytes::read(buf)?,
        })
    }
}

impl Operation for WithdrawConsent {
    fn write_fields(&self, buf: &mut Vec<u8>) {
        self.alpha.write(buf);
        self.pk_a.write(buf);
        self.re_auth.write(buf);
    }

    fn write_authentication(&self, _buf: &mut Vec<u8>) {}

    fn proof(&self) -> Option<&ProofBytes> {
        Some(&self.proof)
    }

    fn binding_suffix(&self) -> Option<Vec<u8>> {
        Some(Vec::new())
    }

    fn check(&self, ctx: &CheckContext<'_>) -> Result<Claims, TxError> {
        ctx.key_proof_claims(&self.pk_a, &self.proof)
    }

    fn apply(&self, ctx: &mut ApplyContext<'_, '_>) -> Result<Option<u64>, TxError> {
        let mda = read_mda(ctx, &self.alpha)?;
        if mda.pk_a != self.pk_a {
            return Err(TxError::NotOwner { alpha: self.alpha });
        }
        let authorization: AuthorizationRecord =
            state::read(ctx.state, &state::authorization_key(&self.re_auth))
                .filter(|a: &AuthorizationRecord| a.alpha == self.alpha)
                .ok_or(TxError::UnknownAuthorization { alpha: self.alpha })?;
        let key = state::consent_withdrawal_key(&self.re_auth);
        if let Some(earlier) = state::read::<ConsentWithdrawal>(ctx.state, &key) {
            return Err(TxError::ConsentWithdrawn {
                alpha: self.alpha,
                height: earlier.height,
            });
        }
        let record = ConsentWithdrawal {
            height: ctx.env.height,
            tx: ctx.id,
        };
        state::write(ctx.state, key, &record);
        let event = AuditEvent {
            pk_h: Some(authorization.pk_h),
            group: Some(authorization.group.clone()),
            position: Some(authorization.position),
            ..ctx.event(self.alpha, self.pk_a)
        };
        audit(ctx, &event, Some(&authorization.pk_h));
        Ok(None)
    }
}

/// What the owner needs to withdraw a consent it gave.
pub struct ConsentWithdrawalRequest<'a> {
    pub chain_id: &'a str,
    pub alpha: Field,
    pub re_auth: Field,
    /// The owner's key behind `pk_A`.
    pub sk: &'a SecretKey,
    /// The withdrawal circuit's proving key (knowledge of `sk`).
    pub proving_key: &'a ProvingKey,
}

pub fn withdraw_consent<R: RngCore + CryptoRng>(
    request: ConsentWithdrawalRequest,
    rng: &mut R,
) -> Result<WithdrawConsent, BuildError> {
    let witness = WithdrawalWitness {
        sk: request.sk.clone(),
    };
    let mut body = WithdrawConsent {
        alpha: request.alpha,
        pk_a: Field(request.sk.public_key()),
        re_auth: request.re_auth,
        proof: [0; PROOF_BYTES],
    };
    let binding = super::binding(request.chain_id, WithdrawConsent::KIND, &body)
        .expect("a consent withdrawal has a proof");
    body.proof = prove(
        request.proving_key,
        &witness.statement(binding.0),
        &witness,
        rng,
    )?
    .to_bytes();
    Ok(body)
}
