//! End-to-end tests of `sweep run` and `sweep worker`: the built binary in a temporary folder,
//! a real SQLite database, real worker processes, real signals. Training is real (a tiny
//! network) except where only orchestration is under test: there the hidden `--fake-trainer`
//! replaces it with an analytic learning curve so that hundreds of trials stay fast.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use sweep::metric::EpochMetrics;
use sweep::store::{Database, Store, TrialState};

#[path = "common/crash.rs"]
mod crash;
#[path = "common/processes.rs"]
mod processes;
use crash::kill_9_all;
use processes::{children_of, exit_within, kill, wait_for};

#[path = "common/fake_sweep.rs"]
mod fake_sweep;
use fake_sweep::fake_sweep;
#[path = "common/shared_data.rs"]
mod shared_data;

/// A grid of 4 trials (2 learning rates × 2 dropouts) of a tiny network on synthetic data.
fn tiny_sweep(name: &str, rows: usize, epochs: usize, learning_rates: &str) -> String {
    format!(
        "name: {name}
method: grid
seed: 5
parameters:
  conv1_filters: {{value: 8}}
  conv2_filters: {{value: 8}}
  conv3_filters: {{value: 8}}
  conv1_kernel: {{value: 9}}
  conv2_kernel: {{value: 5}}
  lstm_units: {{value: 4}}
  dense_units: {{value: 16}}
  batch_size: {{value: 64}}
  learning_rate: {{values: {learning_rates}}}
  dropout_dense: {{values: [0.1, 0.3]}}
data:
  synthetic: {{rows: {rows}, seed: 3}}
training: {{max_epochs: {epochs}, patience: 10}}
"
    )
}

fn sweep(dir: &Path) -> assert_cmd::Command {
    let mut command = cargo_bin_cmd!("sweep");
    command.current_dir(dir);
    command
}

fn write(dir: &Path, file: &str, text: &str) -> PathBuf {
    let path = dir.join(file);
    std::fs::write(&path, text).expect("writing a test file");
    path
}

/// `sweep run ...` started in the background, its output captured.
fn spawn_run(dir: &Path, args: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin!("sweep"))
        .current_dir(dir)
        .arg("run")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting sweep run")
}

fn db(dir: &Path) -> PathBuf {
    dir.join("runs/sweeps.db")
}

/// Every trial's state and epochs (without the timing columns, which no two runs share).
fn stored_trials(dir: &Path, name: &str) -> Vec<(usize, TrialState, Vec<[u64; 7]>)> {
    let store = Store::open_read_only(&Database::sqlite(db(dir))).expect("database exists");
    let sweep = store.sweep(name).expect("sweep exists");
    store
        .trials(sweep.id)
        .expect("trials")
        .into_iter()
        .map(|t| {
            let epochs = store.epochs(t.id).expect("epochs");
            (
                t.number,
                t.state,
                epochs.iter().map(deterministic_bits).collect(),
            )
        })
        .collect()
}

fn deterministic_bits(m: &EpochMetrics) -> [u64; 7] {
    [
        m.epoch as u64,
        m.train_loss.to_bits(),
        m.val_loss.to_bits(),
        m.val_r2.to_bits(),
        m.val_pearson.to_bits(),
        m.val_spearman.to_bits(),
        m.learning_rate.to_bits(),
    ]
}

fn epoch_rows(dir: &Path) -> usize {
    Store::open_read_only(&Database::sqlite(db(dir)))
        .ok()
        .and_then(|store| {
            let sweeps = store.sweeps().ok()?;
            let mut rows = 0;
            for s in sweeps {
                for t in store.trials(s.id).ok()? {
                    rows += t.epochs;
                }
            }
            Some(rows)
        })
        .unwrap_or(0)
}

#[test]
fn a_small_sweep_with_two_workers_trains_every_trial_and_records_a_forced_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 1e30 makes Adam's steps overflow: that trial diverges; the others train.
    write(
        dir.path(),
        "s.yaml",
        &tiny_sweep("small", 2000, 3, "[0.003, 1e30]"),
    );
    sweep(dir.path())
        .args(["run", "s.yaml", "--workers", "2"])
        .assert()
        .success()
        .stdout(contains("2/4 complete, 2 failed"))
        .stdout(contains("training diverged"));

    let trials = stored_trials(dir.path(), "small");
    for (number, state, epochs) in &trials {
        let failed = *number == 2 || *number == 4;
        let expected = if failed {
            TrialState::Failed
        } else {
            TrialState::Completed
        };
        assert_eq!(*state, expected, "trial {number}");
        assert_eq!(epochs.len(), if failed { 0 } else { 3 }, "trial {number}");
    }
    let store = Store::open_read_only(&Database::sqlite(db(dir.path()))).expect("db");
    let small = store.sweep("small").expect("sweep");
    let failed = store.trial(small.id, 2).expect("read").expect("trial 2");
    assert!(
        failed
            .error
            .as_deref()
            .is_some_and(|e| e.contains("diverged")),
        "the failure's message is kept: {:?}",
        failed.error
    );
    for t in 1..=4 {
        assert!(
            dir.path()
                .join(format!("runs/small/trial-{t:04}/checkpoint.bin"))
                .exists()
                || t % 2 == 0,
            "trial {t} checkpointed"
        );
    }

    // Running the finished sweep again changes nothing.
    sweep(dir.path())
        .args(["run", "s.yaml", "--workers", "2"])
        .assert()
        .success()
        .stdout(contains("resuming (2 completed, 2 failed"));
    assert_eq!(stored_trials(dir.path(), "small"), trials);
}

