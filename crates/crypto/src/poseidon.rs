//! Poseidon over the BLS12-381 scalar field: the `H_*` hashes of docs/design.md.
//!
//! Seed 000 hashes with SHA-256 inside its circuits; medshare uses Poseidon instead (docs/design.md,
//! "departures"): a width-5 permutation costs 297 R1CS constraints against ~27 000 for SHA-256.
//!
//! # Parameters (fixed; changing any of them changes every commitment on chain)
//!
//! - Field: the BLS12-381 scalar field `Fr` (255-bit prime `p`).
//! - S-box `x^5` (`gcd(5, p - 1) = 1`), `R_F = 8` full rounds, partial rounds `R_P = 57` for
//!   width 3 and `R_P = 60` for width 5: the 128-bit-security round numbers of the Poseidon paper
//!   (eprint 2019/458, Table 2 and `calc_round_numbers.py`) for a 255-bit field, which the
//!   reference implementation ships as `poseidonperm_x5_255_3` and `poseidonperm_x5_255_5`.
//! - Round constants and the Cauchy MDS matrix come from the reference Grain LFSR
//!   (`generate_parameters_grain.sage`), seeded with `(field = prime, S-box = x^5, n = 255, t,
//!   R_F, R_P)`, through ark-crypto-primitives' [`find_poseidon_ark_and_mds`] with no skipped
//!   matrix. The tests check the permutation against the reference vectors for both widths, so
//!   these are exactly the reference instances.
//! - Only those two widths are used, so that every instance we run is one the reference
//!   implementation published vectors for. Width 3 (rate 2) for `pk` (one input, zero padded):
//!   237 constraints in a circuit. Width 5 (rate 4) for `reg` (three inputs, zero padded),
//!   `auth` (four), `node` (four: the commitment trees are 4-ary, see `merkle`) and `bind` (any
//!   number, a sponge): 297 constraints. A width-4 `reg` would save ~30 constraints, not worth
//!   trusting round numbers nobody published vectors for.
//!
//! # Domain separation
//!
//! The state is `[capacity, rate_0, .., rate_{r-1}]` (arkworks' layout; the partial-round S-box
//! acts on element 0). A hash of `n` inputs under domain `d` starts with the capacity element
//! set to the tag `T(d, n)`: the little-endian integer whose bytes are
//! `"medshare/" || name(d) || 0x00 || u64_le(n)` (at most 22 bytes, so `T < 2^176 < p`), and the
//! rate elements zero. The inputs are then absorbed `rate` at a time (added into the rate part,
//! permuting between blocks), one more permutation runs, and the output is rate element 0. The
//! input count in the tag makes the implicit zero padding of the last block unambiguous; the name
//! keeps a `pk` from ever equalling a `node`, a `reg` or an `auth` of the same inputs.

use ark_crypto_primitives::sponge::poseidon::{PoseidonConfig, find_poseidon_ark_and_mds};
use ark_ff::{AdditiveGroup, Field, PrimeField, UniformRand};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

pub use ark_bls12_381::Fr;

/// Full rounds of every instance (half before, half after the partial rounds).
pub const FULL_ROUNDS: usize = 8;
/// Partial rounds of the width-3 instance (`poseidonperm_x5_255_3`).
pub const PARTIAL_ROUNDS_WIDTH_3: usize = 57;
/// Partial rounds of the width-5 instance (`poseidonperm_x5_255_5`).
pub const PARTIAL_ROUNDS_WIDTH_5: usize = 60;
/// The S-box exponent.
pub const SBOX_EXPONENT: u64 = 5;

/// Bytes of data packed into one field element by [`hash_bytes`]: 31 bytes = 248 bits < 255.
pub const BYTES_PER_ELEMENT: usize = 31;

/// The two permutation widths medshare uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Width {
    /// State of 3 elements: capacity 1, rate 2.
    Three,
    /// State of 5 elements: capacity 1, rate 4.
    Five,
}

impl Width {
    /// Number of state elements `t`.
    pub const fn elements(self) -> usize {
        match self {
            Width::Three => 3,
            Width::Five => 5,
        }
    }

