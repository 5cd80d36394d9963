use super::*;
use crate::data::CacheHeader;
use crate::search::Pruner;

use std::sync::atomic::{AtomicUsize, Ordering};

// Every test of the store's rules runs on both databases: `sqlite::NAME` on a temporary file,
// `postgres::NAME` on a fresh database of the server that `SWEEP_TEST_POSTGRES` names
// (`scripts/cluster-up` starts one and says its URL).
on_both_databases!(
    a_sweep_is_created_once_and_reopened_by_the_same_spec,
    migrations_run_once_and_a_newer_database_is_refused,
    claims_take_interrupted_then_pending_trials_in_order,
    a_dead_or_silent_worker_loses_its_trial_and_cannot_write_to_it,
    epochs_are_recorded_once_and_the_best_follows_the_goal,
    nan_is_stored_as_null_and_read_back_as_nan,
    starting_from_a_checkpoint_makes_the_rows_match_it,
    abandoned_and_failed_trials_are_handled_by_the_coordinator,
    concurrent_workers_never_claim_the_same_trial,
    many_processes_opening_a_new_database_at_once_create_the_schema_once,
    the_data_header_is_stored_and_filled_in_when_a_sweep_is_reopened,
    test_evaluations_round_trip_with_their_subsets,
    a_sweeps_epochs_come_in_one_query_by_trial_and_epoch,
    trials_drawn_at_claim_time_are_numbered_in_turn_and_see_each_other,
    concurrent_workers_draw_each_number_once_and_see_each_other,
    a_rung_decision_is_made_and_recorded_with_its_epoch,
    a_resumed_trial_is_judged_again_at_a_rung_it_reaches_again,
    a_sweep_copied_to_either_database_reads_back_the_same,
    jobs_are_recorded_and_cancelled_once_and_a_claim_names_its_job,
    a_read_only_store_refuses_every_write_and_leaves_the_database_as_it_was,
    a_programs_steps_are_replaced_merged_and_ranked_by_an_open_metric,
    a_program_is_pruned_at_a_rung_by_an_open_metric,
    a_live_view_reads_the_clock_the_trials_that_changed_and_some_trials_epochs,
);

/// One `#[test]` per database for each named test function (`fn NAME(db: &TestDb)`).
macro_rules! on_both_databases {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $test() {
                    super::$test(&super::TestDb::sqlite());
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $test() {
                    if let Some(db) = super::TestDb::postgres() {
                        super::$test(&db);
                    }
                }
            )*
        }
    };
}
use on_both_databases;

/// A fresh, empty run database for one test, removed when it is dropped.
enum TestDb {
    Sqlite(tempfile::TempDir),
    Postgres {
        /// The server's URL given in `SWEEP_TEST_POSTGRES` (to drop the database afterwards).
        admin: String,
        /// The test's own database.
        name: String,
    },
}

/// Names the test server; CI sets it (and `SWEEP_REQUIRE_CLUSTER`, which makes its absence
/// a failure rather than a skip).
const POSTGRES_VARIABLE: &str = "SWEEP_TEST_POSTGRES";

impl TestDb {
    fn sqlite() -> TestDb {
        TestDb::Sqlite(tempfile::tempdir().expect("tempdir"))
    }

