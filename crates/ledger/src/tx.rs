//! Transactions: the one dispatch from a kind to its operation family ([`crate::ops`]), and the
//! canonical encoding every transaction shares.
//!
//! Each transaction has three nested byte strings, each prefixed by the chain id and the kind so
//! nothing signed or proven on one chain or for one kind is valid on another:
//!
//! - the **signed message**: every field but the signatures and the proof. The group authority's
//!   ed25519 signature, or the member's group signature (`A_info`), signs it — so nobody can swap in
//!   their own group signature and redirect tracing without invalidating the proof.
//! - the **binding message**: the signed message followed by what the body's proof also covers
//!   (the group signature). `binding = H_bind(SHA-256(binding message))` is a public input of the
//!   proof, so a proof cannot be lifted onto another transaction.
//! - the **encoding**: kind, fields, signatures and, last, the proof.
//!
//! Format version 2 ([`TX_FORMAT_VERSION`]): the transaction **id** is the SHA-256 of the
//! encoding *without the proof*. A Groth16 proof is malleable (negate `A` and `B`, or
//! re-randomize it), so anyone relaying a pending transaction could otherwise finalize a copy with
//! another id and the same effect, and the owner's own transaction would be refused as a
//! duplicate. Everything else in the id is signed or bound by the proof. The block's `tx_root`
//! commits to the [`Transaction::encoding_hash`] of each transaction (the exact bytes, proof
//! included), and a cached check is reused only for the exact bytes it checked. Version 1 (ids
//! over the whole encoding) differs only for proof-carrying kinds.

pub use crate::kind::Kind;
pub use crate::ops::{
    PROOF_BYTES, ProofBytes,
    group::{AdvanceGroupEpoch, CreateGroup, MAX_GROUP_KEY, MAX_REVOCATION},
    mda::{Authorize, Extract, MAX_ENVELOPE, MAX_GROUP_SIGNATURE, MAX_MANIFEST, Register},
    note::{MAX_NOTE, Note},
    rewards::{
        MAX_DESTINATION, Payout, Revenue, Withdraw,
        terms::{
            MAX_PAYOUT_MDAPS, MAX_REFERENCE, MAX_REVENUE_OWNERS, PayoutMdap, PayoutTerms,
            RevenueTerms,
        },
    },
};
use crate::{
    ops::{self, Body, Operation},
    types::{Field, GroupId, Hash},
};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error as CodecError, Read, ReadExt, Write};
use sha2::{Digest as _, Sha256};

/// The transaction format's version: 2 since ids leave out the (malleable) proof.
pub const TX_FORMAT_VERSION: u32 = 2;

/// Largest encoded transaction accepted anywhere (RPC, gossip, blocks).
pub const MAX_TX_BYTES: usize = 16 * 1024;

/// The dispatch from a kind to its body, expanded from the one list in [`crate::dispatch`].
macro_rules! transactions {
    ($($kind:ident = $byte:literal => $name:literal, $body:ty;)*) => {
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Transaction {
            $($kind($body),)*
        }

        impl Transaction {
            pub fn kind(&self) -> Kind {
                match self {
                    $(Self::$kind(_) => <$body as Body>::KIND,)*
                }
            }

            /// The body, as the operation it implements.
            pub fn operation(&self) -> &dyn Operation {
                match self {
                    $(Self::$kind(body) => body,)*
                }
            }

            fn read_body(kind: Kind, buf: &mut impl Buf) -> Result<Self, CodecError> {
                $(if kind == <$body as Body>::KIND {
                    return Ok(Self::$kind(<$body as Body>::read(buf)?));
                })*
                Err(CodecError::Invalid("Transaction", "unknown kind"))
            }
        }

        $(impl From<$body> for Transaction {
            fn from(body: $body) -> Self {
                Self::$kind(body)
            }
        })*
    };
}

crate::dispatch::with_kinds!(transactions);

impl Transaction {
    /// The transaction id: SHA-256 of the canonical encoding without the proof, so a mauled
    /// copy of the proof gives the same id (format version 2).
    pub fn id(&self) -> Hash {
        Sha256::digest(self.unproven_bytes()).into()
    }

    /// SHA-256 of the exact encoding, proof included: what blocks commit to and what a cached
    /// check was made of.
    pub fn encoding_hash(&self) -> Hash {
        Sha256::digest(self.to_vec()).into()
    }

    /// The bytes the authority, the member's group signature or the note's author sign.
    pub fn signed_message(&self, chain_id: &str) -> Vec<u8> {
        ops::signed_message(chain_id, self.kind(), self.operation())
    }

    /// The public `binding` input of the transaction's proof; only proof-carrying transactions
    /// have one.
    pub fn binding(&self, chain_id: &str) -> Option<Field> {
        ops::binding(chain_id, self.kind(), self.operation())
    }

    /// The group and group signature of a transaction a member signed.
    pub fn group_signature(&self) -> Option<(&GroupId, &[u8])> {
        self.operation().group_signature()
    }

    fn unproven_bytes(&self) -> Vec<u8> {
        let mut buf = Vec::with_capacity(512);
        buf.put_u8(self.kind() as u8);
        self.operation().write_fields(&mut buf);
        self.operation().write_authentication(&mut buf);
        buf
    }

    fn to_vec(&self) -> Vec<u8> {
        let mut buf = self.unproven_bytes();
        if let Some(proof) = self.operation().proof() {
            buf.extend_from_slice(proof);
        }
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

impl Read for Transaction {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        let kind = Kind::from_u8(u8::read(buf)?)
            .ok_or(CodecError::Invalid("Transaction", "unknown kind"))?;
        Self::read_body(kind, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{GroupId, Ratio};
    use commonware_codec::{Encode, FixedSize};
    use commonware_cryptography::{Signer, ed25519};

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

    #[test]
    fn unknown_kinds_are_refused() {
        for byte in [0u8, 10, 255] {
            assert!(Transaction::from_bytes(&[byte, 0, 0]).is_err());
        }
    }
}
