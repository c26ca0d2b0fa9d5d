//! Capsule fragments: a storage peer's re-encryption of a capsule with its key fragment, with a
//! proof of correctness, and the recipient's combination of `t` of them.

use std::collections::BTreeSet;
use std::fmt;

use curve25519_dalek::traits::{MultiscalarMul, VartimeMultiscalarMul};
use curve25519_dalek::{RistrettoPoint, Scalar};
use ed25519_dalek::Signature;
use rand_core::CryptoRngCore;
use zeroize::{Zeroize, Zeroizing};

use crate::Error;
use crate::capsule::{Capsule, DataKey, capsule_key, dem_open};
use crate::delegation::{Delegation, DelegationId};
use crate::encoding::exact;
use crate::hash::{Domain, SECOND_GENERATOR, Transcript};
use crate::keys::{SecretKey, hex, random_nonzero_scalar};
use crate::kfrag::{VerifiedKFrag, check_signature, precursor_binding, share_index};

/// Encoded size of a [`CFrag`]: `E1`, `V1`, delegation id, key-fragment id, precursor,
/// commitment, the delegator's signature, and the proof (`E2`, `V2`, `U2`, `z`).
pub const CFRAG_SIZE: usize = 32 * 2 + 32 * 4 + 64 + 32 * 4;

/// A capsule fragment as received by the recipient: not combinable until [`CFrag::verify`]ed.
#[derive(Clone, PartialEq, Eq)]
pub struct CFrag {
    e1: RistrettoPoint,
    v1: RistrettoPoint,
    delegation_id: DelegationId,
    kfrag_id: [u8; 32],
    precursor: RistrettoPoint,
    commitment: RistrettoPoint,
    kfrag_signature: Signature,
    proof: ReencryptionProof,
}

/// Chaum–Pedersen proof that `E1 = k·E`, `V1 = k·V` and `U1 = k·U` share one `k` (the
/// key-fragment share committed to, and signed, as `U1`).
#[derive(Clone, Copy, PartialEq, Eq)]
struct ReencryptionProof {
    e2: RistrettoPoint,
    v2: RistrettoPoint,
    u2: RistrettoPoint,
    z: Scalar,
}

impl CFrag {
    /// Canonical encoding.
    pub fn to_bytes(&self) -> [u8; CFRAG_SIZE] {
        let mut bytes = Vec::with_capacity(CFRAG_SIZE);
        for point in [self.e1, self.v1] {
            bytes.extend_from_slice(point.compress().as_bytes());
        }
        bytes.extend_from_slice(self.delegation_id.as_bytes());
        bytes.extend_from_slice(&self.kfrag_id);
        for point in [self.precursor, self.commitment] {
            bytes.extend_from_slice(point.compress().as_bytes());
        }
        bytes.extend_from_slice(&self.kfrag_signature.to_bytes());
        for point in [self.proof.e2, self.proof.v2, self.proof.u2] {
            bytes.extend_from_slice(point.compress().as_bytes());
        }
        bytes.extend_from_slice(self.proof.z.as_bytes());
        bytes.try_into().expect("the fields add up to CFRAG_SIZE")
    }

    /// Strict decoding (canonical non-identity points, canonical scalar, exact length).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut reader = exact("capsule fragment", bytes, CFRAG_SIZE)?;
        Ok(CFrag {
            e1: reader.point("capsule fragment E1")?,
            v1: reader.point("capsule fragment V1")?,
            delegation_id: DelegationId(reader.array()),
            kfrag_id: reader.array(),
            precursor: reader.point("capsule fragment precursor")?,
            commitment: reader.point("capsule fragment commitment")?,
            kfrag_signature: Signature::from_bytes(&reader.array()),
            proof: ReencryptionProof {
                e2: reader.point("proof E2")?,
                v2: reader.point("proof V2")?,
                u2: reader.point("proof U2")?,
                z: reader.scalar("proof z")?,
            },
        })
    }

    /// The recipient's check of a fragment from a peer: its key fragment was signed by the
    /// delegator for `delegation`, and its proof holds for `capsule` (so a fragment made for
    /// another capsule, with another share, or tampered with, fails).
    pub fn verify(
        self,
        capsule: &Capsule,
        delegation: &Delegation,
    ) -> Result<VerifiedCFrag, Error> {
        check_signature(
            delegation,
            &self.delegation_id,
            &self.kfrag_id,
            &self.precursor,
            &self.commitment,
            &self.kfrag_signature,
        )?;
        let h = self.challenge(capsule);
        let ReencryptionProof { e2, v2, u2, z } = self.proof;
        let holds = |base: RistrettoPoint, image: RistrettoPoint, nonce: RistrettoPoint| {
            RistrettoPoint::vartime_multiscalar_mul([z, -h], [base, image]) == nonce
        };
        if !(holds(capsule.e, self.e1, e2)
            && holds(capsule.v, self.v1, v2)
            && holds(*SECOND_GENERATOR, self.commitment, u2))
        {
            return Err(Error::BadCFragProof);
        }
        Ok(VerifiedCFrag {
            cfrag: self,
            capsule: *capsule,
        })
    }

    /// The Fiat–Shamir challenge over the statement (capsule, images, commitment) and the
    /// proof's nonces.
    fn challenge(&self, capsule: &Capsule) -> Scalar {
        let mut transcript = Transcript::new(Domain::CFragProof);
        transcript
            .bytes(self.delegation_id.as_bytes())
            .bytes(&self.kfrag_id)
            .point(&self.precursor)
            .bytes(&capsule.to_bytes())
            .point(&self.e1)
            .point(&self.v1)
            .point(&self.commitment)
            .point(&self.proof.e2)
            .point(&self.proof.v2)
            .point(&self.proof.u2);
        transcript.scalar()
    }
}

