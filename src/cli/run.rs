//! `sweep run`: create or resume a sweep and run it to completion with parallel workers, on
//! this machine or as a Slurm job array.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use super::progress::Progress;
use crate::backend;
use crate::inference::predict;
use crate::orchestrate::{
    self, Launcher, Observer, Outcome, RunOptions, SlurmError, SlurmOptions, WorkerView,
};
use crate::report;
use crate::runs::Runs;
use crate::store::{Database, SweepRecord, TrialRecord};

/// Arguments of `sweep run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The sweep file (YAML). Running it again resumes the sweep.
    spec: PathBuf,
    /// Worker processes training trials in parallel (with `--launcher slurm`: the default
    /// of --array).
    #[arg(long, default_value = "1")]
    workers: NonZeroUsize,
    /// Devices to spread the workers over, round robin: `cpu` (the default backend), `tch-cpu`
    /// (LibTorch on the CPU), `cuda:0,cuda:1` (LibTorch on GPUs; a `--features tch` build).
    /// With `--launcher slurm`, `cpu` asks for no GPU, and any `cuda` asks for one GPU per
    /// task (`--gres=gpu:1`, unless --slurm-args asks for GPUs itself) that trains as cuda:0.
    #[arg(long, default_value = "cpu")]
    devices: String,
    /// Start this many workers on each device of `--devices` (instead of `--workers` in all):
    /// small trials leave most of a GPU idle, and several workers share it.
    #[arg(long, value_name = "K", conflicts_with = "workers")]
    workers_per_device: Option<NonZeroUsize>,
    /// Who starts the workers: `local` (child processes of this command) or `slurm` (one
    /// `sbatch` job array whose tasks each run one worker against the same --db).
    #[arg(long, value_enum, default_value_t = LauncherArg::Local)]
    launcher: LauncherArg,
    /// Extra `sbatch` arguments for the job array, split as a shell would
    /// (`--slurm-args "--partition gpu --time 4:00:00"`); they override sweep's own.
    #[arg(long, value_name = "ARGS", allow_hyphen_values = true)]
    slurm_args: Option<String>,
    /// Array tasks (workers) to submit with `--launcher slurm` [default: --workers].
    #[arg(long, value_name = "N")]
    array: Option<usize>,
    /// With `--launcher slurm`: print the job id and return at once (the jobs go on).
    #[arg(long)]
    detach: bool,
    /// Train the failed trials again.
    #[arg(long)]
    retry_failed: bool,
    /// Do not write the HTML report (by default reports/NAME.html, rewritten after each trial).
    #[arg(long)]
    no_report: bool,
    /// Program trials: keep sweep's offline W&B stand-in off the program's PYTHONPATH (so
    /// `import wandb` finds the real package, if installed), whatever the sweep file says.
    #[arg(long, env = "SWEEP_NO_WANDB")]
    no_wandb: bool,
    /// Replace training with a fake learning curve taking this many milliseconds per epoch
    /// (for testing orchestration quickly).
    #[arg(long, hide = true, value_name = "MS")]
    fake_trainer: Option<u64>,
}

/// Who starts a sweep's workers, as `--launcher` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum LauncherArg {
    /// Child processes of `sweep run` on this machine.
    Local,
    /// The tasks of one Slurm job array.
    Slurm,
}

