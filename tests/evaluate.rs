//! End-to-end tests of `sweep evaluate`: small prediction and truth files in a temporary
//! folder, the built binary run on them, and its numbers checked against a computation
//! written here independently of the crate (two-pass Pearson, ranks with ties done by hand)
//! and against exact fractions worked out on paper.

use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

/// Six rows: sequence, prediction, measured expression, subset. Both columns have a tie
/// (predictions 5, 5; expression 4, 4) so that Spearman needs average ranks. The subsets are
/// listed `random` first, so that sorting by name shows.
const ROWS: [(&str, f64, f64, &str); 6] = [
    ("TGCATTTTTTTCACATCAAAA", 1.0, 2.0, "random"),
    ("TGCATTTTTTTCACATCCCCC", 3.0, 4.0, "high_exp"),
    ("TGCATTTTTTTCACATCGGGG", 5.0, 4.0, "high_exp"),
    ("TGCATTTTTTTCACATCTTTT", 5.0, 6.0, "high_exp"),
    ("TGCATTTTTTTCACATCACGT", 9.0, 8.0, "random"),
    ("TGCATTTTTTTCACATCTGCA", 8.0, 10.0, ""),
];

/// Ranks of the predictions and of the expression, by hand: 1 < 3 < 5 = 5 < 8 < 9 and
/// 2 < 4 = 4 < 6 < 8 < 10, tied values sharing the average of their places.
const PREDICTION_RANKS: [f64; 6] = [1.0, 2.0, 3.5, 3.5, 6.0, 5.0];
const EXPRESSION_RANKS: [f64; 6] = [1.0, 2.5, 2.5, 4.0, 5.0, 6.0];

/// `high_exp` (rows 2-4) ranked within itself: predictions 3 < 5 = 5, expression 4 = 4 < 6.
const HIGH_EXP_PREDICTION_RANKS: [f64; 3] = [1.0, 2.5, 2.5];
const HIGH_EXP_EXPRESSION_RANKS: [f64; 3] = [1.5, 1.5, 3.0];

/// Agreement of two results at full precision (they may differ in the last bits only by
/// summation order).
const CLOSE: f64 = 1e-12;

fn predictions_file() -> String {
    ROWS.iter()
        .map(|(sequence, predicted, _, _)| format!("{sequence}\t{predicted}\n"))
        .collect()
}

fn truth_file() -> String {
    ROWS.iter()
        .map(|(sequence, _, measured, subset)| match subset {
            &"" => format!("{sequence}\t{measured}\n"),
            name => format!("{sequence}\t{measured}\t{name}\n"),
        })
        .collect()
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Pearson's r by the textbook two-pass formula.
fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let syy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    sxy / (sxx * syy).sqrt()
}

fn mse(predicted: &[f64], measured: &[f64]) -> f64 {
    let sse: f64 = predicted
        .iter()
        .zip(measured)
        .map(|(p, y)| (p - y).powi(2))
        .sum();
    sse / measured.len() as f64
}

/// 1 - SSE/SST.
fn determination(predicted: &[f64], measured: &[f64]) -> f64 {
    let m = mean(measured);
    let sst: f64 = measured.iter().map(|y| (y - m).powi(2)).sum();
    1.0 - mse(predicted, measured) * measured.len() as f64 / sst
}

/// Write the two files into `dir` as `predictions.tsv` and `truth.tsv`.
fn write_files(dir: &Path, predictions: &str, truth: &str) {
    std::fs::write(dir.join("predictions.tsv"), predictions).expect("write predictions");
    std::fs::write(dir.join("truth.tsv"), truth).expect("write truth");
}

fn evaluate(dir: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    let mut command = cargo_bin_cmd!("sweep");
    command
        .current_dir(dir)
        .args(["evaluate", "--predictions", "predictions.tsv"])
        .args(["--truth", "truth.tsv"])
        .args(extra);
    command.assert()
}

fn json_of(predictions: &str, truth: &str) -> Value {
    let dir = tempfile::tempdir().expect("tempdir");
    write_files(dir.path(), predictions, truth);
    let output = evaluate(dir.path(), &["--format", "json"])
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&output).expect("valid JSON")
}

