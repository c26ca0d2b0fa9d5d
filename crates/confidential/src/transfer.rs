//! A confidential transfer: the amount encrypted to sender and receiver with one randomness,
//! a fresh commitment to the sender's remainder, one aggregated range proof for both, and the
//! two Σ-proofs that tie them to the sender's current encrypted balance (relations in the crate
//! doc).

use bulletproofs::RangeProof;
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};

use crate::elgamal::{Ciphertext, Opening, PublicKey, SecretKey};
use crate::encoding::{Reader, decode_range_proof, range_proof_len};
use crate::range::defer_range_proof;
use crate::sigma::{BalanceEquality, EncryptionProof, EqualityProof, Equations, TwoKeyEncryption};
use crate::{Context, Error, RANGE_BITS, append_point, generators};

const RANGE_PROOF_LEN: usize = range_proof_len(RANGE_BITS, 2);

/// Whether the range proof is verified by the library on the spot or folded into a batch.
#[derive(Clone, Copy)]
enum RangeCheck {
    Now,
    Deferred,
}

/// The points a transfer publishes; the proofs are about them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct TransferPoints {
    /// `X_s = r·pk_s`: with `Y`, the debit under the sender's key.
    sender_handle: RistrettoPoint,
    /// `X_r = r·pk_r`: with `Y`, the credit under the receiver's key.
    receiver_handle: RistrettoPoint,
    /// `Y = v·G + r·H`, shared by debit and credit.
    commitment: RistrettoPoint,
    /// `Y' = (b − v)·G + r'·H`: the sender's remainder, range-proved.
    remaining_commitment: RistrettoPoint,
}

impl TransferPoints {
    fn sender_debit(&self) -> Ciphertext {
        Ciphertext {
            handle: self.sender_handle,
            commitment: self.commitment,
        }
    }

    fn receiver_credit(&self) -> Ciphertext {
        Ciphertext {
            handle: self.receiver_handle,
            commitment: self.commitment,
        }
    }

    /// The transcript every part of the proof runs on: context first, then the whole statement.
    fn transcript(
        &self,
        context: &Context,
        sender: &PublicKey,
        receiver: &PublicKey,
        sender_balance: &Ciphertext,
    ) -> Transcript {
        let mut transcript = context.transcript(b"transfer");
        append_point(&mut transcript, b"pk_s", sender.point());
        append_point(&mut transcript, b"pk_r", receiver.point());
        transcript.append_message(b"balance", &sender_balance.to_bytes());
        append_point(&mut transcript, b"X_s", &self.sender_handle);
        append_point(&mut transcript, b"X_r", &self.receiver_handle);
        append_point(&mut transcript, b"Y", &self.commitment);
        append_point(&mut transcript, b"Y'", &self.remaining_commitment);
        transcript
    }

    fn two_key_encryption<'a>(
        &'a self,
        sender: &'a PublicKey,
        receiver: &'a PublicKey,
    ) -> TwoKeyEncryption<'a> {
        TwoKeyEncryption {
            sender,
            receiver,
            sender_handle: &self.sender_handle,
            receiver_handle: &self.receiver_handle,
            commitment: &self.commitment,
        }
    }
}

/// A transfer of a hidden amount from one confidential balance to another.
#[derive(Clone, Debug)]
pub struct Transfer {
    points: TransferPoints,
    range: RangeProof,
    encryption: EncryptionProof,
    equality: EqualityProof,
}

impl Transfer {
    /// 4 points, the aggregated 2 × 64-bit range proof and the two Σ-proofs: 1 152 bytes.
    pub const ENCODED_LEN: usize =
        4 * 32 + RANGE_PROOF_LEN + EncryptionProof::ENCODED_LEN + EqualityProof::ENCODED_LEN;

    /// Proves a transfer of `amount` out of `sender_balance`, which must decrypt to `balance`
    /// (the sender's wallet knows its balance, so this costs no discrete-log search).
    #[allow(clippy::too_many_arguments)]
    pub fn prove<R: RngCore + CryptoRng>(
        context: &Context,
        sender: &SecretKey,
        sender_balance: &Ciphertext,
        balance: u64,
        receiver: &PublicKey,
        amount: u64,
        rng: &mut R,
    ) -> Result<Self, Error> {
        if amount > balance {
            return Err(Error::Overdraft { amount, balance });
        }
        if sender.decrypt_to_point(sender_balance)
            != &Scalar::from(balance) * RISTRETTO_BASEPOINT_TABLE
        {
            return Err(Error::BalanceMismatch);
        }
        Self::assemble(
            context,
            sender,
            sender_balance,
            receiver,
            amount,
            balance - amount,
            rng,
        )
    }

