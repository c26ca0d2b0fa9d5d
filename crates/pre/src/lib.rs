//! Threshold proxy re-encryption for medshare's storage peers (Umbral, Nuñez 2018, on
//! Ristretto255).
//!
//! A data owner (the *delegator*) encapsulates a 32-byte symmetric key under a per-MDA
//! delegating key and gets a [`Capsule`]. To share it with a recipient, the delegator signs a
//! [`Delegation`] (MDA, recipient, `t`-of-`n`, expiry) and splits a re-encryption key into `n`
//! key fragments ([`generate_kfrags`]), one per storage peer. Each peer checks its fragment
//! ([`KFrag::verify`]) and turns the capsule into a capsule fragment with a proof of correct
//! re-encryption ([`VerifiedKFrag::reencrypt`]). The recipient checks every fragment
//! ([`CFrag::verify`]) and recovers the key from any `t` of them ([`decapsulate_reencrypted`]);
//! fewer than `t` reveal nothing. [`seal`] / [`open_original`] / [`open_reencrypted`] wrap a
//! payload (an MDA's data key) with ChaCha20-Poly1305 under the encapsulated key.
//!
//! ```
//! use medshare_pre::*;
//! # fn main() -> Result<(), Error> {
//! let mut rng = rand::rngs::OsRng;
//! // Delegator: one delegating key per MDA, from its master secret.
//! let master = MasterSecret::random(&mut rng);
//! let mda_id = [7u8; 32];
//! let delegating = SecretKey::derive(&master, &mda_id);
//! let signer = Signer::derive(&master, b"kfrag signer");
//! let (capsule, sealed) = seal(&delegating.public_key(), b"the MDA's data key", b"", &mut rng);
//! // Delegator grants a recipient 2-of-3 through three storage peers, until height 100.
//! let recipient = SecretKey::random(&mut rng);
//! let delegation = Delegation::new(
//!     mda_id, delegating.public_key(), signer.verifying_key(), recipient.public_key(), 2, 3, 100,
//! )?;
//! let kfrags = generate_kfrags(&delegating, &signer, &delegation, &mut rng)?;
//! // Each peer checks its fragment and re-encrypts; the recipient checks and combines two.
//! let mut cfrags = Vec::new();
//! for kfrag in &kfrags[..2] {
//!     let at_peer = KFrag::from_bytes(&kfrag.to_bytes()[..])?.verify(&delegation)?;
//!     let bytes = at_peer.reencrypt(&capsule, 42, &mut rng)?.to_bytes();
//!     cfrags.push(CFrag::from_bytes(&bytes)?.verify(&capsule, &delegation)?);
//! }
//! let opened = open_reencrypted(&recipient, &delegation, &capsule, &cfrags, &sealed, b"")?;
//! assert_eq!(&opened[..], b"the MDA's data key");
//! # Ok(())
//! # }
//! ```
//!
//! # What this fixes in seed 001 (Huang et al. 2020, §4.2.8-4.2.9; spec A.5)
//!
//! - **A working, analysed scheme instead of the printed equations**: Umbral's KEM/DEM and
//!   re-encryption, because the paper's `ReEncrypt`/`Decrypt` mix groups and do not decrypt.
//! - **The re-encryption key involves the recipient's key**: fragments are bound to
//!   `recipient` through a Diffie-Hellman precursor, because the paper's `RK_{p→d}` never uses
//!   `PK_d`, so nothing was delegated *to d*.
//! - **No PKG**: every key is generated (or derived) by its owner, because a key-generation centre
//!   that also picks the encryption randomness can decrypt everything.
//! - **No single proxy**: `t`-of-`n` fragments across storage peers, because one semi-trusted
//!   cloud (with the recipient) could re-encrypt anything; fewer than `t` colluding peers learn
//!   nothing and cannot re-encrypt.
//! - **Re-encryption is proved, not assumed**: each capsule fragment carries a DLEQ proof
//!   (Fiat–Shamir) against the delegator-signed commitment of its key fragment, because the paper
//!   only *assumes* the cloud "cannot modify" data; a wrong fragment is rejected by the recipient.
//! - **Fragments are bound to one delegation**: every key fragment is signed by the delegator over
//!   the [`DelegationId`] (MDA, both keys, threshold, expiry), because otherwise a peer could
//!   reuse a fragment for another MDA, recipient or expiry.
//! - **Capsule fragments are bound to one capsule**: the proof covers the capsule, so a fragment
//!   computed for one capsule is rejected for another.
//! - **Per-MDA delegating keys** ([`SecretKey::derive`]), because key fragments are not bound to a
//!   ciphertext: a recipient colluding with `t` peers could open every capsule under the same
//!   delegating key (pyUmbral #257), so each MDA gets its own.
//! - **Expiry enforced by the peer** ([`VerifiedKFrag::reencrypt`] refuses past
//!   `expires_at`), because the paper's conversion key is valid forever; revocation before
//!   expiry is chain state the peer checks before calling in.
//! - **Strict canonical encodings**: non-canonical or identity points, non-canonical scalars and
//!   wrong lengths are refused, because malleable encodings let one fragment take many forms.
//! - **Secrets are zeroized and never printed**, because key fragments and data keys live in
//!   long-running peer and client processes.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod capsule;
mod cfrag;
mod delegation;
mod encoding;
mod error;
mod hash;
mod keys;
mod kfrag;

pub use capsule::{
    CAPSULE_SIZE, Capsule, DataKey, decapsulate_original, encapsulate, open_original, seal,
};
pub use cfrag::{CFRAG_SIZE, CFrag, VerifiedCFrag, decapsulate_reencrypted, open_reencrypted};
pub use delegation::{DELEGATION_SIZE, Delegation, DelegationId};
pub use error::Error;
pub use keys::{MasterSecret, PublicKey, SecretKey, Signer, VerifyingKey};
pub use kfrag::{KFRAG_SIZE, KFrag, VerifiedKFrag, generate_kfrags};
