//! End-to-end tests of `sweep run --launcher slurm` against a REAL Slurm and a REAL PostgreSQL
//! (`scripts/cluster-up` starts both on this machine: a single node with 4 fake GPUs). The
//! built binary submits job arrays with `sbatch`, workers run as Slurm tasks and write to a
//! fresh PostgreSQL database per test; `scancel` and `sweep cancel` deliver the real SIGTERM.
//!
//! They skip (saying `SKIPPED: ...`) when `SWEEP_TEST_SLURM` or `SWEEP_TEST_POSTGRES` is unset,
//! and fail instead when `SWEEP_REQUIRE_CLUSTER` is set (CI). Training is the fake trainer, so
//! the whole file takes well under two minutes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use sweep::store::{Database, Store, TrialRecord, TrialState};

#[path = "common/postgres.rs"]
mod common;
use common::TestDatabase;

#[path = "common/fake_sweep.rs"]
mod fake_sweep;
use fake_sweep::fake_sweep;

/// The test server's URL when Slurm is up too, or `None` (said on stderr) to skip.
fn cluster() -> Option<String> {
    if std::env::var_os("SWEEP_TEST_SLURM").is_none() {
        assert!(
            !common::cluster_required(),
            "SWEEP_REQUIRE_CLUSTER is set but SWEEP_TEST_SLURM is not: run scripts/cluster-up \
             and source /tmp/sweep-cluster.env"
        );
        eprintln!("SKIPPED: SWEEP_TEST_SLURM is not set (scripts/cluster-up starts Slurm)");
        return None;
    }
    common::postgres_server("the Slurm tests")
}

/// The test database, read-only.
fn store(db: &TestDatabase) -> Store {
    Store::open_read_only(&Database::Postgres(db.url().to_string()))
        .expect("the test database opens")
}

/// A folder with the sweep file `s.yaml`; Slurm tasks (root, on this machine) can reach it.
fn folder_with(spec: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.yaml");
    std::fs::write(&path, spec).expect("writing the sweep file");
    (dir, path)
}

/// `sweep --db URL --runs DIR/runs ARGS...` in `dir`.
fn sweep_on(db: &TestDatabase, dir: &Path) -> assert_cmd::Command {
    let mut command = cargo_bin_cmd!("sweep");
    command
        .current_dir(dir)
        .args(["--db", db.url(), "--runs"])
        .arg(dir.join("runs"))
        .timeout(Duration::from_secs(90));
    command
}

fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn trials(store: &Store, name: &str) -> Vec<TrialRecord> {
    let sweep = store.sweep(name).expect("the sweep exists");
    store.trials(sweep.id).expect("trials")
}

