//! Rewards on chain: reading an account, withdrawing a pseudonym's rewards with a zero-knowledge
//! proof of its `sk`, and, for a genesis authority acting as the FSP, paying MDAPs for an epoch
//! (seed 000 §V) and sharing a fee by Shapley values (seed 003 ch. 7). The amounts are computed
//! by the state machine (`medshare_ledger::rewards`), not here: the client only reports the
//! balances it then reads.

use crate::{Error, Keystore, Result, Session, mda::prove, session::FINALITY_TIMEOUT};
use commonware_codec::DecodeExt;
use commonware_cryptography::ed25519;
use medshare_ledger::{
    AccountId, Field, GroupId, Transaction, ops,
    tx::{PayoutTerms, RevenueTerms},
};
use medshare_zk::CircuitId;
use rand::rngs::OsRng;
use serde::Serialize;

/// An account's balance (tokens, the smallest unit) and next withdrawal nonce.
#[derive(Clone, Debug, Serialize)]
pub struct Balance {
    pub account: String,
    pub balance: u128,
    pub nonce: u64,
}

/// The account's balance at the node's finalized height.
pub async fn balance(session: &Session, account: &AccountId) -> Result<Balance> {
    let view = session.node.account(account).await?;
    let balance = view
        .balance
        .parse()
        .map_err(|_| Error::Inconsistent(format!("balance {:?} is not a number", view.balance)))?;
    Ok(Balance {
        account: view.account,
        balance,
        nonce: view.nonce,
    })
}

/// What `withdraw` did.
#[derive(Debug, Serialize)]
pub struct Withdrawn {
    pub pk: Field,
    pub amount: u128,
    pub destination: String,
    /// What is left.
    pub balance: u128,
    pub height: u64,
    pub tx: String,
}

/// Withdraws `amount` tokens of this keystore's pseudonym to `destination` (an external payment
/// address, opaque to the chain). The proof of `sk` is bound to amount, destination and the
/// account's next nonce: nobody can replay it or point it elsewhere.
pub async fn withdraw(
    session: &Session,
    keystore: &mut Keystore,
    amount: u128,
    destination: &str,
) -> Result<Withdrawn> {
    crate::pending::reconcile(session, keystore).await?;
    let pk = keystore.pseudonym();
    let account = AccountId::Pseudonym(pk);
    let before = balance(session, &account).await?;
    if amount > before.balance {
        return Err(Error::Invalid(format!(
            "the account holds {} tokens; cannot withdraw {amount}",
            before.balance
        )));
    }
    let proving_key = session.proving_key(CircuitId::Withdrawal).await?;
    let (chain_id, sk, destination_bytes) = (
        session.chain_id().to_string(),
        keystore.zk_secret(),
        destination.as_bytes().to_vec(),
    );
    let tx = prove(move || {
        Ok(ops::rewards::withdraw(
            ops::rewards::Withdrawal {
                chain_id: &chain_id,
                sk: &sk,
                amount,
                destination: destination_bytes,
                nonce: before.nonce,
                proving_key: &proving_key,
            },
            &mut OsRng,
        )
        .map(Transaction::from)?)
    })
    .await?;
    session.node.check(&tx).await?;
    let included = crate::pending::submit(session, keystore, &tx, None).await?;
    Ok(Withdrawn {
        pk,
        amount,
        destination: destination.to_string(),
        balance: balance(session, &account).await?.balance,
        height: included.height,
        tx: hex::encode(tx.id()),
    })
}

/// The ed25519 key of the authority that created `group`, from the keystore: a genesis authority,
/// so it may act as the FSP.
pub fn authority_signer(keystore: &Keystore, group: &GroupId) -> Result<ed25519::PrivateKey> {
    let entry = keystore
        .authority(group.as_str())
        .ok_or_else(|| Error::NotAuthority(group.clone()))?;
    ed25519::PrivateKey::decode(entry.signer.as_slice())
        .map_err(|_| Error::Invalid("the keystore's authority key does not decode".into()))
}

/// One account's balance change, as observed around a payout or revenue.
#[derive(Debug, Serialize)]
pub struct Credited {
    pub account: String,
    pub amount: u128,
    pub balance: u128,
}

/// What a payout or a revenue did.
#[derive(Debug, Serialize)]
pub struct Settled {
    pub credits: Vec<Credited>,
    pub total: u128,
    pub height: u64,
    pub tx: String,
}

/// Submits an FSP transaction and reports how the balances of `accounts` changed. The chain
/// computes the amounts; another credit to one of them in the same blocks would show too.
async fn settle(session: &Session, tx: Transaction, accounts: Vec<AccountId>) -> Result<Settled> {
    session.node.check(&tx).await?;
    let mut before = Vec::with_capacity(accounts.len());
    for account in &accounts {
        before.push(balance(session, account).await?.balance);
    }
    let included = session.node.submit_and_wait(&tx, FINALITY_TIMEOUT).await?;
    let mut credits = Vec::with_capacity(accounts.len());
    for (account, before) in accounts.iter().zip(before) {
        let after = balance(session, account).await?.balance;
        credits.push(Credited {
            account: account.to_string(),
            amount: after.saturating_sub(before),
            balance: after,
        });
    }
    Ok(Settled {
        total: credits.iter().map(|c| c.amount).sum(),
        credits,
        height: included.height,
        tx: hex::encode(tx.id()),
    })
}

/// Pays the MDAPs of `terms` for the MDAs they authorized in its epoch, as the FSP `signer`.
pub async fn payout(
    session: &Session,
    signer: &ed25519::PrivateKey,
    terms: PayoutTerms,
) -> Result<Settled> {
    let accounts = terms
        .mdaps
        .iter()
        .map(|m| AccountId::Pseudonym(m.pk))
        .collect();
    let tx = Transaction::from(ops::rewards::payout(session.chain_id(), terms, signer));
    settle(session, tx, accounts).await
}

/// Shares a fee among the data-owner groups, the validators and the third party of `terms`, as
/// the FSP `signer` that collected it.
pub async fn revenue(
    session: &Session,
    signer: &ed25519::PrivateKey,
    terms: RevenueTerms,
) -> Result<Settled> {
    let accounts = terms
        .owners
        .iter()
        .map(|g| AccountId::Group(g.clone()))
        .chain(session.genesis.validator_keys().map(AccountId::Validator))
        .chain([AccountId::Pseudonym(terms.third_party)])
        .collect();
    let tx = Transaction::from(ops::rewards::revenue(session.chain_id(), terms, signer));
    settle(session, tx, accounts).await
}
