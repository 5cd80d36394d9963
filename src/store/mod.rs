//! The run database: sweeps, their trials and every trial's epochs, in one SQLite file (the
//! default) or one PostgreSQL database (for sweeps whose workers run on many machines).
//!
//! The store is the single source of truth: workers claim trials and record epochs here, the
//! coordinator and every display read it, and a resume starts from what it holds. All SQL of
//! the project lives in this module, written once for both databases ([`sql`]); callers get
//! owned snapshots and never know which database they talk to.
//!
//! Concurrency: short write transactions (a claim, an epoch, a heartbeat, a finish) let many
//! worker processes share one database. SQLite (WAL mode, a busy timeout) runs each in
//! `BEGIN IMMEDIATE`, which holds the file's one write lock; PostgreSQL runs them in
//! `READ COMMITTED` and a claim, a draw or a rung decision first locks its sweep's row
//! (`SELECT ... FOR NO KEY UPDATE`), so that two workers never take the same trial and a
//! decision sees every other worker's rows. Every write of a worker names the worker (host and
//! pid), so a worker whose trial was reclaimed cannot overwrite the new owner's rows
//! ([`StoreError::NotHeld`]).
//!
//! The schema (`migrations/*.sql` for SQLite, versioned with `PRAGMA user_version`;
//! `migrations/postgres/*.sql`, versioned in `schema_version`) is described for people in the
//! README.

mod copy;
mod jobs;
mod open;
mod sql;
mod state;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

pub use copy::Copied;
pub use jobs::{JobRecord, NewJob, Scheduler};
pub use open::SCHEMA_VERSION;
pub use state::TrialState;

pub use crate::prune::RungDecision;

use crate::data::CacheHeader;
use crate::evaluate::{Evaluation, Scores};
use crate::prune::Pruner;
use crate::spec::{Goal, MetricName};
use crate::train::EpochMetrics;
use sql::{Conn, Lock, Row, Sql, Tx, params};

/// Which run database: a SQLite file, or a PostgreSQL database named by its URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file (created on first use).
    Sqlite(PathBuf),
    /// `postgres://user[:password]@host[:port]/dbname` (the database must exist).
    Postgres(String),
}

impl Database {
    /// A SQLite file.
    pub fn sqlite(path: impl Into<PathBuf>) -> Database {
        Database::Sqlite(path.into())
    }
}

impl FromStr for Database {
    type Err = std::convert::Infallible;

    /// A `postgres://` or `postgresql://` URL names a PostgreSQL database; anything else is
    /// the path of a SQLite file.
    fn from_str(text: &str) -> Result<Database, Self::Err> {
        Ok(
            if text.starts_with("postgres://") || text.starts_with("postgresql://") {
                Database::Postgres(text.to_string())
            } else {
                Database::Sqlite(PathBuf::from(text))
            },
        )
    }
}

impl std::fmt::Display for Database {
    /// The path, or the URL without its password (it ends up in logs and error messages).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "{}", path.display()),
            Database::Postgres(url) => write!(f, "{}", redacted(url)),
        }
    }
}

