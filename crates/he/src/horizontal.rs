//! Ch. 4 with its flaws fixed: hospitals hold rows of one schema, a model owner trains a linear
//! SVM by full-batch gradient descent and learns only the per-round **aggregate** gradient.
//!
//! Round `t`: the owner broadcasts the model (public to the task's participants, spec §2.7);
//! each hospital computes on its own rows `(Σ_viol y x, Σ_viol y, m_i)`, fixed-point encodes it
//! (scale `2^20`), packs it into slots and encrypts under the owner's Paillier key; the
//! encrypted vectors travel hospital to hospital, each multiplying in its own, and only the last
//! product reaches the owner, who decrypts the sum and steps. The owner never holds a single
//! hospital's ciphertext, so it learns neither per-sample bits nor per-hospital gradients (the
//! paper's F1 leak); a hospital sees only ciphertexts under a key it does not have. Collusion of
//! the owner with the next hospital in the ring reveals the previous one's partial sum.

use num_bigint::BigInt;
use rand::{CryptoRng, RngCore};

use crate::HeError;
use crate::data::Dataset;
use crate::fixed::{FixedPoint, SlotPacking, to_i128};
use crate::paillier::{Ciphertext, PublicKey, SecretKey};
use crate::svm::{GradientDescent, LinearModel, violator_sums};

/// Gradient sums are encoded at scale `2^20` and must stay below `2^48` (`|Σ y x| < 2^28`).
pub const GRADIENT_FIXED_POINT: FixedPoint = FixedPoint {
    scale_bits: 20,
    magnitude_bits: 48,
};
/// Slot width: 48 bits of magnitude, 7 bits for summing up to 128 hospitals, 1 sign bit.
const SLOT_BITS: u32 = 56;
/// Most hospitals whose sums fit a slot.
pub const MAX_HOSPITALS: usize = 1 << (SLOT_BITS - 1 - GRADIENT_FIXED_POINT.magnitude_bits);

/// A data provider holding some rows.
#[derive(Clone, Debug)]
pub struct Hospital {
    rows: Dataset,
}

/// The running encrypted sum passed along the ring, with how many hospitals have added to it.
#[derive(Clone, Debug)]
pub struct EncryptedAggregate {
    pub ciphertexts: Vec<Ciphertext>,
    pub contributors: usize,
}

impl Hospital {
    /// A hospital with its rows (already in the task's feature schema and scaling).
    pub fn new(rows: Dataset) -> Self {
        Self { rows }
    }

    /// `(Σ_viol y x, Σ_viol y, m_i)` encoded: the same integers the secure and the plaintext
    /// fixed-point runs add, so both give the same model bit for bit.
    pub fn local_contribution(&self, model: &LinearModel) -> Result<Vec<i128>, HeError> {
        let (sum_yx, sum_y) = violator_sums(model, &self.rows);
        sum_yx
            .iter()
            .chain([&sum_y, &(self.rows.len() as f64)])
            .map(|&v| GRADIENT_FIXED_POINT.encode(v))
            .collect()
    }

    /// Adds this hospital's encrypted contribution to the running sum (or starts it).
    pub fn contribute<R: RngCore + CryptoRng>(
        &self,
        owner_key: &PublicKey,
        model: &LinearModel,
        incoming: Option<EncryptedAggregate>,
        rng: &mut R,
    ) -> Result<EncryptedAggregate, HeError> {
        let packing = SlotPacking::for_modulus(owner_key.bits(), SLOT_BITS)?;
        let values: Vec<BigInt> = self
            .local_contribution(model)?
            .into_iter()
            .map(BigInt::from)
            .collect();
        let mine = values
            .chunks(packing.slots)
            .map(|chunk| owner_key.encrypt_signed(&packing.pack(chunk)?, rng))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(match incoming {
            None => EncryptedAggregate {
                ciphertexts: mine,
                contributors: 1,
            },
            Some(sum) => {
                if sum.ciphertexts.len() != mine.len() {
                    return Err(HeError::Protocol(
                        "aggregate has the wrong number of ciphertexts".into(),
                    ));
                }
                let ciphertexts = sum
                    .ciphertexts
                    .iter()
                    .zip(&mine)
                    .map(|(a, b)| owner_key.add(a, b))
                    .collect();
                EncryptedAggregate {
                    ciphertexts,
                    contributors: sum.contributors + 1,
                }
            }
        })
    }
}

