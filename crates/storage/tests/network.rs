//! Storage end to end: peers on loopback, in process, over real HTTP.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use medshare_crypto::envelope::SecretKey;
use medshare_crypto::stream::SEGMENT_SIZE;
use medshare_storage::api::{ErrorBody, ErrorCode, Inventory, RepairReport};
use medshare_storage::client::ClientError;
use medshare_storage::peer::DEFAULT_MAX_SHARD_BYTES;
use medshare_storage::placement::PlacementError;
use medshare_storage::remote::RequestError;
use medshare_storage::{
    Client, ClientOptions, ContentId, Erasure, Peer, PeerConfig, PeerList, StaticGate, StoragePeer,
    Upload,
};
use rand::{RngCore, SeedableRng};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// `n` storage peers sharing one release gate.
struct Cluster {
    root: tempfile::TempDir,
    gate: Arc<StaticGate>,
    list: PeerList,
    keys: Vec<SecretKey>,
    servers: Vec<Option<JoinHandle<()>>>,
}

impl Cluster {
    async fn start(n: usize) -> Self {
        Self::start_with_limit(n, DEFAULT_MAX_SHARD_BYTES).await
    }

    async fn start_with_limit(n: usize, max_shard_bytes: u64) -> Self {
        let root = tempfile::tempdir().unwrap();
        let gate = Arc::new(StaticGate::new());
        let keys: Vec<SecretKey> = (0..n).map(|_| SecretKey::generate()).collect();
        let mut listeners = Vec::new();
        for _ in 0..n {
            listeners.push(TcpListener::bind("127.0.0.1:0").await.unwrap());
        }
        let list = PeerList::new(
            listeners
                .iter()
                .zip(&keys)
                .enumerate()
                .map(|(i, (listener, key))| Peer {
                    id: format!("peer-{i}").parse().unwrap(),
                    url: format!("http://{}", listener.local_addr().unwrap()),
                    key: key.public_key(),
                })
                .collect(),
        )
        .unwrap();
        let mut cluster = Self {
            root,
            gate,
            list,
            keys,
            servers: Vec::new(),
        };
        for (i, listener) in listeners.into_iter().enumerate() {
            let server = cluster.serve(i, listener, max_shard_bytes);
            cluster.servers.push(Some(server));
        }
        cluster
    }

    fn data_dir(&self, i: usize) -> PathBuf {
        self.root.path().join(format!("peer-{i}"))
    }

    fn serve(&self, i: usize, listener: TcpListener, max_shard_bytes: u64) -> JoinHandle<()> {
        let config = PeerConfig {
            id: self.list.peers()[i].id.clone(),
            data_dir: self.data_dir(i),
            peers: self.list.clone(),
            max_shard_bytes,
        };
        let peer = StoragePeer::open(config, self.keys[i].clone(), self.gate.clone()).unwrap();
        tokio::spawn(async move {
            axum::serve(
                listener,
                peer.router().fallback(medshare_storage::peer::not_found),
            )
            .await
            .unwrap();
        })
    }

    /// Stops peer `i` accepting connections.
    async fn kill(&mut self, i: usize) {
        if let Some(server) = self.servers[i].take() {
            server.abort();
            let _ = server.await;
        }
    }

    fn url(&self, i: usize) -> &str {
        &self.list.peers()[i].url
    }

    fn addr(&self, i: usize) -> SocketAddr {
        self.url(i).trim_start_matches("http://").parse().unwrap()
    }

    fn index_of(&self, id: &medshare_storage::PeerId) -> usize {
        self.list.peers().iter().position(|p| &p.id == id).unwrap()
    }

    /// A fresh client (no pooled connections to killed peers).
    fn client(&self) -> Client {
        Client::new(self.list.clone(), ClientOptions::default()).unwrap()
    }