#[test]
fn kill_9_of_coordinator_and_workers_then_rerun_gives_the_rows_of_an_uninterrupted_run() {
    let spec = tiny_sweep("killed", 4000, 3, "[0.001, 0.003]");
    let whole = tempfile::tempdir().expect("tempdir");
    write(whole.path(), "s.yaml", &spec);
    sweep(whole.path())
        .args(["run", "s.yaml", "--workers", "2"])
        .assert()
        .success();
    let expected = stored_trials(whole.path(), "killed");
    assert!(expected.iter().all(|(_, _, e)| e.len() == 3));

    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "s.yaml", &spec);
    let mut run = spawn_run(dir.path(), &["s.yaml", "--workers", "2"]);
    wait_for("the first epochs", Duration::from_secs(300), || {
        epoch_rows(dir.path()) >= 2
    });
    let workers = children_of(run.id());
    assert!(!workers.is_empty(), "the coordinator has workers");
    kill_9_all(run.id(), &workers);
    let _ = run.wait();
    let partial = stored_trials(dir.path(), "killed");
    assert!(
        partial
            .iter()
            .any(|(_, state, _)| *state == TrialState::Running),
        "killed mid-trial: {partial:?}"
    );

    sweep(dir.path())
        .args(["run", "s.yaml", "--workers", "2"])
        .assert()
        .success()
        .stdout(contains("resume from their last checkpoint"))
        .stdout(contains("4/4 complete"));
    assert_eq!(stored_trials(dir.path(), "killed"), expected);
}

#[test]
fn ctrl_c_stops_within_seconds_marks_trials_interrupted_and_a_rerun_finishes_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "s.yaml", &fake_sweep("stopped", 4, 40));
    let mut run = spawn_run(
        dir.path(),
        &["s.yaml", "--workers", "2", "--fake-trainer", "100"],
    );
    wait_for(
        "both workers' first epochs",
        Duration::from_secs(60),
        || {
            let trials = Store::open_read_only(&Database::sqlite(db(dir.path())))
                .and_then(|store| store.sweep("stopped").and_then(|s| store.trials(s.id)));
            trials.is_ok_and(|trials| {
                trials
                    .iter()
                    .filter(|t| t.state == TrialState::Running && t.epochs >= 1)
                    .count()
                    == 2
            })
        },
    );
    kill(run.id(), "-INT");
    let output = exit_within(
        &mut run,
        Duration::from_secs(10),
        "the sweep stops within seconds of Ctrl-C",
    );
    assert_eq!(
        output.code(),
        Some(130),
        "an interrupted run exits with 130"
    );
    let mut stdout = String::new();
    let mut stderr = String::new();
    use std::io::Read;
    run.stdout.take().map(|mut s| s.read_to_string(&mut stdout));
    run.stderr.take().map(|mut s| s.read_to_string(&mut stderr));
    assert!(stdout.contains("interrupted after"), "{stdout}");
    assert!(
        stderr.contains("run the same command again to resume"),
        "{stderr}"
    );
    let trials = stored_trials(dir.path(), "stopped");
    let interrupted = trials
        .iter()
        .filter(|(_, s, _)| *s == TrialState::Interrupted)
        .count();
    assert_eq!(interrupted, 2, "both workers' trials: {trials:?}");
    assert!(trials.iter().all(|(_, s, _)| *s != TrialState::Running));

    sweep(dir.path())
        .args(["run", "s.yaml", "--workers", "2", "--fake-trainer", "5"])
        .assert()
        .success()
        .stdout(contains("4/4 complete"));
    for (number, state, epochs) in stored_trials(dir.path(), "stopped") {
        assert_eq!(state, TrialState::Completed, "trial {number}");
        let numbers: Vec<u64> = epochs.iter().map(|e| e[0]).collect();
        assert_eq!(numbers, (1..=40).collect::<Vec<u64>>(), "trial {number}");
    }
}

