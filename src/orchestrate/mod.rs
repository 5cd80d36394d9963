//! Running a sweep: the coordinator (`sweep run`) and its workers (`sweep worker`).
//!
//! The coordinator creates the sweep in the store (or reopens it: rerunning a sweep file is
//! the resume), prepares the data once, spawns N worker processes of this same binary, tells
//! its [`Observer`] (the command line's display) what it reads from the store, and forwards
//! stop requests. Workers claim, train and record on their own ([`worker`]), each trial through
//! the [`trainer::Trainer`] seam; the coordinator writes nothing while they run except the
//! fate of a worker that died without saying. With `--launcher slurm` the workers are the tasks of one Slurm
//! job array instead ([`slurm`], [`jobs`]), and Ctrl-C leaves them running.
//!
//! Files: the database (`--db`, default `runs/sweeps.db`); beside it, `NAME/trial-NNNN/` per
//! trial (checkpoint, best weights, metrics.csv), `NAME/workers/worker-K.log` per worker, and
//! `cache/` for prepared data.

mod exec;
mod jobs;
mod observe;
mod process;
pub mod slurm;
pub mod trainer;
pub mod worker;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use nix::sys::signal::Signal;

pub use exec::{ExecOptions, ExecSummary, exec_run, exec_spec_text};
pub use observe::{Observer, WorkerView};
pub use process::{StopSignal, host_name, is_dead};
pub use slurm::{SlurmError, SlurmOptions};
pub use worker::{WorkerOptions, WorkerSummary, run_worker};

use crate::backend::{self, DeviceArg};
use crate::data::{CacheHeader, PreparedData, synth};
use crate::runs::Runs;
use crate::search::{self, Sampler};
use crate::spec::{DataSource, Spec};
use crate::store::{NewSweep, NewTrial, ProgramRecord, StateCounts, Store, SweepRecord};
use crate::train::params::BuiltIn;
use observe::Endings;

/// How often a training worker refreshes its heartbeat.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);
/// A running trial whose heartbeat is older than this is presumed abandoned and reclaimable
/// (on this host a dead pid is noticed at once; this covers other hosts).
pub const STALE_AFTER: Duration = Duration::from_secs(60);
/// The least time between two refreshes of the views (the HTML report) while a sweep runs.
const REPORT_EVERY: Duration = Duration::from_secs(2);
/// How often the coordinator reads the store to redraw progress.
const POLL_EVERY: Duration = Duration::from_millis(250);

/// What `sweep run` is told.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The sweep file.
    pub spec_path: PathBuf,
    /// The run database and its folder of trial files.
    pub runs: Runs,
    /// Worker processes.
    pub workers: usize,
    /// Devices to spread the workers over, round robin; a GPU worker is pinned to its GPU
    /// (`CUDA_VISIBLE_DEVICES`).
    pub devices: Vec<DeviceArg>,
    /// Make failed trials pending again before starting.
    pub retry_failed: bool,
    /// Train with the fake trainer, this long per epoch (tests of orchestration).
    pub fake_epoch: Option<Duration>,
    /// Who starts the workers.
    pub launcher: Launcher,
    /// Keep the offline W&B stand-in off program trials (`--no-wandb`).
    pub no_wandb: bool,
}

/// Who starts a sweep's workers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Launcher {
    /// `sweep run` itself, as child processes on this machine.
    Local,
    /// Slurm, as the tasks of one job array.
    Slurm(SlurmOptions),
}

/// How `sweep run` left the sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every trial is finished.
    Finished,
    /// Its Slurm jobs go on without the coordinator (`--detach`, or Ctrl-C while watching).
    Detached {
        /// The ids of the sweep's jobs still queued.
        jobs: Vec<String>,
    },
}

/// The sweep stopped on Ctrl-C before it was finished (exit code 130).
#[derive(Debug, thiserror::Error)]
#[error(
    "sweep `{sweep}` interrupted with {left} trial(s) left; run the same command again to resume"
)]
pub struct Interrupted {
    /// The sweep.
    pub sweep: String,
    /// Trials not finished.
    pub left: usize,
}

/// How a sweep run ended.
#[derive(Clone, Debug)]
pub struct RunSummary {
    /// The sweep as stored.
    pub sweep: SweepRecord,
    /// Trials per state at the end.
    pub counts: StateCounts,
    /// The held-out test file the sweep file names (`data.test`), resolved.
    pub test: Option<PathBuf>,
    /// Finished, or left to its Slurm jobs.
    pub outcome: Outcome,
}

