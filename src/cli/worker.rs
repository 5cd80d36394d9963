//! `sweep worker`: one worker process (what `sweep run` starts, and what a cluster job runs).

use std::time::Duration;

use crate::backend::{self, DeviceArg};
use crate::orchestrate::{self, WorkerOptions};
use crate::runs::Runs;

/// Arguments of `sweep worker`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The sweep to work on (it must exist: `sweep run` creates it).
    #[arg(long)]
    sweep: String,
    /// The device to train on: `cpu`, `tch-cpu` or `cuda:N` (N among the GPUs
    /// `CUDA_VISIBLE_DEVICES` leaves visible).
    #[arg(long, default_value = "cpu")]
    device: DeviceArg,
    /// CPU threads per trial [default: all cores].
    #[arg(long)]
    threads: Option<usize>,
    /// The coordinator's pid: stop (as on Ctrl-C) when it is gone.
    #[arg(long, hide = true)]
    coordinator: Option<u32>,
    /// Fake training, this many milliseconds per epoch (for testing orchestration).
    #[arg(long, hide = true, value_name = "MS")]
    fake_trainer: Option<u64>,
    /// Keep the offline W&B stand-in off program trials' PYTHONPATH, whatever the sweep file
    /// says (`sweep run --no-wandb` sets SWEEP_NO_WANDB for its workers).
    #[arg(long, env = "SWEEP_NO_WANDB")]
    no_wandb: bool,
}

/// Run `sweep worker`.
pub fn run(args: Args, runs: &Runs) -> anyhow::Result<()> {
    if args.fake_trainer.is_none()
        && let Err(unavailable) = backend::check(args.device)
    {
        // A program trial needs no backend of ours: it gets its GPU as CUDA_VISIBLE_DEVICES.
        let runs_a_program = runs
            .open_read_only()
            .ok()
            .and_then(|store| store.sweep(&args.sweep).ok())
            .is_some_and(|sweep| sweep.program.is_some());
        if !runs_a_program {
            return Err(unavailable.into());
        }
    }
    let options = WorkerOptions {
        runs: runs.clone(),
        sweep: args.sweep,
        device: args.device,
        threads: args.threads.unwrap_or_else(backend::all_cores).max(1),
        fake_epoch: args.fake_trainer.map(Duration::from_millis),
        coordinator: args.coordinator,
        // Inside a Slurm job the trials it claims name the job (`sweep status` shows it).
        job: orchestrate::slurm::job_from_env(),
        no_wandb: args.no_wandb,
        echo: false,
    };
    // Ctrl-C (or SIGTERM) once: finish the batch, keep the checkpoint, mark the trial
    // interrupted. Twice: exit now; the trial resumes from its last checkpoint.
    let stop = super::signals::stop_signal(true)?;
    let summary = orchestrate::run_worker(&options, &stop, &|line| eprintln!("{line}"))?;
    // `pruned` is said only by workers that pruned, so other logs read as they did.
    let pruned = match summary.pruned {
        0 => String::new(),
        n => format!(", {n} pruned"),
    };
    eprintln!(
        "worker {}: {} trial(s) completed{pruned}, {} failed{}",
        std::process::id(),
        summary.completed,
        summary.failed,
        if summary.stopped {
            ", stopped on request"
        } else {
            ""
        }
    );
    Ok(())
}