fn number(scores: &Value, key: &str) -> f64 {
    scores[key]
        .as_f64()
        .unwrap_or_else(|| panic!("`{key}` is a number in {scores}"))
}

/// Check one group's scores against the expected figures.
fn assert_scores(scores: &Value, n: u64, pearson_r: f64, r2: f64, spearman: f64, mse: f64) {
    assert_eq!(scores["n"], n, "{scores}");
    let expected = [
        ("pearson_r", pearson_r),
        ("pearson_r2", pearson_r * pearson_r),
        ("r2", r2),
        ("spearman", spearman),
        ("mse", mse),
    ];
    for (key, value) in expected {
        let found = number(scores, key);
        assert!(
            (found - value).abs() < CLOSE,
            "{key}: {found} but expected {value}"
        );
    }
}

#[test]
fn scores_all_rows_as_an_independent_computation_does() {
    let json = json_of(&predictions_file(), &truth_file());
    let predicted = ROWS.map(|row| row.1);
    let measured = ROWS.map(|row| row.2);
    let all = &json["all"];
    assert_scores(
        all,
        6,
        pearson(&predicted, &measured),
        determination(&predicted, &measured),
        pearson(&PREDICTION_RANKS, &EXPRESSION_RANKS),
        mse(&predicted, &measured),
    );
    // The same figures as exact fractions, worked out on paper: sxy = 121/3, sxx = 269/6,
    // syy = 130/3, SSE = 9; rank sums sxy = 61/4, sxx = syy = 17.
    assert_scores(
        all,
        6,
        121.0 / 17485f64.sqrt(),
        103.0 / 130.0,
        61.0 / 68.0,
        1.5,
    );
    assert!((number(all, "pearson_r2") - 14641.0 / 17485.0).abs() < CLOSE);
}

#[test]
fn scores_each_subset_and_leaves_unnamed_rows_in_all_only() {
    let json = json_of(&predictions_file(), &truth_file());
    let subsets = json["subsets"].as_object().expect("subsets is an object");
    let names: Vec<&String> = subsets.keys().collect();
    assert_eq!(names, ["high_exp", "random"]);
    // high_exp: predictions 3, 5, 5 against 4, 4, 6.
    let (predicted, measured) = ([3.0, 5.0, 5.0], [4.0, 4.0, 6.0]);
    assert_scores(
        &json["subsets"]["high_exp"],
        3,
        pearson(&predicted, &measured),
        determination(&predicted, &measured),
        pearson(&HIGH_EXP_PREDICTION_RANKS, &HIGH_EXP_EXPRESSION_RANKS),
        mse(&predicted, &measured),
    );
    assert_scores(&json["subsets"]["high_exp"], 3, 0.5, -0.125, 0.5, 1.0);
    // random: predictions 1, 9 against 2, 8; SSE = 2, SST = 18.
    assert_scores(&json["subsets"]["random"], 2, 1.0, 8.0 / 9.0, 1.0, 1.0);
}

#[test]
fn json_is_all_and_subsets_with_null_where_there_is_no_number() {
    // A subset of one row: no correlation to measure (0) and no r² (null, for NaN).
    let json = json_of("AC\t1\nGT\t2\nTT\t4\n", "AC\t1\nGT\t3\nTT\t3\tSNVs\n");
    let top: Vec<&String> = json.as_object().expect("an object").keys().collect();
    assert_eq!(top, ["all", "subsets"]);
    let one = &json["subsets"]["SNVs"];
    assert_eq!(one["n"], 1);
    assert_eq!(one["r2"], Value::Null);
    assert_eq!(
        (one["pearson_r"].as_f64(), one["spearman"].as_f64()),
        (Some(0.0), Some(0.0))
    );
    assert_eq!(one["mse"], 1.0);
    // Without a third column, the subsets object is empty (the shape stays the same).
    let plain = json_of("AC\t1\nGT\t2\n", "AC\t1\nGT\t3\n");
    assert_eq!(plain["subsets"], serde_json::json!({}));
    assert_eq!(plain["all"]["pearson_r"], 1.0);
}

