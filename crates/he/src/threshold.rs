//! Threshold Paillier (Shoup 2000 / Damgård–Jurik with `s = 1`), spec Appendix B.
//!
//! Key generation is a **trusted dealer**: it sees `p, q` and `d`, hands share `s_i` to party
//! `i`, publishes `N, v, {v_i}, t, n` and must then forget everything (a distributed RSA-modulus
//! generation is out of scope). Any `t` of the `n` parties decrypt; fewer learn nothing; each
//! partial decryption carries a Fiat–Shamir DLEQ proof against the party's verification key, so
//! a wrong one is detected and its sender excluded.

use num_bigint::{BigInt, BigUint, RandBigInt};
use num_integer::Integer;
use num_traits::{One, Signed, Zero};
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};

use crate::HeError;
use crate::paillier::{Ciphertext, MIN_MODULUS_BITS, PublicKey, random_unit};

/// Challenge length of the DLEQ proof (bits): the soundness error is `2^-128`.
const CHALLENGE_BITS: u64 = 128;
/// Statistical slack of the DLEQ response: `z = r + e·Δs_i` hides `Δs_i` to within `2^-128`.
const SLACK_BITS: u64 = 128;

/// The public side of a threshold key: what every party and any auditor holds.
#[derive(Clone, Debug)]
pub struct ThresholdPublicKey {
    public: PublicKey,
    threshold: usize,
    parties: usize,
    /// `Δ = n!`, which makes every Lagrange coefficient times `Δ` an integer.
    delta: BigUint,
    /// A random square in `Z*_{N²}`: the base of the verification keys.
    verification_base: BigUint,
    /// `v_i = v^{Δ s_i} mod N²`, index `i − 1`.
    verification_keys: Vec<BigUint>,
}

/// Party `index`'s secret share `s_i = f(i) mod NM`.
#[derive(Clone)]
pub struct KeyShare {
    index: usize,
    share: BigUint,
}

/// Shows only the index, so a logged share does not leak it.
impl std::fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyShare")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl KeyShare {
    /// The party's index, `1..=n`.
    pub fn index(&self) -> usize {
        self.index
    }
}

/// `c_i = c^{2Δ s_i} mod N²` with its proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartialDecryption {
    pub index: usize,
    pub value: BigUint,
    pub proof: DleqProof,
}

/// Proof that `log_{c^4}(c_i²) = log_v(v_i)`: challenge `e` and integer response `z`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DleqProof {
    pub challenge: BigUint,
    pub response: BigUint,
}

/// A combined decryption and the parties whose partials failed verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decryption {
    pub plaintext: BigUint,
    pub excluded: Vec<usize>,
}

/// Trusted-dealer key generation: two `bits/2`-bit safe primes, `t`-of-`n` shares.
pub fn deal<R: RngCore + CryptoRng>(
    bits: usize,
    threshold: usize,
    parties: usize,
    rng: &mut R,
) -> Result<(ThresholdPublicKey, Vec<KeyShare>), HeError> {
    if bits < MIN_MODULUS_BITS || !bits.is_multiple_of(2) {
        return Err(HeError::InvalidKey(
            "modulus bits must be even and at least 256",
        ));
    }
    loop {
        let p = glass_pumpkin::safe_prime::from_rng(bits / 2, rng).map_err(HeError::prime)?;
        let q = glass_pumpkin::safe_prime::from_rng(bits / 2, rng).map_err(HeError::prime)?;
        if p != q && (&p * &q).bits() as usize == bits {
            return deal_from_safe_primes(&p, &q, threshold, parties, rng);
        }
    }
}