/// The tasks Slurm still has of `job` (`squeue --array`).
fn queued(job: &str) -> Vec<String> {
    let output = Command::new("squeue")
        .args(["--noheader", "--array", "--format=%i", "--jobs", job])
        .output()
        .expect("squeue runs");
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// The one job the store recorded for `name`.
fn only_job(store: &Store, name: &str) -> String {
    let sweep = store.sweep(name).expect("the sweep exists");
    let jobs = store.jobs(sweep.id).expect("jobs");
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    jobs[0].job_id.clone()
}

/// Every trial completed, with its epochs 1..=`epochs` recorded once each.
fn assert_all_complete_once(store: &Store, name: &str, count: usize, epochs: usize) {
    let trials = trials(store, name);
    assert_eq!(trials.len(), count);
    for trial in &trials {
        assert_eq!(trial.state, TrialState::Completed, "{trial:?}");
        let numbers: Vec<usize> = store
            .epochs(trial.id)
            .expect("epochs")
            .iter()
            .map(|m| m.epoch)
            .collect();
        assert_eq!(
            numbers,
            (1..=epochs).collect::<Vec<_>>(),
            "trial {}",
            trial.number
        );
    }
}

#[test]
fn a_sweep_through_slurm_on_postgres_trains_every_trial_once_like_a_local_run() {
    let Some(admin) = cluster() else { return };
    let started = Instant::now();
    let db = TestDatabase::new(&admin, "sweep_cluster");
    let (dir, spec) = folder_with(&fake_sweep("onslurm", 12, 6));
    sweep_on(&db, dir.path())
        .arg("run")
        .arg(&spec)
        .args(["--launcher", "slurm", "--array", "3"])
        .args(["--slurm-args", "--gres=gpu:1 --time=5"])
        .args(["--fake-trainer", "150", "--no-report"])
        .assert()
        .success()
        .stdout(contains("submitted Slurm job"))
        .stdout(contains("sweep onslurm: 12/12 complete, 0 failed"));

    let store = store(&db);
    assert_all_complete_once(&store, "onslurm", 12, 6);
    let trials = trials(&store, "onslurm");
    assert!(trials.iter().all(|t| t.attempts == 1), "{trials:?}");
    let job = only_job(&store, "onslurm");
    let tasks: BTreeSet<&str> = trials.iter().filter_map(|t| t.job.as_deref()).collect();
    assert!(
        tasks.len() > 1,
        "more than one array task claimed trials: {tasks:?}"
    );
    for task in &tasks {
        assert!(
            task.starts_with(&format!("{job}_")),
            "{task} is a task of job {job}"
        );
    }
    // Each task asked for its one (fake) GPU through --slurm-args.
    let shown = Command::new("scontrol")
        .args(["show", "job", &job])
        .output()
        .expect("scontrol runs");
    let shown = String::from_utf8_lossy(&shown.stdout);
    let with_gpu = shown
        .lines()
        .filter(|l| l.contains("TresPerNode=") && l.contains("gpu:1"))
        .count();
    assert_eq!(with_gpu, 3, "every task asked for one GPU:\n{shown}");
    sweep_on(&db, dir.path())
        .args(["status", "onslurm"])
        .assert()
        .success()
        .stdout(contains(format!("slurm {job}")));

    // The same sweep file run locally on SQLite ranks the same trials with the same metrics.
    let local = tempfile::tempdir().expect("tempdir");
    std::fs::copy(&spec, local.path().join("s.yaml")).expect("copy");
    cargo_bin_cmd!("sweep")
        .current_dir(local.path())
        .args(["run", "s.yaml", "--workers", "3", "--fake-trainer", "20"])
        .arg("--no-report")
        .assert()
        .success();
    let local_board = cargo_bin_cmd!("sweep")
        .current_dir(local.path())
        .args(["leaderboard", "onslurm", "--format", "csv"])
        .output()
        .expect("leaderboard");
    let slurm_board = sweep_on(&db, dir.path())
        .args(["leaderboard", "onslurm", "--format", "csv"])
        .output()
        .expect("leaderboard");
    let local_board = String::from_utf8_lossy(&local_board.stdout).into_owned();
    assert_eq!(local_board.lines().count(), 13, "{local_board}");
    assert_eq!(
        String::from_utf8_lossy(&slurm_board.stdout),
        local_board,
        "the leaderboards of the Slurm and the local run are the same"
    );
    eprintln!("slurm sweep test took {:?}", started.elapsed());
}

#[test]
fn a_task_cancelled_mid_trial_resumes_its_trial_from_the_checkpoint_on_resubmit() {
    let Some(admin) = cluster() else { return };
    let started = Instant::now();
    let db = TestDatabase::new(&admin, "sweep_cluster");
    let (dir, spec) = folder_with(&fake_sweep("cancelled", 3, 8));
    // One task, so that no other task picks the interrupted trial up before the resubmit.
    sweep_on(&db, dir.path())
        .arg("run")
        .arg(&spec)
        .args(["--launcher", "slurm", "--array", "1", "--detach"])
        .args(["--fake-trainer", "300", "--no-report"])
        .assert()
        .success()
        .stdout(contains("detached: Slurm job"));
    let store = store(&db);
    let job = only_job(&store, "cancelled");

    // The task holding a trial that has a few epochs behind it, found through trials.job.
    let mut held = None;
    wait_for(
        "a running trial with 2 epochs",
        Duration::from_secs(60),
        || {
            held = trials(&store, "cancelled")
                .into_iter()
                .find(|t| t.state == TrialState::Running && t.epochs >= 2);
            held.is_some()
        },
    );
    let held = held.expect("a running trial");
    let task = held.job.clone().expect("the trial names its task");
    assert_eq!(task, format!("{job}_1"));
    let before = store.epochs(held.id).expect("epochs");
    let status = Command::new("scancel")
        .arg(&task)
        .status()
        .expect("scancel runs");
    assert!(status.success());
    wait_for(
        "the trial interrupted and the task gone",
        Duration::from_secs(40),
        || {
            let trial = store
                .trial(store.sweep("cancelled").expect("sweep").id, held.number)
                .expect("trial")
                .expect("it exists");
            trial.state == TrialState::Interrupted && queued(&job).is_empty()
        },
    );
    let interrupted = store.epochs(held.id).expect("epochs");
    assert!(
        interrupted.len() < 8,
        "stopped mid-trial: {}",
        interrupted.len()
    );
    assert_eq!(
        &interrupted[..before.len()],
        &before[..],
        "the epochs before the cancel are kept"
    );

    // The same command again resubmits; a faster fake epoch tells retrained epochs (0.1 s)
    // from those the checkpoint brought back (0.3 s).
    sweep_on(&db, dir.path())
        .arg("run")
        .arg(&spec)
        .args(["--launcher", "slurm", "--array", "1"])
        .args(["--fake-trainer", "100", "--no-report"])
        .assert()
        .success()
        .stdout(contains("submitted Slurm job"))
        .stdout(contains("sweep cancelled: 3/3 complete"));
    assert_all_complete_once(&store, "cancelled", 3, 8);
    let sweep = store.sweep("cancelled").expect("sweep");
    let resumed = store
        .trial(sweep.id, held.number)
        .expect("trial")
        .expect("it exists");
    assert_eq!(resumed.attempts, 2, "{resumed:?}");
    let epochs = store.epochs(held.id).expect("epochs");
    assert_eq!(
        &epochs[..interrupted.len()],
        &interrupted[..],
        "the checkpoint's epochs are unchanged"
    );
    assert!(
        epochs[interrupted.len()..]
            .iter()
            .all(|m| (m.seconds - 0.1).abs() < 1e-9),
        "only the epochs after the checkpoint were trained again: {epochs:?}"
    );
    let others = trials(&store, "cancelled");
    assert!(
        others
            .iter()
            .filter(|t| t.number != held.number)
            .all(|t| t.attempts == 1),
        "{others:?}"
    );
    assert_eq!(store.jobs(sweep.id).expect("jobs").len(), 2);
    eprintln!("scancel test took {:?}", started.elapsed());
}

#[test]
fn sweep_cancel_stops_a_detached_sweeps_jobs_and_a_rerun_finishes_it() {
    let Some(admin) = cluster() else { return };
    let started = Instant::now();
    let db = TestDatabase::new(&admin, "sweep_cluster");
    let (dir, spec) = folder_with(&fake_sweep("detached", 6, 6));
    sweep_on(&db, dir.path())
        .args(["cancel", "nosuch"])
        .assert()
        .code(2)
        .stderr(contains("nosuch"));
    sweep_on(&db, dir.path())
        .arg("run")
        .arg(&spec)
        .args(["--launcher", "slurm", "--array", "2", "--detach"])
        .args(["--fake-trainer", "250", "--no-report"])
        .assert()
        .success();
    let store = store(&db);
    let job = only_job(&store, "detached");
    wait_for("a trial with an epoch", Duration::from_secs(60), || {
        trials(&store, "detached").iter().any(|t| t.epochs >= 1)
    });
    sweep_on(&db, dir.path())
        .args(["cancel", "detached"])
        .assert()
        .success()
        .stdout(contains(format!("cancelled Slurm job {job} (2 task(s))")));
    wait_for("the tasks gone", Duration::from_secs(40), || {
        queued(&job).is_empty()
    });
    let left = trials(&store, "detached");
    assert!(
        left.iter().all(|t| matches!(
            t.state,
            TrialState::Interrupted | TrialState::Pending | TrialState::Completed
        )),
        "{left:?}"
    );
    assert!(
        left.iter().any(|t| t.state != TrialState::Completed),
        "cancelled before the end: {left:?}"
    );
    let sweep = store.sweep("detached").expect("sweep");
    assert!(store.jobs(sweep.id).expect("jobs")[0].is_cancelled());
    sweep_on(&db, dir.path())
        .args(["cancel", "detached"])
        .assert()
        .success()
        .stdout(contains("no Slurm job"));

    sweep_on(&db, dir.path())
        .arg("run")
        .arg(&spec)
        .args(["--launcher", "slurm", "--array", "2"])
        .args(["--fake-trainer", "100", "--no-report"])
        .assert()
        .success()
        .stdout(contains("sweep detached: 6/6 complete"));
    assert_all_complete_once(&store, "detached", 6, 6);
    // A finished sweep submits nothing.
    sweep_on(&db, dir.path())
        .arg("run")
        .arg(&spec)
        .args(["--launcher", "slurm", "--array", "2"])
        .args(["--fake-trainer", "100", "--no-report"])
        .assert()
        .success()
        .stdout(contains("submitted").not());
    assert_eq!(store.jobs(sweep.id).expect("jobs").len(), 2);
    eprintln!("sweep cancel test took {:?}", started.elapsed());
}

#[test]
fn slurm_flags_are_checked_before_anything_is_submitted() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("s.yaml"), fake_sweep("flags", 2, 2)).expect("spec");
    let run = |args: &[&str]| {
        cargo_bin_cmd!("sweep")
            .current_dir(dir.path())
            .args(["run", "s.yaml", "--fake-trainer", "10", "--no-report"])
            .args(args)
            .assert()
    };
    run(&["--launcher", "slurm", "--slurm-args", "--comment 'unclosed"])
        .code(2)
        .stderr(contains("--slurm-args"));
    run(&["--array", "3"])
        .code(2)
        .stderr(contains("--array is for `--launcher slurm` only"));
    run(&["--launcher", "slurm", "--array", "0"])
        .code(2)
        .stderr(contains("--array must be at least 1"));
    // sbatch refusing its arguments is the user's to fix, and says what sbatch said.
    if cluster().is_some() {
        run(&[
            "--launcher",
            "slurm",
            "--slurm-args",
            "--partition no-such-partition",
        ])
        .code(2)
        .stderr(contains("sbatch"))
        .stderr(contains("no-such-partition").or(contains("partition")));
    }
}

