//! Confidential balances for medshare's reward accounts: seed 004 (Mo et al. 2022) read as what it
//! is — a PGC/Zether-style confidential payment — and rebuilt on well-kept primitives.
//!
//! * [`elgamal`]: twisted ElGamal on Ristretto255. A key is `pk = s·H`; an amount `v` with
//!   randomness `r` encrypts to `(X, Y) = (r·pk, v·G + r·H)`, where `G` and `H` are Bulletproofs'
//!   Pedersen generators `B` and `B_blinding`, so `Y` *is* a Bulletproofs commitment and
//!   ciphertexts add homomorphically. Decryption: `Y − s⁻¹·X = v·G`, then [`dlog::DlogTable`].
//! * [`sigma`]: Σ-protocols, Fiat–Shamir over merlin with `z = k + c·w` everywhere.
//! * [`transfer`] and [`withdraw`]: the ledger's statements, proved and verified as a whole.
//!
//! # The transfer relation, written out
//!
//! Public: sender key `pk_s`, receiver key `pk_r`, the sender's balance ciphertext `(X_b, Y_b)`,
//! the transfer ciphertexts `X_s, X_r, Y` and a fresh commitment `Y'` to the remaining balance.
//! Witness: the amount `v`, its randomness `r`, the sender's key `s`, the remaining balance
//! `b' = b − v` and its blinding `r'`. With `X_d = X_b − X_s` and `Y_d = Y_b − Y` (the sender's
//! balance after the transfer):
//!
//! 1. encryption to both keys with the same randomness (seed statements A-C):
//!    `X_s = r·pk_s`, `X_r = r·pk_r`, `Y = v·G + r·H`;
//!    proof `A_s = k_r·pk_s, A_r = k_r·pk_r, A_y = k_v·G + k_r·H`; `z_r = k_r + c·r`,
//!    `z_v = k_v + c·v`; checks `z_r·pk_s = A_s + c·X_s`, `z_r·pk_r = A_r + c·X_r`,
//!    `z_v·G + z_r·H = A_y + c·Y`;
//! 2. key ownership and remaining balance (seed statement D, made linear):
//!    `pk_s = s·H` and `X_d = s·(Y_d − Y') + r'·pk_s`, which says `Y_d − s⁻¹·X_d = Y' − r'·H`:
//!    the balance after the transfer decrypts to the value that `Y'` commits to;
//!    proof `B_1 = k_s·H, B_2 = k_s·(Y_d − Y') + k_{r'}·pk_s`; checks `z_s·H = B_1 + c·pk_s`,
//!    `z_s·(Y_d − Y') + z_{r'}·pk_s = B_2 + c·X_d`;
//! 3. range (seed statement E): one aggregated Bulletproof that `Y` and `Y'` commit to values in
//!    `[0, 2^64)` ([`RANGE_BITS`]); since deposits are public `u64`s no sum of balances can wrap
//!    modulo the group order, so `v ≥ 0` and `b − v ≥ 0` hold over the integers.
//!
//! All three run on one merlin transcript that first absorbs the domain, the kind, the
//! [`Context`] (chain id, sender account, nonce) and every statement field. A verifier folds
//! every Σ equation into one multiscalar multiplication with random weights, which is also how
//! [`transfer::verify_transfers`] batches.
//!
//! # Seed 004 errata and flaws fixed here (spec `seeds-003-004.md` §5.3)
//!
//! * E1 "KH-PKE" is BBS linear encryption, IND-CPA only, with `sk_h`/Eval undefined: we claim
//!   IND-CPA only and get integrity from the proofs, not from a keyed-homomorphic scheme.
//! * E1 Gen's `gsk = (x, y)` contradicts Dec's `1/γ, 1/α1`, and `X3` is unused: one key `s`,
//!   `pk = s·H`, two-component ciphertexts, decryption `Y − s⁻¹X`.
//! * E1 decryption needs a discrete log: [`dlog::DlogTable`] bounds it to `[0, 2^32)` and says so.
//! * E2 statements C/D use an undefined `h'`: one pair of generators `G, H` everywhere.
//! * E2 (7) `z_{t_j} = s_j − c·s_j`: every response is `z = k + c·w` of the witness it proves.
//! * E2 (11)/(12) put `C3^c`, `(C̃3/C3)^c` inside `Π_j`: statement terms appear once per equation.
//! * E2 the prover uses `g1^{r1+r2}` and `g^{−r1−r2}` where the verifier uses `g` and
//!   `g1^{z1+z2}`: prover and verifier share the relation's bases, written once per proof.
//! * E2 (13) indexes `a_j` with `t'_j`, (17)'s extractor and (29)'s `g2`/`cad'_j` are wrong: the
//!   per-digit set-membership proof is replaced by Bulletproofs, so those equations are gone.
//! * E2 `ℓ` is both the bit length and prover randomness: [`RANGE_BITS`] is the only bit length.
//! * E2 (32) "`d_j = 0` is likely": batching weights are uniform non-zero scalars (error `1/|G|`).
//! * (29) batches only the pairings inside one proof: [`transfer::verify_transfers`] folds the
//!   range proofs and Σ-proofs of many transfers into one multiscalar multiplication.
//! * E2 statement D raises to `1/x_{A1}` (an inverse of the witness) on the balance whose
//!   randomness the sender cannot know: a fresh commitment `Y'` to the remainder, tied to the
//!   balance by the linear relation 2, carries the range proof.
//! * E2 branch F's `h1` is never defined (a CRS trapdoor): removed; `H` is hash-to-group, so
//!   nobody knows `log_G H`, and zero knowledge is in the random-oracle model only.
//! * F1 the CCS08 range proof needs digit signatures `g^{1/(x+i)}` from a trusted issuer:
//!   Bulletproofs need no trusted setup.
//! * F1 the group signature plays no role in soundness: it is not part of this crate.
//! * `c̃ = H(a)` hashes only the commitments (weak Fiat–Shamir, malleable statements): the
//!   transcript absorbs the whole statement before any commitment.
//! * No context or replay binding: chain id, sender account and nonce enter the transcript, so a
//!   proof is void under another chain, account or nonce.
//! * No key validity: public keys must not be the identity and [`sigma::KeyProof`] proves
//!   knowledge of `s` when an account registers its key (no rogue or unknown-key accounts).
//! * F2 "hides sender and receiver": it does not; amounts are hidden, both keys are public.
//! * Encodings unspecified: fixed-length canonical encodings; decoding rejects non-canonical
//!   points and scalars, the identity where a point carries randomness, and trailing bytes.
//! * Redeem updates `C_B` while `B` may be proving against it: a proof is valid only against the
//!   exact balance it names ([`transfer::VerifiedTransfer::new_sender_balance`]); incoming
//!   credits must go to a pending balance (left to the ledger, see the README).
#![forbid(unsafe_code)]

