//! Transactions of the sharing mechanism (seed 000 §IV) and their canonical encoding.
//!
//! Each transaction has three nested byte strings, each prefixed by the chain id and the kind so
//! nothing signed or proven on one chain or for one kind is valid on another:
//!
//! - the **signed message**: every field but the signatures and the proof. The group authority's
//!   ed25519 signature, or the member's group signature (`A_info`), signs it — so nobody can swap in
//!   their own group signature and redirect tracing without invalidating the proof.
//! - the **binding message**: the signed message followed by the group signature.
//!   `binding = H_bind(SHA-256(binding message))` is a public input of the proof, so a proof cannot be lifted onto
//!   another transaction (DESIGN.md, "Departures from the paper").
//! - the **encoding**: kind, fields, signature and proof. Its SHA-256 is the transaction id.

use crate::types::{Field, GroupId, Hash, read_bytes};
use bytes::{Buf, BufMut};
use commonware_codec::{Encode, EncodeSize, Error as CodecError, Read, ReadExt, Write};
use commonware_cryptography::ed25519;
use medshare_crypto::poseidon::{self, Domain};
use sha2::{Digest as _, Sha256};

/// Largest encoded transaction accepted anywhere (RPC, gossip, blocks).
pub const MAX_TX_BYTES: usize = 16 * 1024;
/// A compressed Groth16 proof over BLS12-381: A ∈ G1, B ∈ G2, C ∈ G1.
pub const PROOF_BYTES: usize = 48 + 96 + 48;
/// A BBS04 group signature (fixed size; see `medshare_crypto::groupsig::Signature`).
pub const MAX_GROUP_SIGNATURE: usize = medshare_crypto::groupsig::Signature::BYTES;
pub const MAX_GROUP_KEY: usize = 2048;
pub const MAX_REVOCATION: usize = 1024;
/// A manifest reference: the CID of the manifest listing the MDA's shards.
pub const MAX_MANIFEST: usize = 128;
/// The HPKE envelope from owner to user: σ', α, pk_A, the data key and the manifest.
pub const MAX_ENVELOPE: usize = 4096;
pub const MAX_NOTE: usize = 1024;

/// A Groth16 proof, kept as its compressed bytes: decoding the curve points is part of the
/// (expensive, cached) proof check, not of parsing.
pub type ProofBytes = [u8; PROOF_BYTES];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    CreateGroup = 1,
    AdvanceGroupEpoch = 2,
    Register = 3,
    Authorize = 4,
    Extract = 5,
    Note = 6,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Kind {
    fn from_u8(byte: u8) -> Option<Self> {
        Some(match byte {
            1 => Self::CreateGroup,
            2 => Self::AdvanceGroupEpoch,
            3 => Self::Register,
            4 => Self::Authorize,
            5 => Self::Extract,
            6 => Self::Note,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::CreateGroup => "create_group",
            Self::AdvanceGroupEpoch => "advance_group_epoch",
            Self::Register => "register",
            Self::Authorize => "authorize",
            Self::Extract => "extract",
            Self::Note => "note",
        }
    }
}

/// A group authority T publishes its BBS04 group public key (operation 1, group enrollment).
/// Only authorities listed in genesis may create groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateGroup {
    pub group: GroupId,
    pub public_key: Vec<u8>,
    pub authority: ed25519::PublicKey,
    pub signature: ed25519::Signature,
}

/// The group authority revokes a member: the group key advances one epoch (BBS04 §7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdvanceGroupEpoch {
    pub group: GroupId,
    pub revocation: Vec<u8>,
    pub signature: ed25519::Signature,
}

/// MDA registration (Algorithms 1-2): `re = H_reg(α, pk_A, σ)` joins the registration tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Register {
    pub group: GroupId,
    pub alpha: Field,
    pub pk_a: Field,
    pub re: Field,
    pub manifest: Vec<u8>,
    pub group_signature: Vec<u8>,
    pub proof: ProofBytes,
}

