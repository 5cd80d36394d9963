//! The run database: sweeps, their trials and every trial's epochs, in one SQLite file.
//!
//! The store is the single source of truth: workers claim trials and record epochs here, the
//! coordinator and every display read it, and a resume starts from what it holds. All SQL of
//! the project lives in this module; callers get owned snapshots.
//!
//! Concurrency: WAL mode, a busy timeout and short write transactions (a claim, an epoch, a
//! heartbeat, a finish) let many worker processes share one file. A claim runs in one
//! `BEGIN IMMEDIATE` transaction, so two workers never take the same trial. Every write of a
//! worker names the worker (host and pid), so a worker whose trial was reclaimed cannot
//! overwrite the new owner's rows ([`StoreError::NotHeld`]).
//!
//! The schema (`migrations/*.sql`, versioned with `PRAGMA user_version`) is described for
//! people in the README.

mod state;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
};

pub use state::TrialState;

pub use crate::prune::RungDecision;

use crate::data::CacheHeader;
use crate::evaluate::{Evaluation, Scores};
use crate::prune::Pruner;
use crate::spec::{Goal, MetricName};
use crate::train::EpochMetrics;

/// Forward migrations, applied in order; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_data_header.sql"),
    include_str!("migrations/0003_evaluations.sql"),
    include_str!("migrations/0004_pruned.sql"),
    include_str!("migrations/0005_sampled_from.sql"),
];

/// How long a write waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// SQLite's clock, as the UTC text every timestamp column holds.
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/// What can go wrong with the run database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file was written by a newer `sweep`.
    #[error(
        "database schema v{found} is newer than this sweep understands (v{known}); upgrade sweep"
    )]
    SchemaTooNew {
        /// The file's schema version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// A read-only open of a file that does not exist.
    #[error("no run database at {0} (run a sweep first, or pass --db)")]
    Missing(PathBuf),
    /// No sweep of that name.
    #[error("no sweep named `{0}` in the run database")]
    NoSuchSweep(String),
    /// The sweep file changed under an existing name.
    #[error(
        "sweep `{name}` already exists with a different sweep file (stored fingerprint {stored}, \
         this file {given}); give the changed sweep a new name, or run the original file to resume it"
    )]
    SpecChanged {
        /// The sweep.
        name: String,
        /// Fingerprint of the stored spec.
        stored: String,
        /// Fingerprint of the file given now.
        given: String,
    },
    /// A migration left rows whose foreign keys point nowhere (it is rolled back).
    #[error("migrating the run database would break {0} reference(s) between its tables")]
    BrokenReferences(usize),
    /// A write by a worker that no longer holds the trial (it was reclaimed or finished).
    #[error("trial {0} is no longer held by this worker")]
    NotHeld(TrialId),
    /// Anything SQLite reports.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

impl StoreError {
    /// Whether the user can fix it by changing what they typed (exit code 2).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            StoreError::Missing(_) | StoreError::NoSuchSweep(_) | StoreError::SpecChanged { .. }
        )
    }
}

/// A sweep's row id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SweepId(pub i64);

/// A trial's row id (unique across sweeps; users see the trial's `number` instead).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TrialId(pub i64);

impl std::fmt::Display for TrialId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A sweep to create: its spec and every trial the search planned.
#[derive(Clone, Debug)]
pub struct NewSweep {
    /// The sweep's name.
    pub name: String,
    /// The sweep file's text.
    pub spec_text: String,
    /// Fingerprint of the validated spec: a rerun must match it.
    pub spec_hash: String,
    /// The training data file.
    pub data_path: PathBuf,
    /// What ranks its trials.
    pub metric: MetricName,
    /// Which way the metric improves.
    pub goal: Goal,
    /// The prepared data set (`None` when training is faked).
    pub data_header: Option<CacheHeader>,
    /// The planned trials.
    pub trials: Vec<NewTrial>,
}

/// A planned trial.
#[derive(Clone, Debug)]
pub struct NewTrial {
    /// 1-based number within the sweep.
    pub number: usize,
    /// The trial's seed.
    pub seed: u64,
    /// Its parameters as a JSON object.
    pub params_json: String,
}

/// A trial drawn when a worker claims it (a bayes sweep's), from the trials stored then.
#[derive(Clone, Debug, PartialEq)]
pub struct DrawnTrial {
    /// The trial's seed.
    pub seed: u64,
    /// Its parameters as a JSON object.
    pub params_json: String,
    /// What the sampler knew, as JSON (stored in `sampled_from`).
    pub sampled_from: String,
}

/// Draws trial `number` of a sweep from its stored trials (every state, by number). The store
/// calls it inside the claim's transaction, so no other worker changes the trials meanwhile.
pub type DrawTrial<'a> = &'a dyn Fn(usize, &[TrialRecord]) -> DrawnTrial;

/// A stored sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepRecord {
    /// Row id.
    pub id: SweepId,
    /// Name (also its folder under runs/).
    pub name: String,
    /// The sweep file as first run.
    pub spec_text: String,
    /// Fingerprint of the validated spec.
    pub spec_hash: String,
    /// The training data file.
    pub data_path: PathBuf,
    /// What ranks its trials.
    pub metric: MetricName,
    /// Which way the metric improves.
    pub goal: Goal,
    /// When it was created (UTC text).
    pub created_at: String,
    /// The prepared data set: filter counts, the scaler all trials share.
    pub data_header: Option<CacheHeader>,
}

impl SweepRecord {
    /// Whether a larger metric is better.
    pub fn maximizes(&self) -> bool {
        self.goal == Goal::Maximize
    }
}