/// Run `sweep run`.
pub fn run(args: Args, runs: &Runs) -> anyhow::Result<()> {
    // Checked (`backend::check`) by the coordinator before any trial starts, for the built-in
    // model: a program trial gets its GPU as CUDA_VISIBLE_DEVICES and needs no backend.
    let devices = backend::parse_devices(&args.devices)?;
    let launcher = launcher(&args)?;
    let workers = match args.workers_per_device {
        Some(k) => k.get() * devices.len().max(1),
        None => args.workers.get(),
    };
    let options = RunOptions {
        spec_path: args.spec,
        runs: runs.clone(),
        workers,
        devices,
        retry_failed: args.retry_failed,
        fake_epoch: args.fake_trainer.map(Duration::from_millis),
        launcher,
        no_wandb: args.no_wandb,
    };
    let stop = super::signals::stop_signal(false)?;
    let mut terminal = Terminal {
        runs,
        reports: (!args.no_report).then(|| PathBuf::from(super::DEFAULT_REPORTS)),
        report: None,
        progress: None,
    };
    let summary = orchestrate::run_sweep(&options, &stop, &mut terminal)?;
    if let Outcome::Detached { jobs } = &summary.outcome {
        let name = &summary.sweep.name;
        let db = db_flag(runs);
        println!(
            "detached: Slurm job {} goes on; watch it with `sweep status {name}{db}`, cancel it \
             with `sweep cancel {name}{db}`",
            jobs.join(", ")
        );
        return Ok(());
    }
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

/// `sweep run` on a terminal (or a log): progress bars while workers run, a line per event,
/// and the HTML report rewritten as trials end.
struct Terminal<'a> {
    runs: &'a Runs,
    /// The folder of the HTML report, unless `--no-report`.
    reports: Option<PathBuf>,
    /// The report's file, once the sweep's name is known.
    report: Option<PathBuf>,
    /// The bars, while workers run.
    progress: Option<Progress>,
}

impl Observer for Terminal<'_> {
    fn note(&mut self, line: &str) {
        match &self.progress {
            Some(progress) => progress.note(line),
            None => println!("{line}"),
        }
    }

    fn sweep_opened(&mut self, sweep: &SweepRecord) {
        self.report = self
            .reports
            .as_ref()
            .map(|dir| report::html::report_file(dir, &sweep.name));
        if let Some(path) = &self.report {
            println!("report: {} (rewritten as trials finish)", path.display());
        }
    }

    fn workers_started(&mut self, sweep: &SweepRecord, total: usize, workers: usize) {
        self.progress = Some(Progress::new(sweep, total, workers));
    }

    fn progress(&mut self, trials: &[TrialRecord], workers: &[WorkerView], ended: &[&TrialRecord]) {
        if let Some(progress) = &mut self.progress {
            progress.update(trials, workers, ended);
        }
    }

    fn workers_stopped(&mut self) {
        if let Some(progress) = self.progress.take() {
            progress.finish();
        }
    }

    /// Rewrite the report; a failure is shown and the sweep goes on (a report is a view,
    /// never a reason to stop training).
    fn refresh_views(&mut self, sweep: &SweepRecord) {
        let Some(path) = self.report.clone() else {
            return;
        };
        if let Err(e) = report::html::write_report(self.runs, &sweep.name, &path) {
            self.note(&format!(
                "could not write the report {}: {e:#}",
                path.display()
            ));
        }
    }
}

/// The launcher the flags ask for; Slurm's flags without `--launcher slurm` are refused.
fn launcher(args: &Args) -> Result<Launcher, SlurmError> {
    if args.launcher == LauncherArg::Local {
        let slurm_only = [
            ("--slurm-args", args.slurm_args.is_some()),
            ("--array", args.array.is_some()),
            ("--detach", args.detach),
        ];
        if let Some((flag, _)) = slurm_only.iter().find(|(_, given)| *given) {
            return Err(SlurmError::NotSlurm(flag));
        }
        return Ok(Launcher::Local);
    }
    let sbatch_args = match &args.slurm_args {
        Some(text) => orchestrate::slurm::split_args(text)?,
        None => Vec::new(),
    };
    let tasks = args.array.unwrap_or(args.workers.get());
    if tasks == 0 {
        return Err(SlurmError::NoTasks);
    }
    Ok(Launcher::Slurm(SlurmOptions {
        sbatch_args,
        tasks,
        detach: args.detach,
    }))
}

/// ` --db PATH` when the database is not the default one, for commands we suggest.
pub(super) fn db_flag(runs: &Runs) -> String {
    if *runs.db() == Database::sqlite(super::DEFAULT_DB) {
        String::new()
    } else {
        format!(" --db {}", runs.db())
    }
}
