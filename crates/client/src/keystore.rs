//! The user's secrets, encrypted under a passphrase in one file of their config directory.
//!
//! Holds the ZK identity `sk` (pseudonym `pk = H_pk(sk)`), the HPKE key envelopes are sealed to,
//! member keys of the groups the user belongs to, for a group authority its issuing, opening and
//! ed25519 keys and member registry, and for a data owner the salt `σ`, data key and manifest of
//! every MDA it registered — everything a later command needs and nobody else may see.
//!
//! File format (JSON): the public profile in clear (so `keys show` needs no passphrase; checked
//! against the secrets on unlock), Argon2id parameters and salt, and the secrets sealed with
//! XChaCha20-Poly1305 ([`medshare_crypto::stream`], one segment) under the Argon2id key. Every
//! change is written atomically (temporary file, fsync, rename), readable by its owner only.

use crate::{Error, Profile, Result};
use argon2::{Algorithm, Argon2, Params, Version};
use medshare_crypto::{
    envelope, poseidon,
    stream::{Decryptor, Encryptor, NONCE_PREFIX_SIZE, SEGMENT_SIZE, StreamKey},
};
use medshare_ledger::Field;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

const FORMAT: &str = "medshare-keystore/2";
/// Still read (and written back as format 2 on the next save).
const FORMAT_V1: &str = "medshare-keystore/1";
/// Argon2id parameters of new keystores: the OWASP recommendation (19 MiB, 2 passes).
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;

/// A member key of one group.
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Membership {
    pub group: String,
    /// The name the authority enrolled this member under.
    pub name: String,
    /// `MemberKey::to_bytes`, kept at the latest epoch the user updated to.
    pub key: Vec<u8>,
}

/// What a group authority keeps for its group.
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Authority {
    pub group: String,
    /// The authority's ed25519 key (listed in genesis), 32-byte seed.
    pub signer: [u8; 32],
    pub issuing: Vec<u8>,
    pub opening: Vec<u8>,
    /// `MemberRegistry::to_bytes`: member index ↔ identity, every key issued.
    pub registry: Vec<u8>,
    /// The group public key of every epoch, to open signatures of any epoch.
    pub group_keys: Vec<Vec<u8>>,
}

/// An MDA this user registered (or is registering).
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct OwnedMda {
    /// α as on chain (field element bytes).
    pub alpha: [u8; 32],
    /// Where it came from, for the owner's listing.
    pub name: String,
    pub group: String,
    /// `σ` of the registration commitment.
    pub salt: [u8; 32],
    pub data_key: [u8; 32],
    /// The canonical manifest.
    pub manifest: Vec<u8>,
    /// Leaf of the registration once final.
    pub position: Option<u64>,
}

impl OwnedMda {
    pub fn alpha(&self) -> Field {
        Field::from_bytes(&self.alpha).expect("stored from a field element")
    }
}

/// A transaction this user submitted (or is about to) whose outcome is not known yet: kept
/// before submitting, dropped once the chain shows it final or the node refuses it for good.
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct PendingTx {
    /// The transaction id (format 2: the proof is left out).
    pub id: [u8; 32],
    /// The canonical encoding, to submit again if the chain never saw it.
    pub tx: Vec<u8>,
    /// The MDA a pending `Register` registers, dropped with it if refused.
    pub registers: Option<[u8; 32]>,
}

#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct Secrets {
    zk_secret: [u8; 32],
    hpke_secret: [u8; 32],
    memberships: Vec<Membership>,
    authorities: Vec<Authority>,
    mdas: Vec<OwnedMda>,
    pending: Vec<PendingTx>,
}

/// The secrets of format 1, before pending transactions were kept.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
struct SecretsV1 {
    zk_secret: [u8; 32],
    hpke_secret: [u8; 32],
    memberships: Vec<Membership>,
    authorities: Vec<Authority>,
    mdas: Vec<OwnedMda>,
}

impl Secrets {
    /// Decodes format 2, or format 1 (no pending transactions).
    fn decode(format: &str, plaintext: &[u8]) -> postcard::Result<Self> {
        if format == FORMAT {
            return postcard::from_bytes(plaintext);
        }
        let old: SecretsV1 = postcard::from_bytes(plaintext)?;
        Ok(Self {
            zk_secret: old.zk_secret,
            hpke_secret: old.hpke_secret,
            memberships: old.memberships.clone(),
            authorities: old.authorities.clone(),
            mdas: old.mdas.clone(),
            pending: Vec::new(),
        })
    }
}

