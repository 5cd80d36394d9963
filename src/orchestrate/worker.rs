//! One worker process: claim a trial, train it, record every epoch, repeat until none is left.
//!
//! `sweep run` spawns these; a cluster job runs the same command. A worker writes its own rows
//! in short transactions and heartbeats from a side thread while it trains, so a worker that
//! dies is noticed (dead pid on this host, or a stale heartbeat anywhere) and its trial is
//! resumed by the next claim.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;

use super::process::{self, StopSignal};
use super::trainer::{
    BuiltInTrainer, FakeTrainer, HelperFiles, ProgramOptions, ProgramTrainer, Trainer, TrialJob,
};
use super::{HEARTBEAT_EVERY, STALE_AFTER};
use crate::backend::{self, DeviceArg};
use crate::runs::Runs;
use crate::search::{self, Observation, Observed, Pruner, Sampler, trial_seed};
use crate::spec::{ParamSet, RungDecision, RungRule, Spec};
use crate::store::{
    DrawnTrial, Finish, StepWrite, Store, StoreError, SweepRecord, TrialId, TrialRecord,
    TrialState, WorkerInfo,
};
use crate::train::params::BuiltIn;
use crate::train::{TrainEvent, TrialEnd};

/// What a worker is told.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// The run database and its folder of trial files.
    pub runs: Runs,
    /// The sweep to work on.
    pub sweep: String,
    /// The device to train on.
    pub device: DeviceArg,
    /// CPU threads per trial (a resumed trial keeps the count of its first claim).
    pub threads: usize,
    /// Train with the fake trainer, this long per epoch (tests of orchestration).
    pub fake_epoch: Option<Duration>,
    /// The coordinator's pid: when this process's parent is no longer it, the coordinator
    /// died, and the worker stops as on Ctrl-C.
    pub coordinator: Option<u32>,
    /// The scheduler job this worker runs in (`JOBID_TASK`), recorded with each trial it
    /// claims.
    pub job: Option<String>,
    /// Keep the offline W&B stand-in off the `PYTHONPATH` of program trials, whatever the
    /// sweep file says (`sweep run --no-wandb`).
    pub no_wandb: bool,
    /// Show program trials' output on this process's stdout and stderr (`sweep exec`).
    pub echo: bool,
}

/// What a worker did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerSummary {
    /// Trials it trained to the end.
    pub completed: usize,
    /// Trials that failed.
    pub failed: usize,
    /// Trials stopped at a rung (`early_terminate`).
    pub pruned: usize,
    /// True when it stopped on request (its trial is interrupted).
    pub stopped: bool,
}

/// Claim and train trials until none is left or a stop is asked for; `log` takes the lines of
/// the worker's log (its device, each trial it takes).
pub fn run_worker(
    options: &WorkerOptions,
    stop: &StopSignal,
    log: &dyn Fn(&str),
) -> anyhow::Result<WorkerSummary> {
    let mut store = options
        .runs
        .open()
        .with_context(|| format!("opening the run database {}", options.runs.db()))?;
    let sweep = store.sweep(&options.sweep)?;
    let spec = Spec::parse(
        &sweep.spec_text,
        &format!("the stored spec of sweep `{}`", sweep.name),
        &BuiltIn,
    )?;
    let sampler = search::sampler(spec.method);
    let trainer = make_trainer(options, &sweep, &spec)?;
    let me = WorkerInfo {
        host: process::host_name(),
        pid: std::process::id(),
        device: backend::recorded_name(
            options.device,
            std::env::var("CUDA_VISIBLE_DEVICES").ok().as_deref(),
        ),
        threads: options.threads,
        job: options.job.clone(),
    };
    match (options.device, std::env::var("CUDA_VISIBLE_DEVICES")) {
        (DeviceArg::Cuda(_), Ok(visible)) => log(&format!(
            "worker {}: device {} ({} with CUDA_VISIBLE_DEVICES={visible})",
            me.pid, me.device, options.device
        )),
        _ => log(&format!("worker {}: device {}", me.pid, me.device)),
    }
    let mut summary = WorkerSummary::default();
    while !should_stop(options, stop) {
        let is_dead = |host: &str, pid| host == me.host && process::is_dead(pid);
        let claimed = if sampler.draws_when_claimed() {
            let draw = |number, trials: &[TrialRecord]| draw_trial(&spec, sampler, number, trials);
            store.claim_or_draw(sweep.id, &me, STALE_AFTER, &is_dead, &draw)?
        } else {
            store.claim_next(sweep.id, &me, STALE_AFTER, &is_dead)?
        };
        let Some(trial) = claimed else { break };
        log(&format!(
            "worker {}: trial {} (attempt {})",
            me.pid, trial.number, trial.attempts
        ));
        let job = TrialRun {
            options,
            sweep: &sweep,
            spec: &spec,
            me: &me,
            stop,
            log,
        };
        match job.run(&mut store, trainer.as_ref(), &trial)? {
            Ended::Completed => summary.completed += 1,
            Ended::Failed => summary.failed += 1,
            Ended::Pruned => summary.pruned += 1,
            Ended::Stopped => {
                summary.stopped = true;
                break;
            }
            Ended::Lost | Ended::Preempted => {}
        }
    }
    summary.stopped |= should_stop(options, stop);
    Ok(summary)
}

