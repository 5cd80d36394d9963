//! `sweep run`: create or resume a sweep and run it to completion with parallel workers.

use std::path::PathBuf;
use std::time::Duration;

use crate::backend;
use crate::orchestrate::{self, RunOptions, StopSignal};
use crate::predict;
use crate::report;
use crate::runs::Runs;
use crate::store::Database;

/// Arguments of `sweep run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The sweep file (YAML). Running it again resumes the sweep.
    spec: PathBuf,
    /// Worker processes training trials in parallel.
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// Devices to spread the workers over, round robin: `cpu` (the default backend), `tch-cpu`
    /// (LibTorch on the CPU), `cuda:0,cuda:1` (LibTorch on GPUs; a `--features tch` build).
    #[arg(long, default_value = "cpu")]
    devices: String,
    /// Start this many workers on each device of `--devices` (instead of `--workers` in all):
    /// small trials leave most of a GPU idle, and several workers share it.
    #[arg(long, value_name = "K", conflicts_with = "workers")]
    workers_per_device: Option<std::num::NonZeroUsize>,
    /// Train the failed trials again.
    #[arg(long)]
    retry_failed: bool,
    /// Do not write the HTML report (by default reports/NAME.html, rewritten after each trial).
    #[arg(long)]
    no_report: bool,
    /// Replace training with a fake learning curve taking this many milliseconds per epoch
    /// (for testing orchestration quickly).
    #[arg(long, hide = true, value_name = "MS")]
    fake_trainer: Option<u64>,
}

/// Run `sweep run`.
pub fn run(args: Args, runs: &Runs) -> anyhow::Result<()> {
    anyhow::ensure!(args.workers >= 1, "--workers must be at least 1");
    let devices = backend::parse_devices(&args.devices)?;
    // Before any trial starts. The fake trainer touches no device, so tests of how workers
    // are spread over GPUs run on machines without any.
    if args.fake_trainer.is_none() {
        for device in &devices {
            backend::check(*device)?;
        }
    }
    let workers = match args.workers_per_device {
        Some(k) => k.get() * devices.len().max(1),
        None => args.workers,
    };
    let options = RunOptions {
        spec_path: args.spec,
        runs: runs.clone(),
        workers,
        devices,
        retry_failed: args.retry_failed,
        fake_epoch: args.fake_trainer.map(Duration::from_millis),
        reports: (!args.no_report).then(|| PathBuf::from(super::DEFAULT_REPORTS)),
    };
    let stop = StopSignal::install(false)?;
    let summary = orchestrate::run_sweep(&options, &stop)?;
    let counts = summary.counts;
    // `pruned` is said only by sweeps that prune, so other sweeps' line stays as it was.
    let pruned = match counts.pruned {
        0 => String::new(),
        n => format!(", {n} pruned"),
    };
    println!(
        "sweep {}: {}/{} complete{pruned}, {} failed",
        summary.sweep.name,
        counts.completed,
        counts.total(),
        counts.failed
    );
    if let Some(test) = &summary.test {
        match predict::score_best_on_test(runs, &summary.sweep, test)? {
            Some(scored) => println!("test set {}", report::test_scores(&scored)),
            None => println!("test set {}: no completed trial to score", test.display()),
        }
    }
    println!(
        "leaderboard: sweep leaderboard {}{}",
        summary.sweep.name,
        db_flag(runs)
    );
    Ok(())
}

/// ` --db PATH` when the database is not the default one, for commands we suggest.
fn db_flag(runs: &Runs) -> String {
    if *runs.db() == Database::sqlite(super::DEFAULT_DB) {
        String::new()
    } else {
        format!(" --db {}", runs.db())
    }
}
