//! Paillier encryption with `g = N + 1`: key generation, CRT decryption, homomorphic addition,
//! signed scalar multiplication, negation by the inverse mod `N²`, canonical encodings.

use num_bigint::{BigInt, BigUint, RandBigInt, Sign};
use num_integer::Integer;
use num_traits::{One, Signed, Zero};
use rand::{CryptoRng, RngCore};

use crate::HeError;

/// Modulus size for production keys: 2048 bits ≈ 112-bit security (NIST SP 800-57; spec §2.5 E2).
pub const PRODUCTION_MODULUS_BITS: usize = 2048;

/// Smallest modulus the key generator accepts; below 2048 bits a key is for tests only.
pub const MIN_MODULUS_BITS: usize = 256;

/// A Paillier public key: the modulus `N` (and the cached `N²`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    n: BigUint,
    n_squared: BigUint,
    half_n: BigUint,
}

/// A Paillier secret key: the factors of `N`, with the constants of CRT decryption.
#[derive(Clone)]
pub struct SecretKey {
    public: PublicKey,
    p: BigUint,
    q: BigUint,
    p_squared: BigUint,
    q_squared: BigUint,
    /// `L_p(g^{p−1} mod p²)^{-1} mod p`, so `m_p = L_p(c^{p−1} mod p²)·h_p mod p`.
    h_p: BigUint,
    h_q: BigUint,
    /// `p^{-1} mod q`, for recombining `m_p` and `m_q` (Garner).
    p_inv_mod_q: BigUint,
}

/// A ciphertext: an element of `Z*_{N²}`; only the key's operations construct one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ciphertext(BigUint);

impl Ciphertext {
    /// The group element, for protocols (threshold decryption) that exponentiate it.
    pub fn as_biguint(&self) -> &BigUint {
        &self.0
    }
}

impl PublicKey {
    /// A public key from its modulus; `N` must be odd and at least [`MIN_MODULUS_BITS`] bits, so
    /// that a forged tiny or even modulus is refused before any arithmetic.
    pub fn from_modulus(n: BigUint) -> Result<Self, HeError> {
        if n.bits() < MIN_MODULUS_BITS as u64 || n.is_even() {
            return Err(HeError::InvalidKey(
                "modulus must be odd and at least 256 bits",
            ));
        }
        let n_squared = &n * &n;
        let half_n = &n >> 1u32;
        Ok(Self {
            n,
            n_squared,
            half_n,
        })
    }

    /// `N`.
    pub fn modulus(&self) -> &BigUint {
        &self.n
    }

    /// `N²`, the ciphertext modulus.
    pub fn modulus_squared(&self) -> &BigUint {
        &self.n_squared
    }

    /// Bits of `N`.
    pub fn bits(&self) -> usize {
        self.n.bits() as usize
    }

    /// Bytes of an encoded ciphertext: those of `N²` (512 at 2048-bit `N`, not the paper's 128: E2).
    pub fn ciphertext_len(&self) -> usize {
        self.n_squared.bits().div_ceil(8) as usize
    }

    /// Reduces a signed integer into `Z_N`; refuses `|m| > N/2`, where signed decoding would
    /// give a different number back.
    pub fn encode_signed(&self, m: &BigInt) -> Result<BigUint, HeError> {
        if m.magnitude() > &self.half_n {
            return Err(HeError::PlaintextOverflow);
        }
        let reduced = m.mod_floor(&BigInt::from(self.n.clone()));
        Ok(reduced
            .to_biguint()
            .expect("mod_floor by a positive modulus is non-negative"))
    }

    /// The signed integer in `(−N/2, N/2]` that a plaintext of `Z_N` stands for.
    pub fn decode_signed(&self, m: &BigUint) -> BigInt {
        if m > &self.half_n {
            BigInt::from_biguint(Sign::Minus, &self.n - m)
        } else {
            BigInt::from(m.clone())
        }
    }

    /// Encrypts `m ∈ Z_N`: `(1 + mN)·r^N mod N²` with a fresh `r ∈ Z*_N`.
    pub fn encrypt<R: RngCore + CryptoRng>(
        &self,
        m: &BigUint,
        rng: &mut R,
    ) -> Result<Ciphertext, HeError> {
        if m >= &self.n {
            return Err(HeError::PlaintextOverflow);
        }
        let mask = self.random_mask(rng);
        let g_m = (BigUint::one() + m * &self.n) % &self.n_squared;
        Ok(Ciphertext(g_m * mask % &self.n_squared))
    }

    /// Encrypts a signed integer (see [`PublicKey::encode_signed`]).
    pub fn encrypt_signed<R: RngCore + CryptoRng>(
        &self,
        m: &BigInt,
        rng: &mut R,
    ) -> Result<Ciphertext, HeError> {
        let encoded = self.encode_signed(m)?;
        self.encrypt(&encoded, rng)
    }