/// A URL with the password of its user part replaced by `***`.
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((user_part, host_part)) = rest.split_once('@') else {
        return url.to_string();
    };
    match user_part.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host_part}"),
        None => url.to_string(),
    }
}

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
    /// A copy into a database that already has a sweep of that name.
    #[error(
        "the destination already has a sweep named `{0}`; nothing was copied (copy it to \
         another database, or remove it there first)"
    )]
    SweepExists(String),
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
    /// A PostgreSQL server that cannot be reached or refuses the login.
    #[error("cannot connect to the run database {url}: {source}")]
    Connect {
        /// The URL, password hidden.
        url: String,
        /// What the driver said.
        #[source]
        source: postgres::Error,
    },
    /// A stored value of the wrong kind (a corrupt or foreign database).
    #[error("unexpected value in column {column} of the run database: {message}")]
    Corrupt {
        /// The column of the row being read.
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// A value that could not be written as JSON.
    #[error("cannot encode a value for the run database: {0}")]
    Encode(String),
    /// Anything SQLite reports.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// Anything PostgreSQL reports.
    #[error(transparent)]
    Postgres(#[from] postgres::Error),
}

impl StoreError {
    /// Whether the user can fix it by changing what they typed (exit code 2).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            StoreError::Missing(_)
                | StoreError::NoSuchSweep(_)
                | StoreError::SpecChanged { .. }
                | StoreError::SweepExists(_)
                | StoreError::Connect { .. }
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
    /// The scheduler job (Slurm array task, `JOBID_TASK`) whose worker claimed it last; `None`
    /// for a worker that `sweep run` started itself.
    pub job: Option<String>,
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
    /// The scheduler job it runs in (`JOBID_TASK` of a Slurm array task); `None` when
    /// `sweep run` started it.
    pub job: Option<String>,
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
    conn: Conn,
}

impl Store {
    /// Open (creating a SQLite file and its folder if needed) and migrate the database.
    pub fn open(db: &Database) -> Result<Store, StoreError> {
        Ok(Store {
            conn: open::open(db)?,
        })
    }

    /// Open an existing database for reading only: never blocks a writer, never changes it
    /// (except once, to apply the migrations a database made by an older `sweep` lacks).
    pub fn open_read_only(db: &Database) -> Result<Store, StoreError> {
        Ok(Store {
            conn: open::open_read_only(db)?,
        })
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        open::schema_version(&self.conn)
    }

    /// Create the sweep and its trials, or return the existing sweep of that name if its spec
    /// fingerprint matches (rerunning a sweep file is how it resumes). The flag says whether
    /// it was created now.
    pub fn create_or_open_sweep(
        &mut self,
        sweep: &NewSweep,
    ) -> Result<(SweepRecord, bool), StoreError> {
        let tx = self.conn.transaction(Lock::Database)?;
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
        let id = tx
            .query_one(
                "INSERT INTO sweeps (name, spec_text, spec_hash, data_path, metric, goal, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, utc_now()) RETURNING id",
                params![
                    &sweep.name,
                    &sweep.spec_text,
                    &sweep.spec_hash,
                    sweep.data_path.to_string_lossy().into_owned(),
                    sweep.metric.as_str(),
                    sweep.goal.as_str()
                ],
            )?
            .int(0)?;
        set_data_header(&tx, SweepId(id), sweep.data_header.as_ref())?;
        for trial in &sweep.trials {
            tx.execute(
                "INSERT INTO trials (sweep_id, number, params, seed) VALUES (?1, ?2, ?3, ?4)",
                params![id, trial.number, &trial.params_json, trial.seed as i64],
            )?;
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
        self.conn
            .query(&format!("{SWEEP_COLUMNS} FROM sweeps ORDER BY id"), &[])?
            .iter()
            .map(sweep_from_row)
            .collect()
    }

    /// Every trial of a sweep, by number.
    pub fn trials(&self, sweep: SweepId) -> Result<Vec<TrialRecord>, StoreError> {
        trials_of(&self.conn, sweep)
    }

    /// One trial by its number.
    pub fn trial(&self, sweep: SweepId, number: usize) -> Result<Option<TrialRecord>, StoreError> {
        self.conn
            .query_opt(
                &format!("{TRIAL_COLUMNS} FROM trials t WHERE t.sweep_id = ?1 AND t.number = ?2"),
                params![sweep.0, number],
            )?
            .as_ref()
            .map(trial_from_row)
            .transpose()
    }

    /// Trials per state.
    pub fn state_counts(&self, sweep: SweepId) -> Result<StateCounts, StoreError> {
        let rows = self.conn.query(
            "SELECT state, COUNT(*) FROM trials WHERE sweep_id = ?1 GROUP BY state",
            params![sweep.0],
        )?;
        let mut counts = StateCounts::default();
        for row in rows {
            counts.add(row.parsed(0, TrialState::parse)?, row.count(1)?);
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
            params![sweep.0, planned],
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
        self.conn
            .query(
                &format!("{EPOCH_COLUMNS} FROM epochs WHERE trial_id = ?1 ORDER BY epoch"),
                params![trial.0],
            )?
            .iter()
            .map(|r| epoch_at(r, 0))
            .collect()
    }

    /// Every epoch of every trial of a sweep, by trial number then epoch (one query, for
    /// reports of large sweeps).
    pub fn sweep_epochs(&self, sweep: SweepId) -> Result<Vec<(usize, EpochMetrics)>, StoreError> {
        self.conn
            .query(
                "SELECT t.number, e.epoch, e.train_loss, e.val_loss, e.val_r2, e.val_pearson,
                        e.val_spearman, e.learning_rate, e.seconds, e.samples_per_s
                 FROM epochs e JOIN trials t ON t.id = e.trial_id
                 WHERE t.sweep_id = ?1 ORDER BY t.number, e.epoch",
                params![sweep.0],
            )?
            .iter()
            .map(|r| Ok((r.count(0)?, epoch_at(r, 1)?)))
            .collect()
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
    /// once. The claim's transaction holds the sweep while it draws, so two workers never
    /// draw the same number, and the second sees the first's trial as running.
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
        let tx = self.conn.transaction(Lock::Sweep(sweep))?;
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
            "UPDATE trials SET state = 'running', worker_host = ?2, worker_pid = ?3, device = ?4,
                 threads = COALESCE(threads, ?5), attempts = attempts + 1,
                 heartbeat_at = utc_now(), started_at = COALESCE(started_at, utc_now()),
                 ended_at = NULL, error = NULL, job = ?6
             WHERE id = ?1",
            params![
                id.0,
                &me.host,
                me.pid,
                &me.device,
                me.threads,
                me.job.as_deref()
            ],
        )?;
        let claimed = trial_from_row(&tx.query_one(
            &format!("{TRIAL_COLUMNS} FROM trials t WHERE t.id = ?1"),
            params![id.0],
        )?)?;
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
        let tx = self.conn.transaction(Lock::SweepOf(trial))?;
        touch_held(&tx, trial, me)?;
        tx.execute(
            "DELETE FROM epochs WHERE trial_id = ?1 AND epoch > ?2",
            params![trial.0, epochs.len()],
        )?;
        tx.execute(
            "DELETE FROM rungs WHERE trial_id = ?1 AND rung_epoch > ?2",
            params![trial.0, epochs.len()],
        )?;
        for m in epochs {
            insert_epoch(&tx, trial, m, Conflict::Replace)?;
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
        let at_rung = pruner.is_some_and(|p| p.is_rung(m.epoch));
        // Only a rung decision reads other trials' rows; other epochs lock nothing shared.
        let lock = if at_rung {
            Lock::SweepOf(trial)
        } else {
            Lock::Rows
        };
        let tx = self.conn.transaction(lock)?;
        touch_held(&tx, trial, me)?;
        insert_epoch(&tx, trial, m, Conflict::Refuse)?;
        update_best(&tx, trial)?;
        let decision = match pruner {
            Some(pruner) if at_rung => decide_rung(&tx, trial, m.epoch, pruner)?,
            _ => RungDecision::NotARung,
        };
        tx.commit()?;
        Ok(decision)
    }

    /// Every rung decision of a sweep, by rung epoch, then trial number.
    pub fn rungs(&self, sweep: SweepId) -> Result<Vec<RungRecord>, StoreError> {
        self.conn
            .query(
                "SELECT t.number, r.rung_epoch, r.metric, r.rank, r.reached, r.kept, r.decision,
                        r.decided_at
                 FROM rungs r JOIN trials t ON t.id = r.trial_id
                 WHERE t.sweep_id = ?1 ORDER BY r.rung_epoch, t.number",
                params![sweep.0],
            )?
            .iter()
            .map(|r| {
                Ok(RungRecord {
                    trial: r.count(0)?,
                    rung_epoch: r.count(1)?,
                    metric: r.real_or_nan(2)?,
                    rank: r.count(3)?,
                    reached: r.count(4)?,
                    kept: r.count(5)?,
                    decision: r.parsed(6, RungDecision::parse)?,
                    decided_at: r.text(7)?,
                })
            })
            .collect()
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
        let ended_at = if ended { "utc_now()" } else { "NULL" };
        let changed = self.conn.execute(
            &format!(
                "UPDATE trials SET state = ?4, error = ?5, ended_at = {ended_at}
                 WHERE id = ?1 AND state = 'running' AND worker_host = ?2 AND worker_pid = ?3"
            ),
            params![trial.0, &me.host, me.pid, state.as_str(), error],
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
        let tx = self.conn.transaction(Lock::Sweep(sweep))?;
        let running = tx.query(
            "SELECT id, worker_pid FROM trials
             WHERE sweep_id = ?1 AND state = 'running' AND worker_host = ?2",
            params![sweep.0, host],
        )?;
        let mut interrupted = 0;
        for row in running {
            let pid = row.opt_int(1)?.and_then(|pid| u32::try_from(pid).ok());
            if pid.is_none_or(is_dead) {
                interrupted += tx.execute(
                    "UPDATE trials SET state = 'interrupted' WHERE id = ?1",
                    params![row.int(0)?],
                )?;
            }
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
        self.conn.execute(
            "UPDATE trials SET state = 'failed', error = ?4, ended_at = utc_now()
             WHERE sweep_id = ?1 AND state = 'running' AND worker_host = ?2 AND worker_pid = ?3",
            params![sweep.0, host, pid, message],
        )
    }

    /// Record a trial's scores on a test file (replacing earlier scores of that pair).
    pub fn record_evaluation(
        &mut self,
        trial: TrialId,
        test_path: &Path,
        evaluation: &Evaluation,
    ) -> Result<(), StoreError> {
        let subsets = serde_json::to_string(&evaluation.subsets)
            .map_err(|e| StoreError::Encode(e.to_string()))?;
        let all = &evaluation.all;
        self.conn.execute(
            "INSERT INTO evaluations (trial_id, test_path, n, pearson_r, pearson_r2, r2,
                 spearman, mse, subsets, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, utc_now())
             ON CONFLICT (trial_id, test_path) DO UPDATE SET n = excluded.n,
                 pearson_r = excluded.pearson_r, pearson_r2 = excluded.pearson_r2,
                 r2 = excluded.r2, spearman = excluded.spearman, mse = excluded.mse,
                 subsets = excluded.subsets, created_at = excluded.created_at",
            params![
                trial.0,
                test_path.to_string_lossy().into_owned(),
                all.n,
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
        self.conn
            .query(
                "SELECT t.number, e.test_path, e.n, e.pearson_r, e.pearson_r2, e.r2, e.spearman,
                        e.mse, e.subsets, e.created_at
                 FROM evaluations e JOIN trials t ON t.id = e.trial_id
                 WHERE t.sweep_id = ?1 ORDER BY e.id",
                params![sweep.0],
            )?
            .iter()
            .map(|r| {
                Ok(TestEvaluation {
                    trial: r.count(0)?,
                    test_path: PathBuf::from(r.text(1)?),
                    evaluation: Evaluation {
                        all: Scores {
                            n: r.count(2)?,
                            pearson_r: r.real_or_nan(3)?,
                            pearson_r2: r.real_or_nan(4)?,
                            r2: r.real_or_nan(5)?,
                            spearman: r.real_or_nan(6)?,
                            mse: r.real_or_nan(7)?,
                        },
                        subsets: subsets_from_json(&r.text(8)?)
                            .map_err(|message| StoreError::Corrupt { column: 8, message })?,
                    },
                    created_at: r.text(9)?,
                })
            })
            .collect()
    }

    /// Make every failed trial pending again (`--retry-failed`). Returns how many.
    pub fn retry_failed(&mut self, sweep: SweepId) -> Result<usize, StoreError> {
        self.conn.execute(
            "UPDATE trials SET state = 'pending', error = NULL, ended_at = NULL
             WHERE sweep_id = ?1 AND state = 'failed'",
            params![sweep.0],
        )
    }
}

/// A finite number, or NULL (how the store keeps NaN and infinities).
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

const SWEEP_COLUMNS: &str =
    "SELECT id, name, spec_text, spec_hash, data_path, metric, goal, created_at, data_header";

fn sweep_from_row(r: &Row) -> Result<SweepRecord, StoreError> {
    Ok(SweepRecord {
        id: SweepId(r.int(0)?),
        name: r.text(1)?,
        spec_text: r.text(2)?,
        spec_hash: r.text(3)?,
        data_path: PathBuf::from(r.text(4)?),
        metric: r.parsed(5, |name| name.parse::<MetricName>().ok())?,
        goal: r.parsed(6, Goal::parse)?,
        created_at: r.text(7)?,
        data_header: r.json(8)?,
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

fn set_data_header(
    db: &impl Sql,
    sweep: SweepId,
    header: Option<&CacheHeader>,
) -> Result<(), StoreError> {
    let json = header
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Encode(e.to_string()))?;
    db.execute(
        "UPDATE sweeps SET data_header = ?2 WHERE id = ?1",
        params![sweep.0, json],
    )?;
    Ok(())
}

fn sweep_by_name(db: &impl Sql, name: &str) -> Result<Option<SweepRecord>, StoreError> {
    db.query_opt(
        &format!("{SWEEP_COLUMNS} FROM sweeps WHERE name = ?1"),
        params![name],
    )?
    .as_ref()
    .map(sweep_from_row)
    .transpose()
}

const TRIAL_COLUMNS: &str = "SELECT t.id, t.number, t.params, t.seed, t.state, t.worker_host,
    t.worker_pid, t.device, t.threads, t.attempts, t.heartbeat_at, t.started_at, t.ended_at,
    t.best_epoch, t.best_metric, t.error,
    (SELECT COUNT(*) FROM epochs e WHERE e.trial_id = t.id), t.sampled_from,
    (SELECT MIN(r.rung_epoch) FROM rungs r WHERE r.trial_id = t.id AND r.decision = 'prune'),
    t.job";

fn trial_from_row(r: &Row) -> Result<TrialRecord, StoreError> {
    Ok(TrialRecord {
        id: TrialId(r.int(0)?),
        number: r.count(1)?,
        params_json: r.text(2)?,
        seed: r.int(3)? as u64,
        state: r.parsed(4, TrialState::parse)?,
        worker_host: r.opt_text(5)?,
        worker_pid: r.opt_int(6)?.and_then(|pid| u32::try_from(pid).ok()),
        device: r.opt_text(7)?,
        threads: r.opt_count(8)?,
        attempts: r.count(9)?,
        heartbeat_at: r.opt_text(10)?,
        started_at: r.opt_text(11)?,
        ended_at: r.opt_text(12)?,
        best_epoch: r.opt_count(13)?,
        best_metric: r.opt_real(14)?,
        error: r.opt_text(15)?,
        epochs: r.count(16)?,
        sampled_from: r.opt_text(17)?,
        pruned_at: r.opt_count(18)?,
        job: r.opt_text(19)?,
    })
}

fn trials_of(db: &impl Sql, sweep: SweepId) -> Result<Vec<TrialRecord>, StoreError> {
    db.query(
        &format!("{TRIAL_COLUMNS} FROM trials t WHERE t.sweep_id = ?1 ORDER BY t.number"),
        params![sweep.0],
    )?
    .iter()
    .map(trial_from_row)
    .collect()
}

const EPOCH_COLUMNS: &str = "SELECT epoch, train_loss, val_loss, val_r2, val_pearson, \
    val_spearman, learning_rate, seconds, samples_per_s";

/// An epoch whose [`EPOCH_COLUMNS`] start at column `first` of the row.
fn epoch_at(r: &Row, first: usize) -> Result<EpochMetrics, StoreError> {
    let real = |i: usize| r.real_or_nan(first + i);
    Ok(EpochMetrics {
        epoch: r.count(first)?,
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

/// The interrupted or pending trial to claim next.
fn waiting_trial(tx: &Tx, sweep: SweepId) -> Result<Option<TrialId>, StoreError> {
    tx.query_opt(
        "SELECT id FROM trials WHERE sweep_id = ?1 AND state IN ('interrupted', 'pending')
         ORDER BY state = 'interrupted' DESC, number LIMIT 1",
        params![sweep.0],
    )?
    .map(|r| Ok(TrialId(r.int(0)?)))
    .transpose()
}

/// The planned size of a sweep drawn at claim time.
fn planned_trials(db: &impl Sql, sweep: SweepId) -> Result<Option<usize>, StoreError> {
    db.query_one(
        "SELECT planned_trials FROM sweeps WHERE id = ?1",
        params![sweep.0],
    )?
    .opt_count(0)
}

/// Draw and insert (pending) the next trial of a sweep drawn at claim time, if it has fewer
/// than planned.
fn draw_trial(tx: &Tx, sweep: SweepId, draw: DrawTrial) -> Result<Option<TrialId>, StoreError> {
    let Some(planned) = planned_trials(tx, sweep)? else {
        return Ok(None);
    };
    let trials = trials_of(tx, sweep)?;
    if trials.len() >= planned {
        return Ok(None);
    }
    let number = trials.last().map_or(0, |t| t.number) + 1;
    let drawn = draw(number, &trials);
    let id = tx
        .query_one(
            "INSERT INTO trials (sweep_id, number, params, seed, sampled_from)
             VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
            params![
                sweep.0,
                number,
                drawn.params_json,
                drawn.seed as i64,
                drawn.sampled_from
            ],
        )?
        .int(0)?;
    Ok(Some(TrialId(id)))
}

/// The first running trial whose worker is gone.
fn abandoned_trial(
    tx: &Tx,
    sweep: SweepId,
    stale_after: Duration,
    is_dead: &dyn Fn(&str, u32) -> bool,
) -> Result<Option<TrialId>, StoreError> {
    let rows = tx.query(
        &format!(
            "SELECT id, worker_host, worker_pid, heartbeat_at IS NULL OR heartbeat_at <= {}
             FROM trials WHERE sweep_id = ?1 AND state = 'running' ORDER BY number",
            tx.dialect().seconds_ago("?2")
        ),
        params![sweep.0, stale_after.as_secs_f64()],
    )?;
    for row in rows {
        let host = row.opt_text(1)?;
        let pid = row.opt_int(2)?.and_then(|pid| u32::try_from(pid).ok());
        let stale = row.int(3)? != 0;
        let dead = match (host, pid) {
            (Some(host), Some(pid)) => is_dead(&host, pid),
            _ => true,
        };
        if stale || dead {
            return Ok(Some(TrialId(row.int(0)?)));
        }
    }
    Ok(None)
}

/// Bump the heartbeat of a trial `me` holds; [`StoreError::NotHeld`] if it does not.
fn touch_held(db: &impl Sql, trial: TrialId, me: &WorkerInfo) -> Result<(), StoreError> {
    let changed = db.execute(
        "UPDATE trials SET heartbeat_at = utc_now()
         WHERE id = ?1 AND state = 'running' AND worker_host = ?2 AND worker_pid = ?3",
        params![trial.0, &me.host, me.pid],
    )?;
    if changed == 0 {
        return Err(StoreError::NotHeld(trial));
    }
    Ok(())
}

/// What writing an epoch row that already exists does.
#[derive(Clone, Copy)]
enum Conflict {
    /// Fail: an epoch is recorded once.
    Refuse,
    /// Replace it (making the rows match a checkpoint).
    Replace,
}

fn insert_epoch(
    tx: &Tx,
    trial: TrialId,
    m: &EpochMetrics,
    conflict: Conflict,
) -> Result<(), StoreError> {
    let on_conflict = match conflict {
        Conflict::Refuse => "",
        Conflict::Replace => {
            "ON CONFLICT (trial_id, epoch) DO UPDATE SET train_loss = excluded.train_loss,
                 val_loss = excluded.val_loss, val_r2 = excluded.val_r2,
                 val_pearson = excluded.val_pearson, val_spearman = excluded.val_spearman,
                 learning_rate = excluded.learning_rate, seconds = excluded.seconds,
                 samples_per_s = excluded.samples_per_s, recorded_at = excluded.recorded_at"
        }
    };
    tx.execute(
        &format!(
            "INSERT INTO epochs (trial_id, epoch, train_loss, val_loss, val_r2, val_pearson,
                 val_spearman, learning_rate, seconds, samples_per_s, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, utc_now()) {on_conflict}"
        ),
        params![
            trial.0,
            m.epoch,
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
fn sweep_metric(tx: &Tx, trial: TrialId) -> Result<(MetricName, Goal), StoreError> {
    let row = tx.query_one(
        "SELECT s.metric, s.goal FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE t.id = ?1",
        params![trial.0],
    )?;
    Ok((
        row.parsed(0, |name| name.parse::<MetricName>().ok())?,
        row.parsed(1, Goal::parse)?,
    ))
}

/// Whether `trial` has a decision at `rung`.
fn has_rung_row(tx: &Tx, trial: TrialId, rung: usize) -> Result<bool, StoreError> {
    Ok(tx
        .query_opt(
            "SELECT 1 FROM rungs WHERE trial_id = ?1 AND rung_epoch = ?2",
            params![trial.0, rung],
        )?
        .is_some())
}

/// Judge `trial` at `rung` (its epoch row there is written) against every trial of its sweep
/// with an epoch row there, except failed ones; record the decision, and end a pruned trial.
fn decide_rung(
    tx: &Tx,
    trial: TrialId,
    rung: usize,
    pruner: &Pruner,
) -> Result<RungDecision, StoreError> {
    let (metric, goal) = sweep_metric(tx, trial)?;
    // A metric's name is its epochs column: only these known names are spliced into SQL.
    let column = metric.as_str();
    let at_rung = tx
        .query(
            &format!(
                "SELECT t.id, e.{column} FROM epochs e JOIN trials t ON t.id = e.trial_id
                 WHERE t.sweep_id = (SELECT sweep_id FROM trials WHERE id = ?1)
                   AND e.epoch = ?2 AND t.state != 'failed'"
            ),
            params![trial.0, rung],
        )?
        .iter()
        .map(|r| Ok((r.int(0)?, r.real_or_nan(1)?)))
        .collect::<Result<Vec<(i64, f64)>, StoreError>>()?;
    let mine = at_rung
        .iter()
        .find(|(id, _)| *id == trial.0)
        .map_or(f64::NAN, |&(_, v)| v);
    let values: Vec<f64> = at_rung.iter().map(|&(_, v)| v).collect();
    let outcome = pruner.decide(goal, mine, &values);
    tx.execute(
        "INSERT INTO rungs (trial_id, rung_epoch, metric, rank, reached, kept, decision,
             decided_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, utc_now())
         ON CONFLICT (trial_id, rung_epoch) DO UPDATE SET metric = excluded.metric,
             rank = excluded.rank, reached = excluded.reached, kept = excluded.kept,
             decision = excluded.decision, decided_at = excluded.decided_at",
        params![
            trial.0,
            rung,
            finite(mine),
            outcome.rank,
            outcome.reached,
            outcome.kept,
            outcome.decision.as_str()
        ],
    )?;
    if outcome.decision == RungDecision::Prune {
        tx.execute(
            "UPDATE trials SET state = 'pruned', ended_at = utc_now() WHERE id = ?1",
            params![trial.0],
        )?;
    }
    Ok(outcome.decision)
}

/// Recompute a trial's best epoch and metric from its epoch rows, by its sweep's metric.
fn update_best(tx: &Tx, trial: TrialId) -> Result<(), StoreError> {
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
        params![trial.0],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;