#[test]
fn eight_workers_record_thousands_of_epochs_without_losing_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "s.yaml", &fake_sweep("crowd", 48, 60));
    sweep(dir.path())
        .args(["run", "s.yaml", "--workers", "8", "--fake-trainer", "2"])
        .assert()
        .success()
        .stdout(contains("48/48 complete, 0 failed"));
    let trials = stored_trials(dir.path(), "crowd");
    assert_eq!(trials.len(), 48);
    let rows: usize = trials.iter().map(|(_, _, e)| e.len()).sum();
    assert_eq!(rows, 48 * 60);
    for (number, _, epochs) in trials {
        let numbers: Vec<u64> = epochs.iter().map(|e| e[0]).collect();
        assert_eq!(numbers, (1..=60).collect::<Vec<u64>>(), "trial {number}");
    }
    let logs = std::fs::read_dir(dir.path().join("runs/crowd/workers"))
        .expect("worker logs")
        .count();
    assert_eq!(logs, 8);
}

#[test]
fn no_workers_is_bad_input_and_records_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "s.yaml", &fake_sweep("none", 2, 2));
    sweep(dir.path())
        .args(["run", "s.yaml", "--fake-trainer", "1", "--workers", "0"])
        .assert()
        .code(2)
        .stderr(contains("--workers"));
    assert!(!dir.path().join("runs/sweeps.db").exists());
}

#[test]
fn a_changed_sweep_file_under_the_same_name_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "s.yaml", &fake_sweep("same", 2, 2));
    sweep(dir.path())
        .args(["run", "s.yaml", "--fake-trainer", "1"])
        .assert()
        .success();
    write(dir.path(), "s.yaml", &fake_sweep("same", 3, 2));
    sweep(dir.path())
        .args(["run", "s.yaml", "--fake-trainer", "1"])
        .assert()
        .code(2)
        .stderr(contains(
            "sweep `same` already exists with a different sweep file",
        ));
    // Comments and spacing are not changes.
    write(
        dir.path(),
        "s.yaml",
        &format!("# a comment\n{}", fake_sweep("same", 2, 2)),
    );
    sweep(dir.path())
        .args(["run", "s.yaml", "--fake-trainer", "1"])
        .assert()
        .success();
}

#[test]
fn failed_trials_stay_failed_until_retried() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The fake trainer diverges at a learning rate of 1 or more.
    let spec = "name: retry
method: grid
parameters:
  learning_rate: {values: [0.001, 5.0]}
data:
  synthetic: {rows: 100, seed: 1}
training: {max_epochs: 3, patience: 3}
";
    write(dir.path(), "s.yaml", spec);
    sweep(dir.path())
        .args(["run", "s.yaml", "--fake-trainer", "1"])
        .assert()
        .success()
        .stdout(contains("trial 2 failed: training diverged"))
        .stdout(contains("1/2 complete, 1 failed"));
    sweep(dir.path())
        .args(["run", "s.yaml", "--fake-trainer", "1"])
        .assert()
        .success()
        .stdout(contains("`--retry-failed` retries them"));
    sweep(dir.path())
        .args(["run", "s.yaml", "--fake-trainer", "1", "--retry-failed"])
        .assert()
        .success()
        .stdout(contains("1 failed trial(s) will be retried"))
        .stdout(contains("trial 2 failed"));
}

#[test]
fn bad_sweep_files_exit_2_naming_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = "name: bad\nmethod: grid\ndata: {synthetic: {rows: 100, seed: 1}}\n";
    let cases = [
        ("name: [unclosed\n", "line 1"),
        (
            &format!("{base}parameters:\n  learning_rate: {{values: [0.1]}}\nepochs: 3\n"),
            "epochs",
        ),
        (
            &format!(
                "{base}parameters:\n  learning_rate: {{distribution: uniform, min: 0.001, mx: 0.1}}\n"
            ),
            "mx",
        ),
        (
            &format!(
                "{base}parameters:\n  learning_rate: {{distribution: uniform, min: 0.001, max: 0.1}}\n"
            ),
            "learning_rate",
        ),
        (
            &format!("{base}parameters:\n  dropout_lstm: {{values: []}}\n"),
            "dropout_lstm",
        ),
        (
            &format!(
                "{base}parameters:\n  lstm_units: {{distribution: int_uniform, min: 9, max: 2}}\n"
            ),
            "lstm_units",
        ),
        (
            "name: bad\nmethod: random\ndata: {synthetic: {rows: 100, seed: 1}}\nparameters:\n  lstm_units: {values: [4, 8]}\n",
            "run_cap",
        ),
        (
            &format!("{base}parameters:\n  batch_size: {{values: [big]}}\n"),
            "batch_size",
        ),
        (
            &format!("{base}parameters:\n  lstm_unit: {{values: [4]}}\n"),
            "lstm_unit",
        ),
        (
            &format!("{base}parameters:\n  optimizer: {{distribution: uniform, min: 0, max: 1}}\n"),
            "parameters.optimizer.distribution",
        ),
        (
            &format!("{base}parameters:\n  optimizer: {{values: [adam, adamw]}}\n"),
            "`adamw` is not one of adam, sgd",
        ),
        (
            "name: ../escape\nmethod: grid\ndata: {synthetic: {rows: 100, seed: 1}}\nparameters:\n  lstm_units: {value: 4}\n",
            "name",
        ),
    ];
    for (i, (text, key)) in cases.iter().enumerate() {
        let file = format!("bad{i}.yaml");
        write(dir.path(), &file, text);
        sweep(dir.path())
            .args(["run", &file, "--fake-trainer", "1"])
            .assert()
            .code(2)
            .stderr(contains(*key))
            .stderr(contains(file.as_str()));
    }
    assert!(
        !db(dir.path()).exists(),
        "nothing ran: no database was created"
    );
}