    /// Builds the proofs for the claimed `amount` and `remaining` without checking them, so that
    /// only the verifier stands between a lying prover and the ledger (the tests lie through it).
    fn assemble<R: RngCore + CryptoRng>(
        context: &Context,
        sender: &SecretKey,
        sender_balance: &Ciphertext,
        receiver: &PublicKey,
        amount: u64,
        remaining: u64,
        rng: &mut R,
    ) -> Result<Self, Error> {
        let gens = generators();
        let sender_key = sender.public_key();
        let opening = Opening::random(rng);
        let remaining_opening = Opening::random(rng);
        let debit = sender_key.encrypt_with(amount, &opening);
        let points = TransferPoints {
            sender_handle: debit.handle,
            receiver_handle: opening.0 * receiver.point(),
            commitment: debit.commitment,
            remaining_commitment: gens
                .pedersen
                .commit(Scalar::from(remaining), remaining_opening.0),
        };
        let mut transcript = points.transcript(context, &sender_key, receiver, sender_balance);
        let (range, _) = RangeProof::prove_multiple_with_rng(
            &gens.bulletproofs,
            &gens.pedersen,
            &mut transcript,
            &[amount, remaining],
            &[opening.0, remaining_opening.0],
            RANGE_BITS,
            rng,
        )
        .map_err(|e| Error::Proving(e.to_string()))?;
        let encryption = EncryptionProof::prove(
            &mut transcript,
            &points.two_key_encryption(&sender_key, receiver),
            &Scalar::from(amount),
            &opening,
            rng,
        );
        let after = *sender_balance - points.sender_debit();
        let equality = EqualityProof::prove(
            &mut transcript,
            &BalanceEquality {
                owner: &sender_key,
                balance: &after,
                commitment: &points.remaining_commitment,
            },
            sender,
            &remaining_opening,
            rng,
        );
        Ok(Self {
            points,
            range,
            encryption,
            equality,
        })
    }

    /// Checks the transfer against the sender's balance as the ledger holds it now.
    pub fn verify(
        &self,
        context: &Context,
        sender: &PublicKey,
        receiver: &PublicKey,
        sender_balance: &Ciphertext,
    ) -> Result<VerifiedTransfer, Error> {
        let mut equations = Equations::default();
        self.check(
            context,
            sender,
            receiver,
            sender_balance,
            RangeCheck::Now,
            &mut equations,
        )?;
        if !equations.hold() {
            return Err(Error::InvalidProof(
                "transfer encryption or balance equality",
            ));
        }
        Ok(VerifiedTransfer {
            transfer: self.clone(),
            sender_balance: *sender_balance,
        })
    }

    /// Replays the whole transcript and defers the Σ equations (and, when batching, the range
    /// proof's) to `equations`.
    fn check(
        &self,
        context: &Context,
        sender: &PublicKey,
        receiver: &PublicKey,
        sender_balance: &Ciphertext,
        range_check: RangeCheck,
        equations: &mut Equations,
    ) -> Result<(), Error> {
        let gens = generators();
        let points = &self.points;
        let mut transcript = points.transcript(context, sender, receiver, sender_balance);
        match range_check {
            RangeCheck::Now => self
                .range
                .verify_multiple_with_rng(
                    &gens.bulletproofs,
                    &gens.pedersen,
                    &mut transcript,
                    &[
                        points.commitment.compress(),
                        points.remaining_commitment.compress(),
                    ],
                    RANGE_BITS,
                    &mut rand::thread_rng(),
                )
                .map_err(|_| Error::RangeProof)?,
            RangeCheck::Deferred => defer_range_proof(
                equations,
                &self.range.to_bytes(),
                &mut transcript,
                &[points.commitment, points.remaining_commitment],
            )?,
        }
        self.encryption.verify(
            &mut transcript,
            &points.two_key_encryption(sender, receiver),
            equations,
        );
        let after = *sender_balance - points.sender_debit();
        self.equality.verify(
            &mut transcript,
            &BalanceEquality {
                owner: sender,
                balance: &after,
                commitment: &points.remaining_commitment,
            },
            equations,
        );
        Ok(())
    }