#[derive(Serialize, Deserialize)]
struct KdfParams {
    algorithm: String,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct File {
    format: String,
    profile: String,
    kdf: KdfParams,
    nonce_prefix: String,
    ciphertext: String,
}

/// An unlocked keystore. Changes are kept by [`Keystore::save`].
pub struct Keystore {
    path: PathBuf,
    kdf: KdfParams,
    key: StreamKey,
    secrets: Secrets,
}

impl std::fmt::Debug for Keystore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keystore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn keystore_error(path: &Path, reason: impl Into<String>) -> Error {
    Error::Keystore {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

fn derive_key(passphrase: &str, kdf: &KdfParams, path: &Path) -> Result<StreamKey> {
    let salt = hex::decode(&kdf.salt).map_err(|_| keystore_error(path, "salt is not hex"))?;
    let params = Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32))
        .map_err(|e| keystore_error(path, format!("Argon2 parameters: {e}")))?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), &salt, key.as_mut())
        .map_err(|e| keystore_error(path, format!("Argon2: {e}")))?;
    Ok(StreamKey::from_bytes(*key))
}

impl Keystore {
    /// The keystore file in a medshare home directory.
    pub fn path_in(home: &Path) -> PathBuf {
        home.join("keystore.json")
    }

    /// Creates a keystore with a fresh ZK identity and HPKE key. Refuses to overwrite one.
    pub fn create(path: &Path, passphrase: &str) -> Result<Self> {
        if path.exists() {
            return Err(Error::KeystoreExists(path.to_owned()));
        }
        if passphrase.is_empty() {
            return Err(Error::Invalid("the passphrase must not be empty".into()));
        }
        let mut salt = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        let kdf = KdfParams {
            algorithm: "argon2id".into(),
            memory_kib: MEMORY_KIB,
            iterations: ITERATIONS,
            parallelism: 1,
            salt: hex::encode(salt),
        };
        let key = derive_key(passphrase, &kdf, path)?;
        let zk = poseidon::SecretKey::random(&mut rand::rngs::OsRng);
        let hpke = envelope::SecretKey::generate();
        let keystore = Self {
            path: path.to_owned(),
            kdf,
            key,
            secrets: Secrets {
                zk_secret: *zk.to_bytes(),
                hpke_secret: *hpke.to_bytes(),
                memberships: Vec::new(),
                authorities: Vec::new(),
                mdas: Vec::new(),
                pending: Vec::new(),
            },
        };
        keystore.save()?;
        Ok(keystore)
    }