/// A program trial as a user writes it (stdlib Python): a step per line of JSON, with metric
/// names of its own.
const PROGRAM: &str = r#"
import argparse, json, os
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float)
p.add_argument("--width", type=int)
a = p.parse_args()
for step in range(1, 5):
    loss = abs(a.lr - 0.02) * 10 + 1.0 / step + 0.001 * a.width
    with open(os.environ["SWEEP_METRICS"], "a") as f:
        f.write(json.dumps({"epoch": step, "loss": loss, "val/acc": 1 - loss / 10}) + "\n")
"#;

#[test]
fn a_program_sweep_runs_as_a_slurm_job_array_on_postgres() {
    let Some(admin) = cluster() else { return };
    let db = TestDatabase::new(&admin, "sweep_program");
    let (dir, spec) = folder_with(
        "name: programs
program: train.py
project: dream
method: grid
metric: {name: val/acc, goal: maximize}
parameters:
  lr: {values: [0.01, 0.02, 0.04]}
  width: {values: [8, 16]}
",
    );
    std::fs::write(dir.path().join("train.py"), PROGRAM).expect("writing the program");
    sweep_on(&db, dir.path())
        .arg("run")
        .arg(&spec)
        .args(["--launcher", "slurm", "--array", "3", "--no-report"])
        .assert()
        .success()
        .stdout(contains("sweep programs: 6/6 complete, 0 failed"));
    let store = store(&db);
    let sweep = store.sweep("programs").expect("sweep");
    let trials = trials(&store, "programs");
    assert!(
        trials.iter().any(|t| t.job.is_some()),
        "tasks of the job array ran them"
    );
    for t in &trials {
        assert_eq!(t.state, TrialState::Completed, "{t:?}");
        let steps = store.epochs(t.id).expect("steps");
        assert_eq!(steps.len(), 4, "{steps:?}");
        assert!(
            steps
                .iter()
                .all(|s| s.value("val/acc").is_some() && s.value("loss").is_some())
        );
        assert_eq!(t.best_epoch, Some(4));
    }
    assert_eq!(
        store.metric_names(sweep.id).expect("names"),
        ["loss", "val/acc"]
    );
    sweep_on(&db, dir.path())
        .args(["leaderboard", "programs"])
        .assert()
        .success()
        .stdout(contains("val/acc").and(contains("loss")));
    // `db copy` carries the open metrics to SQLite.
    let copy = dir.path().join("copy.db");
    cargo_bin_cmd!("sweep")
        .args(["db", "copy", "--from", db.url(), "--to"])
        .arg(&copy)
        .assert()
        .success();
    let copied = Store::open_read_only(&Database::sqlite(&copy)).expect("copy");
    let s = copied.sweep("programs").expect("copied sweep");
    let t = copied.trials(s.id).expect("trials");
    assert_eq!(
        copied.epochs(t[0].id).expect("steps")[3].value("val/acc"),
        store.epochs(trials[0].id).expect("steps")[3].value("val/acc")
    );
    assert!(s.program.is_some(), "the program is copied with the sweep");
}

