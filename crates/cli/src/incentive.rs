//! `medshare incentive ...`: valorization (seed 000 §V), Shapley sharing (seed 003 ch. 7), figures.

mod figures;

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Subcommand, ValueEnum};
use medshare_incentive::shapley::cooperation::{CooperationModel, Offering};
use medshare_incentive::shapley::simple::{F1Scores, SimpleModel};
use medshare_incentive::shapley::validators::ValidatorWeights;
use medshare_incentive::shapley::{
    Allocation, exact_by_permutations, exact_by_subsets, monte_carlo,
};
use medshare_incentive::valorization::Matrix;
use medshare_incentive::valorization::quadratic::QuadraticParams;
use medshare_incentive::{Rational, parse_rational, to_f64};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Subcommand)]
pub enum Incentive {
    /// Optimal MDA sharing h* and the valorization V_i = x_i h_i + y_i (seed 000 §V, Appendix A.2).
    Valorize(Box<ValorizeArgs>),
    /// Shapley revenue shares of data owners, miners and third parties (seed 003 ch. 7).
    Shapley(Box<ShapleyArgs>),
    /// Write seed 000 Fig. 3 and the trends of seed 003 Figs. 7.4-7.8 as SVG (and CSV).
    Plots {
        /// Directory for the figures.
        #[arg(long, default_value = "bench-results/incentive")]
        out: PathBuf,
    },
}

pub fn run(incentive: Incentive) -> anyhow::Result<()> {
    match incentive {
        Incentive::Valorize(args) => valorize(*args),
        Incentive::Shapley(args) => shapley(*args),
        Incentive::Plots { out } => {
            for path in figures::write_all(&out)? {
                println!("wrote {}", path.display());
            }
            Ok(())
        }
    }
}

fn rational(text: &str) -> Result<Rational, String> {
    parse_rational(text).map_err(|e| e.to_string())
}

