//! End-to-end tests of the read-only views (`sweep status`, `sweep leaderboard`,
//! `sweep compare`): a run database written through the library, as workers write it, then the
//! built binary run against it the way a user runs it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::boolean::PredicateBooleanExt;
use predicates::str::contains;
use sweep::metric::EpochMetrics;
use sweep::metric::{Goal, MetricName};
use sweep::store::{Database, Finish, NewSweep, NewTrial, Store, SweepId, WorkerInfo};

const BATCH_SIZES: [u32; 5] = [128, 256, 512, 128, 64];

fn new_sweep(name: &str, trials: usize) -> NewSweep {
    NewSweep {
        name: name.to_string(),
        spec_text: format!("name: {name}\n"),
        spec_hash: "fingerprint".to_string(),
        data_path: PathBuf::from("data/train.txt"),
        metric: MetricName::VAL_R2,
        goal: Goal::Maximize,
        data_header: None,
        program: None,
        trials: (1..=trials)
            .map(|number| NewTrial {
                number,
                seed: number as u64,
                params_json: format!(
                    r#"{{"batch_size":{},"learning_rate":{}}}"#,
                    BATCH_SIZES[(number - 1) % BATCH_SIZES.len()],
                    0.001 * number as f64
                ),
            })
            .collect(),
    }
}

fn epoch(n: usize, r2: f64) -> EpochMetrics {
    EpochMetrics {
        epoch: n,
        train_loss: 1.0,
        val_loss: 1.0 - r2,
        val_r2: r2,
        val_pearson: r2.sqrt(),
        val_spearman: r2.sqrt(),
        learning_rate: 0.001,
        seconds: 2.0,
        samples_per_s: 1000.0,
        extra: Default::default(),
    }
}

/// Claim the next trial as worker `pid`, record its epochs and end it with `finish` (or leave
/// it running).
fn train(store: &mut Store, sweep: SweepId, pid: u32, r2: &[f64], finish: Option<Finish>) {
    let me = WorkerInfo {
        host: "node1".to_string(),
        pid,
        device: "cpu".to_string(),
        threads: 1,
        job: None,
    };
    let alive: &dyn Fn(&str, u32) -> bool = &|_, _| false;
    let trial = store
        .claim_next(sweep, &me, Duration::from_secs(3600), alive)
        .expect("claim")
        .expect("a trial to claim");
    for (i, &value) in r2.iter().enumerate() {
        store
            .record_epoch(trial.id, &me, &epoch(i + 1, value), None)
            .expect("epoch");
    }
    if let Some(finish) = finish {
        store.finish_trial(trial.id, &me, &finish).expect("finish");
    }
}

/// Sweep `demo` of 5 trials: 1 and 2 completed (2 the best), 3 failed, 4 running, 5 pending.
fn demo_database(dir: &Path) -> PathBuf {
    let db = dir.join("sweeps.db");
    let mut store = Store::open(&Database::sqlite(&db)).expect("store");
    let (sweep, _) = store
        .create_or_open_sweep(&new_sweep("demo", 5))
        .expect("sweep");
    let failed = Finish::Failed("diverged: the loss is NaN at epoch 2".to_string());
    train(
        &mut store,
        sweep.id,
        101,
        &[0.1, 0.3, 0.25],
        Some(Finish::Completed),
    );
    train(
        &mut store,
        sweep.id,
        102,
        &[0.2, 0.45],
        Some(Finish::Completed),
    );
    train(&mut store, sweep.id, 103, &[0.05], Some(failed));
    train(&mut store, sweep.id, 104, &[0.4], None);
    db
}

fn sweep(db: &Path) -> assert_cmd::Command {
    let mut command = cargo_bin_cmd!("sweep");
    command.arg("--db").arg(db);
    command
}