/// A program that takes a while: a step every 0.3 s, 6 steps, resuming from its checkpoint.
const SLOW_PROGRAM: &str = r#"
import json, os, sys, time
d = os.environ["SWEEP_TRIAL_DIR"]
ck = os.path.join(d, "step")
start = int(open(ck).read()) + 1 if os.path.exists(ck) else 1
for step in range(start, 7):
    time.sleep(0.3)
    with open(os.environ["SWEEP_METRICS"], "a") as f:
        f.write(json.dumps({"step": step, "loss": 1.0 / step}) + "\n")
    open(ck, "w").write(str(step))
"#;

#[test]
fn sweep_cancel_interrupts_program_trials_and_a_rerun_resumes_them() {
    let Some(admin) = cluster() else { return };
    let db = TestDatabase::new(&admin, "sweep_program_cancel");
    let (dir, spec) = folder_with(
        "name: cancelled
program: slow.py
method: grid
metric: {name: loss}
parameters:
  x: {values: [1, 2, 3, 4]}
",
    );
    std::fs::write(dir.path().join("slow.py"), SLOW_PROGRAM).expect("writing the program");
    sweep_on(&db, dir.path())
        .arg("run")
        .arg(&spec)
        .args([
            "--launcher",
            "slurm",
            "--array",
            "2",
            "--detach",
            "--no-report",
        ])
        .assert()
        .success();
    let store = store(&db);
    let job = only_job(&store, "cancelled");
    wait_for("a program's first step", Duration::from_secs(60), || {
        trials(&store, "cancelled").iter().any(|t| t.epochs >= 1)
    });
    sweep_on(&db, dir.path())
        .args(["cancel", "cancelled"])
        .assert()
        .success();
    wait_for("the tasks gone", Duration::from_secs(40), || {
        queued(&job).is_empty()
    });
    let left = trials(&store, "cancelled");
    assert!(
        left.iter().all(|t| matches!(
            t.state,
            TrialState::Interrupted | TrialState::Pending | TrialState::Completed
        )),
        "cancelled programs are interrupted, not failed: {left:?}"
    );
    assert!(
        left.iter().any(|t| t.state == TrialState::Interrupted),
        "{left:?}"
    );
    sweep_on(&db, dir.path())
        .arg("run")
        .arg(&spec)
        .args(["--launcher", "slurm", "--array", "2", "--no-report"])
        .assert()
        .success()
        .stdout(contains("sweep cancelled: 4/4 complete, 0 failed"));
    for t in trials(&store, "cancelled") {
        let steps: Vec<usize> = store
            .epochs(t.id)
            .expect("steps")
            .iter()
            .map(|s| s.epoch)
            .collect();
        assert_eq!(steps, [1, 2, 3, 4, 5, 6], "trial {}", t.number);
    }
}