/// Trial `number` of a sweep whose sampler draws at claim time, from the stored trials: what a
/// worker's claim inserts ([`Store::claim_or_draw`]).
fn draw_trial(
    spec: &Spec,
    sampler: &dyn Sampler,
    number: usize,
    trials: &[TrialRecord],
) -> DrawnTrial {
    let draw = sampler.suggest(spec, number, &history(trials));
    DrawnTrial {
        seed: trial_seed(spec.seed, number),
        params_json: draw.params.to_json(),
        sampled_from: draw.sampled_from.map(|s| s.to_json()),
    }
}

/// The stored trials as a sampler sees them (a trial whose parameters do not parse is left
/// out: it tells the sampler nothing).
fn history(trials: &[TrialRecord]) -> Vec<Observation> {
    trials
        .iter()
        .filter_map(|t| {
            let status = match t.state {
                TrialState::Completed => t.best_metric.map_or(Observed::Failed, Observed::Finished),
                TrialState::Failed => Observed::Failed,
                TrialState::Pruned => Observed::Pruned,
                TrialState::Pending | TrialState::Running | TrialState::Interrupted => {
                    Observed::Running
                }
            };
            Some(Observation {
                number: t.number,
                params: ParamSet::from_json(&t.params_json).ok()?,
                status,
            })
        })
        .collect()
}

fn make_trainer(
    options: &WorkerOptions,
    sweep: &SweepRecord,
    spec: &Spec,
) -> anyhow::Result<Box<dyn Trainer>> {
    if let Some(epoch_time) = options.fake_epoch {
        return Ok(Box::new(FakeTrainer { epoch_time }));
    }
    if let Some(program) = &spec.program {
        let helpers = HelperFiles::write_under(&options.runs.cache_dir())?;
        let program_options = ProgramOptions {
            wandb: program.wandb && !options.no_wandb,
            threads: options.threads,
            echo: options.echo,
        };
        let trainer = ProgramTrainer::new(sweep, program, &helpers, &program_options)?;
        return Ok(Box::new(trainer));
    }
    let device = backend::device_for(options.device)?;
    let trainer = BuiltInTrainer::new(&sweep.data_path, &options.runs.cache_dir(), device)?;
    Ok(Box::new(trainer))
}

fn should_stop(options: &WorkerOptions, stop: &StopSignal) -> bool {
    stop.is_set() || coordinator_gone(options)
}

fn coordinator_gone(options: &WorkerOptions) -> bool {
    options
        .coordinator
        .is_some_and(|pid| std::os::unix::process::parent_id() != pid)
}

/// How one claimed trial ended for this worker.
enum Ended {
    Completed,
    Failed,
    /// Stopped at a rung; the store already marked it pruned.
    Pruned,
    Stopped,
    /// Another worker holds it now (this one was presumed dead): leave it alone.
    Lost,
    /// The program said it was pre-empted: interrupted, to be resumed.
    Preempted,
}

/// Everything a trial run needs besides the store and the trainer.
struct TrialRun<'a> {
    options: &'a WorkerOptions,
    sweep: &'a SweepRecord,
    spec: &'a Spec,
    me: &'a WorkerInfo,
    stop: &'a StopSignal,
    log: &'a dyn Fn(&str),
}