/// Run a sweep to completion (or until Ctrl-C), telling `observer` what happens.
pub fn run_sweep(
    options: &RunOptions,
    stop: &StopSignal,
    observer: &mut dyn Observer,
) -> anyhow::Result<RunSummary> {
    let (spec, spec_text) = Spec::load(&options.spec_path, &BuiltIn)?;
    let sampler = search::sampler(spec.method);
    // Before the run database is touched: the devices and the data of the built-in model (a
    // program trial gets its GPU as CUDA_VISIBLE_DEVICES and reads its own data; the fake
    // trainer touches no device).
    let new = match &spec.program {
        Some(program) => {
            let record = trainer::program::program_to_run(&options.runs, &spec, program)?;
            for line in trainer::program::notes(&spec, options.no_wandb) {
                observer.note(&line);
            }
            new_sweep(&spec, spec_text, PathBuf::new(), None, Some(record))
        }
        None => {
            if options.fake_epoch.is_none() {
                for device in &options.devices {
                    backend::check(*device)?;
                }
            }
            let fake = options.fake_epoch.is_some();
            let (path, header) = prepare_data(&spec, &options.runs, fake, observer)?;
            let header = header.map(|h| h.to_json()).transpose()?;
            new_sweep(&spec, spec_text, path, header, None)
        }
    };
    let mut store = options
        .runs
        .open()
        .with_context(|| format!("opening the run database {}", options.runs.db()))?;
    let (sweep, created) = store.create_or_open_sweep(&new)?;
    if sampler.draws_when_claimed() {
        // Its trials are drawn as workers claim them; this many in all.
        store.set_planned_trials(sweep.id, spec.trial_count())?;
    }
    let host = host_name();
    let abandoned = store.interrupt_abandoned(sweep.id, &host, &is_dead)?;
    let retried = if options.retry_failed {
        store.retry_failed(sweep.id)?
    } else {
        0
    };
    let counts = store.state_counts(sweep.id)?;
    for line in announcement(&sweep, created, &counts, abandoned, retried, sampler) {
        observer.note(&line);
    }
    observer.sweep_opened(&sweep);
    let to_do = counts.total() - counts.finished();
    let mut outcome = Outcome::Finished;
    if to_do > 0 {
        match &options.launcher {
            Launcher::Local => {
                let workers = options.workers.clamp(1, to_do);
                observer.workers_started(&sweep, counts.total(), workers);
                let mut pool = spawn_workers(options, &sweep, workers)?;
                watch(&mut store, &sweep, &mut pool, observer, stop)?;
                observer.workers_stopped();
            }
            Launcher::Slurm(slurm) => {
                let on_slurm = jobs::SlurmRun {
                    options,
                    slurm,
                    sweep: &sweep,
                    total: counts.total(),
                    to_do,
                };
                outcome = on_slurm.run(&mut store, stop, observer)?;
            }
        }
    }
    observer.refresh_views(&sweep);

    let counts = store.state_counts(sweep.id)?;
    let left = counts.total() - counts.finished();
    if left > 0 && outcome == Outcome::Finished {
        if stop.is_set() {
            return Err(Interrupted {
                sweep: sweep.name.clone(),
                left,
            }
            .into());
        }
        let logs = options.runs.workers_dir(&sweep.name);
        match options.launcher {
            Launcher::Local => anyhow::bail!(
                "every worker of sweep `{}` stopped with {left} trial(s) unfinished; see the logs in {}",
                sweep.name,
                logs.display()
            ),
            Launcher::Slurm(_) => anyhow::bail!(
                "no task of sweep `{}`'s Slurm jobs is left in the queue and {left} trial(s) are \
                 unfinished; running the same command again resubmits them (task logs: {}/slurm-*.log)",
                sweep.name,
                logs.display()
            ),
        }
    }
    let test = spec
        .data
        .as_ref()
        .and_then(|data| data.test.as_deref())
        .map(std::path::absolute)
        .transpose()
        .context("resolving the test file's path")?;
    Ok(RunSummary {
        sweep,
        counts,
        test,
        outcome,
    })
}

