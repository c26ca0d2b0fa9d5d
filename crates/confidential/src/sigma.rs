//! Σ-protocols made non-interactive over merlin. Every proof absorbs its commitments into the
//! caller's transcript (which already holds the context and the statement), draws its challenge
//! `c`, and answers `z = k + c·w` for each witness `w`.
//!
//! Nonces `k` come from the transcript's RNG rekeyed with the witness and fed by the caller's
//! RNG, so a weak RNG alone does not leak a key (merlin's hedged nonces).
//!
//! Verification does not check equations one by one: each equation `Σ aᵢ·Pᵢ = 0` is pushed into
//! a list with a random weight, and one multiscalar multiplication decides all of them —
//! for one proof, one transfer, or a batch of transfers.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};

use crate::elgamal::{Ciphertext, Opening, PublicKey, SecretKey};
use crate::encoding::Reader;
use crate::{Context, Error, append_point, challenge_scalar, generators};

/// Linear equations over points, checked together by a random linear combination: a false one
/// survives only if its weight hits one value out of the group order (≈ 2^-252).
///
/// Range proofs' generator vectors are shared by every proof, so their scalars are summed here
/// (flat index `party · RANGE_BITS + bit`) and each vector point enters the multiplication once.
#[derive(Default)]
pub(crate) struct Equations {
    scalars: Vec<Scalar>,
    points: Vec<RistrettoPoint>,
    range_g: Vec<Scalar>,
    range_h: Vec<Scalar>,
}

fn random_weight() -> Scalar {
    loop {
        let weight = Scalar::random(&mut rand::thread_rng());
        if weight != Scalar::ZERO {
            return weight;
        }
    }
}

impl Equations {
    /// Adds the claim `Σ scalarᵢ·pointᵢ = 0`.
    pub(crate) fn push(&mut self, terms: &[(Scalar, RistrettoPoint)]) {
        self.push_with_range_generators(terms, &[], &[]);
    }

    /// Adds `Σ scalarᵢ·pointᵢ + Σ gₖ·G_k + Σ hₖ·H_k = 0` over the range proofs' vectors.
    pub(crate) fn push_with_range_generators(
        &mut self,
        terms: &[(Scalar, RistrettoPoint)],
        g_scalars: &[Scalar],
        h_scalars: &[Scalar],
    ) {
        let weight = random_weight();
        for (scalar, point) in terms {
            self.scalars.push(weight * scalar);
            self.points.push(*point);
        }
        for (sums, scalars) in [
            (&mut self.range_g, g_scalars),
            (&mut self.range_h, h_scalars),
        ] {
            if sums.len() < scalars.len() {
                sums.resize(scalars.len(), Scalar::ZERO);
            }
            for (sum, scalar) in sums.iter_mut().zip(scalars) {
                *sum += weight * scalar;
            }
        }
    }

    pub(crate) fn hold(&self) -> bool {
        let range = &generators().range;
        let vector = |vectors: &'static [Vec<RistrettoPoint>], count: usize| {
            vectors.iter().flatten().take(count)
        };
        // Collected: the multiscalar multiplication sizes its work by exact iterator lengths.
        let points: Vec<&RistrettoPoint> = self
            .points
            .iter()
            .chain(vector(&range.g, self.range_g.len()))
            .chain(vector(&range.h, self.range_h.len()))
            .collect();
        let scalars = self
            .scalars
            .iter()
            .chain(&self.range_g)
            .chain(&self.range_h);
        RistrettoPoint::vartime_multiscalar_mul(scalars, points).is_identity()
    }
}

/// A nonce bound to the transcript so far, the witness and fresh randomness.
fn nonce<R: RngCore + CryptoRng>(
    transcript: &Transcript,
    witness: &[&Scalar],
    rng: &mut R,
) -> Scalar {
    let mut builder = transcript.build_rng();
    for scalar in witness {
        builder = builder.rekey_with_witness_bytes(b"witness", scalar.as_bytes());
    }
    Scalar::random(&mut builder.finalize(rng))
}

