//! The one way to make a consortium's genesis: validator keys, a group authority, the groups that
//! exist from the start, the Groth16 keys of every circuit, and the genesis file naming them. The
//! devnet, the demo, every benchmark and the test fixtures build theirs here; `medshare_node`'s
//! `devnet` module writes one to disk and starts its validators.
//!
//! Keys come from a seed (tests and benchmarks: the same consortium every run) or from the
//! operating system. Either way whoever runs the Groth16 setup knows its trapdoor: this is a
//! single-operator setup for development, not a consortium's ceremony.

use crate::{
    circuits::{CircuitKeys, VerifyingKeyDigests},
    genesis::{AuthorityInfo, Genesis, GenesisGroup, ValidatorInfo},
    machine::Machine,
    types::GroupId,
};
use commonware_codec::DecodeExt;
use commonware_cryptography::{Signer, ed25519};
use medshare_crypto::groupsig::{GroupPublicKey, IssuingKey, OpeningKey, generate_group};
use medshare_zk::{CircuitId, ProvingKey, VerifyingKey, ZkError, setup};
use rand::{RngCore, SeedableRng, rngs::OsRng, rngs::StdRng};
use std::{
    collections::BTreeMap,
    net::{Ipv4Addr, SocketAddr},
    path::Path,
};

/// What to build.
#[derive(Clone, Debug)]
pub struct ConsortiumSpec {
    pub chain_id: String,
    pub validators: usize,
    /// Keys from this seed, or fresh ones from the operating system.
    pub seed: Option<u64>,
    pub timestamp_ms: u64,
    /// The address of validator i's p2p endpoint and API (storage peer on the same port).
    pub addresses: Vec<(SocketAddr, SocketAddr)>,
    /// Groups that exist from genesis, owned by the consortium's authority.
    pub groups: Vec<GroupId>,
    /// Whether every validator runs a storage peer (and so needs its HPKE key in genesis).
    pub storage: bool,
}

impl ConsortiumSpec {
    /// `validators` validators on loopback, validator i on ports `port + 2i` (p2p) and
    /// `port + 2i + 1` (API).
    pub fn local(chain_id: impl Into<String>, validators: usize, port: u16) -> Self {
        let addresses = (0..validators)
            .map(|i| {
                let p2p = port + 2 * i as u16;
                (
                    SocketAddr::from((Ipv4Addr::LOCALHOST, p2p)),
                    SocketAddr::from((Ipv4Addr::LOCALHOST, p2p + 1)),
                )
            })
            .collect();
        Self {
            chain_id: chain_id.into(),
            validators,
            seed: None,
            timestamp_ms: 1,
            addresses,
            groups: Vec::new(),
            storage: false,
        }
    }
}

/// The Groth16 keys of every circuit.
pub struct CircuitSetup {
    pub proving: BTreeMap<CircuitId, ProvingKey>,
}

impl CircuitSetup {
    /// A setup of every circuit from `rng`.
    pub fn generate(rng: &mut (impl RngCore + rand::CryptoRng)) -> Result<Self, ZkError> {
        let proving = CircuitId::ALL
            .into_iter()
            .map(|circuit| Ok((circuit, setup(circuit, rng)?.0)))
            .collect::<Result<_, ZkError>>()?;
        Ok(Self { proving })
    }

    /// The setup of `seed`: read from `dir` if written there before, else generated from the
    /// seed and written (a setup costs seconds; benchmarks and tests reuse theirs).
    pub fn cached(dir: &Path, seed: u64) -> Result<Self, ZkError> {
        if let Ok(setup) = Self::read(dir) {
            return Ok(setup);
        }
        let setup = Self::generate(&mut StdRng::seed_from_u64(seed))?;
        setup.write(dir)?;
        Ok(setup)
    }

    /// Reads `<circuit>.pk` for every circuit.
    pub fn read(dir: &Path) -> Result<Self, ZkError> {
        let proving = CircuitId::ALL
            .into_iter()
            .map(|circuit| Ok((circuit, ProvingKey::read(Self::path(dir, circuit, "pk"))?)))
            .collect::<Result<_, ZkError>>()?;
        Ok(Self { proving })
    }

    /// Writes `<circuit>.pk` and `<circuit>.vk` for every circuit: the key files a node and a
    /// client load.
    pub fn write(&self, dir: &Path) -> Result<(), ZkError> {
        std::fs::create_dir_all(dir).map_err(|source| ZkError::Io {
            path: dir.to_owned(),
            source,
        })?;
        for (circuit, key) in &self.proving {
            key.verifying_key().write(Self::path(dir, *circuit, "vk"))?;
            key.write(Self::path(dir, *circuit, "pk"))?;
        }
        Ok(())
    }