/// The dealer's ceremony from given safe primes `p = 2p'+1`, `q = 2q'+1`.
pub fn deal_from_safe_primes<R: RngCore + CryptoRng>(
    p: &BigUint,
    q: &BigUint,
    threshold: usize,
    parties: usize,
    rng: &mut R,
) -> Result<(ThresholdPublicKey, Vec<KeyShare>), HeError> {
    if threshold == 0 || threshold > parties {
        return Err(HeError::InvalidKey("need 1 ≤ t ≤ n"));
    }
    if p == q {
        return Err(HeError::InvalidKey("p and q must differ"));
    }
    let public = PublicKey::from_modulus(p * q)?;
    let n = public.modulus();
    let m = (p >> 1u32) * (q >> 1u32);
    // d ≡ 0 (mod M), d ≡ 1 (mod N): d = M·(M^{-1} mod N).
    let d = &m
        * (&m % n)
            .modinv(n)
            .ok_or(HeError::InvalidKey("M not invertible mod N"))?;
    let share_modulus = n * &m;
    let coefficients: Vec<BigUint> = (1..threshold)
        .map(|_| rng.gen_biguint_below(&share_modulus))
        .collect();
    let shares: Vec<KeyShare> = (1..=parties)
        .map(|index| {
            let x = BigUint::from(index);
            // Horner: f(x) = d + a_1 x + … + a_{t−1} x^{t−1} mod NM.
            let mut acc = BigUint::zero();
            for a in coefficients.iter().rev() {
                acc = (acc + a) * &x % &share_modulus;
            }
            KeyShare {
                index,
                share: (acc + &d) % &share_modulus,
            }
        })
        .collect();
    let delta = factorial(parties);
    let n_squared = public.modulus_squared();
    let root = random_unit(n_squared, rng);
    let verification_base = &root * &root % n_squared;
    let verification_keys = shares
        .iter()
        .map(|s| verification_base.modpow(&(&delta * &s.share), n_squared))
        .collect();
    let key = ThresholdPublicKey {
        public,
        threshold,
        parties,
        delta,
        verification_base,
        verification_keys,
    };
    Ok((key, shares))
}

fn factorial(n: usize) -> BigUint {
    (1..=n).fold(BigUint::one(), |acc, k| acc * k)
}

impl ThresholdPublicKey {
    /// The Paillier key everyone encrypts under.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// `t`: partials needed to decrypt.
    pub fn threshold(&self) -> usize {
        self.threshold
    }

    /// `n`: parties holding a share.
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// Bits of the DLEQ nonce: `2|N| + log₂Δ + 128 + κ`, so the response statistically hides `Δs_i`.
    fn nonce_bits(&self) -> u64 {
        2 * self.public.modulus().bits() + self.delta.bits() + CHALLENGE_BITS + SLACK_BITS
    }

    /// Party `share.index` decrypts its part of `c` and proves it used its share.
    pub fn partial_decrypt<R: RngCore + CryptoRng>(
        &self,
        share: &KeyShare,
        c: &Ciphertext,
        rng: &mut R,
    ) -> PartialDecryption {
        let n_squared = self.public.modulus_squared();
        let exponent = &self.delta * &share.share;
        let c = c.as_biguint();
        let value = c.modpow(&(&exponent << 1u32), n_squared);
        let c4 = c.modpow(&BigUint::from(4u32), n_squared);
        let nonce = rng.gen_biguint(self.nonce_bits());
        let commit_c = c4.modpow(&nonce, n_squared);
        let commit_v = self.verification_base.modpow(&nonce, n_squared);
        let challenge = self.challenge(share.index, c, &value, &commit_c, &commit_v);
        let response = nonce + &challenge * exponent;
        PartialDecryption {
            index: share.index,
            value,
            proof: DleqProof {
                challenge,
                response,
            },
        }
    }

    /// Checks a partial decryption of `c`: index in range, value in `Z*_{N²}`, response bounded,
    /// and the DLEQ equations `c^{4z} = a·c_i^{2e}`, `v^z = b·v_i^e` with `e` recomputed.
    pub fn verify_partial(
        &self,
        c: &Ciphertext,
        partial: &PartialDecryption,
    ) -> Result<(), HeError> {
        let index = partial.index;
        if index == 0 || index > self.parties {
            return Err(HeError::BadPartial(index));
        }
        let n_squared = self.public.modulus_squared();
        let value = &partial.value;
        let DleqProof {
            challenge,
            response,
        } = &partial.proof;
        if value >= n_squared
            || !value.gcd(self.public.modulus()).is_one()
            || challenge.bits() > CHALLENGE_BITS
            || response.bits() > self.nonce_bits() + 1
        {
            return Err(HeError::BadPartial(index));
        }
        let c = c.as_biguint();
        let vk = &self.verification_keys[index - 1];
        let c4 = c.modpow(&BigUint::from(4u32), n_squared);
        let value_sq = value * value % n_squared;
        // a = c^{4z}·(c_i²)^{-e}, b = v^z·v_i^{-e}: the commitments the challenge must hash.
        let value_sq_inv = value_sq
            .modinv(n_squared)
            .ok_or(HeError::BadPartial(index))?;
        let vk_inv = vk.modinv(n_squared).ok_or(HeError::BadPartial(index))?;
        let commit_c =
            c4.modpow(response, n_squared) * value_sq_inv.modpow(challenge, n_squared) % n_squared;
        let commit_v = self.verification_base.modpow(response, n_squared)
            * vk_inv.modpow(challenge, n_squared)
            % n_squared;
        if &self.challenge(index, c, value, &commit_c, &commit_v) != challenge {
            return Err(HeError::BadPartial(index));
        }
        Ok(())
    }

