//! The authority's member registry (seed 000 operation 1): member index ↔ real identity, and
//! every key it issued, epoch by epoch, so that opening a signature of any epoch names the
//! member. It lives in a file the authority controls and never goes on chain.
//!
//! The cryptography stays in the key types; this is bookkeeping around it plus an atomic save
//! through [`crate::durable`].

use std::{
    collections::{BTreeMap, HashMap},
    fs,
    path::Path,
};

use ark_bls12_381::{Fr, G1Affine};
use rand::{CryptoRng, RngCore};
use zeroize::{Zeroize, Zeroizing};

use super::{
    Epoch, GroupPublicKey, GroupSigError, IssuingKey, MemberIndex, MemberKey, Result, Revocation,
    encoding::{G1_BYTES, Reader, Writer, g1_bytes},
};

/// Leading bytes of the registry file format, version 1.
const MAGIC: &[u8; 8] = b"MSGSREG1";

/// The authority's record of its members. Holds member secrets: keep the file private.
pub struct MemberRegistry {
    epoch: Epoch,
    next_index: MemberIndex,
    members: BTreeMap<MemberIndex, MemberRecord>,
    /// `(epoch, compressed A)` → member, for [`super::OpeningKey::open`]; derived from `members`.
    by_key: HashMap<(Epoch, [u8; G1_BYTES]), MemberIndex>,
}

struct MemberRecord {
    identity: String,
    first_epoch: Epoch,
    x: Fr,
    /// `A` of each epoch from `first_epoch` on; never empty.
    keys: Vec<G1Affine>,
    /// Revoked at the end of the epoch of the last key.
    revoked: bool,
}

impl MemberRecord {
    fn last_epoch(&self) -> Epoch {
        // Lengths are bounded by the epoch counter on every path that builds a record.
        self.first_epoch + self.keys.len() as u64 - 1
    }

    fn current_key(&self, index: MemberIndex) -> MemberKey {
        MemberKey {
            index,
            epoch: self.last_epoch(),
            a: self.keys[self.keys.len() - 1],
            x: self.x,
        }
    }
}

impl Drop for MemberRecord {
    fn drop(&mut self) {
        self.x.zeroize();
        self.keys.zeroize();
    }
}

impl MemberRegistry {
    /// An empty registry for a group whose current key is `gpk`.
    pub fn new(gpk: &GroupPublicKey) -> Self {
        Self {
            epoch: gpk.epoch,
            next_index: 0,
            members: BTreeMap::new(),
            by_key: HashMap::new(),
        }
    }

    /// The group epoch the registry is at.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// Members ever enrolled, revoked ones included.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The real identity behind a member index.
    pub fn identity(&self, index: MemberIndex) -> Option<&str> {
        self.members.get(&index).map(|r| r.identity.as_str())
    }

    /// Whether the member was revoked; `None` for an unknown index.
    pub fn is_revoked(&self, index: MemberIndex) -> Option<bool> {
        self.members.get(&index).map(|r| r.revoked)
    }

    /// The member's key for the current epoch, e.g. to hand it over again.
    pub fn member_key(&self, index: MemberIndex) -> Result<MemberKey> {
        let record = self
            .members
            .get(&index)
            .ok_or(GroupSigError::UnknownIndex(index))?;
        if record.revoked {
            return Err(GroupSigError::AlreadyRevoked(index));
        }
        Ok(record.current_key(index))
    }

    /// Enrolls `identity` (seed 000 operation 1): issues a key for the current epoch under the
    /// next free index and records who holds it. Hand the key to the member over a secure
    /// channel; save the registry before doing so.
    pub fn enroll<R: RngCore + CryptoRng>(
        &mut self,
        issuing: &IssuingKey,
        gpk: &GroupPublicKey,
        identity: &str,
        rng: &mut R,
    ) -> Result<MemberKey> {
        gpk.require_epoch(self.epoch)?;
        let index = self.next_index;
        let next_index = index
            .checked_add(1)
            .ok_or(GroupSigError::Overflow("member index"))?;
        let key = issuing.enroll(gpk, index, rng)?;
        self.by_key.insert((key.epoch, g1_bytes(&key.a)), index);
        self.members.insert(
            index,
            MemberRecord {
                identity: identity.to_owned(),
                first_epoch: key.epoch,
                x: key.x,
                keys: vec![key.a],
                revoked: false,
            },
        );
        self.next_index = next_index;
        Ok(key)
    }

    /// Revokes member `index`: returns the revocation to publish and the next group key, and
    /// moves every remaining member's record to the next epoch (the same public update the
    /// members run). On error nothing changes.
    pub fn revoke(
        &mut self,
        issuing: &IssuingKey,
        gpk: &GroupPublicKey,
        index: MemberIndex,
    ) -> Result<(Revocation, GroupPublicKey)> {
        gpk.require_epoch(self.epoch)?;
        let key = self.member_key(index)?;
        let (revocation, next) = issuing.revoke(gpk, &key)?;
        let mut updated = Vec::new();
        for (&i, record) in &self.members {
            if i != index && !record.revoked {
                updated.push((i, record.current_key(i).update(&revocation)?.a));
            }
        }
        for (i, a) in updated {
            self.by_key.insert((next.epoch, g1_bytes(&a)), i);
            if let Some(record) = self.members.get_mut(&i) {
                record.keys.push(a);
            }
        }
        if let Some(record) = self.members.get_mut(&index) {
            record.revoked = true;
        }
        self.epoch = next.epoch;
        Ok((revocation, next))
    }

