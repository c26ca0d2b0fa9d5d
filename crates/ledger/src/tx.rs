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

use crate::types::{Field, GroupId, Hash, Ratio, read_bytes};
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
/// Most MDAPs one payout values: the exact solve of the valorization model is cubic in it.
pub const MAX_PAYOUT_MDAPS: usize = 16;
/// Most data-owner institutions one revenue splits among: the F1 table has `2^owners` entries.
pub const MAX_REVENUE_OWNERS: usize = 8;
/// A revenue's invoice reference.
pub const MAX_REFERENCE: usize = 64;
/// A withdrawal's destination (an external payment address; opaque to the chain).
pub const MAX_DESTINATION: usize = 128;

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
    Payout = 7,
    Revenue = 8,
    Withdraw = 9,
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
            7 => Self::Payout,
            8 => Self::Revenue,
            9 => Self::Withdraw,
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
            Self::Payout => "payout",
            Self::Revenue => "revenue",
            Self::Withdraw => "withdraw",
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

/// One MDAP of a payout: its pseudonym and its own parameters in the valorization model (seed 000
/// §V, Appendix A.2).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayoutMdap {
    pub pk: Field,
    /// `g_i`: MDAs it holds; caps what it is paid for.
    pub holdings: u64,
    /// `τ_i > 0`: productivity of its MDAs (E.6).
    pub tau: Ratio,
    /// `b_i ≥ g_i`: where F saturates in its MDAs (E.6).
    pub b: Ratio,
}

/// The FSP pays MDAPs for the MDAs they authorized in the epoch `from_height..=to_height` (seed 000
/// §V-C): the state machine counts each pseudonym's distinct authorized MDAs `h_i` (capped by
/// `g_i`), solves the published quadratic model exactly and credits `V_i(h_i) = x_i h_i + y_i` in
/// tokens, within `budget`. Signed by a genesis authority acting as the FSP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payout {
    pub authority: ed25519::PublicKey,
    pub terms: PayoutTerms,
    pub signature: ed25519::Signature,
}

/// What a payout publishes: the epoch, the budget and the model's parameters.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayoutTerms {
    pub from_height: u64,
    pub to_height: u64,
    /// Most tokens this payout may credit in total.
    pub budget: u128,
    /// Tokens (smallest unit) per unit of value of the model.
    pub tokens_per_unit: u64,
    pub mdaps: Vec<PayoutMdap>,
    /// `φ_ij ≥ 0` for the pairs (1,2), (1,3), …, (n−1,n) of `mdaps` (E.6).
    pub phi: Vec<Ratio>,
    /// `ρ > 0`: weight of privacy (E.7).
    pub rho: Ratio,
    /// `a ≥ g_i`: where the privacy utility saturates (E.7).
    pub a: Ratio,
    /// `σ > 0`: weight of effort (E.8).
    pub sigma: Ratio,
}

/// A fee a third party paid for a service built on shared data, split by the Shapley values of
/// seed 003 Theorem 2 (7.9)-(7.10) among the data-owner institutions (groups), the validators
/// (weighted by the blocks they proposed in `from_height..=to_height`, (7.16)) and the third
/// party. Signed by a genesis authority acting as the FSP that collected the fee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revenue {
    pub authority: ed25519::PublicKey,
    pub terms: RevenueTerms,
    pub signature: ed25519::Signature,
}

/// What a revenue publishes: the fee, the period and the game's parameters.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevenueTerms {
    pub fee: u128,
    /// The invoice this fee settles, hex: two equal fees are two transactions.
    #[serde(with = "crate::types::hex_bytes")]
    pub reference: Vec<u8>,
    pub from_height: u64,
    pub to_height: u64,
    /// The data owners `H`: the groups whose data trained the service.
    pub owners: Vec<GroupId>,
    /// `F1(H')` in billionths for every coalition `H'` of `owners`, by bit mask (bit i for
    /// `owners[i]`): `2^|owners|` entries, `F1(∅) = 0` (7.8).
    pub f1: Vec<u64>,
    /// The third party `T_0` that sold the service: a data user's pseudonym.
    pub third_party: Field,
}