    /// Fiat–Shamir challenge `e = H(N, c, c_i, v, v_i, a, b)` truncated to 128 bits; every element
    /// is length-prefixed so no two statements hash alike.
    fn challenge(
        &self,
        index: usize,
        c: &BigUint,
        value: &BigUint,
        commit_c: &BigUint,
        commit_v: &BigUint,
    ) -> BigUint {
        let mut hash = Sha256::new();
        hash.update(b"medshare-he/threshold-paillier/dleq/v1");
        hash.update((index as u64).to_be_bytes());
        let vk = &self.verification_keys[index - 1];
        for element in [
            self.public.modulus(),
            c,
            value,
            &self.verification_base,
            vk,
            commit_c,
            commit_v,
        ] {
            let bytes = element.to_bytes_be();
            hash.update((bytes.len() as u64).to_be_bytes());
            hash.update(&bytes);
        }
        BigUint::from_bytes_be(&hash.finalize()[..(CHALLENGE_BITS / 8) as usize])
    }

    /// Verifies the partials, excludes the bad ones, and combines the first `t` good ones with
    /// distinct indices: `c' = Π c_i^{2μ_i}`, `m = L(c')·(4Δ²)^{-1} mod N`.
    pub fn combine(
        &self,
        c: &Ciphertext,
        partials: &[PartialDecryption],
    ) -> Result<Decryption, HeError> {
        let mut excluded = Vec::new();
        let mut chosen: Vec<&PartialDecryption> = Vec::with_capacity(self.threshold);
        for partial in partials {
            if chosen.len() == self.threshold {
                break;
            }
            if chosen.iter().any(|p| p.index == partial.index) {
                continue;
            }
            match self.verify_partial(c, partial) {
                Ok(()) => chosen.push(partial),
                Err(_) => excluded.push(partial.index),
            }
        }
        if chosen.len() < self.threshold {
            return Err(HeError::NotEnoughShares {
                valid: chosen.len(),
                needed: self.threshold,
            });
        }
        let n = self.public.modulus();
        let n_squared = self.public.modulus_squared();
        let delta = BigInt::from(self.delta.clone());
        let mut combined = BigUint::one();
        for partial in &chosen {
            let i = BigInt::from(partial.index);
            let (mut numerator, mut denominator) = (delta.clone(), BigInt::one());
            for other in chosen.iter().filter(|p| p.index != partial.index) {
                let j = BigInt::from(other.index);
                numerator *= &j;
                denominator *= &j - &i;
            }
            // Δ·Π j/(j−i) is an integer because Δ = n! absorbs every denominator.
            let mu = numerator / denominator;
            let base = if mu.is_negative() {
                partial
                    .value
                    .modinv(n_squared)
                    .expect("verified partials are units")
            } else {
                partial.value.clone()
            };
            combined = combined * base.modpow(&(mu.magnitude() << 1u32), n_squared) % n_squared;
        }
        let l = (combined - 1u32) / n;
        let four_delta_sq = (&self.delta * &self.delta * 4u32) % n;
        let inverse = four_delta_sq
            .modinv(n)
            .ok_or(HeError::InvalidKey("4Δ² not invertible"))?;
        Ok(Decryption {
            plaintext: l * inverse % n,
            excluded,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use std::sync::OnceLock;

    /// One 256-bit 3-of-5 key for the whole module (insecure size: tests only, for speed).
    fn key() -> &'static (ThresholdPublicKey, Vec<KeyShare>) {
        static KEY: OnceLock<(ThresholdPublicKey, Vec<KeyShare>)> = OnceLock::new();
        KEY.get_or_init(|| deal(256, 3, 5, &mut ChaCha20Rng::seed_from_u64(11)).unwrap())
    }

    fn subsets(n: usize, t: usize) -> Vec<Vec<usize>> {
        (0u32..(1 << n))
            .filter(|mask| mask.count_ones() as usize == t)
            .map(|mask| (0..n).filter(|i| mask & (1 << i) != 0).collect())
            .collect()
    }

    #[test]
    fn every_t_subset_decrypts_and_fewer_fail() {
        let (key, shares) = key();
        let mut rng = ChaCha20Rng::seed_from_u64(12);
        let m = BigInt::from(-123_456_789);
        let c = key.public().encrypt_signed(&m, &mut rng).unwrap();
        let partials: Vec<_> = shares
            .iter()
            .map(|s| key.partial_decrypt(s, &c, &mut rng))
            .collect();
        for subset in subsets(5, 3) {
            let chosen: Vec<_> = subset.iter().map(|&i| partials[i].clone()).collect();
            let out = key.combine(&c, &chosen).unwrap();
            assert_eq!(
                key.public().decode_signed(&out.plaintext),
                m,
                "subset {subset:?}"
            );
            assert!(out.excluded.is_empty());
        }
        let two = [partials[0].clone(), partials[4].clone()];
        assert_eq!(
            key.combine(&c, &two),
            Err(HeError::NotEnoughShares {
                valid: 2,
                needed: 3
            })
        );
        let duplicated = [
            partials[0].clone(),
            partials[0].clone(),
            partials[1].clone(),
        ];
        assert!(
            key.combine(&c, &duplicated).is_err(),
            "one party's partial counts once"
        );
    }

    #[test]
    fn wrong_partial_is_detected_and_excluded() {
        let (key, shares) = key();
        let mut rng = ChaCha20Rng::seed_from_u64(13);
        let m = BigUint::from(2024u32);
        let c = key.public().encrypt(&m, &mut rng).unwrap();
        let mut partials: Vec<_> = shares
            .iter()
            .map(|s| key.partial_decrypt(s, &c, &mut rng))
            .collect();
        // Party 2 multiplies its value by a unit: same proof, wrong value.
        let n_squared = key.public().modulus_squared();
        partials[1].value = &partials[1].value * 4u32 % n_squared;
        assert_eq!(
            key.verify_partial(&c, &partials[1]),
            Err(HeError::BadPartial(2))
        );
        // Party 3 uses a fresh proof for a different ciphertext.
        let other = key.public().encrypt(&m, &mut rng).unwrap();
        partials[2] = key.partial_decrypt(&shares[2], &other, &mut rng);
        assert_eq!(
            key.verify_partial(&c, &partials[2]),
            Err(HeError::BadPartial(3))
        );
        // Party 4 claims party 5's index.
        let mut impostor = partials[3].clone();
        impostor.index = 5;
        assert_eq!(
            key.verify_partial(&c, &impostor),
            Err(HeError::BadPartial(5))
        );
        let out = key.combine(&c, &partials).unwrap();
        assert_eq!(out.plaintext, m);
        assert_eq!(out.excluded, vec![2, 3]);
        let only_bad_and_two_good = [
            partials[1].clone(),
            partials[0].clone(),
            partials[3].clone(),
        ];
        assert_eq!(
            key.combine(&c, &only_bad_and_two_good),
            Err(HeError::NotEnoughShares {
                valid: 2,
                needed: 3
            })
        );
    }

    #[test]
    fn partial_outside_group_is_refused() {
        let (key, shares) = key();
        let mut rng = ChaCha20Rng::seed_from_u64(14);
        let c = key
            .public()
            .encrypt(&BigUint::from(5u32), &mut rng)
            .unwrap();
        let mut partial = key.partial_decrypt(&shares[0], &c, &mut rng);
        partial.value = key.public().modulus_squared().clone();
        assert_eq!(
            key.verify_partial(&c, &partial),
            Err(HeError::BadPartial(1))
        );
        partial.value = BigUint::zero();
        assert_eq!(
            key.verify_partial(&c, &partial),
            Err(HeError::BadPartial(1))
        );
    }

    #[test]
    fn homomorphic_sum_threshold_decrypts() {
        let (key, shares) = key();
        let mut rng = ChaCha20Rng::seed_from_u64(15);
        let pk = key.public();
        let sum = [-7i64, 100, -1_000_000, 3].iter().fold(
            pk.encrypt(&BigUint::zero(), &mut rng).unwrap(),
            |acc, &v| {
                pk.add(
                    &acc,
                    &pk.encrypt_signed(&BigInt::from(v), &mut rng).unwrap(),
                )
            },
        );
        let partials: Vec<_> = shares[2..]
            .iter()
            .map(|s| key.partial_decrypt(s, &sum, &mut rng))
            .collect();
        let out = key.combine(&sum, &partials).unwrap();
        assert_eq!(pk.decode_signed(&out.plaintext), BigInt::from(-999_904));
    }

    #[test]
    fn debug_output_hides_the_share() {
        let (_, shares) = key();
        let shown = format!("{:?}", shares[0]);
        assert!(shown.contains("index: 1"));
        assert!(!shown.contains(&shares[0].share.to_string()));
    }

    #[test]
    fn dealer_refuses_bad_parameters() {
        let mut rng = ChaCha20Rng::seed_from_u64(16);
        assert!(deal(256, 0, 3, &mut rng).is_err());
        assert!(deal(256, 4, 3, &mut rng).is_err());
        assert!(deal(128, 2, 3, &mut rng).is_err());
    }
}