    /// `r^N mod N²` for a uniform `r ∈ Z*_N`: the randomness of one encryption.
    fn random_mask<R: RngCore + CryptoRng>(&self, rng: &mut R) -> BigUint {
        random_unit(&self.n, rng).modpow(&self.n, &self.n_squared)
    }

    /// `[[m1 + m2]] = [[m1]]·[[m2]] mod N²`.
    pub fn add(&self, a: &Ciphertext, b: &Ciphertext) -> Ciphertext {
        Ciphertext(&a.0 * &b.0 % &self.n_squared)
    }

    /// `[[m + k]] = [[m]]·(1 + kN)` for a public `k` (no randomness needed: `[[m]]` has it).
    pub fn add_plain(&self, a: &Ciphertext, k: &BigInt) -> Result<Ciphertext, HeError> {
        let k = self.encode_signed(k)?;
        let g_k = (BigUint::one() + k * &self.n) % &self.n_squared;
        Ok(Ciphertext(&a.0 * g_k % &self.n_squared))
    }

    /// `[[−m]] = [[m]]^{-1} mod N²`, the ordinary inverse (E1: the paper's `c^{φ(N)−1}` decrypts to
    /// `m(φ(N)−1)`, not `−m`, and needs the secret `φ(N)`).
    pub fn negate(&self, a: &Ciphertext) -> Ciphertext {
        Ciphertext(
            a.0.modinv(&self.n_squared)
                .expect("a ciphertext is a unit of Z_{N²}"),
        )
    }

    /// `[[k·m]] = [[m]]^k`, with a negative `k` through [`PublicKey::negate`].
    pub fn mul_scalar(&self, a: &Ciphertext, k: &BigInt) -> Ciphertext {
        let powered = Ciphertext(a.0.modpow(k.magnitude(), &self.n_squared));
        if k.is_negative() {
            self.negate(&powered)
        } else {
            powered
        }
    }

    /// `[[m]]·r^N`: the same plaintext under fresh randomness, so the result cannot be linked
    /// to the input.
    pub fn rerandomize<R: RngCore + CryptoRng>(&self, a: &Ciphertext, rng: &mut R) -> Ciphertext {
        Ciphertext(&a.0 * self.random_mask(rng) % &self.n_squared)
    }

    /// `N` as big-endian bytes with no leading zero.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.n.to_bytes_be()
    }

    /// Strict inverse of [`PublicKey::to_bytes`]: a leading zero byte is refused, so each key has
    /// exactly one encoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, HeError> {
        if bytes.first().is_none_or(|&b| b == 0) {
            return Err(HeError::NonCanonical);
        }
        Self::from_modulus(BigUint::from_bytes_be(bytes))
    }

    /// A ciphertext as exactly [`PublicKey::ciphertext_len`] big-endian bytes.
    pub fn encode_ciphertext(&self, c: &Ciphertext) -> Vec<u8> {
        let raw = c.0.to_bytes_be();
        let mut out = vec![0u8; self.ciphertext_len() - raw.len()];
        out.extend_from_slice(&raw);
        out
    }

    /// Strict decoding: exact length, value below `N²`, and a unit (`gcd(c, N) = 1`); a zero or a
    /// multiple of a factor of `N` would otherwise poison every sum it enters.
    pub fn decode_ciphertext(&self, bytes: &[u8]) -> Result<Ciphertext, HeError> {
        if bytes.len() != self.ciphertext_len() {
            return Err(HeError::NonCanonical);
        }
        self.ciphertext_from_biguint(BigUint::from_bytes_be(bytes))
    }

    /// Checks that `c ∈ Z*_{N²}` before treating it as a ciphertext.
    pub fn ciphertext_from_biguint(&self, c: BigUint) -> Result<Ciphertext, HeError> {
        if c >= self.n_squared || !c.gcd(&self.n).is_one() {
            return Err(HeError::NotInGroup);
        }
        Ok(Ciphertext(c))
    }
}

