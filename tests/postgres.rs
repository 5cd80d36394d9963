//! End-to-end tests of the PostgreSQL run database: the built binary with `--db postgres://...`
//! against a real server (the one `scripts/cluster-up` starts; its URL in
//! `SWEEP_TEST_POSTGRES`), each test in a database of its own. Without a server the tests say
//! SKIPPED, unless `SWEEP_REQUIRE_CLUSTER` is set (CI), where that is a failure.

use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

#[path = "common/postgres.rs"]
mod common;
use common::TestDatabase;

/// A fresh database on the test server for `test`, or `None` to skip.
fn test_database(test: &str) -> Option<TestDatabase> {
    common::postgres_server(test).map(|server| TestDatabase::new(&server, "sweep_e2e"))
}

fn sweep(dir: &Path) -> assert_cmd::Command {
    let mut command = cargo_bin_cmd!("sweep");
    command.current_dir(dir);
    command
}

/// A sweep file for the fake trainer.
fn sweep_file(dir: &Path, name: &str, body: &str) -> String {
    let file = format!("{name}.yaml");
    std::fs::write(
        dir.join(&file),
        format!(
            "name: {name}
metric: {{name: val_r2, goal: maximize}}
seed: 4
{body}
parameters:
  learning_rate: {{distribution: log_uniform_values, min: 0.00001, max: 0.5}}
  dropout_dense: {{values: [0.1, 0.2, 0.4]}}
data:
  synthetic: {{rows: 100, seed: 1}}
"
        ),
    )
    .expect("sweep file");
    file
}

/// `sweep leaderboard NAME --format csv` of a database.
fn leaderboard(dir: &Path, db: &str, name: &str) -> String {
    let out = sweep(dir)
        .args(["leaderboard", name, "--format", "csv", "--db", db])
        .output()
        .expect("leaderboard");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Run `file` with the fake trainer on `db` (trial files in `runs`), `workers` workers.
fn run(dir: &Path, file: &str, db: &str, runs: &str, workers: &str) {
    sweep(dir)
        .args(["run", file, "--workers", workers, "--fake-trainer", "5"])
        .args(["--db", db, "--runs", runs, "--no-report"])
        .assert()
        .success();
}

#[test]
fn a_sweep_on_postgres_ranks_the_trials_of_the_same_sweep_on_sqlite() {
    let Some(pg) = test_database("a_sweep_on_postgres_ranks_the_trials") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let random = sweep_file(
        dir.path(),
        "random",
        "method: random\nrun_cap: 16\ntraining: {max_epochs: 6, patience: 6}",
    );
    // Bayes draws and hyperband decisions depend on the order trials finish: one worker keeps
    // it the same on both databases.
    let adaptive = sweep_file(
        dir.path(),
        "adaptive",
        "method: bayes\nrun_cap: 14\nearly_terminate: {type: hyperband, min_iter: 2, eta: 2}\n\
         training: {max_epochs: 8, patience: 8}",
    );
    for (file, workers) in [(&random, "4"), (&adaptive, "1")] {
        run(dir.path(), file, pg.url(), "pg-runs", workers);
        run(dir.path(), file, "local/sweeps.db", "local", workers);
    }
    for name in ["random", "adaptive"] {
        let on_pg = leaderboard(dir.path(), pg.url(), name);
        let on_sqlite = leaderboard(dir.path(), "local/sweeps.db", name);
        assert!(on_pg.lines().count() > 10, "{on_pg}");
        assert_eq!(on_pg, on_sqlite, "sweep {name}");
    }
    let adaptive_board = leaderboard(dir.path(), pg.url(), "adaptive");
    assert!(adaptive_board.contains(",tpe,") && adaptive_board.contains("pruned"));
    assert!(dir.path().join("pg-runs/random/trial-0016").is_dir());
    sweep(dir.path())
        .args(["status", "random", "--db", pg.url()])
        .assert()
        .success()
        .stdout(contains("16 completed"));
}

#[test]
fn db_copy_moves_a_sweep_to_postgres_and_back_where_it_reads_and_resumes_the_same() {
    let Some(pg) = test_database("db_copy_moves_a_sweep") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let file = sweep_file(
        dir.path(),
        "moved",
        "method: random\nrun_cap: 6\nearly_terminate: {type: hyperband, min_iter: 2, eta: 2}\n\
         training: {max_epochs: 4, patience: 4}",
    );
    run(dir.path(), &file, "runs/sweeps.db", "runs", "2");
    let original = leaderboard(dir.path(), "runs/sweeps.db", "moved");
    sweep(dir.path())
        .args(["db", "copy", "--from", "runs/sweeps.db", "--to", pg.url()])
        .assert()
        .success()
        .stdout(contains("copied sweep moved: 6 trials"));
    assert_eq!(leaderboard(dir.path(), pg.url(), "moved"), original);
    // Running the file against the copy finds the sweep finished: nothing trains again.
    sweep(dir.path())
        .args(["run", &file, "--fake-trainer", "5", "--no-report"])
        .args(["--db", pg.url(), "--runs", "runs"])
        .assert()
        .success()
        .stdout(contains("sweep moved: "));
    assert_eq!(leaderboard(dir.path(), pg.url(), "moved"), original);
    // A second copy is refused (exit 2) and changes nothing; back to a new file works.
    sweep(dir.path())
        .args(["db", "copy", "--from", "runs/sweeps.db", "--to", pg.url()])
        .assert()
        .code(2)
        .stderr(contains("already has a sweep named `moved`"));
    sweep(dir.path())
        .args([
            "db",
            "copy",
            "--from",
            pg.url(),
            "--to",
            "back.db",
            "--sweep",
            "moved",
        ])
        .assert()
        .success();
    assert_eq!(leaderboard(dir.path(), "back.db", "moved"), original);
}

#[test]
fn an_unreachable_or_missing_postgres_database_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    sweep(dir.path())
        .args(["status", "--db", "postgres://nobody@127.0.0.1:1/none"])
        .assert()
        .code(2)
        .stderr(contains(
            "cannot connect to the run database postgres://nobody@127.0.0.1:1/none",
        ));
    sweep(dir.path())
        .args([
            "status",
            "--db",
            "postgres://nobody:secret@127.0.0.1:1/none",
        ])
        .assert()
        .code(2)
        .stderr(contains("nobody:***@").and(contains("secret").not()));
}
