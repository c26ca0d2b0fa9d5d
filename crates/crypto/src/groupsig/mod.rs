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
//! | Sign / Verify (the signature of knowledge of the SDH pair, Protocol 1 made non-interactive) | [`MemberKey::sign`], [`GroupPublicKey::verify`] |
//! | Open: `A = T3 / (T1^ξ1 · T2^ξ2)` | [`OpeningKey::open`] |
//! | Revocation (the paper's section on revocation; seed 000's missing exit mechanism) | [`IssuingKey::revoke`], [`GroupPublicKey::apply`], [`MemberKey::update`] |
//!
//! Departures from the paper, on purpose:
//! - BLS12-381 is a type-3 pairing: there is no efficient `ψ: G2 → G1`, so `g1` and `g2` are
//!   independent generators and revocation publishes the new generator in both groups. Security
//!   rests on the type-3 q-SDH and decision-linear assumptions in G1.
//! - The Fiat-Shamir challenge is domain separated and hashes the whole group public key
//!   (epoch included), the message and all commitments, so a signature is bound to one group
//!   and one epoch.
//! - Every key carries an epoch that advances on revocation; a signature names its epoch and
//!   verifies only under the group key of that epoch.
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

pub use error::GroupSigError;
pub use keys::{GroupPublicKey, IssuingKey, MemberKey, OpeningKey, generate_group};
pub use open::trace_group;
pub use registry::MemberRegistry;
pub use revocation::Revocation;
pub use signature::Signature;

/// A member's number within its group, given by the authority at enrollment.
pub type MemberIndex = u64;

/// How many revocations a group has gone through; 0 at creation.
pub type Epoch = u64;

/// Results of this module.
pub type Result<T, E = GroupSigError> = std::result::Result<T, E>;
