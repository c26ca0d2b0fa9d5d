//! Shapley revenue sharing of seed 003 ch. 7 against brute force, the book's observations, and
//! the on-chain split.

use medshare_incentive::shapley::cooperation::{CooperationModel, Offering};
use medshare_incentive::shapley::simple::{F1_SCALE, F1Scores, SimpleModel, owner_shares};
use medshare_incentive::shapley::validators::ValidatorWeights;
use medshare_incentive::shapley::{
    Allocation, ShapleyError, exact_by_permutations, exact_by_subsets, monte_carlo,
};
use medshare_incentive::{Rational, to_f64};
use num_traits::{One, Zero};
use proptest::prelude::*;

fn r(n: i64, d: i64) -> Rational {
    Rational::new(n.into(), d.into())
}

/// |H| = 2 with F1({H1}) = F1({H2}) = f0 · F1(H) and F1(H) = 1.
fn two_owners(f0: f64) -> F1Scores {
    F1Scores::from_fn(2, |mask| if mask == 0b11 { 1.0 } else { f0 }).unwrap()
}

/// Group shares (owners, miners, third party) from per-player values in the game's unit.
fn groups(model: &SimpleModel, phi: &[Rational]) -> (Rational, Rational, Rational) {
    let all = Rational::from_integer(model.f1().of_all().into());
    let h = model.owners();
    let owners: Rational = phi[..h].iter().sum();
    let miners: Rational = phi[h..h + model.miners()].iter().sum();
    (
        owners / &all,
        miners / &all,
        phi[model.third_party()].clone() / &all,
    )
}

#[test]
fn book_unit_model_test_vectors() {
    // |H| = 2, |M| = 5, one third party (seed 003 §7.5.1, Figs. 7.5-7.7).
    let expected = [
        (0.1, [0.6190, 0.0238, 0.3571]),
        (0.5, [0.4762, 0.0476, 0.4762]),
        (0.9, [0.3333, 0.0714, 0.5952]),
        (1.0, [0.2976, 0.0774, 0.6250]),
    ];
    for (f0, [owners, miners, third]) in expected {
        let model = SimpleModel::new(two_owners(f0), 5).unwrap();
        let closed = model.closed_form();
        let closed_groups = (
            closed.owners_total(),
            closed.miners_total(),
            closed.third_party.clone(),
        );
        // Brute force over the coalition game, both ways, equals the closed form exactly.
        let by_subsets = exact_by_subsets(&model).unwrap();
        assert_eq!(groups(&model, &by_subsets), closed_groups);
        assert_eq!(exact_by_permutations(&model).unwrap(), by_subsets);
        for (got, want) in [
            (&closed_groups.0, owners),
            (&closed_groups.1, miners),
            (&closed_groups.2, third),
        ] {
            assert!(
                (to_f64(got) - want).abs() < 5e-5,
                "F0/F1(H) = {f0}: {} vs {want}",
                to_f64(got)
            );
        }
        // Efficiency (7.4), exactly.
        assert_eq!(
            closed_groups.0 + closed_groups.1 + closed_groups.2,
            Rational::one()
        );
    }
    // The exact values behind the rounded ones at F0/F1(H) = 0.5: 10/21, 1/21, 10/21.
    let half = SimpleModel::new(two_owners(0.5), 5).unwrap().closed_form();
    assert_eq!(
        (half.owners_total(), half.miners_total(), half.third_party),
        (r(10, 21), r(1, 21), r(10, 21))
    );
}

#[test]
fn owner_shares_follow_marginal_f1() {
    // φ_1 = ½(0.6 − 0) + ½(1 − 0.2) = 0.7, φ_2 = 0.3 (7.8).
    let f1 = F1Scores::from_fn(2, |m| [0.0, 0.6, 0.2, 1.0][m as usize]).unwrap();
    assert_eq!(owner_shares(&f1), vec![r(7, 10), r(3, 10)]);
    // Symmetric owners share equally; the shares always sum to 1.
    let symmetric = F1Scores::from_fn(4, |m| 0.2 * f64::from(m.count_ones())).unwrap();
    assert_eq!(owner_shares(&symmetric), vec![r(1, 4); 4]);
    let lumpy = F1Scores::from_fn(3, |m| {
        [0.0, 0.5, 0.1, 0.55, 0.3, 0.7, 0.35, 0.9][m as usize]
    })
    .unwrap();
    assert_eq!(
        owner_shares(&lumpy).iter().sum::<Rational>(),
        Rational::one()
    );
}

