//! A block sequence recorded before the ledger became operation modules (main at 7e02967) must
//! decode to the same bytes (`ids` were then the SHA-256 of the encoding, now
//! `Transaction::encoding_hash`) and replay block by block. Reshaping the code changed no encoding
//! and no state: the recorded `root`s were reproduced exactly. Transaction format version 2 then
//! left the malleable proof out of the id on purpose, which changes the ids of proof-carrying
//! transactions and so the state (transactions are recorded by id): `ids_v2` and `root_v2` were
//! recorded when that change was made and guard it from here on.

use medshare_ledger::{
    BlockEnv, ChainParams, CircuitKeys, Machine, Transaction,
    genesis::{AuthorityInfo, Genesis, ValidatorInfo},
    store::MemoryStore,
};
use medshare_zk::VerifyingKey;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
struct Fixture {
    chain_id: String,
    validators: Vec<String>,
    authority: String,
    verifying_keys: HashMap<String, String>,
    blocks: Vec<RecordedBlock>,
}

#[derive(Deserialize)]
struct RecordedBlock {
    height: u64,
    timestamp_ms: u64,
    proposer: String,
    txs: Vec<String>,
    ids: Vec<String>,
    ids_v2: Vec<String>,
    root_v2: String,
}

fn unhex<const N: usize>(text: &str) -> [u8; N] {
    hex::decode(text).unwrap().try_into().unwrap()
}

#[test]
fn recorded_blocks_replay_to_the_same_bytes_ids_and_roots() {
    let fixture: Fixture =
        serde_json::from_str(include_str!("fixtures/replay-v1.json")).expect("fixture");
    let keys = fixture.verifying_keys.values().map(|bytes| {
        VerifyingKey::from_bytes(&hex::decode(bytes).unwrap())
            .unwrap()
            .prepare()
    });
    let params = ChainParams {
        chain_id: fixture.chain_id.clone(),
        authorities: [unhex::<32>(&fixture.authority)].into(),
        validators: fixture.validators.iter().map(|v| unhex::<32>(v)).collect(),
        notes: true,
    };
    let genesis = Genesis {
        chain_id: fixture.chain_id.clone(),
        timestamp_ms: 1,
        validators: fixture
            .validators
            .iter()
            .enumerate()
            .map(|(i, key)| ValidatorInfo {
                name: format!("v{i}"),
                public_key: key.clone(),
                p2p: "127.0.0.1:1".parse().unwrap(),
                api: "127.0.0.1:2".parse().unwrap(),
                storage_key: None,
            })
            .collect(),
        verifying_keys: Default::default(),
        authorities: vec![AuthorityInfo {
            name: "st-marys".into(),
            public_key: fixture.authority.clone(),
        }],
        groups: Vec::new(),
        benchmark_notes: true,
    };
    let machine = Machine::new(params, CircuitKeys::new(keys).unwrap());
    let mut store = MemoryStore::default();
    store.apply(
        &genesis
            .initial_state(&machine, &MemoryStore::default())
            .unwrap(),
    );
    assert!(fixture.blocks.len() >= 8, "the fixture covers every kind");
    for block in &fixture.blocks {
        let txs: Vec<Transaction> = block
            .txs
            .iter()
            .map(|bytes| Transaction::from_bytes(&hex::decode(bytes).unwrap()).unwrap())
            .collect();
        let hashes: Vec<String> = txs
            .iter()
            .map(|tx| hex::encode(tx.encoding_hash()))
            .collect();
        assert_eq!(hashes, block.ids, "encodings of block {}", block.height);
        let ids: Vec<String> = txs.iter().map(|tx| hex::encode(tx.id())).collect();
        assert_eq!(ids, block.ids_v2, "ids of block {}", block.height);
        let env = BlockEnv {
            height: block.height,
            timestamp_ms: block.timestamp_ms,
            proposer: unhex::<32>(&block.proposer),
        };
        let (changes, _) = machine
            .execute(&store, env, &txs, &HashMap::new())
            .unwrap_or_else(|(i, e)| panic!("block {} tx {i}: {e}", block.height));
        store.apply(&changes);
        assert_eq!(
            hex::encode(store.root()),
            block.root_v2,
            "root after block {}",
            block.height
        );
    }
}
