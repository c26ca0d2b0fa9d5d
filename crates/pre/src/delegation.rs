//! The delegation every fragment is bound to: which MDA, from which delegating key (and its
//! signer), to which recipient, how many fragments, until when.

use std::fmt;

use crate::Error;
use crate::encoding::exact;
use crate::hash::{Domain, Transcript};
use crate::keys::{PublicKey, VerifyingKey, hex};

/// Encoded size of a [`Delegation`].
pub const DELEGATION_SIZE: usize = 32 + 32 + 32 + 32 + 1 + 1 + 8;

/// What the delegator grants; its hash ([`DelegationId`]) is signed into every key fragment.
/// On chain, this is the record a peer checks (final, not revoked, not expired) before it
/// re-encrypts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Delegation {
    mda_id: [u8; 32],
    delegating_key: PublicKey,
    verifying_key: VerifyingKey,
    recipient: PublicKey,
    threshold: u8,
    shares: u8,
    expires_at: u64,
}

impl Delegation {
    /// A delegation of `mda_id` to `recipient`, `threshold` of `shares` fragments, usable up to
    /// block height `expires_at`.
    pub fn new(
        mda_id: [u8; 32],
        delegating_key: PublicKey,
        verifying_key: VerifyingKey,
        recipient: PublicKey,
        threshold: u8,
        shares: u8,
        expires_at: u64,
    ) -> Result<Self, Error> {
        if threshold == 0 || threshold > shares {
            return Err(Error::InvalidThreshold { threshold, shares });
        }
        Ok(Delegation {
            mda_id,
            delegating_key,
            verifying_key,
            recipient,
            threshold,
            shares,
            expires_at,
        })
    }

    /// The delegation's identifier: a hash of its canonical encoding.
    pub fn id(&self) -> DelegationId {
        let mut transcript = Transcript::new(Domain::DelegationId);
        transcript.bytes(&self.to_bytes());
        DelegationId(transcript.key())
    }

    /// The MDA the delegation grants.
    pub fn mda_id(&self) -> &[u8; 32] {
        &self.mda_id
    }

    /// The key the capsules are encapsulated under.
    pub fn delegating_key(&self) -> PublicKey {
        self.delegating_key
    }

    /// The key that signs the key fragments.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.verifying_key
    }

    /// Who may decrypt.
    pub fn recipient(&self) -> PublicKey {
        self.recipient
    }

    /// Capsule fragments needed.
    pub fn threshold(&self) -> u8 {
        self.threshold
    }

    /// Key fragments issued (one per storage peer).
    pub fn shares(&self) -> u8 {
        self.shares
    }

    /// Last block height at which peers may re-encrypt.
    pub fn expires_at(&self) -> u64 {
        self.expires_at
    }

    /// Canonical encoding: the four 32-byte fields, threshold, shares, big-endian expiry.
    pub fn to_bytes(&self) -> [u8; DELEGATION_SIZE] {
        let mut bytes = [0u8; DELEGATION_SIZE];
        bytes[..32].copy_from_slice(&self.mda_id);
        bytes[32..64].copy_from_slice(&self.delegating_key.to_bytes());
        bytes[64..96].copy_from_slice(&self.verifying_key.to_bytes());
        bytes[96..128].copy_from_slice(&self.recipient.to_bytes());
        bytes[128] = self.threshold;
        bytes[129] = self.shares;
        bytes[130..].copy_from_slice(&self.expires_at.to_be_bytes());
        bytes
    }

    /// Strict decoding (every key checked, threshold in range).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut reader = exact("delegation", bytes, DELEGATION_SIZE)?;
        let mda_id = reader.array();
        let delegating_key = PublicKey::from_bytes(&reader.array::<32>())?;
        let verifying_key = VerifyingKey::from_bytes(&reader.array::<32>())?;
        let recipient = PublicKey::from_bytes(&reader.array::<32>())?;
        let [threshold] = reader.array();
        let [shares] = reader.array();
        let expires_at = u64::from_be_bytes(reader.array());
        Delegation::new(
            mda_id,
            delegating_key,
            verifying_key,
            recipient,
            threshold,
            shares,
            expires_at,
        )
    }
}

/// The hash of a [`Delegation`]; key fragments carry it and their signature covers it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DelegationId(pub(crate) [u8; 32]);

impl DelegationId {
    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for DelegationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DelegationId({})", hex(&self.0))
    }
}