#[test]
fn group_shares_depend_only_on_the_sum_of_single_scores() {
    // Seed 003 §7.5.1 (Figs. 7.4-7.5): with two owners, only F1({H1}) + F1({H2}) matters.
    let shares = |a: f64, b: f64| {
        let f1 = F1Scores::from_fn(2, |m| [0.0, a, b, 1.0][m as usize]).unwrap();
        let s = SimpleModel::new(f1, 5).unwrap().closed_form();
        (s.owners_total(), s.miners_total(), s.third_party)
    };
    assert_eq!(shares(0.3, 0.5), shares(0.4, 0.4));
    assert_eq!(shares(0.1, 0.9), shares(0.5, 0.5));
    assert_ne!(shares(0.1, 0.9), shares(0.4, 0.4));
}

#[test]
fn book_trends_hold() {
    // Figs. 7.5-7.7: as F0/F1(H) grows, the owners' share falls and the others' rise.
    let mut last: Option<(Rational, Rational, Rational)> = None;
    for step in 1..=10 {
        let s = SimpleModel::new(two_owners(f64::from(step) / 10.0), 5)
            .unwrap()
            .closed_form();
        let now = (s.owners_total(), s.miners_total(), s.third_party);
        if let Some((o, m, t)) = &last {
            assert!(now.0 < *o && now.1 > *m && now.2 > *t);
        }
        last = Some(now);
    }
    // Fig. 7.8: more data owners (all F1 scores equal, |M| = 5), more for the third party.
    let mut last_third = Rational::zero();
    for owners in 1..=8 {
        let f1 = F1Scores::from_fn(owners, |_| 0.8).unwrap();
        let s = SimpleModel::new(f1, 5).unwrap().closed_form();
        assert!(s.third_party > last_third);
        last_third = s.third_party;
    }
}

#[test]
fn validator_weights_reweigh_the_miners_only() {
    let model = SimpleModel::new(two_owners(0.5), 4).unwrap();
    let rounds = [vec![0, 1, 2, 3], vec![0, 1, 2], vec![3, 1, 2]];
    let weights = ValidatorWeights::from_finalizations(4, &rounds).unwrap();
    let shares = model.shares(&weights).unwrap();
    let uniform = model
        .shares(&ValidatorWeights::uniform(4).unwrap())
        .unwrap();
    assert_eq!(shares.owners, uniform.owners);
    assert_eq!(shares.third_parties, uniform.third_parties);
    assert_eq!(shares.miners_total(), uniform.miners_total());
    assert!(shares.miners[1] > shares.miners[0] && shares.miners[0] == shares.miners[3]);
    assert_eq!(shares.total(), Rational::one());
    assert_eq!(
        model.shares(&ValidatorWeights::uniform(3).unwrap()),
        Err(ShapleyError::MinerWeights {
            miners: 4,
            weights: 3
        })
    );
}

#[test]
fn fee_split_is_exact_and_deterministic() {
    let model = SimpleModel::new(two_owners(0.5), 5).unwrap();
    let shares = model
        .shares(&ValidatorWeights::uniform(5).unwrap())
        .unwrap();
    // 10/21, 1/21, 10/21 of 1000 tokens: owners 238.09…, miners 9.52… each, third party
    // 476.19…; the floors leave 3 units, which go to the largest remainders — three of the five
    // tied miners, lowest index first.
    let paid = shares.split(1000).unwrap();
    assert_eq!(paid.owners, vec![238, 238]);
    assert_eq!(paid.miners, vec![10, 10, 10, 9, 9]);
    assert_eq!(paid.third_parties, vec![476]);
    for fee in [0u128, 1, 7, 20, 1_000_003, u128::MAX] {
        let paid = shares.split(fee).unwrap();
        let sum: u128 = paid
            .owners
            .iter()
            .chain(&paid.miners)
            .chain(&paid.third_parties)
            .sum();
        assert_eq!(sum, fee);
    }
}