    /// The Poseidon instance of this width: round numbers, round constants, MDS matrix.
    ///
    /// Generated once per process from the Grain LFSR (a few milliseconds).
    pub fn config(self) -> &'static PoseidonConfig<Fr> {
        static THREE: OnceLock<PoseidonConfig<Fr>> = OnceLock::new();
        static FIVE: OnceLock<PoseidonConfig<Fr>> = OnceLock::new();
        match self {
            Width::Three => THREE.get_or_init(|| grain_config(3, PARTIAL_ROUNDS_WIDTH_3)),
            Width::Five => FIVE.get_or_init(|| grain_config(5, PARTIAL_ROUNDS_WIDTH_5)),
        }
    }
}

fn grain_config(width: usize, partial_rounds: usize) -> PoseidonConfig<Fr> {
    let rate = width - 1;
    let (ark, mds) = find_poseidon_ark_and_mds::<Fr>(
        u64::from(Fr::MODULUS_BIT_SIZE),
        rate,
        FULL_ROUNDS as u64,
        partial_rounds as u64,
        0,
    );
    PoseidonConfig::new(
        FULL_ROUNDS,
        partial_rounds,
        SBOX_EXPONENT,
        mds,
        ark,
        rate,
        1,
    )
}

/// What a hash is for. Each use has its own tag so no two uses can collide (docs/design.md, `H_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Domain {
    /// `pk = H_pk(sk)`: a zero-knowledge identity's public key.
    Pk,
    /// `re = H_reg(α, pk_A, σ)`: registration commitment (seed 000 Alg. 1, line 2).
    Reg,
    /// `re_auth = H_auth(α, pk_A, pk_H, σ')`: authorization commitment (Alg. 3, line 4).
    Auth,
    /// Inner node of a 4-ary commitment Merkle tree: `H_node(c_0, c_1, c_2, c_3)`.
    Node,
    /// `binding = H_bind(transaction bytes)`: ties a proof to its transaction. Native only.
    Bind,
}

impl Domain {
    /// Every domain, in tag order.
    pub const ALL: [Domain; 5] = [
        Domain::Pk,
        Domain::Reg,
        Domain::Auth,
        Domain::Node,
        Domain::Bind,
    ];

    /// The name that enters the tag.
    pub const fn name(self) -> &'static str {
        match self {
            Domain::Pk => "pk",
            Domain::Reg => "reg",
            Domain::Auth => "auth",
            Domain::Node => "node",
            Domain::Bind => "bind",
        }
    }

    /// The permutation width this domain hashes with (see the module docs for why).
    pub const fn width(self) -> Width {
        match self {
            Domain::Pk => Width::Three,
            Domain::Reg | Domain::Auth | Domain::Node | Domain::Bind => Width::Five,
        }
    }

    /// The initial capacity element `T(d, n)` for a hash of `input_len` field elements.
    pub fn capacity_tag(self, input_len: usize) -> Fr {
        let mut bytes = b"medshare/".to_vec();
        bytes.extend_from_slice(self.name().as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(&(input_len as u64).to_le_bytes());
        Fr::from_le_bytes_mod_order(&bytes)
    }
}

/// `H_d(inputs)`: the domain-tagged Poseidon sponge hash described in the module docs.
pub fn hash(domain: Domain, inputs: &[Fr]) -> Fr {
    let tag = domain.capacity_tag(inputs.len());
    match domain.width() {
        Width::Three => sponge::<3>(Width::Three.config(), tag, inputs),
        Width::Five => sponge::<5>(Width::Five.config(), tag, inputs),
    }
}

/// Absorb `inputs` `T - 1` at a time after the capacity `tag`, squeeze one element. Equal to
/// arkworks' `PoseidonSponge` with the capacity preset (the tests check it against the gadget),
/// but on a stack array: the ledger hashes 32 nodes per tree append.
fn sponge<const T: usize>(config: &PoseidonConfig<Fr>, tag: Fr, inputs: &[Fr]) -> Fr {
    let mut state = [Fr::ZERO; T];
    state[0] = tag;
    let mut blocks = inputs.chunks(T - 1).peekable();
    if blocks.peek().is_none() {
        permute(config, &mut state);
    }
    for block in blocks {
        for (lane, input) in state[1..].iter_mut().zip(block) {
            *lane += input;
        }
        permute(config, &mut state);
    }
    state[1]
}