    /// A new database on the test server, or `None` (said on stderr) when there is none.
    fn postgres() -> Option<TestDb> {
        let Ok(admin) = std::env::var(POSTGRES_VARIABLE) else {
            assert!(
                std::env::var_os("SWEEP_REQUIRE_CLUSTER").is_none(),
                "SWEEP_REQUIRE_CLUSTER is set but {POSTGRES_VARIABLE} is not: run scripts/cluster-up"
            );
            eprintln!(
                "SKIPPED: {POSTGRES_VARIABLE} is not set (scripts/cluster-up starts a server)"
            );
            return None;
        };
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "sweep_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let mut client = ::postgres::Client::connect(&admin, ::postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to {POSTGRES_VARIABLE} ({admin}): {e}"));
        // One statement per call: PostgreSQL runs a multi-statement string as one transaction,
        // which CREATE/DROP DATABASE refuse.
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .expect("no stale test database");
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("a test database");
        Some(TestDb::Postgres { admin, name })
    }

    fn database(&self) -> Database {
        match self {
            TestDb::Sqlite(dir) => Database::sqlite(dir.path().join("sweeps.db")),
            TestDb::Postgres { admin, name } => {
                let server = admin.rsplit_once('/').map_or(admin.as_str(), |(s, _)| s);
                Database::Postgres(format!("{server}/{name}"))
            }
        }
    }

    fn open(&self) -> Store {
        Store::open(&self.database()).expect("a test store")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { admin, name } = self
            && let Ok(mut client) = ::postgres::Client::connect(admin, ::postgres::NoTls)
        {
            let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

fn new_sweep(name: &str, trials: usize, goal: Goal) -> NewSweep {
    NewSweep {
        name: name.to_string(),
        spec_text: format!("name: {name}\n"),
        spec_hash: "abc".to_string(),
        data_path: PathBuf::from("data.txt"),
        metric: MetricName::VAL_R2,
        goal,
        data_header: None,
        program: None,
        trials: (1..=trials)
            .map(|number| NewTrial {
                number,
                seed: u64::MAX - number as u64,
                params_json: format!("{{\"batch_size\":{number}}}"),
            })
            .collect(),
    }
}

fn worker(pid: u32) -> WorkerInfo {
    WorkerInfo {
        host: "here".to_string(),
        pid,
        device: "cpu".to_string(),
        threads: 2,
        job: None,
    }
}

fn epoch(n: usize, r2: f64) -> EpochMetrics {
    EpochMetrics {
        epoch: n,
        train_loss: 1.0 / n as f64,
        val_loss: 1.0 - r2,
        val_r2: r2,
        val_pearson: r2.sqrt(),
        val_spearman: 0.5,
        learning_rate: 0.001,
        seconds: 1.5,
        samples_per_s: 1000.0,
        extra: Default::default(),
    }
}

const ALIVE: &dyn Fn(&str, u32) -> bool = &|_, _| false;
const LONG: Duration = Duration::from_secs(3600);

/// Claim the next trial for `me` and record its epochs 1 to `epochs` (val_r2 0.1 per epoch).
fn claim_with_epochs(
    store: &mut Store,
    sweep: SweepId,
    me: &WorkerInfo,
    epochs: usize,
) -> TrialRecord {
    let trial = store
        .claim_next(sweep, me, LONG, ALIVE)
        .expect("claim")
        .expect("a trial to claim");
    for n in 1..=epochs {
        store
            .record_epoch(trial.id, me, &epoch(n, 0.1 * n as f64), None)
            .expect("epoch");
    }
    trial
}

fn store_with(db: &TestDb, trials: usize) -> (Store, SweepId) {
    let mut store = db.open();
    let (sweep, created) = store
        .create_or_open_sweep(&new_sweep("s", trials, Goal::Maximize))
        .expect("sweep created");
    assert!(created);
    (store, sweep.id)
}

fn jobs_are_recorded_and_cancelled_once_and_a_claim_names_its_job(db: &TestDb) {
    let (mut store, sweep) = store_with(db, 3);
    assert!(store.jobs(sweep).expect("jobs").is_empty());
    let job = NewJob {
        scheduler: Scheduler::Slurm,
        job_id: "4242".to_string(),
        tasks: 3,
    };
    let recorded = store.record_job(sweep, &job).expect("recorded");
    assert_eq!(
        (recorded.scheduler, recorded.job_id.as_str(), recorded.tasks),
        (Scheduler::Slurm, "4242", 3)
    );
    assert!(!recorded.is_cancelled());
    assert!(
        store.record_job(sweep, &job).is_err(),
        "a job id is recorded once"
    );

    // A task's worker names its job in the trial it claims; a local worker names none.
    let in_task = WorkerInfo {
        job: Some("4242_2".to_string()),
        ..worker(7)
    };
    let first = store
        .claim_next(sweep, &in_task, LONG, ALIVE)
        .expect("claim")
        .expect("a trial");
    assert_eq!(first.job.as_deref(), Some("4242_2"));
    let second = store
        .claim_next(sweep, &worker(8), LONG, ALIVE)
        .expect("claim")
        .expect("a trial");
    assert_eq!(second.job, None);

    // The task left the queue without a word: its trial is interrupted, the local one not.
    let gone = store
        .interrupt_trials_of_gone_jobs(sweep, &|job| job == "4242_2")
        .expect("interrupted");
    assert_eq!(gone, 1);
    let states: Vec<TrialState> = store
        .trials(sweep)
        .expect("trials")
        .iter()
        .map(|t| t.state)
        .collect();
    assert_eq!(
        states,
        [
            TrialState::Interrupted,
            TrialState::Running,
            TrialState::Pending
        ]
    );

    assert!(
        store
            .mark_job_cancelled(sweep, Scheduler::Slurm, "4242")
            .expect("cancelled")
    );
    assert!(
        !store
            .mark_job_cancelled(sweep, Scheduler::Slurm, "4242")
            .expect("cancelled again"),
        "cancelled once"
    );
    let jobs = store.jobs(sweep).expect("jobs");
    assert_eq!(jobs.len(), 1);
    assert!(jobs[0].is_cancelled());
}

fn a_sweep_is_created_once_and_reopened_by_the_same_spec(db: &TestDb) {
    let (mut store, id) = store_with(db, 3);
    let (again, created) = store
        .create_or_open_sweep(&new_sweep("s", 3, Goal::Maximize))
        .expect("reopened");
    assert!(!created);
    assert_eq!(again.id, id);
    let trials = store.trials(id).expect("trials");
    assert_eq!(trials.len(), 3);
    assert_eq!(
        trials[0].seed,
        u64::MAX - 1,
        "a u64 seed survives the i64 column"
    );
    assert!(trials.iter().all(|t| t.state == TrialState::Pending));

    let mut changed = new_sweep("s", 3, Goal::Maximize);
    changed.spec_hash = "def".to_string();
    let error = store.create_or_open_sweep(&changed).err();
    assert!(matches!(error, Some(StoreError::SpecChanged { .. })));
    assert!(error.is_some_and(|e| e.is_bad_input()));
}

fn migrations_run_once_and_a_newer_database_is_refused(db: &TestDb) {
    let store = db.open();
    assert_eq!(store.schema_version().ok(), Some(SCHEMA_VERSION));
    drop(store);
    let store = db.open();
    assert_eq!(
        store.schema_version().ok(),
        Some(SCHEMA_VERSION),
        "reopened without re-running migrations"
    );
    let bump = match store.conn.dialect() {
        sql::Dialect::Sqlite => "PRAGMA user_version = 99",
        sql::Dialect::Postgres => "UPDATE schema_version SET version = 99",
    };
    store.conn.execute(bump, &[]).expect("bump version");
    drop(store);
    assert!(matches!(
        Store::open(&db.database()).err(),
        Some(StoreError::SchemaTooNew { found: 99, .. })
    ));
    assert!(matches!(
        Store::open_read_only(&db.database()).err(),
        Some(StoreError::SchemaTooNew { found: 99, .. })
    ));
}

#[test]
fn a_sqlite_file_is_made_in_its_folder_and_a_missing_one_is_not_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sub").join("sweeps.db");
    Store::open(&Database::sqlite(&path)).expect("created with its folder");
    assert!(path.exists());
    assert!(matches!(
        Store::open_read_only(&Database::sqlite(dir.path().join("none.db"))).err(),
        Some(StoreError::Missing(_))
    ));
}

fn claims_take_interrupted_then_pending_trials_in_order(db: &TestDb) {
    let (mut store, sweep) = store_with(db, 3);
    let a = worker(1);
    let first = store.claim_next(sweep, &a, LONG, ALIVE).expect("claim");
    assert_eq!(first.as_ref().map(|t| t.number), Some(1));
    let first = first.expect("trial 1");
    assert_eq!(first.state, TrialState::Running);
    assert_eq!(first.threads, Some(2));
    store
        .finish_trial(first.id, &a, &Finish::Interrupted)
        .expect("interrupted");

    let b = WorkerInfo {
        threads: 8,
        ..worker(2)
    };
    let again = store
        .claim_next(sweep, &b, LONG, ALIVE)
        .expect("claim")
        .expect("trial 1 again");
    assert_eq!(again.number, 1, "the interrupted trial goes first");
    assert_eq!(
        again.threads,
        Some(2),
        "a resume keeps the first claim's threads"
    );
    assert_eq!(again.attempts, 2);
    let numbers: Vec<usize> = (0..3)
        .filter_map(|_| store.claim_next(sweep, &b, LONG, ALIVE).ok().flatten())
        .map(|t| t.number)
        .collect();
    assert_eq!(numbers, [2, 3], "then pending ones by number, then nothing");
}

fn a_dead_or_silent_worker_loses_its_trial_and_cannot_write_to_it(db: &TestDb) {
    let (mut store, sweep) = store_with(db, 1);
    let (old, new) = (worker(10), worker(11));
    let trial = store
        .claim_next(sweep, &old, LONG, ALIVE)
        .expect("claim")
        .expect("trial");
    assert!(
        store
            .claim_next(sweep, &new, LONG, ALIVE)
            .expect("claim")
            .is_none()
    );
    let dead_10: &dyn Fn(&str, u32) -> bool = &|host, pid| host == "here" && pid == 10;
    let taken = store
        .claim_next(sweep, &new, LONG, dead_10)
        .expect("claim")
        .expect("reclaimed from a dead pid");
    assert_eq!(taken.id, trial.id);
    assert!(matches!(
        store.record_epoch(trial.id, &old, &epoch(1, 0.1), None),
        Err(StoreError::NotHeld(_))
    ));
    assert!(matches!(
        store.finish_trial(trial.id, &old, &Finish::Completed),
        Err(StoreError::NotHeld(_))
    ));
    // A zero staleness makes every heartbeat stale.
    let stolen = store
        .claim_next(sweep, &old, Duration::ZERO, ALIVE)
        .expect("claim");
    assert_eq!(stolen.map(|t| t.id), Some(trial.id));
}

fn epochs_are_recorded_once_and_the_best_follows_the_goal(db: &TestDb) {
    for (goal, best) in [(Goal::Maximize, 2), (Goal::Minimize, 1)] {
        let mut store = db.open();
        let mut spec = new_sweep(&format!("s-{goal}"), 1, goal);
        spec.metric = MetricName::VAL_LOSS;
        let (sweep, _) = store.create_or_open_sweep(&spec).expect("sweep");
        let me = worker(1);
        let trial = store
            .claim_next(sweep.id, &me, LONG, ALIVE)
            .expect("claim")
            .expect("trial");
        store
            .record_epoch(trial.id, &me, &epoch(1, 0.7), None)
            .expect("1");
        store
            .record_epoch(trial.id, &me, &epoch(2, 0.2), None)
            .expect("2");
        assert!(
            store
                .record_epoch(trial.id, &me, &epoch(2, 0.2), None)
                .is_err(),
            "an epoch is recorded once"
        );
        let stored = store.trial(sweep.id, 1).expect("read").expect("trial");
        assert_eq!(stored.best_epoch, Some(best), "{goal}");
        assert_eq!(stored.epochs, 2);
    }
}

fn nan_is_stored_as_null_and_read_back_as_nan(db: &TestDb) {
    let (mut store, sweep) = store_with(db, 1);
    let me = worker(1);
    let trial = store
        .claim_next(sweep, &me, LONG, ALIVE)
        .expect("claim")
        .expect("trial");
    let mut m = epoch(1, 0.5);
    m.val_pearson = f64::NAN;
    store
        .record_epoch(trial.id, &me, &m, None)
        .expect("recorded");
    let back = store.epochs(trial.id).expect("epochs");
    assert!(back[0].val_pearson.is_nan());
    assert_eq!(back[0].val_r2, 0.5);
}

fn starting_from_a_checkpoint_makes_the_rows_match_it(db: &TestDb) {
    let (mut store, sweep) = store_with(db, 1);
    let me = worker(1);
    let trial = claim_with_epochs(&mut store, sweep, &me, 3);
    // The checkpoint holds two epochs (the third was recorded, then the checkpoint lost).
    let checkpoint = [epoch(1, 0.1), epoch(2, 0.2)];
    store
        .start_epochs(trial.id, &me, &checkpoint, None)
        .expect("restart");
    assert_eq!(store.epochs(trial.id).expect("epochs"), checkpoint);
    let stored = store.trial(sweep, 1).expect("read").expect("trial");
    assert_eq!(stored.best_epoch, Some(2));
}

fn abandoned_and_failed_trials_are_handled_by_the_coordinator(db: &TestDb) {
    let (mut store, sweep) = store_with(db, 3);
    for pid in [1, 2, 3] {
        store
            .claim_next(sweep, &worker(pid), LONG, ALIVE)
            .expect("claim");
    }
    let n = store
        .interrupt_abandoned(sweep, "here", &|pid| pid == 1)
        .expect("interrupt");
    assert_eq!(n, 1);
    let n = store
        .fail_trials_of_worker(sweep, "here", 2, "worker killed by signal 9")
        .expect("fail");
    assert_eq!(n, 1);
    let counts = store.state_counts(sweep).expect("counts");
    assert_eq!(
        (counts.interrupted, counts.failed, counts.running),
        (1, 1, 1)
    );
    assert_eq!(store.retry_failed(sweep).expect("retry"), 1);
    let trial = store.trial(sweep, 2).expect("read").expect("trial 2");
    assert_eq!((trial.state, trial.error), (TrialState::Pending, None));
}

fn concurrent_workers_never_claim_the_same_trial(db: &TestDb) {
    let sweep = {
        let mut store = db.open();
        store
            .create_or_open_sweep(&new_sweep("s", 60, Goal::Maximize))
            .expect("sweep")
            .0
            .id
    };
    let claimed: Vec<usize> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|pid| {
                scope.spawn(move || {
                    let mut store = db.open();
                    let me = worker(pid);
                    let mut mine = Vec::new();
                    while let Some(t) = store.claim_next(sweep, &me, LONG, ALIVE).expect("claim") {
                        store
                            .record_epoch(t.id, &me, &epoch(1, 0.5), None)
                            .expect("epoch");
                        store
                            .finish_trial(t.id, &me, &Finish::Completed)
                            .expect("finish");
                        mine.push(t.number);
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut sorted = claimed.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=60).collect::<Vec<_>>());
    let store = Store::open_read_only(&db.database()).expect("read only");
    assert_eq!(store.state_counts(sweep).expect("counts").completed, 60);
}

fn a_read_only_store_refuses_every_write_and_leaves_the_database_as_it_was(db: &TestDb) {
    let (store, sweep) = store_with(db, 2);
    drop(store);
    let sqlite_bytes = || match db.database() {
        Database::Sqlite(path) => Some(std::fs::read(path).expect("the file")),
        Database::Postgres(_) => None,
    };
    let before = sqlite_bytes();

    let mut read_only = Store::open_read_only(&db.database()).expect("read only");
    assert_eq!(read_only.trials(sweep).expect("it reads").len(), 2);
    let refused = |what: &str, error: Option<StoreError>| {
        let error = error.unwrap_or_else(|| panic!("{what} went through a read-only store"));
        // PostgreSQL's own message is the source of the driver's "db error".
        let mut message = error.to_string();
        let mut cause = std::error::Error::source(&error);
        while let Some(inner) = cause {
            message = format!("{message}: {inner}");
            cause = inner.source();
        }
        assert!(
            message.contains("readonly") || message.contains("read-only"),
            "{what} was refused for being read-only: {message}"
        );
    };
    refused(
        "an UPDATE",
        read_only
            .conn
            .execute("UPDATE trials SET state = 'failed'", &[])
            .err(),
    );
    refused(
        "a new sweep",
        read_only
            .create_or_open_sweep(&new_sweep("other", 1, Goal::Maximize))
            .err(),
    );
    refused(
        "a claim",
        read_only.claim_next(sweep, &worker(1), LONG, ALIVE).err(),
    );
    drop(read_only);

    assert_eq!(
        sqlite_bytes(),
        before,
        "the SQLite file is byte for byte as it was"
    );
    let store = db.open();
    assert!(matches!(
        store.sweep("other").err(),
        Some(StoreError::NoSuchSweep(_))
    ));
    let states: Vec<TrialState> = store
        .trials(sweep)
        .expect("trials")
        .iter()
        .map(|t| t.state)
        .collect();
    assert_eq!(states, [TrialState::Pending, TrialState::Pending]);
}

fn many_processes_opening_a_new_database_at_once_create_the_schema_once(db: &TestDb) {
    let versions: Vec<i64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(move || {
                    Store::open(&db.database())
                        .and_then(|s| s.schema_version())
                        .expect("every opener succeeds")
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(-1))
            .collect()
    });
    assert_eq!(versions, vec![SCHEMA_VERSION; 8]);
}

fn the_data_header_is_stored_and_filled_in_when_a_sweep_is_reopened(db: &TestDb) {
    let mut store = db.open();
    let (sweep, _) = store
        .create_or_open_sweep(&new_sweep("s", 1, Goal::Maximize))
        .expect("created without a header (fake training)");
    assert_eq!(sweep.data_header, None);
    let header = CacheHeader {
        format_version: 1,
        source: PathBuf::from("/data/train.txt"),
        source_size: 10,
        source_hash: "00ff".to_string(),
        source_mtime_ns: None,
        counts: crate::data::FilterCounts::default(),
        scaler: crate::data::Scaler {
            mean: 11.25,
            std: 2.5,
        },
        rows: 3,
        seq_len: 110,
        split_seed: 7,
    };
    let with_header = NewSweep {
        data_header: Some(header.to_json().expect("a header is JSON")),
        ..new_sweep("s", 1, Goal::Maximize)
    };
    let (reopened, created) = store.create_or_open_sweep(&with_header).expect("reopened");
    assert!(!created);
    let stored = reopened.data_header.as_deref().map(CacheHeader::from_json);
    assert_eq!(stored.transpose().expect("it reads back"), Some(header));
}

/// A SQLite file with schema version 1 in `dir`.
fn version_1_file(dir: &Path) -> PathBuf {
    let path = dir.join("old.db");
    let conn = rusqlite::Connection::open(&path).expect("file");
    conn.execute_batch(open::SQLITE_MIGRATIONS[0])
        .expect("schema v1");
    conn.pragma_update(None, "user_version", 1).expect("v1");
    path
}

#[test]
fn a_read_only_open_of_an_older_file_migrates_it_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = version_1_file(dir.path());
    let store = Store::open_read_only(&Database::sqlite(&path)).expect("opened");
    assert_eq!(store.schema_version().ok(), Some(SCHEMA_VERSION));
    assert!(store.sweeps().expect("sweeps").is_empty());
}

#[test]
fn a_watching_open_refuses_an_older_file_instead_of_upgrading_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = version_1_file(dir.path());
    let before = std::fs::read(&path).expect("the file");
    let refused = Store::open_to_watch(&Database::sqlite(&path)).err();
    assert!(
        matches!(refused, Some(StoreError::SchemaTooOld { found: 1, .. })),
        "{refused:?}"
    );
    assert!(refused.is_some_and(|e| e.is_bad_input()));
    assert!(
        std::fs::read(&path).expect("the file") == before,
        "left as it was"
    );
    let current = Store::open(&Database::sqlite(dir.path().join("new.db"))).expect("made");
    drop(current);
    assert!(Store::open_to_watch(&Database::sqlite(dir.path().join("new.db"))).is_ok());
}

