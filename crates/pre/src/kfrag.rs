//! Key fragments: Shamir shares of the re-encryption key `sk_a / d`, one per storage peer, each
//! signed by the delegator over its delegation.

use std::fmt;

use curve25519_dalek::{RistrettoPoint, Scalar};
use ed25519_dalek::Signature;
use rand_core::CryptoRngCore;
use zeroize::{Zeroize, Zeroizing};

use crate::Error;
use crate::delegation::{Delegation, DelegationId};
use crate::encoding::exact;
use crate::hash::{Domain, SECOND_GENERATOR, Transcript};
use crate::keys::{PublicKey, SecretKey, Signer, hex, random_nonzero_scalar};

/// Encoded size of a [`KFrag`]: delegation id, fragment id, share, precursor, commitment,
/// signature.
pub const KFRAG_SIZE: usize = 32 * 5 + 64;

/// A key fragment as received by a storage peer: not usable until [`KFrag::verify`]ed.
/// Holds a secret share; zeroized on drop and never printed.
#[derive(Clone)]
pub struct KFrag {
    pub(crate) delegation_id: DelegationId,
    pub(crate) id: [u8; 32],
    pub(crate) share: Scalar,
    /// `X = x·G`, the ephemeral key whose Diffie-Hellman with the recipient binds the shares.
    pub(crate) precursor: RistrettoPoint,
    /// `U1 = share·U`, what the re-encryption proof is checked against.
    pub(crate) commitment: RistrettoPoint,
    pub(crate) signature: Signature,
}

impl KFrag {
    /// The delegation this fragment claims to belong to (for a peer's lookup; not trusted until
    /// verified).
    pub fn delegation_id(&self) -> DelegationId {
        self.delegation_id
    }

    /// Canonical encoding, zeroized when dropped (it contains the share).
    pub fn to_bytes(&self) -> Zeroizing<[u8; KFRAG_SIZE]> {
        let mut bytes = Zeroizing::new([0u8; KFRAG_SIZE]);
        bytes[..32].copy_from_slice(self.delegation_id.as_bytes());
        bytes[32..64].copy_from_slice(&self.id);
        bytes[64..96].copy_from_slice(self.share.as_bytes());
        bytes[96..128].copy_from_slice(self.precursor.compress().as_bytes());
        bytes[128..160].copy_from_slice(self.commitment.compress().as_bytes());
        bytes[160..].copy_from_slice(&self.signature.to_bytes());
        bytes
    }

    /// Strict decoding (canonical scalar, canonical non-identity points, exact length).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut reader = exact("key fragment", bytes, KFRAG_SIZE)?;
        Ok(KFrag {
            delegation_id: DelegationId(reader.array()),
            id: reader.array(),
            share: reader.scalar("key fragment share")?,
            precursor: reader.point("key fragment precursor")?,
            commitment: reader.point("key fragment commitment")?,
            signature: Signature::from_bytes(&reader.array()),
        })
    }

    /// The storage peer's check before accepting a fragment: it belongs to `delegation`, the
    /// delegator signed it, and its share matches the signed commitment (so the peer's later
    /// proofs will verify).
    pub fn verify(self, delegation: &Delegation) -> Result<VerifiedKFrag, Error> {
        check_signature(
            delegation,
            &self.delegation_id,
            &self.id,
            &self.precursor,
            &self.commitment,
            &self.signature,
        )?;
        if *SECOND_GENERATOR * self.share != self.commitment {
            return Err(Error::KFragCommitmentMismatch);
        }
        Ok(VerifiedKFrag {
            kfrag: self,
            expires_at: delegation.expires_at(),
        })
    }
}

impl Drop for KFrag {
    fn drop(&mut self) {
        self.share.zeroize();
    }
}