    /// What the sender's balance loses (under the sender's key).
    pub fn sender_debit(&self) -> Ciphertext {
        self.points.sender_debit()
    }

    /// What the receiver's balance gains (under the receiver's key).
    pub fn receiver_credit(&self) -> Ciphertext {
        self.points.receiver_credit()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::ENCODED_LEN);
        let points = &self.points;
        for point in [
            points.sender_handle,
            points.receiver_handle,
            points.commitment,
            points.remaining_commitment,
        ] {
            out.extend_from_slice(point.compress().as_bytes());
        }
        out.extend_from_slice(&self.range.to_bytes());
        self.encryption.write(&mut out);
        self.equality.write(&mut out);
        out
    }

    /// Exactly [`Self::ENCODED_LEN`] bytes, every point canonical; the handles carry the
    /// transfer's randomness and so may not be the identity (`r = 0` would publish `v·G`).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut reader = Reader::new(bytes);
        let points = TransferPoints {
            sender_handle: reader.non_identity_point("sender handle")?,
            receiver_handle: reader.non_identity_point("receiver handle")?,
            commitment: reader.point("amount commitment")?,
            remaining_commitment: reader.point("remaining commitment")?,
        };
        let range = decode_range_proof(
            reader.bytes(RANGE_PROOF_LEN, "range proof")?,
            RANGE_PROOF_LEN,
            "range proof",
        )?;
        let encryption = EncryptionProof::read(&mut reader)?;
        let equality = EqualityProof::read(&mut reader)?;
        reader.finish()?;
        Ok(Self {
            points,
            range,
            encryption,
            equality,
        })
    }
}

/// A transfer that verified against a named sender balance: the only way to get the balance
/// updates, so the ledger cannot apply an unchecked one or apply it to another balance.
#[derive(Clone, Debug)]
pub struct VerifiedTransfer {
    transfer: Transfer,
    sender_balance: Ciphertext,
}

impl VerifiedTransfer {
    pub fn transfer(&self) -> &Transfer {
        &self.transfer
    }

    /// The balance the proof was checked against: the ledger must still hold exactly this.
    pub fn sender_balance(&self) -> &Ciphertext {
        &self.sender_balance
    }

    /// The sender's balance after the transfer: the verified balance minus the debit.
    pub fn new_sender_balance(&self) -> Ciphertext {
        self.sender_balance - self.transfer.sender_debit()
    }

    pub fn receiver_credit(&self) -> Ciphertext {
        self.transfer.receiver_credit()
    }
}

/// One transfer with everything it is verified against.
#[derive(Clone, Copy, Debug)]
pub struct TransferClaim<'a> {
    pub transfer: &'a Transfer,
    pub context: Context<'a>,
    pub sender: &'a PublicKey,
    pub receiver: &'a PublicKey,
    pub sender_balance: &'a Ciphertext,
}

impl TransferClaim<'_> {
    fn verify(&self) -> Result<VerifiedTransfer, Error> {
        self.transfer.verify(
            &self.context,
            self.sender,
            self.receiver,
            self.sender_balance,
        )
    }
}

/// Verifies many transfers (a block's worth) with one multiscalar multiplication for all their
/// range proofs and Σ-proofs. On failure it verifies them one by one (with the library's range
/// verifier) and names the first bad transfer.
///
/// Each claim is checked against the balance it names. Two transfers from one sender must not
/// both name the same balance: the ledger chains them (the second against the first's
/// [`VerifiedTransfer::new_sender_balance`]), or each could spend the whole balance.
pub fn verify_transfers(claims: &[TransferClaim]) -> Result<Vec<VerifiedTransfer>, Error> {
    let in_batch = |index: usize| {
        move |source: Error| Error::Batch {
            index,
            source: Box::new(source),
        }
    };
    let mut equations = Equations::default();
    for (index, claim) in claims.iter().enumerate() {
        claim
            .transfer
            .check(
                &claim.context,
                claim.sender,
                claim.receiver,
                claim.sender_balance,
                RangeCheck::Deferred,
                &mut equations,
            )
            .map_err(in_batch(index))?;
    }
    if equations.hold() {
        return Ok(claims
            .iter()
            .map(|claim| VerifiedTransfer {
                transfer: claim.transfer.clone(),
                sender_balance: *claim.sender_balance,
            })
            .collect());
    }
    // Some transfer's proofs fail: find which, one by one.
    for (index, claim) in claims.iter().enumerate() {
        claim.verify().map_err(in_batch(index))?;
    }
    // Every transfer passed alone although the combination failed: only a negligible-probability
    // weight choice gets here, and refusing is the safe answer.
    Err(Error::InvalidProof("batch"))
}

