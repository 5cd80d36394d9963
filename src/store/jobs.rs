//! The scheduler jobs a sweep's workers run in (`sweep run --launcher slurm`): one row per
//! submitted job, so that `sweep status` can name them, `sweep cancel` can cancel them, and a
//! coordinator can tell when none of them is left.

use super::sql::{Lock, Row, Sql, params};
use super::{Store, StoreError, SweepId};

/// The batch scheduler a job was submitted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheduler {
    /// Slurm (`sbatch`, `squeue`, `scancel`).
    Slurm,
}

impl Scheduler {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheduler::Slurm => "slurm",
        }
    }

    /// The scheduler a stored name stands for.
    pub fn parse(name: &str) -> Option<Scheduler> {
        (name == "slurm").then_some(Scheduler::Slurm)
    }
}

impl std::fmt::Display for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job just submitted, to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewJob {
    /// Where it was submitted.
    pub scheduler: Scheduler,
    /// The scheduler's id for it (a Slurm job array's id).
    pub job_id: String,
    /// Workers it runs (array tasks).
    pub tasks: usize,
}

/// A recorded job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRecord {
    /// Where it was submitted.
    pub scheduler: Scheduler,
    /// The scheduler's id for it.
    pub job_id: String,
    /// Workers it runs (array tasks).
    pub tasks: usize,
    /// When it was submitted (UTC text).
    pub submitted_at: String,
    /// When `sweep cancel` cancelled it (UTC text).
    pub cancelled_at: Option<String>,
}

impl JobRecord {
    /// Whether `sweep cancel` has cancelled it.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled_at.is_some()
    }
}

const JOB_COLUMNS: &str = "SELECT launcher, job_id, tasks, submitted_at, cancelled_at FROM jobs";

fn job_from_row(r: &Row) -> Result<JobRecord, StoreError> {
    Ok(JobRecord {
        scheduler: r.parsed(0, Scheduler::parse)?,
        job_id: r.text(1)?,
        tasks: r.count(2)?,
        submitted_at: r.text(3)?,
        cancelled_at: r.opt_text(4)?,
    })
}

impl Store {
    /// Record a job submitted for `sweep`'s workers.
    pub fn record_job(&mut self, sweep: SweepId, job: &NewJob) -> Result<JobRecord, StoreError> {
        let row = self.conn.query_one(
            "INSERT INTO jobs (sweep_id, launcher, job_id, tasks, submitted_at)
             VALUES (?1, ?2, ?3, ?4, utc_now())
             RETURNING launcher, job_id, tasks, submitted_at, cancelled_at",
            params![sweep.0, job.scheduler.as_str(), &job.job_id, job.tasks],
        )?;
        job_from_row(&row)
    }

    /// Every job of a sweep, oldest first.
    pub fn jobs(&self, sweep: SweepId) -> Result<Vec<JobRecord>, StoreError> {
        self.conn
            .query(
                &format!("{JOB_COLUMNS} WHERE sweep_id = ?1 ORDER BY id"),
                params![sweep.0],
            )?
            .iter()
            .map(job_from_row)
            .collect()
    }

    /// Record that a job of `sweep` was cancelled (once: a second call changes nothing).
    /// Returns whether it was recorded now.
    pub fn mark_job_cancelled(
        &mut self,
        sweep: SweepId,
        scheduler: Scheduler,
        job_id: &str,
    ) -> Result<bool, StoreError> {
        let changed = self.conn.execute(
            "UPDATE jobs SET cancelled_at = utc_now()
             WHERE sweep_id = ?1 AND launcher = ?2 AND job_id = ?3 AND cancelled_at IS NULL",
            params![sweep.0, scheduler.as_str(), job_id],
        )?;
        Ok(changed > 0)
    }

    /// Mark as interrupted the running trials of `sweep` whose scheduler job `is_gone` says
    /// has left the queue (its worker was killed before it could say so), so that they resume
    /// at once rather than after their heartbeat goes stale. Returns how many.
    pub fn interrupt_trials_of_gone_jobs(
        &mut self,
        sweep: SweepId,
        is_gone: &dyn Fn(&str) -> bool,
    ) -> Result<usize, StoreError> {
        let tx = self.conn.transaction(Lock::Sweep(sweep))?;
        let running = tx.query(
            "SELECT id, job FROM trials
             WHERE sweep_id = ?1 AND state = 'running' AND job IS NOT NULL",
            params![sweep.0],
        )?;
        let mut interrupted = 0;
        for row in running {
            if is_gone(&row.text(1)?) {
                interrupted += tx.execute(
                    "UPDATE trials SET state = 'interrupted' WHERE id = ?1",
                    params![row.int(0)?],
                )?;
            }
        }
        tx.commit()?;
        Ok(interrupted)
    }
}
