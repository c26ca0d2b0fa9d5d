//! A fresh local consortium for `medshare demo` and the end-to-end benchmarks: `medshare devnet`
//! in a directory, one `medshare node` process per validator, stopped when dropped.

use crate::devnet::{self, Layout};
use medshare_client::NodeClient;
use medshare_ledger::Genesis;
use std::{
    path::{Path, PathBuf},
    process::Child,
    time::{Duration, Instant},
};

pub struct LocalDevnet {
    pub layout: Layout,
    pub genesis: Genesis,
    children: Vec<Child>,
}

impl LocalDevnet {
    /// Creates a devnet of `validators` in `dir` (which must not hold one) on ports from
    /// `port` (default: free ports), starts it and waits until every validator has finalized a
    /// block.
    pub async fn start(dir: &Path, validators: usize, port: Option<u16>) -> anyhow::Result<Self> {
        let layout = Layout {
            root: dir.to_owned(),
        };
        if layout.genesis().exists() {
            anyhow::bail!(
                "{} already holds a devnet; give a fresh --dir",
                dir.display()
            );
        }
        let port = devnet::port_or_free(port, validators)?;
        let genesis = devnet::create(&layout, validators, port, 0, 64)?;
        let children = devnet::start(&layout, validators)?;
        let devnet = Self {
            layout,
            genesis,
            children,
        };
        devnet.wait_ready(Duration::from_secs(60)).await?;
        Ok(devnet)
    }

    async fn wait_ready(&self, timeout: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        for url in self.urls() {
            let node = NodeClient::new(&url)?;
            loop {
                match node.status().await {
                    Ok(status) if status.height >= 1 => break,
                    _ if started.elapsed() > timeout => anyhow::bail!(
                        "validator at {url} did not finalize a block within {} s; see {}/validator-*/node.log",
                        timeout.as_secs(),
                        self.layout.root.display()
                    ),
                    _ => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        }
        Ok(())
    }

    /// The API of every validator.
    pub fn urls(&self) -> Vec<String> {
        self.genesis
            .validators
            .iter()
            .map(|v| format!("http://{}", v.api))
            .collect()
    }

    pub fn keys_dir(&self) -> PathBuf {
        self.layout.keys()
    }
}

impl Drop for LocalDevnet {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