/// The README's quickstart: `sweep run sweeps/demo.yaml --workers 2` trains every trial, learns
/// (validation R² well above 0), and the leaderboard lists every trial with its parameters.
#[test]
fn the_demo_sweep_learns_and_its_leaderboard_lists_every_trial() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("sweeps/demo.yaml");
    std::fs::copy(&demo, dir.path().join("demo.yaml")).expect("copying sweeps/demo.yaml");
    sweep(dir.path())
        .args(["run", "demo.yaml", "--workers", "2"])
        .assert()
        .success()
        .stdout(contains("4/4 complete, 0 failed"));

    let output = sweep(dir.path())
        .args(["leaderboard", "demo", "--format", "json"])
        .output()
        .expect("leaderboard runs");
    assert!(output.status.success());
    let rows: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the leaderboard is JSON");
    let rows = rows.as_array().expect("an array of trials");
    assert_eq!(rows.len(), 4);
    let mut numbers: Vec<u64> = rows.iter().filter_map(|r| r["trial"].as_u64()).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, [1, 2, 3, 4]);
    for row in rows {
        assert_eq!(row["state"], "completed");
        assert!(row["params"]["learning_rate"].is_number(), "{row}");
        assert!(row["params"]["dropout_dense"].is_number(), "{row}");
        assert!(row["epochs"].as_u64().is_some_and(|e| e >= 1), "{row}");
        assert!(row["best_epoch"].as_u64().is_some(), "{row}");
    }
    let best = rows[0]["best_metric"].as_f64().unwrap_or(f64::NAN);
    assert!(best > 0.3, "the demo learns: best validation R² {best}");
}

/// The files in `dir` (sorted) with their modification times; empty when `dir` is absent.
fn files_with_times(dir: &Path) -> Vec<(String, std::time::SystemTime)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .map(|entry| {
            let entry = entry.expect("a cache entry");
            let modified = entry
                .metadata()
                .and_then(|m| m.modified())
                .expect("a modification time");
            (entry.file_name().to_string_lossy().into_owned(), modified)
        })
        .collect();
    files.sort();
    files
}

/// `sweep data prepare --db DIR/x.db` caches the data where the workers of a sweep on that
/// database look (`DIR/cache`, not `./runs/cache`), so the sweep and `sweep train --db` reuse
/// that cache instead of building their own.
#[test]
fn data_prepared_for_a_database_is_reused_by_its_sweep_and_by_train() {
    let dir = tempfile::tempdir().expect("tempdir");
    sweep(dir.path())
        .args([
            "data", "synth", "--rows", "300", "--seed", "3", "-o", "data.txt",
        ])
        .assert()
        .success();
    sweep(dir.path())
        .args(["data", "prepare", "data.txt", "--db", "store/x.db"])
        .assert()
        .success()
        .stdout(contains("prepared"))
        .stdout(contains("store/cache"));
    let cache = dir.path().join("store/cache");
    let prepared = files_with_times(&cache);
    assert!(
        prepared.iter().any(|(name, _)| name.ends_with(".seqs")),
        "the cache is beside the database: {prepared:?}"
    );
    assert!(!dir.path().join("runs").exists(), "nothing in ./runs");

    let spec = tiny_sweep("cached", 0, 1, "[0.003]")
        .replace("  synthetic: {rows: 0, seed: 3}", "  train: data.txt");
    write(dir.path(), "s.yaml", &spec);
    sweep(dir.path())
        .args(["run", "s.yaml", "--workers", "1", "--db", "store/x.db"])
        .assert()
        .success()
        .stdout(contains("300 lines read, 300 kept"))
        .stdout(contains("2/2 complete, 0 failed"));
    sweep(dir.path())
        .args([
            "train",
            "--data",
            "data.txt",
            "--db",
            "store/x.db",
            "--out",
            "one",
            "--max-epochs",
            "1",
            "--params",
            "conv1_filters=8,conv2_filters=8,conv3_filters=8,lstm_units=4,dense_units=16",
        ])
        .assert()
        .success();
    sweep(dir.path())
        .args(["data", "prepare", "data.txt", "--db", "store/x.db"])
        .assert()
        .success()
        .stdout(contains("up to date"));
    assert_eq!(
        files_with_times(&cache),
        prepared,
        "the sweep and `sweep train` opened the prepared cache as it was, building none"
    );
    assert!(!dir.path().join("runs").exists(), "nothing in ./runs");
}