impl TrialRun<'_> {
    fn run(
        &self,
        store: &mut Store,
        trainer: &dyn Trainer,
        trial: &TrialRecord,
    ) -> anyhow::Result<Ended> {
        let params = match ParamSet::from_json(&trial.params_json).context("stored parameters") {
            Ok(params) => params,
            Err(e) => return self.finish(store, trial.id, Finish::Failed(format!("{e:#}"))),
        };
        let dir = self.options.runs.trial_dir(&self.sweep.name, trial.number);
        let job = TrialJob {
            spec: self.spec,
            number: trial.number,
            seed: trial.seed,
            attempt: trial.attempts,
            params: &params,
            dir: &dir,
        };
        let threads = trial.threads.unwrap_or(self.me.threads).max(1);
        // LibTorch's pool, for `tch-cpu`; rayon's below, for `cpu`.
        backend::set_torch_threads(threads);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .with_context(|| format!("setting up {threads} CPU threads"))?;

        let heartbeat = Heartbeat::start(&self.options.runs, trial.id, self.me.clone());
        let pruner = Pruner::of(self.spec);
        let mut recorder = Recorder {
            store,
            trial: trial.id,
            me: self.me,
            rule: pruner.as_ref().map(|p| p as &dyn RungRule),
            started: false,
            pruned: false,
            error: None,
        };
        // Said in the worker's log once training returns (the log is not for other threads).
        let mut notes = Vec::new();
        let result = pool.install(|| {
            trainer.train(&job, &mut |event| {
                if let TrainEvent::Note(note) = event {
                    notes.push(format!("trial {}: {note}", trial.number));
                }
                recorder.on_event(event)?;
                if heartbeat.lost() || should_stop(self.options, self.stop) {
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            })
        });
        for note in &notes {
            (self.log)(note);
        }
        let lost = heartbeat.lost();
        heartbeat.finish();
        let (store, recording_error) = (recorder.store, recorder.error);
        match recording_error {
            Some(StoreError::NotHeld(_)) => return Ok(Ended::Lost),
            Some(e) => return Err(e).context("recording an epoch"),
            None => {}
        }
        // Pruned in the transaction of its rung epoch: the trial is no longer `running`, so
        // the heartbeat may have lost its hold since; that is this ending, not a lost trial.
        // Its folder keeps the checkpoint (a pruned trial is never resumed).
        if recorder.pruned {
            return Ok(Ended::Pruned);
        }
        if lost {
            return Ok(Ended::Lost);
        }
        match result {
            Ok(TrialEnd::Finished(_)) => self.finish(store, trial.id, Finish::Completed),
            Ok(TrialEnd::Stopped { .. }) if should_stop(self.options, self.stop) => {
                self.finish(store, trial.id, Finish::Interrupted)?;
                Ok(Ended::Stopped)
            }
            // Nothing else stops training but a lost hold, checked above.
            Ok(TrialEnd::Stopped { .. }) => Ok(Ended::Lost),
            // Requeued, as W&B does: interrupted, so the next claim resumes it.
            Ok(TrialEnd::Preempted) => {
                self.finish(store, trial.id, Finish::Interrupted)?;
                Ok(Ended::Preempted)
            }
            Err(e) => self.finish(store, trial.id, Finish::Failed(format!("{e:#}"))),
        }
    }

    fn finish(&self, store: &mut Store, trial: TrialId, finish: Finish) -> anyhow::Result<Ended> {
        let ended = match finish {
            Finish::Completed => Ended::Completed,
            Finish::Failed(_) => Ended::Failed,
            Finish::Interrupted => Ended::Stopped,
        };
        match store.finish_trial(trial, self.me, &finish) {
            Ok(()) => Ok(ended),
            Err(StoreError::NotHeld(_)) => Ok(Ended::Lost),
            Err(e) => Err(e).context("recording the end of a trial"),
        }
    }
}

/// Writes the trainer's epochs into the store as they end, and stops training where the
/// store prunes the trial.
struct Recorder<'a> {
    store: &'a mut Store,
    trial: TrialId,
    me: &'a WorkerInfo,
    /// The sweep's rung rule, when it has `early_terminate`.
    rule: Option<&'a dyn RungRule>,
    /// Whether the stored epochs were made to match the checkpoint yet.
    started: bool,
    /// Whether the store pruned the trial at a rung.
    pruned: bool,
    /// The first store error; training stops at it.
    error: Option<StoreError>,
}

impl Recorder<'_> {
    fn on_event(&mut self, event: TrainEvent) -> ControlFlow<()> {
        let written = match event {
            TrainEvent::Resumed { epochs, .. } => {
                self.started = true;
                self.store
                    .start_epochs(self.trial, self.me, epochs, self.rule)
            }
            TrainEvent::EpochStarted { .. } if !self.started => {
                self.started = true;
                self.store.start_epochs(self.trial, self.me, &[], self.rule)
            }
            TrainEvent::EpochFinished(m) => {
                self.store.record_epoch(self.trial, self.me, m, self.rule)
            }
            TrainEvent::Replayed(steps) => self
                .store
                .start_steps(self.trial, self.me, steps, self.rule),
            TrainEvent::StepReported { metrics, again } => {
                let write = if again {
                    StepWrite::Merge
                } else {
                    StepWrite::Replace
                };
                self.store
                    .record_step(self.trial, self.me, metrics, write, self.rule)
            }
            _ => Ok(RungDecision::NotARung),
        };
        match written {
            Ok(RungDecision::Prune) => {
                self.pruned = true;
                ControlFlow::Break(())
            }
            Ok(_) => ControlFlow::Continue(()),
            Err(e) => {
                self.error = Some(e);
                ControlFlow::Break(())
            }
        }
    }
}

/// A side thread that keeps the trial's heartbeat fresh while it trains (an epoch on real
/// data takes minutes; the heartbeat must not wait for it).
struct Heartbeat {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<()>,
    lost: Arc<AtomicBool>,
}

impl Heartbeat {
    fn start(runs: &Runs, trial: TrialId, me: WorkerInfo) -> Heartbeat {
        let (stop, stopped) = mpsc::channel::<()>();
        let lost = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&lost);
        let runs = runs.clone();
        let thread = std::thread::spawn(move || {
            let Ok(mut store) = runs.open() else {
                return;
            };
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(HEARTBEAT_EVERY) {
                if let Err(StoreError::NotHeld(_)) = store.heartbeat(trial, &me) {
                    flag.store(true, Ordering::SeqCst);
                    return;
                }
            }
        });
        Heartbeat { stop, thread, lost }
    }

    /// True once the store says another worker holds the trial.
    fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    fn finish(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}