/// Shows only the public modulus, so a logged key does not leak its factors.
impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl SecretKey {
    /// Generates a key with two random `bits/2`-bit primes (`p ≠ q`, `N` of exactly `bits` bits).
    pub fn generate<R: RngCore + CryptoRng>(bits: usize, rng: &mut R) -> Result<Self, HeError> {
        if bits < MIN_MODULUS_BITS || !bits.is_multiple_of(2) {
            return Err(HeError::InvalidKey(
                "modulus bits must be even and at least 256",
            ));
        }
        loop {
            let p = glass_pumpkin::prime::from_rng(bits / 2, rng).map_err(HeError::prime)?;
            let q = glass_pumpkin::prime::from_rng(bits / 2, rng).map_err(HeError::prime)?;
            if p != q && (&p * &q).bits() as usize == bits {
                return Self::from_primes(p, q);
            }
        }
    }

    /// A key from two distinct odd primes (the caller vouches for primality).
    pub fn from_primes(p: BigUint, q: BigUint) -> Result<Self, HeError> {
        if p == q {
            return Err(HeError::InvalidKey("p and q must differ"));
        }
        let public = PublicKey::from_modulus(&p * &q)?;
        let p_squared = &p * &p;
        let q_squared = &q * &q;
        let h_p = Self::crt_constant(&public.n, &p, &p_squared)?;
        let h_q = Self::crt_constant(&public.n, &q, &q_squared)?;
        let p_inv_mod_q = (&p % &q)
            .modinv(&q)
            .ok_or(HeError::InvalidKey("p not invertible mod q"))?;
        Ok(Self {
            public,
            p,
            q,
            p_squared,
            q_squared,
            h_p,
            h_q,
            p_inv_mod_q,
        })
    }

    /// `h = L_p((1+N)^{p−1} mod p²)^{-1} mod p`.
    fn crt_constant(n: &BigUint, p: &BigUint, p_squared: &BigUint) -> Result<BigUint, HeError> {
        let g = (BigUint::one() + n) % p_squared;
        let l = (g.modpow(&(p - 1u32), p_squared) - 1u32) / p;
        l.modinv(p)
            .ok_or(HeError::InvalidKey("CRT constant not invertible"))
    }

    /// The matching public key.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// CRT decryption: two half-size exponentiations mod `p²` and `q²`, recombined (Garner).
    pub fn decrypt(&self, c: &Ciphertext) -> BigUint {
        let m_p = Self::half_decrypt(&c.0, &self.p, &self.p_squared, &self.h_p);
        let m_q = Self::half_decrypt(&c.0, &self.q, &self.q_squared, &self.h_q);
        let diff = (&m_q + &self.q - (&m_p % &self.q)) % &self.q;
        let k = diff * &self.p_inv_mod_q % &self.q;
        m_p + k * &self.p
    }

    /// Decrypts and decodes as signed (see [`PublicKey::decode_signed`]).
    pub fn decrypt_signed(&self, c: &Ciphertext) -> BigInt {
        self.public.decode_signed(&self.decrypt(c))
    }

    fn half_decrypt(c: &BigUint, p: &BigUint, p_squared: &BigUint, h: &BigUint) -> BigUint {
        let x = (c % p_squared).modpow(&(p - 1u32), p_squared);
        let l = (x - 1u32) / p;
        l * h % p
    }
}