/// The training file of the sweep, made (synthetic) and prepared once before any worker starts,
/// so that workers open a ready cache instead of racing to build it; with the cache's header
/// (filter counts, scaler), which the fake trainer does without.
fn prepare_data(
    spec: &Spec,
    runs: &Runs,
    fake: bool,
    observer: &mut dyn Observer,
) -> anyhow::Result<(PathBuf, Option<CacheHeader>)> {
    let cache = runs.cache_dir();
    // Running a program sweep (which may name no data) is not wired in here yet.
    let Some(data) = &spec.data else {
        anyhow::bail!("sweep `{}` names no data to train on", spec.name);
    };
    let path = match &data.source {
        DataSource::File(path) => std::path::absolute(path)
            .with_context(|| format!("resolving the data path {}", path.display()))?,
        DataSource::Synthetic { rows, seed } => {
            let (path, written) = synth::cached_synthetic_file(&cache, *rows, *seed)?;
            if let Some(summary) = written {
                observer.note(&format!(
                    "synthetic data: {rows} rows, noise ceiling R² {:.4}",
                    summary.noise_ceiling_r2
                ));
            }
            std::path::absolute(&path).context("resolving the synthetic data path")?
        }
    };
    if fake {
        return Ok((path, None));
    }
    let (data, _) = PreparedData::open_or_prepare(&path, &cache)?;
    observer.note(&format!(
        "data: {} ({})",
        path.display(),
        data.header().counts
    ));
    Ok((path, Some(data.header().clone())))
}

fn new_sweep(
    spec: &Spec,
    spec_text: String,
    data_path: PathBuf,
    data_header: Option<String>,
    program: Option<ProgramRecord>,
) -> NewSweep {
    // A bayes sweep's trials are drawn when workers claim them, from the finished ones.
    let planned = if search::sampler(spec.method).draws_when_claimed() {
        Vec::new()
    } else {
        search::plan(spec)
    };
    let trials = planned
        .into_iter()
        .map(|t| NewTrial {
            number: t.number,
            seed: t.seed,
            params_json: t.params.to_json(),
        })
        .collect();
    NewSweep {
        name: spec.name.as_str().to_string(),
        spec_text,
        spec_hash: spec.fingerprint(),
        data_path,
        metric: spec.metric.name.clone(),
        goal: spec.metric.goal,
        data_header,
        program,
        trials,
    }
}

/// What `sweep run` says about the sweep it opened.
fn announcement(
    sweep: &SweepRecord,
    created: bool,
    counts: &StateCounts,
    abandoned: usize,
    retried: usize,
    sampler: &dyn Sampler,
) -> Vec<String> {
    if created && sampler.draws_when_claimed() {
        return vec![format!(
            "sweep {}: {} trials planned, each drawn by TPE when a worker claims it",
            sweep.name,
            counts.total()
        )];
    }
    if created {
        return vec![format!(
            "sweep {}: {} trials created",
            sweep.name,
            counts.total()
        )];
    }
    let pruned = match counts.pruned {
        0 => String::new(),
        n => format!(", {n} pruned"),
    };
    let mut lines = vec![format!(
        "sweep {}: resuming ({} completed{pruned}, {} failed, {} interrupted, {} pending of {})",
        sweep.name,
        counts.completed,
        counts.failed,
        counts.interrupted,
        counts.pending + counts.running,
        counts.total()
    )];
    if abandoned > 0 {
        lines.push(format!(
            "{abandoned} trial(s) whose worker died resume from their last checkpoint"
        ));
    }
    if retried > 0 {
        lines.push(format!("{retried} failed trial(s) will be retried"));
    }
    if counts.failed > 0 && retried == 0 {
        lines.push("failed trials stay failed; `--retry-failed` retries them".to_string());
    }
    lines
}

/// A spawned worker process.
struct WorkerProcess {
    /// 1-based, for display and its log file.
    number: usize,
    device: DeviceArg,
    child: Child,
    log: PathBuf,
    exited: bool,
}

/// Start `count` workers, spread over the devices, with the CPU cores split between them.
fn spawn_workers(
    options: &RunOptions,
    sweep: &SweepRecord,
    count: usize,
) -> anyhow::Result<Vec<WorkerProcess>> {
    let exe = std::env::current_exe().context("finding this program to start workers")?;
    let logs = options.runs.workers_dir(&sweep.name);
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let assigned = backend::assign(&options.devices, count);
    // Workers training on the CPU (flex or LibTorch) share its cores; a GPU worker needs one.
    let cpu_workers = assigned.iter().filter(|d| d.uses_cpu_cores()).count();
    let cores = backend::all_cores();
    let mut pool = Vec::with_capacity(count);
    for (k, device) in assigned.into_iter().enumerate() {
        let threads = if device.uses_cpu_cores() {
            (cores / cpu_workers.max(1)).max(1)
        } else {
            1
        };
        let log = logs.join(format!("worker-{}.log", k + 1));
        let child = spawn_worker(&exe, options, sweep, device, threads, &log)?;
        pool.push(WorkerProcess {
            number: k + 1,
            device,
            child,
            log,
            exited: false,
        });
    }
    Ok(pool)
}

