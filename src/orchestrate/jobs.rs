//! The coordinator of a sweep whose workers are Slurm jobs: submit one job array (or find the
//! sweep's job still queued), record it, then show progress read from the store until the sweep
//! is finished or no task of its jobs is left in the queue. Ctrl-C detaches: the jobs go on.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::Context;

use super::observe::Endings;
use super::slurm::{self, JobArray, SlurmOptions};
use super::{Observer, Outcome, POLL_EVERY, REPORT_EVERY, RunOptions, StopSignal, WorkerView};
use crate::backend::DeviceArg;
use crate::store::{JobRecord, NewJob, Scheduler, Store, SweepRecord};

/// How often the coordinator asks `squeue` whether the sweep's tasks are still there (each
/// call is a request to the Slurm controller, which a cluster's users share).
const SQUEUE_EVERY: Duration = Duration::from_secs(2);

/// One `sweep run --launcher slurm` of a sweep with trials left to train.
pub(super) struct SlurmRun<'a> {
    /// What `sweep run` was told.
    pub options: &'a RunOptions,
    /// Its Slurm options.
    pub slurm: &'a SlurmOptions,
    /// The sweep.
    pub sweep: &'a SweepRecord,
    /// Its trials in all.
    pub total: usize,
    /// Its trials not finished.
    pub to_do: usize,
}

impl SlurmRun<'_> {
    /// Submit (or find queued) the sweep's job, then watch it unless detached.
    pub fn run(
        &self,
        store: &mut Store,
        stop: &StopSignal,
        observer: &mut dyn Observer,
    ) -> anyhow::Result<Outcome> {
        let device = slurm::task_device(&self.options.devices)?;
        let recorded = store.jobs(self.sweep.id)?;
        let ids: Vec<String> = recorded.iter().map(|j| j.job_id.clone()).collect();
        let queued = slurm::queued_tasks(&ids)?;
        // A task killed before its worker could say so (SIGKILL after KillWait, a node that
        // died) left its trial running: it resumes now rather than when its heartbeat is stale.
        let resumed = store.interrupt_trials_of_gone_jobs(self.sweep.id, &|task| {
            ids.iter().any(|job| slurm::is_task_of(task, job)) && !queued.contains(task)
        })?;
        if resumed > 0 {
            observer.note(&format!(
                "{resumed} trial(s) whose Slurm task left the queue resume from their last checkpoint"
            ));
        }
        let still_queued: Vec<JobRecord> = recorded
            .into_iter()
            .filter(|j| !j.is_cancelled() && queued.iter().any(|t| slurm::is_task_of(t, &j.job_id)))
            .collect();
        let jobs = if still_queued.is_empty() {
            vec![self.submit(store, device, observer)?]
        } else {
            for job in &still_queued {
                observer.note(&format!(
                    "Slurm job {} of sweep {} is still queued: watching it (nothing submitted)",
                    job.job_id, self.sweep.name
                ));
            }
            still_queued
        };
        let ids: Vec<String> = jobs.iter().map(|j| j.job_id.clone()).collect();
        if self.slurm.detach {
            return Ok(Outcome::Detached { jobs: ids });
        }
        self.watch(store, &jobs, device, stop, observer)
    }

    /// Write the batch script, submit the array and record it.
    fn submit(
        &self,
        store: &mut Store,
        device: DeviceArg,
        observer: &mut dyn Observer,
    ) -> anyhow::Result<JobRecord> {
        let exe = std::env::current_exe().context("finding this program for the batch script")?;
        let tasks = self.slurm.tasks.clamp(1, self.to_do);
        let array = JobArray {
            sweep: &self.sweep.name,
            runs: &self.options.runs,
            exe: &exe,
            device,
            tasks,
            fake_epoch: self.options.fake_epoch,
            no_wandb: self.options.no_wandb,
            user_args: &self.slurm.sbatch_args,
        };
        let job_id = array.submit()?;
        let job = store.record_job(
            self.sweep.id,
            &NewJob {
                scheduler: Scheduler::Slurm,
                job_id,
                tasks,
            },
        )?;
        observer.note(&format!(
            "submitted Slurm job {}: {tasks} task(s), one worker each on {device}; script {}, logs {}",
            job.job_id,
            array.script_path().display(),
            array.log_pattern().display()
        ));
        Ok(job)
    }

    /// Redraw progress from the store until every trial is finished or no task of `jobs` is
    /// left in the queue; Ctrl-C detaches.
    fn watch(
        &self,
        store: &mut Store,
        jobs: &[JobRecord],
        device: DeviceArg,
        stop: &StopSignal,
        observer: &mut dyn Observer,
    ) -> anyhow::Result<Outcome> {
        let ids: Vec<String> = jobs.iter().map(|j| j.job_id.clone()).collect();
        let tasks: Vec<String> = jobs
            .iter()
            .flat_map(|j| (1..=j.tasks).map(move |k| format!("{}_{k}", j.job_id)))
            .collect();
        observer.workers_started(self.sweep, self.total, tasks.len());
        let mut endings = Endings::default();
        let mut queued: Option<BTreeSet<String>> = None;
        let mut asked: Option<Instant> = None;
        let mut report_due = false;
        let mut report_written = Instant::now();
        loop {
            if stop.is_set() {
                observer.workers_stopped();
                return Ok(Outcome::Detached { jobs: ids });
            }
            // The queue is read before the store: a task gone from it wrote its last row first.
            if asked.is_none_or(|at| at.elapsed() >= SQUEUE_EVERY) {
                asked = Some(Instant::now());
                match slurm::queued_tasks(&ids) {
                    Ok(now) => queued = Some(now),
                    // A busy controller: the display goes on and asks again.
                    Err(e) => observer.note(&format!("could not read the queue: {e}")),
                }
            }
            let trials = store.trials(self.sweep.id)?;
            let views = task_views(&tasks, device, queued.as_ref());
            let ended = endings.since_last(&trials);
            observer.progress(&trials, &views, &ended);
            report_due |= !ended.is_empty();
            if report_due && report_written.elapsed() >= REPORT_EVERY {
                observer.refresh_views(self.sweep);
                report_due = false;
                report_written = Instant::now();
            }
            let counts = store.state_counts(self.sweep.id)?;
            if counts.finished() == counts.total() {
                break;
            }
            if queued.as_ref().is_some_and(BTreeSet::is_empty) {
                // Every task is gone: a trial still running lost its worker without a word.
                store.interrupt_trials_of_gone_jobs(self.sweep.id, &|task| {
                    ids.iter().any(|job| slurm::is_task_of(task, job))
                })?;
                break;
            }
            std::thread::sleep(POLL_EVERY);
        }
        observer.workers_stopped();
        Ok(Outcome::Finished)
    }
}

/// The display's line per array task: done once the queue no longer has it.
fn task_views(
    tasks: &[String],
    device: DeviceArg,
    queued: Option<&BTreeSet<String>>,
) -> Vec<WorkerView> {
    tasks
        .iter()
        .enumerate()
        .map(|(k, task)| WorkerView {
            number: k + 1,
            pid: 0,
            job: Some(task.clone()),
            device,
            exited: queued.is_some_and(|q| !q.contains(task)),
        })
        .collect()
}