/// A sweep on the real challenge sample (skipped, saying so, when `../shared` is absent, unless
/// `SWEEP_REQUIRE_SHARED_DATA` is set).
#[test]
fn a_sweep_trains_on_the_real_challenge_sample() {
    let Some(sample) = shared_data::challenge_sample("a_sweep_trains_on_the_real_challenge_sample")
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = tiny_sweep("real", 0, 2, "[0.001, 0.003]").replace(
        "  synthetic: {rows: 0, seed: 3}",
        &format!("  train: {}", sample.display()),
    );
    write(dir.path(), "s.yaml", &spec);
    sweep(dir.path())
        .args(["run", "s.yaml", "--workers", "2"])
        .assert()
        .success()
        .stdout(contains("6370 lines read, 5197 kept"))
        .stdout(contains("4/4 complete, 0 failed"));
    for (number, state, epochs) in stored_trials(dir.path(), "real") {
        assert_eq!(state, TrialState::Completed, "trial {number}");
        assert_eq!(epochs.len(), 2, "trial {number}");
        let val_loss = f64::from_bits(epochs[1][2]);
        assert!(
            val_loss.is_finite() && val_loss > 0.0,
            "trial {number}: {val_loss}"
        );
    }
}

/// `sweep worker` on its own (as a cluster job runs it) resumes and finishes a sweep.
#[test]
fn a_worker_started_by_hand_finishes_an_interrupted_sweep() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "s.yaml", &fake_sweep("by-hand", 3, 10));
    let mut run = spawn_run(dir.path(), &["s.yaml", "--fake-trainer", "100"]);
    wait_for("the first epoch", Duration::from_secs(60), || {
        epoch_rows(dir.path()) >= 1
    });
    kill(run.id(), "-INT");
    assert_eq!(run.wait().expect("waiting").code(), Some(130));

    sweep(dir.path())
        .args(["worker", "--sweep", "by-hand", "--fake-trainer", "1"])
        .assert()
        .success()
        .stderr(contains("3 trial(s) completed, 0 failed"));
    sweep(dir.path())
        .args(["run", "s.yaml"])
        .assert()
        .success()
        .stdout(contains("resuming (3 completed"))
        .stdout(contains("3/3 complete"));
}

/// A W&B sweep file with `method: bayes`, as W&B users write it (their distributions, metric,
/// run_cap), for the fake trainer.
const WANDB_BAYES: &str = "name: wb-bayes
method: bayes
metric:
  name: val_r2
  goal: maximize
run_cap: 16
parameters:
  learning_rate:
    distribution: log_uniform_values
    min: 0.0001
    max: 0.1
  dropout_dense:
    distribution: uniform
    min: 0.0
    max: 0.8
  dropout_lstm:
    distribution: q_uniform
    min: 0.0
    max: 0.5
    q: 0.1
  lstm_units:
    values: [4, 8, 16]
data:
  synthetic: {rows: 100, seed: 1}
training: {max_epochs: 3, patience: 3}
";

