//! Fixed-point encoding of signed reals and slot packing into one Paillier plaintext.
//!
//! A real `x` is the integer `round(x·2^f)` (scale `2^f`, documented per protocol); packing puts
//! `k` signed integers `u_j` into `Σ_j u_j·2^{jL}` with `|u_j| < 2^{L−1}`. Sums of packed values
//! are packed sums as long as every slot sum keeps that bound, which the protocols check through
//! their declared magnitudes before encrypting.

use num_bigint::BigInt;
use num_traits::{One, Signed, ToPrimitive, Zero};

use crate::HeError;

/// Scale `2^scale_bits`; encoded magnitudes must stay below `2^magnitude_bits`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedPoint {
    pub scale_bits: u32,
    pub magnitude_bits: u32,
}

impl FixedPoint {
    /// `round(x·2^f)`; refuses NaN, infinities and `|x·2^f| ≥ 2^magnitude_bits`.
    pub fn encode(&self, x: f64) -> Result<i128, HeError> {
        let scaled = (x * (self.scale_bits as f64).exp2()).round();
        if !scaled.is_finite() || scaled.abs() >= (self.magnitude_bits as f64).exp2() {
            return Err(HeError::FixedPointOverflow(x));
        }
        Ok(scaled as i128)
    }

    /// `v / 2^f`.
    pub fn decode(&self, v: i128) -> f64 {
        v as f64 / (self.scale_bits as f64).exp2()
    }
}

/// `slots` signed slots of `slot_bits` bits each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotPacking {
    pub slot_bits: u32,
    pub slots: usize,
}

impl SlotPacking {
    /// As many slots as fit below `N/4` for a `modulus_bits`-bit `N`, so a packed value is always
    /// in the signed range of `Z_N`.
    pub fn for_modulus(modulus_bits: usize, slot_bits: u32) -> Result<Self, HeError> {
        let slots = (modulus_bits.saturating_sub(2)) / slot_bits as usize;
        if slots == 0 {
            return Err(HeError::InvalidParameter(
                "a slot is wider than the modulus",
            ));
        }
        Ok(Self { slot_bits, slots })
    }

    /// `Σ_j u_j·2^{jL}`; refuses more than `slots` values or `|u_j| ≥ 2^{L−1}`.
    pub fn pack(&self, values: &[BigInt]) -> Result<BigInt, HeError> {
        if values.len() > self.slots {
            return Err(HeError::InvalidParameter("more values than slots"));
        }
        let bound = BigInt::one() << (self.slot_bits - 1);
        let mut packed = BigInt::zero();
        for value in values.iter().rev() {
            if value.abs() >= bound {
                return Err(HeError::SlotOverflow);
            }
            packed = (packed << self.slot_bits) + value;
        }
        Ok(packed)
    }

    /// The first `count` signed slots of a packed integer (lowest slot first); each slot's low
    /// `L` bits are read as two's complement and subtracted before shifting.
    pub fn unpack(&self, packed: &BigInt, count: usize) -> Vec<BigInt> {
        let modulus = BigInt::one() << self.slot_bits;
        let half = BigInt::one() << (self.slot_bits - 1);
        let mut rest = packed.clone();
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let mut low = &rest & (&modulus - 1u32);
            if low >= half {
                low -= &modulus;
            }
            rest = (rest - &low) >> self.slot_bits;
            out.push(low);
        }
        out
    }
}

/// An `i128` slot value back from a `BigInt` that the protocol's bounds keep small.
pub(crate) fn to_i128(v: &BigInt) -> Result<i128, HeError> {
    v.to_i128().ok_or(HeError::SlotOverflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_round_trip_and_bounds() {
        let fp = FixedPoint {
            scale_bits: 16,
            magnitude_bits: 24,
        };
        assert_eq!(fp.encode(1.0).unwrap(), 65536);
        assert_eq!(fp.encode(-0.5).unwrap(), -32768);
        assert!((fp.decode(fp.encode(1.2345).unwrap()) - 1.2345).abs() < 1e-4);
        assert_eq!(fp.encode(256.0), Err(HeError::FixedPointOverflow(256.0)));
        assert!(fp.encode(255.99).is_ok());
        assert!(fp.encode(f64::NAN).is_err());
        assert!(fp.encode(f64::NEG_INFINITY).is_err());
    }

    #[test]
    fn packing_round_trips_and_sums_slotwise() {
        let packing = SlotPacking::for_modulus(256, 40).unwrap();
        assert_eq!(packing.slots, 6);
        let a: Vec<BigInt> = [5i64, -3, 0, -(1 << 30), 1 << 30, -1]
            .map(BigInt::from)
            .to_vec();
        let b: Vec<BigInt> = [-10i64, -3, 7, 1, 2, -1].map(BigInt::from).to_vec();
        let pa = packing.pack(&a).unwrap();
        assert_eq!(packing.unpack(&pa, 6), a);
        let sum = packing.unpack(&(pa + packing.pack(&b).unwrap()), 6);
        let expected: Vec<BigInt> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
        assert_eq!(sum, expected);
        assert_eq!(
            packing.pack(&[BigInt::from(1i64 << 39)]),
            Err(HeError::SlotOverflow)
        );
        assert!(packing.pack(&vec![BigInt::zero(); 7]).is_err());
        assert!(SlotPacking::for_modulus(30, 40).is_err());
    }
}