    fn path(dir: &Path, circuit: CircuitId, extension: &str) -> std::path::PathBuf {
        dir.join(format!("{}.{extension}", circuit.name()))
    }

    pub fn proving_key(&self, circuit: CircuitId) -> &ProvingKey {
        &self.proving[&circuit]
    }

    pub fn verifying_keys(&self) -> Vec<VerifyingKey> {
        self.proving
            .values()
            .map(ProvingKey::verifying_key)
            .collect()
    }

    /// The prepared verifying keys a state machine checks proofs with.
    pub fn circuit_keys(&self) -> CircuitKeys {
        CircuitKeys::new(self.verifying_keys().iter().map(VerifyingKey::prepare))
            .expect("a setup has every circuit")
    }
}

/// A genesis group's keys: the authority keeps the issuing and opening keys.
pub struct GroupKeys {
    pub id: GroupId,
    pub public: GroupPublicKey,
    pub issuing: IssuingKey,
    pub opening: OpeningKey,
}

/// A built consortium: its genesis and every secret behind it.
pub struct Consortium {
    pub genesis: Genesis,
    pub signers: Vec<ed25519::PrivateKey>,
    /// The consortium's one genesis authority: it may create groups and act as the FSP.
    pub authority: ed25519::PrivateKey,
    pub groups: Vec<GroupKeys>,
    /// The storage peers' HPKE keys, by validator (empty without storage).
    pub storage_keys: Vec<medshare_crypto::envelope::SecretKey>,
}

/// An ed25519 key from 32 bytes of `rng`.
fn signer(rng: &mut impl RngCore) -> ed25519::PrivateKey {
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    rng.fill_bytes(seed.as_mut());
    ed25519::PrivateKey::decode(seed.as_slice()).expect("any 32 bytes are an ed25519 seed")
}

impl Consortium {
    /// Builds the consortium of `spec` whose Groth16 keys are `setup`.
    pub fn build(spec: &ConsortiumSpec, setup: &CircuitSetup) -> Self {
        let mut rng: Box<dyn RngCore> = match spec.seed {
            Some(seed) => Box::new(StdRng::seed_from_u64(seed)),
            None => Box::new(OsRng),
        };
        let signers: Vec<_> = (0..spec.validators).map(|_| signer(&mut rng)).collect();
        let authority = signer(&mut rng);
        let authority_hex = hex::encode(authority.public_key().as_ref());
        let mut group_rng = StdRng::seed_from_u64(rng.next_u64());
        let groups: Vec<GroupKeys> = spec
            .groups
            .iter()
            .map(|id| {
                let (public, issuing, opening) = generate_group(&mut group_rng);
                GroupKeys {
                    id: id.clone(),
                    public,
                    issuing,
                    opening,
                }
            })
            .collect();
        let storage_keys: Vec<_> = (0..spec.validators)
            .filter(|_| spec.storage)
            .map(|_| medshare_crypto::envelope::SecretKey::generate())
            .collect();
        let genesis = Genesis {
            chain_id: spec.chain_id.clone(),
            timestamp_ms: spec.timestamp_ms,
            validators: signers
                .iter()
                .zip(&spec.addresses)
                .enumerate()
                .map(|(i, (signer, (p2p, api)))| ValidatorInfo {
                    name: format!("validator-{i}"),
                    public_key: hex::encode(signer.public_key().as_ref()),
                    p2p: *p2p,
                    api: *api,
                    storage_key: storage_keys.get(i).map(|k| k.public_key()),
                })
                .collect(),
            verifying_keys: VerifyingKeyDigests::of(&setup.verifying_keys()),
            authorities: vec![AuthorityInfo {
                name: "consortium-authority".into(),
                public_key: authority_hex.clone(),
            }],
            groups: groups
                .iter()
                .map(|group| GenesisGroup {
                    id: group.id.clone(),
                    authority: authority_hex.clone(),
                    public_key: hex::encode(group.public.to_bytes()),
                })
                .collect(),
            benchmark_notes: false,
        };
        Self {
            genesis,
            signers,
            authority,
            groups,
            storage_keys,
        }
    }

    /// The state machine of this consortium.
    pub fn machine(&self, setup: &CircuitSetup) -> Machine {
        Machine::new(self.genesis.params(), setup.circuit_keys())
    }
}
