//! Ch. 5 with its flaws fixed: parties hold column blocks of the same patients (labels shared,
//! as in the paper) and train a linear SVM by mini-batch SGD under one threshold-Paillier key.
//!
//! Per batch of `B` samples (one packed ciphertext):
//! 1. each party posts `[[Σ_j q^p_j 2^{jL}]]`, its partial margins `q^p_j = round(y_j(w^p·x^p_j
//!    [+ b]) · 2^16)` packed in slots;
//! 2. anyone multiplies them and subtracts `S = 2^16` (the fixed-point 1) from every slot;
//! 3. each party raises the result to a secret `ρ_i` (log-uniform in `[2^κ, 2^{2κ})`) and adds
//!    fresh `ε_{i,j} ∈ [0, 2^κ/n)` per slot; the product is `[[ρ(a_j − S) + ε_j]]` with `ρ > ε ≥ 0`;
//! 4. each party posts a DLEQ-proven partial decryption; any `t` valid ones give the slots, and
//!    a slot is negative iff `a_j < S`: exact for every integer margin, including `a = S` (E3).
//! 5. each party updates its own block: `w^p ← (1 − ηλ)w^p + (η/B) Σ_viol y x^p`.
//!
//! What leaks: the violator bits, and `|a − S|` up to the unknown factor `ρ` (a coalition of
//! `n − 1` knows all but one `ρ_j`); all slots of a batch share `ρ`, so their ratios leak. The
//! paper's public `r1, r3` gave the margin itself to everyone (F1).

use num_bigint::{BigInt, BigUint, RandBigInt};
use num_traits::{One, Zero};
use rand::seq::SliceRandom;
use rand::{CryptoRng, Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};

use crate::HeError;
use crate::data::Dataset;
use crate::fixed::{FixedPoint, SlotPacking};
use crate::paillier::Ciphertext;
use crate::svm::LinearModel;
use crate::threshold::{KeyShare, PartialDecryption, ThresholdPublicKey};

/// Margins at scale `2^16` (so `S = 65536` is the margin 1), below `2^40` in magnitude.
pub const MARGIN_FIXED_POINT: FixedPoint = FixedPoint {
    scale_bits: 16,
    magnitude_bits: 40,
};
/// `κ`: bits of the blinding factors' lower bound and of statistical hiding.
pub const BLINDING_BITS: u32 = 40;

/// Mini-batch SGD hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VerticalConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub regularization: f64,
}

impl VerticalConfig {
    /// 16 samples per batch (one 2048-bit ciphertext holds 16 slots of 127 bits at 3 parties;
    /// [`VerticalConfig::for_key`] lowers it to fit), η = 0.05, λ = 10⁻³.
    pub const DEFAULT: Self = Self {
        epochs: 5,
        batch_size: 16,
        learning_rate: 0.05,
        regularization: 1e-3,
    };

    /// The same configuration with the batch cut to the slots a key offers.
    pub fn for_key(self, key: &ThresholdPublicKey) -> Result<Self, HeError> {
        let packing = packing(key)?;
        Ok(Self {
            batch_size: self.batch_size.min(packing.slots),
            ..self
        })
    }
}

/// Slot width `ℓ_a + 2κ + 2⌈log₂ n⌉ + 3`: room for `ρ(a − S) + ε` with `ρ < n·2^{2κ}`,
/// `|a − S| < n·2^{ℓ_a} + S`.
fn packing(key: &ThresholdPublicKey) -> Result<SlotPacking, HeError> {
    let log_n = usize::BITS - (key.parties() - 1).max(1).leading_zeros();
    let slot_bits = MARGIN_FIXED_POINT.magnitude_bits + 2 * BLINDING_BITS + 2 * log_n + 3;
    SlotPacking::for_modulus(key.public().bits(), slot_bits)
}

/// One data provider: its columns of the shared rows, its block of the model, its key share.
#[derive(Clone, Debug)]
pub struct VerticalParty {
    columns: Vec<Vec<f64>>,
    labels: Vec<f64>,
    weights: Vec<f64>,
    /// Only the first party carries the bias, so it is counted once in the margin.
    bias: Option<f64>,
    key: ThresholdPublicKey,
    share: KeyShare,
    seed: [u8; 32],
}