    fn read_file(path: &Path) -> Result<File> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NoKeystore(path.to_owned()));
            }
            Err(e) => return Err(keystore_error(path, e.to_string())),
        };
        let file: File = serde_json::from_str(&text)
            .map_err(|e| keystore_error(path, format!("not a keystore: {e}")))?;
        if file.format != FORMAT && file.format != FORMAT_V1 {
            return Err(keystore_error(
                path,
                format!("unknown format {:?}", file.format),
            ));
        }
        Ok(file)
    }

    /// The public profile, without the passphrase.
    pub fn profile_of(path: &Path) -> Result<Profile> {
        Self::read_file(path)?.profile.parse()
    }

    /// Opens the keystore at `path`.
    pub fn unlock(path: &Path, passphrase: &str) -> Result<Self> {
        let file = Self::read_file(path)?;
        let key = derive_key(passphrase, &file.kdf, path)?;
        let prefix: [u8; NONCE_PREFIX_SIZE] = hex::decode(&file.nonce_prefix)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| keystore_error(path, "bad nonce"))?;
        let mut plaintext = Zeroizing::new(
            hex::decode(&file.ciphertext)
                .map_err(|_| keystore_error(path, "ciphertext is not hex"))?,
        );
        Decryptor::new(&key, &prefix)
            .open_segment(&mut plaintext, true)
            .map_err(|_| Error::WrongPassphrase(path.to_owned()))?;
        let secrets = Secrets::decode(&file.format, &plaintext)
            .map_err(|e| keystore_error(path, format!("secrets do not decode: {e}")))?;
        let keystore = Self {
            path: path.to_owned(),
            kdf: file.kdf,
            key,
            secrets,
        };
        if keystore.profile().to_string() != file.profile {
            return Err(keystore_error(
                path,
                "the profile in clear does not match the secrets: the file was altered",
            ));
        }
        Ok(keystore)
    }

    /// Writes the keystore atomically, readable by its owner only.
    pub fn save(&self) -> Result<()> {
        let plaintext =
            Zeroizing::new(postcard::to_allocvec(&self.secrets).expect("secrets serialize"));
        if plaintext.len() > SEGMENT_SIZE {
            return Err(keystore_error(&self.path, "the keystore grew over 1 MiB"));
        }
        let mut encryptor = Encryptor::new(&self.key);
        let mut ciphertext = plaintext.to_vec();
        encryptor
            .seal_segment(&mut ciphertext, true)
            .map_err(|e| keystore_error(&self.path, e.to_string()))?;
        let file = File {
            format: FORMAT.into(),
            profile: self.profile().to_string(),
            kdf: KdfParams {
                algorithm: self.kdf.algorithm.clone(),
                memory_kib: self.kdf.memory_kib,
                iterations: self.kdf.iterations,
                parallelism: self.kdf.parallelism,
                salt: self.kdf.salt.clone(),
            },
            nonce_prefix: hex::encode(encryptor.nonce_prefix()),
            ciphertext: hex::encode(ciphertext),
        };
        let text = serde_json::to_string_pretty(&file).expect("keystore serializes");
        medshare_crypto::durable::write_private(&self.path, text.as_bytes())
            .map_err(|e| keystore_error(&self.path, format!("cannot write: {e}")))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The ZK identity's secret key.
    pub fn zk_secret(&self) -> poseidon::SecretKey {
        poseidon::SecretKey::from_bytes(&self.secrets.zk_secret).expect("stored canonically")
    }

    /// The HPKE secret key envelopes are sealed to.
    pub fn hpke_secret(&self) -> envelope::SecretKey {
        envelope::SecretKey::from_bytes(&self.secrets.hpke_secret)
    }

    /// The pseudonym `pk = H_pk(sk)`.
    pub fn pseudonym(&self) -> Field {
        Field(self.zk_secret().public_key())
    }

    pub fn profile(&self) -> Profile {
        Profile {
            pseudonym: self.pseudonym(),
            encryption: self.hpke_secret().public_key(),
        }
    }

    pub fn membership(&self, group: &str) -> Option<&Membership> {
        self.secrets.memberships.iter().find(|m| m.group == group)
    }

    pub fn memberships(&self) -> &[Membership] {
        &self.secrets.memberships
    }

    /// Adds or replaces the member key of `membership.group`.
    pub fn set_membership(&mut self, membership: Membership) {
        self.secrets
            .memberships
            .retain(|m| m.group != membership.group);
        self.secrets.memberships.push(membership);
    }

    pub fn authority(&self, group: &str) -> Option<&Authority> {
        self.secrets.authorities.iter().find(|a| a.group == group)
    }

    pub fn authorities(&self) -> &[Authority] {
        &self.secrets.authorities
    }

    pub fn set_authority(&mut self, authority: Authority) {
        self.secrets
            .authorities
            .retain(|a| a.group != authority.group);
        self.secrets.authorities.push(authority);
    }

    pub fn remove_authority(&mut self, group: &str) {
        self.secrets.authorities.retain(|a| a.group != group);
    }

    pub fn mda(&self, alpha: &Field) -> Option<&OwnedMda> {
        self.secrets
            .mdas
            .iter()
            .find(|m| m.alpha == alpha.to_bytes())
    }

    pub fn mdas(&self) -> &[OwnedMda] {
        &self.secrets.mdas
    }

    pub fn set_mda(&mut self, mda: OwnedMda) {
        self.secrets.mdas.retain(|m| m.alpha != mda.alpha);
        self.secrets.mdas.push(mda);
    }

    /// Transactions whose outcome is not known yet, oldest first.
    pub fn pending(&self) -> &[PendingTx] {
        &self.secrets.pending
    }

    pub fn add_pending(&mut self, pending: PendingTx) {
        self.secrets.pending.retain(|p| p.id != pending.id);
        self.secrets.pending.push(pending);
    }

    pub fn remove_pending(&mut self, id: &[u8; 32]) {
        self.secrets.pending.retain(|p| p.id != *id);
    }

    pub fn remove_mda(&mut self, alpha: &Field) {
        self.secrets.mdas.retain(|m| m.alpha != alpha.to_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_unlock_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let path = Keystore::path_in(dir.path());
        let mut created = Keystore::create(&path, "correct horse").unwrap();
        assert!(matches!(
            Keystore::create(&path, "x"),
            Err(Error::KeystoreExists(_))
        ));
        created.set_membership(Membership {
            group: "st-marys".into(),
            name: "patient-1".into(),
            key: vec![1, 2, 3],
        });
        created.save().unwrap();

        let opened = Keystore::unlock(&path, "correct horse").unwrap();
        assert_eq!(opened.profile(), created.profile());
        assert_eq!(Keystore::profile_of(&path).unwrap(), created.profile());
        assert_eq!(opened.membership("st-marys").unwrap().key, vec![1, 2, 3]);
        assert!(matches!(
            Keystore::unlock(&path, "wrong horse"),
            Err(Error::WrongPassphrase(_))
        ));
        assert!(matches!(
            Keystore::unlock(&dir.path().join("none.json"), "x"),
            Err(Error::NoKeystore(_))
        ));
        // No secret in clear in the file.
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&hex::encode(opened.secrets.zk_secret)));

        // A swapped profile is detected.
        let mut file: File = serde_json::from_str(&text).unwrap();
        let other = Keystore::create(&dir.path().join("other.json"), "p").unwrap();
        file.profile = other.profile().to_string();
        std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
        assert!(matches!(
            Keystore::unlock(&path, "correct horse"),
            Err(Error::Keystore { .. })
        ));
    }
}
