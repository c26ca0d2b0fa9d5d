//! A withdrawal: a public amount leaves the confidential balance, with a proof that what stays
//! is in `[0, 2^64)` — the equality proof of a transfer applied to `(X_b, Y_b − v·G)`.

use bulletproofs::RangeProof;
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};

use crate::elgamal::{Ciphertext, Opening, PublicKey, SecretKey};
use crate::encoding::{Reader, decode_range_proof, range_proof_len};
use crate::sigma::{BalanceEquality, EqualityProof, Equations};
use crate::{Context, Error, RANGE_BITS, append_point, generators};

const RANGE_PROOF_LEN: usize = range_proof_len(RANGE_BITS, 1);

/// A withdrawal of a public `amount` from a confidential balance.
#[derive(Clone, Debug)]
pub struct Withdraw {
    amount: u64,
    /// `Y' = (b − v)·G + r'·H`, the remainder the range proof is about.
    remaining_commitment: RistrettoPoint,
    range: RangeProof,
    equality: EqualityProof,
}

impl Withdraw {
    /// Amount, one point, a 64-bit range proof and the equality proof: 840 bytes.
    pub const ENCODED_LEN: usize = 8 + 32 + RANGE_PROOF_LEN + EqualityProof::ENCODED_LEN;

    /// Proves a withdrawal of `amount` from `sender_balance`, which must decrypt to `balance`.
    pub fn prove<R: RngCore + CryptoRng>(
        context: &Context,
        sender: &SecretKey,
        sender_balance: &Ciphertext,
        balance: u64,
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
            amount,
            balance - amount,
            rng,
        )
    }

    /// Builds the proof for the claimed `remaining` without checking it (the tests lie through it).
    fn assemble<R: RngCore + CryptoRng>(
        context: &Context,
        sender: &SecretKey,
        sender_balance: &Ciphertext,
        amount: u64,
        remaining: u64,
        rng: &mut R,
    ) -> Result<Self, Error> {
        let gens = generators();
        let sender_key = sender.public_key();
        let remaining_opening = Opening::random(rng);
        let remaining_commitment = gens
            .pedersen
            .commit(Scalar::from(remaining), remaining_opening.0);
        let mut transcript = transcript(
            context,
            &sender_key,
            sender_balance,
            amount,
            &remaining_commitment,
        );
        let (range, _) = RangeProof::prove_single_with_rng(
            &gens.bulletproofs,
            &gens.pedersen,
            &mut transcript,
            remaining,
            &remaining_opening.0,
            RANGE_BITS,
            rng,
        )
        .map_err(|e| Error::Proving(e.to_string()))?;
        let after = *sender_balance - Ciphertext::public_amount(amount);
        let equality = EqualityProof::prove(
            &mut transcript,
            &BalanceEquality {
                owner: &sender_key,
                balance: &after,
                commitment: &remaining_commitment,
            },
            sender,
            &remaining_opening,
            rng,
        );
        Ok(Self {
            amount,
            remaining_commitment,
            range,
            equality,
        })
    }

    pub fn amount(&self) -> u64 {
        self.amount
    }

    /// Checks the withdrawal against the sender's balance as the ledger holds it now.
    pub fn verify(
        &self,
        context: &Context,
        sender: &PublicKey,
        sender_balance: &Ciphertext,
    ) -> Result<VerifiedWithdraw, Error> {
        let gens = generators();
        let mut transcript = transcript(
            context,
            sender,
            sender_balance,
            self.amount,
            &self.remaining_commitment,
        );
        self.range
            .verify_single_with_rng(
                &gens.bulletproofs,
                &gens.pedersen,
                &mut transcript,
                &self.remaining_commitment.compress(),
                RANGE_BITS,
                &mut rand::thread_rng(),
            )
            .map_err(|_| Error::RangeProof)?;
        let after = *sender_balance - Ciphertext::public_amount(self.amount);
        let mut equations = Equations::default();
        self.equality.verify(
            &mut transcript,
            &BalanceEquality {
                owner: sender,
                balance: &after,
                commitment: &self.remaining_commitment,
            },
            &mut equations,
        );
        if !equations.hold() {
            return Err(Error::InvalidProof("withdraw balance equality"));
        }
        Ok(VerifiedWithdraw {
            amount: self.amount,
            new_sender_balance: after,
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::ENCODED_LEN);
        out.extend_from_slice(&self.amount.to_le_bytes());
        out.extend_from_slice(self.remaining_commitment.compress().as_bytes());
        out.extend_from_slice(&self.range.to_bytes());
        self.equality.write(&mut out);
        out
    }

    /// Exactly [`Self::ENCODED_LEN`] bytes, every point and scalar canonical.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut reader = Reader::new(bytes);
        let amount = reader.u64("amount")?;
        let remaining_commitment = reader.point("remaining commitment")?;
        let range = decode_range_proof(
            reader.bytes(RANGE_PROOF_LEN, "range proof")?,
            RANGE_PROOF_LEN,
            "range proof",
        )?;
        let equality = EqualityProof::read(&mut reader)?;
        reader.finish()?;
        Ok(Self {
            amount,
            remaining_commitment,
            range,
            equality,
        })
    }
}