impl VerticalParty {
    /// A party with `columns[row]` of its features, the shared labels, and its share;
    /// `holds_bias` for exactly one party. Refuses ragged columns or a label count mismatch.
    pub fn new<R: RngCore + CryptoRng>(
        columns: Vec<Vec<f64>>,
        labels: Vec<f64>,
        holds_bias: bool,
        key: ThresholdPublicKey,
        share: KeyShare,
        rng: &mut R,
    ) -> Result<Self, HeError> {
        let width = columns.first().map_or(0, Vec::len);
        if columns.len() != labels.len() || columns.iter().any(|r| r.len() != width) {
            return Err(HeError::Data(
                "party's columns do not match the shared rows".into(),
            ));
        }
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        Ok(Self {
            columns,
            labels,
            weights: vec![0.0; width],
            bias: holds_bias.then_some(0.0),
            key,
            share,
            seed,
        })
    }

    /// `H(index, seed)`, posted before anyone reveals, so no party picks the order (E5).
    pub fn seed_commitment(&self) -> [u8; 32] {
        commit(self.share.index(), &self.seed)
    }

    /// The seed, revealed after every commitment is in.
    pub fn reveal_seed(&self) -> [u8; 32] {
        self.seed
    }

    /// This party's block of the model (weights, then its bias if it holds it).
    pub fn block(&self) -> (&[f64], Option<f64>) {
        (&self.weights, self.bias)
    }

    /// `round(y_j (w^p·x^p_j [+ b]) · 2^16)` for the batch.
    pub fn quantized_margins(&self, batch: &[usize]) -> Result<Vec<i128>, HeError> {
        batch
            .iter()
            .map(|&j| {
                let dot: f64 = self
                    .weights
                    .iter()
                    .zip(&self.columns[j])
                    .map(|(w, x)| w * x)
                    .sum();
                MARGIN_FIXED_POINT.encode(self.labels[j] * (dot + self.bias.unwrap_or(0.0)))
            })
            .collect()
    }

    /// Step 1: the encrypted packed partial margins.
    pub fn margin_share<R: RngCore + CryptoRng>(
        &self,
        batch: &[usize],
        rng: &mut R,
    ) -> Result<Ciphertext, HeError> {
        let values: Vec<BigInt> = self
            .quantized_margins(batch)?
            .into_iter()
            .map(BigInt::from)
            .collect();
        self.key
            .public()
            .encrypt_signed(&packing(&self.key)?.pack(&values)?, rng)
    }

    /// Step 3: `c^{ρ_i}·[[Σ_j ε_{i,j} 2^{jL}]]` with fresh secret `ρ_i`, `ε_i`.
    pub fn blind<R: RngCore + CryptoRng>(
        &self,
        shifted: &Ciphertext,
        batch_len: usize,
        rng: &mut R,
    ) -> Result<Ciphertext, HeError> {
        let bits = rng.gen_range(BLINDING_BITS + 1..=2 * BLINDING_BITS) as u64;
        let rho = rng.gen_biguint(bits - 1) | (BigUint::one() << (bits - 1));
        let epsilon_bound = (BigUint::one() << BLINDING_BITS) / self.key.parties();
        let epsilons: Vec<BigInt> = (0..batch_len)
            .map(|_| BigInt::from(rng.gen_biguint_below(&epsilon_bound)))
            .collect();
        let pk = self.key.public();
        let noise = pk.encrypt_signed(&packing(&self.key)?.pack(&epsilons)?, rng)?;
        Ok(pk.add(&pk.mul_scalar(shifted, &BigInt::from(rho)), &noise))
    }

    /// Step 4: this party's proven partial decryption.
    pub fn partial_decrypt<R: RngCore + CryptoRng>(
        &self,
        blinded: &Ciphertext,
        rng: &mut R,
    ) -> PartialDecryption {
        self.key.partial_decrypt(&self.share, blinded, rng)
    }

    /// Step 4, combining: the violator bits `a_j < S`, and the parties whose partials failed.
    pub fn learn_violators(
        &self,
        blinded: &Ciphertext,
        partials: &[PartialDecryption],
        batch_len: usize,
    ) -> Result<(Vec<bool>, Vec<usize>), HeError> {
        let decryption = self.key.combine(blinded, partials)?;
        let signed = self.key.public().decode_signed(&decryption.plaintext);
        let slots = packing(&self.key)?.unpack(&signed, batch_len);
        Ok((
            slots.iter().map(|v| v < &BigInt::zero()).collect(),
            decryption.excluded,
        ))
    }

