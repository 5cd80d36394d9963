//! The examples of `examples/` run as users run them: `sweep run examples/X/sweep.yaml` from
//! the repository root, with a Python that has PyTorch (and Keras 3 for the Keras example).
//!
//! They need that Python: `SWEEP_EXAMPLES_VENV` names its virtual environment (CI uses the
//! one `scripts/torch-env` makes, with `pip install keras` added). Without it they say
//! SKIPPED; with `SWEEP_REQUIRE_EXAMPLES` set (CI) they fail instead.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use sweep::metric::EpochMetrics;
use sweep::store::{Database, Store, TrialState};

#[path = "common/shared_data.rs"]
mod shared_data;

/// The virtual environment with PyTorch (and Keras), or `None` (said on stderr) to skip.
fn venv(test: &str) -> Option<PathBuf> {
    match std::env::var_os("SWEEP_EXAMPLES_VENV") {
        Some(venv) => Some(PathBuf::from(venv)),
        None => {
            assert!(
                std::env::var_os("SWEEP_REQUIRE_EXAMPLES").is_none(),
                "SWEEP_REQUIRE_EXAMPLES is set but SWEEP_EXAMPLES_VENV is not: {test} needs a \
                 virtual environment with torch (and keras)"
            );
            eprintln!(
                "SKIPPED {test}: set SWEEP_EXAMPLES_VENV to a virtual environment with torch \
                 and keras (scripts/torch-env makes one; then pip install keras)"
            );
            None
        }
    }
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `sweep` in the repository root with the virtual environment active, as a user has it.
fn sweep(venv: &Path, db: &Path) -> assert_cmd::Command {
    let mut command = cargo_bin_cmd!("sweep");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![venv.join("bin")];
    paths.extend(std::env::split_paths(&path));
    command
        .current_dir(repo())
        .env("VIRTUAL_ENV", venv)
        .env("PATH", std::env::join_paths(paths).expect("PATH"))
        .env("KERAS_BACKEND", "torch")
        .args(["--db"])
        .arg(db);
    command
}

fn store(db: &Path) -> Store {
    Store::open_read_only(&Database::sqlite(db)).expect("database")
}

/// One recorded step: its number and the bits of each metric but timings, by name.
type StepBits = (usize, Vec<(String, u64)>);

/// Every trial's state and steps.
fn steps(db: &Path, name: &str) -> Vec<(usize, TrialState, Vec<StepBits>)> {
    let store = store(db);
    let sweep = store.sweep(name).expect("sweep");
    store
        .trials(sweep.id)
        .expect("trials")
        .into_iter()
        .map(|t| {
            let rows = store
                .epochs(t.id)
                .expect("steps")
                .iter()
                .map(|m: &EpochMetrics| {
                    let bits = m
                        .names()
                        .filter(|n| !n.contains("seconds"))
                        .map(|n| (n.to_string(), m.value(n).unwrap_or(f64::NAN).to_bits()))
                        .collect();
                    (m.epoch, bits)
                })
                .collect();
            (t.number, t.state, rows)
        })
        .collect()
}

#[test]
fn the_pytorch_example_runs_its_wandb_sweep_file_with_two_workers() {
    let Some(venv) = venv("the PyTorch example") else {
        return;
    };
    if shared_data::challenge_sample("the PyTorch example").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("sweeps.db");
    let started = Instant::now();
    sweep(&venv, &db)
        .args([
            "run",
            "examples/pytorch/sweep.yaml",
            "--workers",
            "2",
            "--no-report",
        ])
        .assert()
        .success()
        .stdout(contains("sweep pytorch-example: ").and(contains("0 failed")));
    eprintln!("the PyTorch example's sweep took {:?}", started.elapsed());
    let store = store(&db);
    let sweep_record = store.sweep("pytorch-example").expect("sweep");
    let trials = store.trials(sweep_record.id).expect("trials");
    assert_eq!(trials.len(), 4);
    for t in &trials {
        assert!(
            matches!(t.state, TrialState::Completed | TrialState::Pruned),
            "{t:?}"
        );
        let steps = store.epochs(t.id).expect("steps");
        assert!(
            steps.iter().all(|s| s.value("val_r2").is_some()),
            "{steps:?}"
        );
    }
    sweep(&venv, &db)
        .args(["leaderboard", "pytorch-example"])
        .assert()
        .success()
        .stdout(
            contains("val_r2")
                .and(contains("val_loss"))
                .and(contains("lstm_units")),
        );
    sweep(&venv, &db)
        .args(["importance", "pytorch-example"])
        .assert()
        .success()
        .stdout(contains("learning_rate"));
    let report = dir.path().join("report.html");
    sweep(&venv, &db)
        .args(["report", "pytorch-example", "-o"])
        .arg(&report)
        .assert()
        .success();
    let html = std::fs::read_to_string(&report).expect("report");
    assert!(html.contains("val_r2") && html.contains("train_loss"));
}

/// A grid of two trials of the PyTorch example, four epochs each, started in `dir`.
fn resume_sweep(dir: &Path) -> PathBuf {
    let program = repo().join("examples/pytorch/train.py");
    let spec = format!(
        "name: resumable
program: {}
command: [\"${{env}}\", \"${{interpreter}}\", \"${{program}}\", \"${{args}}\", \"--rows=1000\", \"--epochs=4\"]
method: grid
metric: {{name: val_r2, goal: maximize}}
parameters:
  learning_rate: {{values: [0.003, 0.006]}}
  lstm_units: {{value: 4}}
  dense_units: {{value: 16}}
  conv1_filters: {{value: 16}}
  conv2_filters: {{value: 16}}
  conv3_filters: {{value: 8}}
",
        program.display()
    );
    let path = dir.join("s.yaml");
    std::fs::write(&path, spec).expect("sweep file");
    path
}

#[test]
fn kill_9_mid_trial_then_the_pytorch_example_resumes_from_its_checkpoint_bit_for_bit() {
    let Some(venv) = venv("the PyTorch resume") else {
        return;
    };
    if shared_data::challenge_sample("the PyTorch resume").is_none() {
        return;
    }
    let whole = tempfile::tempdir().expect("tempdir");
    let whole_db = whole.path().join("sweeps.db");
    let spec = resume_sweep(whole.path());
    sweep(&venv, &whole_db)
        .arg("run")
        .arg(&spec)
        .args(["--workers", "2", "--no-report"])
        .assert()
        .success();
    let expected = steps(&whole_db, "resumable");
    assert!(
        expected
            .iter()
            .all(|(_, s, rows)| *s == TrialState::Completed && rows.len() == 4)
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("sweeps.db");
    let spec = resume_sweep(dir.path());
    let mut run = Command::new(assert_cmd::cargo::cargo_bin!("sweep"));
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![venv.join("bin")];
    paths.extend(std::env::split_paths(&path));
    let mut run = run
        .current_dir(repo())
        .env("VIRTUAL_ENV", &venv)
        .env("PATH", std::env::join_paths(paths).expect("PATH"))
        .env("SWEEP_EXAMPLE_EPOCH_SLEEP", "1")
        .arg("--db")
        .arg(&db)
        .arg("run")
        .arg(&spec)
        .args(["--workers", "2", "--no-report"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("sweep run");
    let start = Instant::now();
    loop {
        let recorded = Store::open_read_only(&Database::sqlite(&db))
            .and_then(|s| s.sweep("resumable").and_then(|sw| s.trials(sw.id)))
            .map(|t| t.iter().map(|t| t.epochs).sum::<usize>())
            .unwrap_or(0);
        if recorded >= 2 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(240),
            "no steps recorded"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // kill -9 of the whole sweep: the coordinator and its workers (each in a group of its
    // own), found by the database they name.
    let killed = kill_9_processes_naming(&db.display().to_string());
    assert!(
        killed >= 2,
        "killed the coordinator and its workers ({killed})"
    );
    let _ = run.wait();
    let partial = steps(&db, "resumable");
    assert!(
        partial
            .iter()
            .any(|(_, s, rows)| *s == TrialState::Running && rows.len() < 4),
        "killed mid-trial: {partial:?}"
    );

    sweep(&venv, &db)
        .arg("run")
        .arg(&spec)
        .args(["--workers", "2", "--no-report"])
        .assert()
        .success()
        .stdout(contains("2/2 complete"));
    assert_eq!(
        steps(&db, "resumable"),
        expected,
        "the resumed steps equal an uninterrupted run's"
    );
    let logs: String = (1..=2)
        .flat_map(|t| ["stdout.log", "stderr.log"].map(|f| (t, f)))
        .map(|(t, file)| {
            std::fs::read_to_string(dir.path().join(format!("resumable/trial-{t:04}/{file}")))
                .unwrap_or_default()
        })
        .collect();
    assert!(logs.contains("== sweep: attempt 2 =="), "{logs}");
    assert!(logs.contains("resumed from epoch"), "{logs}");
}

#[test]
fn the_keras_example_with_wandb_metrics_logger_runs_unchanged() {
    let Some(venv) = venv("the Keras example") else {
        return;
    };
    if shared_data::challenge_sample("the Keras example").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("sweeps.db");
    sweep(&venv, &db)
        .args([
            "run",
            "examples/keras/sweep.yaml",
            "--workers",
            "2",
            "--no-report",
        ])
        .assert()
        .success()
        .stdout(contains("4/4 complete, 0 failed"));
    let store = store(&db);
    let keras = store.sweep("keras-example").expect("sweep");
    assert_eq!(keras.metric.as_str(), "epoch/val_loss");
    for t in store.trials(keras.id).expect("trials") {
        let steps = store.epochs(t.id).expect("steps");
        assert_eq!(steps.len(), 3, "three epochs: {steps:?}");
        assert!(
            steps
                .iter()
                .all(|s| s.value("epoch/val_loss").is_some() && s.value("epoch/loss").is_some())
        );
        assert!(t.best_metric.is_some());
    }
}

/// SIGKILL every process whose command line names `needle`; how many.
fn kill_9_processes_naming(needle: &str) -> usize {
    let mut killed = 0;
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle) && pid != std::process::id() as i32 {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            killed += 1;
        }
    }
    killed
}