/// `X_s = r·pk_s`, `X_r = r·pk_r`, `Y = v·G + r·H`: one amount encrypted to two keys with the
/// same randomness, so the sender's debit and the receiver's credit are the same `v`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EncryptionProof {
    sender_commitment: RistrettoPoint,
    receiver_commitment: RistrettoPoint,
    amount_commitment: RistrettoPoint,
    randomness_response: Scalar,
    amount_response: Scalar,
}

/// The public side of an [`EncryptionProof`].
pub(crate) struct TwoKeyEncryption<'a> {
    pub(crate) sender: &'a PublicKey,
    pub(crate) receiver: &'a PublicKey,
    pub(crate) sender_handle: &'a RistrettoPoint,
    pub(crate) receiver_handle: &'a RistrettoPoint,
    pub(crate) commitment: &'a RistrettoPoint,
}

impl EncryptionProof {
    pub(crate) const ENCODED_LEN: usize = 5 * 32;

    pub(crate) fn prove<R: RngCore + CryptoRng>(
        transcript: &mut Transcript,
        statement: &TwoKeyEncryption,
        amount: &Scalar,
        opening: &Opening,
        rng: &mut R,
    ) -> Self {
        let gens = generators();
        let k_r = nonce(transcript, &[amount, &opening.0], rng);
        let k_v = nonce(transcript, &[&opening.0, amount], rng);
        let sender_commitment = k_r * statement.sender.point();
        let receiver_commitment = k_r * statement.receiver.point();
        let amount_commitment = gens.pedersen.commit(k_v, k_r);
        let c = Self::challenge(
            transcript,
            &sender_commitment,
            &receiver_commitment,
            &amount_commitment,
        );
        Self {
            sender_commitment,
            receiver_commitment,
            amount_commitment,
            randomness_response: k_r + c * opening.0,
            amount_response: k_v + c * amount,
        }
    }

    fn challenge(
        transcript: &mut Transcript,
        sender: &RistrettoPoint,
        receiver: &RistrettoPoint,
        amount: &RistrettoPoint,
    ) -> Scalar {
        transcript.append_message(b"proof", b"two-key-encryption");
        append_point(transcript, b"A_s", sender);
        append_point(transcript, b"A_r", receiver);
        append_point(transcript, b"A_y", amount);
        challenge_scalar(transcript, b"c")
    }

    pub(crate) fn verify(
        &self,
        transcript: &mut Transcript,
        statement: &TwoKeyEncryption,
        equations: &mut Equations,
    ) {
        let gens = generators();
        let c = Self::challenge(
            transcript,
            &self.sender_commitment,
            &self.receiver_commitment,
            &self.amount_commitment,
        );
        let z_r = self.randomness_response;
        let minus_one = -Scalar::ONE;
        equations.push(&[
            (z_r, *statement.sender.point()),
            (minus_one, self.sender_commitment),
            (-c, *statement.sender_handle),
        ]);
        equations.push(&[
            (z_r, *statement.receiver.point()),
            (minus_one, self.receiver_commitment),
            (-c, *statement.receiver_handle),
        ]);
        equations.push(&[
            (self.amount_response, gens.g()),
            (z_r, gens.h()),
            (minus_one, self.amount_commitment),
            (-c, *statement.commitment),
        ]);
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.sender_commitment.compress().as_bytes());
        out.extend_from_slice(self.receiver_commitment.compress().as_bytes());
        out.extend_from_slice(self.amount_commitment.compress().as_bytes());
        out.extend_from_slice(self.randomness_response.as_bytes());
        out.extend_from_slice(self.amount_response.as_bytes());
    }

    pub(crate) fn read(reader: &mut Reader) -> Result<Self, Error> {
        Ok(Self {
            sender_commitment: reader.non_identity_point("encryption proof A_s")?,
            receiver_commitment: reader.non_identity_point("encryption proof A_r")?,
            amount_commitment: reader.non_identity_point("encryption proof A_y")?,
            randomness_response: reader.scalar("encryption proof z_r")?,
            amount_response: reader.scalar("encryption proof z_v")?,
        })
    }
}

/// `pk = s·H` and `X_d = s·(Y_d − Y') + r'·pk`: the prover owns `pk`, and the ciphertext
/// `(X_d, Y_d)` under `pk` decrypts to the value committed in `Y'` with blinding `r'`.
///
/// This carries a range proof from a fresh commitment the prover can open onto a balance whose
/// randomness (summed from other people's transfers) the prover cannot know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EqualityProof {
    key_commitment: RistrettoPoint,
    handle_commitment: RistrettoPoint,
    key_response: Scalar,
    blinding_response: Scalar,
}