fn a_live_view_reads_the_clock_the_trials_that_changed_and_some_trials_epochs(db: &TestDb) {
    let (mut store, sweep) = store_with(db, 3);
    let start = store.clock().expect("the clock");
    assert!(
        start.len() == 24 && start.ends_with('Z') && start.as_bytes()[10] == b'T',
        "{start}"
    );
    let numbers = |trials: Vec<TrialRecord>| trials.iter().map(|t| t.number).collect::<Vec<_>>();
    assert!(numbers(store.trials_changed_since(sweep, &start).expect("read")).is_empty());
    let me = worker(1);
    let trial = claim_with_epochs(&mut store, sweep, &me, 2);
    // Running trials are always news; others when they changed after the time asked about.
    let far = "2999-01-01T00:00:00.000Z";
    assert_eq!(
        numbers(store.trials_changed_since(sweep, far).expect("read")),
        [1]
    );
    store
        .finish_trial(trial.id, &me, &Finish::Completed)
        .expect("finished");
    assert_eq!(
        numbers(store.trials_changed_since(sweep, &start).expect("read")),
        [1]
    );
    assert!(numbers(store.trials_changed_since(sweep, far).expect("read")).is_empty());
    let epochs = store.epochs_of_trials(sweep, &[1, 2]).expect("epochs");
    assert_eq!(
        epochs
            .iter()
            .map(|(n, m)| (*n, m.epoch))
            .collect::<Vec<_>>(),
        [(1, 1), (1, 2)]
    );
    assert!(store.epochs_of_trials(sweep, &[]).expect("none").is_empty());
    assert!(start <= store.clock().expect("the clock"));
}