impl fmt::Debug for KFrag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KFrag")
            .field("delegation_id", &self.delegation_id)
            .field("id", &hex(&self.id))
            .field("share", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// A key fragment checked against its delegation; only these can re-encrypt.
#[derive(Clone, Debug)]
pub struct VerifiedKFrag {
    pub(crate) kfrag: KFrag,
    pub(crate) expires_at: u64,
}

impl VerifiedKFrag {
    /// The encoding, to seal to the storage peer.
    pub fn to_bytes(&self) -> Zeroizing<[u8; KFRAG_SIZE]> {
        self.kfrag.to_bytes()
    }

    /// The fragment's identifier.
    pub fn id(&self) -> &[u8; 32] {
        &self.kfrag.id
    }
}

/// The message the delegator signs: the delegation id and every public part of the fragment.
fn signing_message(
    delegation_id: &DelegationId,
    id: &[u8; 32],
    precursor: &RistrettoPoint,
    commitment: &RistrettoPoint,
) -> [u8; 64] {
    let mut transcript = Transcript::new(Domain::KFragSignature);
    transcript
        .bytes(delegation_id.as_bytes())
        .bytes(id)
        .point(precursor)
        .point(commitment);
    transcript.digest()
}

/// Checks that a fragment's public parts were signed by `delegation`'s delegator for
/// `delegation` itself.
pub(crate) fn check_signature(
    delegation: &Delegation,
    delegation_id: &DelegationId,
    id: &[u8; 32],
    precursor: &RistrettoPoint,
    commitment: &RistrettoPoint,
    signature: &Signature,
) -> Result<(), Error> {
    if *delegation_id != delegation.id() {
        return Err(Error::DelegationMismatch);
    }
    let message = signing_message(delegation_id, id, precursor, commitment);
    delegation.verifying_key().verify(&message, signature)
}

/// `d = H(X, pk_b, x·pk_b, delegation)`: only the delegator (knowing `x`) and the recipient
/// (knowing `sk_b`) can compute it, so the shares of `sk_a / d` are useless to anyone else.
pub(crate) fn precursor_binding(
    precursor: &RistrettoPoint,
    recipient: &PublicKey,
    dh: &RistrettoPoint,
    delegation_id: &DelegationId,
) -> Scalar {
    let mut transcript = Transcript::new(Domain::PrecursorBinding);
    transcript
        .point(precursor)
        .bytes(&recipient.to_bytes())
        .point(dh)
        .bytes(delegation_id.as_bytes());
    transcript.scalar()
}

/// The Shamir abscissa of a fragment, hidden from the peers (it depends on the secret `dh`).
pub(crate) fn share_index(
    id: &[u8; 32],
    precursor: &RistrettoPoint,
    recipient: &PublicKey,
    dh: &RistrettoPoint,
    delegation_id: &DelegationId,
) -> Scalar {
    let mut transcript = Transcript::new(Domain::ShareIndex);
    transcript
        .bytes(id)
        .point(precursor)
        .bytes(&recipient.to_bytes())
        .point(dh)
        .bytes(delegation_id.as_bytes());
    transcript.scalar()
}

/// The delegator splits the re-encryption key for `delegation` into `delegation.shares()`
/// fragments, any `delegation.threshold()` of which re-encrypt.
pub fn generate_kfrags(
    delegating_sk: &SecretKey,
    signer: &Signer,
    delegation: &Delegation,
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<VerifiedKFrag>, Error> {
    if delegating_sk.public_key() != delegation.delegating_key() {
        return Err(Error::KeyMismatch {
            what: "delegating key",
        });
    }
    if signer.verifying_key() != delegation.verifying_key() {
        return Err(Error::KeyMismatch {
            what: "signing key",
        });
    }
    let delegation_id = delegation.id();
    let recipient = delegation.recipient();

    let mut precursor_secret = random_nonzero_scalar(rng);
    let precursor = RistrettoPoint::mul_base(&precursor_secret);
    let mut dh = recipient.0 * precursor_secret;
    precursor_secret.zeroize();
    let mut binding = precursor_binding(&precursor, &recipient, &dh, &delegation_id);

    // f(0) = sk_a / d; the other coefficients are random, so t - 1 shares say nothing of f(0).
    let mut coefficients: Vec<Scalar> = std::iter::once(delegating_sk.0 * binding.invert())
        .chain((1..delegation.threshold()).map(|_| Scalar::random(rng)))
        .collect();
    binding.zeroize();

    let kfrags = (0..delegation.shares())
        .map(|_| {
            let mut id = [0u8; 32];
            rng.fill_bytes(&mut id);
            let x = share_index(&id, &precursor, &recipient, &dh, &delegation_id);
            let share = evaluate(&coefficients, &x);
            let commitment = *SECOND_GENERATOR * share;
            let signature = signer.sign(&signing_message(
                &delegation_id,
                &id,
                &precursor,
                &commitment,
            ));
            VerifiedKFrag {
                kfrag: KFrag {
                    delegation_id,
                    id,
                    share,
                    precursor,
                    commitment,
                    signature,
                },
                expires_at: delegation.expires_at(),
            }
        })
        .collect();
    coefficients.zeroize();
    dh.zeroize();
    Ok(kfrags)
}

/// Horner evaluation of the polynomial with `coefficients` (constant term first) at `x`.
fn evaluate(coefficients: &[Scalar], x: &Scalar) -> Scalar {
    coefficients
        .iter()
        .rev()
        .fold(Scalar::ZERO, |acc, coefficient| acc * x + coefficient)
}