/// Parameters of the quadratic model; the defaults are the setting of seed 000 Fig. 3. Numbers
/// are exact decimals or fractions (0.2 means 1/5).
#[derive(clap::Args)]
pub struct ValorizeArgs {
    /// MDAs held by each MDAP, g_i: one value per MDAP.
    #[arg(long, value_delimiter = ',', value_parser = rational, default_value = "10,10")]
    holdings: Vec<Rational>,
    /// Productivity τ_i > 0 of each MDAP's MDAs (E.6): one value for all, or one per MDAP.
    #[arg(long, value_delimiter = ',', value_parser = rational, default_value = "0.2")]
    tau: Vec<Rational>,
    /// Saturation b_i ≥ g_i of the payoff F (E.6): one value for all, or one per MDAP.
    #[arg(long, value_delimiter = ',', value_parser = rational, default_value = "15")]
    b: Vec<Rational>,
    /// Interdependence φ_ij ≥ 0 (E.6): one value for every pair, or n(n−1)/2 values for the pairs
    /// (1,2), (1,3), …, (1,n), (2,3), …, (n−1,n).
    #[arg(long, value_delimiter = ',', value_parser = rational, default_value = "0.2")]
    phi: Vec<Rational>,
    /// Weight of privacy ρ > 0 in B (E.7).
    #[arg(long, value_parser = rational, default_value = "2")]
    rho: Rational,
    /// Saturation a ≥ g_i of the privacy utility B (E.7).
    #[arg(long, value_parser = rational, default_value = "15")]
    a: Rational,
    /// Weight of effort σ > 0 in C (E.8).
    #[arg(long, value_parser = rational, default_value = "2")]
    sigma: Rational,
    /// Also pay each MDAP for this many shared MDAs (e.g. authorized in an epoch): one per MDAP.
    #[arg(long, value_delimiter = ',')]
    authorized: Option<Vec<u64>>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

fn per_mdap(name: &str, values: Vec<Rational>, mdaps: usize) -> anyhow::Result<Vec<Rational>> {
    match values.len() {
        1 => Ok(vec![values[0].clone(); mdaps]),
        n if n == mdaps => Ok(values),
        n => bail!("--{name} has {n} values; give one, or one per MDAP ({mdaps})"),
    }
}

fn valorize(args: ValorizeArgs) -> anyhow::Result<()> {
    let n = args.holdings.len();
    let phi = match args.phi.len() {
        1 => Matrix::uniform_off_diagonal(n, args.phi[0].clone()),
        _ => Matrix::from_upper_triangle(n, &args.phi).with_context(|| {
            format!(
                "--phi has {} values; give one, or n(n−1)/2 = {} for {n} MDAPs",
                args.phi.len(),
                n * n.saturating_sub(1) / 2
            )
        })?,
    };
    let params = QuadraticParams {
        tau: per_mdap("tau", args.tau, n)?,
        b: per_mdap("b", args.b, n)?,
        holdings: args.holdings,
        phi,
        rho: args.rho,
        a: args.a,
        sigma: args.sigma,
    };
    let v = params.model()?.solve()?;
    let payouts = match &args.authorized {
        None => None,
        Some(counts) if counts.len() == n => Some(
            counts
                .iter()
                .enumerate()
                .map(|(i, &h)| v.payout(i, h))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(counts) => bail!("--authorized has {} values for {n} MDAPs", counts.len()),
    };

    let floats = |xs: &[Rational]| xs.iter().map(to_f64).collect::<Vec<f64>>();
    let exact = |xs: &[Rational]| xs.iter().map(|x| x.to_string()).collect::<Vec<String>>();
    if args.json {
        let mut out = json!({
            "shared": floats(&v.shared),
            "marginal_value": floats(&v.marginal_value),
            "base_value": floats(&v.base_value),
            "compensation": floats(&v.compensation),
            "utility": floats(&v.utility),
            "gross_payoff": to_f64(&v.gross_payoff),
            "net_payoff": to_f64(&v.net_payoff),
            "exact": {
                "shared": exact(&v.shared),
                "marginal_value": exact(&v.marginal_value),
                "base_value": exact(&v.base_value),
                "compensation": exact(&v.compensation),
                "net_payoff": v.net_payoff.to_string(),
            },
        });
        if let Some(p) = &payouts {
            out["payout"] = json!(floats(p));
            out["exact"]["payout"] = json!(exact(p));
        }
        println!("{out}");
        return Ok(());
    }
    println!("FSP optimum and valorization V_i(h) = x_i h + y_i (seed 000 §V, eqs. 6-9)");
    println!(
        "{:>6} {:>8} {:>12} {:>12} {:>12} {:>12} {:>12}",
        "MDAP", "g_i", "h_i*", "x_i", "y_i", "V_i(h_i*)", "Z_i*"
    );
    for i in 0..n {
        println!(
            "{:>6} {:>8.3} {:>12.6} {:>12.6} {:>12.6} {:>12.6} {:>12.6}",
            i,
            to_f64(&v.holdings[i]),
            to_f64(&v.shared[i]),
            to_f64(&v.marginal_value[i]),
            to_f64(&v.base_value[i]),
            to_f64(&v.compensation[i]),
            to_f64(&v.utility[i]),
        );
    }
    println!(
        "F(h*) = {:.6}   π* = F(h*) − Σ V_i(h_i*) = {:.6}",
        to_f64(&v.gross_payoff),
        to_f64(&v.net_payoff)
    );
    println!("h* exactly: {}", exact(&v.shared).join(", "));
    if let (Some(p), Some(counts)) = (&payouts, &args.authorized) {
        for (i, (pay, h)) in p.iter().zip(counts).enumerate() {
            println!("MDAP {i} shared {h}: paid {:.6} (= {pay})", to_f64(pay));
        }
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModelKind {
    /// One service, one third party (Theorem 2, eqs. 7.9-7.10).
    Simple,
    /// Several third parties and services, from a JSON file (Theorem 3, eqs. 7.11-7.12).
    Cooperation,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Method {
    /// Theorem 2's closed form, exact.
    ClosedForm,
    /// Brute force over all coalitions (7.3), exact.
    Subsets,
    /// Brute force over all orders (7.2), exact; at most 10 players.
    Permutations,
    /// Sampled orders with 95% confidence intervals.
    MonteCarlo,
}

#[derive(clap::Args)]
pub struct ShapleyArgs {
    /// Which cooperation model.
    #[arg(long, value_enum, default_value_t = ModelKind::Simple)]
    model: ModelKind,
    /// Number of data owners |H| (simple model).
    #[arg(long, default_value_t = 2)]
    owners: usize,
    /// Number of miners (validators) |M| (simple model).
    #[arg(long, default_value_t = 5)]
    miners: usize,
    /// F1 score of each single owner's data as a fraction F0/F1(H) (seed 003 §7.5.1); larger
    /// owner coalitions interpolate linearly in their size up to F1(H) = 1 (owners alike, so any
    /// number of owners).
    #[arg(long, default_value_t = 0.5)]
    f0: f64,
    /// Explicit F1 scores in [0, 1] of the 2^owners − 1 non-empty owner coalitions, in bit-mask
    /// order ({H1}, {H2}, {H1,H2}, {H3}, …); replaces --f0.
    #[arg(long, value_delimiter = ',')]
    f1: Option<Vec<f64>>,
    /// How to compute the values.
    #[arg(long, value_enum, default_value_t = Method::ClosedForm)]
    method: Method,
    /// Sampled orders for --method monte-carlo.
    #[arg(long, default_value_t = 100_000)]
    samples: usize,
    /// Seed for --method monte-carlo.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// JSON file listing the period's finalizations, each the list of validator indices that
    /// signed it; weighs the miners by (7.15)-(7.16). Without it all miners weigh the same.
    #[arg(long)]
    finalizations: Option<PathBuf>,
    /// Split this many tokens exactly among the participants (largest remainder).
    #[arg(long)]
    fee: Option<u128>,
    /// JSON description of the cooperation model (for --model cooperation).
    #[arg(long)]
    input: Option<PathBuf>,
    /// Also print every participant's share.
    #[arg(long)]
    per_player: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &PathBuf) -> anyhow::Result<T> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn shapley(args: ShapleyArgs) -> anyhow::Result<()> {
    match args.model {
        ModelKind::Simple => simple_shapley(args),
        ModelKind::Cooperation => cooperation_shapley(args),
    }
}

fn simple_f1(args: &ShapleyArgs) -> anyhow::Result<F1Scores> {
    let owners = args.owners;
    Ok(match &args.f1 {
        Some(scores) => {
            if owners > 20 || scores.len() != (1usize << owners) - 1 {
                bail!(
                    "--f1 needs 2^{owners} − 1 scores, one per non-empty coalition; got {}",
                    scores.len()
                );
            }
            F1Scores::from_fn(owners, |mask| scores[mask as usize - 1])?
        }
        None => {
            let (f0, owners) = (args.f0, args.owners);
            if !(0.0..=1.0).contains(&f0) {
                bail!("--f0 is a ratio F0/F1(H) in [0, 1]; got {f0}");
            }
            F1Scores::by_size_fn(owners, |size| {
                if size == owners {
                    1.0
                } else {
                    f0 + (1.0 - f0) * (size - 1) as f64 / (owners - 1) as f64
                }
            })?
        }
    })
}

fn simple_shapley(args: ShapleyArgs) -> anyhow::Result<()> {
    let model = SimpleModel::new(simple_f1(&args)?, args.miners)?;
    let weights = match &args.finalizations {
        Some(path) => {
            ValidatorWeights::from_finalizations(args.miners, &read_json::<Vec<Vec<usize>>>(path)?)?
        }
        None => ValidatorWeights::uniform(args.miners)?,
    };
    let h = model.owners();
    let all = Rational::from_integer(model.f1().of_all().into());
    // Per-player values of the coalition game, normalized by v(N), then the miners reweighed (7.9).
    let from_game = |phi: Vec<Rational>| {
        let miners_total: Rational = phi[h..h + model.miners()].iter().sum::<Rational>() / &all;
        Allocation {
            owners: phi[..h].iter().map(|x| x / &all).collect(),
            miners: weights
                .weights()
                .iter()
                .map(|p| p * &miners_total)
                .collect(),
            third_parties: vec![&phi[model.third_party()] / &all],
        }
    };
    let mut out = serde_json::Map::new();
    let shares = match args.method {
        Method::ClosedForm => model.shares(&weights)?,
        Method::Subsets => from_game(exact_by_subsets(&model)?),
        Method::Permutations => from_game(exact_by_permutations(&model)?),
        Method::MonteCarlo => {
            if args.fee.is_some() {
                bail!(
                    "a Monte Carlo estimate cannot decide a payout; use an exact method with --fee"
                );
            }
            let mc = monte_carlo(&model, args.samples, args.seed, &model.groups())?;
            let scale = to_f64(&all);
            for (key, estimate) in ["owners_share", "miners_share", "third_party_share"]
                .iter()
                .zip(&mc.groups)
            {
                out.insert(key.to_string(), json!(estimate.mean / scale));
                out.insert(
                    format!("{key}_half_width"),
                    json!(estimate.half_width / scale),
                );
            }
            out.insert("samples".into(), json!(mc.samples));
            if args.per_player {
                out.insert(
                    "players".into(),
                    json!(
                        mc.players
                            .iter()
                            .map(|e| e.mean / scale)
                            .collect::<Vec<_>>()
                    ),
                );
            }
            return print_shares(&args, Value::Object(out));
        }
    };
    out.insert("owners_share".into(), json!(to_f64(&shares.owners_total())));
    out.insert("miners_share".into(), json!(to_f64(&shares.miners_total())));
    out.insert(
        "third_party_share".into(),
        json!(to_f64(&shares.third_parties_total())),
    );
    if args.per_player {
        out.insert("shares".into(), allocation_json(&shares));
    }
    if let Some(fee) = args.fee {
        out.insert("payout".into(), payout_json(&shares.split(fee)?));
    }
    print_shares(&args, Value::Object(out))
}

fn allocation_json(a: &Allocation<Rational>) -> Value {
    let list = |xs: &[Rational]| {
        xs.iter()
            .map(|x| json!({"value": to_f64(x), "exact": x.to_string()}))
            .collect::<Vec<_>>()
    };
    json!({"owners": list(&a.owners), "miners": list(&a.miners), "third_parties": list(&a.third_parties)})
}

fn payout_json(a: &Allocation<u128>) -> Value {
    json!({"owners": a.owners, "miners": a.miners, "third_parties": a.third_parties})
}

fn print_shares(args: &ShapleyArgs, out: Value) -> anyhow::Result<()> {
    if args.json {
        println!("{out}");
        return Ok(());
    }
    println!("Shapley revenue shares (seed 003 ch. 7)");
    print_tree(&out, 1);
    Ok(())
}

/// Prints nested JSON as an indented list, numbers to six decimals.
fn print_tree(value: &Value, depth: usize) {
    let indent = "  ".repeat(depth);
    let scalar = |v: &Value| match v {
        Value::Number(n) if n.is_f64() => format!("{:.6}", n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match v {
                    Value::Object(_) | Value::Array(_) => {
                        println!("{indent}{key}:");
                        print_tree(v, depth + 1);
                    }
                    _ => println!("{indent}{key:<28} {}", scalar(v)),
                }
            }
        }
        Value::Array(items) if items.iter().all(|v| !v.is_object() && !v.is_array()) => {
            println!(
                "{indent}{}",
                items.iter().map(scalar).collect::<Vec<_>>().join(", ")
            );
        }
        Value::Array(items) => items.iter().for_each(|v| print_tree(v, depth)),
        other => println!("{indent}{}", scalar(other)),
    }
}

/// The cooperation model's JSON input.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CooperationInput {
    /// `D_i`: the data types each owner shares.
    owners: Vec<Vec<usize>>,
    third_parties: usize,
    validators: usize,
    /// Signer sets of the period's finalizations; uniform weights when absent.
    #[serde(default)]
    finalizations: Option<Vec<Vec<usize>>>,
    offerings: Vec<OfferingInput>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OfferingInput {
    third_party: usize,
    service: usize,
    /// `SP_j^r`, tokens.
    payment: u128,
    /// F1 of the non-empty coalitions of the owners sharing this data type, in bit-mask order.
    f1: Vec<f64>,
}

fn cooperation_shapley(args: ShapleyArgs) -> anyhow::Result<()> {
    let path = args
        .input
        .as_ref()
        .context("--model cooperation needs --input FILE.json")?;
    let input: CooperationInput = read_json(path)?;
    let weights = match &input.finalizations {
        Some(rounds) => ValidatorWeights::from_finalizations(input.validators, rounds)?,
        None => ValidatorWeights::uniform(input.validators)?,
    };
    let mut offerings = Vec::with_capacity(input.offerings.len());
    for (index, o) in input.offerings.iter().enumerate() {
        let sharing = input
            .owners
            .iter()
            .filter(|types| types.contains(&o.service))
            .count();
        if sharing == 0 || sharing > 20 || o.f1.len() != (1usize << sharing) - 1 {
            bail!(
                "offering {index}: {sharing} owners share data type {}, so f1 needs 2^{sharing} − 1 scores; got {}",
                o.service,
                o.f1.len()
            );
        }
        offerings.push(Offering {
            third_party: o.third_party,
            service: o.service,
            payment: o.payment,
            f1: F1Scores::from_fn(sharing, |mask| o.f1[mask as usize - 1])?,
        });
    }
    let model = CooperationModel::new(input.owners, input.third_parties, weights, offerings)?;
    let amounts = model.distribute();
    let out = json!({
        "revenue": model.revenue(),
        "amounts": allocation_json(&amounts),
        "payout": payout_json(&model.payouts()?),
    });
    if args.json {
        println!("{out}");
    } else {
        println!(
            "Cooperation model (seed 003 Theorem 3): revenue {} tokens",
            model.revenue()
        );
        let paid = model.payouts()?;
        let rows = |label: &str, exact: &[Rational], tokens: &[u128]| {
            for (i, (x, t)) in exact.iter().zip(tokens).enumerate() {
                println!(
                    "  {label} {i:>3}: {:>14.4} tokens owed, {t:>10} paid",
                    to_f64(x)
                );
            }
        };
        rows("owner      ", &amounts.owners, &paid.owners);
        rows("miner      ", &amounts.miners, &paid.miners);
        rows("third party", &amounts.third_parties, &paid.third_parties);
    }
    Ok(())
}