#[test]
fn a_wandb_bayes_sweep_runs_unchanged_with_parallel_workers() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "s.yaml", WANDB_BAYES);
    sweep(dir.path())
        .args(["run", "s.yaml", "--workers", "3", "--fake-trainer", "5"])
        .assert()
        .success()
        .stdout(contains("16/16 complete, 0 failed"));
    let store = Store::open_read_only(&Database::sqlite(db(dir.path()))).expect("database exists");
    let id = store.sweep("wb-bayes").expect("sweep exists").id;
    let trials = store.trials(id).expect("trials");
    let numbers: Vec<usize> = trials.iter().map(|t| t.number).collect();
    assert_eq!(numbers, (1..=16).collect::<Vec<_>>());
    assert!(trials.iter().all(|t| t.state == TrialState::Completed));
    assert!(trials.iter().all(|t| t.attempts == 1), "a trial ran twice");
    let sampled: Vec<sweep::search::SampledFrom> = trials
        .iter()
        .map(|t| {
            let json = t.sampled_from.as_deref().expect("sampled_from recorded");
            sweep::search::SampledFrom::from_json(json).expect("sampled_from parses")
        })
        .collect();
    let startup = sweep::search::tpe::startup_count(16);
    for (t, s) in trials.iter().zip(&sampled) {
        // What the sampler saw were trials before this one, each either finished or a liar.
        assert!(s.finished.iter().all(|&(n, _)| n < t.number));
        assert!(s.running.iter().all(|&n| n < t.number));
        assert_eq!(s.finished.len() + s.running.len(), t.number - 1);
        if t.number <= startup {
            assert_eq!(s.draw, sweep::search::DrawKind::Startup);
        }
    }
    assert!(
        sampled
            .iter()
            .any(|s| s.draw == sweep::search::DrawKind::Tpe),
        "no trial was a TPE draw"
    );
    drop(store);
    // A rerun finds the sweep finished and draws nothing new.
    sweep(dir.path())
        .args(["run", "s.yaml", "--workers", "3", "--fake-trainer", "5"])
        .assert()
        .success()
        .stdout(contains("16/16 complete, 0 failed"));
    let store = Store::open_read_only(&Database::sqlite(db(dir.path()))).expect("database exists");
    assert_eq!(store.trials(id).expect("trials"), trials);
    drop(store);
    // The leaderboard says how each trial was drawn.
    sweep(dir.path())
        .args(["leaderboard", "wb-bayes", "--format", "json"])
        .assert()
        .success()
        .stdout(contains("\"draw\": \"startup\"").and(contains("\"draw\": \"tpe\"")));
    // With a random sweep over the same parameters in the database, the report draws both
    // best-so-far lines.
    let random = WANDB_BAYES
        .replace("name: wb-bayes", "name: wb-random")
        .replace("method: bayes", "method: random");
    write(dir.path(), "r.yaml", &random);
    sweep(dir.path())
        .args(["run", "r.yaml", "--workers", "2", "--fake-trainer", "1"])
        .assert()
        .success();
    sweep(dir.path())
        .args(["report", "wb-bayes"])
        .assert()
        .success();
    let html = std::fs::read_to_string(dir.path().join("reports/wb-bayes.html")).expect("report");
    assert!(html.contains("TPE against the random sweep `wb-random`"));
    assert!(html.contains("wb-random (random)") && html.contains("wb-bayes (bayes)"));
}

#[test]
fn a_killed_bayes_sweep_resumes_its_trials_and_draws_the_rest_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = WANDB_BAYES
        .replace("run_cap: 16", "run_cap: 8")
        .replace("max_epochs: 3, patience: 3", "max_epochs: 4, patience: 4");
    write(dir.path(), "s.yaml", &spec);
    let mut run = spawn_run(
        dir.path(),
        &["s.yaml", "--workers", "2", "--fake-trainer", "150"],
    );
    wait_for("the first epochs", Duration::from_secs(120), || {
        epoch_rows(dir.path()) >= 5
    });
    let workers = children_of(run.id());
    assert!(!workers.is_empty(), "the coordinator has workers");
    kill_9_all(run.id(), &workers);
    let _ = run.wait();
    let trials_of = || {
        let store =
            Store::open_read_only(&Database::sqlite(db(dir.path()))).expect("database exists");
        let id = store.sweep("wb-bayes").expect("sweep exists").id;
        store.trials(id).expect("trials")
    };
    let partial = trials_of();
    assert!(
        partial.iter().any(|t| t.state == TrialState::Running),
        "killed mid-trial: {partial:?}"
    );
    assert!(partial.len() < 8, "all trials were drawn before the kill");

    sweep(dir.path())
        .args(["run", "s.yaml", "--workers", "2", "--fake-trainer", "1"])
        .assert()
        .success()
        .stdout(contains("resume from their last checkpoint"))
        .stdout(contains("8/8 complete, 0 failed"));
    let whole = trials_of();
    let numbers: Vec<usize> = whole.iter().map(|t| t.number).collect();
    assert_eq!(numbers, (1..=8).collect::<Vec<_>>());
    // The trials drawn before the kill kept their parameters and what their sampler saw.
    for before in &partial {
        let after = &whole[before.number - 1];
        assert_eq!(
            (&after.params_json, &after.sampled_from),
            (&before.params_json, &before.sampled_from)
        );
    }
    assert!(whole.iter().all(|t| t.sampled_from.is_some()));
}

/// A W&B-form random sweep over the learning rate (the fake trainer's quality falls away from
/// 0.003, so some trials are good and many poor), with `early_terminate` when `early` is true.
/// Trials in the hyperband test: enough that asynchronous successive halving's promotion of
/// early arrivals (the first trial at a rung always continues) stays a small share of the
/// budget whatever order the workers happen to reach the rungs in; with 24, a loaded machine
/// once promoted 13 at epoch 3 and 11 at epoch 9.
const HYPERBAND_TRIALS: usize = 60;