impl fmt::Debug for CFrag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CFrag")
            .field("delegation_id", &self.delegation_id)
            .field("kfrag_id", &hex(&self.kfrag_id))
            .finish_non_exhaustive()
    }
}

/// A capsule fragment verified for one capsule and delegation; only these can be combined.
#[derive(Clone, Debug)]
pub struct VerifiedCFrag {
    cfrag: CFrag,
    capsule: Capsule,
}

impl VerifiedCFrag {
    /// The encoding, to send to the recipient.
    pub fn to_bytes(&self) -> [u8; CFRAG_SIZE] {
        self.cfrag.to_bytes()
    }
}

impl VerifiedKFrag {
    /// The storage peer re-encrypts `capsule` at block `height`, after checking on chain that
    /// the delegation is final and not revoked. Refused after the delegation's expiry.
    pub fn reencrypt(
        &self,
        capsule: &Capsule,
        height: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<VerifiedCFrag, Error> {
        if height > self.expires_at {
            return Err(Error::Expired {
                expires_at: self.expires_at,
                height,
            });
        }
        let kfrag = &self.kfrag;
        let mut nonce = random_nonzero_scalar(rng);
        let mut cfrag = CFrag {
            e1: capsule.e * kfrag.share,
            v1: capsule.v * kfrag.share,
            delegation_id: kfrag.delegation_id,
            kfrag_id: kfrag.id,
            precursor: kfrag.precursor,
            commitment: kfrag.commitment,
            kfrag_signature: kfrag.signature,
            proof: ReencryptionProof {
                e2: capsule.e * nonce,
                v2: capsule.v * nonce,
                u2: *SECOND_GENERATOR * nonce,
                z: Scalar::ZERO,
            },
        };
        cfrag.proof.z = nonce + cfrag.challenge(capsule) * kfrag.share;
        nonce.zeroize();
        Ok(VerifiedCFrag {
            cfrag,
            capsule: *capsule,
        })
    }
}

/// The recipient recovers the capsule's key from at least `delegation.threshold()` verified
/// fragments.
pub fn decapsulate_reencrypted(
    recipient_sk: &SecretKey,
    delegation: &Delegation,
    capsule: &Capsule,
    cfrags: &[VerifiedCFrag],
) -> Result<DataKey, Error> {
    if recipient_sk.public_key() != delegation.recipient() {
        return Err(Error::KeyMismatch {
            what: "recipient key",
        });
    }
    if cfrags.len() < usize::from(delegation.threshold()) {
        return Err(Error::NotEnoughFragments {
            needed: delegation.threshold(),
            got: cfrags.len(),
        });
    }
    combine(recipient_sk, delegation, capsule, cfrags)
}

/// The recipient decrypts a payload [`seal`](crate::seal)ed under the delegating key.
pub fn open_reencrypted(
    recipient_sk: &SecretKey,
    delegation: &Delegation,
    capsule: &Capsule,
    cfrags: &[VerifiedCFrag],
    ciphertext: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let key = decapsulate_reencrypted(recipient_sk, delegation, capsule, cfrags)?;
    dem_open(&key, capsule, ciphertext, aad)
}

/// Lagrange interpolation of the fragments at zero, then the check that the result is one
/// scalar times the capsule, namely `sk_a / d` (`(s/d)·pk_a = h·E' + V'`); fewer than `t`
/// shares fail it.
fn combine(
    recipient_sk: &SecretKey,
    delegation: &Delegation,
    capsule: &Capsule,
    cfrags: &[VerifiedCFrag],
) -> Result<DataKey, Error> {
    let delegation_id = delegation.id();
    let precursor = cfrags
        .first()
        .ok_or(Error::NotEnoughFragments {
            needed: delegation.threshold(),
            got: 0,
        })?
        .cfrag
        .precursor;
    let mut seen = BTreeSet::new();
    for verified in cfrags {
        if verified.capsule != *capsule {
            return Err(Error::CFragForOtherCapsule);
        }
        if verified.cfrag.delegation_id != delegation_id {
            return Err(Error::DelegationMismatch);
        }
        if verified.cfrag.precursor != precursor {
            return Err(Error::MixedPrecursors);
        }
        if !seen.insert(verified.cfrag.kfrag_id) {
            return Err(Error::DuplicateFragment);
        }
    }

    let recipient = delegation.recipient();
    let mut dh = precursor * recipient_sk.0;
    let mut binding = precursor_binding(&precursor, &recipient, &dh, &delegation_id);
    let mut indices: Vec<Scalar> = cfrags
        .iter()
        .map(|verified| {
            share_index(
                &verified.cfrag.kfrag_id,
                &precursor,
                &recipient,
                &dh,
                &delegation_id,
            )
        })
        .collect();
    dh.zeroize();
    let mut coefficients = lagrange_at_zero(&indices);
    indices.zeroize();

    let e_prime = RistrettoPoint::multiscalar_mul(&coefficients, cfrags.iter().map(|c| c.cfrag.e1));
    let v_prime = RistrettoPoint::multiscalar_mul(&coefficients, cfrags.iter().map(|c| c.cfrag.v1));
    coefficients.zeroize();

    let h = Capsule::check_hash(&capsule.e, &capsule.v);
    let expected = delegation.delegating_key().0 * (capsule.s * binding.invert());
    let combined = RistrettoPoint::vartime_multiscalar_mul([h, Scalar::ONE], [e_prime, v_prime]);
    if expected != combined {
        binding.zeroize();
        return Err(Error::CombinationFailed);
    }
    let mut shared = (e_prime + v_prime) * binding;
    binding.zeroize();
    let key = capsule_key(&shared, capsule, &delegation.delegating_key());
    shared.zeroize();
    Ok(key)
}

/// `λ_i = Π_{j≠i} x_j / (x_j − x_i)`, with one batched inversion.
fn lagrange_at_zero(indices: &[Scalar]) -> Vec<Scalar> {
    let mut numerators = Vec::with_capacity(indices.len());
    let mut denominators = Vec::with_capacity(indices.len());
    for (i, x_i) in indices.iter().enumerate() {
        let others = indices.iter().enumerate().filter(|(j, _)| *j != i);
        numerators.push(others.clone().map(|(_, x_j)| *x_j).product::<Scalar>());
        denominators.push(others.map(|(_, x_j)| x_j - x_i).product::<Scalar>());
    }
    Scalar::batch_invert(&mut denominators);
    numerators
        .iter()
        .zip(&denominators)
        .map(|(numerator, inverse)| numerator * inverse)
        .collect()
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;
    use crate::{Signer, encapsulate, generate_kfrags};

    /// Below the threshold the interpolation itself fails (not only the count check in
    /// `decapsulate_reencrypted`): `t − 1` shares do not determine `f(0)`.
    #[test]
    fn fewer_than_threshold_fragments_do_not_combine() {
        let mut rng = StdRng::seed_from_u64(7);
        let delegating = SecretKey::random(&mut rng);
        let signer = Signer::random(&mut rng);
        let recipient = SecretKey::random(&mut rng);
        for (threshold, shares) in [(2u8, 3u8), (3, 4), (5, 7)] {
            let delegation = Delegation::new(
                [9; 32],
                delegating.public_key(),
                signer.verifying_key(),
                recipient.public_key(),
                threshold,
                shares,
                100,
            )
            .unwrap();
            let kfrags = generate_kfrags(&delegating, &signer, &delegation, &mut rng).unwrap();
            let (capsule, key) = encapsulate(&delegating.public_key(), &mut rng);
            let cfrags: Vec<_> = kfrags
                .iter()
                .map(|kfrag| kfrag.reencrypt(&capsule, 1, &mut rng).unwrap())
                .collect();
            let below = usize::from(threshold) - 1;
            assert_eq!(
                combine(&recipient, &delegation, &capsule, &cfrags[..below]),
                Err(Error::CombinationFailed)
            );
            assert_eq!(
                combine(&recipient, &delegation, &capsule, &cfrags[..below + 1]).unwrap(),
                key
            );
        }
    }

    #[test]
    fn lagrange_coefficients_interpolate_a_polynomial_at_zero() {
        // f(x) = 5 + 3x + 2x², sampled at 1, 2, 4.
        let f = |x: u64| Scalar::from(5 + 3 * x + 2 * x * x);
        let xs = [1u64, 2, 4];
        let indices: Vec<Scalar> = xs.iter().map(|x| Scalar::from(*x)).collect();
        let at_zero: Scalar = lagrange_at_zero(&indices)
            .iter()
            .zip(xs)
            .map(|(lambda, x)| lambda * f(x))
            .sum();
        assert_eq!(at_zero, Scalar::from(5u64));
    }
}
