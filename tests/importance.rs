//! End-to-end tests of replicates and `sweep importance`: a real (tiny) training sweep on
//! synthetic data, `sweeps/design-choices-small.yaml`, where one parameter truly matters (a
//! learning rate far too small to learn) and one should not; the analysis must tell them
//! apart.

use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::str::contains;
use serde_json::Value;

fn sweep(dir: &Path) -> assert_cmd::Command {
    let mut command = cargo_bin_cmd!("sweep");
    command.current_dir(dir);
    command
}

fn small_sweep_file() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("sweeps/design-choices-small.yaml");
    std::fs::read_to_string(path).expect("the shipped small sweep file")
}

/// The parameter named `name` in `sweep importance --format json` output.
fn parameter<'a>(analysis: &'a Value, name: &str) -> &'a Value {
    analysis["parameters"]
        .as_array()
        .expect("a list of parameters")
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not in {analysis:#}"))
}

#[test]
fn replicates_tell_a_parameter_that_matters_from_one_that_does_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("s.yaml"), small_sweep_file()).expect("write");
    sweep(dir.path())
        .args(["run", "s.yaml", "--workers", "2"])
        .assert()
        .success()
        .stdout(contains("16/16 complete"));

    let output = sweep(dir.path())
        .args(["importance", "design-choices-small", "--format", "json"])
        .assert()
        .success();
    let analysis: Value = serde_json::from_slice(&output.get_output().stdout).expect("valid JSON");
    assert_eq!(analysis["trials"], 16);
    assert_eq!(analysis["combinations"], 4);
    assert_eq!(analysis["seed_noise"]["replicated_combinations"], 4);
    assert!(
        analysis["seed_noise"]["sd"]
            .as_f64()
            .is_some_and(|sd| sd > 0.0)
    );

    let lr = parameter(&analysis, "learning_rate");
    assert_eq!(lr["rank"], 1, "{analysis:#}");
    assert_eq!(lr["significant"], true, "{analysis:#}");
    assert!(lr["p_value"].as_f64().is_some_and(|p| p < 0.05));
    assert_eq!(lr["effect"]["best"], "0.002");
    assert_eq!(lr["effect"]["worst"], "1e-6");
    assert!(lr["effect"]["ci_low"].as_f64().is_some_and(|lo| lo > 0.0));
    assert!(
        lr["verdict"]
            .as_str()
            .is_some_and(|v| v.starts_with("effect: best 0.002 vs worst 1e-6 = +"))
    );

    let inert = parameter(&analysis, "kernel_init");
    assert_eq!(inert["significant"], false, "{analysis:#}");
    assert!(inert["verdict"].as_str().is_some_and(|v| {
        v.starts_with("no effect detectable beyond seed noise at this sample size (p = ")
    }));
    for p in [lr, inert] {
        for value in p["values"].as_array().expect("values") {
            assert_eq!(value["n"], 8);
            assert!(value["ci_low"].as_f64() <= value["mean"].as_f64());
            assert!(value["mean"].as_f64() <= value["ci_high"].as_f64());
        }
    }

    // The same analysis as text, with a size to detect; and the same groups on the
    // leaderboard.
    sweep(dir.path())
        .args(["importance", "design-choices-small", "--detect", "0.05"])
        .assert()
        .success()
        .stdout(contains(
            "learning_rate: effect: best 0.002 vs worst 1e-6 = +",
        ))
        .stdout(contains(
            "kernel_init: no effect detectable beyond seed noise",
        ))
        .stdout(contains("to detect a difference of 0.0500: "));
    let board = sweep(dir.path())
        .args([
            "leaderboard",
            "design-choices-small",
            "--by-combination",
            "--format",
            "json",
        ])
        .assert()
        .success();
    let groups: Value = serde_json::from_slice(&board.get_output().stdout).expect("JSON");
    let groups = groups.as_array().expect("rows");
    assert_eq!(groups.len(), 4);
    assert!(groups.iter().all(|g| g["n"] == 4));
    assert_eq!(groups[0]["params"]["learning_rate"], 0.002);
    // Replicates are adjacent trials: 1-4, 5-8, 9-12, 13-16.
    let mut firsts: Vec<u64> = groups
        .iter()
        .filter_map(|g| g["trials"][0].as_u64())
        .collect();
    firsts.sort_unstable();
    assert_eq!(firsts, [1, 5, 9, 13]);
}

#[test]
fn importance_refuses_unknown_sweeps_and_sweeps_without_results() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("s.yaml"),
        "name: few\nmethod: grid\nparameters:\n  learning_rate: {value: 0.001}\n\
         data: {synthetic: {rows: 100, seed: 1}}\ntraining: {max_epochs: 2, patience: 2}\n",
    )
    .expect("write");
    sweep(dir.path())
        .args(["run", "s.yaml", "--fake-trainer", "1"])
        .assert()
        .success();
    sweep(dir.path())
        .args(["importance", "few"])
        .assert()
        .code(1)
        .stderr(contains("sweep `few` has 1 completed trial(s)"))
        .stderr(contains("needs at least 2"));
    sweep(dir.path())
        .args(["importance", "nope"])
        .assert()
        .code(2)
        .stderr(contains("no sweep named `nope`"));
    sweep(dir.path())
        .args(["importance", "few", "--detect", "0"])
        .assert()
        .code(2)
        .stderr(contains("not a positive number"));
}

#[test]
fn replicates_zero_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("s.yaml"),
        "name: z\nmethod: grid\nreplicates: 0\ndata: {synthetic: {rows: 100, seed: 1}}\n",
    )
    .expect("write");
    sweep(dir.path())
        .args(["run", "s.yaml", "--fake-trainer", "1"])
        .assert()
        .code(2)
        .stderr(contains("s.yaml: replicates: must be at least 1"));
}