#[cfg(test)]
mod tests {
    use curve25519_dalek::traits::Identity;
    use rand::thread_rng;

    use super::*;
    use crate::dlog::tests::small_table;

    const CONTEXT: Context = Context {
        chain_id: b"medshare-test",
        account: b"alice",
        nonce: 1,
    };

    struct Setup {
        alice: SecretKey,
        bob: SecretKey,
        balance: Ciphertext,
    }

    /// Alice holds 1 000 in an encrypted balance (a randomized one, as after a transfer).
    fn setup() -> Setup {
        let mut rng = thread_rng();
        let alice = SecretKey::generate(&mut rng);
        let bob = SecretKey::generate(&mut rng);
        let (balance, _) = alice.public_key().encrypt(1_000, &mut rng);
        Setup {
            alice,
            bob,
            balance,
        }
    }

    fn honest(s: &Setup, amount: u64) -> Transfer {
        Transfer::prove(
            &CONTEXT,
            &s.alice,
            &s.balance,
            1_000,
            &s.bob.public_key(),
            amount,
            &mut thread_rng(),
        )
        .unwrap()
    }

    fn verify(s: &Setup, transfer: &Transfer) -> Result<VerifiedTransfer, Error> {
        transfer.verify(
            &CONTEXT,
            &s.alice.public_key(),
            &s.bob.public_key(),
            &s.balance,
        )
    }

    #[test]
    fn honest_transfer_verifies_and_moves_the_amount() {
        let s = setup();
        let transfer = honest(&s, 300);
        let verified = verify(&s, &transfer).unwrap();
        assert_eq!(
            s.alice
                .decrypt(&verified.new_sender_balance(), small_table()),
            Some(700)
        );
        assert_eq!(
            s.bob.decrypt(&verified.receiver_credit(), small_table()),
            Some(300)
        );
        assert_eq!(verified.sender_balance(), &s.balance);

        let bytes = transfer.to_bytes();
        assert_eq!(bytes.len(), Transfer::ENCODED_LEN);
        assert_eq!(Transfer::ENCODED_LEN, 1_152);
        let decoded = Transfer::from_bytes(&bytes).unwrap();
        assert_eq!(decoded.to_bytes(), bytes);
        assert!(verify(&s, &decoded).is_ok());
    }

    #[test]
    fn whole_balance_and_zero_amount_transfer() {
        let s = setup();
        let all = verify(&s, &honest(&s, 1_000)).unwrap();
        assert_eq!(
            s.alice.decrypt(&all.new_sender_balance(), small_table()),
            Some(0)
        );
        let none = verify(&s, &honest(&s, 0)).unwrap();
        assert_eq!(
            s.bob.decrypt(&none.receiver_credit(), small_table()),
            Some(0)
        );
    }

    #[test]
    fn proof_is_void_under_another_context() {
        let s = setup();
        let transfer = honest(&s, 10);
        let (alice, bob) = (s.alice.public_key(), s.bob.public_key());
        for context in [
            Context {
                nonce: 2,
                ..CONTEXT
            },
            Context {
                chain_id: b"medshare-other",
                ..CONTEXT
            },
            Context {
                account: b"mallory",
                ..CONTEXT
            },
        ] {
            assert_eq!(
                transfer
                    .verify(&context, &alice, &bob, &s.balance)
                    .unwrap_err(),
                Error::RangeProof,
                "{context:?}"
            );
        }
    }

