//! Write-ahead submission, so a lost answer never strands what a command created.
//!
//! A command that creates secrets and then submits (register, authorize, withdraw) first keeps
//! the transaction, encrypted in the keystore beside the secrets, then submits it. It is dropped
//! only when the chain shows it final, or when the node refused it for good (its own 4xx answer).
//! Anything else — a proxy's 502 after the node pooled it, a timeout, a killed client — leaves it
//! *unknown*, and the next command [`reconcile`]s it: final → done; pooled → left to finish;
//! absent → submitted again, and dropped (with the MDA it registers) only if that is refused.

use crate::{
    Error, Keystore, Result, Session, keystore::PendingTx, node::Included,
    session::FINALITY_TIMEOUT,
};
use medshare_api::TxStatus;
use medshare_ledger::{Field, Transaction};

/// Keeps `tx` in the keystore, submits it and waits until it is final. `registers` names the
/// MDA a `Register` creates, so a refusal drops it too.
pub async fn submit(
    session: &Session,
    keystore: &mut Keystore,
    tx: &Transaction,
    registers: Option<&Field>,
) -> Result<Included> {
    let id = tx.id();
    keystore.add_pending(PendingTx {
        id,
        tx: commonware_codec::Encode::encode(tx).to_vec(),
        registers: registers.map(Field::to_bytes),
    });
    keystore.save()?;
    match session.node.submit_and_wait(tx, FINALITY_TIMEOUT).await {
        Ok(included) => {
            settle(keystore, &id, false)?;
            Ok(included)
        }
        Err(error) if error.is_refusal() => {
            settle(keystore, &id, true)?;
            Err(error)
        }
        Err(error) => Err(Error::Unknown {
            id: hex::encode(id),
            reason: error.to_string(),
        }),
    }
}

/// What [`reconcile`] found of one pending transaction.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Reconciled {
    Final { id: String, height: u64 },
    StillPending { id: String },
    Resubmitted { id: String },
    Refused { id: String, reason: String },
}

/// Settles every pending transaction against the chain (see the module doc). Unreachable nodes
/// leave everything as it was.
pub async fn reconcile(session: &Session, keystore: &mut Keystore) -> Result<Vec<Reconciled>> {
    let mut outcomes = Vec::new();
    for pending in keystore.pending().to_vec() {
        let id = hex::encode(pending.id);
        let outcome = match session.node.transaction(&id).await? {
            Some(TxStatus::Final { height, .. }) => {
                settle(keystore, &pending.id, false)?;
                Reconciled::Final { id, height }
            }
            Some(TxStatus::Pending) => Reconciled::StillPending { id },
            Some(TxStatus::Rejected { .. }) | None => {
                let tx = Transaction::from_bytes(&pending.tx).map_err(|e| {
                    Error::Inconsistent(format!("kept transaction {id} does not decode: {e}"))
                })?;
                match session.node.submit(&tx).await {
                    Ok(_) => Reconciled::Resubmitted { id },
                    Err(error) if error.code() == Some(medshare_api::ErrorCode::Replayed) => {
                        settle(keystore, &pending.id, false)?;
                        Reconciled::StillPending { id }
                    }
                    Err(error) if error.is_refusal() => {
                        settle(keystore, &pending.id, true)?;
                        Reconciled::Refused {
                            id,
                            reason: error.to_string(),
                        }
                    }
                    Err(_) => Reconciled::StillPending { id },
                }
            }
        };
        outcomes.push(outcome);
    }
    fill_positions(session, keystore).await?;
    Ok(outcomes)
}

/// Drops a pending transaction; a refused `Register` takes its MDA with it.
fn settle(keystore: &mut Keystore, id: &[u8; 32], refused: bool) -> Result<()> {
    let registers = keystore
        .pending()
        .iter()
        .find(|p| p.id == *id)
        .and_then(|p| p.registers);
    if let (true, Some(alpha)) = (refused, registers.and_then(|a| Field::from_bytes(&a))) {
        keystore.remove_mda(&alpha);
    }
    keystore.remove_pending(id);
    keystore.save()
}

/// Records the leaf of every owned MDA whose registration is final under this pseudonym.
async fn fill_positions(session: &Session, keystore: &mut Keystore) -> Result<()> {
    let me = keystore.pseudonym();
    for mut owned in keystore.mdas().to_vec() {
        if owned.position.is_some() {
            continue;
        }
        if let Some(record) = session.node.mda(&owned.alpha()).await?
            && record.pk_a == me
        {
            owned.position = Some(record.position);
            keystore.set_mda(owned);
            keystore.save()?;
        }
    }
    Ok(())
}
