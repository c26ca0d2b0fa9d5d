//! Fixed-point encoding of model parameters into `Z_{2^64}` and the integer FedAvg step.
//!
//! A hospital's upload is `[w·q(θ_1), …, w·q(θ_m), w]` where `q(θ) = round(clip(θ, ±B)·2^f)`
//! and `w` is its sample count capped at `max_weight`. Every coordinate of one upload lies in
//! `±max_weight·B·2^f` and [`FixedPoint::new`] refuses parameters unless
//! `participants·max_weight·B·2^f < 2^62`, so the sum over all participants, taken mod `2^64`,
//! never wraps and reads back as a signed `i64`. Everything after [`FixedPoint::encode_update`]
//! (the aggregator's and the chain's side) is integer arithmetic only.

/// Why a fixed-point configuration was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FixedPointError {
    #[error("participants·max_weight·B·2^f = {bound} is not below 2^62: the sum could wrap")]
    RingTooSmall { bound: u128 },
    #[error("clip bound and max weight must be positive")]
    ZeroBound,
    #[error("the total weight of the aggregate is zero")]
    ZeroWeight,
    #[error("aggregate has {got} coordinates, expected {expected}")]
    Length { got: usize, expected: usize },
}

/// Scale `2^frac_bits`, clip bound `B` and weight cap, checked against the ring for `participants`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedPoint {
    frac_bits: u32,
    clip: u32,
    max_weight: u32,
}

impl FixedPoint {
    pub fn new(
        frac_bits: u32,
        clip: u32,
        max_weight: u32,
        participants: usize,
    ) -> Result<FixedPoint, FixedPointError> {
        if clip == 0 || max_weight == 0 {
            return Err(FixedPointError::ZeroBound);
        }
        let bound = (participants as u128)
            .saturating_mul(u128::from(max_weight))
            .saturating_mul(u128::from(clip))
            .saturating_mul(1u128.checked_shl(frac_bits).unwrap_or(u128::MAX));
        if bound >= 1u128 << 62 {
            return Err(FixedPointError::RingTooSmall { bound });
        }
        Ok(FixedPoint {
            frac_bits,
            clip,
            max_weight,
        })
    }

    pub fn frac_bits(&self) -> u32 {
        self.frac_bits
    }

    fn scale(&self) -> f64 {
        (1u64 << self.frac_bits) as f64
    }

    /// `round(clip(θ, ±B)·2^f)` per parameter (client side, the only place floats meet integers).
    pub fn quantize(&self, params: &[f64]) -> Vec<i64> {
        let clip = f64::from(self.clip);
        params
            .iter()
            .map(|p| (p.clamp(-clip, clip) * self.scale()).round() as i64)
            .collect()
    }

    pub fn dequantize(&self, params: &[i64]) -> Vec<f64> {
        params.iter().map(|&p| p as f64 / self.scale()).collect()
    }

    /// The weighted upload `[w·q(θ), w]` as ring elements, `w = min(samples, max_weight)`.
    pub fn encode_update(&self, params: &[f64], samples: usize) -> Vec<u64> {
        let weight = samples.min(self.max_weight as usize) as i64;
        let mut upload: Vec<u64> = self
            .quantize(params)
            .iter()
            .map(|q| (q * weight) as u64)
            .collect();
        upload.push(weight as u64);
        upload
    }

    /// FedAvg in integers: `round(Σ w·q(θ) / Σ w)` per parameter, ties away from zero.
    pub fn average(&self, sum: &[u64], parameters: usize) -> Result<Vec<i64>, FixedPointError> {
        if sum.len() != parameters + 1 {
            return Err(FixedPointError::Length {
                got: sum.len(),
                expected: parameters + 1,
            });
        }
        let (&total_weight, weighted) = sum.split_last().expect("length checked");
        let total_weight = i128::from(total_weight as i64);
        if total_weight <= 0 {
            return Err(FixedPointError::ZeroWeight);
        }
        Ok(weighted
            .iter()
            .map(|&s| {
                let s = i128::from(s as i64);
                let rounded = (2 * s + s.signum() * total_weight) / (2 * total_weight);
                rounded as i64
            })
            .collect())
    }
}

/// Coordinate-wise sum in `Z_{2^64}`: what the aggregate must equal, bit for bit.
pub fn ring_sum<'a>(uploads: impl IntoIterator<Item = &'a [u64]>, dims: usize) -> Vec<u64> {
    let mut sum = vec![0u64; dims];
    for upload in uploads {
        for (s, x) in sum.iter_mut().zip(upload) {
            *s = s.wrapping_add(*x);
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_ring_the_sum_could_wrap_in() {
        assert!(FixedPoint::new(24, 8, 1000, 100).is_ok());
        assert!(matches!(
            FixedPoint::new(44, 8, 1000, 100),
            Err(FixedPointError::RingTooSmall { .. })
        ));
        assert_eq!(
            FixedPoint::new(24, 0, 1000, 10),
            Err(FixedPointError::ZeroBound)
        );
    }

    #[test]
    fn quantize_clips_to_the_bound_and_rounds_to_the_grid() {
        let fixed = FixedPoint::new(4, 2, 10, 3).unwrap();
        assert_eq!(
            fixed.quantize(&[0.5, -0.03, 0.04, 9.0, -9.0]),
            vec![8, 0, 1, 32, -32]
        );
        assert_eq!(fixed.dequantize(&[8, -32]), vec![0.5, -2.0]);
    }

    #[test]
    fn average_of_extreme_uploads_reads_back_without_wrapping() {
        let participants = 100;
        let fixed = FixedPoint::new(24, 8, 1000, participants).unwrap();
        let uploads: Vec<Vec<u64>> = (0..participants)
            .map(|i| fixed.encode_update(&[if i % 2 == 0 { -8.0 } else { -7.5 }, 8.0], 5000))
            .collect();
        let sum = ring_sum(uploads.iter().map(Vec::as_slice), 3);
        let average = fixed.average(&sum, 2).unwrap();
        assert_eq!(fixed.dequantize(&average), vec![-7.75, 8.0]);
    }

    #[test]
    fn average_rounds_ties_away_from_zero_and_refuses_zero_weight() {
        let fixed = FixedPoint::new(0, 100, 10, 2).unwrap();
        // (3 + 2) / 4 = 1.25 → 1; (−3 − 3) / 4 = −1.5 → −2.
        let sum = ring_sum([&[3u64, (-3i64) as u64, 3][..], &[2, (-3i64) as u64, 1]], 3);
        assert_eq!(fixed.average(&sum, 2).unwrap(), vec![1, -2]);
        assert_eq!(fixed.average(&[5, 0], 1), Err(FixedPointError::ZeroWeight));
        assert_eq!(
            fixed.average(&[5], 1),
            Err(FixedPointError::Length {
                got: 1,
                expected: 2
            })
        );
    }
}