/// Seed 003 Fig. 7.2: three third parties, four owners, data types a = 0, b = 1, c = 2.
fn fig_7_2() -> CooperationModel {
    let owner_data = vec![vec![0], vec![0, 1], vec![1, 2], vec![2]];
    let f1 = |owners: usize| {
        F1Scores::from_fn(owners, |m| {
            0.5 + 0.4 * f64::from(m.count_ones()) / owners as f64
        })
        .unwrap()
    };
    let offerings = vec![
        Offering {
            third_party: 0,
            service: 0,
            payment: 600,
            f1: f1(2),
        },
        Offering {
            third_party: 1,
            service: 1,
            payment: 900,
            f1: f1(2),
        },
        Offering {
            third_party: 1,
            service: 2,
            payment: 300,
            f1: f1(2),
        },
        Offering {
            third_party: 2,
            service: 2,
            payment: 1_000,
            f1: f1(2),
        },
    ];
    let weights =
        ValidatorWeights::from_finalizations(4, &[vec![0, 1, 2], vec![1, 2, 3], vec![0, 1, 2, 3]])
            .unwrap();
    CooperationModel::new(owner_data, 3, weights, offerings).unwrap()
}

#[test]
fn cooperation_model_aggregates_simple_models() {
    let model = fig_7_2();
    assert_eq!(model.revenue(), 2_800);
    assert_eq!(model.owners_sharing(2), vec![2, 3]);
    let amounts = model.distribute();
    assert_eq!(amounts.total(), Rational::from_integer(2_800.into()));
    // Owner 0 shares only type a: it earns from third party 0's offering alone.
    let a = SimpleModel::new(
        F1Scores::from_fn(2, |m| 0.5 + 0.2 * f64::from(m.count_ones())).unwrap(),
        4,
    )
    .unwrap();
    let a_shares = a
        .shares(
            &ValidatorWeights::from_finalizations(
                4,
                &[vec![0, 1, 2], vec![1, 2, 3], vec![0, 1, 2, 3]],
            )
            .unwrap(),
        )
        .unwrap();
    assert_eq!(
        amounts.owners[0],
        &a_shares.owners[0] * Rational::from_integer(600.into())
    );
    let paid = model.payouts().unwrap();
    let sum: u128 = paid
        .owners
        .iter()
        .chain(&paid.miners)
        .chain(&paid.third_parties)
        .sum();
    assert_eq!(sum, 2_800);
    assert_eq!(paid, model.payouts().unwrap());
}

#[test]
fn cooperation_model_rejects_inconsistent_offerings() {
    let weights = ValidatorWeights::uniform(4).unwrap();
    let f1 = F1Scores::from_fn(1, |_| 0.9).unwrap();
    let offer = |third_party, service, f1: &F1Scores| Offering {
        third_party,
        service,
        payment: 10,
        f1: f1.clone(),
    };
    let build =
        |offerings| CooperationModel::new(vec![vec![0], vec![1]], 2, weights.clone(), offerings);
    assert_eq!(
        build(vec![offer(2, 0, &f1)]),
        Err(ShapleyError::UnknownThirdParty {
            offering: 0,
            third_party: 2,
            third_parties: 2
        })
    );
    assert_eq!(
        build(vec![offer(0, 0, &f1), offer(0, 0, &f1)]),
        Err(ShapleyError::DuplicateOffering {
            third_party: 0,
            service: 0
        })
    );
    assert_eq!(
        build(vec![offer(0, 5, &f1)]),
        Err(ShapleyError::NoOwnersForService {
            offering: 0,
            service: 5
        })
    );
    let two = F1Scores::from_fn(2, |_| 0.9).unwrap();
    assert_eq!(
        build(vec![offer(1, 1, &two)]),
        Err(ShapleyError::OfferingOwners {
            offering: 0,
            expected: 1,
            found: 2
        })
    );
    let huge = Offering {
        payment: u128::MAX,
        ..offer(0, 0, &f1)
    };
    assert_eq!(
        build(vec![huge, offer(1, 1, &f1)]),
        Err(ShapleyError::RevenueOverflow)
    );
    // No offerings: nothing to pay, nobody paid.
    let idle = build(vec![]).unwrap();
    assert_eq!(
        idle.payouts().unwrap(),
        Allocation {
            owners: vec![0, 0],
            miners: vec![0; 4],
            third_parties: vec![0, 0]
        }
    );
}