/// A stored trial.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialRecord {
    /// Row id.
    pub id: TrialId,
    /// 1-based number within the sweep.
    pub number: usize,
    /// Parameters as a JSON object.
    pub params_json: String,
    /// The trial's seed.
    pub seed: u64,
    /// Where it is in its life.
    pub state: TrialState,
    /// Host of the last worker that claimed it.
    pub worker_host: Option<String>,
    /// Pid of that worker.
    pub worker_pid: Option<u32>,
    /// Device it trains on.
    pub device: Option<String>,
    /// CPU threads of its first claim.
    pub threads: Option<usize>,
    /// Claims so far.
    pub attempts: usize,
    /// Last sign of life of its worker.
    pub heartbeat_at: Option<String>,
    /// First claim.
    pub started_at: Option<String>,
    /// Completion or failure.
    pub ended_at: Option<String>,
    /// Best epoch by the sweep's metric.
    pub best_epoch: Option<usize>,
    /// The metric at that epoch.
    pub best_metric: Option<f64>,
    /// Why it failed.
    pub error: Option<String>,
    /// Epochs recorded.
    pub epochs: usize,
    /// What the sampler knew when it drew this trial (JSON; bayes sweeps only).
    pub sampled_from: Option<String>,
    /// The rung epoch where it was pruned (state `pruned`).
    pub pruned_at: Option<usize>,
}

/// One recorded rung decision (a row of `rungs`).
#[derive(Clone, Debug, PartialEq)]
pub struct RungRecord {
    /// The trial's number.
    pub trial: usize,
    /// The rung epoch.
    pub rung_epoch: usize,
    /// The trial's metric at that epoch (NaN when it was not a number).
    pub metric: f64,
    /// Its place among the trials at the rung when it got there (1 = best).
    pub rank: usize,
    /// Trials at the rung then, itself included.
    pub reached: usize,
    /// Places that continued.
    pub kept: usize,
    /// Continue or prune.
    pub decision: RungDecision,
    /// When (UTC text).
    pub decided_at: String,
}

/// Who is writing: one worker process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerInfo {
    /// Host name.
    pub host: String,
    /// Process id.
    pub pid: u32,
    /// Device it trains on (`cpu`, `cuda:0`).
    pub device: String,
    /// CPU threads it trains with.
    pub threads: usize,
}

/// How a worker ends its hold on a trial.
#[derive(Clone, Debug, PartialEq)]
pub enum Finish {
    /// Trained to its end.
    Completed,
    /// Stopped by an error.
    Failed(String),
    /// Stopped on request; resumes later from its checkpoint.
    Interrupted,
}

/// A trial scored on a held-out test file.
#[derive(Clone, Debug, PartialEq)]
pub struct TestEvaluation {
    /// The trial's number.
    pub trial: usize,
    /// The test file.
    pub test_path: PathBuf,
    /// The scores.
    pub evaluation: Evaluation,
    /// When it was recorded (UTC text).
    pub created_at: String,
}

/// Trials per state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StateCounts {
    /// Not started.
    pub pending: usize,
    /// Training now.
    pub running: usize,
    /// Done.
    pub completed: usize,
    /// Stopped by an error.
    pub failed: usize,
    /// Waiting to resume.
    pub interrupted: usize,
    /// Stopped at a rung by `early_terminate`.
    pub pruned: usize,
}

impl StateCounts {
    /// All trials.
    pub fn total(&self) -> usize {
        self.pending + self.running + self.completed + self.failed + self.interrupted + self.pruned
    }

    /// Trials that will not train again.
    pub fn finished(&self) -> usize {
        self.completed + self.failed + self.pruned
    }

    /// How many trials are in `state`.
    pub fn get(&self, state: TrialState) -> usize {
        match state {
            TrialState::Pending => self.pending,
            TrialState::Running => self.running,
            TrialState::Completed => self.completed,
            TrialState::Failed => self.failed,
            TrialState::Interrupted => self.interrupted,
            TrialState::Pruned => self.pruned,
        }
    }

    fn add(&mut self, state: TrialState, n: usize) {
        match state {
            TrialState::Pending => self.pending += n,
            TrialState::Running => self.running += n,
            TrialState::Completed => self.completed += n,
            TrialState::Failed => self.failed += n,
            TrialState::Interrupted => self.interrupted += n,
            TrialState::Pruned => self.pruned += n,
        }
    }
}