fn stdout_of(db: &Path, args: &[&str]) -> String {
    let output = sweep(db).args(args).assert().success().get_output().clone();
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn leaderboard_json_ranks_trials_by_the_metric() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_database(dir.path());
    let json = stdout_of(&db, &["leaderboard", "demo", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let rows = rows.as_array().expect("an array");
    let column = |key: &str| rows.iter().map(|r| r[key].clone()).collect::<Vec<_>>();
    assert_eq!(
        column("trial"),
        [2, 4, 1, 3, 5].map(serde_json::Value::from),
        "ranked, then failed and pending by number"
    );
    assert_eq!(
        column("rank"),
        [Some(1), Some(2), Some(3), None, None].map(serde_json::Value::from)
    );
    assert_eq!(
        column("state"),
        ["completed", "running", "completed", "failed", "pending"].map(serde_json::Value::from)
    );
    assert_eq!(rows[0]["best_metric"].as_f64(), Some(0.45));
    assert_eq!(rows[0]["best_epoch"].as_u64(), Some(2));
    assert_eq!(rows[0]["epochs"].as_u64(), Some(2));
    assert_eq!(rows[0]["params"]["batch_size"].as_u64(), Some(256));
    assert!(rows[0]["error"].is_null());
    assert!(rows[4]["best_metric"].is_null());
    assert_eq!(
        rows[3]["error"].as_str(),
        Some("diverged: the loss is NaN at epoch 2")
    );
}

#[test]
fn leaderboard_csv_has_a_column_per_parameter() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_database(dir.path());
    let csv = stdout_of(&db, &["leaderboard", "demo", "--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "rank,trial,state,best_metric,best_epoch,epochs,batch_size,learning_rate,error,pruned_at,device"
    );
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[1], "1,2,completed,0.45,2,2,256,0.002,,,cpu");
    assert_eq!(lines[5], ",5,pending,,,0,64,0.005,,,");
}

#[test]
fn leaderboard_table_marks_the_best_and_keeps_the_top() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_database(dir.path());
    let table = stdout_of(&db, &["leaderboard", "demo"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 6);
    assert!(lines[0].contains("val_r2") && lines[0].contains("learning_rate"));
    assert!(lines[1].starts_with("*     1      2  completed  0.4500"));
    assert!(lines[4].contains("failed") && lines[4].contains("diverged"));
    assert!(!table.contains('\x1b'), "no bold off a terminal");

    let top = stdout_of(&db, &["leaderboard", "demo", "--top", "2"]);
    assert_eq!(top.lines().count(), 3);
}

#[test]
fn status_lists_sweeps_and_one_sweep_by_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_database(dir.path());
    let all = stdout_of(&db, &["status"]);
    assert_eq!(all.lines().count(), 2);
    assert!(all.lines().nth(1).is_some_and(|l| l.starts_with("demo ")));
    assert!(all.contains("0.4500"));

    let one = stdout_of(&db, &["status", "demo"]);
    for expected in [
        "trials: 5 (2 completed, 1 running, 1 pending, 1 failed)",
        "best so far: trial 2, val_r2 0.4500 at epoch 2 (completed)",
        "batch_size=256 learning_rate=0.002",
        "node1:104  cpu",
        "pending (1): 5",
        "diverged: the loss is NaN at epoch 2",
        "completed (2)",
    ] {
        assert!(one.contains(expected), "`{expected}` in:\n{one}");
    }
}

#[test]
fn compare_shows_trials_side_by_side_with_their_curves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_database(dir.path());
    let text = stdout_of(&db, &["compare", "demo", "1", "2"]);
    for expected in [
        "trial 1    trial 2",
        "*  batch_size     128",
        "* differs between the trials",
        "val_r2 by epoch",
        "    2  0.3000*  0.4500*",
        "val_loss by epoch",
        "    3  0.7500",
    ] {
        assert!(text.contains(expected), "`{expected}` in:\n{text}");
    }
}

#[test]
fn unknown_names_and_numbers_are_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_database(dir.path());
    for args in [
        &["leaderboard", "nosuch"][..],
        &["status", "nosuch"][..],
        &["compare", "nosuch", "1"][..],
    ] {
        sweep(&db)
            .args(args)
            .assert()
            .code(2)
            .stderr(contains("no sweep named `nosuch`"));
    }
    sweep(&db)
        .args(["compare", "demo", "1", "99"])
        .assert()
        .code(2)
        .stderr(contains(
            "sweep `demo` has no trial 99 (its trials are 1-5)",
        ));

    let missing = dir.path().join("none.db");
    for args in [
        &["status"][..],
        &["leaderboard", "demo"][..],
        &["compare", "demo", "1"][..],
    ] {
        sweep(&missing)
            .args(args)
            .assert()
            .code(2)
            .stderr(contains("no run database at").and(contains("none.db")));
    }
    assert!(!missing.exists(), "a view never creates a database");
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("sweeps.db");
    // Far more output than a pipe buffers, so that the writes hit the closed pipe.
    Store::open(&Database::sqlite(&db))
        .expect("store")
        .create_or_open_sweep(&new_sweep("big", 3000))
        .expect("sweep");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sweep"))
        .arg("--db")
        .arg(&db)
        .args(["leaderboard", "big"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("started");
    drop(child.stdout.take());
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        err.read_to_string(&mut stderr).expect("stderr");
    }
    let status = child.wait().expect("exited");
    assert!(status.success(), "exit {status}, stderr: {stderr}");
    assert_eq!(stderr, "");
}
