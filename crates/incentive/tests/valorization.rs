//! The valorization model of seed 000 §V against the paper: Fig. 3, the closed form (E.10), the
//! participation and incentive constraints (4)-(5), the lemma's Table VII, and bad input.

use medshare_incentive::valorization::quadratic::{QuadraticEffort, QuadraticParams};
use medshare_incentive::valorization::{
    Assumption, Matrix, Payoff, PrivacyUtility, SharingModel, Valorization, ValorizationError,
};
use medshare_incentive::{Rational, parse_rational, to_f64};
use num_traits::{One, Signed, Zero};
use proptest::prelude::*;

fn q(text: &str) -> Rational {
    parse_rational(text).unwrap()
}

fn params(
    g: [&str; 2],
    tau: [&str; 2],
    phi: &str,
    rho: &str,
    sigma: &str,
    a: &str,
    b: [&str; 2],
) -> QuadraticParams<Rational> {
    QuadraticParams {
        holdings: g.iter().map(|v| q(v)).collect(),
        tau: tau.iter().map(|v| q(v)).collect(),
        b: b.iter().map(|v| q(v)).collect(),
        phi: Matrix::uniform_off_diagonal(2, q(phi)),
        rho: q(rho),
        a: q(a),
        sigma: q(sigma),
    }
}

#[test]
fn fig3_optimum_is_exact() {
    let model = QuadraticParams::<Rational>::fig3().model().unwrap();
    let v = model.solve().unwrap();
    // (E.9) with the Fig. 3 setting: 20 − 6h + 0.2h = 0 → h* = 100/29 for both MDAPs.
    assert_eq!(v.shared, vec![q("100/29"); 2]);
    // x = τ g (b − h*) + φ h* = 690/29, and (8): V(h*) = B(g) − B(g − h*) + C(h*).
    assert_eq!(v.marginal_value, vec![q("690/29"); 2]);
    for i in 0..2 {
        assert_eq!(v.value(i, &v.shared[i]), v.compensation[i]);
        assert_eq!(
            v.base_value[i],
            v.compensation[i].clone() - q("690/29") * q("100/29")
        );
        // Fig. 3: zero net utility at h*, a deficit on either side.
        assert!(model.net_utility(&v, i, &v.shared[i]).is_zero());
        for h in ["0", "1", "3", "4", "7", "10"] {
            assert!(model.net_utility(&v, i, &q(h)).is_negative(), "h = {h}");
        }
    }
    assert_eq!(
        v.net_payoff,
        v.gross_payoff.clone() - v.compensation.iter().sum::<Rational>()
    );
    assert!(v.net_payoff.is_positive());
}

/// (E.10), the paper's closed form for two MDAPs (its `α` is the saturation `a`).
fn closed_form_e10(p: &QuadraticParams<Rational>) -> Vec<Rational> {
    let (t, b, g) = (&p.tau, &p.b, &p.holdings);
    let (phi, rho, sigma, a) = (
        p.phi.get(0, 1).clone(),
        p.rho.clone(),
        p.sigma.clone(),
        p.a.clone(),
    );
    let s = rho.clone() + sigma.clone();
    (0..2)
        .map(|i| {
            let j = 1 - i;
            let num = t[j].clone() * rho.clone() * g[i].clone() * g[i].clone()
                + (t[i].clone() * t[j].clone() * b[i].clone() * g[j].clone()
                    + t[j].clone() * phi.clone() * b[j].clone()
                    - (t[j].clone() * a.clone() - s.clone()) * rho.clone())
                    * g[i].clone()
                + (t[i].clone() * b[i].clone() * s.clone() + phi.clone() * rho.clone())
                    * g[j].clone()
                - (phi.clone() + s.clone()) * rho.clone() * a.clone();
            let den = (t[j].clone() * g[i].clone() + s.clone())
                * (t[i].clone() * g[j].clone() + s.clone())
                - phi.clone() * phi.clone();
            num / den
        })
        .collect()
}