pub mod dlog;
pub mod elgamal;
mod encoding;
mod range;
pub mod sigma;
pub mod transfer;
pub mod withdraw;

use std::sync::OnceLock;

use bulletproofs::{BulletproofGens, PedersenGens};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;

pub use dlog::DlogTable;
pub use elgamal::{Ciphertext, Opening, PublicKey, SecretKey};
pub use transfer::{Transfer, TransferClaim, VerifiedTransfer, verify_transfers};
pub use withdraw::{VerifiedWithdraw, Withdraw};

/// Bits of every range proof: amounts and balances are `u64`s, as public reward amounts are.
pub const RANGE_BITS: usize = 64;

/// Why a proof, an encoding or a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("malformed encoding: {0}")]
    Malformed(&'static str),
    #[error("overdraft: amount {amount} exceeds the balance {balance}")]
    Overdraft { amount: u64, balance: u64 },
    #[error("the secret key does not decrypt the balance to the stated amount")]
    BalanceMismatch,
    #[error("range proof rejected")]
    RangeProof,
    #[error("Σ-proof rejected: {0}")]
    InvalidProof(&'static str),
    #[error("proving failed: {0}")]
    Proving(String),
    #[error("item {index} of the batch: {source}")]
    Batch { index: usize, source: Box<Error> },
}

/// What a proof is bound to, so it cannot be lifted to another chain, account or transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context<'a> {
    pub chain_id: &'a [u8],
    /// The account that signs the transaction carrying the proof (the sender).
    pub account: &'a [u8],
    /// The account's transaction nonce: a replayed proof names a spent nonce.
    pub nonce: u64,
}

impl Context<'_> {
    /// A transcript for one proof kind, bound to this context before any statement field.
    pub(crate) fn transcript(&self, kind: &'static [u8]) -> Transcript {
        let mut transcript = Transcript::new(b"medshare-confidential/v1");
        transcript.append_message(b"kind", kind);
        transcript.append_message(b"chain-id", self.chain_id);
        transcript.append_message(b"account", self.account);
        transcript.append_u64(b"nonce", self.nonce);
        transcript
    }
}

/// The fixed generators: `G`, `H` for ciphertexts and commitments, and the range proofs' vectors.
pub(crate) struct Generators {
    pub(crate) pedersen: PedersenGens,
    pub(crate) bulletproofs: BulletproofGens,
    /// The same vectors as `bulletproofs`, for batch verification (the library keeps its private).
    pub(crate) range: range::RangeGenerators,
}

impl Generators {
    /// The amount base `G` (Bulletproofs' `B`, the Ristretto basepoint).
    pub(crate) fn g(&self) -> RistrettoPoint {
        self.pedersen.B
    }

    /// The randomness base `H` (Bulletproofs' `B_blinding`, hash-to-group of `G`).
    pub(crate) fn h(&self) -> RistrettoPoint {
        self.pedersen.B_blinding
    }
}

/// Built once: the Bulletproofs vectors cost a few milliseconds of hashing.
pub(crate) fn generators() -> &'static Generators {
    static GENERATORS: OnceLock<Generators> = OnceLock::new();
    GENERATORS.get_or_init(|| Generators {
        pedersen: PedersenGens::default(),
        // Two values per proof at most (a transfer's amount and remainder).
        bulletproofs: BulletproofGens::new(RANGE_BITS, 2),
        range: range::RangeGenerators::new(RANGE_BITS, 2),
    })
}

/// A challenge scalar from 64 transcript bytes (uniform modulo the group order).
pub(crate) fn challenge_scalar(transcript: &mut Transcript, label: &'static [u8]) -> Scalar {
    let mut bytes = [0u8; 64];
    transcript.challenge_bytes(label, &mut bytes);
    Scalar::from_bytes_mod_order_wide(&bytes)
}

/// Absorbs a point by its canonical encoding.
pub(crate) fn append_point(
    transcript: &mut Transcript,
    label: &'static [u8],
    point: &RistrettoPoint,
) {
    transcript.append_message(label, point.compress().as_bytes());
}