    /// Step 5: `w^p ← (1 − ηλ)w^p + (η/B) Σ_viol y x^p`, `b ← b + (η/B) Σ_viol y`.
    pub fn update(&mut self, batch: &[usize], violators: &[bool], config: &VerticalConfig) {
        let rate = config.learning_rate / batch.len() as f64;
        for w in &mut self.weights {
            *w *= 1.0 - config.learning_rate * config.regularization;
        }
        for (&j, _) in batch.iter().zip(violators).filter(|(_, v)| **v) {
            let y = self.labels[j];
            for (w, x) in self.weights.iter_mut().zip(&self.columns[j]) {
                *w += rate * y * x;
            }
            if let Some(b) = &mut self.bias {
                *b += rate * y;
            }
        }
    }
}

fn commit(index: usize, seed: &[u8; 32]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(b"medshare-he/vertical/seed-commitment/v1");
    hash.update((index as u64).to_be_bytes());
    hash.update(seed);
    hash.finalize().into()
}

/// The sample order every party derives from the revealed seeds: a PRG shuffle per epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    seed: [u8; 32],
}

impl Schedule {
    /// Checks every reveal against its commitment (party `i + 1` at position `i`) and hashes them.
    pub fn from_reveals(commitments: &[[u8; 32]], reveals: &[[u8; 32]]) -> Result<Self, HeError> {
        if commitments.len() != reveals.len() {
            return Err(HeError::Protocol("one reveal per commitment".into()));
        }
        let mut hash = Sha256::new();
        hash.update(b"medshare-he/vertical/schedule/v1");
        for (i, (c, r)) in commitments.iter().zip(reveals).enumerate() {
            if &commit(i + 1, r) != c {
                return Err(HeError::Protocol(format!(
                    "party {}'s seed does not match its commitment",
                    i + 1
                )));
            }
            hash.update(r);
        }
        Ok(Self {
            seed: hash.finalize().into(),
        })
    }

    /// Epoch `epoch`'s batches of `rows` shuffled rows.
    pub fn batches(&self, epoch: usize, rows: usize, batch_size: usize) -> Vec<Vec<usize>> {
        let mut epoch_seed = Sha256::new();
        epoch_seed.update(self.seed);
        epoch_seed.update((epoch as u64).to_be_bytes());
        let mut order: Vec<usize> = (0..rows).collect();
        order.shuffle(&mut ChaCha20Rng::from_seed(epoch_seed.finalize().into()));
        order.chunks(batch_size).map(<[usize]>::to_vec).collect()
    }
}

/// Commit, reveal, and derive the schedule (an in-process stand-in for the on-chain exchange).
pub fn agree_schedule(parties: &[VerticalParty]) -> Result<Schedule, HeError> {
    let commitments: Vec<_> = parties.iter().map(VerticalParty::seed_commitment).collect();
    let reveals: Vec<_> = parties.iter().map(VerticalParty::reveal_seed).collect();
    Schedule::from_reveals(&commitments, &reveals)
}

/// Steps 1-2, public: `Π [[A^p]] · [[−S·Σ_j 2^{jL}]]`.
pub fn shifted_margins(
    key: &ThresholdPublicKey,
    shares: &[Ciphertext],
    batch_len: usize,
) -> Result<Ciphertext, HeError> {
    let pk = key.public();
    let (first, rest) = shares
        .split_first()
        .ok_or(HeError::Protocol("no margin shares".into()))?;
    let sum = rest.iter().fold(first.clone(), |acc, c| pk.add(&acc, c));
    let one = BigInt::from(1i64 << MARGIN_FIXED_POINT.scale_bits);
    let offsets = packing(key)?.pack(&vec![-one; batch_len])?;
    pk.add_plain(&sum, &offsets)
}

/// Product of the parties' blinded ciphertexts.
pub fn combine_blinded(
    key: &ThresholdPublicKey,
    blinded: &[Ciphertext],
) -> Result<Ciphertext, HeError> {
    let pk = key.public();
    let (first, rest) = blinded
        .split_first()
        .ok_or(HeError::Protocol("no blinded shares".into()))?;
    Ok(rest.iter().fold(first.clone(), |acc, c| pk.add(&acc, c)))
}