/// Draws `r ∈ Z*_m` uniformly (rejection of non-units, which a random `r` almost never is).
pub(crate) fn random_unit<R: RngCore + CryptoRng>(modulus: &BigUint, rng: &mut R) -> BigUint {
    loop {
        let r = rng.gen_biguint_below(modulus);
        if !r.is_zero() && r.gcd(modulus).is_one() {
            return r;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// A 512-bit test key (insecure: tests only, to keep them fast).
    fn test_key(seed: u64) -> (SecretKey, ChaCha20Rng) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        (SecretKey::generate(512, &mut rng).unwrap(), rng)
    }

    #[test]
    fn encrypt_decrypt_round_trip_and_randomised() {
        let (sk, mut rng) = test_key(1);
        let pk = sk.public();
        assert_eq!(pk.bits(), 512);
        for m in [0u64, 1, 42, u64::MAX] {
            let m = BigUint::from(m);
            let c1 = pk.encrypt(&m, &mut rng).unwrap();
            let c2 = pk.encrypt(&m, &mut rng).unwrap();
            assert_ne!(c1, c2, "two encryptions of one plaintext must differ");
            assert_eq!(sk.decrypt(&c1), m);
        }
        let top = pk.modulus() - 1u32;
        assert_eq!(sk.decrypt(&pk.encrypt(&top, &mut rng).unwrap()), top);
        assert_eq!(
            pk.encrypt(pk.modulus(), &mut rng),
            Err(HeError::PlaintextOverflow)
        );
    }

    #[test]
    fn homomorphic_add_scalar_negate() {
        let (sk, mut rng) = test_key(2);
        let pk = sk.public();
        let a = pk.encrypt_signed(&BigInt::from(1234), &mut rng).unwrap();
        let b = pk.encrypt_signed(&BigInt::from(-5000), &mut rng).unwrap();
        assert_eq!(sk.decrypt_signed(&pk.add(&a, &b)), BigInt::from(-3766));
        assert_eq!(sk.decrypt_signed(&pk.negate(&a)), BigInt::from(-1234));
        assert_eq!(
            sk.decrypt_signed(&pk.mul_scalar(&a, &BigInt::from(-7))),
            BigInt::from(-8638)
        );
        assert_eq!(
            sk.decrypt_signed(&pk.mul_scalar(&b, &BigInt::from(3))),
            BigInt::from(-15000)
        );
        let shifted = pk.add_plain(&a, &BigInt::from(-1235)).unwrap();
        assert_eq!(sk.decrypt_signed(&shifted), BigInt::from(-1));
        let fresh = pk.rerandomize(&a, &mut rng);
        assert_ne!(fresh, a);
        assert_eq!(sk.decrypt(&fresh), sk.decrypt(&a));
    }

    #[test]
    fn paper_inverse_4_14_is_wrong_and_ours_is_right() {
        let (sk, mut rng) = test_key(3);
        let pk = sk.public();
        let m = BigUint::from(77u32);
        let c = pk.encrypt(&m, &mut rng).unwrap();
        let phi = (&sk.p - 1u32) * (&sk.q - 1u32);
        let paper = Ciphertext(c.0.modpow(&(&phi - 1u32), pk.modulus_squared()));
        let minus_m = pk.modulus() - &m;
        assert_ne!(sk.decrypt(&paper), minus_m);
        assert_eq!(sk.decrypt(&paper), &m * (&phi - 1u32) % pk.modulus());
        assert_eq!(sk.decrypt(&pk.negate(&c)), minus_m);
    }

    #[test]
    fn signed_encoding_refuses_overflow() {
        let (sk, _) = test_key(4);
        let pk = sk.public();
        let half = BigInt::from(pk.modulus() >> 1u32);
        assert!(pk.encode_signed(&half).is_ok());
        assert!(pk.encode_signed(&-&half).is_ok());
        assert_eq!(
            pk.encode_signed(&(&half + 1)),
            Err(HeError::PlaintextOverflow)
        );
        assert_eq!(
            pk.encode_signed(&(-&half - 1)),
            Err(HeError::PlaintextOverflow)
        );
        let m = BigInt::from(-99);
        assert_eq!(pk.decode_signed(&pk.encode_signed(&m).unwrap()), m);
    }

    #[test]
    fn ciphertext_decoding_is_strict() {
        let (sk, mut rng) = test_key(5);
        let pk = sk.public();
        let c = pk.encrypt(&BigUint::from(9u32), &mut rng).unwrap();
        let bytes = pk.encode_ciphertext(&c);
        assert_eq!(
            bytes.len(),
            128,
            "512-bit N ⇒ 1024-bit N² ⇒ 128-byte ciphertexts"
        );
        assert_eq!(pk.decode_ciphertext(&bytes).unwrap(), c);
        assert_eq!(
            pk.decode_ciphertext(&bytes[1..]),
            Err(HeError::NonCanonical)
        );
        let mut longer = vec![0u8];
        longer.extend_from_slice(&bytes);
        assert_eq!(pk.decode_ciphertext(&longer), Err(HeError::NonCanonical));
        let zero = vec![0u8; pk.ciphertext_len()];
        assert_eq!(pk.decode_ciphertext(&zero), Err(HeError::NotInGroup));
        let too_big = pk.encode_ciphertext(&Ciphertext(pk.modulus_squared().clone()));
        assert_eq!(pk.decode_ciphertext(&too_big), Err(HeError::NotInGroup));
        let multiple_of_p = pk.encode_ciphertext(&Ciphertext(sk.p.clone() * 5u32));
        assert_eq!(
            pk.decode_ciphertext(&multiple_of_p),
            Err(HeError::NotInGroup)
        );
    }

    #[test]
    fn debug_output_hides_the_factors() {
        let (sk, _) = test_key(7);
        let shown = format!("{sk:?}");
        assert!(shown.contains(&sk.public().modulus().to_string()));
        assert!(!shown.contains(&sk.p.to_string()) && !shown.contains(&sk.q.to_string()));
    }

    #[test]
    fn public_key_encoding_is_strict() {
        let (sk, _) = test_key(6);
        let bytes = sk.public().to_bytes();
        assert_eq!(&PublicKey::from_bytes(&bytes).unwrap(), sk.public());
        let mut padded = vec![0u8];
        padded.extend_from_slice(&bytes);
        assert_eq!(PublicKey::from_bytes(&padded), Err(HeError::NonCanonical));
        let mut even = bytes.clone();
        *even.last_mut().unwrap() &= 0xfe;
        assert!(matches!(
            PublicKey::from_bytes(&even),
            Err(HeError::InvalidKey(_))
        ));
        assert!(matches!(
            PublicKey::from_bytes(&[0xff; 8]),
            Err(HeError::InvalidKey(_))
        ));
    }
}