/// An open run database.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Open (creating it and its folder if needed) and migrate the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            // A missing folder surfaces as SQLite's "unable to open" below, with the path.
            let _ = std::fs::create_dir_all(parent);
        }
        let conn = Connection::open(path)?;
        Store::prepare(conn)
    }

    /// An in-memory database, for tests.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Store::prepare(Connection::open_in_memory()?)
    }

    /// Open an existing database for reading only: never blocks a writer, never changes the
    /// file (except once, to apply the migrations a file made by an older `sweep` lacks).
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        if !path.exists() {
            return Err(StoreError::Missing(path.to_path_buf()));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if found > known {
            return Err(StoreError::SchemaTooNew { found, known });
        }
        if found < known {
            drop(conn);
            drop(Store::open(path)?);
            return Store::open_read_only(path);
        }
        Ok(Store { conn })
    }

    fn prepare(mut conn: Connection) -> Result<Store, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        set_wal(&conn)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Migrations run with foreign keys off (a table rebuild must not cascade), then on.
        migrate(&mut conn)?;
        conn.pragma_update(None, "foreign_keys", true)?;
        Ok(Store { conn })
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// Create the sweep and its trials, or return the existing sweep of that name if its spec
    /// fingerprint matches (rerunning a sweep file is how it resumes). The flag says whether
    /// it was created now.
    pub fn create_or_open_sweep(
        &mut self,
        sweep: &NewSweep,
    ) -> Result<(SweepRecord, bool), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(existing) = sweep_by_name(&tx, &sweep.name)? {
            if existing.spec_hash != sweep.spec_hash {
                return Err(StoreError::SpecChanged {
                    name: sweep.name.clone(),
                    stored: existing.spec_hash,
                    given: sweep.spec_hash.clone(),
                });
            }
            if existing.data_header.is_none() && sweep.data_header.is_some() {
                set_data_header(&tx, existing.id, sweep.data_header.as_ref())?;
            }
            let existing = sweep_by_name(&tx, &sweep.name)?
                .ok_or_else(|| StoreError::NoSuchSweep(sweep.name.clone()))?;
            tx.commit()?;
            return Ok((existing, false));
        }
        tx.execute(
            &format!(
                "INSERT INTO sweeps (name, spec_text, spec_hash, data_path, metric, goal, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, {NOW})"
            ),
            params![
                sweep.name,
                sweep.spec_text,
                sweep.spec_hash,
                sweep.data_path.to_string_lossy(),
                sweep.metric.as_str(),
                sweep.goal.as_str()
            ],
        )?;
        let id = tx.last_insert_rowid();
        set_data_header(&tx, SweepId(id), sweep.data_header.as_ref())?;
        {
            let mut insert = tx.prepare(
                "INSERT INTO trials (sweep_id, number, params, seed) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for trial in &sweep.trials {
                insert.execute(params![
                    id,
                    trial.number as i64,
                    trial.params_json,
                    trial.seed as i64
                ])?;
            }
        }
        let created = sweep_by_name(&tx, &sweep.name)?
            .ok_or_else(|| StoreError::NoSuchSweep(sweep.name.clone()))?;
        tx.commit()?;
        Ok((created, true))
    }

    /// The sweep of that name.
    pub fn sweep(&self, name: &str) -> Result<SweepRecord, StoreError> {
        sweep_by_name(&self.conn, name)?.ok_or_else(|| StoreError::NoSuchSweep(name.to_string()))
    }

    /// Every sweep, oldest first.
    pub fn sweeps(&self) -> Result<Vec<SweepRecord>, StoreError> {
        let mut query = self
            .conn
            .prepare(&format!("{SWEEP_COLUMNS} FROM sweeps ORDER BY id"))?;
        let rows = query.query_map([], sweep_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every trial of a sweep, by number.
    pub fn trials(&self, sweep: SweepId) -> Result<Vec<TrialRecord>, StoreError> {
        let mut query = self.conn.prepare(&format!(
            "{TRIAL_COLUMNS} FROM trials t WHERE t.sweep_id = ?1 ORDER BY t.number"
        ))?;
        let rows = query.query_map([sweep.0], trial_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One trial by its number.
    pub fn trial(&self, sweep: SweepId, number: usize) -> Result<Option<TrialRecord>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!("{TRIAL_COLUMNS} FROM trials t WHERE t.sweep_id = ?1 AND t.number = ?2"),
                params![sweep.0, number as i64],
                trial_from_row,
            )
            .optional()?)
    }

    /// Trials per state.
    pub fn state_counts(&self, sweep: SweepId) -> Result<StateCounts, StoreError> {
        let mut query = self
            .conn
            .prepare("SELECT state, COUNT(*) FROM trials WHERE sweep_id = ?1 GROUP BY state")?;
        let mut counts = StateCounts::default();
        let rows = query.query_map([sweep.0], |r| {
            Ok((r.get::<_, TrialState>(0)?, r.get::<_, i64>(1)?))
        })?;
        for row in rows {
            let (state, n) = row?;
            counts.add(state, n as usize);
        }
        // Trials a bayes sweep has not drawn yet are pending: displays show its full size.
        let planned = self.planned_trials(sweep)?.unwrap_or(0);
        counts.pending += planned.saturating_sub(counts.total());
        Ok(counts)
    }

    /// Say that `sweep` draws its trials when workers claim them ([`Store::claim_or_draw`]),
    /// `planned` in all. Idempotent.
    pub fn set_planned_trials(&mut self, sweep: SweepId, planned: usize) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE sweeps SET planned_trials = ?2 WHERE id = ?1",
            params![sweep.0, planned as i64],
        )?;
        Ok(())
    }

    /// How many trials a sweep that draws them at claim time will have; `None` for a sweep
    /// whose trials were all written when it was created.
    pub fn planned_trials(&self, sweep: SweepId) -> Result<Option<usize>, StoreError> {
        planned_trials(&self.conn, sweep)
    }

    /// A trial's epochs, in order.
    pub fn epochs(&self, trial: TrialId) -> Result<Vec<EpochMetrics>, StoreError> {
        let mut query = self.conn.prepare(&format!(
            "{EPOCH_COLUMNS} FROM epochs WHERE trial_id = ?1 ORDER BY epoch"
        ))?;
        let rows = query.query_map([trial.0], epoch_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every epoch of every trial of a sweep, by trial number then epoch (one query, for
    /// reports of large sweeps).
    pub fn sweep_epochs(&self, sweep: SweepId) -> Result<Vec<(usize, EpochMetrics)>, StoreError> {
        let mut query = self.conn.prepare(
            "SELECT t.number, e.epoch, e.train_loss, e.val_loss, e.val_r2, e.val_pearson,
                    e.val_spearman, e.learning_rate, e.seconds, e.samples_per_s
             FROM epochs e JOIN trials t ON t.id = e.trial_id
             WHERE t.sweep_id = ?1 ORDER BY t.number, e.epoch",
        )?;
        let rows = query.query_map([sweep.0], |r| {
            Ok((r.get::<_, i64>(0)? as usize, epoch_at(r, 1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Claim the next trial for `me`: an interrupted one first, then a pending one, then one
    /// whose worker is gone (its heartbeat older than `stale_after`, or `is_dead` says so of
    /// its host and pid). `None` when nothing is left to claim.
    pub fn claim_next(
        &mut self,
        sweep: SweepId,
        me: &WorkerInfo,
        stale_after: Duration,
        is_dead: &dyn Fn(&str, u32) -> bool,
    ) -> Result<Option<TrialRecord>, StoreError> {
        self.claim(sweep, me, stale_after, is_dead, None)
    }

    /// [`Store::claim_next`] for a sweep that draws its trials at claim time: when nothing is
    /// left to resume and fewer trials exist than [`Store::planned_trials`], `draw` makes the
    /// next one (numbered after the last) from the trials stored now, and it is claimed at
    /// once. The claim's `BEGIN IMMEDIATE` transaction holds while it draws, so two workers
    /// never draw the same number, and the second sees the first's trial as running.
    pub fn claim_or_draw(
        &mut self,
        sweep: SweepId,
        me: &WorkerInfo,
        stale_after: Duration,
        is_dead: &dyn Fn(&str, u32) -> bool,
        draw: DrawTrial,
    ) -> Result<Option<TrialRecord>, StoreError> {
        self.claim(sweep, me, stale_after, is_dead, Some(draw))
    }

    fn claim(
        &mut self,
        sweep: SweepId,
        me: &WorkerInfo,
        stale_after: Duration,
        is_dead: &dyn Fn(&str, u32) -> bool,
        draw: Option<DrawTrial>,
    ) -> Result<Option<TrialRecord>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut next = match waiting_trial(&tx, sweep)? {
            Some(id) => Some(id),
            None => abandoned_trial(&tx, sweep, stale_after, is_dead)?,
        };
        if let (None, Some(draw)) = (next, draw) {
            next = draw_trial(&tx, sweep, draw)?;
        }
        let Some(id) = next else {
            tx.commit()?;
            return Ok(None);
        };
        tx.execute(
            &format!(
                "UPDATE trials SET state = 'running', worker_host = ?2, worker_pid = ?3, device = ?4,
                     threads = COALESCE(threads, ?5), attempts = attempts + 1, heartbeat_at = {NOW},
                     started_at = COALESCE(started_at, {NOW}), ended_at = NULL, error = NULL
                 WHERE id = ?1"
            ),
            params![id.0, me.host, me.pid, me.device, me.threads as i64],
        )?;
        let claimed = tx.query_row(
            &format!("{TRIAL_COLUMNS} FROM trials t WHERE t.id = ?1"),
            [id.0],
            trial_from_row,
        )?;
        tx.commit()?;
        Ok(Some(claimed))
    }

    /// Sign of life from the worker training `trial`.
    pub fn heartbeat(&mut self, trial: TrialId, me: &WorkerInfo) -> Result<(), StoreError> {
        touch_held(&self.conn, trial, me)
    }

    /// Make the stored epochs of `trial` equal `epochs` (those of the checkpoint it starts or
    /// resumes from): rows after them are deleted, with their rung decisions (a resumed trial
    /// is judged again at a rung it reaches again), missing ones written. A rung among
    /// `epochs` without a decision (the worker died between its checkpoint and recording the
    /// epoch) is decided now, as [`Store::record_epoch`] would have; the answer is the first
    /// [`RungDecision::Prune`], else the last decision made (or `NotARung`).
    pub fn start_epochs(
        &mut self,
        trial: TrialId,
        me: &WorkerInfo,
        epochs: &[EpochMetrics],
        pruner: Option<&Pruner>,
    ) -> Result<RungDecision, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        touch_held(&tx, trial, me)?;
        tx.execute(
            "DELETE FROM epochs WHERE trial_id = ?1 AND epoch > ?2",
            params![trial.0, epochs.len() as i64],
        )?;
        tx.execute(
            "DELETE FROM rungs WHERE trial_id = ?1 AND rung_epoch > ?2",
            params![trial.0, epochs.len() as i64],
        )?;
        for m in epochs {
            insert_epoch(&tx, trial, m, "INSERT OR REPLACE")?;
        }
        update_best(&tx, trial)?;
        let mut decision = RungDecision::NotARung;
        if let Some(pruner) = pruner {
            for m in epochs {
                if pruner.is_rung(m.epoch) && !has_rung_row(&tx, trial, m.epoch)? {
                    decision = decide_rung(&tx, trial, m.epoch, pruner)?;
                    if decision == RungDecision::Prune {
                        break;
                    }
                }
            }
        }
        tx.commit()?;
        Ok(decision)
    }

    /// Record one finished epoch of a held trial (and count it as a heartbeat). When the
    /// sweep prunes (`pruner`) and the epoch is a rung, the trial is judged in the same
    /// transaction against every trial of the sweep that has an epoch row there (failed
    /// trials left out), the decision is written to `rungs`, and a pruned trial leaves the
    /// `running` state at once (state `pruned`, `ended_at` set, epochs kept), so a worker
    /// that dies right after cannot leave a judged trial to be resumed.
    pub fn record_epoch(
        &mut self,
        trial: TrialId,
        me: &WorkerInfo,
        m: &EpochMetrics,
        pruner: Option<&Pruner>,
    ) -> Result<RungDecision, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        touch_held(&tx, trial, me)?;
        insert_epoch(&tx, trial, m, "INSERT")?;
        update_best(&tx, trial)?;
        let decision = match pruner {
            Some(pruner) if pruner.is_rung(m.epoch) => decide_rung(&tx, trial, m.epoch, pruner)?,
            _ => RungDecision::NotARung,
        };
        tx.commit()?;
        Ok(decision)
    }

    /// Every rung decision of a sweep, by rung epoch, then trial number.
    pub fn rungs(&self, sweep: SweepId) -> Result<Vec<RungRecord>, StoreError> {
        let mut query = self.conn.prepare(
            "SELECT t.number, r.rung_epoch, r.metric, r.rank, r.reached, r.kept, r.decision,
                    r.decided_at
             FROM rungs r JOIN trials t ON t.id = r.trial_id
             WHERE t.sweep_id = ?1 ORDER BY r.rung_epoch, t.number",
        )?;
        let rows = query.query_map([sweep.0], |r| {
            let count = |i: usize| r.get::<_, i64>(i).map(|n| n as usize);
            Ok(RungRecord {
                trial: count(0)?,
                rung_epoch: count(1)?,
                metric: real_or_nan(r, 2)?,
                rank: count(3)?,
                reached: count(4)?,
                kept: count(5)?,
                decision: parsed(r, 6, RungDecision::parse)?,
                decided_at: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// End `me`'s hold on `trial`.
    pub fn finish_trial(
        &mut self,
        trial: TrialId,
        me: &WorkerInfo,
        finish: &Finish,
    ) -> Result<(), StoreError> {
        let (state, error, ended) = match finish {
            Finish::Completed => (TrialState::Completed, None, true),
            Finish::Failed(message) => (TrialState::Failed, Some(message.as_str()), true),
            Finish::Interrupted => (TrialState::Interrupted, None, false),
        };
        let ended_at = if ended { NOW } else { "NULL" };
        let changed = self.conn.execute(
            &format!(
                "UPDATE trials SET state = ?4, error = ?5, ended_at = {ended_at}
                 WHERE id = ?1 AND state = 'running' AND worker_host = ?2 AND worker_pid = ?3"
            ),
            params![trial.0, me.host, me.pid, state, error],
        )?;
        if changed == 0 {
            return Err(StoreError::NotHeld(trial));
        }
        Ok(())
    }

    /// Mark the running trials of workers on `host` that `is_dead` says are gone as
    /// interrupted (they resume from their checkpoints). Returns how many.
    pub fn interrupt_abandoned(
        &mut self,
        sweep: SweepId,
        host: &str,
        is_dead: &dyn Fn(u32) -> bool,
    ) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let running: Vec<(i64, u32)> = {
            let mut query = tx.prepare(
                "SELECT id, worker_pid FROM trials
                 WHERE sweep_id = ?1 AND state = 'running' AND worker_host = ?2",
            )?;
            let rows = query.query_map(params![sweep.0, host], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut interrupted = 0;
        for (id, _) in running.into_iter().filter(|&(_, pid)| is_dead(pid)) {
            interrupted += tx.execute(
                "UPDATE trials SET state = 'interrupted' WHERE id = ?1",
                [id],
            )?;
        }
        tx.commit()?;
        Ok(interrupted)
    }

    /// Fail the trial a worker held when it died without saying why (killed, out of memory).
    pub fn fail_trials_of_worker(
        &mut self,
        sweep: SweepId,
        host: &str,
        pid: u32,
        message: &str,
    ) -> Result<usize, StoreError> {
        Ok(self.conn.execute(
            &format!(
                "UPDATE trials SET state = 'failed', error = ?4, ended_at = {NOW}
                 WHERE sweep_id = ?1 AND state = 'running' AND worker_host = ?2 AND worker_pid = ?3"
            ),
            params![sweep.0, host, pid, message],
        )?)
    }

    /// Record a trial's scores on a test file (replacing earlier scores of that pair).
    pub fn record_evaluation(
        &mut self,
        trial: TrialId,
        test_path: &Path,
        evaluation: &Evaluation,
    ) -> Result<(), StoreError> {
        let subsets = serde_json::to_string(&evaluation.subsets)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
        let all = &evaluation.all;
        let finite = |x: f64| x.is_finite().then_some(x);
        self.conn.execute(
            &format!(
                "INSERT OR REPLACE INTO evaluations (trial_id, test_path, n, pearson_r, pearson_r2,
                     r2, spearman, mse, subsets, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, {NOW})"
            ),
            params![
                trial.0,
                test_path.to_string_lossy(),
                all.n as i64,
                finite(all.pearson_r),
                finite(all.pearson_r2),
                finite(all.r2),
                finite(all.spearman),
                finite(all.mse),
                subsets
            ],
        )?;
        Ok(())
    }

    /// Every test evaluation of a sweep's trials, oldest first.
    pub fn evaluations(&self, sweep: SweepId) -> Result<Vec<TestEvaluation>, StoreError> {
        let mut query = self.conn.prepare(
            "SELECT t.number, e.test_path, e.n, e.pearson_r, e.pearson_r2, e.r2, e.spearman,
                    e.mse, e.subsets, e.created_at
             FROM evaluations e JOIN trials t ON t.id = e.trial_id
             WHERE t.sweep_id = ?1 ORDER BY e.id",
        )?;
        let rows = query.query_map([sweep.0], |r| {
            let real = |i: usize| real_or_nan(r, i);
            let subsets: String = r.get(8)?;
            Ok(TestEvaluation {
                trial: r.get::<_, i64>(0)? as usize,
                test_path: PathBuf::from(r.get::<_, String>(1)?),
                evaluation: Evaluation {
                    all: Scores {
                        n: r.get::<_, i64>(2)? as usize,
                        pearson_r: real(3)?,
                        pearson_r2: real(4)?,
                        r2: real(5)?,
                        spearman: real(6)?,
                        mse: real(7)?,
                    },
                    subsets: subsets_from_json(&subsets).map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(
                            8,
                            rusqlite::types::Type::Text,
                            e.into(),
                        )
                    })?,
                },
                created_at: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Make every failed trial pending again (`--retry-failed`). Returns how many.
    pub fn retry_failed(&mut self, sweep: SweepId) -> Result<usize, StoreError> {
        Ok(self.conn.execute(
            "UPDATE trials SET state = 'pending', error = NULL, ended_at = NULL
             WHERE sweep_id = ?1 AND state = 'failed'",
            [sweep.0],
        )?)
    }
}

/// Switch to WAL. Changing the journal mode needs a moment of exclusive access, which the busy
/// handler does not wait for, so a crowd of processes opening a new file retries briefly.
fn set_wal(conn: &Connection) -> Result<(), StoreError> {
    let mut attempt = 0;
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0)) {
            Ok(_) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && attempt < 200 =>
            {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(25));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Apply the migrations this file lacks, all in one `BEGIN IMMEDIATE` transaction, so that
/// processes opening a new database at once create the schema exactly once.
///
/// Foreign keys are off while they run: 0004 rebuilds `trials`, and dropping the old table
/// with them on would delete every epoch (ON DELETE CASCADE). `PRAGMA foreign_keys` is a
/// no-op inside a transaction, so it is set before; `foreign_key_check` runs before the commit.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    conn.pragma_update(None, "foreign_keys", false)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if found > known {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
    }
    if found < known {
        let broken = broken_references(&tx)?;
        if broken > 0 {
            return Err(StoreError::BrokenReferences(broken));
        }
    }
    tx.commit()?;
    Ok(())
}

/// Rows whose foreign keys point nowhere (`PRAGMA foreign_key_check`).
fn broken_references(conn: &Connection) -> Result<usize, StoreError> {
    let mut check = conn.prepare("PRAGMA foreign_key_check")?;
    let mut rows = check.query([])?;
    let mut broken = 0;
    while rows.next()?.is_some() {
        broken += 1;
    }
    Ok(broken)
}

const SWEEP_COLUMNS: &str =
    "SELECT id, name, spec_text, spec_hash, data_path, metric, goal, created_at, data_header";

fn sweep_from_row(r: &rusqlite::Row) -> rusqlite::Result<SweepRecord> {
    Ok(SweepRecord {
        id: SweepId(r.get(0)?),
        name: r.get(1)?,
        spec_text: r.get(2)?,
        spec_hash: r.get(3)?,
        data_path: PathBuf::from(r.get::<_, String>(4)?),
        metric: parsed(r, 5, |name| name.parse::<MetricName>().ok())?,
        goal: parsed(r, 6, Goal::parse)?,
        created_at: r.get(7)?,
        data_header: parsed_json(r, 8)?,
    })
}

/// Per-subset scores from their JSON (where a figure that is not a number is null).
fn subsets_from_json(text: &str) -> Result<std::collections::BTreeMap<String, Scores>, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let object = value.as_object().ok_or("subsets are not a JSON object")?;
    let figure = |s: &serde_json::Value, key: &str| s[key].as_f64().unwrap_or(f64::NAN);
    Ok(object
        .iter()
        .map(|(name, s)| {
            let scores = Scores {
                pearson_r: figure(s, "pearson_r"),
                pearson_r2: figure(s, "pearson_r2"),
                r2: figure(s, "r2"),
                spearman: figure(s, "spearman"),
                mse: figure(s, "mse"),
                n: s["n"].as_u64().unwrap_or(0) as usize,
            };
            (name.clone(), scores)
        })
        .collect())
}

/// A JSON text column, NULL being `None`.
fn parsed_json<T: serde::de::DeserializeOwned>(
    r: &rusqlite::Row,
    column: usize,
) -> rusqlite::Result<Option<T>> {
    let Some(text) = r.get::<_, Option<String>>(column)? else {
        return Ok(None);
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, e.into())
    })
}

fn set_data_header(
    tx: &Transaction,
    sweep: SweepId,
    header: Option<&CacheHeader>,
) -> Result<(), StoreError> {
    let json = header
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
    tx.execute(
        "UPDATE sweeps SET data_header = ?2 WHERE id = ?1",
        params![sweep.0, json],
    )?;
    Ok(())
}

/// A text column read through `parse`; a value it rejects is a corrupt row.
fn parsed<T>(
    r: &rusqlite::Row,
    column: usize,
    parse: impl Fn(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    let text: String = r.get(column)?;
    parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            rusqlite::types::Type::Text,
            format!("unexpected value `{text}`").into(),
        )
    })
}

fn sweep_by_name(conn: &Connection, name: &str) -> Result<Option<SweepRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!("{SWEEP_COLUMNS} FROM sweeps WHERE name = ?1"),
            [name],
            sweep_from_row,
        )
        .optional()?)
}

const TRIAL_COLUMNS: &str = "SELECT t.id, t.number, t.params, t.seed, t.state, t.worker_host,
    t.worker_pid, t.device, t.threads, t.attempts, t.heartbeat_at, t.started_at, t.ended_at,
    t.best_epoch, t.best_metric, t.error,
    (SELECT COUNT(*) FROM epochs e WHERE e.trial_id = t.id), t.sampled_from,
    (SELECT MIN(r.rung_epoch) FROM rungs r WHERE r.trial_id = t.id AND r.decision = 'prune')";

fn trial_from_row(r: &rusqlite::Row) -> rusqlite::Result<TrialRecord> {
    Ok(TrialRecord {
        id: TrialId(r.get(0)?),
        number: r.get::<_, i64>(1)? as usize,
        params_json: r.get(2)?,
        seed: r.get::<_, i64>(3)? as u64,
        state: r.get(4)?,
        worker_host: r.get(5)?,
        worker_pid: r.get(6)?,
        device: r.get(7)?,
        threads: r.get::<_, Option<i64>>(8)?.map(|n| n as usize),
        attempts: r.get::<_, i64>(9)? as usize,
        heartbeat_at: r.get(10)?,
        started_at: r.get(11)?,
        ended_at: r.get(12)?,
        best_epoch: r.get::<_, Option<i64>>(13)?.map(|n| n as usize),
        best_metric: r.get(14)?,
        error: r.get(15)?,
        epochs: r.get::<_, i64>(16)? as usize,
        sampled_from: r.get(17)?,
        pruned_at: r.get::<_, Option<i64>>(18)?.map(|n| n as usize),
    })
}

const EPOCH_COLUMNS: &str = "SELECT epoch, train_loss, val_loss, val_r2, val_pearson, \
    val_spearman, learning_rate, seconds, samples_per_s";

fn epoch_from_row(r: &rusqlite::Row) -> rusqlite::Result<EpochMetrics> {
    epoch_at(r, 0)
}

/// An epoch whose [`EPOCH_COLUMNS`] start at column `first` of the row.
fn epoch_at(r: &rusqlite::Row, first: usize) -> rusqlite::Result<EpochMetrics> {
    let real = |i: usize| real_or_nan(r, first + i);
    Ok(EpochMetrics {
        epoch: r.get::<_, i64>(first)? as usize,
        train_loss: real(1)?,
        val_loss: real(2)?,
        val_r2: real(3)?,
        val_pearson: real(4)?,
        val_spearman: real(5)?,
        learning_rate: real(6)?,
        seconds: real(7)?,
        samples_per_s: real(8)?,
    })
}

/// A REAL column; SQLite holds NaN as NULL, which comes back as NaN.
fn real_or_nan(r: &rusqlite::Row, column: usize) -> rusqlite::Result<f64> {
    Ok(r.get::<_, Option<f64>>(column)?.unwrap_or(f64::NAN))
}

/// The interrupted or pending trial to claim next.
fn waiting_trial(tx: &Transaction, sweep: SweepId) -> Result<Option<TrialId>, StoreError> {
    Ok(tx
        .query_row(
            "SELECT id FROM trials WHERE sweep_id = ?1 AND state IN ('interrupted', 'pending')
             ORDER BY state = 'interrupted' DESC, number LIMIT 1",
            [sweep.0],
            |r| Ok(TrialId(r.get(0)?)),
        )
        .optional()?)
}

/// The planned size of a sweep drawn at claim time.
fn planned_trials(conn: &Connection, sweep: SweepId) -> Result<Option<usize>, StoreError> {
    let planned: Option<i64> = conn.query_row(
        "SELECT planned_trials FROM sweeps WHERE id = ?1",
        [sweep.0],
        |r| r.get(0),
    )?;
    Ok(planned.map(|n| n.max(0) as usize))
}

/// Draw and insert (pending) the next trial of a sweep drawn at claim time, if it has fewer
/// than planned.
fn draw_trial(
    tx: &Transaction,
    sweep: SweepId,
    draw: DrawTrial,
) -> Result<Option<TrialId>, StoreError> {
    let Some(planned) = planned_trials(tx, sweep)? else {
        return Ok(None);
    };
    let trials: Vec<TrialRecord> = {
        let mut query = tx.prepare(&format!(
            "{TRIAL_COLUMNS} FROM trials t WHERE t.sweep_id = ?1 ORDER BY t.number"
        ))?;
        let rows = query.query_map([sweep.0], trial_from_row)?;
        rows.collect::<Result<_, _>>()?
    };
    if trials.len() >= planned {
        return Ok(None);
    }
    let number = trials.last().map_or(0, |t| t.number) + 1;
    let drawn = draw(number, &trials);
    tx.execute(
        "INSERT INTO trials (sweep_id, number, params, seed, sampled_from)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            sweep.0,
            number as i64,
            drawn.params_json,
            drawn.seed as i64,
            drawn.sampled_from
        ],
    )?;
    Ok(Some(TrialId(tx.last_insert_rowid())))
}

/// The first running trial whose worker is gone.
fn abandoned_trial(
    tx: &Transaction,
    sweep: SweepId,
    stale_after: Duration,
    is_dead: &dyn Fn(&str, u32) -> bool,
) -> Result<Option<TrialId>, StoreError> {
    let mut query = tx.prepare(
        "SELECT id, worker_host, worker_pid,
                heartbeat_at IS NULL OR heartbeat_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?2)
         FROM trials WHERE sweep_id = ?1 AND state = 'running' ORDER BY number",
    )?;
    let age = format!("-{} seconds", stale_after.as_secs_f64());
    let rows = query.query_map(params![sweep.0, age], |r| {
        Ok((
            TrialId(r.get(0)?),
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<u32>>(2)?,
            r.get::<_, bool>(3)?,
        ))
    })?;
    for row in rows {
        let (id, host, pid, stale) = row?;
        let dead = match (host, pid) {
            (Some(host), Some(pid)) => is_dead(&host, pid),
            _ => true,
        };
        if stale || dead {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// Bump the heartbeat of a trial `me` holds; [`StoreError::NotHeld`] if it does not.
fn touch_held(conn: &Connection, trial: TrialId, me: &WorkerInfo) -> Result<(), StoreError> {
    let changed = conn.execute(
        &format!(
            "UPDATE trials SET heartbeat_at = {NOW}
             WHERE id = ?1 AND state = 'running' AND worker_host = ?2 AND worker_pid = ?3"
        ),
        params![trial.0, me.host, me.pid],
    )?;
    if changed == 0 {
        return Err(StoreError::NotHeld(trial));
    }
    Ok(())
}

fn insert_epoch(
    tx: &Transaction,
    trial: TrialId,
    m: &EpochMetrics,
    verb: &str,
) -> Result<(), StoreError> {
    let finite = |x: f64| x.is_finite().then_some(x);
    tx.execute(
        &format!(
            "{verb} INTO epochs (trial_id, epoch, train_loss, val_loss, val_r2, val_pearson,
                 val_spearman, learning_rate, seconds, samples_per_s, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, {NOW})"
        ),
        params![
            trial.0,
            m.epoch as i64,
            finite(m.train_loss),
            finite(m.val_loss),
            finite(m.val_r2),
            finite(m.val_pearson),
            finite(m.val_spearman),
            finite(m.learning_rate),
            finite(m.seconds),
            finite(m.samples_per_s)
        ],
    )?;
    Ok(())
}

/// The metric and goal of the sweep `trial` belongs to.
fn sweep_metric(tx: &Transaction, trial: TrialId) -> Result<(MetricName, Goal), StoreError> {
    Ok(tx.query_row(
        "SELECT s.metric, s.goal FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE t.id = ?1",
        [trial.0],
        |r| {
            Ok((
                parsed(r, 0, |name| name.parse::<MetricName>().ok())?,
                parsed(r, 1, Goal::parse)?,
            ))
        },
    )?)
}

/// Whether `trial` has a decision at `rung`.
fn has_rung_row(tx: &Transaction, trial: TrialId, rung: usize) -> Result<bool, StoreError> {
    Ok(tx
        .query_row(
            "SELECT 1 FROM rungs WHERE trial_id = ?1 AND rung_epoch = ?2",
            params![trial.0, rung as i64],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Judge `trial` at `rung` (its epoch row there is written) against every trial of its sweep
/// with an epoch row there, except failed ones; record the decision, and end a pruned trial.
fn decide_rung(
    tx: &Transaction,
    trial: TrialId,
    rung: usize,
    pruner: &Pruner,
) -> Result<RungDecision, StoreError> {
    let (metric, goal) = sweep_metric(tx, trial)?;
    // A metric's name is its epochs column: only these known names are spliced into SQL.
    let column = metric.as_str();
    let at_rung: Vec<(i64, f64)> = {
        let mut query = tx.prepare(&format!(
            "SELECT t.id, e.{column} FROM epochs e JOIN trials t ON t.id = e.trial_id
             WHERE t.sweep_id = (SELECT sweep_id FROM trials WHERE id = ?1)
               AND e.epoch = ?2 AND t.state != 'failed'"
        ))?;
        let rows = query.query_map(params![trial.0, rung as i64], |r| {
            Ok((r.get::<_, i64>(0)?, real_or_nan(r, 1)?))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    let mine = at_rung
        .iter()
        .find(|(id, _)| *id == trial.0)
        .map_or(f64::NAN, |&(_, v)| v);
    let values: Vec<f64> = at_rung.iter().map(|&(_, v)| v).collect();
    let outcome = pruner.decide(goal, mine, &values);
    tx.execute(
        &format!(
            "INSERT OR REPLACE INTO rungs (trial_id, rung_epoch, metric, rank, reached, kept,
                 decision, decided_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, {NOW})"
        ),
        params![
            trial.0,
            rung as i64,
            mine.is_finite().then_some(mine),
            outcome.rank as i64,
            outcome.reached as i64,
            outcome.kept as i64,
            outcome.decision.as_str()
        ],
    )?;
    if outcome.decision == RungDecision::Prune {
        tx.execute(
            &format!("UPDATE trials SET state = 'pruned', ended_at = {NOW} WHERE id = ?1"),
            [trial.0],
        )?;
    }
    Ok(outcome.decision)
}

/// Recompute a trial's best epoch and metric from its epoch rows, by its sweep's metric.
fn update_best(tx: &Transaction, trial: TrialId) -> Result<(), StoreError> {
    let (metric, goal) = sweep_metric(tx, trial)?;
    // A metric's name is its epochs column: only these known names are spliced into SQL.
    let column = metric.as_str();
    let order = match goal {
        Goal::Maximize => "DESC",
        Goal::Minimize => "ASC",
    };
    tx.execute(
        &format!(
            "UPDATE trials SET (best_epoch, best_metric) =
                 (SELECT epoch, {column} FROM epochs WHERE trial_id = ?1 AND {column} IS NOT NULL
                  ORDER BY {column} {order}, epoch LIMIT 1)
             WHERE id = ?1"
        ),
        [trial.0],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;