fn test_evaluations_round_trip_with_their_subsets(db: &TestDb) {
    use crate::metric::{Evaluation, Scores};
    let (mut store, sweep) = store_with(db, 1);
    let trial = store.trial(sweep, 1).expect("read").expect("trial 1");
    let scores = |n: usize, r: f64| Scores {
        pearson_r: r,
        pearson_r2: r * r,
        r2: f64::NAN,
        spearman: 0.5,
        mse: 1.25,
        n,
    };
    let evaluation = Evaluation {
        all: scores(3, 0.75),
        subsets: [("high_exp".to_string(), scores(1, 0.0))]
            .into_iter()
            .collect(),
    };
    store
        .record_evaluation(trial.id, Path::new("/data/test.txt"), &evaluation)
        .expect("recorded");
    let stored = store.evaluations(sweep).expect("evaluations");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].trial, 1);
    assert_eq!(stored[0].test_path, PathBuf::from("/data/test.txt"));
    let back = &stored[0].evaluation;
    assert_eq!(back.all.pearson_r, 0.75);
    assert!(back.all.r2.is_nan(), "NaN survives as NULL");
    assert_eq!(back.subsets["high_exp"].n, 1);
    assert!(back.subsets["high_exp"].r2.is_nan());
}

fn a_sweeps_epochs_come_in_one_query_by_trial_and_epoch(db: &TestDb) {
    let (mut store, sweep) = store_with(db, 2);
    let me = worker(1);
    for _ in 0..2 {
        claim_with_epochs(&mut store, sweep, &me, 2);
    }
    let all = store.sweep_epochs(sweep).expect("epochs");
    let keys: Vec<(usize, usize)> = all.iter().map(|(t, m)| (*t, m.epoch)).collect();
    assert_eq!(keys, [(1, 1), (1, 2), (2, 1), (2, 2)]);
}

