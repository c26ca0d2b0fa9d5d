//! Submitting the requests and timing them: the ceiling (all at once) and the latency below it
//! (paced), with the validators' CPU, network and proof checks over the run.

use anyhow::{Result, bail};
use commonware_codec::Encode;
use serde::Serialize;
use std::{
    collections::HashMap,
    process::Child,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use super::setup::{Args, Consortium, Running, Setting, launch};
use super::workload::Workload;
use crate::measure::median;

/// CPU seconds (user + system) a process has used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = stat.rsplit(") ").next().unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<f64>().ok()))
        .sum();
    ticks / 100.0
}

/// What one run measured.
#[derive(Serialize, Clone)]
pub(super) struct Run {
    tps: f64,
    latency_p50_ms: f64,
    latency_p99_ms: f64,
    /// CPU time of all validator processes over the run, as a share of the machine's cores.
    cpu_util: f64,
    /// Per validator, median over validators: consensus p2p traffic plus client requests in,
    /// p2p traffic out (kB/s, kB = 1000 bytes).
    net_in_kb_s: f64,
    net_out_kb_s: f64,
    /// Transactions the verification workers checked per finalized transaction, per validator:
    /// 1.0 when every validator checks every proof exactly once.
    checks_per_tx: f64,
    finalized: usize,
    rejected: usize,
    seconds: f64,
}

/// A validator's counters, read over its API.
#[derive(Clone, Copy, Default)]
struct Counters {
    p2p_in: f64,
    p2p_out: f64,
    checked: f64,
}

async fn counters(client: &reqwest::Client, api: &str) -> Counters {
    let mut counters = Counters::default();
    if let Ok(response) = client.get(format!("{api}/metrics")).send().await
        && let Ok(text) = response.text().await
    {
        for line in text.lines() {
            let mut parts = line.split_whitespace();
            let (Some(name), Some(value)) = (parts.next(), parts.next()) else {
                continue;
            };
            let value = value.parse().unwrap_or(0.0);
            match name {
                "runtime_inbound_bandwidth_total" => counters.p2p_in = value,
                "runtime_outbound_bandwidth_total" => counters.p2p_out = value,
                "medshare_proofs_verified_total" => counters.checked = value,
                _ => {}
            }
        }
    }
    counters
}

