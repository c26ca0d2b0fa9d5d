//! BBS04 short group signatures on BLS12-381: the identity-privacy half of seed 000's supervisory
//! mechanism.
//!
//! Boneh, Boyen, Shacham, "Short Group Signatures", CRYPTO 2004 (BBS04). Seed 000 uses them for
//! operation 1 (group enrollment: the authority T issues a member key), for `A_info` in
//! Algorithm 3 (the owner signs the authorization under T's group key) and for operation 5
//! (ownership traceability: T's opening key names the member, `t`; anyone else learns only the
//! group, `t'`, see [`trace_group`]).
//!
//! | paper | here |
//! |---|---|
//! | KeyGen: `gpk = (g1, g2, h, u, v, w)`, `gmsk = (ξ1, ξ2)`, `γ` | [`generate_group`] → [`GroupPublicKey`], [`OpeningKey`], [`IssuingKey`] |
//! | `gsk[i] = (A_i, x_i)`, `A_i = g1^{1/(γ+x_i)}` | [`IssuingKey::enroll`], [`MemberKey`] |
//! | Sign / Verify: a linear encryption of `A_i` and a signature of knowledge that it encrypts an SDH pair (Protocol 1 made non-interactive) | [`MemberKey::sign`], [`GroupPublicKey::verify`]: the same statement, proven differently (below) |
//! | — | batch verification: [`GroupPublicKey::verify_batch`], [`verify_batch`] (several groups at once), [`find_invalid`] |
//! | Open: `A = T3 / (T1^ξ1 · T2^ξ2)` | [`OpeningKey::open`] |
//! | Revocation (the paper's section on revocation; seed 000's missing exit mechanism) | [`IssuingKey::revoke`], [`GroupPublicKey::apply`], [`MemberKey::update`] |
//!
//! The code writes the groups additively: `α·u` is the paper's `u^α`.
//!
//! Departures from the paper, on purpose:
//! - BLS12-381 is a type-3 pairing: there is no efficient `ψ: G2 → G1`, so `g1` and `g2` are
//!   independent generators and revocation publishes the new generator in both groups. Security
//!   rests on the type-3 q-SDH and decision-linear assumptions in G1.
//! - The signature of knowledge proves the paper's statement with a different proof: the
//!   signer needs no pairing, and the verifier's checks are linear in the signature's points,
//!   so validators verify many signatures with one multi-scalar multiplication and one final
//!   exponentiation ("The signature of knowledge" below). The price is size: 1161 bytes
//!   instead of the 344 of the paper's form on this curve.
//! - The Fiat-Shamir challenge is domain separated and hashes the whole group public key
//!   (epoch included), the message and every point of the signature, so a signature is bound
//!   to one group and one epoch.
//! - Signature points travel uncompressed and are not checked for subgroup membership; every
//!   check works on their projection onto G1 instead (the `torsion` module).
//! - Every key carries an epoch that advances on revocation; a signature names its epoch and
//!   verifies only under the group key of that epoch.
//!
//! # The signature of knowledge
//!
//! The statement (BBS04 §4, Protocol 1): `(T1, T2, T3) = (α·u, β·v, A + (α+β)·h)` encrypts an
//! `A` with `(γ + x)·A = g1` for some `x`, i.e. an SDH pair for the group's `γ`.
//!
//! The paper proves the pairing half of it with a commitment `R3` in the target group GT. Here
//! the signer re-randomizes its key instead, `A' = r·A` for a fresh `r`, and sends `Ā = γ·A'`,
//! computed without `γ` as `r·g1 − x·A'`. The verifier checks `e(A', w) = e(Ā, g2)`, and a
//! Schnorr-type proof in G1 (a proof of knowledge of a preimage under a group homomorphism:
//! Maurer, "Unifying zero-knowledge proofs of knowledge", AFRICACRYPT 2009) shows knowledge of
//! `(α, β, r, r', x, δ)` with
//!
//! ```text
//! E1  T1 = α·u            E4  Ā  = r·g1 − x·A'
//! E2  T2 = β·v            E5  g1 = r'·Ā + δ·A'
//! E3  T3 = r'·A' + (α+β)·h
//! ```
//!
//! (the honest signer uses `r' = 1/r`, `δ = x/r`). This is how BBS+ signatures are proven
//! without the prover computing pairings (Camenisch, Drijvers, Lehmann, "Anonymous attestation
//! using the strong Diffie Hellman assumption revisited", TRUST 2016, §4; Tessaro, Zhu,
//! "Revisiting BBS signatures", EUROCRYPT 2023; the IETF BBS draft's ProofGen), applied to
//! BBS04's linearly encrypted `A`.
//!
//! *Soundness.* From two accepting transcripts with the same commitments (forking lemma) the
//! extractor obtains witnesses of E1–E5. The pairing check gives `Ā = γ·A'`. Then E4 gives
//! `(γ + x)·A' = r·g1` and E5 gives `(r'·γ + δ)·A' = g1`, so `A' ≠ 0` and
//! `γ·(1 − r·r') = r·δ − x`. If `r·r' ≠ 1` the extractor has computed `γ`, the discrete
//! logarithm of `w`, which q-SDH rules out. So `r·r' = 1`, `x = r·δ`, and `A = r'·A'` satisfies
//! `(γ + x)·A = r'·r·g1 = g1`; E3 with E1, E2 says `(T1, T2, T3)` encrypts this `A`. That is
//! the paper's statement, so its traceability argument (q-SDH) applies unchanged: the opener
//! recovers an SDH pair, which is a member's key or a q-SDH solution.
//!
//! *Anonymity.* `A' = r·A` is uniform in G1 \ {0} whatever `A` is, and `Ā = γ·A'` is a
//! function of `A'`: the pair says nothing about the signer. The rest is the paper's linear
//! encryption (decision linear) and an honest-verifier zero-knowledge proof, simulated by
//! programming the random oracle as in the paper; the paper's anonymity reduction knows `γ`,
//! so it produces `(A', Ā)` for its simulated signatures.
//!
//! *Commitment form.* The signature carries the commitments `R1..R5` and the responses
//! `s = k + c·witness`; the verifier recomputes `c = H(…, R1..R5)` and checks
//! `φ(s) = R + c·statement` equation by equation. Accepted signatures of this form and of the
//! paper's challenge form `(c, s)` are in bijection (`R` is determined by `(c, s)` and the
//! statement; `c` by `R` and the hash), so both are exactly as sound; only the commitment form
//! makes the checks linear in the signature's elements, hence batchable (as EdDSA does:
//! Bernstein, Duif, Lange, Schwabe, Yang, "High-speed high-security signatures", 2012, §4).
//!
//! *Batch verification* ([`verify_batch`]). Every check of every signature gets an independent
//! uniform 64-bit weight and all are folded into one pairing-product equation; G1 checks enter
//! it through `e(·, g2)`, which is injective on G1. All values live in groups of prime order
//! `r` when weighted (the projection of the `torsion` module), so a non-zero discrepancy survives all
//! but one value of its weight modulo `r`: a batch with an invalid signature passes with
//! probability at most 2^-64 — the small-exponent test of Bellare, Garay, Rabin, "Fast batch
//! verification for modular exponentiation and digital signatures", EUROCRYPT 1998, as applied
//! to pairing equations by Camenisch, Hohenberger, Pedersen, "Batch verification of short
//! signatures", EUROCRYPT 2007. The weights come from the verifier's own random generator:
//! whoever makes the signatures must not know them. A valid batch always passes, and a single
//! verification is the batch of one, so every verifier accepts exactly the same signatures up
//! to that 2^-64.
//!
//! *What decoding checks.* The version byte, the exact length, every point's flag bits and
//! coordinates below `p`, every point on the curve and not the identity, every scalar below
//! `r`. Not subgroup membership (the `torsion` module explains why it is not needed and what it would
//! cost). The signature holds no GT element, so the GT-membership test a commitment in GT would
//! need before batching (the Frobenius test of Scott, "A note on group membership tests for
//! G1, G2 and GT on BLS pairing-friendly curves", ePrint 2021/1130) never arises.
//!
//! Revocation publishes the revoked member's `x*` and the old-epoch generator `g1^{1/(γ+x*)}`,
//! which *is* that member's old-epoch key `A*`. So once an epoch is closed anyone can produce
//! signatures for it: a verifier must accept a signature only for the group's current epoch at
//! the time it first sees it (the ledger: when the transaction is included), and old-epoch
//! signatures are trustworthy only if they were recorded before the epoch closed.
//!
//! ```
//! use medshare_crypto::groupsig::{MemberRegistry, generate_group, trace_group};
//!
//! let rng = &mut rand::thread_rng();
//! // The authority T creates its group and enrolls two members (operation 1).
//! let (gpk, issuing, opening) = generate_group(rng);
//! let mut registry = MemberRegistry::new(&gpk);
//! let alice = registry.enroll(&issuing, &gpk, "alice", rng)?;
//! let bob = registry.enroll(&issuing, &gpk, "bob", rng)?;
//!
//! // Alice signs an authorization (Algorithm 3's A_info); anyone verifies it...
//! let sig = alice.sign(&gpk, b"authorization", rng)?;
//! gpk.verify(b"authorization", &sig)?;
//! // Validators verify many at once, and on failure find the bad ones.
//! let other = bob.sign(&gpk, b"another authorization", rng)?;
//! let batch = [(&b"authorization"[..], &sig), (&b"another authorization"[..], &other)];
//! gpk.verify_batch(&batch, rng)?;
//! // ...and learns the group (t'), only T learns the member (t, operation 5).
//! assert_eq!(trace_group(&[("T", &gpk)], b"authorization", &sig), Some("T"));
//! let who = opening.open(&gpk, &registry, b"authorization", &sig)?;
//! assert_eq!(registry.identity(who), Some("alice"));
//!
//! // T revokes Alice; the chain applies the revocation, Bob updates from public data.
//! let (revocation, next) = registry.revoke(&issuing, &gpk, alice.index())?;
//! assert_eq!(gpk.apply(&revocation)?, next);
//! let bob = bob.update(&revocation)?;
//! next.verify(b"later", &bob.sign(&next, b"later", rng)?)?;
//! assert!(alice.update(&revocation).is_err());
//! # Ok::<(), medshare_crypto::groupsig::GroupSigError>(())
//! ```

mod encoding;
mod error;
mod keys;
mod msm;
mod open;
mod registry;
mod revocation;
mod signature;
#[cfg(test)]
mod tests;
mod torsion;
mod verify;

pub use error::GroupSigError;
pub use keys::{GroupPublicKey, IssuingKey, MemberKey, OpeningKey, generate_group};
pub use open::trace_group;
pub use registry::MemberRegistry;
pub use revocation::Revocation;
pub use signature::Signature;
pub use verify::{find_invalid, verify_batch};

/// A member's number within its group, given by the authority at enrollment.
pub type MemberIndex = u64;

/// How many revocations a group has gone through; 0 at creation.
pub type Epoch = u64;

/// Results of this module.
pub type Result<T, E = GroupSigError> = std::result::Result<T, E>;