/// A draw for tests: parameters naming the number, and the numbers and states it saw.
fn test_draw(number: usize, trials: &[TrialRecord]) -> DrawnTrial {
    let seen: Vec<String> = trials
        .iter()
        .map(|t| format!("{}:{}", t.number, t.state))
        .collect();
    DrawnTrial {
        seed: number as u64 * 7,
        params_json: format!("{{\"batch_size\":{number}}}"),
        sampled_from: Some(seen.join(",")),
    }
}

fn trials_drawn_at_claim_time_are_numbered_in_turn_and_see_each_other(db: &TestDb) {
    let mut store = db.open();
    let (sweep, _) = store
        .create_or_open_sweep(&new_sweep("b", 0, Goal::Maximize))
        .expect("sweep created");
    assert_eq!(store.planned_trials(sweep.id).expect("planned"), None);
    // Without a plan, nothing is drawn.
    let none = store
        .claim_or_draw(sweep.id, &worker(1), LONG, ALIVE, &test_draw)
        .expect("claim");
    assert_eq!(none, None);
    store.set_planned_trials(sweep.id, 3).expect("plan");
    assert_eq!(store.planned_trials(sweep.id).expect("planned"), Some(3));
    let counts = store.state_counts(sweep.id).expect("counts");
    assert_eq!((counts.pending, counts.total()), (3, 3));

    let (a, b) = (worker(1), worker(2));
    let first = store
        .claim_or_draw(sweep.id, &a, LONG, ALIVE, &test_draw)
        .expect("claim")
        .expect("a trial is drawn");
    assert_eq!((first.number, first.seed), (1, 7));
    assert_eq!(first.state, TrialState::Running);
    assert_eq!(first.worker_pid, Some(1));
    assert_eq!(first.sampled_from.as_deref(), Some(""));
    let second = store
        .claim_or_draw(sweep.id, &b, LONG, ALIVE, &test_draw)
        .expect("claim")
        .expect("a trial is drawn");
    assert_eq!(second.number, 2);
    assert_eq!(second.sampled_from.as_deref(), Some("1:running"));
    let counts = store.state_counts(sweep.id).expect("counts");
    assert_eq!((counts.running, counts.pending, counts.total()), (2, 1, 3));

    // An interrupted trial is resumed before a new one is drawn.
    store
        .finish_trial(first.id, &a, &Finish::Interrupted)
        .expect("interrupted");
    let resumed = store
        .claim_or_draw(sweep.id, &a, LONG, ALIVE, &test_draw)
        .expect("claim")
        .expect("the interrupted trial");
    assert_eq!((resumed.number, resumed.attempts), (1, 2));
    store
        .finish_trial(resumed.id, &a, &Finish::Completed)
        .expect("completed");
    let third = store
        .claim_or_draw(sweep.id, &a, LONG, ALIVE, &test_draw)
        .expect("claim")
        .expect("a trial is drawn");
    assert_eq!(third.number, 3);
    assert_eq!(third.sampled_from.as_deref(), Some("1:completed,2:running"));
    // The plan is spent: nothing more to draw or claim.
    let done = store
        .claim_or_draw(sweep.id, &b, LONG, ALIVE, &test_draw)
        .expect("claim");
    assert_eq!(done, None);
    assert_eq!(store.trials(sweep.id).expect("trials").len(), 3);
    assert_eq!(store.schema_version().expect("version"), SCHEMA_VERSION);
}

fn concurrent_workers_draw_each_number_once_and_see_each_other(db: &TestDb) {
    let sweep = {
        let mut store = db.open();
        let id = store
            .create_or_open_sweep(&new_sweep("b", 0, Goal::Maximize))
            .expect("sweep")
            .0
            .id;
        store.set_planned_trials(id, 40).expect("plan");
        id
    };
    let claimed: Vec<TrialRecord> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|pid| {
                scope.spawn(move || {
                    let mut store = db.open();
                    let me = worker(pid);
                    let mut mine = Vec::new();
                    while let Some(t) = store
                        .claim_or_draw(sweep, &me, LONG, ALIVE, &test_draw)
                        .expect("claim")
                    {
                        store
                            .finish_trial(t.id, &me, &Finish::Completed)
                            .expect("finish");
                        mine.push(t);
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut numbers: Vec<usize> = claimed.iter().map(|t| t.number).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=40).collect::<Vec<_>>());
    for t in &claimed {
        // Each draw saw every trial numbered before it, and no other.
        let seen = t.sampled_from.as_deref().expect("recorded");
        let expected: Vec<String> = (1..t.number).map(|n| n.to_string()).collect();
        let got: Vec<&str> = seen
            .split(',')
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.split(':').next())
            .collect();
        assert_eq!(got, expected, "trial {}", t.number);
    }
    let store = Store::open_read_only(&db.database()).expect("read only");
    let counts = store.state_counts(sweep).expect("counts");
    assert_eq!((counts.completed, counts.total()), (40, 40));
}

/// Claim the next trial as worker `pid` and record `r2` per epoch, with pruning at `pruner`'s
/// rungs; the decisions, one per epoch.
fn train_pruned(
    store: &mut Store,
    sweep: SweepId,
    pid: u32,
    r2: &[f64],
    pruner: &Pruner,
) -> (TrialId, Vec<RungDecision>) {
    let me = worker(pid);
    let trial = store
        .claim_next(sweep, &me, LONG, ALIVE)
        .expect("claim")
        .expect("a trial");
    let decisions = r2
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            store
                .record_epoch(trial.id, &me, &epoch(i + 1, v), Some(pruner))
                .expect("recorded")
        })
        .collect();
    (trial.id, decisions)
}

