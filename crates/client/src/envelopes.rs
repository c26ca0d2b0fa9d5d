//! What travels sealed with HPKE ([`medshare_crypto::envelope`]) between users.
//!
//! - [`Grant`]: the authorization envelope, seed 000's secure transmission `st(σ', α, pk_A, …)`
//!   of Algorithm 3 with what storage adds: the data key and the manifest (docs/design.md "The
//!   sharing mechanism" step 3). It rides on chain in `Authorize.envelope` (≤ 4 KiB), so the
//!   owner need not be online when the data user extracts. Its AAD binds it to the chain and to
//!   the authorization's α, pk_A and pk_H: an envelope copied into another authorization does
//!   not open.
//! - [`SealedMemberKey`]: a member key from the group authority to the member (operation 1's
//!   secure channel), as a file that can travel over any channel.

use crate::{Error, Result};
use medshare_crypto::{
    envelope::{self, PublicKey, SecretKey},
    poseidon::Salt,
    stream::StreamKey,
};
use medshare_ledger::{Field, GroupId, tx::MAX_ENVELOPE};
use medshare_storage::Manifest;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

const GRANT_CONTEXT: &[u8] = b"medshare/authorization-envelope/v1";
const MEMBER_CONTEXT: &[u8] = b"medshare/member-key/v1";

/// The secrets a data user needs to extract and read an MDA.
pub struct Grant {
    /// `σ'` of the authorization commitment.
    pub salt_auth: Salt,
    pub alpha: Field,
    pub pk_a: Field,
    pub data_key: StreamKey,
    pub manifest: Manifest,
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grant")
            .field("alpha", &self.alpha)
            .field("manifest", &self.manifest.cid())
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct GrantWire {
    salt_auth: [u8; 32],
    data_key: [u8; 32],
    manifest: Vec<u8>,
}

fn grant_aad(chain_id: &str, alpha: &Field, pk_a: &Field, pk_h: &Field) -> Vec<u8> {
    let mut aad = chain_id.as_bytes().to_vec();
    aad.push(0);
    aad.extend_from_slice(&alpha.to_bytes());
    aad.extend_from_slice(&pk_a.to_bytes());
    aad.extend_from_slice(&pk_h.to_bytes());
    aad
}

impl Grant {
    /// Seals the grant to the data user `pk_h` whose encryption key is `to`.
    pub fn seal(&self, chain_id: &str, pk_h: &Field, to: &PublicKey) -> Result<Vec<u8>> {
        let wire = GrantWire {
            salt_auth: *self.salt_auth.to_bytes(),
            data_key: *self.data_key.as_bytes(),
            manifest: self.manifest.to_bytes(),
        };
        let plaintext = Zeroizing::new(postcard::to_allocvec(&wire).expect("grants serialize"));
        let aad = grant_aad(chain_id, &self.alpha, &self.pk_a, pk_h);
        let sealed = envelope::seal(to, GRANT_CONTEXT, &aad, &plaintext)
            .map_err(|e| Error::BadProfile(format!("cannot seal to its encryption key: {e}")))?;
        if sealed.len() > MAX_ENVELOPE {
            return Err(Error::Invalid(format!(
                "the authorization envelope would be {} bytes, over the chain's {MAX_ENVELOPE}: \
                 register the MDA with fewer shards",
                sealed.len()
            )));
        }
        Ok(sealed)
    }

    /// Opens an envelope of an authorization of `alpha` from `pk_a` to `pk_h`.
    pub fn open(
        sealed: &[u8],
        chain_id: &str,
        alpha: Field,
        pk_a: Field,
        pk_h: &Field,
        key: &SecretKey,
    ) -> Result<Self> {
        let aad = grant_aad(chain_id, &alpha, &pk_a, pk_h);
        let plaintext = Zeroizing::new(envelope::open(key, GRANT_CONTEXT, &aad, sealed).map_err(
            |e| {
                Error::Inconsistent(format!(
                    "the authorization envelope does not open with your key ({e})"
                ))
            },
        )?);
        let wire: GrantWire = postcard::from_bytes(&plaintext)
            .map_err(|e| Error::Inconsistent(format!("authorization envelope: {e}")))?;
        let salt_auth = Salt::from_bytes(&wire.salt_auth)
            .map_err(|_| Error::Inconsistent("authorization envelope: bad σ'".into()))?;
        let manifest = Manifest::from_bytes(&wire.manifest)
            .map_err(|e| Error::Inconsistent(format!("authorization envelope: {e}")))?;
        Ok(Self {
            salt_auth,
            alpha,
            pk_a,
            data_key: StreamKey::from_bytes(wire.data_key),
            manifest,
        })
    }
}

/// A member key sealed to its member: the file `medshare group enroll` writes.
#[derive(Serialize, Deserialize)]
pub struct SealedMemberKey {
    pub format: String,
    pub chain_id: String,
    pub group: GroupId,
    /// Who the authority enrolled (the name in its registry), for the member's information.
    pub name: String,
    /// The HPKE envelope, hex.
    pub sealed: String,
}

const MEMBER_FORMAT: &str = "medshare-member-key/1";

fn member_aad(chain_id: &str, group: &GroupId) -> Vec<u8> {
    let mut aad = chain_id.as_bytes().to_vec();
    aad.push(0);
    aad.extend_from_slice(group.as_str().as_bytes());
    aad
}

impl SealedMemberKey {
    pub fn seal(
        chain_id: &str,
        group: &GroupId,
        name: &str,
        key: &[u8],
        to: &PublicKey,
    ) -> Result<Self> {
        let sealed = envelope::seal(to, MEMBER_CONTEXT, &member_aad(chain_id, group), key)
            .map_err(|e| Error::BadProfile(format!("cannot seal to its encryption key: {e}")))?;
        Ok(Self {
            format: MEMBER_FORMAT.into(),
            chain_id: chain_id.into(),
            group: group.clone(),
            name: name.into(),
            sealed: hex::encode(sealed),
        })
    }