/// The analyst: holds the Paillier secret key and the model.
#[derive(Clone, Debug)]
pub struct ModelOwner {
    key: SecretKey,
    model: LinearModel,
    config: GradientDescent,
    hospitals: usize,
}

impl ModelOwner {
    /// An owner training a `dimension`-feature model with `hospitals` contributors per round.
    pub fn new(
        key: SecretKey,
        dimension: usize,
        hospitals: usize,
        config: GradientDescent,
    ) -> Result<Self, HeError> {
        if hospitals == 0 || hospitals > MAX_HOSPITALS {
            return Err(HeError::InvalidParameter("1 to 128 hospitals"));
        }
        Ok(Self {
            key,
            model: LinearModel::zero(dimension),
            config,
            hospitals,
        })
    }

    /// The public key hospitals encrypt under.
    pub fn public_key(&self) -> &PublicKey {
        self.key.public()
    }

    /// The model as broadcast this round.
    pub fn model(&self) -> &LinearModel {
        &self.model
    }

    /// Decrypts the round's aggregate and takes one step; refuses an aggregate that not every
    /// hospital added to, which would be one hospital's gradient in the clear.
    pub fn finish_round(&mut self, aggregate: &EncryptedAggregate) -> Result<(), HeError> {
        if aggregate.contributors != self.hospitals {
            return Err(HeError::Protocol(format!(
                "aggregate of {} hospitals, {} expected",
                aggregate.contributors, self.hospitals
            )));
        }
        let packing = SlotPacking::for_modulus(self.key.public().bits(), SLOT_BITS)?;
        let values = self.model.weights.len() + 2;
        if aggregate.ciphertexts.len() != values.div_ceil(packing.slots) {
            return Err(HeError::Protocol(
                "aggregate has the wrong number of ciphertexts".into(),
            ));
        }
        let mut sums = Vec::with_capacity(values);
        for (i, c) in aggregate.ciphertexts.iter().enumerate() {
            let count = packing.slots.min(values - i * packing.slots);
            for slot in packing.unpack(&self.key.decrypt_signed(c), count) {
                sums.push(to_i128(&slot)?);
            }
        }
        apply_sums(&mut self.model, &self.config, &sums);
        Ok(())
    }
}

/// Decodes `(Σ y x, Σ y, m)` and steps.
fn apply_sums(model: &mut LinearModel, config: &GradientDescent, sums: &[i128]) {
    let decoded: Vec<f64> = sums
        .iter()
        .map(|&v| GRADIENT_FIXED_POINT.decode(v))
        .collect();
    let (rest, rows) = decoded.split_at(decoded.len() - 1);
    let (sum_yx, sum_y) = rest.split_at(rest.len() - 1);
    config.step(model, sum_yx, sum_y[0], rows[0].round() as usize);
}

/// Runs `config.rounds` encrypted rounds: broadcast, ring aggregation, decryption, step.
pub fn train_secure<R: RngCore + CryptoRng>(
    owner: &mut ModelOwner,
    hospitals: &[Hospital],
    rng: &mut R,
) -> Result<LinearModel, HeError> {
    for _ in 0..owner.config.rounds {
        run_round(owner, hospitals, rng)?;
    }
    Ok(owner.model.clone())
}

/// One encrypted round (one pass over every hospital's rows).
pub fn run_round<R: RngCore + CryptoRng>(
    owner: &mut ModelOwner,
    hospitals: &[Hospital],
    rng: &mut R,
) -> Result<(), HeError> {
    let model = owner.model.clone();
    let mut aggregate = None;
    for hospital in hospitals {
        aggregate = Some(hospital.contribute(owner.public_key(), &model, aggregate, rng)?);
    }
    let aggregate = aggregate.ok_or(HeError::Protocol("no hospital".into()))?;
    owner.finish_round(&aggregate)
}