/// The Poseidon permutation: `R_F / 2` full rounds, `R_P` partial rounds (S-box on element 0
/// only), `R_F / 2` full rounds; each round adds constants, applies the S-box, mixes with MDS.
fn permute<const T: usize>(config: &PoseidonConfig<Fr>, state: &mut [Fr; T]) {
    let half_full = config.full_rounds / 2;
    for (round, constants) in config.ark.iter().enumerate() {
        for (x, c) in state.iter_mut().zip(constants) {
            *x += c;
        }
        let full = round < half_full || round >= half_full + config.partial_rounds;
        if full {
            state.iter_mut().for_each(sbox);
        } else {
            sbox(&mut state[0]);
        }
        let mixed: [Fr; T] = std::array::from_fn(|i| {
            let row = &config.mds[i];
            state.iter().zip(row).map(|(x, m)| *x * m).sum()
        });
        *state = mixed;
    }
}

/// `x ↦ x^5` in three multiplications.
fn sbox(x: &mut Fr) {
    let x2 = x.square();
    *x *= x2.square();
}

/// Hash arbitrary bytes: the byte length, then the bytes in 31-byte little-endian chunks (the
/// last one shorter), as field elements, through [`hash`]. Used for `binding` (docs/design.md).
pub fn hash_bytes(domain: Domain, bytes: &[u8]) -> Fr {
    let mut elements = Vec::with_capacity(1 + bytes.len().div_ceil(BYTES_PER_ELEMENT));
    elements.push(Fr::from(bytes.len() as u64));
    elements.extend(
        bytes
            .chunks(BYTES_PER_ELEMENT)
            .map(Fr::from_le_bytes_mod_order),
    );
    hash(domain, &elements)
}

/// `H_node(c_0, c_1, c_2, c_3)`: an inner node of a commitment tree, from its four children.
pub fn node(children: &[Fr; 4]) -> Fr {
    hash(Domain::Node, children)
}

/// `pk = H_pk(sk)`.
pub fn pk_from_sk(sk: &SecretKey) -> Fr {
    hash(Domain::Pk, &[sk.0])
}

/// `re = H_reg(α, pk_A, σ)` (seed 000 Alg. 1, line 2).
pub fn registration_commitment(alpha: Fr, pk: Fr, salt: &Salt) -> Fr {
    hash(Domain::Reg, &[alpha, pk, salt.0])
}

/// `re_auth = H_auth(α, pk_A, pk_H, σ')` (seed 000 Alg. 3, line 4).
pub fn authorization_commitment(alpha: Fr, pk_a: Fr, pk_h: Fr, salt: &Salt) -> Fr {
    hash(Domain::Auth, &[alpha, pk_a, pk_h, salt.0])
}

/// α, the MDA identifier, from `SHA-256(S)`: the digest's first 248 bits read as a big-endian
/// integer (so it is always below `p`, with no reduction to argue about).
pub fn alpha_from_digest(digest: &[u8; 32]) -> Fr {
    Fr::from_be_bytes_mod_order(&digest[..BYTES_PER_ELEMENT])
}

/// α of the source data `S`: [`alpha_from_digest`] of `SHA-256(S)`.
pub fn alpha_from_data(data: &[u8]) -> Fr {
    alpha_from_digest(&Sha256::digest(data).into())
}

/// A field element that is not the canonical encoding of one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a canonical BLS12-381 scalar (32 bytes little-endian, below the modulus)")]
pub struct NonCanonicalScalar;

/// The canonical 32-byte little-endian encoding of a field element.
pub fn fr_to_bytes(x: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    x.serialize_compressed(&mut out[..])
        .expect("a scalar is exactly 32 bytes");
    out
}

/// Decode a field element, rejecting any encoding of a value `>= p`.
pub fn fr_from_bytes(bytes: &[u8; 32]) -> Result<Fr, NonCanonicalScalar> {
    Fr::deserialize_compressed(&bytes[..]).map_err(|_| NonCanonicalScalar)
}

