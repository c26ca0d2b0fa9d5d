//! Twisted ElGamal on Ristretto255: `pk = s·H`, `Enc(v; r) = (r·pk, v·G + r·H)`.
//!
//! The second component is a Pedersen commitment under Bulletproofs' generators, so the same
//! ciphertext feeds range proofs directly, and ciphertexts under one key add up to an encryption
//! of the sum (how the ledger updates balances without reading them).

use std::ops::{Add, Sub};

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, IsIdentity};
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::encoding::{Reader, decode_point, decode_scalar};
use crate::{DlogTable, Error, generators};

/// An account's decryption key `s` with its inverse cached (decryption multiplies by `s⁻¹`).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey {
    scalar: Scalar,
    inverse: Scalar,
}

impl SecretKey {
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        loop {
            let scalar = Scalar::random(rng);
            if scalar != Scalar::ZERO {
                return Self::from_scalar(scalar);
            }
        }
    }

    fn from_scalar(scalar: Scalar) -> Self {
        Self {
            scalar,
            inverse: scalar.invert(),
        }
    }

    pub(crate) fn scalar(&self) -> &Scalar {
        &self.scalar
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_point(self.scalar * generators().h())
    }

    /// `v·G` for the `v` that `ciphertext` encrypts: the part of decryption that needs no search.
    pub fn decrypt_to_point(&self, ciphertext: &Ciphertext) -> RistrettoPoint {
        ciphertext.commitment - self.inverse * ciphertext.handle
    }

    /// The amount, if it is below `2^32` (the range [`DlogTable`] searches).
    pub fn decrypt(&self, ciphertext: &Ciphertext, table: &DlogTable) -> Option<u64> {
        table.solve(&self.decrypt_to_point(ciphertext))
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.scalar.to_bytes()
    }

    /// Refuses zero (it would decrypt nothing and make `pk` the identity) and non-canonical scalars.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, Error> {
        let scalar = decode_scalar(*bytes, "secret key")?;
        if scalar == Scalar::ZERO {
            return Err(Error::Malformed("secret key"));
        }
        Ok(Self::from_scalar(scalar))
    }
}

/// An account's encryption key `s·H`, never the identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey {
    point: RistrettoPoint,
}

impl PublicKey {
    fn from_point(point: RistrettoPoint) -> Self {
        Self { point }
    }

    pub(crate) fn point(&self) -> &RistrettoPoint {
        &self.point
    }

    /// Encrypts `amount` with fresh randomness, returned so the sender can prove things about it.
    pub fn encrypt<R: RngCore + CryptoRng>(
        &self,
        amount: u64,
        rng: &mut R,
    ) -> (Ciphertext, Opening) {
        let opening = Opening::random(rng);
        (self.encrypt_with(amount, &opening), opening)
    }

    /// Encrypts `amount` with the given randomness: two keys, one randomness is a transfer.
    pub fn encrypt_with(&self, amount: u64, opening: &Opening) -> Ciphertext {
        let gens = generators();
        Ciphertext {
            handle: opening.0 * self.point,
            commitment: gens.pedersen.commit(Scalar::from(amount), opening.0),
        }
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.point.compress().to_bytes()
    }

    /// Refuses non-canonical encodings and the identity (the key of `s = 0`, readable by all).
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, Error> {
        let point = decode_point(bytes, "public key")?;
        if point.is_identity() {
            return Err(Error::Malformed("public key"));
        }
        Ok(Self::from_point(point))
    }
}

/// The randomness `r` of a ciphertext or commitment: whoever holds it can open `Y`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Opening(pub(crate) Scalar);

impl Opening {
    /// Non-zero: `r = 0` would publish `v·G`, which anyone can search.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        loop {
            let scalar = Scalar::random(rng);
            if scalar != Scalar::ZERO {
                return Self(scalar);
            }
        }
    }
}

/// `(X, Y) = (r·pk, v·G + r·H)`: a decryption handle and a Pedersen commitment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ciphertext {
    pub(crate) handle: RistrettoPoint,
    pub(crate) commitment: RistrettoPoint,
}

impl Ciphertext {
    pub const ENCODED_LEN: usize = 64;

    /// The encryption of 0 with randomness 0: every confidential balance starts here.
    pub fn zero() -> Self {
        Self {
            handle: RistrettoPoint::identity(),
            commitment: RistrettoPoint::identity(),
        }
    }