/// A pseudonym moves `amount` of its rewards to `destination`. The proof shows knowledge of the
/// `sk` behind `pk`; its binding covers amount, destination and nonce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withdraw {
    pub pk: Field,
    pub amount: u128,
    pub destination: Vec<u8>,
    /// The account's next nonce: each withdrawal uses the next one, once.
    pub nonce: u64,
    pub proof: ProofBytes,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transaction {
    CreateGroup(CreateGroup),
    AdvanceGroupEpoch(AdvanceGroupEpoch),
    Register(Register),
    Authorize(Authorize),
    Extract(Extract),
    Note(Note),
    Payout(Payout),
    Revenue(Revenue),
    Withdraw(Withdraw),
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
            Self::Payout(_) => Kind::Payout,
            Self::Revenue(_) => Kind::Revenue,
            Self::Withdraw(_) => Kind::Withdraw,
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
            Self::Extract(_) | Self::Withdraw(_) => {}
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
            Self::Payout(Payout {
                authority,
                terms: tx,
                ..
            }) => {
                authority.write(buf);
                tx.from_height.write(buf);
                tx.to_height.write(buf);
                tx.budget.write(buf);
                tx.tokens_per_unit.write(buf);
                (tx.mdaps.len() as u32).write(buf);
                for mdap in &tx.mdaps {
                    mdap.pk.write(buf);
                    mdap.holdings.write(buf);
                    mdap.tau.write(buf);
                    mdap.b.write(buf);
                }
                tx.phi.write(buf);
                tx.rho.write(buf);
                tx.a.write(buf);
                tx.sigma.write(buf);
            }
            Self::Revenue(Revenue {
                authority,
                terms: tx,
                ..
            }) => {
                authority.write(buf);
                tx.fee.write(buf);
                tx.reference.write(buf);
                tx.from_height.write(buf);
                tx.to_height.write(buf);
                (tx.owners.len() as u32).write(buf);
                for owner in &tx.owners {
                    owner.write(buf);
                }
                tx.f1.write(buf);
                tx.third_party.write(buf);
            }
            Self::Withdraw(tx) => {
                tx.pk.write(buf);
                tx.amount.write(buf);
                tx.destination.write(buf);
                tx.nonce.write(buf);
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
            Self::Payout(tx) => tx.signature.write(buf),
            Self::Revenue(tx) => tx.signature.write(buf),
            Self::Withdraw(tx) => tx.proof.write(buf),
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

/// Reads a count written as `u32`, refusing more than `max`.
fn count(buf: &mut impl Buf, max: usize, what: &'static str) -> Result<usize, CodecError> {
    let n = u32::read(buf)? as usize;
    if n > max {
        return Err(CodecError::Invalid(what, "too many entries"));
    }
    Ok(n)
}

fn read_vec<T: Read<Cfg = ()>>(buf: &mut impl Buf, max: usize) -> Result<Vec<T>, CodecError> {
    Vec::<T>::read_cfg(buf, &(commonware_codec::RangeCfg::new(0..=max), ()))
}

/// Pairs of MDAPs of the largest payout.
const MAX_PAIRS: usize = MAX_PAYOUT_MDAPS * (MAX_PAYOUT_MDAPS - 1) / 2;

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
            Kind::Payout => Self::Payout(Payout {
                authority: ed25519::PublicKey::read(buf)?,
                terms: PayoutTerms {
                    from_height: u64::read(buf)?,
                    to_height: u64::read(buf)?,
                    budget: u128::read(buf)?,
                    tokens_per_unit: u64::read(buf)?,
                    mdaps: {
                        let n = count(buf, MAX_PAYOUT_MDAPS, "Payout")?;
                        (0..n)
                            .map(|_| {
                                Ok(PayoutMdap {
                                    pk: field(buf)?,
                                    holdings: u64::read(buf)?,
                                    tau: Ratio::read(buf)?,
                                    b: Ratio::read(buf)?,
                                })
                            })
                            .collect::<Result<_, CodecError>>()?
                    },
                    phi: read_vec(buf, MAX_PAIRS)?,
                    rho: Ratio::read(buf)?,
                    a: Ratio::read(buf)?,
                    sigma: Ratio::read(buf)?,
                },
                signature: ed25519::Signature::read(buf)?,
            }),
            Kind::Revenue => Self::Revenue(Revenue {
                authority: ed25519::PublicKey::read(buf)?,
                terms: RevenueTerms {
                    fee: u128::read(buf)?,
                    reference: read_bytes(buf, MAX_REFERENCE)?,
                    from_height: u64::read(buf)?,
                    to_height: u64::read(buf)?,
                    owners: {
                        let n = count(buf, MAX_REVENUE_OWNERS, "Revenue")?;
                        (0..n)
                            .map(|_| GroupId::read(buf))
                            .collect::<Result<_, CodecError>>()?
                    },
                    f1: read_vec(buf, 1 << MAX_REVENUE_OWNERS)?,
                    third_party: field(buf)?,
                },
                signature: ed25519::Signature::read(buf)?,
            }),
            Kind::Withdraw => Self::Withdraw(Withdraw {
                pk: field(buf)?,
                amount: u128::read(buf)?,
                destination: read_bytes(buf, MAX_DESTINATION)?,
                nonce: u64::read(buf)?,
                proof: ProofBytes::read(buf)?,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{Encode, FixedSize};
    use commonware_cryptography::Signer;

    fn round_trip(tx: Transaction) {
        let bytes = tx.encode();
        assert_eq!(Transaction::from_bytes(&bytes).unwrap(), tx);
        // Every strict prefix is refused, not misread.
        for cut in [1, bytes.len() / 2, bytes.len() - 1] {
            assert!(Transaction::from_bytes(&bytes[..cut]).is_err());
        }
    }

    #[test]
    fn reward_transactions_round_trip_and_refuse_bad_encodings() {
        let authority = ed25519::PrivateKey::from_seed(3);
        let signature = authority.sign(b"test", b"");
        let payout = Payout {
            authority: authority.public_key(),
            terms: PayoutTerms {
                from_height: 1,
                to_height: 9,
                budget: u128::MAX,
                tokens_per_unit: 1000,
                mdaps: vec![PayoutMdap {
                    pk: Field::default(),
                    holdings: 10,
                    tau: Ratio::new(1, 5),
                    b: Ratio::integer(15),
                }],
                phi: Vec::new(),
                rho: Ratio::integer(2),
                a: Ratio::integer(15),
                sigma: Ratio::integer(2),
            },
            signature: signature.clone(),
        };
        round_trip(Transaction::Payout(payout.clone()));
        round_trip(Transaction::Revenue(Revenue {
            authority: authority.public_key(),
            terms: RevenueTerms {
                fee: 7,
                reference: b"invoice".to_vec(),
                from_height: 1,
                to_height: 2,
                owners: vec![GroupId::new("h").unwrap()],
                f1: vec![0, 1],
                third_party: Field::default(),
            },
            signature,
        }));
        round_trip(Transaction::Withdraw(Withdraw {
            pk: Field::default(),
            amount: 5,
            destination: b"iban".to_vec(),
            nonce: 0,
            proof: [7; PROOF_BYTES],
        }));

        // A zero denominator (σ's, the last ratio before the signature) is refused.
        let mut bytes = Transaction::Payout(payout).encode().to_vec();
        let sigma_den = bytes.len() - ed25519::Signature::SIZE - 8;
        bytes[sigma_den..sigma_den + 8].copy_from_slice(&0u64.to_be_bytes());
        assert!(Transaction::from_bytes(&bytes).is_err());
    }
}