/// A secret field element: random, never printed, wiped on drop.
macro_rules! secret_scalar {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
        pub struct $name(Fr);

        impl $name {
            /// A fresh uniformly random value.
            pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
                Self(Fr::rand(rng))
            }

            /// Wrap a field element (a witness, or a test value).
            pub fn from_field(value: Fr) -> Self {
                Self(value)
            }

            /// The value, for a circuit witness. Keep it out of logs, errors and the chain.
            pub fn expose_secret(&self) -> &Fr {
                &self.0
            }

            /// Canonical encoding, for a wallet file; wiped when dropped.
            pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
                Zeroizing::new(fr_to_bytes(&self.0))
            }

            /// Decode [`Self::to_bytes`].
            pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, NonCanonicalScalar> {
                fr_from_bytes(bytes).map(Self)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

secret_scalar!(
    /// `sk`: a zero-knowledge identity's secret key; `pk = H_pk(sk)` is its pseudonym.
    SecretKey
);

impl SecretKey {
    /// `pk = H_pk(sk)`.
    pub fn public_key(&self) -> Fr {
        pk_from_sk(self)
    }
}

secret_scalar!(
    /// `σ` or `σ'`: the salt that hides a registration or authorization commitment.
    Salt
);

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{BigInteger, MontFp};

    fn permute_vec<const T: usize>(width: Width, input: [u64; T]) -> [Fr; T] {
        let mut state = input.map(Fr::from);
        permute(width.config(), &mut state);
        state
    }

    /// Reference vector of `poseidonperm_x5_255_3` (hadeshash `code/test_vectors.txt`).
    #[test]
    fn width_3_matches_reference_vector() {
        let expected: [Fr; 3] = [
            MontFp!("0x28ce19420fc246a05553ad1e8c98f5c9d67166be2c18e9e4cb4b4e317dd2a78a"),
            MontFp!("0x51f3e312c95343a896cfd8945ea82ba956c1118ce9b9859b6ea56637b4b1ddc4"),
            MontFp!("0x3b2b69139b235626a0bfb56c9527ae66a7bf486ad8c11c14d1da0c69bbe0f79a"),
        ];
        assert_eq!(permute_vec(Width::Three, [0, 1, 2]), expected);
    }

    /// Reference vector of `poseidonperm_x5_255_5` (hadeshash `code/test_vectors.txt`).
    #[test]
    fn width_5_matches_reference_vector() {
        let expected: [Fr; 5] = [
            MontFp!("0x2a918b9c9f9bd7bb509331c81e297b5707f6fc7393dcee1b13901a0b22202e18"),
            MontFp!("0x65ebf8671739eeb11fb217f2d5c5bf4a0c3f210e3f3cd3b08b5db75675d797f7"),
            MontFp!("0x2cc176fc26bc70737a696a9dfd1b636ce360ee76926d182390cdb7459cf585ce"),
            MontFp!("0x4dc4e29d283afd2a491fe6aef122b9a968e74eff05341f3cc23fda1781dcb566"),
            MontFp!("0x03ff622da276830b9451b88b85e6184fd6ae15c8ab3ee25a5667be8592cce3b1"),
        ];
        assert_eq!(permute_vec(Width::Five, [0, 1, 2, 3, 4]), expected);
    }

    #[test]
    fn alpha_is_the_first_248_bits_of_the_digest() {
        let mut digest = [0u8; 32];
        digest[0] = 0x80;
        digest[30] = 0x01;
        digest[31] = 0xff; // beyond bit 248: ignored
        let expected = Fr::from(2u8).pow([247]) + Fr::ONE;
        assert_eq!(alpha_from_digest(&digest), expected);
        assert_eq!(
            alpha_from_digest(&[0xff; 32]),
            Fr::from(2u8).pow([248]) - Fr::ONE
        );
    }

    #[test]
    fn scalar_decoding_rejects_values_at_or_above_the_modulus() {
        let x = Fr::from(123_456_789u64);
        assert_eq!(fr_from_bytes(&fr_to_bytes(&x)), Ok(x));
        let mut modulus = [0u8; 32];
        modulus.copy_from_slice(&Fr::MODULUS.to_bytes_le());
        assert_eq!(fr_from_bytes(&modulus), Err(NonCanonicalScalar));
        assert_eq!(fr_from_bytes(&[0xff; 32]), Err(NonCanonicalScalar));
    }

    #[test]
    fn secrets_do_not_print_and_round_trip() {
        let sk = SecretKey::from_field(Fr::from(0x5ec7e7u64));
        assert_eq!(format!("{sk:?}"), "SecretKey(<redacted>)");
        assert_eq!(
            format!("{:?}", Salt::from_field(Fr::ONE)),
            "Salt(<redacted>)"
        );
        let decoded = SecretKey::from_bytes(&sk.to_bytes()).unwrap();
        assert_eq!(decoded.public_key(), sk.public_key());
        assert_eq!(sk.public_key(), hash(Domain::Pk, &[Fr::from(0x5ec7e7u64)]));
    }
}
