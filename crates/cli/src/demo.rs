//! `medshare demo`: seed 000's whole story on a fresh 4-validator devnet, with real files — a
//! DICOM image from the shared data set and a FHIR bundle generated here. Every step is checked;
//! the end-to-end test runs this same command.
//!
//! A hospital creates a group → enrolls a patient → the patient registers two MDAs (the second
//! through a proxy that loses the node's answer: the client keeps it and the next command finds
//! it final) → authorizes a
//! researcher → the researcher extracts and verifies them → the patient reads the audit log →
//! anyone traces the group, the hospital traces the member → the hospital, acting as the FSP,
//! pays the patient for its authorizations (seed 000 §V, computed on chain) and shares the
//! researcher's fee by Shapley values (seed 003 ch. 7) → the patient withdraws with a proof of
//! its key → the hospital revokes the patient → the revoked patient's next registration is
//! refused (by the client, and by the chain). Along the way a proxy loses the answer to a
//! registration (the client keeps it and settles it next time), and the patient withdraws a
//! consent before it is used (the chain refuses its extraction).

use anyhow::{Context as _, anyhow, ensure};
use medshare_api::ErrorCode;
use medshare_bench::local::LocalDevnet;
use medshare_client::{Error, Keystore, Session, group, mda, rewards};
use medshare_crypto::{
    groupsig::MemberKey,
    poseidon::{Salt, alpha_from_digest},
};
use medshare_ledger::{
    GroupId, Ratio, Transaction, ops,
    tx::{Kind, PayoutMdap, PayoutTerms, RevenueTerms},
};
use medshare_zk::CircuitId;
use rand::{Rng, rngs::OsRng};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::{
    future::Future,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

#[derive(clap::Args)]
pub struct Args {
    /// Print `{"steps":[{"name","ok","ms","detail"}...]}` instead of text.
    #[arg(long)]
    json: bool,
    /// Where the devnet and the actors' keystores go (default: a temporary directory, removed
    /// at the end).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// First port of the devnet (it uses 8 from there; default: free ports).
    #[arg(long)]
    port: Option<u16>,
    /// The shared data directory with `dicom/*.dcm` (default: `../shared/data`).
    #[arg(long, env = "MEDSHARE_DATA")]
    data: Option<PathBuf>,
}

const PASSPHRASE: &str = "demo";
const GROUP: &str = "st-marys";

#[derive(Serialize)]
struct Step {
    name: String,
    ok: bool,
    ms: u64,
    detail: String,
}

#[derive(Serialize)]
struct Report {
    ok: bool,
    steps: Vec<Step>,
}

struct Story {
    json: bool,
    steps: Vec<Step>,
}

impl Story {
    /// Runs one step, records it, and prints it at once in text mode.
    async fn step<T>(
        &mut self,
        name: &str,
        work: impl Future<Output = anyhow::Result<(T, String)>>,
    ) -> anyhow::Result<T> {
        let started = Instant::now();
        let result = work.await;
        let ms = started.elapsed().as_millis() as u64;
        let (ok, detail) = match &result {
            Ok((_, detail)) => (true, detail.clone()),
            Err(error) => (false, format!("{error:#}")),
        };
        if !self.json {
            let mark = if ok { "ok  " } else { "FAIL" };
            println!("{mark} {name} ({ms} ms)");
            for line in detail.lines() {
                println!("       {line}");
            }
        }
        self.steps.push(Step {
            name: name.into(),
            ok,
            ms,
            detail,
        });
        result.map(|(value, _)| value)
    }
}

/// An HTTP proxy in front of a validator's API that forwards every request, but answers each
/// transaction submission with 502 Bad Gateway after the node took it: the lost answer a load
/// balancer gives, which must not strand what the client created.
async fn lossy_proxy(upstream: String) -> anyhow::Result<String> {
    use axum::{
        http::{HeaderMap, Method, StatusCode, Uri, header::CONTENT_TYPE},
        response::IntoResponse,
    };
    let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let http = reqwest::Client::new();
    let forward = move |method: Method, uri: Uri, headers: HeaderMap, body: bytes::Bytes| {
        let (http, upstream) = (http.clone(), upstream.clone());
        async move {
            let lose = method == Method::POST && uri.path() == "/v1/transactions";
            let mut request = http.request(method, format!("{upstream}{uri}")).body(body);
            if let Some(kind) = headers.get(CONTENT_TYPE) {
                request = request.header(CONTENT_TYPE, kind);
            }
            match request.send().await {
                Ok(response) if !lose => {
                    let status = response.status();
                    let kind = response.headers().get(CONTENT_TYPE).cloned();
                    let body = response.bytes().await.unwrap_or_default();
                    let mut out = (status, body).into_response();
                    if let Some(kind) = kind {
                        out.headers_mut().insert(CONTENT_TYPE, kind);
                    }
                    out
                }
                _ => (StatusCode::BAD_GATEWAY, "502 Bad Gateway").into_response(),
            }
        }
    };
    let app = axum::Router::new().fallback(forward);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

/// The shared data directory: `--data`, `../shared/data`, or the one beside this repository.
fn data_dir(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let candidates = given.into_iter().chain([
        PathBuf::from("../shared/data"),
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")),
    ]);
    for dir in candidates {
        if dir.join("dicom/CT_small.dcm").exists() {
            return Ok(dir);
        }
    }
    Err(anyhow!(
        "no dicom/CT_small.dcm found; pass --data <the shared data directory>"
    ))
}

/// A synthetic FHIR R4 bundle: one patient, vital signs and a condition. Randomized, so every
/// run registers new data.
fn fhir_bundle() -> serde_json::Value {
    let mut rng = OsRng;
    let id: u64 = rng.r#gen();
    let heart_rate = rng.gen_range(55..95);
    let (systolic, diastolic) = (rng.gen_range(105..145), rng.gen_range(65..95));
    serde_json::json!({
        "resourceType": "Bundle",
        "type": "collection",
        "id": format!("medshare-demo-{id:016x}"),
        "entry": [
            {"resource": {
                "resourceType": "Patient", "id": "p1",
                "name": [{"family": "Doe", "given": ["Jane"]}],
                "gender": "female", "birthDate": "1961-04-12"
            }},
            {"resource": {
                "resourceType": "Observation", "id": "hr", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}]},
                "subject": {"reference": "Patient/p1"},
                "valueQuantity": {"value": heart_rate, "unit": "beats/minute", "system": "http://unitsofmeasure.org", "code": "/min"}
            }},
            {"resource": {
                "resourceType": "Observation", "id": "bp", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9", "display": "Blood pressure panel"}]},
                "subject": {"reference": "Patient/p1"},
                "component": [
                    {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                     "valueQuantity": {"value": systolic, "unit": "mmHg"}},
                    {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
                     "valueQuantity": {"value": diastolic, "unit": "mmHg"}}
                ]
            }},
            {"resource": {
                "resourceType": "Condition", "id": "c1",
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": "38341003", "display": "Hypertension"}]},
                "subject": {"reference": "Patient/p1"}
            }}
        ]
    })
}