/// MDA authorization (Algorithms 3-4): `re_auth = H_auth(α, pk_A, pk_H, σ')` joins the
/// authorization tree; the envelope carries the secrets H needs, sealed to H.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorize {
    pub group: GroupId,
    pub alpha: Field,
    pub pk_a: Field,
    pub pk_h: Field,
    pub root: Field,
    pub re_auth: Field,
    pub envelope: Vec<u8>,
    pub group_signature: Vec<u8>,
    pub proof: ProofBytes,
}

/// MDA extraction (Algorithm 5): H proves an authorization for `pk_H` and names the ephemeral
/// key `epk` storage peers will seal the shards to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extract {
    pub alpha: Field,
    pub pk_a: Field,
    pub pk_h: Field,
    pub root_auth: Field,
    pub re_auth: Field,
    pub epk: [u8; 32],
    pub proof: ProofBytes,
}

/// A plain signed note without any privacy: the no-privacy baseline of seed 000 Table VI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub author: ed25519::PublicKey,
    pub nonce: u64,
    pub payload: Vec<u8>,
    pub signature: ed25519::Signature,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transaction {
    CreateGroup(CreateGroup),
    AdvanceGroupEpoch(AdvanceGroupEpoch),
    Register(Register),
    Authorize(Authorize),
    Extract(Extract),
    Note(Note),
}

impl Transaction {
    pub fn kind(&self) -> Kind {
        match self {
            Self::CreateGroup(_) => Kind::CreateGroup,
            Self::AdvanceGroupEpoch(_) => Kind::AdvanceGroupEpoch,
            Self::Register(_) => Kind::Register,
            Self::Authorize(_) => Kind::Authorize,
            Self::Extract(_) => Kind::Extract,
            Self::Note(_) => Kind::Note,
        }
    }

    /// The transaction id: SHA-256 of the canonical encoding.
    pub fn id(&self) -> Hash {
        Sha256::digest(self.encode()).into()
    }

    /// The bytes the authority, the member's group signature or the note's author sign.
    pub fn signed_message(&self, chain_id: &str) -> Vec<u8> {
        let mut buf = Vec::with_capacity(256);
        chain_id.as_bytes().to_vec().write(&mut buf);
        buf.put_u8(self.kind() as u8);
        self.write_fields(&mut buf);
        buf
    }

    /// The public `binding` input of the transaction's proof: `H_bind` of every byte but the
    /// proof's. Only proof-carrying transactions have one.
    pub fn binding(&self, chain_id: &str) -> Option<Field> {
        let mut message = self.signed_message(chain_id);
        match self {
            Self::Register(tx) => tx.group_signature.write(&mut message),
            Self::Authorize(tx) => tx.group_signature.write(&mut message),
            Self::Extract(_) => {}
            _ => return None,
        }
        // Poseidon over the SHA-256 of the message rather than over the message itself: one
        // permutation instead of one per 124 bytes, on every validator for every transaction,
        // and just as binding (binding is never computed inside a circuit).
        let digest: [u8; 32] = Sha256::digest(&message).into();
        Some(Field(poseidon::hash_bytes(Domain::Bind, &digest)))
    }

    /// The fields covered by signatures and the binding, in encoding order.
    fn write_fields(&self, buf: &mut Vec<u8>) {
        match self {
            Self::CreateGroup(tx) => {
                tx.group.write(buf);
                tx.public_key.write(buf);
                tx.authority.write(buf);
            }
            Self::AdvanceGroupEpoch(tx) => {
                tx.group.write(buf);
                tx.revocation.write(buf);
            }
            Self::Register(tx) => {
                tx.group.write(buf);
                tx.alpha.write(buf);
                tx.pk_a.write(buf);
                tx.re.write(buf);
                tx.manifest.write(buf);
            }
            Self::Authorize(tx) => {
                tx.group.write(buf);
                tx.alpha.write(buf);
                tx.pk_a.write(buf);
                tx.pk_h.write(buf);
                tx.root.write(buf);
                tx.re_auth.write(buf);
                tx.envelope.write(buf);
            }
            Self::Extract(tx) => {
                tx.alpha.write(buf);
                tx.pk_a.write(buf);
                tx.pk_h.write(buf);
                tx.root_auth.write(buf);
                tx.re_auth.write(buf);
                tx.epk.write(buf);
            }
            Self::Note(tx) => {
                tx.author.write(buf);
                tx.nonce.write(buf);
                tx.payload.write(buf);
            }
        }
    }