    #[test]
    fn overdraft_is_refused_by_prover_and_verifier() {
        let s = setup();
        let mut rng = thread_rng();
        let bob = s.bob.public_key();
        assert_eq!(
            Transfer::prove(&CONTEXT, &s.alice, &s.balance, 1_000, &bob, 1_001, &mut rng)
                .unwrap_err(),
            Error::Overdraft {
                amount: 1_001,
                balance: 1_000
            }
        );
        // A lying prover: the remainder wraps to 2^64 − 1 (in range) or is claimed as 0.
        for remaining in [1_000u64.wrapping_sub(1_001), 0] {
            let lie = Transfer::assemble(
                &CONTEXT, &s.alice, &s.balance, &bob, 1_001, remaining, &mut rng,
            )
            .unwrap();
            assert_eq!(
                verify(&s, &lie).unwrap_err(),
                Error::InvalidProof("transfer encryption or balance equality"),
                "remaining {remaining}"
            );
        }
    }

    #[test]
    fn prover_refuses_a_balance_it_cannot_open() {
        let s = setup();
        let mut rng = thread_rng();
        let bob = s.bob.public_key();
        assert_eq!(
            Transfer::prove(&CONTEXT, &s.alice, &s.balance, 999, &bob, 5, &mut rng).unwrap_err(),
            Error::BalanceMismatch
        );
        assert_eq!(
            Transfer::prove(&CONTEXT, &s.bob, &s.balance, 1_000, &bob, 5, &mut rng).unwrap_err(),
            Error::BalanceMismatch
        );
    }

    #[test]
    fn key_that_does_not_own_the_balance_cannot_spend_it() {
        let s = setup();
        let mut rng = thread_rng();
        let mallory = SecretKey::generate(&mut rng);
        let theft = Transfer::assemble(
            &CONTEXT,
            &mallory,
            &s.balance,
            &mallory.public_key(),
            1_000,
            0,
            &mut rng,
        )
        .unwrap();
        let result = theft.verify(
            &CONTEXT,
            &s.alice.public_key(),
            &mallory.public_key(),
            &s.balance,
        );
        assert!(result.is_err());
    }

    /// A transfer of `−5` (stealing from the receiver): every Σ-proof is honest, but no range
    /// proof for the committed value exists, so the attacker proves `2^64 − 5` instead.
    fn forge_negative_amount(s: &Setup) -> Transfer {
        let mut rng = thread_rng();
        let gens = generators();
        let (alice, bob) = (s.alice.public_key(), s.bob.public_key());
        let minus_five = -Scalar::from(5u64);
        let opening = Opening::random(&mut rng);
        let remaining_opening = Opening::random(&mut rng);
        let points = TransferPoints {
            sender_handle: opening.0 * alice.point(),
            receiver_handle: opening.0 * bob.point(),
            commitment: gens.pedersen.commit(minus_five, opening.0),
            remaining_commitment: gens
                .pedersen
                .commit(Scalar::from(1_005u64), remaining_opening.0),
        };
        let mut transcript = points.transcript(&CONTEXT, &alice, &bob, &s.balance);
        let (range, _) = RangeProof::prove_multiple_with_rng(
            &gens.bulletproofs,
            &gens.pedersen,
            &mut transcript,
            &[5u64.wrapping_neg(), 1_005],
            &[opening.0, remaining_opening.0],
            RANGE_BITS,
            &mut rng,
        )
        .unwrap();
        let encryption = EncryptionProof::prove(
            &mut transcript,
            &points.two_key_encryption(&alice, &bob),
            &minus_five,
            &opening,
            &mut rng,
        );
        let after = s.balance - points.sender_debit();
        let equality = EqualityProof::prove(
            &mut transcript,
            &BalanceEquality {
                owner: &alice,
                balance: &after,
                commitment: &points.remaining_commitment,
            },
            &s.alice,
            &remaining_opening,
            &mut rng,
        );
        Transfer {
            points,
            range,
            encryption,
            equality,
        }
    }

    #[test]
    fn negative_amount_is_refused() {
        let s = setup();
        assert_eq!(
            verify(&s, &forge_negative_amount(&s)).unwrap_err(),
            Error::RangeProof
        );
    }

    /// Whether the batch path (our replay of the range verification) accepts `transfer` alone.
    fn batch_path_accepts(s: &Setup, context: &Context, transfer: &Transfer) -> bool {
        let mut equations = Equations::default();
        let (alice, bob) = (s.alice.public_key(), s.bob.public_key());
        transfer
            .check(
                context,
                &alice,
                &bob,
                &s.balance,
                RangeCheck::Deferred,
                &mut equations,
            )
            .is_ok()
            && equations.hold()
    }