    /// A public amount as a ciphertext under any key (`r = 0`): how deposits and withdrawals
    /// of public amounts change an encrypted balance.
    pub fn public_amount(amount: u64) -> Self {
        Self {
            handle: RistrettoPoint::identity(),
            commitment: &Scalar::from(amount) * RISTRETTO_BASEPOINT_TABLE,
        }
    }

    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(self.handle.compress().as_bytes());
        out[32..].copy_from_slice(self.commitment.compress().as_bytes());
        out
    }

    /// Accepts the identity in either half: balances legitimately hold `r = 0` parts.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut reader = Reader::new(bytes);
        let handle = reader.point("ciphertext handle")?;
        let commitment = reader.point("ciphertext commitment")?;
        reader.finish()?;
        Ok(Self { handle, commitment })
    }
}

impl Add for Ciphertext {
    type Output = Ciphertext;
    fn add(self, other: Ciphertext) -> Ciphertext {
        Ciphertext {
            handle: self.handle + other.handle,
            commitment: self.commitment + other.commitment,
        }
    }
}

impl Sub for Ciphertext {
    type Output = Ciphertext;
    fn sub(self, other: Ciphertext) -> Ciphertext {
        Ciphertext {
            handle: self.handle - other.handle,
            commitment: self.commitment - other.commitment,
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::thread_rng;

    use super::*;

    fn table() -> &'static DlogTable {
        crate::dlog::tests::small_table()
    }

    #[test]
    fn encrypts_and_decrypts() {
        let mut rng = thread_rng();
        let key = SecretKey::generate(&mut rng);
        for amount in [0u64, 1, 77, 65_535, 65_536, 1_000_003, u32::MAX as u64] {
            let (ciphertext, _) = key.public_key().encrypt(amount, &mut rng);
            assert_eq!(key.decrypt(&ciphertext, table()), Some(amount));
        }
    }

    #[test]
    fn ciphertexts_add_and_subtract_homomorphically() {
        let mut rng = thread_rng();
        let key = SecretKey::generate(&mut rng);
        let pk = key.public_key();
        let (a, _) = pk.encrypt(1_000, &mut rng);
        let (b, _) = pk.encrypt(234, &mut rng);
        assert_eq!(key.decrypt(&(a + b), table()), Some(1_234));
        assert_eq!(key.decrypt(&(a - b), table()), Some(766));
        assert_eq!(
            key.decrypt(&(a + Ciphertext::public_amount(5)), table()),
            Some(1_005)
        );
        assert_eq!(key.decrypt(&Ciphertext::zero(), table()), Some(0));
    }

    #[test]
    fn wrong_key_does_not_decrypt() {
        let mut rng = thread_rng();
        let key = SecretKey::generate(&mut rng);
        let other = SecretKey::generate(&mut rng);
        let (ciphertext, _) = key.public_key().encrypt(42, &mut rng);
        assert_ne!(
            other.decrypt_to_point(&ciphertext),
            key.decrypt_to_point(&ciphertext)
        );
        assert_eq!(other.decrypt(&ciphertext, table()), None);
    }

    #[test]
    fn encodings_round_trip_and_refuse_malleations() {
        let mut rng = thread_rng();
        let key = SecretKey::generate(&mut rng);
        let pk = key.public_key();
        assert_eq!(PublicKey::from_bytes(&pk.to_bytes()), Ok(pk));
        assert_eq!(
            SecretKey::from_bytes(&key.to_bytes()).unwrap().public_key(),
            pk
        );
        let (ciphertext, _) = pk.encrypt(9, &mut rng);
        assert_eq!(
            Ciphertext::from_bytes(&ciphertext.to_bytes()),
            Ok(ciphertext)
        );

        let identity = RistrettoPoint::identity().compress().to_bytes();
        assert!(PublicKey::from_bytes(&identity).is_err());
        assert!(SecretKey::from_bytes(&[0u8; 32]).is_err());
        // The group order ℓ itself: the canonical encoding of 0 is all zeros, not ℓ.
        let order = (Scalar::ZERO - Scalar::ONE).to_bytes();
        let mut non_canonical = order;
        non_canonical[0] += 1;
        assert!(SecretKey::from_bytes(&non_canonical).is_err());
        // 2^255 - 1 is not a canonical field element, so not a point encoding.
        let mut not_a_point = [0xffu8; 32];
        not_a_point[31] = 0x7f;
        assert!(PublicKey::from_bytes(&not_a_point).is_err());

        let mut long = ciphertext.to_bytes().to_vec();
        long.push(0);
        assert!(Ciphertext::from_bytes(&long).is_err());
        assert!(Ciphertext::from_bytes(&long[..63]).is_err());
    }
}
