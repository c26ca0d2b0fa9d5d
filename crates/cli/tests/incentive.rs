//! `medshare incentive ...` end to end: the commands a user (or the lead's scripts) run.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn medshare(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_medshare"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("the medshare binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn json(args: &[&str]) -> Value {
    let (ok, stdout, stderr) = medshare(args);
    assert!(ok, "{args:?} failed: {stderr}");
    serde_json::from_str(&stdout).expect("JSON output")
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("medshare-incentive-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn shapley_simple_prints_the_group_shares() {
    let out = json(&[
        "incentive",
        "shapley",
        "--model",
        "simple",
        "--owners",
        "2",
        "--miners",
        "5",
        "--f0",
        "0.5",
        "--json",
    ]);
    let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["miners_share", "owners_share", "third_party_share"]);
    let close = |key: &str, want: f64| {
        assert!(
            (out[key].as_f64().unwrap() - want).abs() < 5e-5,
            "{key}: {}",
            out[key]
        )
    };
    close("owners_share", 0.4762);
    close("miners_share", 0.0476);
    close("third_party_share", 0.4762);
    // Brute force agrees, and an exact fee split sums to the fee.
    let brute = json(&[
        "incentive",
        "shapley",
        "--f0",
        "0.9",
        "--method",
        "permutations",
        "--fee",
        "1000",
        "--json",
    ]);
    assert!((brute["owners_share"].as_f64().unwrap() - 0.3333).abs() < 5e-5);
    let payout = &brute["payout"];
    let total: u64 = ["owners", "miners", "third_parties"]
        .iter()
        .flat_map(|k| {
            payout[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
        })
        .sum();
    assert_eq!(total, 1000);
}

#[test]
fn valorize_defaults_to_fig3() {
    let out = json(&["incentive", "valorize", "--json"]);
    assert_eq!(
        out["exact"]["shared"],
        serde_json::json!(["100/29", "100/29"])
    );
    assert_eq!(
        out["exact"]["marginal_value"],
        serde_json::json!(["690/29", "690/29"])
    );
    assert_eq!(out["utility"], serde_json::json!([200.0, 200.0]));
    let paid = json(&["incentive", "valorize", "--authorized", "0,4", "--json"]);
    assert_eq!(
        paid["exact"]["payout"],
        serde_json::json!(["0", "60040/841"])
    );
}

#[test]
fn parameters_outside_the_model_name_the_assumption() {
    for (args, needle) in [
        (vec!["--b", "9"], "b_i ≥ g_i"),
        (vec!["--phi", "7"], "not strictly concave"),
        (vec!["--sigma", "0"], "σ > 0"),
        (vec!["--holdings=-1,10"], "g_i ≥ 0"),
        (vec!["--a", "5"], "a ≥ g_i"),
        (vec!["--tau", "0.1,0.2,0.3"], "one per MDAP"),
    ] {
        let mut full = vec!["incentive", "valorize"];
        full.extend(&args);
        let (ok, _, stderr) = medshare(&full);
        assert!(!ok && stderr.contains(needle), "{args:?}: {stderr}");
    }
    let (ok, _, stderr) = medshare(&[
        "incentive",
        "shapley",
        "--f0",
        "0.5",
        "--method",
        "monte-carlo",
        "--fee",
        "5",
    ]);
    assert!(!ok && stderr.contains("cannot decide a payout"));
}

#[test]
fn cooperation_input_is_split_exactly() {
    let dir = scratch("cooperation");
    let input = dir.join("coop.json");
    std::fs::write(
        &input,
        r#"{"owners": [[0], [0, 1], [1]], "third_parties": 2, "validators": 4,
            "finalizations": [[0, 1, 2], [1, 2, 3]],
            "offerings": [{"third_party": 0, "service": 0, "payment": 700, "f1": [0.6, 0.7, 0.9]},
                          {"third_party": 1, "service": 1, "payment": 301, "f1": [0.5, 0.8, 0.85]}]}"#,
    )
    .unwrap();
    let out = json(&[
        "incentive",
        "shapley",
        "--model",
        "cooperation",
        "--input",
        input.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out["revenue"], 1001);
    let paid = &out["payout"];
    let total: u64 = ["owners", "miners", "third_parties"]
        .iter()
        .flat_map(|k| {
            paid[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
        })
        .sum();
    assert_eq!(total, 1001);
    // Owner 0 shares only type 0, owner 2 only type 1; both earn something.
    assert!(paid["owners"][0].as_u64().unwrap() > 0 && paid["owners"][2].as_u64().unwrap() > 0);
    std::fs::write(&input, r#"{"owners": [[0]], "third_parties": 1, "validators": 4, "offerings": [{"third_party": 3, "service": 0, "payment": 1, "f1": [0.9]}]}"#).unwrap();
    let (ok, _, stderr) = medshare(&[
        "incentive",
        "shapley",
        "--model",
        "cooperation",
        "--input",
        input.to_str().unwrap(),
    ]);
    assert!(!ok && stderr.contains("third party 3"), "{stderr}");
}

#[test]
fn plots_are_written_as_svg() {
    let dir = scratch("plots");
    let (ok, stdout, stderr) = medshare(&["incentive", "plots", "--out", dir.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    for name in [
        "fig3_net_utility",
        "fig7_4_owner_f1",
        "fig7_5_owners",
        "fig7_6_miners",
        "fig7_7_third_party",
        "fig7_8_owner_count",
    ] {
        let svg = std::fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("<polyline"),
            "{name}"
        );
        assert!(dir.join(format!("{name}.csv")).exists());
        assert!(stdout.contains(name));
    }
}
