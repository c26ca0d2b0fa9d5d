//! The incentive figures: seed 000 Fig. 3 and the trends of seed 003 Figs. 7.4-7.8.

use std::path::{Path, PathBuf};

use medshare_incentive::shapley::simple::{F1Scores, SimpleModel};
use medshare_incentive::valorization::quadratic::QuadraticParams;
use medshare_incentive::{Rational, to_f64};

use medshare_bench::plot::{Chart, Series, Stroke};

/// Writes every figure into `dir`; returns the SVG paths.
pub fn write_all(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    Ok(vec![
        fig3(dir)?,
        fig7_4(dir)?,
        fig7_5_to_7_7(dir, Group::Owners)?,
        fig7_5_to_7_7(dir, Group::Miners)?,
        fig7_5_to_7_7(dir, Group::ThirdParty)?,
        fig7_8(dir)?,
    ])
}

/// Seed 000 Fig. 3: each MDAP's net utility `Z_i(h) − B(g_i)` against the MDAs it shares, in
/// the published setting (g = 10, τ = 0.2, φ = 0.2, ρ = σ = 2, b = a = 15, two MDAPs). Zero at
/// h*, a deficit everywhere else.
fn fig3(dir: &Path) -> anyhow::Result<PathBuf> {
    let model = QuadraticParams::<Rational>::fig3().model()?;
    let valorization = model.solve()?;
    let mut series = Vec::new();
    for i in 0..model.mdaps() {
        let g = &model.holdings()[i];
        let points = (0..=200)
            .map(|k| {
                let h = g * Rational::new(k.into(), 200.into());
                (to_f64(&h), to_f64(&model.net_utility(&valorization, i, &h)))
            })
            .collect();
        let stroke = if i == 0 {
            Stroke::Solid
        } else {
            Stroke::Dashed
        };
        let label = if i == 0 {
            "MDAP 1".to_owned()
        } else {
            format!("MDAP {} (dashed; same parameters here)", i + 1)
        };
        series.push(Series::new(label, points, stroke));
    }
    let optima = valorization
        .shared
        .iter()
        .map(|h| (to_f64(h), 0.0))
        .collect();
    series.push(Series::new(
        "optimum h* (Z* = B(g))",
        optima,
        Stroke::Points,
    ));
    Chart {
        title: "Net utility vs shared MDAs (seed 000 Fig. 3)",
        x_label: "shared MDAs h_i",
        y_label: "net utility Z_i - B(g_i)",
        series,
    }
    .write(dir, "fig3_net_utility")
}

/// `F1` table of two owners with `F1({H1}) = a`, `F1({H2}) = b`, `F1(H) = 1`.
fn two_owner_f1(a: f64, b: f64) -> anyhow::Result<F1Scores> {
    Ok(F1Scores::from_fn(2, |mask| {
        [0.0, a, b, 1.0][mask as usize]
    })?)
}

fn ratios() -> impl Iterator<Item = f64> {
    (1..=20).map(|k| f64::from(k) / 20.0)
}

/// Seed 003 Fig. 7.4: the unit data owner's share `φ_{H1}` and the owners' aggregate `φ_H`
/// against `F1({H1})/F1(H)`, for three values of `F1({H2})/F1(H)` (|M| = 5). The aggregate
/// depends only on the sum of the single scores.
fn fig7_4(dir: &Path) -> anyhow::Result<PathBuf> {
    let mut series = Vec::new();
    for other in [0.2, 0.5, 0.8] {
        let mut unit = Vec::new();
        let mut aggregate = Vec::new();
        for x in ratios() {
            let shares = SimpleModel::new(two_owner_f1(x, other)?, 5)?.closed_form();
            unit.push((x, to_f64(&shares.owners[0])));
            aggregate.push((x, to_f64(&shares.owners_total())));
        }
        series.push(Series::new(
            format!("φ_H1, F1(H2)/F1(H) = {other}"),
            unit,
            Stroke::Solid,
        ));
        series.push(Series::new(
            format!("φ_H, F1(H2)/F1(H) = {other}"),
            aggregate,
            Stroke::Dashed,
        ));
    }
    Chart {
        title: "Owner shares vs single-owner F1 (seed 003 Fig. 7.4; |H| = 2, |M| = 5)",
        x_label: "F1({H1}) / F1(H)",
        y_label: "share of revenue",
        series,
    }
    .write(dir, "fig7_4_owner_f1")
}

#[derive(Clone, Copy)]
enum Group {
    Owners,
    Miners,
    ThirdParty,
}

/// Seed 003 Figs. 7.5-7.7: one group's aggregate share against `F0/F1(H)` with
/// `F1({H1}) = F1({H2}) = F0`, |M| = 5 (and |M| = 10 for comparison).
fn fig7_5_to_7_7(dir: &Path, group: Group) -> anyhow::Result<PathBuf> {
    let (name, title, symbol) = match group {
        Group::Owners => (
            "fig7_5_owners",
            "Data owners' share vs F0/F1(H) (seed 003 Fig. 7.5)",
            "φ_H",
        ),
        Group::Miners => (
            "fig7_6_miners",
            "Miners' share vs F0/F1(H) (seed 003 Fig. 7.6)",
            "φ_M",
        ),
        Group::ThirdParty => (
            "fig7_7_third_party",
            "Third party's share vs F0/F1(H) (seed 003 Fig. 7.7)",
            "φ_T",
        ),
    };
    let mut series = Vec::new();
    for (miners, stroke) in [(5, Stroke::Solid), (10, Stroke::Dashed)] {
        let mut points = Vec::new();
        for x in ratios() {
            let shares = SimpleModel::new(two_owner_f1(x, x)?, miners)?.closed_form();
            let y = match group {
                Group::Owners => shares.owners_total(),
                Group::Miners => shares.miners_total(),
                Group::ThirdParty => shares.third_party,
            };
            points.push((x, to_f64(&y)));
        }
        series.push(Series::new(
            format!("{symbol}, |H| = 2, |M| = {miners}"),
            points,
            stroke,
        ));
    }
    Chart {
        title,
        x_label: "F0 / F1(H)",
        y_label: "share of revenue",
        series,
    }
    .write(dir, name)
}

/// Seed 003 Fig. 7.8: the three groups' shares against the number of data owners, |M| = 5, all
/// F1 scores equal.
fn fig7_8(dir: &Path) -> anyhow::Result<PathBuf> {
    let (mut owners, mut miners, mut third) = (Vec::new(), Vec::new(), Vec::new());
    for count in 1..=10usize {
        let shares = SimpleModel::new(F1Scores::by_size_fn(count, |_| 0.8)?, 5)?.closed_form();
        let x = count as f64;
        owners.push((x, to_f64(&shares.owners_total())));
        miners.push((x, to_f64(&shares.miners_total())));
        third.push((x, to_f64(&shares.third_party)));
    }
    Chart {
        title: "Shares vs number of data owners (seed 003 Fig. 7.8; |M| = 5, equal F1)",
        x_label: "data owners |H|",
        y_label: "share of revenue",
        series: vec![
            Series::new("φ_H (data owners)", owners, Stroke::Solid),
            Series::new("φ_M (miners)", miners, Stroke::Solid),
            Series::new("φ_T (third party)", third, Stroke::Solid),
        ],
    }
    .write(dir, "fig7_8_owner_count")
}