    /// The member key bytes, if this file was sealed to `key`.
    pub fn open(&self, key: &SecretKey) -> Result<Zeroizing<Vec<u8>>> {
        if self.format != MEMBER_FORMAT {
            return Err(Error::Invalid(format!(
                "not a member key file (format {:?})",
                self.format
            )));
        }
        let sealed = hex::decode(&self.sealed)
            .map_err(|_| Error::Invalid("member key file: sealed key is not hex".into()))?;
        envelope::open(
            key,
            MEMBER_CONTEXT,
            &member_aad(&self.chain_id, &self.group),
            &sealed,
        )
        .map(Zeroizing::new)
        .map_err(|_| {
            Error::Invalid(
                "this member key file was sealed to another profile; ask the authority to enroll \
                     you with the profile `medshare keys show` prints"
                    .into(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use medshare_crypto::poseidon::Fr;
    use medshare_storage::{Alpha, ContentId, Erasure};

    fn grant() -> Grant {
        let erasure = Erasure::default();
        let shards = (0..erasure.total())
            .map(|i| ContentId::of(&[i as u8]))
            .collect();
        Grant {
            salt_auth: Salt::random(&mut rand::thread_rng()),
            alpha: Field(Fr::from(7u64)),
            pk_a: Field(Fr::from(8u64)),
            data_key: StreamKey::generate(),
            manifest: Manifest::new(erasure, 10, Alpha([1; 32]), [2; 19], shards).unwrap(),
        }
    }

    #[test]
    fn a_grant_opens_only_for_its_user_chain_and_authorization() {
        let user = SecretKey::generate();
        let pk_h = Field(Fr::from(9u64));
        let grant = grant();
        let sealed = grant.seal("chain", &pk_h, &user.public_key()).unwrap();
        assert!(sealed.len() < MAX_ENVELOPE);
        let opened = Grant::open(&sealed, "chain", grant.alpha, grant.pk_a, &pk_h, &user).unwrap();
        assert_eq!(opened.manifest, grant.manifest);
        assert_eq!(opened.data_key.as_bytes(), grant.data_key.as_bytes());
        assert!(opened.salt_auth == grant.salt_auth);
        // Another key, chain, α, owner or user: it does not open.
        let other = Field(Fr::from(10u64));
        assert!(
            Grant::open(
                &sealed,
                "chain",
                grant.alpha,
                grant.pk_a,
                &pk_h,
                &SecretKey::generate()
            )
            .is_err()
        );
        assert!(Grant::open(&sealed, "other", grant.alpha, grant.pk_a, &pk_h, &user).is_err());
        assert!(Grant::open(&sealed, "chain", other, grant.pk_a, &pk_h, &user).is_err());
        assert!(Grant::open(&sealed, "chain", grant.alpha, other, &pk_h, &user).is_err());
        assert!(Grant::open(&sealed, "chain", grant.alpha, grant.pk_a, &other, &user).is_err());
        // Debug shows no secret.
        let debug = format!("{grant:?}");
        assert!(!debug.contains(&hex::encode(grant.data_key.as_bytes())));
    }

    #[test]
    fn member_keys_open_only_for_their_member() {
        let member = SecretKey::generate();
        let group = GroupId::new("g").unwrap();
        let sealed =
            SealedMemberKey::seal("chain", &group, "alice", b"key bytes", &member.public_key())
                .unwrap();
        assert_eq!(&sealed.open(&member).unwrap()[..], b"key bytes");
        assert!(sealed.open(&SecretKey::generate()).is_err());
        let mut moved = sealed;
        moved.group = GroupId::new("h").unwrap();
        assert!(moved.open(&member).is_err());
    }
}