/// One encrypted batch, every party honest; every party combines on its own and all must agree.
pub fn run_batch<R: RngCore + CryptoRng>(
    parties: &mut [VerticalParty],
    batch: &[usize],
    config: &VerticalConfig,
    rng: &mut R,
) -> Result<(), HeError> {
    let key = parties[0].key.clone();
    let shares = parties
        .iter()
        .map(|p| p.margin_share(batch, rng))
        .collect::<Result<Vec<_>, _>>()?;
    let shifted = shifted_margins(&key, &shares, batch.len())?;
    let blinded = parties
        .iter()
        .map(|p| p.blind(&shifted, batch.len(), rng))
        .collect::<Result<Vec<_>, _>>()?;
    let product = combine_blinded(&key, &blinded)?;
    let partials: Vec<_> = parties
        .iter()
        .map(|p| p.partial_decrypt(&product, rng))
        .collect();
    let mut agreed: Option<Vec<bool>> = None;
    for party in parties.iter() {
        let (violators, _) = party.learn_violators(&product, &partials, batch.len())?;
        if agreed.as_ref().is_some_and(|a| a != &violators) {
            return Err(HeError::Protocol(
                "parties disagree on the comparison".into(),
            ));
        }
        agreed = Some(violators);
    }
    let violators = agreed.ok_or(HeError::Protocol("no party".into()))?;
    for party in parties.iter_mut() {
        party.update(batch, &violators, config);
    }
    Ok(())
}

/// The encrypted training: `epochs` passes over the agreed schedule.
pub fn train_secure<R: RngCore + CryptoRng>(
    parties: &mut [VerticalParty],
    config: &VerticalConfig,
    rng: &mut R,
) -> Result<(), HeError> {
    let schedule = agree_schedule(parties)?;
    let rows = parties[0].labels.len();
    for epoch in 0..config.epochs {
        for batch in schedule.batches(epoch, rows, config.batch_size) {
            run_batch(parties, &batch, config, rng)?;
        }
    }
    Ok(())
}

/// The plaintext fixed-point run: the same quantized margins compared in the clear.
pub fn train_plaintext(
    parties: &mut [VerticalParty],
    config: &VerticalConfig,
) -> Result<(), HeError> {
    let schedule = agree_schedule(parties)?;
    let rows = parties[0].labels.len();
    let one = 1i128 << MARGIN_FIXED_POINT.scale_bits;
    for epoch in 0..config.epochs {
        for batch in schedule.batches(epoch, rows, config.batch_size) {
            let mut margins = vec![0i128; batch.len()];
            for party in parties.iter() {
                for (m, q) in margins.iter_mut().zip(party.quantized_margins(&batch)?) {
                    *m += q;
                }
            }
            let violators: Vec<bool> = margins.iter().map(|&m| m < one).collect();
            for party in parties.iter_mut() {
                party.update(&batch, &violators, config);
            }
        }
    }
    Ok(())
}

/// Column ranges for `parts` parties with "an average number of attributes" each (BCWD 3/3/3).
pub fn column_ranges(dimension: usize, parts: usize) -> Vec<std::ops::Range<usize>> {
    (0..parts)
        .map(|p| p * dimension / parts..(p + 1) * dimension / parts)
        .collect()
}

/// Party `range`'s columns of every row.
pub fn columns_of(data: &Dataset, range: std::ops::Range<usize>) -> Vec<Vec<f64>> {
    data.features
        .iter()
        .map(|r| r[range.clone()].to_vec())
        .collect()
}

/// Concatenates the parties' blocks into one model, for evaluation (in deployment each party
/// keeps its block and scoring is itself a joint protocol).
pub fn assemble_model(parties: &[VerticalParty]) -> LinearModel {
    LinearModel {
        weights: parties
            .iter()
            .flat_map(|p| p.weights.iter().copied())
            .collect(),
        bias: parties.iter().filter_map(|p| p.bias).sum(),
    }
}

