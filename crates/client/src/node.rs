//! Typed calls to a validator's `/v1` API.

use crate::{Error, Result};
use medshare_api::{
    AccountView, AuditEventView, AuditView, AuthorizationView, BlockView, ErrorBody, ErrorCode,
    FspView, GroupView, MdaView, PathView, RevocationView, Status, SubmitRequest, Submitted,
    TxStatus,
};
use medshare_crypto::merkle::{DEPTH, MerklePath};
use medshare_ledger::{AccountId, Field, Genesis, GroupId, Transaction, tree::TreeId};
use serde::de::DeserializeOwned;
use std::time::{Duration, Instant};

/// Audit events fetched per request.
const PAGE: u32 = 1000;
/// How often a transaction's status is polled while waiting for finality.
const POLL: Duration = Duration::from_millis(25);

/// A validator's API at `base` (`http://host:port`).
#[derive(Clone)]
pub struct NodeClient {
    http: reqwest::Client,
    base: String,
}

/// Where a final transaction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Included {
    pub height: u64,
    pub index: u32,
}

impl NodeClient {
    pub fn new(base: &str) -> Result<Self> {
        let base = base.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::Invalid(format!(
                "node URL {base:?} must start with http:// or https://"
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| Error::Invalid(format!("HTTP client: {e}")))?;
        Ok(Self { http, base })
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    fn unreachable(&self, error: reqwest::Error) -> Error {
        Error::Unreachable {
            url: self.base.clone(),
            reason: error.to_string(),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response> {
        let response = request.send().await.map_err(|e| self.unreachable(e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let text = response.text().await.unwrap_or_default();
        let (code, message) = match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => (body.error.code, body.error.message),
            Err(_) => (ErrorCode::Unknown, text.chars().take(300).collect()),
        };
        Err(Error::Api {
            status: status.as_u16(),
            code,
            message,
        })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let response = self
            .send(self.http.get(format!("{}{path}", self.base)))
            .await?;
        response.json().await.map_err(|e| self.unreachable(e))
    }

    /// `None` on 404.
    async fn find<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>> {
        match self.get(path).await {
            Ok(value) => Ok(Some(value)),
            Err(Error::Api { status: 404, .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    pub async fn status(&self) -> Result<Status> {
        self.get("/v1/status").await
    }

    pub async fn genesis(&self) -> Result<Genesis> {
        let genesis: Genesis = self.get("/v1/genesis").await?;
        genesis
            .validate()
            .map_err(|e| Error::Inconsistent(e.to_string()))?;
        Ok(genesis)
    }

    /// A proving key's file, as the node distributes it (the caller checks it against genesis).
    pub async fn proving_key(&self, circuit: &str) -> Result<Vec<u8>> {
        let response = self
            .send(self.http.get(format!("{}/v1/keys/{circuit}", self.base)))
            .await?;
        Ok(response
            .bytes()
            .await
            .map_err(|e| self.unreachable(e))?
            .to_vec())
    }

    fn body(tx: &Transaction) -> SubmitRequest {
        SubmitRequest {
            tx: hex::encode(commonware_codec::Encode::encode(tx)),
        }
    }

    /// Checks `tx` against the node's finalized state without submitting it.
    pub async fn check(&self, tx: &Transaction) -> Result<()> {
        let request = self
            .http
            .post(format!("{}/v1/transactions/check", self.base))
            .json(&Self::body(tx));
        self.send(request).await?;
        Ok(())
    }

    /// Submits `tx`; it is pending once this returns.
    pub async fn submit(&self, tx: &Transaction) -> Result<Submitted> {
        let request = self
            .http
            .post(format!("{}/v1/transactions", self.base))
            .json(&Self::body(tx));
        let response = self.send(request).await?;
        response.json().await.map_err(|e| self.unreachable(e))
    }

    pub async fn transaction(&self, id: &str) -> Result<Option<TxStatus>> {
        self.find(&format!("/v1/transactions/{id}")).await
    }

    /// A final transaction, decoded.
    pub async fn final_transaction(&self, id: &str) -> Result<Transaction> {
        match self.transaction(id).await? {
            Some(TxStatus::Final {
                transaction: Some(hex_tx),
                ..
            }) => {
                let bytes = hex::decode(&hex_tx)
                    .map_err(|_| Error::Inconsistent("transaction is not hex".into()))?;
                let tx = Transaction::from_bytes(&bytes)
                    .map_err(|e| Error::Inconsistent(format!("transaction {id}: {e}")))?;
                if hex::encode(tx.id()) != id {
                    return Err(Error::Inconsistent(format!(
                        "the node sent another transaction than {id}"
                    )));
                }
                Ok(tx)
            }
            Some(TxStatus::Final { .. }) => Err(Error::Invalid(format!(
                "the node does not store the block of transaction {id}; ask another validator with --node"
            ))),
            _ => Err(Error::Invalid(format!("transaction {id} is not final"))),
        }
    }

    /// Submits `tx` and waits until it is final (or refused, or `timeout` passes).
    ///
    /// "Already final" is success: the chain holds this transaction or an equivalent copy of it
    /// (same id; a relay may have re-randomized the proof), so the caller's effect took place.
    pub async fn submit_and_wait(&self, tx: &Transaction, timeout: Duration) -> Result<Included> {
        let id = hex::encode(tx.id());
        match self.submit(tx).await {
            Ok(_)
            | Err(Error::Api {
                code: ErrorCode::Replayed,
                ..
            }) => {}
            Err(error) => return Err(error),
        }
        self.wait_final(&id, timeout).await
    }

    pub async fn wait_final(&self, id: &str, timeout: Duration) -> Result<Included> {
        let started = Instant::now();
        loop {
            match self.transaction(id).await? {
                Some(TxStatus::Final { height, index, .. }) => {
                    return Ok(Included { height, index });
                }
                Some(TxStatus::Rejected { reason }) => {
                    return Err(Error::Rejected {
                        id: id.to_string(),
                        reason,
                    });
                }
                _ if started.elapsed() > timeout => {
                    return Err(Error::Timeout {
                        id: id.to_string(),
                        seconds: timeout.as_secs(),
                    });
                }
                _ => tokio::time::sleep(POLL).await,
            }
        }
    }

    /// Waits until this node's finalized state reaches `height`.
    pub async fn wait_height(&self, height: u64, timeout: Duration) -> Result<()> {
        let started = Instant::now();
        while self.status().await?.height < height {
            if started.elapsed() > timeout {
                return Err(Error::Invalid(format!(
                    "the node at {} has not reached height {height} after {} s",
                    self.base,
                    timeout.as_secs()
                )));
            }
            tokio::time::sleep(POLL).await;
        }
        Ok(())
    }

    pub async fn block(&self, height: u64) -> Result<BlockView> {
        self.get(&format!("/v1/blocks/{height}")).await
    }

    pub async fn group(&self, group: &GroupId) -> Result<Option<GroupView>> {
        self.find(&format!("/v1/groups/{group}")).await
    }

    pub async fn revocation(&self, group: &GroupId, epoch: u64) -> Result<RevocationView> {
        self.get(&format!("/v1/groups/{group}/revocations/{epoch}"))
            .await
    }

    /// A reward account (empty if never credited).
    pub async fn account(&self, account: &AccountId) -> Result<AccountView> {
        self.get(&format!("/v1/accounts/{account}")).await
    }

    /// What an authority acting as FSP has paid (`paid_through`: where its next epoch starts).
    pub async fn fsp(&self, authority: &[u8; 32]) -> Result<FspView> {
        self.get(&format!("/v1/fsps/{}", hex::encode(authority)))
            .await
    }

    pub async fn mda(&self, alpha: &Field) -> Result<Option<MdaView>> {
        self.find(&format!("/v1/mdas/{alpha}")).await
    }

    pub async fn authorization(&self, re_auth: &Field) -> Result<Option<AuthorizationView>> {
        self.find(&format!("/v1/authorizations/{re_auth}")).await
    }

    async fn audit(&self, path: &str) -> Result<Vec<AuditEventView>> {
        let mut events = Vec::new();
        loop {
            let page: AuditView = self
                .get(&format!("{path}?from={}&limit={PAGE}", events.len()))
                .await?;
            let done =
                page.events.is_empty() || events.len() + page.events.len() >= page.total as usize;
            events.extend(page.events);
            if done {
                return Ok(events);
            }
        }
    }

    /// Every event of MDA α, oldest first.
    pub async fn audit_alpha(&self, alpha: &Field) -> Result<Vec<AuditEventView>> {
        self.audit(&format!("/v1/mdas/{alpha}/audit")).await
    }

    /// Every event naming pseudonym `pk`, oldest first.
    pub async fn audit_pseudonym(&self, pk: &Field) -> Result<Vec<AuditEventView>> {
        self.audit(&format!("/v1/pseudonyms/{pk}/audit")).await
    }

    /// The leaf at `position` of a commitment tree and its path to the current root, checked.
    pub async fn path(&self, tree: TreeId, position: u64) -> Result<(Field, MerklePath)> {
        let view: PathView = self
            .get(&format!("/v1/trees/{}/paths/{position}", tree.name()))
            .await?;
        let levels: [[medshare_crypto::poseidon::Fr; 3]; DEPTH] = view
            .siblings
            .iter()
            .map(|level| level.map(|f| f.0))
            .collect::<Vec<_>>()
            .try_into()
            .map_err(|_| Error::Inconsistent(format!("a path has {DEPTH} levels")))?;
        let path = MerklePath::new(position, levels)
            .map_err(|e| Error::Inconsistent(format!("path: {e}")))?;
        if !path.verifies(view.leaf.0, view.root.0) {
            return Err(Error::Inconsistent(
                "the path does not lead to the root".into(),
            ));
        }
        Ok((view.leaf, path))
    }
}