/// The public side of an [`EqualityProof`].
pub(crate) struct BalanceEquality<'a> {
    pub(crate) owner: &'a PublicKey,
    pub(crate) balance: &'a Ciphertext,
    pub(crate) commitment: &'a RistrettoPoint,
}

impl BalanceEquality<'_> {
    /// `Y_d − Y'`, the base the key multiplies in the second equation.
    fn difference(&self) -> RistrettoPoint {
        self.balance.commitment - self.commitment
    }
}

impl EqualityProof {
    pub(crate) const ENCODED_LEN: usize = 4 * 32;

    pub(crate) fn prove<R: RngCore + CryptoRng>(
        transcript: &mut Transcript,
        statement: &BalanceEquality,
        key: &SecretKey,
        blinding: &Opening,
        rng: &mut R,
    ) -> Self {
        let h = generators().h();
        let k_s = nonce(transcript, &[key.scalar(), &blinding.0], rng);
        let k_b = nonce(transcript, &[&blinding.0, key.scalar()], rng);
        let key_commitment = k_s * h;
        let handle_commitment = k_s * statement.difference() + k_b * statement.owner.point();
        let c = Self::challenge(transcript, &key_commitment, &handle_commitment);
        Self {
            key_commitment,
            handle_commitment,
            key_response: k_s + c * key.scalar(),
            blinding_response: k_b + c * blinding.0,
        }
    }

    fn challenge(
        transcript: &mut Transcript,
        key: &RistrettoPoint,
        handle: &RistrettoPoint,
    ) -> Scalar {
        transcript.append_message(b"proof", b"balance-equality");
        append_point(transcript, b"B_1", key);
        append_point(transcript, b"B_2", handle);
        challenge_scalar(transcript, b"c")
    }

    pub(crate) fn verify(
        &self,
        transcript: &mut Transcript,
        statement: &BalanceEquality,
        equations: &mut Equations,
    ) {
        let c = Self::challenge(transcript, &self.key_commitment, &self.handle_commitment);
        let minus_one = -Scalar::ONE;
        equations.push(&[
            (self.key_response, generators().h()),
            (minus_one, self.key_commitment),
            (-c, *statement.owner.point()),
        ]);
        equations.push(&[
            (self.key_response, statement.difference()),
            (self.blinding_response, *statement.owner.point()),
            (minus_one, self.handle_commitment),
            (-c, statement.balance.handle),
        ]);
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.key_commitment.compress().as_bytes());
        out.extend_from_slice(self.handle_commitment.compress().as_bytes());
        out.extend_from_slice(self.key_response.as_bytes());
        out.extend_from_slice(self.blinding_response.as_bytes());
    }

    pub(crate) fn read(reader: &mut Reader) -> Result<Self, Error> {
        Ok(Self {
            key_commitment: reader.non_identity_point("equality proof B_1")?,
            handle_commitment: reader.non_identity_point("equality proof B_2")?,
            key_response: reader.scalar("equality proof z_s")?,
            blinding_response: reader.scalar("equality proof z_b")?,
        })
    }
}

/// Knowledge of `s` with `pk = s·H` (Schnorr), required when an account registers its key so
/// that nobody registers a key they cannot decrypt under, or someone else's key as their own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyProof {
    commitment: RistrettoPoint,
    response: Scalar,
}

impl KeyProof {
    pub const ENCODED_LEN: usize = 64;

    pub fn prove<R: RngCore + CryptoRng>(context: &Context, key: &SecretKey, rng: &mut R) -> Self {
        let mut transcript = Self::transcript(context, &key.public_key());
        let k = nonce(&transcript, &[key.scalar()], rng);
        let commitment = k * generators().h();
        let c = Self::challenge(&mut transcript, &commitment);
        Self {
            commitment,
            response: k + c * key.scalar(),
        }
    }