/// Sets up `shares.len()` parties over `data`'s column blocks, the first holding the bias.
pub fn setup_parties<R: RngCore + CryptoRng>(
    data: &Dataset,
    key: &ThresholdPublicKey,
    shares: &[KeyShare],
    rng: &mut R,
) -> Result<Vec<VerticalParty>, HeError> {
    column_ranges(data.dimension(), shares.len())
        .into_iter()
        .zip(shares)
        .enumerate()
        .map(|(p, (range, share))| {
            VerticalParty::new(
                columns_of(data, range),
                data.labels.clone(),
                p == 0,
                key.clone(),
                share.clone(),
                rng,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Standardizer, data_dir, load_bcw};
    use crate::threshold::deal;

    fn real_rows(count: usize) -> Dataset {
        let bcw = load_bcw(&data_dir().join("tabular/bcw_original.csv")).unwrap();
        let subset = bcw.select(&(0..count).collect::<Vec<_>>());
        Standardizer::fit(&subset).apply(&subset)
    }

    /// 2-of-3 over a 512-bit key (insecure size: tests only); 64 real BCWD rows, 2 epochs.
    #[test]
    fn secure_vertical_training_equals_plaintext_on_real_rows() {
        let mut rng = ChaCha20Rng::seed_from_u64(31);
        let (key, shares) = deal(512, 2, 3, &mut rng).unwrap();
        let data = real_rows(64);
        let config = VerticalConfig {
            epochs: 2,
            ..VerticalConfig::DEFAULT
        }
        .for_key(&key)
        .unwrap();
        assert_eq!(config.batch_size, 4, "510 usable bits / 127-bit slots");
        let mut secure = setup_parties(&data, &key, &shares, &mut rng).unwrap();
        let mut plain = secure.clone();
        train_secure(&mut secure, &config, &mut rng).unwrap();
        train_plaintext(&mut plain, &config).unwrap();
        let (secure, plain) = (assemble_model(&secure), assemble_model(&plain));
        assert_eq!(
            secure, plain,
            "encrypted and plaintext fixed-point runs agree bit for bit"
        );
        assert!(secure.evaluate(&data).accuracy > 0.85);
    }

    #[test]
    fn comparison_is_exact_at_margin_one_and_survives_a_lying_party() {
        let mut rng = ChaCha20Rng::seed_from_u64(32);
        let (key, shares) = deal(512, 2, 3, &mut rng).unwrap();
        let data = real_rows(6);
        let parties = setup_parties(&data, &key, &shares, &mut rng).unwrap();
        let pk = key.public();
        let s = 1i64 << MARGIN_FIXED_POINT.scale_bits;
        // Margins S − 1, S, S + 1, −5S: only the first and last violate.
        let margins = [s - 1, s, s + 1, -5 * s].map(BigInt::from);
        let packed = packing(&key).unwrap().pack(&margins).unwrap();
        let share = pk.encrypt_signed(&packed, &mut rng).unwrap();
        let zero = pk.encrypt_signed(&BigInt::zero(), &mut rng).unwrap();
        let shifted = shifted_margins(&key, &[share, zero.clone(), zero], 4).unwrap();
        let blinded: Vec<_> = parties
            .iter()
            .map(|p| p.blind(&shifted, 4, &mut rng).unwrap())
            .collect();
        let product = combine_blinded(&key, &blinded).unwrap();
        let mut partials: Vec<_> = parties
            .iter()
            .map(|p| p.partial_decrypt(&product, &mut rng))
            .collect();
        // Party 1 posts a partial of another ciphertext: excluded, parties 2 and 3 suffice.
        partials[0] = parties[0].partial_decrypt(&shifted, &mut rng);
        let (violators, excluded) = parties[1].learn_violators(&product, &partials, 4).unwrap();
        assert_eq!(violators, vec![true, false, false, true]);
        assert_eq!(excluded, vec![1]);
        // Party 3 silent as well: one valid partial is not enough.
        assert_eq!(
            parties[1].learn_violators(&product, &partials[..2], 4),
            Err(HeError::NotEnoughShares {
                valid: 1,
                needed: 2
            })
        );
    }

    #[test]
    fn bad_setup_and_tampered_reveal_are_refused() {
        let mut rng = ChaCha20Rng::seed_from_u64(33);
        let (key, shares) = deal(256, 2, 2, &mut rng).unwrap();
        let data = real_rows(4);
        let ragged = vec![vec![1.0, 2.0], vec![1.0]];
        assert!(
            VerticalParty::new(
                ragged,
                vec![1.0, -1.0],
                true,
                key.clone(),
                shares[0].clone(),
                &mut rng
            )
            .is_err()
        );
        let short = columns_of(&data, 0..3)[..3].to_vec();
        assert!(
            VerticalParty::new(
                short,
                data.labels.clone(),
                true,
                key.clone(),
                shares[0].clone(),
                &mut rng
            )
            .is_err()
        );
        let parties = setup_parties(&data, &key, &shares, &mut rng).unwrap();
        let commitments: Vec<_> = parties.iter().map(VerticalParty::seed_commitment).collect();
        let mut reveals: Vec<_> = parties.iter().map(VerticalParty::reveal_seed).collect();
        assert!(Schedule::from_reveals(&commitments, &reveals).is_ok());
        reveals[1][0] ^= 1;
        assert!(matches!(
            Schedule::from_reveals(&commitments, &reveals),
            Err(HeError::Protocol(_))
        ));
    }
}