fn transcript(
    context: &Context,
    sender: &PublicKey,
    sender_balance: &Ciphertext,
    amount: u64,
    remaining_commitment: &RistrettoPoint,
) -> Transcript {
    let mut transcript = context.transcript(b"withdraw");
    append_point(&mut transcript, b"pk", sender.point());
    transcript.append_message(b"balance", &sender_balance.to_bytes());
    transcript.append_u64(b"amount", amount);
    append_point(&mut transcript, b"Y'", remaining_commitment);
    transcript
}

/// A withdrawal that verified: the public amount to credit and the balance to store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifiedWithdraw {
    amount: u64,
    new_sender_balance: Ciphertext,
}

impl VerifiedWithdraw {
    pub fn amount(&self) -> u64 {
        self.amount
    }

    pub fn new_sender_balance(&self) -> Ciphertext {
        self.new_sender_balance
    }
}

#[cfg(test)]
mod tests {
    use rand::thread_rng;

    use super::*;
    use crate::dlog::tests::small_table;

    const CONTEXT: Context = Context {
        chain_id: b"medshare-test",
        account: b"alice",
        nonce: 3,
    };

    fn setup() -> (SecretKey, Ciphertext) {
        let mut rng = thread_rng();
        let alice = SecretKey::generate(&mut rng);
        let (balance, _) = alice.public_key().encrypt(500, &mut rng);
        (alice, balance)
    }

    #[test]
    fn honest_withdraw_reveals_the_amount_and_keeps_the_rest() {
        let (alice, balance) = setup();
        let withdraw =
            Withdraw::prove(&CONTEXT, &alice, &balance, 500, 120, &mut thread_rng()).unwrap();
        let bytes = withdraw.to_bytes();
        assert_eq!(bytes.len(), Withdraw::ENCODED_LEN);
        let decoded = Withdraw::from_bytes(&bytes).unwrap();
        let verified = decoded
            .verify(&CONTEXT, &alice.public_key(), &balance)
            .unwrap();
        assert_eq!(verified.amount(), 120);
        assert_eq!(
            alice.decrypt(&verified.new_sender_balance(), small_table()),
            Some(380)
        );
    }

    #[test]
    fn overdraft_is_refused_by_prover_and_verifier() {
        let (alice, balance) = setup();
        let mut rng = thread_rng();
        assert_eq!(
            Withdraw::prove(&CONTEXT, &alice, &balance, 500, 501, &mut rng).unwrap_err(),
            Error::Overdraft {
                amount: 501,
                balance: 500
            }
        );
        let lie = Withdraw::assemble(
            &CONTEXT,
            &alice,
            &balance,
            501,
            500u64.wrapping_sub(501),
            &mut rng,
        )
        .unwrap();
        assert_eq!(
            lie.verify(&CONTEXT, &alice.public_key(), &balance)
                .unwrap_err(),
            Error::InvalidProof("withdraw balance equality")
        );
    }

    #[test]
    fn changed_amount_context_or_key_is_refused() {
        let (alice, balance) = setup();
        let mut rng = thread_rng();
        let withdraw = Withdraw::prove(&CONTEXT, &alice, &balance, 500, 120, &mut rng).unwrap();
        let mut bytes = withdraw.to_bytes();
        bytes[..8].copy_from_slice(&121u64.to_le_bytes());
        let inflated = Withdraw::from_bytes(&bytes).unwrap();
        assert!(
            inflated
                .verify(&CONTEXT, &alice.public_key(), &balance)
                .is_err(),
            "amount changed"
        );
        let replay = Context {
            nonce: 4,
            ..CONTEXT
        };
        assert!(
            withdraw
                .verify(&replay, &alice.public_key(), &balance)
                .is_err(),
            "replayed"
        );
        let mallory = SecretKey::generate(&mut rng).public_key();
        assert!(
            withdraw.verify(&CONTEXT, &mallory, &balance).is_err(),
            "another key"
        );
        let (other_balance, _) = alice.public_key().encrypt(500, &mut rng);
        assert!(
            withdraw
                .verify(&CONTEXT, &alice.public_key(), &other_balance)
                .is_err(),
            "another balance"
        );
    }

    #[test]
    fn encoding_is_strict() {
        let (alice, balance) = setup();
        let bytes = Withdraw::prove(&CONTEXT, &alice, &balance, 500, 1, &mut thread_rng())
            .unwrap()
            .to_bytes();
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert_eq!(
            Withdraw::from_bytes(&trailing).unwrap_err(),
            Error::Malformed("trailing bytes")
        );
        assert!(Withdraw::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        let mut not_a_point = bytes.clone();
        not_a_point[8..40].copy_from_slice(&[0xff; 32]);
        assert_eq!(
            Withdraw::from_bytes(&not_a_point).unwrap_err(),
            Error::Malformed("remaining commitment")
        );
    }
}