    /// The member whose key of `epoch` is `a`.
    pub(super) fn member_with_key(&self, epoch: Epoch, a: &G1Affine) -> Option<MemberIndex> {
        self.by_key.get(&(epoch, g1_bytes(a))).copied()
    }

    /// `MAGIC ‖ epoch ‖ next index ‖ count ‖ records`, each record
    /// `index ‖ first epoch ‖ revoked (0/1) ‖ x ‖ key count ‖ A… ‖ identity length ‖ UTF-8`.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut w = Writer::default();
        w.bytes(MAGIC)
            .u64(self.epoch)
            .u64(self.next_index)
            .u64(self.members.len() as u64);
        for (&index, r) in &self.members {
            w.u64(index)
                .u64(r.first_epoch)
                .bytes(&[u8::from(r.revoked)])
                .scalar(&r.x)
                .u64(r.keys.len() as u64);
            for a in &r.keys {
                w.g1(a);
            }
            w.u64(r.identity.len() as u64).bytes(r.identity.as_bytes());
        }
        Zeroizing::new(w.0)
    }

    /// Decodes and validates a registry: every key a valid point, indexes ascending and below
    /// the next index, key histories consistent with the registry's epoch.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "member registry";
        let malformed = |reason| GroupSigError::Malformed { what: WHAT, reason };
        let mut r = Reader::new(bytes, WHAT);
        if r.take(MAGIC.len())? != MAGIC {
            return Err(malformed("not a registry file (bad magic)"));
        }
        let mut registry = Self {
            epoch: r.u64()?,
            next_index: r.u64()?,
            members: BTreeMap::new(),
            by_key: HashMap::new(),
        };
        let count = r.u64()?;
        for _ in 0..count {
            let index = r.u64()?;
            if index >= registry.next_index
                || registry
                    .members
                    .last_key_value()
                    .is_some_and(|(&last, _)| last >= index)
            {
                return Err(malformed(
                    "member indexes not ascending below the next index",
                ));
            }
            let first_epoch = r.u64()?;
            let revoked = match r.take(1)?[0] {
                0 => false,
                1 => true,
                _ => return Err(malformed("bad revocation flag")),
            };
            let x = r.scalar("member registry x")?;
            let key_count = r.u64()?;
            // Bound the count by the epochs it may span before allocating anything.
            let span = registry
                .epoch
                .checked_sub(first_epoch)
                .ok_or(malformed("member enrolled after the registry's epoch"))?;
            if key_count == 0 || key_count - 1 > span {
                return Err(malformed("key history does not fit the epochs"));
            }
            let last_epoch = first_epoch + (key_count - 1);
            if revoked == (last_epoch == registry.epoch) {
                return Err(malformed("key history does not match the revocation flag"));
            }
            let mut keys = Vec::new();
            for epoch in first_epoch..=last_epoch {
                let a = r.g1("member registry A")?;
                if registry
                    .by_key
                    .insert((epoch, g1_bytes(&a)), index)
                    .is_some()
                {
                    return Err(malformed("two members share a key"));
                }
                keys.push(a);
            }
            let identity_len =
                usize::try_from(r.u64()?).map_err(|_| malformed("identity length out of range"))?;
            let identity = std::str::from_utf8(r.take(identity_len)?)
                .map_err(|_| malformed("identity is not UTF-8"))?
                .to_owned();
            registry.members.insert(
                index,
                MemberRecord {
                    identity,
                    first_epoch,
                    x,
                    keys,
                    revoked,
                },
            );
        }
        r.finish()?;
        Ok(registry)
    }

    /// Writes the registry atomically: a private temporary file beside `path`, fsync, rename
    /// over `path`, fsync of the folder. A crash leaves the old file or the new, never a mix.
    pub fn save(&self, path: &Path) -> Result<()> {
        let io_error = |source| GroupSigError::RegistryIo {
            path: path.to_owned(),
            source,
        };
        crate::durable::write_private(path, &self.to_bytes()).map_err(io_error)
    }

    /// Reads a registry written by [`MemberRegistry::save`].
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = Zeroizing::new(fs::read(path).map_err(|source| GroupSigError::RegistryIo {
            path: path.to_owned(),
            source,
        })?);
        Self::from_bytes(&bytes)
    }
}

impl std::fmt::Debug for MemberRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberRegistry")
            .field("epoch", &self.epoch)
            .field("members", &self.members.len())
            .finish_non_exhaustive()
    }
}