fn hyperband_sweep(name: &str, early: bool) -> String {
    let early = if early {
        "early_terminate: {type: hyperband, min_iter: 3, eta: 3}\n"
    } else {
        ""
    };
    format!(
        "name: {name}
method: random
metric: {{name: val_r2, goal: maximize}}
run_cap: {HYPERBAND_TRIALS}
seed: 11
{early}parameters:
  learning_rate: {{distribution: log_uniform_values, min: 0.00001, max: 0.5}}
data:
  synthetic: {{rows: 100, seed: 1}}
training: {{max_epochs: 27, patience: 27}}
"
    )
}

/// Total epochs trained in the sweep, and its trials.
fn total_epochs(dir: &Path, name: &str) -> (usize, Vec<sweep::store::TrialRecord>) {
    let store = Store::open_read_only(&Database::sqlite(db(dir))).expect("database exists");
    let sweep = store.sweep(name).expect("sweep exists");
    let trials = store.trials(sweep.id).expect("trials");
    (trials.iter().map(|t| t.epochs).sum(), trials)
}

#[test]
fn hyperband_prunes_the_worst_trials_at_each_rung_across_four_workers() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "asha.yaml", &hyperband_sweep("asha", true));
    write(dir.path(), "full.yaml", &hyperband_sweep("full", false));
    for file in ["asha.yaml", "full.yaml"] {
        sweep(dir.path())
            .args(["run", file, "--workers", "4", "--fake-trainer", "10"])
            .assert()
            .success();
    }
    let (pruned_epochs, trials) = total_epochs(dir.path(), "asha");
    let (full_epochs, _) = total_epochs(dir.path(), "full");
    let store = Store::open_read_only(&Database::sqlite(db(dir.path()))).expect("database exists");
    let asha = store.sweep("asha").expect("sweep");
    let rungs = store.rungs(asha.id).expect("rung decisions");
    let pruned: Vec<_> = trials
        .iter()
        .filter(|t| t.state == TrialState::Pruned)
        .collect();
    let completed = trials
        .iter()
        .filter(|t| t.state == TrialState::Completed)
        .count();
    println!(
        "hyperband (min_iter 3, eta 3, {HYPERBAND_TRIALS} trials × 27 epochs, 4 workers): \
         {pruned_epochs} epochs \
         trained with early_terminate, {full_epochs} without; {} pruned ({} at epoch 3, {} at \
         epoch 9), {completed} completed; {} rung decisions",
        pruned.len(),
        pruned.iter().filter(|t| t.pruned_at == Some(3)).count(),
        pruned.iter().filter(|t| t.pruned_at == Some(9)).count(),
        rungs.len()
    );
    assert_eq!(full_epochs, HYPERBAND_TRIALS * 27);
    assert!(
        pruned_epochs * 2 < full_epochs,
        "{pruned_epochs} epochs with pruning is not well below {full_epochs}"
    );
    assert!(!pruned.is_empty() && completed + pruned.len() == HYPERBAND_TRIALS);

    // Every trial was judged at epoch 3; rungs are 3 and 9 only (27 is max_epochs).
    assert!(rungs.iter().all(|r| [3, 9].contains(&r.rung_epoch)));
    assert_eq!(
        rungs.iter().filter(|r| r.rung_epoch == 3).count(),
        HYPERBAND_TRIALS
    );
    // Replay each rung in decision order and recompute every decision from the recorded
    // metrics: a trial is pruned exactly when it was outside the top ceil(reached/3) of the
    // trials at the rung when it got there (no trial failed, so all of them count).
    for rung in [3, 9] {
        let mut at_rung: Vec<_> = rungs.iter().filter(|r| r.rung_epoch == rung).collect();
        at_rung.sort_by(|a, b| (&a.decided_at, a.reached).cmp(&(&b.decided_at, b.reached)));
        for (i, r) in at_rung.iter().enumerate() {
            let seen = &at_rung[..=i];
            assert_eq!(
                r.reached,
                i + 1,
                "rung {rung}: decisions see every earlier arrival"
            );
            let rank = 1 + seen.iter().filter(|o| o.metric > r.metric).count();
            let kept = r.reached.div_ceil(3);
            assert_eq!(
                (r.rank, r.kept),
                (rank, kept),
                "trial {} at rung {rung}",
                r.trial
            );
            let should_prune = rank > kept;
            assert_eq!(
                r.decision == sweep::spec::RungDecision::Prune,
                should_prune,
                "trial {} at rung {rung}: rank {rank} of {}, top {kept} continue",
                r.trial,
                r.reached
            );
        }
    }
    // Pruned trials stopped at their rung with their epochs kept; the others trained on.
    for t in &pruned {
        let rung = t.pruned_at.expect("a pruned trial has its rung");
        assert_eq!(t.epochs, rung, "trial {}", t.number);
        assert!(t.ended_at.is_some());
    }
    for t in trials.iter().filter(|t| t.state == TrialState::Completed) {
        assert_eq!(t.epochs, 27, "trial {}", t.number);
    }
    // The best trial of the sweep was never pruned.
    let best = trials
        .iter()
        .filter(|t| t.best_metric.is_some())
        .max_by(|a, b| {
            a.best_metric
                .unwrap_or(f64::MIN)
                .total_cmp(&b.best_metric.unwrap_or(f64::MIN))
        })
        .expect("a best trial");
    assert_eq!(
        best.state,
        TrialState::Completed,
        "best trial {}",
        best.number
    );

    // The views say so.
    sweep(dir.path())
        .args(["status", "asha"])
        .assert()
        .success()
        .stdout(contains(format!("{} pruned", pruned.len())))
        .stdout(contains("pruned (").and(contains("at epoch 3:")));
    sweep(dir.path())
        .args(["leaderboard", "asha", "--format", "csv"])
        .assert()
        .success()
        .stdout(contains(",pruned,"))
        .stdout(contains("pruned_at"));
}