fn a_rung_decision_is_made_and_recorded_with_its_epoch(db: &TestDb) {
    use RungDecision::{Continue, NotARung, Prune};
    let (mut store, sweep) = store_with(db, 5);
    let pruner = Pruner::new(vec![2], 3.0, true);
    // Trial 1 is alone at epoch 2: it continues.
    let (_, first) = train_pruned(&mut store, sweep, 1, &[0.1, 0.5, 0.6], &pruner);
    assert_eq!(first, [NotARung, Continue, NotARung]);
    // Trial 2 is second of two (keep ceil(2/3) = 1): pruned, in the same transaction.
    let (second, decisions) = train_pruned(&mut store, sweep, 2, &[0.1, 0.3], &pruner);
    assert_eq!(decisions, [NotARung, Prune]);
    let pruned = store.trial(sweep, 2).expect("read").expect("trial 2");
    assert_eq!(pruned.state, TrialState::Pruned);
    assert!(pruned.ended_at.is_some());
    assert_eq!((pruned.epochs, pruned.pruned_at), (2, Some(2)));
    assert!(
        matches!(
            store.record_epoch(second, &worker(2), &epoch(3, 0.4), Some(&pruner)),
            Err(StoreError::NotHeld(_))
        ),
        "a pruned trial is no longer held: its worker cannot write to it"
    );
    // Trial 3 fails after reaching the rung: it does not count there.
    let (failed, _) = train_pruned(&mut store, sweep, 3, &[0.1, 0.9], &pruner);
    store
        .finish_trial(failed, &worker(3), &Finish::Failed("boom".to_string()))
        .expect("failed");
    // Trial 4: three at the rung (1, 2 pruned, itself), keep 1: best of them, continues.
    let (_, fourth) = train_pruned(&mut store, sweep, 4, &[0.1, 0.55], &pruner);
    assert_eq!(fourth, [NotARung, Continue]);
    // Trial 5: four at the rung, keep 2; 0.5 ties trial 1 for second place: continues.
    let (_, fifth) = train_pruned(&mut store, sweep, 5, &[0.1, 0.5], &pruner);
    assert_eq!(fifth, [NotARung, Continue]);

    let rungs = store.rungs(sweep).expect("rungs");
    let rows: Vec<(usize, usize, usize, usize, usize, RungDecision)> = rungs
        .iter()
        .map(|r| (r.trial, r.rung_epoch, r.rank, r.reached, r.kept, r.decision))
        .collect();
    assert_eq!(
        rows,
        [
            (1, 2, 1, 1, 1, Continue),
            (2, 2, 2, 2, 1, Prune),
            (3, 2, 1, 3, 1, Continue),
            (4, 2, 1, 3, 1, Continue),
            (5, 2, 2, 4, 2, Continue),
        ]
    );
    assert_eq!(rungs[1].metric, 0.3);
    let counts = store.state_counts(sweep).expect("counts");
    assert_eq!((counts.pruned, counts.failed, counts.running), (1, 1, 3));
    assert_eq!(counts.finished(), 2);
    assert_eq!(
        store.retry_failed(sweep).expect("retried"),
        1,
        "--retry-failed leaves pruned trials alone"
    );
    assert_eq!(
        store.trial(sweep, 2).expect("read").map(|t| t.state),
        Some(TrialState::Pruned)
    );
}

fn a_resumed_trial_is_judged_again_at_a_rung_it_reaches_again(db: &TestDb) {
    let (mut store, sweep) = store_with(db, 2);
    let pruner = Pruner::new(vec![1, 3], 2.0, true);
    let a = worker(1);
    let first = store
        .claim_next(sweep, &a, LONG, ALIVE)
        .expect("claim")
        .expect("trial 1");
    for n in 1..=3 {
        store
            .record_epoch(first.id, &a, &epoch(n, 0.5), Some(&pruner))
            .expect("epoch");
    }
    // Its checkpoint holds 2 epochs: the rung-3 decision goes with epoch 3.
    store
        .start_epochs(first.id, &a, &[epoch(1, 0.5), epoch(2, 0.5)], Some(&pruner))
        .expect("restarted");
    let rungs: Vec<usize> = store
        .rungs(sweep)
        .expect("rungs")
        .iter()
        .map(|r| r.rung_epoch)
        .collect();
    assert_eq!(rungs, [1]);

    // Trial 2's worker died between its checkpoint (epoch 1, a rung) and recording it: the
    // restart decides the rung it lacks. Two at rung 1, keep 1, and it is worse: pruned.
    let b = worker(2);
    let second = store
        .claim_next(sweep, &b, LONG, ALIVE)
        .expect("claim")
        .expect("trial 2");
    let decision = store
        .start_epochs(second.id, &b, &[epoch(1, 0.1)], Some(&pruner))
        .expect("started");
    assert_eq!(decision, RungDecision::Prune);
    let trial = store.trial(sweep, 2).expect("read").expect("trial 2");
    assert_eq!(
        (trial.state, trial.pruned_at),
        (TrialState::Pruned, Some(1))
    );
}

