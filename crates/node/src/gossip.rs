//! Transaction admission and gossip.
//!
//! A transaction reaches a validator from a client (through the API) or from a peer. Either way
//! it is decoded, checked by the verification workers in batches, and only then enters the
//! mempool; a validator forwards to its peers only what it checked itself, once. A peer that
//! sends bytes that are not a transaction, or a proof or signature that does not verify, is
//! Byzantine: it is blocked (disconnected), not obeyed.

use crate::chain::Chain;
use commonware_codec::Encode;
use commonware_cryptography::ed25519::PublicKey;
use commonware_p2p::{Blocker, Receiver, Recipients, Sender};
use commonware_runtime::{Handle, Spawner};
use futures::{
    SinkExt, StreamExt,
    channel::{mpsc, oneshot},
};
use medshare_ledger::{Hash, Transaction, TxError, state::StateView};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tracing::{debug, warn};

/// Most transactions checked in one worker batch.
const BATCH: usize = 64;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SubmitError {
    #[error("rejected: {0}")]
    Rejected(String),
    #[error("{0}")]
    Unavailable(String),
}

/// A transaction waiting for admission, from a client or a peer.
struct Incoming {
    tx: Transaction,
    origin: Origin,
}

/// The API's handle for submitting transactions.
#[derive(Clone)]
pub struct Submitter {
    sender: mpsc::Sender<Incoming>,
}

impl Submitter {
    /// Checks and pools `tx`; returns its id once it is pending, or why it was refused.
    pub async fn submit(&self, tx: Transaction) -> Result<Hash, SubmitError> {
        let (reply, response) = oneshot::channel();
        self.sender
            .clone()
            .send(Incoming {
                tx,
                origin: Origin::Client(reply),
            })
            .await
            .map_err(|_| SubmitError::Unavailable("the node is shutting down".into()))?;
        response
            .await
            .map_err(|_| SubmitError::Unavailable("the node is shutting down".into()))?
    }
}

pub struct Gossip<B: Blocker<PublicKey = PublicKey>> {
    chain: Arc<Chain>,
    blocker: B,
    incoming: mpsc::Receiver<Incoming>,
    submitter: Submitter,
}

/// Where a transaction came from.
enum Origin {
    Client(oneshot::Sender<Result<Hash, SubmitError>>),
    Peer(PublicKey),
}

/// Errors that prove the sender is faulty: they do not depend on the state.
fn is_byzantine(error: &TxError) -> bool {
    matches!(
        error,
        TxError::Malformed { .. }
            | TxError::InvalidProof(_)
            | TxError::BadNoteSignature
            | TxError::BadAuthoritySignature
    )
}

impl<B: Blocker<PublicKey = PublicKey>> Gossip<B> {
    pub fn new(chain: Arc<Chain>, blocker: B) -> Self {
        let (sender, incoming) = mpsc::channel(16_384);
        Self {
            chain,
            blocker,
            incoming,
            submitter: Submitter { sender },
        }
    }

    pub fn submitter(&self) -> Submitter {
        self.submitter.clone()
    }

    /// Starts admission, and a reader that decodes what peers send into the same queue, so
    /// peers' transactions are checked in batches too.
    pub fn start<E: Spawner>(
        self,
        context: E,
        (sender, receiver): (
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        ),
    ) -> Handle<()> {
        context.spawn(move |context| async move {
            let inbox = self.submitter.sender.clone();
            let blocker = self.blocker.clone();
            context.spawn(move |_| read_peers(receiver, inbox, blocker));
            self.run(sender).await
        })
    }

    fn already_final(&self, id: &Hash) -> bool {
        StateView(self.chain.finalized()).transaction(id).is_some()
    }

    async fn run(mut self, mut sender: impl Sender<PublicKey = PublicKey>) {
        // Wait for one transaction, then take whatever else is already queued.
        while let Some(first) = self.incoming.next().await {
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match self.incoming.try_recv() {
                    Ok(incoming) => batch.push(incoming),
                    Err(_) => break,
                }
            }
            self.admit(batch, &mut sender).await;
        }
    }

    async fn admit(
        &mut self,
        batch: Vec<Incoming>,
        sender: &mut impl Sender<PublicKey = PublicKey>,
    ) {
        let mut fresh = Vec::new();
        for Incoming { tx, origin } in batch {
            let id = tx.id();
            if self.chain.mempool.contains(&id) || self.already_final(&id) {
                if let Origin::Client(reply) = origin {
                    let _ = reply.send(Ok(id));
                }
                continue;
            }
            fresh.push((tx, origin));
        }
        if fresh.is_empty() {
            return;
        }
        let txs: Vec<Transaction> = fresh.iter().map(|(tx, _)| tx.clone()).collect();
        let results = self.chain.checks(&txs).await;
        // A node still executing blocks consensus has finalized would refuse what is valid on
        // the chain (an MDA registered in a block it has not applied yet): it skips the dry run
        // and lets block building decide.
        let behind = self.chain.stats.tip_height.load(Ordering::Relaxed) > self.chain.tip().height;
        for ((tx, origin), result) in fresh.into_iter().zip(results) {
            let id = tx.id();
            let result = result.and_then(|checked| {
                if behind {
                    return Ok(checked);
                }
                self.chain.dry_run(&tx, &checked).map(|()| checked)
            });
            let outcome = match result {
                Ok(checked) => {
                    let encoded = tx.encode();
                    match self.chain.mempool.insert(Arc::new(tx), checked) {
                        Ok(true) => {
                            if let Origin::Client(_) = origin {
                                // Peers forward nothing: the origin sends to everyone.
                                let _ = sender.send(Recipients::All, encoded, false).await;
                            }
                            Ok(id)
                        }
                        Ok(false) => Ok(id),
                        Err(full) => Err(SubmitError::Unavailable(full.to_string())),
                    }
                }
                Err(error) => {
                    if let Origin::Peer(peer) = &origin {
                        if is_byzantine(&error) {
                            warn!(?peer, %error, "peer sent an invalid transaction: blocking");
                            self.blocker.block(peer.clone()).await;
                        } else {
                            debug!(%error, "peer's transaction does not apply here");
                        }
                    }
                    self.chain.mempool.reject(id, error.to_string());
                    Err(SubmitError::Rejected(error.to_string()))
                }
            };
            if let Origin::Client(reply) = origin {
                let _ = reply.send(outcome);
            }
        }
    }
}

/// Decodes peers' messages into the admission queue; a peer that sends bytes that are not a
/// transaction is blocked.
async fn read_peers<B: Blocker<PublicKey = PublicKey>>(
    mut receiver: impl Receiver<PublicKey = PublicKey>,
    mut inbox: mpsc::Sender<Incoming>,
    mut blocker: B,
) {
    while let Ok((peer, bytes)) = receiver.recv().await {
        match Transaction::from_bytes(bytes.as_ref()) {
            Ok(tx) => {
                let origin = Origin::Peer(peer);
                if inbox.send(Incoming { tx, origin }).await.is_err() {
                    return;
                }
            }
            Err(error) => {
                warn!(?peer, %error, "peer sent a malformed transaction: blocking");
                blocker.block(peer).await;
            }
        }
    }
}
