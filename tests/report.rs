//! End-to-end tests of `sweep report`: a database with known rows, written through the
//! library, then the built binary makes the HTML report the way a user does.

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::str::contains;
use sweep::spec::{Goal, MetricName};
use sweep::store::{Finish, NewSweep, NewTrial, Store, SweepId, WorkerInfo};
use sweep::train::EpochMetrics;

const HOSTILE: &str = "<script>alert(1)</script>";

/// Sweep `name` of 4 trials; trial 3's `activation` parameter is a hostile string.
fn new_sweep(name: &str) -> NewSweep {
    NewSweep {
        name: name.to_string(),
        spec_text: format!("name: {name}\n# {HOSTILE}\n"),
        spec_hash: "fingerprint".to_string(),
        data_path: PathBuf::from("data/train.txt"),
        metric: MetricName::ValR2,
        goal: Goal::Maximize,
        data_header: None,
        trials: (1..=4)
            .map(|number| NewTrial {
                number,
                seed: number as u64,
                params_json: serde_json::json!({
                    "learning_rate": 0.001 * number as f64,
                    "batch_size": 64 * number,
                    "activation": if number == 3 { HOSTILE } else { "relu" },
                })
                .to_string(),
            })
            .collect(),
    }
}

fn epoch(n: usize, r2: f64) -> EpochMetrics {
    EpochMetrics {
        epoch: n,
        train_loss: 1.2 - r2,
        val_loss: 1.0 - r2,
        val_r2: r2,
        val_pearson: r2.sqrt(),
        val_spearman: r2.sqrt(),
        learning_rate: 0.001,
        seconds: 2.0,
        samples_per_s: 1000.0,
    }
}

fn train(store: &mut Store, sweep: SweepId, r2: &[f64], finish: Finish) {
    let me = WorkerInfo {
        host: "node1".to_string(),
        pid: 7,
        device: "cpu".to_string(),
        threads: 1,
    };
    let alive: &dyn Fn(&str, u32) -> bool = &|_, _| false;
    let trial = store
        .claim_next(sweep, &me, Duration::from_secs(3600), alive)
        .expect("claim")
        .expect("a trial");
    for (i, &value) in r2.iter().enumerate() {
        store
            .record_epoch(trial.id, &me, &epoch(i + 1, value))
            .expect("epoch");
    }
    store.finish_trial(trial.id, &me, &finish).expect("finish");
}

/// Trials 1-3 completed with best val_r2 0.3, 0.6, 0.45 (200 epochs for trial 2); trial 4
/// failed with a hostile error message.
fn database(dir: &Path, name: &str) -> PathBuf {
    let db = dir.join("sweeps.db");
    let mut store = Store::open(&db).expect("store");
    let (sweep, _) = store.create_or_open_sweep(&new_sweep(name)).expect("sweep");
    train(&mut store, sweep.id, &[0.1, 0.3, 0.2], Finish::Completed);
    let long: Vec<f64> = (1..=200).map(|e| 0.6 * e as f64 / 200.0).collect();
    train(&mut store, sweep.id, &long, Finish::Completed);
    train(&mut store, sweep.id, &[0.45, 0.4], Finish::Completed);
    train(
        &mut store,
        sweep.id,
        &[0.01],
        Finish::Failed(format!("diverged {HOSTILE}")),
    );
    db
}

fn report(dir: &Path, db: &Path, name: &str) -> String {
    let out = dir.join("report.html");
    cargo_bin_cmd!("sweep")
        .arg("--db")
        .arg(db)
        .args(["report", name, "-o"])
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("report.html"));
    std::fs::read_to_string(&out).expect("the report")
}

#[test]
fn the_report_ranks_trials_and_holds_every_trials_curves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = database(dir.path(), "demo");
    let html = report(dir.path(), &db, "demo");

    let body = &html[html.find("<tbody>").expect("leaderboard body")..];
    let order: Vec<usize> = body
        .split("<tr id=\"row-")
        .skip(1)
        .filter_map(|row| row.split('"').next()?.parse().ok())
        .collect();
    assert_eq!(
        order,
        [2, 3, 1, 4],
        "ranked by best val_r2, the failed trial last"
    );
    assert!(html.contains("<tr id=\"row-2\" data-trial=\"2\" class=\"best\">"));
    for n in 1..=4 {
        let section = html
            .split(&format!("<details class=\"trial\" id=\"trial-{n}\">"))
            .nth(1)
            .unwrap_or_default();
        let section = section.split("</details>").next().unwrap_or_default();
        assert!(section.contains("<svg"), "trial {n} has its curves");
    }
    assert!(
        html.contains("id=\"sweep-data\""),
        "the compare view's data"
    );
    for external in ["<script src", "<link rel=\"stylesheet\" href", "https://"] {
        assert!(!html.contains(external), "self-contained: no `{external}`");
    }
}

#[test]
fn every_user_string_is_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let name = format!("x{HOSTILE}");
    let db = database(dir.path(), &name);
    let html = report(dir.path(), &db, &name);
    // The page's own scripts are the only ones: two script elements (data and code).
    assert_eq!(
        html.matches("<script").count(),
        2,
        "no user string opens a script"
    );
    assert!(!html.contains(HOSTILE));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // Inside the JSON data block `<` is escaped as \u003c.
    let data = html
        .split("id=\"sweep-data\">")
        .nth(1)
        .and_then(|d| d.split("</script>").next())
        .expect("the data block");
    assert!(data.contains("\\u003cscript>"));
}

#[test]
fn a_report_of_an_unknown_sweep_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = database(dir.path(), "demo");
    cargo_bin_cmd!("sweep")
        .arg("--db")
        .arg(&db)
        .args(["report", "nope"])
        .assert()
        .code(2)
        .stderr(contains("no sweep named `nope`"));
}