#[test]
fn migrating_a_version_3_file_keeps_its_rows_and_their_references() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v3.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("file");
        for sql in &open::SQLITE_MIGRATIONS[..3] {
            conn.execute_batch(sql).expect("schema v1-v3");
        }
        conn.pragma_update(None, "user_version", 3).expect("v3");
        conn.execute_batch(
            "INSERT INTO sweeps (id, name, spec_text, spec_hash, data_path, metric, goal, created_at)
                 VALUES (7, 'old', 'name: old', 'h', 'd.txt', 'val_r2', 'maximize', 'now');
             INSERT INTO trials (id, sweep_id, number, params, seed, state, attempts, best_metric)
                 VALUES (40, 7, 1, '{}', 1, 'completed', 1, 0.5),
                        (41, 7, 2, '{}', 2, 'failed', 1, NULL),
                        (45, 7, 3, '{}', 3, 'pending', 0, NULL);
             INSERT INTO epochs (trial_id, epoch, val_r2, recorded_at)
                 VALUES (40, 1, 0.4, 'now'), (40, 2, 0.5, 'now'), (41, 1, 0.1, 'now');
             INSERT INTO evaluations (trial_id, test_path, n, created_at)
                 VALUES (40, 'test.txt', 10, 'now');",
        )
        .expect("v3 rows");
    }
    let mut store = Store::open(&Database::sqlite(&path)).expect("migrated");
    assert_eq!(store.schema_version().ok(), Some(SCHEMA_VERSION));
    assert_eq!(open::broken_references(sqlite_conn(&store)).ok(), Some(0));
    let sweep = store.sweep("old").expect("the sweep");
    let trials = store.trials(sweep.id).expect("trials");
    let kept: Vec<(i64, usize, TrialState, usize)> = trials
        .iter()
        .map(|t| (t.id.0, t.number, t.state, t.epochs))
        .collect();
    assert_eq!(
        kept,
        [
            (40, 1, TrialState::Completed, 2),
            (41, 2, TrialState::Failed, 1),
            (45, 3, TrialState::Pending, 0)
        ],
        "ids, states and epochs survive the rebuild"
    );
    assert_eq!(store.evaluations(sweep.id).expect("evaluations").len(), 1);
    let summary: i64 = sqlite_conn(&store)
        .query_row(
            "SELECT COUNT(*) FROM trial_summary WHERE sweep = 'old'",
            [],
            |r| r.get(0),
        )
        .expect("the view is back");
    assert_eq!(summary, 3);
    // The new state is allowed, foreign keys are on again, and the index is back.
    sqlite_conn(&store)
        .execute("UPDATE trials SET state = 'pruned' WHERE id = 45", [])
        .expect("pruned is a state now");
    let fk: bool = sqlite_conn(&store)
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .expect("pragma");
    assert!(fk);
    let index: i64 = sqlite_conn(&store)
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'trials_by_state'",
            [],
            |r| r.get(0),
        )
        .expect("index");
    assert_eq!(index, 1);
    // Deleting a trial still cascades to its epochs: the references point at the new table.
    sqlite_conn(&store)
        .execute("DELETE FROM trials WHERE id = 40", [])
        .expect("deleted");
    let left: i64 = sqlite_conn(&store)
        .query_row("SELECT COUNT(*) FROM epochs", [], |r| r.get(0))
        .expect("count");
    assert_eq!(left, 1);
    let _ = store.retry_failed(sweep.id).expect("still writable");
}

/// The SQLite connection under a store that has one (tests of SQLite's own migrations).
fn sqlite_conn(store: &Store) -> &rusqlite::Connection {
    match &store.conn {
        Conn::Sqlite(conn) => conn,
        Conn::Postgres(_) => panic!("a SQLite store"),
    }
}

fn a_sweep_copied_to_either_database_reads_back_the_same(db: &TestDb) {
    let (mut store, sweep) = store_with(db, 4);
    let pruner = Pruner::new(vec![1], 2.0, true);
    train_pruned(&mut store, sweep, 1, &[0.5, 0.6], &pruner);
    let (second, _) = train_pruned(&mut store, sweep, 2, &[0.7], &pruner);
    store
        .finish_trial(second, &worker(2), &Finish::Completed)
        .expect("completed");
    train_pruned(&mut store, sweep, 3, &[0.1], &pruner);
    let evaluation = Evaluation {
        all: Scores {
            pearson_r: 0.5,
            pearson_r2: 0.25,
            r2: f64::NAN,
            spearman: 0.4,
            mse: 1.5,
            n: 9,
        },
        subsets: std::collections::BTreeMap::new(),
    };
    store
        .record_evaluation(second, Path::new("test.txt"), &evaluation)
        .expect("evaluation");
    let original = store.sweep("s").expect("sweep");

    let mut targets = vec![TestDb::sqlite()];
    targets.extend(TestDb::postgres());
    for target in &targets {
        let mut to = target.open();
        let copied = store.copy_sweep("s", &mut to).expect("copied");
        assert_eq!(
            (
                copied.trials,
                copied.epochs,
                copied.rungs,
                copied.evaluations
            ),
            (4, 4, 3, 1)
        );
        assert_eq!(copied.were_running, 1, "trial 1 was running");
        let copy = to.sweep("s").expect("the copy");
        assert_eq!(
            (&copy.spec_text, &copy.created_at, copy.goal),
            (&original.spec_text, &original.created_at, original.goal)
        );
        let strip = |t: &TrialRecord| TrialRecord {
            id: TrialId(0),
            state: if t.state == TrialState::Running {
                TrialState::Interrupted
            } else {
                t.state
            },
            ..t.clone()
        };
        let before: Vec<_> = store
            .trials(sweep)
            .expect("trials")
            .iter()
            .map(strip)
            .collect();
        let after: Vec<_> = to
            .trials(copy.id)
            .expect("trials")
            .iter()
            .map(strip)
            .collect();
        assert_eq!(before, after);
        assert_eq!(
            store.rungs(sweep).expect("rungs"),
            to.rungs(copy.id).expect("rungs")
        );
        let epochs = |s: &Store, id| s.sweep_epochs(id).expect("epochs");
        assert_eq!(
            format!("{:?}", epochs(&store, sweep)),
            format!("{:?}", epochs(&to, copy.id)),
            "epochs (NaN included) read back the same"
        );
        assert_eq!(
            format!("{:?}", store.evaluations(sweep).expect("scores")),
            format!("{:?}", to.evaluations(copy.id).expect("scores"))
        );
        assert!(
            matches!(
                store.copy_sweep("s", &mut to),
                Err(StoreError::SweepExists(_))
            ),
            "a second copy is refused"
        );
        assert_eq!(to.trials(copy.id).expect("trials").len(), 4);
    }
}

/// Table and column names of the run database (views included), sorted.
fn schema_columns(store: &Store) -> Vec<(String, String)> {
    let sql = match store.conn.dialect() {
        sql::Dialect::Sqlite => {
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
             WHERE m.type IN ('table', 'view') ORDER BY 1, 2"
        }
        sql::Dialect::Postgres => {
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name != 'schema_version' ORDER BY 1, 2"
        }
    };
    let mut columns: Vec<(String, String)> = store
        .conn
        .query(sql, &[])
        .expect("schema")
        .iter()
        .map(|r| (r.text(0).expect("table"), r.text(1).expect("column")))
        .collect();
    columns.sort();
    columns
}

#[test]
fn postgres_has_the_tables_views_and_columns_of_sqlite() {
    let Some(pg) = TestDb::postgres() else {
        return;
    };
    let sqlite = schema_columns(&TestDb::sqlite().open());
    assert!(sqlite.contains(&("rung_rows".to_string(), "decided_at".to_string())));
    assert_eq!(schema_columns(&pg.open()), sqlite);
}