#[test]
fn monte_carlo_covers_the_closed_form() {
    // 60 players: 3 owners with unequal data, 56 miners, one third party.
    let f1 =
        F1Scores::from_fn(3, |m| [0.0, 0.5, 0.3, 0.7, 0.2, 0.6, 0.45, 0.8][m as usize]).unwrap();
    let model = SimpleModel::new(f1, 56).unwrap();
    let exact = model.closed_form();
    let mc = monte_carlo(&model, 4_000, 11, &model.groups()).unwrap();
    let scale = F1_SCALE as f64 * 0.8;
    let want = [
        to_f64(&exact.owners_total()),
        to_f64(&exact.miners_total()),
        to_f64(&exact.third_party),
    ];
    for (estimate, want) in mc.groups.iter().zip(want) {
        let (mean, half) = (estimate.mean / scale, estimate.half_width / scale);
        assert!(
            (mean - want).abs() <= 1.5 * half,
            "{mean} ± {half} vs {want}"
        );
        assert!(half < 0.02);
    }
    for (i, share) in exact.owners.iter().enumerate() {
        let e = mc.players[i];
        assert!((e.mean / scale - to_f64(share)).abs() <= 1.5 * e.half_width / scale);
    }
}

fn f1_table() -> impl Strategy<Value = F1Scores> {
    (1usize..=3).prop_flat_map(|owners| {
        prop::collection::vec(0u64..=F1_SCALE, (1 << owners) - 1).prop_map(move |mut rest| {
            let last = rest.len() - 1;
            rest[last] = rest[last].max(1);
            let mut scores = vec![0];
            scores.extend(rest);
            F1Scores::new(owners, scores).unwrap()
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Theorem 2's closed form is the Shapley value of the simple model's coalition game, and
    /// it is efficient, for any F1 table (not only monotone ones).
    #[test]
    fn closed_form_is_brute_force(f1 in f1_table(), miners in 1usize..=4) {
        let model = SimpleModel::new(f1, miners).unwrap();
        let closed = model.closed_form();
        let phi = exact_by_subsets(&model).unwrap();
        let all = Rational::from_integer(model.f1().of_all().into());
        for (i, share) in closed.owners.iter().enumerate() {
            prop_assert_eq!(&phi[i] / &all, share.clone());
        }
        for k in 0..miners {
            prop_assert_eq!(&phi[model.owners() + k] / &all, closed.miner.clone());
        }
        prop_assert_eq!(&phi[model.third_party()] / &all, closed.third_party.clone());
        prop_assert_eq!(closed.owners_total() + closed.miners_total() + closed.third_party, Rational::one());
    }
}

#[test]
fn owners_alike_match_the_full_table() {
    let curve = |k: usize| 0.55 + 0.4 * (1.0 - (-(k as f64) / 2.0).exp());
    let alike = F1Scores::by_size_fn(4, curve).unwrap();
    let table = F1Scores::from_fn(4, |mask| curve(mask.count_ones() as usize)).unwrap();
    assert_eq!(owner_shares(&alike), vec![r(1, 4); 4]);
    assert_eq!(owner_shares(&table), vec![r(1, 4); 4]);
    for miners in [1, 3] {
        let by_size = SimpleModel::new(alike.clone(), miners).unwrap();
        let full = SimpleModel::new(table.clone(), miners).unwrap();
        assert_eq!(by_size.closed_form(), full.closed_form());
        assert_eq!(
            exact_by_subsets(&by_size).unwrap(),
            exact_by_subsets(&full).unwrap()
        );
    }
    // Hundreds of owners: only the closed form (and sampling) reach them; still exactly efficient.
    let many = SimpleModel::new(
        F1Scores::by_size_fn(300, |k| 0.5 + 0.4 * k as f64 / 300.0).unwrap(),
        7,
    )
    .unwrap();
    let shares = many.closed_form();
    assert_eq!(
        shares.owners_total() + shares.miners_total() + shares.third_party,
        Rational::one()
    );
    assert_eq!(F1Scores::by_size(vec![0]), Err(ShapleyError::NoOwners));
    assert_eq!(F1Scores::by_size(vec![1, 5]), Err(ShapleyError::F1OfNobody));
    assert_eq!(
        F1Scores::by_size_fn(3, |k| k as f64 / 2.0),
        Err(ShapleyError::F1OfSizeOutOfRange { size: 3 })
    );
}