fn keystore(dir: &Path, who: &str) -> anyhow::Result<Keystore> {
    Ok(Keystore::create(
        &Keystore::path_in(&dir.join(who)),
        PASSPHRASE,
    )?)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let temporary;
    let dir = match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            dir.clone()
        }
        None => {
            temporary = tempfile::tempdir()?;
            temporary.path().to_owned()
        }
    };
    let data = data_dir(args.data.clone())?;
    let mut story = Story {
        json: args.json,
        steps: Vec::new(),
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let outcome = runtime.block_on(tell(&mut story, &dir, &data, args.port));
    let ok = outcome.is_ok() && story.steps.iter().all(|s| s.ok);
    if args.json {
        let report = Report {
            ok,
            steps: story.steps,
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if ok {
        match &args.dir {
            Some(dir) => println!(
                "the whole story ran; devnet, keystores and files are in {}",
                dir.display()
            ),
            None => println!("the whole story ran (keep its files with --dir <dir>)"),
        }
    }
    match outcome {
        Ok(()) => Ok(()),
        Err(error) => {
            if !args.json {
                eprintln!("error: {error:#}");
            }
            std::process::exit(1);
        }
    }
}

async fn tell(story: &mut Story, dir: &Path, data: &Path, port: Option<u16>) -> anyhow::Result<()> {
    let devnet_dir = dir.join("devnet");
    let devnet = story
        .step("start a 4-validator devnet", async {
            let devnet = LocalDevnet::start(&devnet_dir, 4, port).await?;
            let detail = format!(
                "{} — APIs {}",
                devnet.genesis.chain_id,
                devnet.urls().join(", ")
            );
            Ok((devnet, detail))
        })
        .await?;
    let urls = devnet.urls();
    // The actors talk to different validators, as they would in a consortium.
    let connect = |url: &str, who: &str| {
        let (url, home, keys) = (url.to_string(), dir.join(who), devnet.keys_dir());
        async move {
            anyhow::Ok(
                Session::connect(&url, &home)
                    .await?
                    .with_keys_dir(Some(keys)),
            )
        }
    };
    let hospital_session = connect(&urls[0], "hospital").await?;
    let patient_session = connect(&urls[1], "patient").await?;
    let researcher_session = connect(&urls[2], "researcher").await?;
    let public_session = connect(&urls[3], "regulator").await?;
    let group_id = GroupId::new(GROUP).map_err(|e| anyhow!(e))?;

    let mut hospital = story
        .step("the hospital creates group st-marys", async {
            let mut hospital = keystore(dir, "hospital")?;
            let signer = group::read_authority_key(&devnet.layout.authority_key())?;
            let included =
                group::create(&hospital_session, &mut hospital, &group_id, &signer).await?;
            Ok((
                hospital,
                format!("group key on chain at height {}", included.height),
            ))
        })
        .await?;

    let mut patient = story
        .step("the hospital enrolls a patient", async {
            let mut patient = keystore(dir, "patient")?;
            let file = dir.join("patient-1.member.json");
            let enrolled = group::enroll(
                &hospital_session,
                &mut hospital,
                &group_id,
                "patient-1",
                &patient.profile(),
                &file,
            )
            .await?;
            let joined = group::join(&patient_session, &mut patient, &file).await?;
            ensure!(
                joined.index == enrolled.index,
                "the patient imported another member key"
            );
            Ok((
                patient,
                format!(
                    "member {} of {GROUP}, key sealed to the patient's profile",
                    enrolled.index
                ),
            ))
        })
        .await?;

    let dicom = data.join("dicom/CT_small.dcm");
    let fhir = dir.join("patient-bundle.fhir.json");
    std::fs::write(&fhir, serde_json::to_vec_pretty(&fhir_bundle())?)?;
    let mut registered = Vec::new();
    let r = story
        .step("the patient registers a DICOM CT image", async {
            let r = mda::register(&patient_session, &mut patient, &dicom, &group_id).await?;
            let detail = format!(
                "α {} — {} bytes, leaf {}, height {}",
                r.alpha, r.bytes, r.position, r.height
            );
            Ok((r, detail))
        })
        .await?;
    registered.push((r.alpha, dicom.clone()));

    let lossy = connect(&lossy_proxy(urls[1].clone()).await?, "patient").await?;
    let alpha = story
        .step(
            "the patient registers a FHIR bundle; a proxy loses the node's answer",
            async {
                let id = match mda::register(&lossy, &mut patient, &fhir, &group_id).await {
                    Err(Error::Unknown { id, .. }) => id,
                    other => anyhow::bail!("expected an unknown outcome, got {other:?}"),
                };
                let kept = patient
                    .mdas()
                    .iter()
                    .find(|m| m.position.is_none())
                    .map(|m| m.alpha())
                    .context("the keystore kept the registration's secrets")?;
                // The next command settles it against the chain.
                let started = Instant::now();
                while !patient.pending().is_empty() {
                    ensure!(
                        started.elapsed() < Duration::from_secs(60),
                        "transaction {id} still not settled"
                    );
                    mda::list(&patient_session, &mut patient).await?;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                let leaf = patient
                    .mda(&kept)
                    .and_then(|m| m.position)
                    .context("the registration is final and its leaf recorded")?;
                Ok((
                    kept,
                    format!("α {kept} — tx {id} was unknown, then found final at leaf {leaf}"),
                ))
            },
        )
        .await?;
    registered.push((alpha, fhir.clone()));

    let researcher = story
        .step("the patient authorizes a researcher for both", async {
            let researcher = keystore(dir, "researcher")?;
            let mut heights = Vec::new();
            for (alpha, _) in &registered {
                let a =
                    mda::authorize(&patient_session, &mut patient, alpha, &researcher.profile())
                        .await?;
                heights.push(a.height.to_string());
            }
            Ok((
                researcher,
                format!("authorizations final at heights {}", heights.join(", ")),
            ))
        })
        .await?;

    story
        .step("the researcher extracts and verifies both", async {
            let mut details = Vec::new();
            for (i, (alpha, original)) in registered.iter().enumerate() {
                let out = dir.join(format!("extracted-{i}"));
                let e = mda::extract(&researcher_session, &researcher, alpha, &out).await?;
                ensure!(
                    std::fs::read(&out)? == std::fs::read(original)?,
                    "extracted bytes differ from the original"
                );
                ensure!(
                    alpha_from_digest(&Sha256::digest(std::fs::read(&out)?).into()) == alpha.0,
                    "SHA-256 of the extracted data is not α"
                );
                details.push(format!(
                    "{} bytes, SHA-256 = α (chain {} ms, storage {} ms)",
                    e.bytes, e.chain_ms, e.storage_ms
                ));
            }
            Ok(((), details.join("\n")))
        })
        .await?;

    story
        .step("the patient reads the audit log", async {
            let mut lines = Vec::new();
            for (alpha, _) in &registered {
                let events = mda::audit(&patient_session, alpha).await?;
                let kinds: Vec<Kind> = events.iter().map(|e| e.kind).collect();
                ensure!(
                    kinds == [Kind::Register, Kind::Authorize, Kind::Extract],
                    "unexpected events {kinds:?}"
                );
                ensure!(
                    events.iter().all(|e| e.pk_a == patient.pseudonym()),
                    "events name another owner"
                );
                ensure!(
                    events[2].pk_h == Some(researcher.pseudonym()),
                    "the extraction names another user"
                );
                lines.push(
                    events
                        .iter()
                        .map(|e| format!("{} at height {}", e.kind.name(), e.height))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
            }
            Ok(((), lines.join("\n")))
        })
        .await?;

    story
        .step("anyone traces the group", async {
            let mut traced = 0;
            for (alpha, _) in &registered {
                for t in mda::trace(&public_session, None, alpha).await? {
                    ensure!(
                        t.group == group_id && t.member.is_none(),
                        "traced to {} / {:?}",
                        t.group,
                        t.member
                    );
                    traced += 1;
                }
            }
            Ok((
                (),
                format!(
                    "{traced} group signatures verify under {GROUP}'s key; the member stays hidden"
                ),
            ))
        })
        .await?;

    story
        .step("the hospital traces the member", async {
            let mut traced = 0;
            for (alpha, _) in &registered {
                for t in mda::trace(&hospital_session, Some(&hospital), alpha).await? {
                    ensure!(
                        t.member.as_deref() == Some("patient-1"),
                        "opened to {:?}",
                        t.member
                    );
                    traced += 1;
                }
            }
            Ok(((), format!("{traced} signatures open to patient-1")))
        })
        .await?;

    let fsp = rewards::authority_signer(&hospital, &group_id)?;
    story
        .step("the hospital pays the patient for its authorizations", async {
            let through = hospital_session.node.status().await?.height;
            let mdap = |pk| PayoutMdap {
                pk,
                holdings: 10,
                tau: Ratio::new(1, 5),
                b: Ratio::integer(15),
            };
            // Seed 000 Fig. 3's model (Appendix A.2) for two MDAPs: the patient, who authorized
            // two MDAs, and the researcher, who shared none.
            let terms = PayoutTerms {
                from_height: 1,
                to_height: through,
                budget: 100_000,
                tokens_per_unit: 1000,
                mdaps: vec![mdap(patient.pseudonym()), mdap(researcher.pseudonym())],
                phi: vec![Ratio::new(1, 5)],
                rho: Ratio::integer(2),
                a: Ratio::integer(15),
                sigma: Ratio::integer(2),
            };
            let paid = rewards::payout(&hospital_session, &fsp, terms).await?;
            // V(h) = (690·29·h − 20000)/841 for these parameters (the ledger's tests derive it):
            // V(2) = 20020/841 = 23.804… units, 23804 tokens.
            let amounts: Vec<u128> = paid.credits.iter().map(|c| c.amount).collect();
            ensure!(amounts == [23_804, 0], "paid {amounts:?}, not V(2) and nothing");
            Ok((
                (),
                format!(
                    "epoch 1..={through}: h = 2 MDAs, V(2) = 23.804 units = 23804 tokens, at height {}",
                    paid.height
                ),
            ))
        })
        .await?;

    story
        .step("the researcher's fee is shared by Shapley values", async {
            let through = hospital_session.node.status().await?.height;
            let terms = RevenueTerms {
                fee: 1_000_000,
                reference: b"diagnosis service, invoice 1".to_vec(),
                from_height: 1,
                to_height: through,
                owners: vec![group_id.clone()],
                f1: vec![0, 900_000_000],
                third_party: researcher.pseudonym(),
            };
            let shared = rewards::revenue(&hospital_session, &fsp, terms).await?;
            ensure!(
                shared.total == 1_000_000,
                "{} tokens credited of a fee of 1000000",
                shared.total
            );
            let amounts: Vec<String> = shared
                .credits
                .iter()
                .map(|c| c.amount.to_string())
                .collect();
            Ok((
                (),
                format!(
                    "{GROUP}, 4 validators by blocks proposed, researcher: {} (sum 1000000)",
                    amounts.join(" + ")
                ),
            ))
        })
        .await?;

    story
        .step("the patient withdraws with a proof of its key", async {
            let w = rewards::withdraw(
                &patient_session,
                &mut patient,
                20_000,
                "iban:CH93 0076 2011 6238 5295 7",
            )
            .await?;
            ensure!(w.balance == 3_804, "{} tokens left, not 3804", w.balance);
            // More than is left: the chain refuses it.
            let overdraft = ops::rewards::withdraw(
                ops::rewards::Withdrawal {
                    chain_id: patient_session.chain_id(),
                    sk: &patient.zk_secret(),
                    amount: 3_805,
                    destination: b"iban:CH93 0076 2011 6238 5295 7".to_vec(),
                    nonce: 1,
                    proving_key: &*patient_session.proving_key(CircuitId::Withdrawal).await?,
                },
                &mut OsRng,
            )
            .map(Transaction::from)?;
            match patient_session.node.check(&overdraft).await {
                Err(error) if error.code() == Some(ErrorCode::InsufficientBalance) => {}
                other => return Err(anyhow!("expected an overdraft refusal, got {other:?}")),
            }
            Ok((
                (),
                format!(
                    "20000 tokens out at height {}, 3804 left; an overdraft is refused",
                    w.height
                ),
            ))
        })
        .await?;

    story
        .step(
            "the patient withdraws a new consent before it is used; the extraction is refused",
            async {
                let (alpha, _) = &registered[0];
                let profile = researcher.profile();
                mda::authorize(&patient_session, &mut patient, alpha, &profile).await?;
                let withdrawn =
                    mda::withdraw_consent(&patient_session, &mut patient, alpha, &profile).await?;
                let out = dir.join("extracted-after-withdrawal");
                match mda::extract(&researcher_session, &researcher, alpha, &out).await {
                    Err(Error::Api {
                        code: ErrorCode::ConsentWithdrawn,
                        ..
                    }) => {}
                    other => anyhow::bail!("expected consent_withdrawn, got {other:?}"),
                }
                ensure!(!out.exists(), "nothing was written");
                let heights: Vec<String> =
                    withdrawn.iter().map(|w| w.height.to_string()).collect();
                Ok((
                    (),
                    format!(
                        "{} consent(s) withdrawn at height {}; extraction refused with consent_withdrawn",
                        withdrawn.len(),
                        heights.join(", ")
                    ),
                ))
            },
        )
        .await?;

    story
        .step("the hospital revokes the patient", async {
            let revoked =
                group::revoke(&hospital_session, &mut hospital, &group_id, "patient-1").await?;
            // The patient talks to another validator: it learns of the revocation once that
            // validator has the block too.
            patient_session
                .node
                .wait_height(revoked.height, std::time::Duration::from_secs(30))
                .await?;
            Ok((
                (),
                format!(
                    "{GROUP} at epoch {} since height {}",
                    revoked.epoch, revoked.height
                ),
            ))
        })
        .await?;

    let mr = data.join("dicom/MR_small.dcm");
    story
        .step("the revoked patient's next registration is refused", async {
            match mda::register(&patient_session, &mut patient, &mr, &group_id).await {
                Err(Error::Revoked { .. }) => {}
                other => return Err(anyhow!("expected a refusal as revoked, got {other:?}")),
            }
            // A client that ignores the revocation and signs with its old key: the chain refuses.
            let stale = MemberKey::from_bytes(&patient.membership(GROUP).context("membership")?.key)?;
            let old_key = group::group_key_at(&patient_session, &group_id, stale.epoch()).await?;
            let alpha = alpha_from_digest(&Sha256::digest(std::fs::read(&mr)?).into());
            let tx = ops::mda::register(
                ops::mda::Registration {
                    chain_id: patient_session.chain_id(),
                    group: group_id.clone(),
                    alpha,
                    sk: &patient.zk_secret(),
                    salt: &Salt::random(&mut OsRng),
                    manifest: Sha256::digest(b"never uploaded").to_vec(),
                    member: &stale,
                    group_key: &old_key,
                    proving_key: &*patient_session.proving_key(CircuitId::Registration).await?,
                },
                &mut OsRng,
            ).map(Transaction::from)?;
            match patient_session.node.check(&tx).await {
                Err(error) if error.code() == Some(ErrorCode::BadGroupSignature) => {}
                other => return Err(anyhow!("expected the chain to refuse the old key, got {other:?}")),
            }
            ensure!(
                patient_session.node.mda(&medshare_ledger::Field(alpha)).await?.is_none(),
                "the refused MDA is registered"
            );
            ensure!(patient.mdas().len() == 2, "the refused MDA left a keystore entry");
            Ok(((), "client: revoked; chain: bad group signature for the old key; nothing registered, uploaded or kept".into()))
        })
        .await?;
    drop(devnet);
    Ok(())
}