    #[test]
    fn batched_range_verifier_agrees_with_the_library() {
        let s = setup();
        let honest = honest(&s, 300);
        assert!(batch_path_accepts(&s, &CONTEXT, &honest));
        assert!(
            !batch_path_accepts(&s, &CONTEXT, &forge_negative_amount(&s)),
            "negative amount"
        );
        assert!(
            !batch_path_accepts(
                &s,
                &Context {
                    nonce: 9,
                    ..CONTEXT
                },
                &honest
            ),
            "replayed"
        );
        let bytes = honest.to_bytes();
        // Every 32-byte field of the range proof (bytes 128..864), one bit flipped.
        let mut decoded = 0;
        for offset in (128..128 + RANGE_PROOF_LEN)
            .step_by(32)
            .map(|start| start + 3)
        {
            let mut forged = bytes.clone();
            forged[offset] ^= 0x10;
            if let Ok(transfer) = Transfer::from_bytes(&forged) {
                decoded += 1;
                assert!(
                    verify(&s, &transfer).is_err(),
                    "library accepted byte {offset}"
                );
                assert!(
                    !batch_path_accepts(&s, &CONTEXT, &transfer),
                    "batch accepted byte {offset}"
                );
            }
        }
        // At least the five scalars (t_x, t_x_blinding, e_blinding, a, b) still decode.
        assert!(
            decoded >= 5,
            "only {decoded} forgeries reached the verifiers"
        );
    }

    #[test]
    fn tampered_ciphertexts_and_wrong_keys_are_refused() {
        let s = setup();
        let transfer = honest(&s, 300);
        let g = generators().g();
        let tampered = [
            TransferPoints {
                receiver_handle: transfer.points.receiver_handle + g,
                ..transfer.points
            },
            TransferPoints {
                sender_handle: transfer.points.sender_handle + g,
                ..transfer.points
            },
            TransferPoints {
                commitment: transfer.points.commitment + g,
                ..transfer.points
            },
            TransferPoints {
                remaining_commitment: transfer.points.remaining_commitment + g,
                ..transfer.points
            },
        ];
        for points in tampered {
            let bad = Transfer {
                points,
                ..transfer.clone()
            };
            assert!(verify(&s, &bad).is_err());
        }
        let mut rng = thread_rng();
        let carol = SecretKey::generate(&mut rng).public_key();
        let alice = s.alice.public_key();
        assert!(
            transfer
                .verify(&CONTEXT, &alice, &carol, &s.balance)
                .is_err(),
            "another receiver"
        );
        assert!(
            transfer
                .verify(&CONTEXT, &carol, &s.bob.public_key(), &s.balance)
                .is_err(),
            "another sender"
        );
        let (other_balance, _) = alice.encrypt(1_000, &mut rng);
        assert!(
            transfer
                .verify(&CONTEXT, &alice, &s.bob.public_key(), &other_balance)
                .is_err(),
            "stale balance"
        );
    }

    #[test]
    fn forged_proof_bytes_are_refused() {
        let s = setup();
        let bytes = honest(&s, 300).to_bytes();
        // One byte in each point and scalar region: points, range proof, both Σ-proofs.
        for offset in (0..Transfer::ENCODED_LEN)
            .step_by(32)
            .map(|start| start + 7)
        {
            let mut forged = bytes.clone();
            forged[offset] ^= 0x01;
            let accepted = Transfer::from_bytes(&forged).and_then(|transfer| verify(&s, &transfer));
            assert!(accepted.is_err(), "byte {offset} flipped");
        }
    }

