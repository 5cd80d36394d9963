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
//! The store persists what it is given and decides nothing about search or pruning: a bayes
//! draw arrives as a closure from the worker, a rung decision as the sweep's [`RungRule`],
//! applied inside the transaction that records the epoch. One file per concern: [`Store`]'s
//! methods on sweeps (`sweeps.rs`), trials and claims (`trials.rs`), the built-in model's epochs
//! and rungs (`epochs.rs`), a program's steps and its rungs counted in values of the metric
//! (`steps.rs`), test evaluations (`evaluations.rs`), Slurm jobs (`jobs.rs`) and copies
//! between databases (`copy.rs`); what they take and hand out is in `records.rs`.
//!
//! The schema (`migrations/*.sql` for SQLite, versioned with `PRAGMA user_version`;
//! `migrations/postgres/*.sql`, versioned in `schema_version`) is described for people in the
//! README.

mod copy;
mod database;
mod epochs;
mod error;
mod evaluations;
mod jobs;
mod open;
mod records;
mod sql;
mod state;
mod steps;
mod sweeps;
mod trials;
mod watch;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use copy::Copied;
pub use database::Database;
pub use error::StoreError;
pub use jobs::{JobRecord, NewJob, Scheduler};
pub use open::SCHEMA_VERSION;
pub use records::{
    DrawTrial, DrawnTrial, Finish, NewSweep, NewTrial, ProgramRecord, RungRecord, StateCounts,
    StepWrite, SweepId, SweepRecord, TestEvaluation, TrialId, TrialRecord, WorkerInfo,
};
pub use state::TrialState;

use crate::metric::{EpochMetrics, Evaluation, Goal, MetricName, Scores};
use crate::spec::{RungDecision, RungRule};
use sql::{Conn, Lock, Row, Sql, Tx, params};

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

    /// Open an existing database for reading only, and never write to it: a database made
    /// by an older `sweep` is refused ([`StoreError::SchemaTooOld`]) instead of upgraded.
    pub fn open_to_watch(db: &Database) -> Result<Store, StoreError> {
        Ok(Store {
            conn: open::open_to_read(db, open::Upgrade::Never)?,
        })
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        open::schema_version(&self.conn)
    }
}

/// A finite number, or NULL (how the store keeps NaN and infinities).
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

#[cfg(test)]
mod tests;