#[test]
fn a_wandb_sweep_file_with_early_terminate_runs_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    // As W&B's docs write it: only `type` and `min_iter` (eta defaults to 3).
    let spec = "name: wandb-style
method: random
metric:
  name: val_loss
  goal: minimize
run_cap: 6
early_terminate:
  type: hyperband
  min_iter: 3
parameters:
  learning_rate:
    distribution: log_uniform_values
    min: 0.0001
    max: 0.1
data:
  synthetic: {rows: 100, seed: 1}
training: {max_epochs: 10, patience: 10}
";
    write(dir.path(), "wandb.yaml", spec);
    let output = sweep(dir.path())
        .args(["run", "wandb.yaml", "--workers", "2", "--fake-trainer", "2"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8_lossy(&output);
    assert!(out.contains("sweep wandb-style: "), "{out}");
    let (_, trials) = total_epochs(dir.path(), "wandb-style");
    assert!(trials.iter().all(|t| t.state.is_finished()));
    let store = Store::open_read_only(&Database::sqlite(db(dir.path()))).expect("database exists");
    let sweep_id = store.sweep("wandb-style").expect("sweep").id;
    let rungs = store.rungs(sweep_id).expect("rungs");
    // Rungs at 3 and 9 (below max_epochs 10), each trial judged at 3.
    assert_eq!(rungs.iter().filter(|r| r.rung_epoch == 3).count(), 6);
    assert!(rungs.iter().all(|r| [3, 9].contains(&r.rung_epoch)));
}

#[test]
fn a_wandb_bayes_sweep_with_hyperband_runs_unchanged_and_learns_from_pruned_trials() {
    let dir = tempfile::tempdir().expect("tempdir");
    // W&B's form of both keys together, as a W&B user's file holds them.
    let spec = WANDB_BAYES
        .replace("name: wb-bayes", "name: wb-bayes-hb")
        .replace("run_cap: 16", "run_cap: 20")
        .replace(
            "training: {max_epochs: 3, patience: 3}",
            "early_terminate:\n  type: hyperband\n  min_iter: 2\n  eta: 2\n\
             training: {max_epochs: 8, patience: 8}",
        );
    write(dir.path(), "s.yaml", &spec);
    let output = sweep(dir.path())
        .args(["run", "s.yaml", "--workers", "4", "--fake-trainer", "2"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8_lossy(&output);
    let store = Store::open_read_only(&Database::sqlite(db(dir.path()))).expect("database exists");
    let id = store.sweep("wb-bayes-hb").expect("sweep exists").id;
    let trials = store.trials(id).expect("trials");
    assert_eq!(trials.len(), 20, "{out}");
    assert!(trials.iter().all(|t| t.state.is_finished()), "{out}");
    let pruned: Vec<usize> = trials
        .iter()
        .filter(|t| t.state == TrialState::Pruned)
        .map(|t| t.number)
        .collect();
    assert!(!pruned.is_empty(), "nothing was pruned: {out}");
    assert!(out.contains(&format!("{} pruned", pruned.len())), "{out}");
    // Later draws saw the pruned trials, and counted them apart from running ones.
    let last = trials.last().expect("trial 20");
    let seen =
        sweep::search::SampledFrom::from_json(last.sampled_from.as_deref().expect("recorded"))
            .expect("parses");
    // Every earlier trial was seen once: finished, still running (a liar) or pruned; and
    // the ones seen as pruned are pruned in the store.
    let mut seen_numbers: Vec<usize> = seen.finished.iter().map(|&(n, _)| n).collect();
    seen_numbers.extend(&seen.running);
    seen_numbers.extend(&seen.pruned);
    seen_numbers.sort_unstable();
    assert_eq!(seen_numbers, (1..20).collect::<Vec<_>>());
    assert!(!seen.pruned.is_empty(), "trial 20 saw no pruned trial");
    assert!(seen.pruned.iter().all(|n| pruned.contains(n)));
    assert!(seen.pruned.iter().all(|n| !seen.running.contains(n)));
}
