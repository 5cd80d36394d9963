//! `sweep cancel NAME`: cancel the Slurm jobs of a sweep. Their workers get SIGTERM, finish
//! their batch, keep their checkpoints and mark their trials interrupted; running the sweep
//! again resubmits and resumes them.

use crate::orchestrate::slurm;
use crate::runs::Runs;
use crate::store::Scheduler;

/// Arguments of `sweep cancel`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The sweep whose jobs to cancel.
    name: String,
}

/// Run `sweep cancel`.
pub fn run(args: Args, runs: &Runs) -> anyhow::Result<()> {
    // Read first: a database or sweep that does not exist is named, not created.
    let sweep = super::open_read_only(runs)?.sweep(&args.name)?;
    let mut store = runs.open()?;
    let (cancelled, jobs): (Vec<_>, Vec<_>) = store
        .jobs(sweep.id)?
        .into_iter()
        .partition(|job| job.is_cancelled());
    if jobs.is_empty() {
        let why = match cancelled.len() {
            0 => "`sweep run --launcher slurm` submitted none".to_string(),
            n => format!("{n} cancelled before"),
        };
        println!(
            "sweep {} has no Slurm job left to cancel ({why})",
            sweep.name
        );
        return Ok(());
    }
    for job in jobs {
        match job.scheduler {
            Scheduler::Slurm => slurm::cancel(&job.job_id)?,
        }
        store.mark_job_cancelled(sweep.id, job.scheduler, &job.job_id)?;
        println!(
            "cancelled Slurm job {} ({} task(s)) of sweep {}",
            job.job_id, job.tasks, sweep.name
        );
    }
    println!(
        "its workers checkpoint and mark their trials interrupted; `sweep run` of the same file resubmits them"
    );
    Ok(())
}
