//! End-to-end tests of `sweep predict` and `sweep evaluate`: train a small sweep with the
//! built binary, predict held-out sequences, score them, and check the numbers independently.

use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::str::contains;

#[path = "common/shared_data.rs"]
mod shared_data;

fn sweep(dir: &Path) -> assert_cmd::Command {
    let mut command = cargo_bin_cmd!("sweep");
    command.current_dir(dir);
    command
}

/// A tiny network, 2 trials, trained on `train` for 3 epochs.
fn small_sweep(dir: &Path, name: &str, train: &str) {
    let spec = format!(
        "name: {name}
method: grid
parameters:
  conv1_filters: {{value: 16}}
  conv2_filters: {{value: 16}}
  conv3_filters: {{value: 8}}
  conv1_kernel: {{value: 9}}
  conv2_kernel: {{value: 5}}
  lstm_units: {{value: 4}}
  dense_units: {{value: 16}}
  batch_size: {{value: 64}}
  learning_rate: {{values: [0.003, 0.001]}}
data:
  train: {train}
training: {{max_epochs: 3, patience: 3}}
"
    );
    std::fs::write(dir.join("s.yaml"), spec).expect("sweep file");
    sweep(dir)
        .args(["run", "s.yaml", "--workers", "2"])
        .assert()
        .success()
        .stdout(contains("2/2 complete"));
}

fn synth(dir: &Path, file: &str, rows: u64, seed: u64) {
    sweep(dir)
        .args(["data", "synth", "--rows", &rows.to_string()])
        .args(["--seed", &seed.to_string(), "-o", file])
        .assert()
        .success();
}

/// `(sequence, value)` pairs of a two-column file.
fn read_pairs(path: &Path) -> Vec<(String, f64)> {
    std::fs::read_to_string(path)
        .expect("reading a result file")
        .lines()
        .map(|line| {
            let (seq, value) = line.split_once('\t').expect("two columns");
            (seq.to_string(), value.parse().expect("a number"))
        })
        .collect()
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    cov / (vx * vy).sqrt()
}

fn reverse_complement(seq: &str) -> String {
    seq.chars()
        .rev()
        .map(|b| match b {
            'A' => 'T',
            'C' => 'G',
            'G' => 'C',
            'T' => 'A',
            other => other,
        })
        .collect()
}

