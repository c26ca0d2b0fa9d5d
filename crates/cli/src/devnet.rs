//! `medshare node` and `medshare devnet`: one validator, or a whole local consortium on loopback.
//!
//! The devnet generates everything a consortium agrees on before block 1 — validator keys, a
//! group authority, the Groth16 keys of the three circuits — writes a genesis file naming them,
//! and starts one OS process per validator, each with its own data directory. Run it again on the
//! same directory and the same consortium resumes from disk.

use clap::Args;
use medshare_bench::devnet::{Layout, create, ensure_free, start};
use medshare_ledger::genesis::Genesis;
use medshare_node::config::NodeConfig;
use std::{
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

#[derive(Args)]
pub struct NodeArgs {
    /// The validator's configuration file.
    #[arg(long)]
    config: PathBuf,
}

pub fn node(args: NodeArgs) -> anyhow::Result<()> {
    let config = NodeConfig::load(&args.config)?;
    init_logging(&config.log_level);
    medshare_node::run::run(config)?;
    Ok(())
}

fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

#[derive(Args)]
pub struct DevnetArgs {
    /// Number of validators (3f+1 tolerates f faults: 4 tolerate 1, 7 tolerate 2).
    #[arg(long, default_value_t = 4)]
    validators: usize,
    /// Where the consortium lives; an existing devnet there is resumed.
    #[arg(long, default_value = ".medshare-devnet")]
    dir: PathBuf,
    /// Delete an existing devnet in `--dir` first.
    #[arg(long)]
    fresh: bool,
    /// First port; validator i uses `port + 2i` (p2p) and `port + 2i + 1` (API).
    #[arg(long, default_value_t = 7400)]
    port: u16,
    /// Verification workers per validator (0: one per core).
    #[arg(long, default_value_t = 0)]
    workers: usize,
    /// Most transactions per block.
    #[arg(long, default_value_t = 64)]
    block_size: usize,
    /// Create the devnet and exit without starting it.
    #[arg(long)]
    no_start: bool,
}

/// Copy-paste commands that walk through seed 000's story on this devnet.
fn print_try(layout: &Layout, genesis: &Genesis) {
    let api = &genesis.validators[0].api;
    let root = layout.root.display();
    let me = std::env::current_exe()
        .ok()
        .and_then(|p| p.to_str().map(String::from))
        .unwrap_or_else(|| "medshare".into());
    println!(
        "Try, in another terminal (each actor has its own --home; passphrases from the variable):"
    );
    println!("  export MEDSHARE_NODE=http://{api} MEDSHARE_PASSPHRASE=devnet");
    println!(
        "  M={me}; H=\"--home {root}/hospital\"; P=\"--home {root}/patient\"; R=\"--home {root}/researcher\""
    );
    println!("  $M keys create $H; $M keys create $P; $M keys create $R");
    println!("  $M group create st-marys --authority-key {root}/authority.key $H");
    println!(
        "  $M group enroll patient-1 --to \"$($M keys show --profile-only $P)\" --out {root}/patient-1.member.json $H"
    );
    println!("  $M group join {root}/patient-1.member.json $P");
    println!(
        "  $M mda register ../shared/data/dicom/CT_small.dcm --group st-marys $P      # prints α"
    );
    println!("  A=<α>; $M mda authorize $A --to \"$($M keys show --profile-only $R)\" $P");
    println!("  $M mda extract $A --out ct.dcm $R");
    println!("  $M mda audit $A; $M mda trace $A; $M mda trace $A --open $H");
    println!("  $M group revoke patient-1 $H; $M mda list $P; $M chain status");
    println!("Or the whole story on a fresh devnet of its own: $M demo");
    println!(
        "API docs: http://{api}/docs   OpenAPI: http://{api}/openapi.json   metrics: http://{api}/metrics"
    );
}

pub fn devnet(args: DevnetArgs) -> anyhow::Result<()> {
    let layout = Layout {
        root: args.dir.clone(),
    };
    if args.fresh && layout.root.exists() {
        std::fs::remove_dir_all(&layout.root)?;
    }
    let genesis = if layout.genesis().exists() {
        let text = std::fs::read_to_string(layout.genesis())?;
        let genesis = Genesis::from_json(&text)?;
        eprintln!(
            "resuming the devnet in {} ({} validators)",
            layout.root.display(),
            genesis.validators.len()
        );
        // Its ports are in the genesis: a new --port needs a new devnet (--fresh).
        ensure_free(
            genesis
                .validators
                .iter()
                .flat_map(|v| [v.p2p.port(), v.api.port()]),
        )
        .map_err(|error| {
            anyhow::anyhow!(
                "{error} with --fresh (the devnet in {} was created on it)",
                layout.root.display()
            )
        })?;
        genesis
    } else {
        create(
            &layout,
            args.validators,
            args.port,
            args.workers,
            args.block_size,
        )?
    };
    if args.no_start {
        println!("devnet created in {}", layout.root.display());
        return Ok(());
    }
    let mut children = start(&layout, genesis.validators.len())?;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst))?;
    }
    println!(
        "medshare devnet {} — {} validators",
        genesis.chain_id,
        genesis.validators.len()
    );
    for v in &genesis.validators {
        println!("  {:<12} api http://{}   p2p {}", v.name, v.api, v.p2p);
    }
    println!("  logs: {}/validator-*/node.log", layout.root.display());
    println!();
    print_try(&layout, &genesis);
    println!("Stop with Ctrl-C; run the same command again to resume.");
    while !stop.load(Ordering::SeqCst) {
        for (index, child) in children.iter_mut().enumerate() {
            if let Some(status) = child.try_wait()? {
                eprintln!("validator-{index} exited ({status}); see its node.log");
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    for child in &mut children {
        let _ = child.kill();
        let _ = child.wait();
    }
    Ok(())
}