/// A program sweep ranked by `acc` (not a column of `epochs`).
fn program_sweep(name: &str, trials: usize, goal: Goal) -> NewSweep {
    let mut sweep = new_sweep(name, trials, goal);
    sweep.metric = MetricName::new("acc").expect("a metric name");
    sweep.data_path = PathBuf::new();
    sweep.program = Some(ProgramRecord {
        path: Some(PathBuf::from("/work/train.py")),
        workdir: PathBuf::from("/work"),
    });
    sweep
}

/// A program's step: `acc` and `loss`, and `val_loss` (a column of `epochs`).
fn step(n: usize, acc: f64) -> EpochMetrics {
    let mut m = EpochMetrics::empty(n);
    m.set("acc", acc);
    m.set("loss", 1.0 - acc);
    m
}

fn a_programs_steps_are_replaced_merged_and_ranked_by_an_open_metric(db: &TestDb) {
    let mut store = db.open();
    let (sweep, _) = store
        .create_or_open_sweep(&program_sweep("p", 1, Goal::Maximize))
        .expect("sweep");
    assert_eq!(
        sweep.program.as_ref().map(|p| p.workdir.clone()),
        Some(PathBuf::from("/work"))
    );
    assert_eq!(sweep.metric.as_str(), "acc");
    let me = worker(1);
    let trial = store
        .claim_next(sweep.id, &me, LONG, ALIVE)
        .expect("claim")
        .expect("trial");
    for (n, acc) in [(1, 0.5), (2, 0.8), (3, 0.6)] {
        store
            .record_step(trial.id, &me, &step(n, acc), StepWrite::Replace, None)
            .expect("step");
    }
    // A second line of step 3 adds a metric to it.
    let mut more = EpochMetrics::empty(3);
    more.set("val_loss", 0.25);
    store
        .record_step(trial.id, &me, &more, StepWrite::Merge, None)
        .expect("merged");
    let stored = store.trial(sweep.id, 1).expect("read").expect("trial");
    assert_eq!(
        (stored.best_epoch, stored.best_metric),
        (Some(2), Some(0.8))
    );
    let steps = store.epochs(trial.id).expect("steps");
    assert_eq!(steps.len(), 3);
    assert_eq!(steps[2].value("acc"), Some(0.6));
    assert_eq!(steps[2].value("val_loss"), Some(0.25));
    assert_eq!(
        steps[2].val_loss, 0.25,
        "a built-in name goes to its column"
    );
    assert_eq!(steps[0].value("val_loss"), None);
    assert_eq!(
        store.metric_names(sweep.id).expect("names"),
        ["val_loss", "acc", "loss"]
    );
    // A resumed attempt reports step 2 again: the rows from step 2 on are replaced.
    store
        .record_step(trial.id, &me, &step(2, 0.7), StepWrite::Replace, None)
        .expect("replaced");
    let steps = store.epochs(trial.id).expect("steps");
    assert_eq!(steps.iter().map(|s| s.epoch).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(steps[1].value("acc"), Some(0.7));
    let stored = store.trial(sweep.id, 1).expect("read").expect("trial");
    assert_eq!(
        (stored.best_epoch, stored.best_metric, stored.epochs),
        (Some(2), Some(0.7), 2)
    );
    let best = store.best_steps(sweep.id).expect("best steps");
    assert_eq!(best.len(), 1);
    assert_eq!(best[0].1.value("loss"), Some(1.0 - 0.7));
    let all = store.sweep_epochs(sweep.id).expect("all");
    assert_eq!(
        all.iter().map(|(_, m)| m.value("acc")).collect::<Vec<_>>(),
        [Some(0.5), Some(0.7)]
    );
}

fn a_program_is_pruned_at_a_rung_by_an_open_metric(db: &TestDb) {
    use RungDecision::{Continue, NotARung, Prune};
    let mut store = db.open();
    let (sweep, _) = store
        .create_or_open_sweep(&program_sweep("p", 2, Goal::Maximize))
        .expect("sweep");
    let pruner = Pruner::new(vec![2], 2.0, true);
    let mut decide = |pid: u32, accs: &[f64]| -> Vec<RungDecision> {
        let me = worker(pid);
        let trial = store
            .claim_next(sweep.id, &me, LONG, ALIVE)
            .expect("claim")
            .expect("trial");
        accs.iter()
            .enumerate()
            .map(|(i, &acc)| {
                // The rung's step arrives without the metric first: no decision until it has it.
                let mut loss_only = EpochMetrics::empty(i + 1);
                loss_only.set("loss", 1.0 - acc);
                let first = store
                    .record_step(trial.id, &me, &loss_only, StepWrite::Replace, Some(&pruner))
                    .expect("step");
                assert_eq!(first, NotARung);
                let mut with_acc = EpochMetrics::empty(i + 1);
                with_acc.set("acc", acc);
                store
                    .record_step(trial.id, &me, &with_acc, StepWrite::Merge, Some(&pruner))
                    .expect("step")
            })
            .collect()
    };
    assert_eq!(decide(1, &[0.5, 0.9]), [NotARung, Continue]);
    assert_eq!(decide(2, &[0.5, 0.4]), [NotARung, Prune]);
    let pruned = store.trial(sweep.id, 2).expect("read").expect("trial");
    assert_eq!(pruned.state, TrialState::Pruned);
    assert_eq!(store.rungs(sweep.id).expect("rungs")[1].metric, 0.4);

    // Rungs count values of the metric, as W&B's Hyperband does: a program that logs `acc`
    // every other step reaches rung 2 at step 4, against the others' second values.
    let (sparse, _) = store
        .create_or_open_sweep(&program_sweep("sparse", 2, Goal::Maximize))
        .expect("sweep");
    let mut run = |pid: u32, accs: [f64; 2]| -> Vec<RungDecision> {
        let me = worker(pid);
        let trial = store
            .claim_next(sparse.id, &me, LONG, ALIVE)
            .expect("claim")
            .expect("trial");
        (1..=4)
            .map(|n| {
                let mut m = EpochMetrics::empty(n);
                m.set("loss", 1.0 / n as f64);
                if n % 2 == 0 {
                    m.set("acc", accs[n / 2 - 1]);
                }
                store
                    .record_step(trial.id, &me, &m, StepWrite::Replace, Some(&pruner))
                    .expect("step")
            })
            .collect()
    };
    assert_eq!(run(1, [0.1, 0.9]), [NotARung, NotARung, NotARung, Continue]);
    assert_eq!(run(2, [0.8, 0.2]), [NotARung, NotARung, NotARung, Prune]);
    let rungs = store.rungs(sparse.id).expect("rungs");
    assert_eq!((rungs[1].rung_epoch, rungs[1].metric), (2, 0.2));
}
