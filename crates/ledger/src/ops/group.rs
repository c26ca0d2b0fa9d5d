//! Group enrollment (seed 000 operation 1): a group authority publishes its BBS04 group key, and
//! revokes a member by advancing the key one epoch (BBS04 §7). Enrolling members happens off
//! chain: the authority seals each member key to its member.

use super::{ApplyContext, Body, CheckContext, Claims, Operation, authority_signature, read_group};
use crate::{
    error::TxError,
    kind::Kind,
    state::{self, GroupRecord},
    store::Kv,
    types::{GroupId, read_bytes},
};
use bytes::Buf;
use commonware_codec::{DecodeExt, Error as CodecError, ReadExt, Write};
use commonware_cryptography::{Signer, Verifier as _, ed25519};
use medshare_crypto::groupsig::{GroupPublicKey, Revocation};

/// Largest BBS04 group public key accepted.
pub const MAX_GROUP_KEY: usize = 2048;
/// Largest revocation accepted.
pub const MAX_REVOCATION: usize = 1024;

/// A group authority T publishes its BBS04 group public key. Only authorities listed in genesis
/// may create groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateGroup {
    pub group: GroupId,
    pub public_key: Vec<u8>,
    pub authority: ed25519::PublicKey,
    pub signature: ed25519::Signature,
}

/// The group authority revokes a member: the group key advances one epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdvanceGroupEpoch {
    pub group: GroupId,
    pub revocation: Vec<u8>,
    pub signature: ed25519::Signature,
}

impl Body for CreateGroup {
    const KIND: Kind = Kind::CreateGroup;
    fn read(buf: &mut impl Buf) -> Result<Self, CodecError> {
        Ok(Self {
            group: GroupId::read(buf)?,
            public_key: read_bytes(buf, MAX_GROUP_KEY)?,
            authority: ed25519::PublicKey::read(buf)?,
            signature: ed25519::Signature::read(buf)?,
        })
    }
}

impl Operation for CreateGroup {
    fn write_fields(&self, buf: &mut Vec<u8>) {
        self.group.write(buf);
        self.public_key.write(buf);
        self.authority.write(buf);
    }

    fn write_authentication(&self, buf: &mut Vec<u8>) {
        self.signature.write(buf);
    }

    fn check(&self, ctx: &CheckContext<'_>) -> Result<Claims, TxError> {
        ctx.check_authority(&self.authority, &self.signature)?;
        ctx.group_keys
            .get(&self.public_key)
            .map_err(|reason| TxError::Malformed {
                what: "group public key",
                reason,
            })?;
        Ok(Claims::default())
    }

    fn apply(&self, ctx: &mut ApplyContext<'_, '_>) -> Result<Option<u64>, TxError> {
        let key = state::group_key(&self.group);
        if ctx.state.get(&key).is_some() {
            return Err(TxError::GroupExists(self.group.clone()));
        }
        let (_, public_key) =
            ctx.group_keys
                .get(&self.public_key)
                .map_err(|reason| TxError::Malformed {
                    what: "group public key",
                    reason,
                })?;
        let record = GroupRecord {
            id: self.group.clone(),
            authority: self
                .authority
                .as_ref()
                .try_into()
                .expect("ed25519 keys are 32 bytes"),
            public_key: self.public_key.clone(),
            epoch: public_key.epoch(),
            created_height: ctx.env.height,
        };
        state::write(ctx.state, key, &record);
        Ok(None)
    }
}

impl Body for AdvanceGroupEpoch {
    const KIND: Kind = Kind::AdvanceGroupEpoch;
    fn read(buf: &mut impl Buf) -> Result<Self, CodecError> {
        Ok(Self {
            group: GroupId::read(buf)?,
            revocation: read_bytes(buf, MAX_REVOCATION)?,
            signature: ed25519::Signature::read(buf)?,
        })
    }
}

impl Operation for AdvanceGroupEpoch {
    fn write_fields(&self, buf: &mut Vec<u8>) {
        self.group.write(buf);
        self.revocation.write(buf);
    }

    fn write_authentication(&self, buf: &mut Vec<u8>) {
        self.signature.write(buf);
    }

    fn check(&self, ctx: &CheckContext<'_>) -> Result<Claims, TxError> {
        let record = read_group(ctx.state, &self.group)?;
        let authority = ed25519::PublicKey::decode(record.authority.as_slice())
            .map_err(|_| TxError::NotAnAuthority)?;
        if !authority.verify(super::AUTHORITY_NAMESPACE, &ctx.message, &self.signature) {
            return Err(TxError::BadAuthoritySignature);
        }
        Revocation::from_bytes(&self.revocation).map_err(|e| TxError::Malformed {
            what: "revocation",
            reason: e.to_string(),
        })?;
        Ok(Claims::default())
    }

    fn apply(&self, ctx: &mut ApplyContext<'_, '_>) -> Result<Option<u64>, TxError> {
        let mut record = read_group(ctx.state, &self.group)?;
        let (_, current) = ctx.group_keys.current(&record)?;
        let bad = |reason: String| TxError::BadRevocation {
            group: self.group.clone(),
            reason,
        };
        let revocation =
            Revocation::from_bytes(&self.revocation).map_err(|e| bad(e.to_string()))?;
        let next = current.apply(&revocation).map_err(|e| bad(e.to_string()))?;
        record.public_key = next.to_bytes();
        record.epoch = next.epoch();
        ctx.state.put(
            state::revocation_key(&self.group, record.epoch),
            self.revocation.clone(),
        );
        state::write(ctx.state, state::group_key(&self.group), &record);
        Ok(None)
    }
}

/// A group authority publishes its group.
pub fn create_group(
    chain_id: &str,
    group: GroupId,
    group_key: &GroupPublicKey,
    authority: &ed25519::PrivateKey,
) -> CreateGroup {
    let mut body = CreateGroup {
        group,
        public_key: group_key.to_bytes(),
        authority: authority.public_key(),
        signature: authority.sign(super::AUTHORITY_NAMESPACE, b""),
    };
    body.signature = authority_signature(chain_id, &body, authority);
    body
}

/// A group authority revokes a member: the group advances one epoch.
pub fn advance_group_epoch(
    chain_id: &str,
    group: GroupId,
    revocation: &Revocation,
    authority: &ed25519::PrivateKey,
) -> AdvanceGroupEpoch {
    let mut body = AdvanceGroupEpoch {
        group,
        revocation: revocation.to_bytes(),
        signature: authority.sign(super::AUTHORITY_NAMESPACE, b""),
    };
    body.signature = authority_signature(chain_id, &body, authority);
    body
}