    pub fn verify(&self, context: &Context, key: &PublicKey) -> Result<(), Error> {
        let mut transcript = Self::transcript(context, key);
        let c = Self::challenge(&mut transcript, &self.commitment);
        let mut equations = Equations::default();
        equations.push(&[
            (self.response, generators().h()),
            (-Scalar::ONE, self.commitment),
            (-c, *key.point()),
        ]);
        if equations.hold() {
            Ok(())
        } else {
            Err(Error::InvalidProof("key ownership"))
        }
    }

    fn transcript(context: &Context, key: &PublicKey) -> Transcript {
        let mut transcript = context.transcript(b"key-ownership");
        append_point(&mut transcript, b"pk", key.point());
        transcript
    }

    fn challenge(transcript: &mut Transcript, commitment: &RistrettoPoint) -> Scalar {
        append_point(transcript, b"A", commitment);
        challenge_scalar(transcript, b"c")
    }

    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(self.commitment.compress().as_bytes());
        out[32..].copy_from_slice(self.response.as_bytes());
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut reader = Reader::new(bytes);
        let proof = Self {
            commitment: reader.non_identity_point("key proof A")?,
            response: reader.scalar("key proof z")?,
        };
        reader.finish()?;
        Ok(proof)
    }
}

/// `(X, Y)` encrypts the public amount `v` under `pk`: `X = r·pk`, `Y − v·G = r·H`.
///
/// What a payer attaches when crediting a known amount as a randomized ciphertext (a deposit,
/// an FSP payout), so the ledger can add it to a balance knowing exactly what it adds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaintextProof {
    handle_commitment: RistrettoPoint,
    blinding_commitment: RistrettoPoint,
    response: Scalar,
}

impl PlaintextProof {
    pub const ENCODED_LEN: usize = 96;

    /// Encrypts `amount` to `key` and proves the plaintext.
    pub fn encrypt<R: RngCore + CryptoRng>(
        context: &Context,
        key: &PublicKey,
        amount: u64,
        rng: &mut R,
    ) -> (Ciphertext, Self) {
        let (ciphertext, opening) = key.encrypt(amount, rng);
        let mut transcript = Self::transcript(context, key, &ciphertext, amount);
        let k = nonce(&transcript, &[&opening.0], rng);
        let handle_commitment = k * key.point();
        let blinding_commitment = k * generators().h();
        let c = Self::challenge(&mut transcript, &handle_commitment, &blinding_commitment);
        (
            ciphertext,
            Self {
                handle_commitment,
                blinding_commitment,
                response: k + c * opening.0,
            },
        )
    }

    pub fn verify(
        &self,
        context: &Context,
        key: &PublicKey,
        ciphertext: &Ciphertext,
        amount: u64,
    ) -> Result<(), Error> {
        let gens = generators();
        let mut transcript = Self::transcript(context, key, ciphertext, amount);
        let c = Self::challenge(
            &mut transcript,
            &self.handle_commitment,
            &self.blinding_commitment,
        );
        let mut equations = Equations::default();
        equations.push(&[
            (self.response, *key.point()),
            (-Scalar::ONE, self.handle_commitment),
            (-c, ciphertext.handle),
        ]);
        equations.push(&[
            (self.response, gens.h()),
            (-Scalar::ONE, self.blinding_commitment),
            (-c, ciphertext.commitment),
            (c * Scalar::from(amount), gens.g()),
        ]);
        if equations.hold() {
            Ok(())
        } else {
            Err(Error::InvalidProof("plaintext"))
        }
    }

    fn transcript(
        context: &Context,
        key: &PublicKey,
        ciphertext: &Ciphertext,
        amount: u64,
    ) -> Transcript {
        let mut transcript = context.transcript(b"plaintext");
        append_point(&mut transcript, b"pk", key.point());
        transcript.append_message(b"ciphertext", &ciphertext.to_bytes());
        transcript.append_u64(b"amount", amount);
        transcript
    }

    fn challenge(
        transcript: &mut Transcript,
        handle: &RistrettoPoint,
        blinding: &RistrettoPoint,
    ) -> Scalar {
        append_point(transcript, b"A_x", handle);
        append_point(transcript, b"A_y", blinding);
        challenge_scalar(transcript, b"c")
    }