fn spawn_worker(
    exe: &Path,
    options: &RunOptions,
    sweep: &SweepRecord,
    device: DeviceArg,
    threads: usize,
    log: &Path,
) -> anyhow::Result<Child> {
    use std::os::unix::process::CommandExt;
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))?;
    let pin = backend::pin(
        device,
        std::env::var("CUDA_VISIBLE_DEVICES").ok().as_deref(),
    );
    let mut command = Command::new(exe);
    if let Some(visible) = &pin.cuda_visible {
        command.env("CUDA_VISIBLE_DEVICES", visible);
    }
    command
        .arg("worker")
        .args(["--sweep", &sweep.name])
        .args(
            options
                .runs
                .args()
                .context("resolving the run database's path")?,
        )
        .args(["--device", &pin.device.to_string()])
        .args(["--threads", &threads.to_string()])
        .args(["--coordinator", &std::process::id().to_string()]);
    if let Some(epoch) = options.fake_epoch {
        command.args(["--fake-trainer", &epoch.as_millis().to_string()]);
    }
    if options.no_wandb {
        command.arg("--no-wandb");
    }
    command
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().context("worker log")?)
        .stderr(log_file)
        // Its own process group: a Ctrl-C in the terminal reaches the coordinator only, which
        // forwards it once (a second signal would mean "stop now" to the worker).
        .process_group(0);
    command
        .spawn()
        .with_context(|| format!("starting a worker ({})", exe.display()))
}

/// Redraw progress until every worker has exited; forward Ctrl-C.
fn watch(
    store: &mut Store,
    sweep: &SweepRecord,
    pool: &mut [WorkerProcess],
    observer: &mut dyn Observer,
    stop: &StopSignal,
) -> anyhow::Result<()> {
    let mut forwarded = 0;
    let mut endings = Endings::default();
    let mut report_due = false;
    let mut report_written = Instant::now();
    loop {
        let signals = stop.count();
        if signals > forwarded {
            let signal = if signals == 1 {
                observer.note("stopping: workers finish their current batch and keep their checkpoints (Ctrl-C again to stop now)");
                Signal::SIGINT
            } else {
                Signal::SIGKILL
            };
            for worker in pool.iter().filter(|w| !w.exited) {
                process::send_signal(worker.child.id(), signal);
            }
            forwarded = signals;
        }
        reap_exited(store, sweep, pool, observer, signals >= 2)?;
        let trials = store.trials(sweep.id)?;
        let ended = endings.since_last(&trials);
        observer.progress(&trials, &pool_view(pool), &ended);
        report_due |= !ended.is_empty();
        // After each finished trial, but not more often than every few seconds: a sweep of
        // thousands of quick trials would otherwise spend the coordinator on redrawing.
        if report_due && report_written.elapsed() >= REPORT_EVERY {
            observer.refresh_views(sweep);
            report_due = false;
            report_written = Instant::now();
        }
        if pool.iter().all(|w| w.exited) {
            // Workers stopped at once (Ctrl-C twice) left their trials running: they resume.
            store.interrupt_abandoned(sweep.id, &host_name(), &is_dead)?;
            return Ok(());
        }
        std::thread::sleep(POLL_EVERY);
    }
}

fn pool_view(pool: &[WorkerProcess]) -> Vec<WorkerView> {
    pool.iter()
        .map(|w| WorkerView {
            number: w.number,
            pid: w.child.id(),
            job: None,
            device: w.device,
            exited: w.exited,
        })
        .collect()
}

/// Notice workers that exited; a worker that died without finishing its trial (killed, out of
/// memory) fails that trial with the reason, so it is not retried forever, unless the user
/// stopped it (`stopping_now`): then the trial resumes on the next run.
fn reap_exited(
    store: &mut Store,
    sweep: &SweepRecord,
    pool: &mut [WorkerProcess],
    observer: &mut dyn Observer,
    stopping_now: bool,
) -> anyhow::Result<()> {
    let host = host_name();
    for worker in pool.iter_mut().filter(|w| !w.exited) {
        let Some(status) = worker.child.try_wait().context("checking a worker")? else {
            continue;
        };
        worker.exited = true;
        if status.success() || stopping_now {
            continue;
        }
        let reason = exit_reason(status);
        let message = format!(
            "worker {} {reason}; see {}",
            worker.number,
            worker.log.display()
        );
        let failed = store.fail_trials_of_worker(sweep.id, &host, worker.child.id(), &message)?;
        if failed > 0 || !matches!(status.code(), Some(130)) {
            observer.note(&message);
        }
    }
    Ok(())
}

fn exit_reason(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(9)) => "was killed (signal 9: out of memory, or kill -9)".to_string(),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        (None, None) => "ended".to_string(),
    }
}