    #[test]
    fn malleated_encodings_are_refused() {
        let s = setup();
        let bytes = honest(&s, 300).to_bytes();
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert_eq!(
            Transfer::from_bytes(&trailing).unwrap_err(),
            Error::Malformed("trailing bytes")
        );
        assert!(Transfer::from_bytes(&bytes[..bytes.len() - 1]).is_err());

        let mut identity = bytes.clone();
        identity[32..64].copy_from_slice(RistrettoPoint::identity().compress().as_bytes());
        assert_eq!(
            Transfer::from_bytes(&identity).unwrap_err(),
            Error::Malformed("receiver handle")
        );

        let mut not_a_point = bytes.clone();
        not_a_point[64..96].copy_from_slice(&[0xff; 32]);
        assert_eq!(
            Transfer::from_bytes(&not_a_point).unwrap_err(),
            Error::Malformed("amount commitment")
        );

        // The last scalar (equality z_b) plus the group order: same value mod ℓ, second encoding.
        let last = bytes.len() - 32;
        let mut unreduced = bytes.clone();
        let z = Scalar::from_canonical_bytes(bytes[last..].try_into().unwrap()).unwrap();
        let order_plus_z = add_group_order(z.as_bytes());
        if let Some(encoding) = order_plus_z {
            unreduced[last..].copy_from_slice(&encoding);
            assert_eq!(
                Transfer::from_bytes(&unreduced).unwrap_err(),
                Error::Malformed("equality proof z_b")
            );
        }

        // A non-canonical point inside the range proof (its T_1).
        let mut bad_range = bytes.clone();
        bad_range[128 + 64..128 + 96].copy_from_slice(&[0xff; 32]);
        assert_eq!(
            Transfer::from_bytes(&bad_range).unwrap_err(),
            Error::Malformed("range proof")
        );
    }

    /// `z + ℓ` as 32 little-endian bytes, when it fits in 256 bits (it does unless `z` is huge).
    fn add_group_order(z: &[u8; 32]) -> Option<[u8; 32]> {
        let order = {
            let mut order = (Scalar::ZERO - Scalar::ONE).to_bytes();
            order[0] += 1; // ℓ − 1 ends in 0xec, so no carry
            order
        };
        let mut out = [0u8; 32];
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = u16::from(z[i]) + u16::from(order[i]) + carry;
            out[i] = sum as u8;
            carry = sum >> 8;
        }
        (carry == 0).then_some(out)
    }

    #[test]
    fn batch_verifies_many_and_names_the_bad_one() {
        let mut rng = thread_rng();
        let setups: Vec<Setup> = (0..4).map(|_| setup()).collect();
        let transfers: Vec<Transfer> = setups.iter().map(|s| honest(s, 100)).collect();
        let keys: Vec<(PublicKey, PublicKey)> = setups
            .iter()
            .map(|s| (s.alice.public_key(), s.bob.public_key()))
            .collect();
        fn claims<'a>(
            transfers: &'a [Transfer],
            keys: &'a [(PublicKey, PublicKey)],
            setups: &'a [Setup],
        ) -> Vec<TransferClaim<'a>> {
            (0..transfers.len())
                .map(|i| TransferClaim {
                    transfer: &transfers[i],
                    context: CONTEXT,
                    sender: &keys[i].0,
                    receiver: &keys[i].1,
                    sender_balance: &setups[i].balance,
                })
                .collect()
        }
        let verified = verify_transfers(&claims(&transfers, &keys, &setups)).unwrap();
        assert_eq!(verified.len(), 4);
        for (v, s) in verified.iter().zip(&setups) {
            assert_eq!(
                s.bob.decrypt(&v.receiver_credit(), small_table()),
                Some(100)
            );
        }

        // Transfer 2 overdraws with a wrapped remainder: its range proof passes, its Σ part fails.
        let mut tampered = transfers.clone();
        let liar = &setups[2];
        tampered[2] = Transfer::assemble(
            &CONTEXT,
            &liar.alice,
            &liar.balance,
            &keys[2].1,
            1_001,
            1_000u64.wrapping_sub(1_001),
            &mut rng,
        )
        .unwrap();
        match verify_transfers(&claims(&tampered, &keys, &setups)).unwrap_err() {
            Error::Batch { index, source } => {
                assert_eq!(index, 2);
                assert_eq!(
                    *source,
                    Error::InvalidProof("transfer encryption or balance equality")
                );
            }
            other => panic!("unexpected {other:?}"),
        }

        // Transfer 1 claims a negative amount: only its range proof fails.
        let mut negative = transfers.clone();
        negative[1] = forge_negative_amount(&setups[1]);
        assert_eq!(
            verify_transfers(&claims(&negative, &keys, &setups)).unwrap_err(),
            Error::Batch {
                index: 1,
                source: Box::new(Error::RangeProof)
            }
        );
    }
}