#[test]
fn two_mdaps_match_the_closed_form_e10() {
    for p in [
        QuadraticParams::fig3(),
        params(
            ["12", "8"],
            ["0.3", "0.1"],
            "0.4",
            "1.5",
            "2.5",
            "16",
            ["15", "17"],
        ),
        params(
            ["6", "9"],
            ["0.5", "0.15"],
            "0",
            "1",
            "3",
            "10",
            ["8", "11"],
        ),
    ] {
        let v = p.model().unwrap().solve().unwrap();
        assert!(
            v.shared
                .iter()
                .zip(&p.holdings)
                .all(|(h, g)| h.is_positive() && h < g),
            "interior"
        );
        assert_eq!(v.shared, closed_form_e10(&p));
    }
}

#[test]
fn bounds_bind_when_sharing_is_very_or_not_at_all_productive() {
    // MDAP 0 is so productive it shares everything; MDAP 1's privacy outweighs its payoff.
    let p = params(
        ["10", "10"],
        ["50", "0.001"],
        "0.1",
        "2",
        "1",
        "40",
        ["40", "10"],
    );
    let model = p.model().unwrap();
    let v = model.solve().unwrap();
    assert_eq!(v.shared, vec![q("10"), q("0")]);
    assert!(!model.marginal_utility(&v, 0, &v.shared[0]).is_negative());
    assert!(!model.marginal_utility(&v, 1, &v.shared[1]).is_positive());
    check_irc_icc(&model, &v);
}

#[test]
fn floating_point_agrees_with_exact() {
    let exact = QuadraticParams::<Rational>::fig3()
        .model()
        .unwrap()
        .solve()
        .unwrap();
    let float = QuadraticParams::<f64>::fig3()
        .model()
        .unwrap()
        .solve()
        .unwrap();
    for i in 0..2 {
        assert!((to_f64(&exact.shared[i]) - float.shared[i]).abs() < 1e-12);
        assert!((to_f64(&exact.base_value[i]) - float.base_value[i]).abs() < 1e-9);
    }
}

fn check_irc_icc<F, B, C>(model: &SharingModel<Rational, F, B, C>, v: &Valorization<Rational>)
where
    F: Payoff<Rational>,
    B: PrivacyUtility<Rational>,
    C: medshare_incentive::valorization::SharingCost<Rational>,
{
    for i in 0..model.mdaps() {
        let g = &model.holdings()[i];
        let h = &v.shared[i];
        // (4) binds: Z_i(h*) = B(g_i), i.e. zero net utility.
        assert!(
            model.net_utility(v, i, h).is_zero(),
            "IRC does not bind for MDAP {i}"
        );
        // (5): h* is MDAP i's own optimum under V_i — KKT sign conditions on [0, g_i] …
        let m = model.marginal_utility(v, i, h);
        if h.is_zero() {
            assert!(!m.is_positive());
        } else if h == g {
            assert!(!m.is_negative());
        } else {
            assert!(m.is_zero(), "ICC (5) fails for MDAP {i}");
        }
        // … and no other sharing level on a grid pays it more.
        for k in 0..=8u32 {
            let other = g.clone() * Rational::new(k.into(), 8.into());
            assert!(model.utility(v, i, &other) <= v.utility[i]);
        }
    }
}

fn small(lo: i64, hi: i64, den: i64) -> impl Strategy<Value = Rational> {
    (lo..=hi).prop_map(move |n| Rational::new(n.into(), den.into()))
}

