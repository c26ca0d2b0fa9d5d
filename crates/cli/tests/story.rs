//! The end-to-end test: seed 000's whole story (`medshare demo`) against a fresh 4-validator
//! devnet — real validator processes, real proofs, real storage peers, real files.

use std::process::Command;

/// A base port with the 8 ports a 4-validator devnet needs free right now (the demo's own
/// default does the same; the test passes one to cover `--port`).
fn free_ports() -> u16 {
    medshare_bench::devnet::free_ports(8).expect("no 8 free ports")
}

#[test]
fn the_whole_story_runs_on_a_four_validator_devnet() {
    let output = Command::new(env!("CARGO_BIN_EXE_medshare"))
        .args(["demo", "--json", "--port", &free_ports().to_string()])
        .env_remove("MEDSHARE_PASSPHRASE")
        .output()
        .expect("medshare runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not a JSON report ({e}):\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let steps = report["steps"].as_array().expect("steps");
    let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    for step in steps {
        assert_eq!(step["ok"], true, "step failed: {step}");
        assert!(step["ms"].is_u64());
    }
    assert_eq!(
        names,
        [
            "start a 4-validator devnet",
            "the hospital creates group st-marys",
            "the hospital enrolls a patient",
            "the patient registers a DICOM CT image",
            "the patient registers a FHIR bundle; a proxy loses the node's answer",
            "the patient authorizes a researcher for both",
            "the researcher extracts and verifies both",
            "the patient reads the audit log",
            "anyone traces the group",
            "the hospital traces the member",
            "the hospital pays the patient for its authorizations",
            "the researcher's fee is shared by Shapley values",
            "the patient withdraws with a proof of its key",
            "the patient withdraws a new consent before it is used; the extraction is refused",
            "the hospital revokes the patient",
            "the revoked patient's next registration is refused",
        ]
    );
    assert_eq!(report["ok"], true);
    assert!(output.status.success());
}