#[test]
fn synthetic_data_to_sweep_to_predictions_to_scores_that_an_independent_computation_confirms() {
    let dir = tempfile::tempdir().expect("tempdir");
    synth(dir.path(), "train.txt", 3000, 1);
    synth(dir.path(), "held.txt", 400, 2);
    small_sweep(dir.path(), "syn", "train.txt");

    sweep(dir.path())
        .args([
            "predict", "--sweep", "syn", "--input", "held.txt", "-o", "pred.txt",
        ])
        .assert()
        .success()
        .stdout(contains("400 predictions"));
    let truth = read_pairs(&dir.path().join("held.txt"));
    let predicted = read_pairs(&dir.path().join("pred.txt"));
    assert_eq!(predicted.len(), truth.len());
    for ((p, _), (t, _)) in predicted.iter().zip(&truth) {
        assert_eq!(p, t, "predictions are in input order");
    }
    let p: Vec<f64> = predicted.iter().map(|(_, v)| *v).collect();
    let t: Vec<f64> = truth.iter().map(|(_, v)| *v).collect();
    let r = pearson(&p, &t);
    assert!(r > 0.2, "held-out predictions follow the truth: r = {r}");
    let mse = p.iter().zip(&t).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / p.len() as f64;

    let output = sweep(dir.path())
        .args([
            "evaluate",
            "--predictions",
            "pred.txt",
            "--truth",
            "held.txt",
        ])
        .args(["--format", "json"])
        .output()
        .expect("evaluate runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let scores: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let all = &scores["all"];
    let close = |key: &str, expected: f64| {
        let got = all[key].as_f64().unwrap_or(f64::NAN);
        assert!(
            (got - expected).abs() < 1e-6 * expected.abs().max(1.0),
            "{key}: evaluate says {got}, the test computes {expected}"
        );
    };
    close("pearson_r", r);
    close("pearson_r2", r * r);
    close("mse", mse);
    assert_eq!(all["n"].as_u64(), Some(400));
}

#[test]
fn rc_average_is_the_mean_of_the_forward_and_reverse_complement_predictions() {
    let dir = tempfile::tempdir().expect("tempdir");
    synth(dir.path(), "train.txt", 1500, 3);
    synth(dir.path(), "held.txt", 50, 4);
    small_sweep(dir.path(), "rc", "train.txt");
    let held = read_pairs(&dir.path().join("held.txt"));
    let reversed: String = held
        .iter()
        .map(|(seq, _)| format!("{}\n", reverse_complement(seq)))
        .collect();
    std::fs::write(dir.path().join("reversed.txt"), reversed).expect("reverse complements");

    for (input, output, extra) in [
        ("held.txt", "forward.txt", None),
        ("reversed.txt", "backward.txt", None),
        ("held.txt", "averaged.txt", Some("--rc-average")),
    ] {
        sweep(dir.path())
            .args(["predict", "--sweep", "rc", "--trial", "1"])
            .args(["--input", input, "-o", output])
            .args(extra)
            .assert()
            .success();
    }
    let forward = read_pairs(&dir.path().join("forward.txt"));
    let backward = read_pairs(&dir.path().join("backward.txt"));
    let averaged = read_pairs(&dir.path().join("averaged.txt"));
    for ((f, b), a) in forward.iter().zip(&backward).zip(&averaged) {
        let mean = (f.1 + b.1) / 2.0;
        assert!(
            (a.1 - mean).abs() < 1e-4,
            "{}: averaged {} against ({} + {}) / 2",
            a.0,
            a.1,
            f.1,
            b.1
        );
    }
    assert!(
        forward
            .iter()
            .zip(&backward)
            .any(|(f, b)| (f.1 - b.1).abs() > 1e-3),
        "the network is not symmetric, so the test can tell the two apart"
    );
}

#[test]
fn sequences_the_model_cannot_take_are_named_unless_padded() {
    let dir = tempfile::tempdir().expect("tempdir");
    synth(dir.path(), "train.txt", 1000, 5);
    small_sweep(dir.path(), "pad", "train.txt");
    let good = read_pairs(&dir.path().join("train.txt"))[0].0.clone();
    let input = format!("{good}\n{}\n{good}\t0\n{}N\n", &good[..105], &good[..109]);
    std::fs::write(dir.path().join("odd.txt"), input).expect("input");
    sweep(dir.path())
        .args([
            "predict", "--sweep", "pad", "--input", "odd.txt", "-o", "p.txt",
        ])
        .assert()
        .code(2)
        .stderr(contains("odd.txt: 2 sequence(s)"))
        .stderr(contains("line(s) 2, 4"));
    assert!(!dir.path().join("p.txt").exists(), "no partial output");
    sweep(dir.path())
        .args([
            "predict", "--sweep", "pad", "--input", "odd.txt", "-o", "p.txt", "--pad",
        ])
        .assert()
        .success()
        .stdout(contains("4 predictions"))
        .stdout(contains(
            "1 padded or trimmed to 110 nt, 1 with bases other than A/C/G/T",
        ));
    assert_eq!(read_pairs(&dir.path().join("p.txt")).len(), 4);
    sweep(dir.path())
        .args([
            "predict", "--sweep", "pad", "--trial", "9", "--input", "odd.txt", "-o", "q.txt",
        ])
        .assert()
        .code(2)
        .stderr(contains("no trial 9"));
    sweep(dir.path())
        .args([
            "predict", "--sweep", "nope", "--input", "odd.txt", "-o", "q.txt",
        ])
        .assert()
        .code(2)
        .stderr(contains("no sweep named `nope`"));
}

/// A trial trained on most of the real challenge sample predicts the rest, in expression units.
#[test]
fn a_trial_trained_on_the_real_sample_predicts_held_out_lines_in_expression_units() {
    let Some(sample) = shared_data::challenge_sample(
        "a_trial_trained_on_the_real_sample_predicts_held_out_lines_in_expression_units",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(&sample).expect("sample");
    let lines: Vec<&str> = text.lines().collect();
    let (train, held) = lines.split_at(5000);
    std::fs::write(dir.path().join("train.txt"), train.join("\n")).expect("train part");
    std::fs::write(dir.path().join("held.txt"), held.join("\n")).expect("held-out part");
    small_sweep(dir.path(), "real", "train.txt");

    // The held-out lines include sequences of other lengths and with N: refused, then padded.
    sweep(dir.path())
        .args([
            "predict", "--sweep", "real", "--input", "held.txt", "-o", "pred.txt",
        ])
        .assert()
        .code(2)
        .stderr(contains("pass --pad"));
    sweep(dir.path())
        .args([
            "predict", "--sweep", "real", "--input", "held.txt", "-o", "pred.txt",
        ])
        .args(["--pad", "--rc-average"])
        .assert()
        .success()
        .stdout(contains(format!("{} predictions", held.len())));
    let predicted = read_pairs(&dir.path().join("pred.txt"));
    assert_eq!(predicted.len(), held.len());
    for (seq, value) in &predicted {
        assert!(
            (0.0..=17.0).contains(value),
            "{seq}: {value} is in expression units (0-17)"
        );
    }
}

/// `data: {test: FILE}`: when the sweep ends, its best trial is scored on the test file, per
/// subset too, recorded in the store and shown by `sweep status`.
#[test]
fn a_sweep_with_a_test_file_scores_its_best_trial_on_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    synth(dir.path(), "train.txt", 1500, 6);
    synth(dir.path(), "held.txt", 300, 7);
    let held = read_pairs(&dir.path().join("held.txt"));
    let with_subsets: String = held
        .iter()
        .enumerate()
        .map(|(i, (seq, y))| format!("{seq}\t{y}\t{}\n", if i % 3 == 0 { "odd" } else { "even" }))
        .collect();
    std::fs::write(dir.path().join("test.txt"), with_subsets).expect("test file");
    small_sweep(dir.path(), "tested", "train.txt\n  test: test.txt");

    let status = sweep(dir.path())
        .args(["status", "tested"])
        .output()
        .expect("status runs");
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains("test set") && text.contains("(n = 300)"),
        "{text}"
    );

    let store = sweep::store::Store::open_read_only(&sweep::store::Database::sqlite(
        dir.path().join("runs/sweeps.db"),
    ))
    .expect("database");
    let tested = store.sweep("tested").expect("sweep");
    let scored = store.evaluations(tested.id).expect("evaluations");
    assert_eq!(scored.len(), 1);
    let evaluation = &scored[0].evaluation;
    assert_eq!(evaluation.subsets["odd"].n, 100);
    assert_eq!(evaluation.subsets["even"].n, 200);
    // The recorded scores are those of the predictions file it wrote.
    let predicted = read_pairs(&dir.path().join(format!(
        "runs/tested/test-predictions-trial-{:04}.txt",
        scored[0].trial
    )));
    let p: Vec<f64> = predicted.iter().map(|(_, v)| *v).collect();
    let t: Vec<f64> = held.iter().map(|(_, v)| *v).collect();
    assert!((evaluation.all.pearson_r - pearson(&p, &t)).abs() < 1e-9);
}