    /// Signatures and proof, after the fields.
    fn write_authentication(&self, buf: &mut Vec<u8>) {
        match self {
            Self::CreateGroup(tx) => tx.signature.write(buf),
            Self::AdvanceGroupEpoch(tx) => tx.signature.write(buf),
            Self::Register(tx) => {
                tx.group_signature.write(buf);
                tx.proof.write(buf);
            }
            Self::Authorize(tx) => {
                tx.group_signature.write(buf);
                tx.proof.write(buf);
            }
            Self::Extract(tx) => tx.proof.write(buf),
            Self::Note(tx) => tx.signature.write(buf),
        }
    }

    fn to_vec(&self) -> Vec<u8> {
        let mut buf = Vec::with_capacity(512);
        buf.put_u8(self.kind() as u8);
        self.write_fields(&mut buf);
        self.write_authentication(&mut buf);
        buf
    }

    /// Decodes one transaction from exactly `bytes`, refusing anything non-canonical.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CodecError> {
        if bytes.len() > MAX_TX_BYTES {
            return Err(CodecError::Invalid(
                "Transaction",
                "larger than the 16 KiB limit",
            ));
        }
        let mut buf = bytes;
        let tx = Self::read(&mut buf)?;
        if buf.has_remaining() {
            return Err(CodecError::ExtraData(buf.remaining()));
        }
        Ok(tx)
    }
}

impl Write for Transaction {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.to_vec());
    }
}

impl EncodeSize for Transaction {
    fn encode_size(&self) -> usize {
        self.to_vec().len()
    }
}

fn field(buf: &mut impl Buf) -> Result<Field, CodecError> {
    Field::read(buf)
}

impl Read for Transaction {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        let kind = Kind::from_u8(u8::read(buf)?)
            .ok_or(CodecError::Invalid("Transaction", "unknown kind"))?;
        Ok(match kind {
            Kind::CreateGroup => Self::CreateGroup(CreateGroup {
                group: GroupId::read(buf)?,
                public_key: read_bytes(buf, MAX_GROUP_KEY)?,
                authority: ed25519::PublicKey::read(buf)?,
                signature: ed25519::Signature::read(buf)?,
            }),
            Kind::AdvanceGroupEpoch => Self::AdvanceGroupEpoch(AdvanceGroupEpoch {
                group: GroupId::read(buf)?,
                revocation: read_bytes(buf, MAX_REVOCATION)?,
                signature: ed25519::Signature::read(buf)?,
            }),
            Kind::Register => Self::Register(Register {
                group: GroupId::read(buf)?,
                alpha: field(buf)?,
                pk_a: field(buf)?,
                re: field(buf)?,
                manifest: read_bytes(buf, MAX_MANIFEST)?,
                group_signature: read_bytes(buf, MAX_GROUP_SIGNATURE)?,
                proof: ProofBytes::read(buf)?,
            }),
            Kind::Authorize => Self::Authorize(Authorize {
                group: GroupId::read(buf)?,
                alpha: field(buf)?,
                pk_a: field(buf)?,
                pk_h: field(buf)?,
                root: field(buf)?,
                re_auth: field(buf)?,
                envelope: read_bytes(buf, MAX_ENVELOPE)?,
                group_signature: read_bytes(buf, MAX_GROUP_SIGNATURE)?,
                proof: ProofBytes::read(buf)?,
            }),
            Kind::Extract => Self::Extract(Extract {
                alpha: field(buf)?,
                pk_a: field(buf)?,
                pk_h: field(buf)?,
                root_auth: field(buf)?,
                re_auth: field(buf)?,
                epk: <[u8; 32]>::read(buf)?,
                proof: ProofBytes::read(buf)?,
            }),
            Kind::Note => Self::Note(Note {
                author: ed25519::PublicKey::read(buf)?,
                nonce: u64::read(buf)?,
                payload: read_bytes(buf, MAX_NOTE)?,
                signature: ed25519::Signature::read(buf)?,
            }),
        })
    }
}