#[test]
fn the_table_has_a_row_per_group_and_says_which_r2_is_which() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_files(dir.path(), &predictions_file(), &truth_file());
    let output = evaluate(dir.path(), &[])
        .success()
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8(output).expect("UTF-8");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[..4],
        [
            "subset    n  pearson_r  pearson_r2       r2  spearman     mse",
            "all       6     0.9151      0.8373   0.7923    0.8971  1.5000",
            "high_exp  3     0.5000      0.2500  -0.1250    0.5000  1.0000",
            "random    2     1.0000      1.0000   0.8889    1.0000  1.0000",
        ]
    );
    assert!(
        table.contains("pearson_r2: Pearson's r squared")
            && table.contains("r2: 1 - SSE/SST (the coefficient of determination)"),
        "{table}"
    );
}

/// Run on these files and expect exit code 2 with every one of `expected` in the message.
fn assert_bad_input(predictions: &str, truth: &str, expected: &[&str]) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_files(dir.path(), predictions, truth);
    let output = evaluate(dir.path(), &[]).code(2).get_output().clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    for part in expected {
        assert!(stderr.contains(part), "`{part}` missing from: {stderr}");
    }
}

#[test]
fn a_line_with_the_wrong_number_of_fields_is_bad_input() {
    let predictions = "AA\t1\nCC\t2\nGG\t3\thigh_exp\n";
    assert_bad_input(
        predictions,
        "AA\t1\nCC\t2\nGG\t3\n",
        &["predictions.tsv: line 3: expected SEQUENCE<TAB>PREDICTION, found 3 fields"],
    );
    assert_bad_input(
        "AA\t1\nCC 2\n",
        "AA\t1\nCC\t2\n",
        &["predictions.tsv: line 2: expected SEQUENCE<TAB>PREDICTION, found 1 field (no tab)"],
    );
    assert_bad_input(
        "AA\t1\nCC\t2\n",
        "AA\t1\nCC\t2\tyeast\textra\n",
        &[
            "truth.tsv: line 2: expected SEQUENCE<TAB>EXPRESSION",
            "found 4 fields",
        ],
    );
}

#[test]
fn a_value_that_is_not_a_finite_number_is_bad_input() {
    assert_bad_input(
        "AA\t1\nCC\t2\nGG\t3\nTT\tNaN\n",
        "AA\t1\nCC\t2\nGG\t3\nTT\t4\n",
        &["predictions.tsv: line 4: prediction `NaN` is not a finite number"],
    );
    assert_bad_input(
        "AA\t1\nCC\t2\n",
        "AA\t1\nCC\thigh\n",
        &["truth.tsv: line 2: expression `high` is not a finite number"],
    );
}

#[test]
fn different_sequences_in_a_pair_are_bad_input() {
    assert_bad_input(
        "AAAA\t1\nCCCC\t2\n",
        "AAAA\t1\nCCGC\t2\n",
        &["predictions.tsv and truth.tsv: line 2: the sequences differ (first at base 3)"],
    );
}

#[test]
fn files_of_different_lengths_are_bad_input() {
    assert_bad_input(
        "AA\t1\nCC\t2\nGG\t3\n",
        "AA\t1\nCC\t2\n",
        &[
            "predictions.tsv has 3 rows but truth.tsv has 2: line 3 of predictions.tsv has no partner",
        ],
    );
    assert_bad_input(
        "AA\t1\n",
        "AA\t1\nCC\t2\n",
        &["truth.tsv has 2 rows but predictions.tsv has 1: line 2 of truth.tsv has no partner"],
    );
}

#[test]
fn an_empty_line_is_bad_input_unless_it_ends_the_file() {
    assert_bad_input(
        "AA\t1\nCC\t2\nGG\t3\n",
        "AA\t1\nCC\t2\n\nGG\t3\n",
        &["truth.tsv: line 3: empty line"],
    );
    let json = json_of("AA\t1\nCC\t2\n\n", "AA\t1\nCC\t3\n");
    assert_eq!(json["all"]["n"], 2);
}

#[test]
fn a_missing_or_empty_file_is_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("truth.tsv"), "AA\t1\n").expect("write truth");
    let output = evaluate(dir.path(), &[]).code(2).get_output().clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot read predictions.tsv"), "{stderr}");
    assert_bad_input(
        "",
        "\n",
        &["nothing to evaluate: predictions.tsv and truth.tsv have no rows"],
    );
}