/// A trial trained with `rc_average=true` validated on averaged predictions, so `sweep
/// predict` averages for it without being asked; a trial trained without it does not.
#[test]
fn a_trial_trained_with_rc_average_predicts_averaged() {
    let dir = tempfile::tempdir().expect("tempdir");
    synth(dir.path(), "train.txt", 1000, 5);
    synth(dir.path(), "held.txt", 30, 6);
    let spec = "name: rcavg
method: grid
parameters:
  conv1_filters: {value: 8}
  conv2_filters: {value: 8}
  conv3_filters: {value: 4}
  conv1_kernel: {value: 9}
  conv2_kernel: {value: 5}
  lstm_units: {value: 2}
  dense_units: {value: 8}
  batch_size: {value: 64}
  rc_average: {values: [false, true]}
data:
  train: train.txt
training: {max_epochs: 1, patience: 1}
";
    std::fs::write(dir.path().join("s.yaml"), spec).expect("sweep file");
    sweep(dir.path())
        .args(["run", "s.yaml", "--workers", "1"])
        .assert()
        .success()
        .stdout(contains("2/2 complete"));
    let predict = |trial: &str, output: &str, extra: Option<&str>| {
        let mut command = sweep(dir.path());
        command
            .args(["predict", "--sweep", "rcavg", "--trial", trial])
            .args(["--input", "held.txt", "-o", output])
            .args(extra);
        command.assert().success()
    };
    predict("2", "implicit.txt", None).stdout(contains("averaged with reverse complements"));
    predict("2", "explicit.txt", Some("--rc-average"));
    let implicit = read_pairs(&dir.path().join("implicit.txt"));
    let explicit = read_pairs(&dir.path().join("explicit.txt"));
    assert_eq!(implicit, explicit);

    let plain = predict("1", "plain.txt", None);
    let said = String::from_utf8_lossy(&plain.get_output().stdout).into_owned();
    assert!(!said.contains("averaged"), "{said}");
    predict("1", "asked.txt", Some("--rc-average"));
    let plain = read_pairs(&dir.path().join("plain.txt"));
    let asked = read_pairs(&dir.path().join("asked.txt"));
    assert!(
        plain
            .iter()
            .zip(&asked)
            .any(|(p, a)| (p.1 - a.1).abs() > 1e-6)
    );
}