    async fn inventory(&self, i: usize) -> Inventory {
        reqwest::get(format!("{}/v1/inventory", self.url(i)))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    rand::rngs::StdRng::seed_from_u64(seed).fill_bytes(&mut bytes);
    bytes
}

fn write_input(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    path
}

/// Uploads `data`, releases it to a fresh ephemeral key and returns both.
async fn upload_and_release(cluster: &Cluster, data: &[u8], name: &str) -> (Upload, SecretKey) {
    let work = tempfile::tempdir().unwrap();
    let input = write_input(work.path(), name, data);
    let upload = cluster
        .client()
        .upload(&input, Erasure::default())
        .await
        .unwrap();
    let epk = SecretKey::generate();
    cluster.gate.release(
        *upload.manifest.alpha(),
        epk.public_key(),
        upload.manifest_cid,
    );
    (upload, epk)
}

async fn download(
    cluster: &Cluster,
    upload: &Upload,
    epk: &SecretKey,
) -> Result<Vec<u8>, ClientError> {
    let out = tempfile::tempdir().unwrap();
    let output = out.path().join("mda");
    cluster
        .client()
        .download(&upload.manifest, &upload.data_key, epk, &output)
        .await?;
    Ok(std::fs::read(&output).unwrap())
}

/// Error body of a refused request.
async fn refusal(response: reqwest::Response) -> (u16, ErrorCode, String) {
    let status = response.status().as_u16();
    let body: ErrorBody = response.json().await.unwrap();
    (status, body.error.code, body.error.message)
}

/// Sends `PUT path` declaring a `Content-Length` of `length` but no body, and reads the refusal:
/// what a peer must answer from the headers alone.
async fn declared_put(addr: SocketAddr, path: &str, length: usize) -> (u16, ErrorCode, String) {
    use tokio::io::AsyncReadExt;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PUT {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {length}\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8(response).unwrap();
    let status = text[9..12].parse().unwrap();
    let (_, body) = text.split_once("\r\n\r\n").unwrap();
    let body: ErrorBody = serde_json::from_str(body).unwrap();
    (status, body.error.code, body.error.message)
}

/// How many shards of `upload` every peer holds.
async fn shards_per_peer(cluster: &Cluster, upload: &Upload) -> Vec<usize> {
    let mut counts = Vec::new();
    for i in 0..cluster.list.peers().len() {
        let inventory = cluster.inventory(i).await;
        counts.push(
            inventory
                .shards
                .iter()
                .filter(|s| upload.manifest.shard_index(&s.cid).is_some())
                .count(),
        );
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edge_sizes_round_trip_on_distinct_peers() {
    let cluster = Cluster::start(6).await;
    for (seed, len) in [0, 1, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1]
        .into_iter()
        .enumerate()
    {
        let data = random_bytes(len, seed as u64);
        let (upload, epk) = upload_and_release(&cluster, &data, "mda").await;
        assert_eq!(upload.manifest.plaintext_len(), len as u64);
        assert_eq!(
            download(&cluster, &upload, &epk).await.unwrap(),
            data,
            "{len} bytes"
        );
        assert_eq!(
            shards_per_peer(&cluster, &upload).await,
            vec![1; 6],
            "{len} bytes"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_mib_round_trip_and_with_m_peers_down() {
    let mut cluster = Cluster::start(6).await;
    let data = random_bytes(50 << 20, 50);
    let (upload, epk) = upload_and_release(&cluster, &data, "big").await;
    assert!(download(&cluster, &upload, &epk).await.unwrap() == data);

    // Take down the holders of two data shards: the rebuild must use parity.
    for index in [0, 2] {
        let peer = cluster.index_of(upload.placement.holder(index));
        cluster.kill(peer).await;
    }
    assert!(download(&cluster, &upload, &epk).await.unwrap() == data);

    // A third peer down leaves k - 1 shards: the download fails and writes nothing.
    let third = cluster.index_of(upload.placement.holder(1));
    cluster.kill(third).await;
    let out = tempfile::tempdir().unwrap();
    let output = out.path().join("mda");
    let error = cluster
        .client()
        .download(&upload.manifest, &upload.data_key, &epk, &output)
        .await
        .unwrap_err();
    assert!(
        matches!(error, ClientError::NotEnoughShards { need: 4, .. }),
        "{error}"
    );
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_shards_are_detected_and_others_used() {
    let cluster = Cluster::start(6).await;
    let data = random_bytes(3 * SEGMENT_SIZE + 77, 3);
    let (upload, epk) = upload_and_release(&cluster, &data, "mda").await;
    let tamper = |index: usize| {
        let holder = cluster.index_of(upload.placement.holder(index));
        let cid = upload.manifest.shards()[index];
        let path = cluster
            .data_dir(holder)
            .join("shards")
            .join(cid.to_string());
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[1000] ^= 0x01;
        std::fs::write(&path, bytes).unwrap();
    };

    // Shard 0 is fetched first; had it been used, decryption would fail.
    tamper(0);
    assert!(download(&cluster, &upload, &epk).await.unwrap() == data);

    // With m + 1 shards tampered, the failures name the CID check.
    tamper(1);
    tamper(2);
    match download(&cluster, &upload, &epk).await.unwrap_err() {
        ClientError::NotEnoughShards { failures, .. } => {
            assert_eq!(failures.len(), 3);
            for failure in failures {
                assert!(
                    failure.to_string().contains("shard does not match its CID"),
                    "{failure}"
                );
            }
        }
        other => panic!("unexpected {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shards_are_released_only_for_a_final_extraction_of_that_mda() {
    let cluster = Cluster::start(6).await;
    let work = tempfile::tempdir().unwrap();
    let client = cluster.client();
    let a_data = random_bytes(10_000, 1);
    let b_data = random_bytes(20_000, 2);
    let a = client
        .upload(&write_input(work.path(), "a", &a_data), Erasure::default())
        .await
        .unwrap();
    let b = client
        .upload(&write_input(work.path(), "b", &b_data), Erasure::default())
        .await
        .unwrap();
    let epk = SecretKey::generate();

    // No extraction yet: every peer refuses.
    let refused = |error: ClientError| match error {
        ClientError::NotEnoughShards { failures, .. } => failures
            .iter()
            .map(|f| match &f.error {
                RequestError::Refused { status, code, .. } => (*status, *code),
                other => panic!("unexpected {other}"),
            })
            .collect::<Vec<_>>(),
        other => panic!("unexpected {other}"),
    };
    let codes = refused(download(&cluster, &a, &epk).await.unwrap_err());
    assert_eq!(codes, vec![(403, ErrorCode::NoExtraction); 6]);

    // A final extraction of A for this key releases A, not B.
    cluster
        .gate
        .release(*a.manifest.alpha(), epk.public_key(), a.manifest_cid);
    assert_eq!(download(&cluster, &a, &epk).await.unwrap(), a_data);
    let codes = refused(download(&cluster, &b, &epk).await.unwrap_err());
    assert_eq!(codes, vec![(403, ErrorCode::NoExtraction); 6]);

    // Asking for a shard of B under A's extraction is refused as well.
    let b_shard = b.manifest.shards()[0];
    let holder = cluster.index_of(b.placement.holder(0));
    let url = format!(
        "{}/v1/shards/{b_shard}/extraction?alpha={}&epk={}",
        cluster.url(holder),
        a.manifest.alpha(),
        epk.public_key()
    );
    let (status, code, message) = refusal(reqwest::get(&url).await.unwrap()).await;
    assert_eq!((status, code), (403, ErrorCode::NotInMda));
    assert!(message.contains("not part of this MDA"), "{message}");

    // Another key learns nothing from A's release.
    let other = SecretKey::generate();
    let codes = refused(download(&cluster, &a, &other).await.unwrap_err());
    assert_eq!(codes, vec![(403, ErrorCode::NoExtraction); 6]);
    let (_, code, message) = refusal(
        reqwest::get(format!(
            "{}/v1/shards/{}/extraction?alpha={}&epk={}",
            cluster.url(cluster.index_of(a.placement.holder(0))),
            a.manifest.shards()[0],
            a.manifest.alpha(),
            other.public_key()
        ))
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(code, ErrorCode::NoExtraction);
    assert_eq!(message, "no final extraction of this MDA for this key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_peer_ever_receives_k_shards_of_one_mda() {
    // Fewer peers than shards: some hold two, none holds k = 4.
    let cluster = Cluster::start(4).await;
    for seed in 0..8 {
        let data = random_bytes(5000 + seed as usize, seed);
        let (upload, epk) = upload_and_release(&cluster, &data, "mda").await;
        let counts = shards_per_peer(&cluster, &upload).await;
        assert_eq!(counts.iter().sum::<usize>(), 6);
        // k = 4; at most ⌈6 / 4⌉ = 2 on any peer.
        assert!(counts.iter().all(|&c| c <= 2), "{counts:?}");
        assert_eq!(download(&cluster, &upload, &epk).await.unwrap(), data);
    }

    // One peer cannot keep 4 + 2 shards apart: refused before anything is encoded or sent.
    let single = Cluster::start(1).await;
    let work = tempfile::tempdir().unwrap();
    let error = single
        .client()
        .upload(&write_input(work.path(), "x", b"x"), Erasure::default())
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        ClientError::Placement(PlacementError::TooFewPeers {
            peers: 1,
            k: 4,
            m: 2
        })
    ));
    assert!(single.inventory(0).await.shards.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_errors_and_change_nothing() {
    let cluster = Cluster::start_with_limit(6, 1 << 20).await;
    let http = reqwest::Client::new();
    let base = cluster.url(0).to_string();
    let shard = random_bytes(1000, 9);
    let cid = ContentId::of(&shard);

    let put = |path: String, body: Vec<u8>| http.put(format!("{base}{path}")).body(body).send();

    let (status, code, message) = refusal(
        put(format!("/v1/shards/{cid}"), random_bytes(1000, 10))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code), (422, ErrorCode::CidMismatch));
    assert!(
        message.starts_with("shard does not match its CID"),
        "{message}"
    );

    // Refusals decided before the body is read are sent with no body (or only a declared
    // length): a peer that refuses early closes the connection, and a client still writing a
    // body would see a broken pipe instead of the answer.
    let big = random_bytes((1 << 20) + 1, 11);
    let (status, code, message) = declared_put(
        cluster.addr(0),
        &format!("/v1/shards/{}", ContentId::of(&big)),
        big.len(),
    )
    .await;
    assert_eq!((status, code), (413, ErrorCode::TooLarge));
    assert!(message.starts_with("too large"), "{message}");

    let (status, code, _) =
        refusal(put("/v1/shards/not-a-cid".into(), vec![]).await.unwrap()).await;
    assert_eq!((status, code), (400, ErrorCode::InvalidCid));

    let (status, code, _) = refusal(
        put(
            format!("/v1/manifests/{}", ContentId::of(b"junk")),
            b"junk".to_vec(),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!((status, code), (422, ErrorCode::InvalidManifest));

    // A manifest under another CID is called a manifest, not a shard.
    let (status, code, message) = refusal(
        put(
            format!("/v1/manifests/{}", ContentId::of(b"other")),
            b"junk".to_vec(),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!((status, code), (422, ErrorCode::CidMismatch));
    assert!(
        message.starts_with("manifest does not match its CID"),
        "{message}"
    );

    let (status, code, _) = refusal(
        put("/v1/manifests/bafkreigh2akiscaildc".into(), vec![])
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code), (400, ErrorCode::InvalidCid));

    let (status, code, _) =
        declared_put(cluster.addr(0), &format!("/v1/manifests/{cid}"), 20_000).await;
    assert_eq!((status, code), (413, ErrorCode::TooLarge));

    let (status, code, message) = refusal(
        http.get(format!("{base}/v1/manifests/{cid}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code), (404, ErrorCode::UnknownManifest));
    assert!(message.starts_with("unknown manifest"));

    let (status, code, _) = refusal(
        http.get(format!("{base}/v1/shards/{cid}/extraction?alpha=zz"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code), (400, ErrorCode::InvalidRequest));

    let (status, code, _) =
        refusal(http.get(format!("{base}/v2/nothing")).send().await.unwrap()).await;
    assert_eq!((status, code), (404, ErrorCode::NotFound));

    // Nothing was stored by any of the above.
    let inventory = cluster.inventory(0).await;
    assert!(inventory.shards.is_empty() && inventory.manifests.is_empty());

    // A released MDA whose shard this peer does not hold: unknown CID.
    let (upload, epk) = upload_and_release(&cluster, &random_bytes(100, 12), "mda").await;
    let holder = cluster.index_of(upload.placement.holder(0));
    let elsewhere = (holder + 1) % 6;
    let (status, code, message) = refusal(
        http.get(format!(
            "{}/v1/shards/{}/extraction?alpha={}&epk={}",
            cluster.url(elsewhere),
            upload.manifest.shards()[0],
            upload.manifest.alpha(),
            epk.public_key()
        ))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!((status, code), (404, ErrorCode::UnknownCid));
    assert_eq!(
        message,
        format!("unknown CID {}", upload.manifest.shards()[0])
    );
}

/// Sends the head of a `PUT` of `len` bytes and the first `sent` of them; returns the open
/// connection.
async fn partial_upload(
    addr: SocketAddr,
    cid: &ContentId,
    len: usize,
    sent: &[u8],
) -> tokio::net::TcpStream {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PUT /v1/shards/{cid} HTTP/1.1\r\nhost: peer\r\ncontent-type: application/octet-stream\r\n\
         content-length: {len}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(sent).await.unwrap();
    stream.flush().await.unwrap();
    stream
}

async fn wait_until(mut condition: impl FnMut() -> bool) {
    for _ in 0..500 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not reached in 5 s");
}

fn entries(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_killed_mid_upload_serves_no_half_written_shard() {
    let mut cluster = Cluster::start(1).await;
    let shard = random_bytes(3 << 20, 4);
    let cid = ContentId::of(&shard);
    let addr: SocketAddr = cluster
        .url(0)
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let tmp = cluster.data_dir(0).join("tmp");
    let shards = cluster.data_dir(0).join("shards");

    // The uploader vanishes mid-body: the partial file is discarded.
    let connection = partial_upload(addr, &cid, shard.len(), &shard[..1 << 20]).await;
    wait_until(|| entries(&tmp) == 1).await;
    drop(connection);
    wait_until(|| entries(&tmp) == 0).await;
    assert_eq!(entries(&shards), 0);

    // The peer dies with half a shard on disk, and restarts on the same directory.
    let _connection = partial_upload(addr, &cid, shard.len(), &shard[..2 << 20]).await;
    wait_until(|| {
        std::fs::read_dir(&tmp)
            .unwrap()
            .any(|e| e.unwrap().metadata().unwrap().len() > 0)
    })
    .await;
    cluster.kill(0).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let restarted = listener.local_addr().unwrap();
    cluster.servers[0] = Some(cluster.serve(0, listener, DEFAULT_MAX_SHARD_BYTES));
    assert_eq!(entries(&tmp), 0, "restart clears unfinished uploads");
    assert_eq!(entries(&shards), 0);
    let inventory: Inventory = reqwest::get(format!("http://{restarted}/v1/inventory"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(inventory.shards.is_empty());

    // The whole shard uploads normally afterwards.
    let response = reqwest::Client::new()
        .put(format!("http://{restarted}/v1/shards/{cid}"))
        .body(shard.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(std::fs::read(shards.join(cid.to_string())).unwrap(), shard);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_or_damaged_shard_is_repaired_from_k_others() {
    let cluster = Cluster::start(6).await;
    let data = random_bytes(2 * SEGMENT_SIZE + 5, 6);
    let (upload, epk) = upload_and_release(&cluster, &data, "mda").await;
    let http = reqwest::Client::new();
    let manifest = upload.manifest_cid;

    let mut originals = HashMap::new();
    for index in [1, 5] {
        let holder = cluster.index_of(upload.placement.holder(index));
        let cid = upload.manifest.shards()[index];
        let path = cluster
            .data_dir(holder)
            .join("shards")
            .join(cid.to_string());
        originals.insert(
            index,
            (holder, cid, path.clone(), std::fs::read(&path).unwrap()),
        );
    }
    // Shard 1 is lost with its peer's whole disk (manifest included); parity shard 5 is damaged.
    let (lost_peer, lost_cid, lost_path, _) = &originals[&1];
    std::fs::remove_dir_all(cluster.data_dir(*lost_peer).join("manifests")).unwrap();
    std::fs::create_dir(cluster.data_dir(*lost_peer).join("manifests")).unwrap();
    std::fs::remove_file(lost_path).unwrap();
    let (damaged_peer, damaged_cid, damaged_path, _) = &originals[&5];
    std::fs::write(damaged_path, b"garbage").unwrap();

    for (peer, cid) in [(*lost_peer, *lost_cid), (*damaged_peer, *damaged_cid)] {
        let report: RepairReport = http
            .post(format!("{}/v1/repair/{manifest}", cluster.url(peer)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(report.repaired, vec![cid]);
        assert!(report.intact.is_empty());
    }
    for (_, _, path, bytes) in originals.values() {
        assert_eq!(&std::fs::read(path).unwrap(), bytes);
    }
    let report: RepairReport = http
        .post(format!("{}/v1/repair/{manifest}", cluster.url(*lost_peer)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((report.intact, report.repaired), (vec![*lost_cid], vec![]));
    assert_eq!(download(&cluster, &upload, &epk).await.unwrap(), data);

    // Repair sources go only to storage peers of genesis that hold part of the MDA.
    let shard = upload.manifest.shards()[0];
    let holder = cluster.index_of(upload.placement.holder(0));
    let ask = |peer: &str| {
        http.get(format!(
            "{}/v1/shards/{shard}/repair?manifest={manifest}&peer={peer}",
            cluster.url(holder)
        ))
        .send()
    };
    let (status, code, _) = refusal(ask("stranger").await.unwrap()).await;
    assert_eq!((status, code), (403, ErrorCode::UnknownPeer));
}