fn quadratic_params() -> impl Strategy<Value = QuadraticParams<Rational>> {
    (1usize..=4).prop_flat_map(|n| {
        (
            prop::collection::vec(small(1, 20, 1), n),
            prop::collection::vec(small(1, 10, 20), n),
            prop::collection::vec(small(0, 10, 1), n),
            prop::collection::vec(small(0, 6, 20), n * (n - 1) / 2),
            small(1, 8, 2),
            small(1, 8, 2),
            small(0, 10, 1),
        )
            .prop_map(move |(g, tau, extra_b, phi, rho, sigma, extra_a)| {
                let max_g = g.iter().max().unwrap().clone();
                QuadraticParams {
                    b: g.iter().zip(&extra_b).map(|(g, e)| g + e).collect(),
                    holdings: g,
                    tau,
                    phi: Matrix::from_upper_triangle(n, &phi).unwrap(),
                    rho,
                    a: max_g + extra_a,
                    sigma,
                }
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn irc_binds_and_icc_holds_at_the_optimum(p in quadratic_params()) {
        let model = p.model().unwrap();
        match model.solve() {
            Err(ValorizationError::NotConcave { .. }) => prop_assume!(false),
            Err(e) => panic!("{e}"),
            Ok(v) => {
                check_irc_icc(&model, &v);
                prop_assert_eq!(
                    v.net_payoff.clone(),
                    v.gross_payoff.clone() - v.compensation.iter().sum::<Rational>()
                );
            }
        }
    }
}

/// Outcome of one pair in Table VII: which MDAP shares more.
fn pair(
    g: [&Rational; 2],
    tau: [&Rational; 2],
    phi: &Rational,
    rho: &Rational,
    sigma: &Rational,
    ab: &Rational,
) -> Option<(QuadraticParams<Rational>, Valorization<Rational>)> {
    let p = QuadraticParams {
        holdings: vec![g[0].clone(), g[1].clone()],
        tau: vec![tau[0].clone(), tau[1].clone()],
        b: vec![ab.clone(), ab.clone()],
        phi: Matrix::uniform_off_diagonal(2, phi.clone()),
        rho: rho.clone(),
        a: ab.clone(),
        sigma: sigma.clone(),
    };
    let v = p.model().ok()?.solve().ok()?;
    Some((p, v))
}

/// Seed 000's lemma (Table VII) on a grid, for the two-MDAP model of Appendix A.2, reading
/// "MDA productivity" as `MP_i = τ_i Σ_{j≠i} g_j` (see `QuadraticParams::productivity`). Every
/// definite cell holds; the lemma's "(mostly)" cells hold in every case of the grid.
#[test]
fn lemma_table_vii_holds_across_a_grid() {
    let taus = ["0.05", "0.1", "0.2", "0.4"].map(q);
    let phis = ["0", "0.1", "0.2", "0.4"].map(q);
    let rhos = ["0.5", "2"].map(q);
    let sigmas = ["1", "2"].map(q);
    let abs = ["15", "25"].map(q);
    let holdings = [("10", "10"), ("12", "8"), ("15", "5"), ("10", "9")].map(|(a, b)| (q(a), q(b)));
    let (mut checked, mut strict) = (0, 0);
    for (gi, gj) in &holdings {
        for phi in &phis {
            for rho in &rhos {
                for sigma in &sigmas {
                    for ab in &abs {
                        // Equal productivity with unequal holdings: τ proportional to g.
                        let equal_mp = [
                            gi.clone() / Rational::from_integer(100.into()),
                            gj.clone() / Rational::from_integer(100.into()),
                        ];
                        let mut cases: Vec<[Rational; 2]> = vec![equal_mp];
                        for ti in &taus {
                            for tj in &taus {
                                cases.push([ti.clone(), tj.clone()]);
                            }
                        }
                        for tau in &cases {
                            let Some((p, v)) =
                                pair([gi, gj], [&tau[0], &tau[1]], phi, rho, sigma, ab)
                            else {
                                continue;
                            };
                            let (mpi, mpj) = (p.productivity(0), p.productivity(1));
                            let (hi, hj) = (&v.shared[0], &v.shared[1]);
                            let interior = v
                                .shared
                                .iter()
                                .zip(&p.holdings)
                                .all(|(h, g)| h.is_positive() && h < g);
                            let claim = if gi == gj {
                                // Row 1, any nonnegative interdependence.
                                Some(mpi.cmp(&mpj))
                            } else if mpi >= mpj {
                                // Row 2, MP_i ≥ MP_j: h_i* > h_j* (the zero-interdependence cells,
                                // and the "(mostly)" cells with positive interdependence).
                                Some(std::cmp::Ordering::Greater)
                            } else {
                                None // "mostly" / "intermediate": no definite claim
                            };
                            let Some(expected) = claim else { continue };
                            checked += 1;
                            let got = hi.cmp(hj);
                            if interior {
                                strict += 1;
                                assert_eq!(
                                    got, expected,
                                    "g = ({gi}, {gj}), τ = ({}, {}), φ = {phi}, ρ = {rho}, σ = {sigma}, a = b = {ab}",
                                    tau[0], tau[1]
                                );
                            } else if expected != std::cmp::Ordering::Equal {
                                // At a bound the order can only tie, never reverse.
                                assert_ne!(got, expected.reverse());
                            }
                            if expected == std::cmp::Ordering::Greater && interior {
                                // The valorization follows (§VI-B): higher marginal value, lower base value.
                                assert!(v.marginal_value[0] > v.marginal_value[1] || gi != gj);
                                if gi == gj {
                                    assert!(v.base_value[0] < v.base_value[1]);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(
        checked > 1000 && strict > 500,
        "grid too thin: {checked} checked, {strict} interior"
    );
}

/// Under (E.6) the productivity of i's MDAs scales with the *others'* holdings, so reading Table
/// VII's "MP" as `τ` alone breaks its second row: with equal τ and no interdependence, the MDAP
/// holding more shares *less* in the Fig. 3 setting.
#[test]
fn table_vii_with_tau_as_productivity_fails_under_e6() {
    let p = params(
        ["12", "8"],
        ["0.2", "0.2"],
        "0",
        "2",
        "2",
        "15",
        ["15", "15"],
    );
    let v = p.model().unwrap().solve().unwrap();
    assert_eq!(v.shared, vec![q("45/14"), q("55/16")]);
    assert!(v.shared[0] < v.shared[1]);
    assert!(p.productivity(0) < p.productivity(1));
}

#[test]
fn payouts_follow_the_valorization_system() {
    let v = QuadraticParams::<Rational>::fig3()
        .model()
        .unwrap()
        .solve()
        .unwrap();
    assert_eq!(v.payout(0, 0).unwrap(), Rational::zero());
    // 3 and 4 straddle h* = 100/29: the payment is linear in between.
    let (p3, p4) = (v.payout(0, 3).unwrap(), v.payout(0, 4).unwrap());
    assert_eq!(p4 - p3, v.marginal_value[0]);
    assert_eq!(v.payout(1, 10).unwrap(), v.value(1, &q("10")));
    assert_eq!(
        v.payout(0, 11),
        Err(ValorizationError::SharedMoreThanHeld {
            mdap: 0,
            shared: 11,
            held: "10".into()
        })
    );
    assert_eq!(
        v.payout(2, 1),
        Err(ValorizationError::UnknownMdap { mdap: 2, mdaps: 2 })
    );
    // A base value below −x_i makes V_i(1) negative: nobody is charged.
    let mut negative = v.clone();
    negative.base_value[0] = -negative.marginal_value[0].clone() - Rational::one();
    assert_eq!(negative.payout(0, 1).unwrap(), Rational::zero());
}

#[test]
fn assumptions_are_enforced_with_a_named_error() {
    let violated = |p: QuadraticParams<Rational>| match p.model() {
        Err(ValorizationError::Violated { assumption, mdap }) => (assumption, mdap),
        other => panic!("expected a violated assumption, got {other:?}"),
    };
    let base = QuadraticParams::<Rational>::fig3;
    let with = |f: &dyn Fn(&mut QuadraticParams<Rational>)| {
        let mut p = base();
        f(&mut p);
        p
    };
    assert_eq!(
        violated(with(&|p| p.holdings[1] = q("-1"))),
        (Assumption::HoldingsNonnegative, Some(1))
    );
    assert_eq!(
        violated(with(&|p| p.b[0] = q("9"))),
        (Assumption::SaturationAtLeastHoldings, Some(0))
    );
    assert_eq!(
        violated(with(&|p| p.tau[1] = q("0"))),
        (Assumption::ProductivityPositive, Some(1))
    );
    assert_eq!(
        violated(with(&|p| p.phi = Matrix::uniform_off_diagonal(2, q("-0.1")))),
        (Assumption::InterdependenceNonnegative, Some(0))
    );
    assert_eq!(
        violated(with(&|p| p.phi.set(0, 1, q("0.3")))),
        (Assumption::InterdependenceSymmetric, Some(0))
    );
    assert_eq!(
        violated(with(&|p| p.rho = q("0"))),
        (Assumption::PrivacyWeightPositive, None)
    );
    assert_eq!(
        violated(with(&|p| p.a = q("9.5"))),
        (Assumption::PrivacySaturationAtLeastHoldings, Some(0))
    );
    assert_eq!(
        violated(with(&|p| p.sigma = q("-2"))),
        (Assumption::EffortWeightPositive, None)
    );
    assert!(matches!(
        with(&|p| p.tau.push(q("1"))).model(),
        Err(ValorizationError::WrongLength {
            parameter: "τ",
            expected: 2,
            found: 3
        })
    ));
    let mut nan = QuadraticParams::<f64>::fig3();
    nan.sigma = f64::NAN;
    assert!(matches!(
        nan.model(),
        Err(ValorizationError::Violated {
            assumption: Assumption::Finite,
            ..
        })
    ));
    assert!(matches!(
        QuadraticParams {
            holdings: vec![],
            tau: vec![],
            b: vec![],
            phi: Matrix::zeros(0),
            ..base()
        }
        .model(),
        Err(ValorizationError::NoMdaps)
    ));
    // Interdependence stronger than the curvature τ Σg + ρ + σ = 6: π is not concave.
    let strong = with(&|p| p.phi = Matrix::uniform_off_diagonal(2, q("7")));
    let err = strong.model().unwrap().solve().unwrap_err();
    assert_eq!(err, ValorizationError::NotConcave { order: 2 });
    assert!(err.to_string().contains("not strictly concave"));
}

/// Pluggable forms: a logarithmic payoff and privacy utility (not polynomial, so in `f64`). The
/// solver must still satisfy (6) and make the IRC bind.
#[test]
fn pluggable_non_quadratic_forms() {
    struct LogPayoff {
        scale: f64,
        phi: f64,
    }
    impl Payoff<f64> for LogPayoff {
        fn value(&self, h: &[f64], _g: &[f64]) -> f64 {
            self.scale * h.iter().map(|x| (1.0 + x).ln()).sum::<f64>() + self.phi * h[0] * h[1]
        }
        fn gradient(&self, h: &[f64], _g: &[f64]) -> Vec<f64> {
            vec![
                self.scale / (1.0 + h[0]) + self.phi * h[1],
                self.scale / (1.0 + h[1]) + self.phi * h[0],
            ]
        }
        fn hessian(&self, h: &[f64], _g: &[f64]) -> Matrix<f64> {
            let mut m = Matrix::uniform_off_diagonal(2, self.phi);
            for (i, x) in h.iter().enumerate() {
                m.set(i, i, -self.scale / (1.0 + x).powi(2));
            }
            m
        }
    }
    struct LogPrivacy(f64);
    impl PrivacyUtility<f64> for LogPrivacy {
        fn value(&self, x: &f64) -> f64 {
            self.0 * (1.0 + x).ln()
        }
        fn derivative(&self, x: &f64) -> f64 {
            self.0 / (1.0 + x)
        }
        fn second_derivative(&self, x: &f64) -> f64 {
            -self.0 / (1.0 + x).powi(2)
        }
    }
    let model = SharingModel::new(
        vec![10.0, 6.0],
        LogPayoff {
            scale: 30.0,
            phi: 0.3,
        },
        LogPrivacy(5.0),
        QuadraticEffort::new(1.0).unwrap(),
    )
    .unwrap();
    let v = model.solve().unwrap();
    for i in 0..2 {
        let h = v.shared[i];
        assert!(h > 0.0 && h < model.holdings()[i]);
        assert!(
            model.marginal_utility(&v, i, &h).abs() < 1e-9,
            "(6) residual"
        );
        assert!(model.net_utility(&v, i, &h).abs() < 1e-9, "IRC binds");
    }
    // Cross-check MDAP 0's condition (6) by bisection given MDAP 1's optimum.
    let foc = |x: f64| 30.0 / (1.0 + x) + 0.3 * v.shared[1] - 5.0 / (11.0 - x) - x;
    let (mut lo, mut hi) = (0.0, 10.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if foc(mid) > 0.0 { lo = mid } else { hi = mid }
    }
    assert!((lo - v.shared[0]).abs() < 1e-9);
}
