//! What the store takes and hands out: ids, new sweeps and trials, and owned snapshots of
//! sweeps, trials, rungs and evaluations.

use super::*;

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
    /// The header of the prepared data set as JSON (`data::CacheHeader::from_json` reads it;
    /// `None` when training is faked). The store keeps it as it is given.
    pub data_header: Option<String>,
    /// The user's program its trials run; `None` for the built-in model.
    pub program: Option<ProgramRecord>,
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
    pub sampled_from: Option<String>,
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
    /// The header of the prepared data set as JSON, as it was given (filter counts, the scaler
    /// all trials share: `data::CacheHeader::from_json` reads it).
    pub data_header: Option<String>,
    /// The user's program its trials run; `None` for the built-in model.
    pub program: Option<ProgramRecord>,
}

/// The user's program a sweep's trials run (`program`/`command` in its file), as `sweep run`
/// resolved it: every worker, wherever it runs, starts the same file in the same folder.
#[derive(Clone, Debug, PartialEq)]
pub struct ProgramRecord {
    /// The program file, resolved against `workdir`; `None` when the command names none.
    pub path: Option<PathBuf>,
    /// The folder programs run in: where `sweep run` was started.
    pub workdir: PathBuf,
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

    pub(super) fn add(&mut self, state: TrialState, n: usize) {
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

/// How [`Store::record_step`] writes a step a program reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepWrite {
    /// The first line of this step in this attempt: it replaces the trial's rows from its
    /// step on.
    Replace,
    /// Another line of the step last written: its values are added to that step's.
    Merge,
}