async fn status_height(client: &reqwest::Client, api: &str) -> Option<u64> {
    let value: serde_json::Value = client
        .get(format!("{api}/v1/status"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    value.get("height")?.as_u64()
}

async fn wait_final(client: &reqwest::Client, api: &str, id: &str, limit: Duration) -> Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(response) = client
            .get(format!("{api}/v1/transactions/{id}"))
            .send()
            .await
            && let Ok(value) = response.json::<serde_json::Value>().await
        {
            match value.get("status").and_then(|s| s.as_str()) {
                Some("final") => return Ok(()),
                Some("rejected") => bail!("setup transaction rejected: {value}"),
                _ => {}
            }
        }
        if Instant::now() > deadline {
            bail!("setup transaction not final after {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Posts one transaction, already encoded.
async fn submit(client: &reqwest::Client, api: &str, encoded: bytes::Bytes) -> Result<()> {
    let response = client
        .post(format!("{api}/v1/transactions"))
        .header("content-type", "application/octet-stream")
        .body(encoded)
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("{}", response.text().await.unwrap_or_default());
    }
    Ok(())
}

/// Sends the first `count` requests — all at once, or `rate` per second — round-robin over the
/// validators, and follows finalized blocks on validator 0 until all are final or rejected.
async fn measure(
    args: &Args,
    running: &Running,
    work: &Workload,
    count: usize,
    rate: Option<f64>,
) -> Result<Run> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .build()?;
    let api0 = running.apis[0].clone();
    // Wait for the consortium to finalize, then put the setup transactions on chain.
    let deadline = Instant::now() + Duration::from_secs(60);
    while status_height(&client, &api0).await.unwrap_or(0) < 2 {
        if Instant::now() > deadline {
            bail!(
                "the consortium did not start (see bench-results/cache/tps-*/validator-*/node.log)"
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Every validator must have executed the setup: each checks admissions against its own
    // finalized state.
    for tx in &work.setup {
        submit(&client, &api0, tx.encode().to_vec().into()).await?;
        for api in &running.apis {
            wait_final(&client, api, &hex::encode(tx.id()), Duration::from_secs(60)).await?;
        }
    }
    let requests = &work.requests[..count];
    // Encoded once, before the timed window.
    let bodies: Arc<Vec<bytes::Bytes>> = Arc::new(
        requests
            .iter()
            .map(|tx| tx.encode().to_vec().into())
            .collect(),
    );
    let pids: Vec<u32> = running.children.iter().map(Child::id).collect();
    let cpu_before: f64 = pids.iter().map(|&p| cpu_seconds(p)).sum();
    let mut before = Vec::new();
    for api in &running.apis {
        before.push(counters(&client, api).await);
    }
    let ids: HashMap<[u8; 32], usize> = requests
        .iter()
        .enumerate()
        .map(|(i, tx)| (tx.id(), i))
        .collect();
    let submitted_at = Arc::new(Mutex::new(vec![None::<Instant>; count]));
    let bytes_sent = Arc::new(Mutex::new(vec![0usize; running.apis.len()]));
    let rejected = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let queue = Arc::new(Mutex::new(
        (0..count).collect::<std::collections::VecDeque<_>>(),
    ));
    let release = Instant::now();
    for c in 0..args.clients {
        let (client, queue, bodies, submitted_at, bytes_sent, rejected) = (
            client.clone(),
            queue.clone(),
            bodies.clone(),
            submitted_at.clone(),
            bytes_sent.clone(),
            rejected.clone(),
        );
        let apis = running.apis.clone();
        tokio::spawn(async move {
            loop {
                let Some(i) = queue.lock().expect("queue").pop_front() else {
                    return;
                };
                if let Some(rate) = rate {
                    let due = release + Duration::from_secs_f64(i as f64 / rate);
                    tokio::time::sleep_until(due.into()).await;
                }
                let node = (i + c) % apis.len();
                submitted_at.lock().expect("times")[i] = Some(Instant::now());
                bytes_sent.lock().expect("bytes")[node] += bodies[i].len();
                if let Err(error) = submit(&client, &apis[node], bodies[i].clone()).await
                    && rejected.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 3
                {
                    eprintln!("  rejected: {error}");
                }
            }
        });
    }
    // Follow finalized blocks on validator 0.
    let mut final_at = vec![None::<Instant>; count];
    let mut finalized = 0usize;
    let mut next_height = status_height(&client, &api0).await.unwrap_or(0) + 1;
    let sending = rate.map_or(0.0, |rate| count as f64 / rate);
    let limit = Duration::from_secs_f64(120.0 + sending + count as f64 / 10.0);
    let mut last_final = release;
    while finalized + rejected.load(std::sync::atomic::Ordering::Relaxed) < count {
        let stalled = last_final.elapsed() > Duration::from_secs(30);
        if release.elapsed() > limit || (stalled && queue.lock().expect("queue").is_empty()) {
            eprintln!(
                "  stopping after {:.0} s: {finalized} of {count} final",
                release.elapsed().as_secs_f64()
            );
            break;
        }
        let tip = status_height(&client, &api0).await.unwrap_or(0);
        while next_height <= tip {
            let block: serde_json::Value = client
                .get(format!("{api0}/v1/blocks/{next_height}"))
                .send()
                .await?
                .json()
                .await?;
            let now = Instant::now();
            for tx in block["transactions"].as_array().into_iter().flatten() {
                let id: [u8; 32] = hex::decode(tx["id"].as_str().unwrap_or_default())?
                    .try_into()
                    .map_err(|_| anyhow::anyhow!("bad id"))?;
                if let Some(&i) = ids.get(&id)
                    && final_at[i].is_none()
                {
                    final_at[i] = Some(now);
                    finalized += 1;
                    last_final = now;
                }
            }
            next_height += 1;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let wall = last_final.duration_since(release).as_secs_f64().max(1e-9);
    let elapsed = release.elapsed().as_secs_f64();
    let cpu_after: f64 = pids.iter().map(|&p| cpu_seconds(p)).sum();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let sent = bytes_sent.lock().expect("bytes").clone();
    let (mut net_in, mut net_out, mut checks) = (Vec::new(), Vec::new(), Vec::new());
    for (node, api) in running.apis.iter().enumerate() {
        let after = counters(&client, api).await;
        let delta = |f: fn(&Counters) -> f64| f(&after) - f(&before[node]);
        net_in.push((delta(|c| c.p2p_in) + sent[node] as f64) / elapsed / 1000.0);
        net_out.push(delta(|c| c.p2p_out) / elapsed / 1000.0);
        checks.push(delta(|c| c.checked) / finalized.max(1) as f64);
    }
    let submitted = submitted_at.lock().expect("times").clone();
    let mut latencies: Vec<f64> = final_at
        .iter()
        .zip(&submitted)
        .filter_map(|(f, s)| Some(f.as_ref()?.duration_since(*s.as_ref()?).as_secs_f64() * 1000.0))
        .collect();
    latencies.sort_by(f64::total_cmp);
    let quantile = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    Ok(Run {
        tps: finalized as f64 / wall,
        latency_p50_ms: quantile(0.5),
        latency_p99_ms: quantile(0.99),
        cpu_util: (cpu_after - cpu_before) / (elapsed * cores),
        net_in_kb_s: median(&net_in),
        net_out_kb_s: median(&net_out),
        checks_per_tx: median(&checks),
        finalized,
        rejected: rejected.load(std::sync::atomic::Ordering::Relaxed),
        seconds: wall,
    })
}

/// The ceiling (median of the repetitions) and the latency below it, for one kind at one setting.
#[derive(Serialize, Clone)]
pub(super) struct Measured {
    pub(super) tps: f64,
    /// At `latency_load` × the ceiling: what a user waits when the chain is not saturated.
    pub(super) latency_p50_ms: f64,
    pub(super) latency_p99_ms: f64,
    /// With every request released at once: queueing behind the whole burst.
    pub(super) ceiling_latency_p50_ms: f64,
    pub(super) cpu_util: f64,
    pub(super) net_in_kb_s: f64,
    pub(super) net_out_kb_s: f64,
    pub(super) checks_per_tx: f64,
    pub(super) runs: Vec<Run>,
    pub(super) latency_run: Option<Run>,
}

fn print_run(label: &str, run: &Run) {
    eprintln!(
        "  {label}: {:.1} TPS, p50 {:.0} ms, p99 {:.0} ms, CPU {:.0}%, in/out {:.0}/{:.0} kB/s per node, {:.2} checks/tx, {} final, {} rejected",
        run.tps,
        run.latency_p50_ms,
        run.latency_p99_ms,
        100.0 * run.cpu_util,
        run.net_in_kb_s,
        run.net_out_kb_s,
        run.checks_per_tx,
        run.finalized,
        run.rejected
    );
}

pub(super) fn measure_setting(
    args: &Args,
    setting: Setting,
    consortium: &Consortium,
    work: &Workload,
    runtime: &tokio::runtime::Runtime,
) -> Result<Measured> {
    let once = |count: usize, rate: Option<f64>| -> Result<Run> {
        let running = launch(setting, consortium)?;
        let result = runtime.block_on(measure(args, &running, work, count, rate));
        drop(running);
        result
    };
    let mut runs = Vec::new();
    for repetition in 0..args.repetitions {
        let run = once(work.requests.len(), None)?;
        print_run(&format!("ceiling run {}", repetition + 1), &run);
        runs.push(run);
    }
    let pick = |f: fn(&Run) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
    let tps = pick(|r| r.tps);
    let latency_run = if args.latency_load > 0.0 && tps > 0.0 {
        let rate = args.latency_load * tps;
        // About 15 seconds of traffic: long enough for a steady state.
        let count = ((rate * 15.0) as usize).clamp(50, work.requests.len());
        let run = once(count, Some(rate))?;
        print_run(&format!("latency run at {rate:.0} requests/s"), &run);
        Some(run)
    } else {
        None
    };
    let ceiling_p50 = pick(|r| r.latency_p50_ms);
    let ceiling_p99 = pick(|r| r.latency_p99_ms);
    Ok(Measured {
        tps,
        latency_p50_ms: latency_run
            .as_ref()
            .map_or(ceiling_p50, |r| r.latency_p50_ms),
        latency_p99_ms: latency_run
            .as_ref()
            .map_or(ceiling_p99, |r| r.latency_p99_ms),
        ceiling_latency_p50_ms: ceiling_p50,
        cpu_util: pick(|r| r.cpu_util),
        net_in_kb_s: pick(|r| r.net_in_kb_s),
        net_out_kb_s: pick(|r| r.net_out_kb_s),
        checks_per_tx: pick(|r| r.checks_per_tx),
        runs,
        latency_run,
    })
}