/// The plaintext fixed-point run: the same integers summed in the clear.
pub fn train_plaintext(
    hospitals: &[Hospital],
    dimension: usize,
    config: &GradientDescent,
) -> Result<LinearModel, HeError> {
    let mut model = LinearModel::zero(dimension);
    for _ in 0..config.rounds {
        let mut sums = vec![0i128; dimension + 2];
        for hospital in hospitals {
            for (s, v) in sums.iter_mut().zip(hospital.local_contribution(&model)?) {
                *s += v;
            }
        }
        apply_sums(&mut model, config, &sums);
    }
    Ok(model)
}

/// Deals rows to `count` hospitals round-robin (equal shares, as in Figs. 4.6-4.7).
pub fn split_rows(data: &Dataset, count: usize) -> Vec<Hospital> {
    (0..count)
        .map(|h| {
            let indices: Vec<usize> = (h..data.len()).step_by(count).collect();
            Hospital::new(data.select(&indices))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Standardizer, data_dir, load_bcw};
    use crate::svm::train_centralised;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// 120 real BCWD rows over 3 hospitals, a 512-bit key and 15 rounds (small: tests only).
    #[test]
    fn secure_training_equals_plaintext_on_real_rows() {
        let bcw = load_bcw(&data_dir().join("tabular/bcw_original.csv")).unwrap();
        let subset = bcw.select(&(0..120).collect::<Vec<_>>());
        let data = Standardizer::fit(&subset).apply(&subset);
        let config = GradientDescent {
            rounds: 15,
            ..GradientDescent::PAPER_BASELINE
        };
        let hospitals = split_rows(&data, 3);
        let mut rng = ChaCha20Rng::seed_from_u64(21);
        let key = SecretKey::generate(512, &mut rng).unwrap();
        let mut owner = ModelOwner::new(key, 9, 3, config).unwrap();
        let secure = train_secure(&mut owner, &hospitals, &mut rng).unwrap();
        let plain = train_plaintext(&hospitals, 9, &config).unwrap();
        assert_eq!(
            secure, plain,
            "encrypted and plaintext fixed-point runs must agree bit for bit"
        );
        let centralised = train_centralised(&data, &config);
        assert!(
            secure.max_difference(&centralised) < 1e-4,
            "fixed point ≈ f64"
        );
        assert!(secure.evaluate(&data).accuracy > 0.9);
        assert_ne!(secure, LinearModel::zero(9));
    }

    #[test]
    fn owner_refuses_a_partial_aggregate() {
        let bcw = load_bcw(&data_dir().join("tabular/bcw_original.csv")).unwrap();
        let hospitals = split_rows(&bcw.select(&(0..20).collect::<Vec<_>>()), 2);
        let mut rng = ChaCha20Rng::seed_from_u64(22);
        let key = SecretKey::generate(512, &mut rng).unwrap();
        let mut owner = ModelOwner::new(key, 9, 2, GradientDescent::PAPER_BASELINE).unwrap();
        let model = owner.model().clone();
        let one = hospitals[0]
            .contribute(owner.public_key(), &model, None, &mut rng)
            .unwrap();
        assert!(matches!(
            owner.finish_round(&one),
            Err(HeError::Protocol(_))
        ));
        assert_eq!(owner.model(), &model, "nothing changed");
        let both = hospitals[1]
            .contribute(owner.public_key(), &model, Some(one), &mut rng)
            .unwrap();
        owner.finish_round(&both).unwrap();
        assert_ne!(owner.model(), &model);
    }

    #[test]
    fn gradient_overflow_is_an_error() {
        let huge = Dataset {
            features: vec![vec![1e12]],
            labels: vec![1.0],
        };
        let hospital = Hospital::new(huge);
        assert!(matches!(
            hospital.local_contribution(&LinearModel::zero(1)),
            Err(HeError::FixedPointOverflow(_))
        ));
    }
}
