//! Rewards on chain: the FSP's payouts to MDAPs (seed 000 §V), fees shared by Shapley values
//! (seed 003 ch. 7), and withdrawals from the reward accounts they credit.
//!
//! - **Payout**: a genesis authority acting as the FSP pays MDAPs for the MDAs they authorized in
//!   the epoch `from_height..=to_height`: the state machine counts each pseudonym's distinct
//!   authorized MDAs `h_i` (capped by `g_i`), solves the published quadratic model exactly and
//!   credits `V_i(h_i) = x_i h_i + y_i` in tokens, within the budget.
//! - **Revenue**: a fee a third party paid for a service built on shared data, split among the
//!   data-owner groups, the validators (weighted by the blocks they proposed) and the third party.
//! - **Withdraw**: a pseudonym moves some of its rewards to an external destination; the proof
//!   shows knowledge of the `sk` behind `pk`, and its binding covers amount, destination and nonce.

pub mod amounts;
pub mod terms;

use super::{
    ApplyContext, Body, BuildError, CheckContext, Claims, Operation, PROOF_BYTES, ProofBytes,
    authority_signature,
};
use crate::{
    error::TxError,
    kind::Kind,
    state::{self, AccountId, FspRecord},
    types::{Field, read_bytes},
};
use amounts::{credit, payout_amounts, revenue_split};
use bytes::Buf;
use commonware_codec::{Error as CodecError, ReadExt, Write};
use commonware_cryptography::{Signer, ed25519};
use medshare_crypto::poseidon::SecretKey;
use medshare_zk::{ProvingKey, WithdrawalWitness, prove};
use rand::{CryptoRng, RngCore};
use terms::{PayoutTerms, RevenueTerms};

/// A withdrawal's destination (an external payment address; opaque to the chain).
pub const MAX_DESTINATION: usize = 128;

/// The FSP pays MDAPs for an epoch. Signed by a genesis authority.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payout {
    pub authority: ed25519::PublicKey,
    pub terms: PayoutTerms,
    pub signature: ed25519::Signature,
}

/// A fee shared by Shapley values (seed 003 Theorem 2, (7.9)-(7.10)). Signed by a genesis
/// authority acting as the FSP that collected the fee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revenue {
    pub authority: ed25519::PublicKey,
    pub terms: RevenueTerms,
    pub signature: ed25519::Signature,
}

/// A pseudonym moves `amount` of its rewards to `destination`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withdraw {
    pub pk: Field,
    pub amount: u128,
    pub destination: Vec<u8>,
    /// The account's next nonce: each withdrawal uses the next one, once.
    pub nonce: u64,
    pub proof: ProofBytes,
}

/// The FSP's record, for updating.
fn fsp(ctx: &ApplyContext<'_, '_>, authority: &ed25519::PublicKey) -> (Vec<u8>, FspRecord) {
    let key = state::fsp_key(authority.as_ref());
    let record = state::read(ctx.state, &key).unwrap_or_default();
    (key, record)
}

impl Body for Payout {
    const KIND: Kind = Kind::Payout;
    fn read(buf: &mut impl Buf) -> Result<Self, CodecError> {
        Ok(Self {
            authority: ed25519::PublicKey::read(buf)?,
            terms: PayoutTerms::read(buf)?,
            signature: ed25519::Signature::read(buf)?,
        })
    }
}

impl Operation for Payout {
    fn write_fields(&self, buf: &mut Vec<u8>) {
        self.authority.write(buf);
        self.terms.write(buf);
    }

    fn write_authentication(&self, buf: &mut Vec<u8>) {
        self.signature.write(buf);
    }

    fn check(&self, ctx: &CheckContext<'_>) -> Result<Claims, TxError> {
        ctx.check_authority(&self.authority, &self.signature)?;
        Ok(Claims::default())
    }

    fn apply(&self, ctx: &mut ApplyContext<'_, '_>) -> Result<Option<u64>, TxError> {
        let (key, mut fsp) = fsp(ctx, &self.authority);
        if self.terms.from_height <= fsp.paid_through {
            return Err(TxError::EpochAlreadyPaid {
                paid_through: fsp.paid_through,
            });
        }
        let amounts = payout_amounts(ctx.state, ctx.env.height, &self.terms)?;
        for (mdap, amount) in self.terms.mdaps.iter().zip(&amounts) {
            credit(ctx.state, &AccountId::Pseudonym(mdap.pk), *amount)?;
        }
        fsp.paid_through = self.terms.to_height;
        fsp.paid_out = fsp.paid_out.saturating_add(amounts.iter().sum());
        state::write(ctx.state, key, &fsp);
        Ok(None)
    }
}

