//! A plain signed note without any privacy: the no-privacy baseline of seed 000 Table VI. Each
//! author's notes carry strictly increasing nonces, so a note cannot be replayed. Accepted only
//! when genesis sets `benchmark_notes`.

use super::{ApplyContext, Body, CheckContext, Claims, Operation, signed_message};
use crate::{error::TxError, kind::Kind, state, types::read_bytes};
use bytes::Buf;
use commonware_codec::{Error as CodecError, ReadExt, Write};
use commonware_cryptography::{Signer, Verifier as _, ed25519};

/// Namespace of baseline notes' ed25519 signatures.
pub const NOTE_NAMESPACE: &[u8] = b"medshare/note";
/// Largest note payload.
pub const MAX_NOTE: usize = 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub author: ed25519::PublicKey,
    pub nonce: u64,
    pub payload: Vec<u8>,
    pub signature: ed25519::Signature,
}

impl Body for Note {
    const KIND: Kind = Kind::Note;
    fn read(buf: &mut impl Buf) -> Result<Self, CodecError> {
        Ok(Self {
            author: ed25519::PublicKey::read(buf)?,
            nonce: u64::read(buf)?,
            payload: read_bytes(buf, MAX_NOTE)?,
            signature: ed25519::Signature::read(buf)?,
        })
    }
}

impl Operation for Note {
    fn write_fields(&self, buf: &mut Vec<u8>) {
        self.author.write(buf);
        self.nonce.write(buf);
        self.payload.write(buf);
    }

    fn write_authentication(&self, buf: &mut Vec<u8>) {
        self.signature.write(buf);
    }

    fn check(&self, ctx: &CheckContext<'_>) -> Result<Claims, TxError> {
        // Free to send and unlinked to any member: on a real consortium anyone could fill
        // blocks with them, so only a benchmark genesis turns them on.
        if !ctx.chain.notes {
            return Err(TxError::NotesDisabled);
        }
        if !self
            .author
            .verify(NOTE_NAMESPACE, &ctx.message, &self.signature)
        {
            return Err(TxError::BadNoteSignature);
        }
        Ok(Claims::default())
    }

    fn apply(&self, ctx: &mut ApplyContext<'_, '_>) -> Result<Option<u64>, TxError> {
        let key = state::nonce_key(self.author.as_ref());
        let last = state::read::<u64>(ctx.state, &key);
        if let Some(last) = last.filter(|last| self.nonce <= *last) {
            return Err(TxError::StaleNonce {
                got: self.nonce,
                last,
            });
        }
        state::write(ctx.state, key, &self.nonce);
        Ok(None)
    }
}

/// A plain signed note.
pub fn note(chain_id: &str, author: &ed25519::PrivateKey, nonce: u64, payload: Vec<u8>) -> Note {
    let mut body = Note {
        author: author.public_key(),
        nonce,
        payload,
        signature: author.sign(NOTE_NAMESPACE, b""),
    };
    body.signature = author.sign(NOTE_NAMESPACE, &signed_message(chain_id, Note::KIND, &body));
    body
}
