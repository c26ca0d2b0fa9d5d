//! What a payout and a revenue publish, and their canonical encoding.

use crate::types::{Field, GroupId, Ratio, read_bytes, read_count, read_vec};
use bytes::Buf;
use commonware_codec::{Error as CodecError, ReadExt, Write};

/// Most MDAPs one payout values: the exact solve of the valorization model is cubic in it.
pub const MAX_PAYOUT_MDAPS: usize = 16;
/// Most data-owner institutions one revenue splits among: the F1 table has `2^owners` entries.
pub const MAX_REVENUE_OWNERS: usize = 8;
/// A revenue's invoice reference.
pub const MAX_REFERENCE: usize = 64;
/// Pairs of MDAPs of the largest payout.
const MAX_PAIRS: usize = MAX_PAYOUT_MDAPS * (MAX_PAYOUT_MDAPS - 1) / 2;

/// One MDAP of a payout: its pseudonym and its own parameters in the valorization model (seed 000
/// §V, Appendix A.2).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayoutMdap {
    pub pk: Field,
    /// `g_i`: MDAs it holds; caps what it is paid for.
    pub holdings: u64,
    /// `τ_i > 0`: productivity of its MDAs (E.6).
    pub tau: Ratio,
    /// `b_i ≥ g_i`: where F saturates in its MDAs (E.6).
    pub b: Ratio,
}

/// What a payout publishes: the epoch, the budget and the model's parameters.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayoutTerms {
    pub from_height: u64,
    pub to_height: u64,
    /// Most tokens this payout may credit in total.
    pub budget: u128,
    /// Tokens (smallest unit) per unit of value of the model.
    pub tokens_per_unit: u64,
    pub mdaps: Vec<PayoutMdap>,
    /// `φ_ij ≥ 0` for the pairs (1,2), (1,3), …, (n−1,n) of `mdaps` (E.6).
    pub phi: Vec<Ratio>,
    /// `ρ > 0`: weight of privacy (E.7).
    pub rho: Ratio,
    /// `a ≥ g_i`: where the privacy utility saturates (E.7).
    pub a: Ratio,
    /// `σ > 0`: weight of effort (E.8).
    pub sigma: Ratio,
}

/// What a revenue publishes: the fee, the period and the game's parameters.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevenueTerms {
    pub fee: u128,
    /// The invoice this fee settles, hex: two equal fees are two transactions.
    #[serde(with = "crate::types::hex_bytes")]
    pub reference: Vec<u8>,
    pub from_height: u64,
    pub to_height: u64,
    /// The data owners `H`: the groups whose data trained the service.
    pub owners: Vec<GroupId>,
    /// `F1(H')` in billionths for every coalition `H'` of `owners`, by bit mask (bit i for
    /// `owners[i]`): `2^|owners|` entries, `F1(∅) = 0` (7.8).
    pub f1: Vec<u64>,
    /// The third party `T_0` that sold the service: a data user's pseudonym.
    pub third_party: Field,
}

impl PayoutTerms {
    pub(super) fn write(&self, buf: &mut Vec<u8>) {
        self.from_height.write(buf);
        self.to_height.write(buf);
        self.budget.write(buf);
        self.tokens_per_unit.write(buf);
        (self.mdaps.len() as u32).write(buf);
        for mdap in &self.mdaps {
            mdap.pk.write(buf);
            mdap.holdings.write(buf);
            mdap.tau.write(buf);
            mdap.b.write(buf);
        }
        self.phi.write(buf);
        self.rho.write(buf);
        self.a.write(buf);
        self.sigma.write(buf);
    }

    pub(super) fn read(buf: &mut impl Buf) -> Result<Self, CodecError> {
        Ok(Self {
            from_height: u64::read(buf)?,
            to_height: u64::read(buf)?,
            budget: u128::read(buf)?,
            tokens_per_unit: u64::read(buf)?,
            mdaps: {
                let n = read_count(buf, MAX_PAYOUT_MDAPS, "Payout")?;
                (0..n)
                    .map(|_| {
                        Ok(PayoutMdap {
                            pk: Field::read(buf)?,
                            holdings: u64::read(buf)?,
                            tau: Ratio::read(buf)?,
                            b: Ratio::read(buf)?,
                        })
                    })
                    .collect::<Result<_, CodecError>>()?
            },
            phi: read_vec(buf, MAX_PAIRS)?,
            rho: Ratio::read(buf)?,
            a: Ratio::read(buf)?,
            sigma: Ratio::read(buf)?,
        })
    }
}

impl RevenueTerms {
    pub(super) fn write(&self, buf: &mut Vec<u8>) {
        self.fee.write(buf);
        self.reference.write(buf);
        self.from_height.write(buf);
        self.to_height.write(buf);
        (self.owners.len() as u32).write(buf);
        for owner in &self.owners {
            owner.write(buf);
        }
        self.f1.write(buf);
        self.third_party.write(buf);
    }

    pub(super) fn read(buf: &mut impl Buf) -> Result<Self, CodecError> {
        Ok(Self {
            fee: u128::read(buf)?,
            reference: read_bytes(buf, MAX_REFERENCE)?,
            from_height: u64::read(buf)?,
            to_height: u64::read(buf)?,
            owners: {
                let n = read_count(buf, MAX_REVENUE_OWNERS, "Revenue")?;
                (0..n)
                    .map(|_| GroupId::read(buf))
                    .collect::<Result<_, CodecError>>()?
            },
            f1: read_vec(buf, 1 << MAX_REVENUE_OWNERS)?,
            third_party: Field::read(buf)?,
        })
    }
}