impl Body for Revenue {
    const KIND: Kind = Kind::Revenue;
    fn read(buf: &mut impl Buf) -> Result<Self, CodecError> {
        Ok(Self {
            authority: ed25519::PublicKey::read(buf)?,
            terms: RevenueTerms::read(buf)?,
            signature: ed25519::Signature::read(buf)?,
        })
    }
}

impl Operation for Revenue {
    fn write_fields(&self, buf: &mut Vec<u8>) {
        self.authority.write(buf);
        self.terms.write(buf);
    }

    fn write_authentication(&self, buf: &mut Vec<u8>) {
        self.signature.write(buf);
    }

    fn check(&self, ctx: &CheckContext<'_>) -> Result<Claims, TxError> {
        ctx.check_authority(&self.authority, &self.signature)?;
        Ok(Claims::default())
    }

    fn apply(&self, ctx: &mut ApplyContext<'_, '_>) -> Result<Option<u64>, TxError> {
        let split = revenue_split(
            ctx.state,
            ctx.env.height,
            &ctx.chain.validators,
            &self.terms,
        )?;
        for (account, amount) in &split {
            credit(ctx.state, account, *amount)?;
        }
        let (key, mut fsp) = fsp(ctx, &self.authority);
        fsp.revenue = fsp.revenue.saturating_add(self.terms.fee);
        state::write(ctx.state, key, &fsp);
        Ok(None)
    }
}

impl Body for Withdraw {
    const KIND: Kind = Kind::Withdraw;
    fn read(buf: &mut impl Buf) -> Result<Self, CodecError> {
        Ok(Self {
            pk: Field::read(buf)?,
            amount: u128::read(buf)?,
            destination: read_bytes(buf, MAX_DESTINATION)?,
            nonce: u64::read(buf)?,
            proof: ProofBytes::read(buf)?,
        })
    }
}

impl Operation for Withdraw {
    fn write_fields(&self, buf: &mut Vec<u8>) {
        self.pk.write(buf);
        self.amount.write(buf);
        self.destination.write(buf);
        self.nonce.write(buf);
    }

    fn write_authentication(&self, _buf: &mut Vec<u8>) {}

    fn proof(&self) -> Option<&ProofBytes> {
        Some(&self.proof)
    }

    fn binding_suffix(&self) -> Option<Vec<u8>> {
        Some(Vec::new())
    }

    fn check(&self, ctx: &CheckContext<'_>) -> Result<Claims, TxError> {
        ctx.key_proof_claims(&self.pk, &self.proof)
    }

    fn apply(&self, ctx: &mut ApplyContext<'_, '_>) -> Result<Option<u64>, TxError> {
        let id = AccountId::Pseudonym(self.pk);
        let mut account = state::account(ctx.state, &id);
        if self.nonce != account.nonce {
            return Err(TxError::WrongNonce {
                expected: account.nonce,
                got: self.nonce,
            });
        }
        if self.amount == 0 {
            return Err(TxError::EmptyWithdrawal);
        }
        if self.amount > account.balance {
            return Err(TxError::InsufficientBalance {
                balance: account.balance,
                amount: self.amount,
            });
        }
        account.balance -= self.amount;
        account.nonce += 1;
        state::write(ctx.state, state::account_key(&id), &account);
        Ok(None)
    }
}

/// A genesis authority, acting as the FSP, pays MDAPs for an epoch.
pub fn payout(chain_id: &str, terms: PayoutTerms, authority: &ed25519::PrivateKey) -> Payout {
    let mut body = Payout {
        authority: authority.public_key(),
        terms,
        signature: authority.sign(super::AUTHORITY_NAMESPACE, b""),
    };
    body.signature = authority_signature(chain_id, &body, authority);
    body
}

/// A genesis authority, acting as the FSP that collected a fee, shares it out.
pub fn revenue(chain_id: &str, terms: RevenueTerms, authority: &ed25519::PrivateKey) -> Revenue {
    let mut body = Revenue {
        authority: authority.public_key(),
        terms,
        signature: authority.sign(super::AUTHORITY_NAMESPACE, b""),
    };
    body.signature = authority_signature(chain_id, &body, authority);
    body
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
) -> Result<Withdraw, BuildError> {
    let witness = WithdrawalWitness { sk: w.sk.clone() };
    let mut body = Withdraw {
        pk: Field(w.sk.public_key()),
        amount: w.amount,
        destination: w.destination,
        nonce: w.nonce,
        proof: [0; PROOF_BYTES],
    };
    let binding =
        super::binding(w.chain_id, Withdraw::KIND, &body).expect("a withdrawal has a proof");
    body.proof = prove(w.proving_key, &witness.statement(binding.0), &witness, rng)?.to_bytes();
    Ok(body)
}