    pub fn to_bytes(&self) -> [u8; 96] {
        let mut out = [0u8; 96];
        out[..32].copy_from_slice(self.handle_commitment.compress().as_bytes());
        out[32..64].copy_from_slice(self.blinding_commitment.compress().as_bytes());
        out[64..].copy_from_slice(self.response.as_bytes());
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut reader = Reader::new(bytes);
        let proof = Self {
            handle_commitment: reader.non_identity_point("plaintext proof A_x")?,
            blinding_commitment: reader.non_identity_point("plaintext proof A_y")?,
            response: reader.scalar("plaintext proof z")?,
        };
        reader.finish()?;
        Ok(proof)
    }
}

#[cfg(test)]
mod tests {
    use rand::thread_rng;

    use super::*;

    const CONTEXT: Context = Context {
        chain_id: b"medshare-test",
        account: b"alice",
        nonce: 7,
    };

    #[test]
    fn key_proof_accepts_the_owner_and_refuses_others() {
        let mut rng = thread_rng();
        let key = SecretKey::generate(&mut rng);
        let proof = KeyProof::prove(&CONTEXT, &key, &mut rng);
        assert_eq!(proof.verify(&CONTEXT, &key.public_key()), Ok(()));
        let round_trip = KeyProof::from_bytes(&proof.to_bytes()).unwrap();
        assert_eq!(round_trip.verify(&CONTEXT, &key.public_key()), Ok(()));

        let stranger = SecretKey::generate(&mut rng).public_key();
        assert!(
            proof.verify(&CONTEXT, &stranger).is_err(),
            "someone else's key"
        );
        let replay = Context {
            nonce: 8,
            ..CONTEXT
        };
        assert!(
            proof.verify(&replay, &key.public_key()).is_err(),
            "another nonce"
        );
        let other_chain = Context {
            chain_id: b"other",
            ..CONTEXT
        };
        assert!(
            proof.verify(&other_chain, &key.public_key()).is_err(),
            "another chain"
        );
        let forged = KeyProof {
            response: proof.response + Scalar::ONE,
            ..proof.clone()
        };
        assert!(
            forged.verify(&CONTEXT, &key.public_key()).is_err(),
            "changed response"
        );
    }

    #[test]
    fn plaintext_proof_binds_the_amount() {
        let mut rng = thread_rng();
        let key = SecretKey::generate(&mut rng).public_key();
        let (ciphertext, proof) = PlaintextProof::encrypt(&CONTEXT, &key, 500, &mut rng);
        assert_eq!(proof.verify(&CONTEXT, &key, &ciphertext, 500), Ok(()));
        let decoded = PlaintextProof::from_bytes(&proof.to_bytes()).unwrap();
        assert_eq!(decoded.verify(&CONTEXT, &key, &ciphertext, 500), Ok(()));

        assert!(
            proof.verify(&CONTEXT, &key, &ciphertext, 501).is_err(),
            "another amount"
        );
        let shifted = ciphertext + Ciphertext::public_amount(1);
        assert!(
            proof.verify(&CONTEXT, &key, &shifted, 501).is_err(),
            "tampered ciphertext"
        );
        let other = SecretKey::generate(&mut rng).public_key();
        assert!(
            proof.verify(&CONTEXT, &other, &ciphertext, 500).is_err(),
            "another key"
        );
        let replay = Context {
            account: b"mallory",
            ..CONTEXT
        };
        assert!(
            proof.verify(&replay, &key, &ciphertext, 500).is_err(),
            "another account"
        );
    }

    #[test]
    fn proof_encodings_are_strict() {
        let mut rng = thread_rng();
        let key = SecretKey::generate(&mut rng);
        let bytes = KeyProof::prove(&CONTEXT, &key, &mut rng).to_bytes();
        let mut trailing = bytes.to_vec();
        trailing.push(0);
        assert!(KeyProof::from_bytes(&trailing).is_err());
        let mut identity = bytes;
        identity[..32].copy_from_slice(&[0u8; 32]);
        assert_eq!(
            KeyProof::from_bytes(&identity),
            Err(Error::Malformed("key proof A"))
        );
        let mut unreduced = bytes;
        unreduced[32..].copy_from_slice(&[0xff; 32]);
        assert_eq!(
            KeyProof::from_bytes(&unreduced),
            Err(Error::Malformed("key proof z"))
        );
    }
}
