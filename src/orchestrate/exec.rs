//! `sweep exec`: one tracked run of the user's own program, outside any search (W&B tracks
//! runs outside sweeps too). It is stored as a sweep of one trial whose file names the
//! command, so status, leaderboards, reports and comparisons read it as they read any trial;
//! the worker runs in this process and shows the program's output as it runs.

use anyhow::Context;

use super::new_sweep;
use super::process::StopSignal;
use super::trainer::program::program_to_run;
use super::worker::{WorkerOptions, WorkerSummary, run_worker};
use crate::backend::{self, DeviceArg};
use crate::metric::{Goal, MetricName};
use crate::runs::Runs;
use crate::spec::Spec;
use crate::store::{StateCounts, SweepRecord};
use crate::train::params::BuiltIn;

/// What `sweep exec` is told.
#[derive(Clone, Debug)]
pub struct ExecOptions {
    /// The run's name (a sweep of one trial).
    pub name: String,
    /// The command: the program and its arguments, as given.
    pub command: Vec<String>,
    /// The metric that names the run's best step.
    pub metric: MetricName,
    /// Which way it improves (default: the metric's own).
    pub goal: Option<Goal>,
    /// The run database and its folder of files.
    pub runs: Runs,
    /// Keep the W&B stand-in off the program.
    pub no_wandb: bool,
}

/// How a tracked run ended.
#[derive(Clone, Debug)]
pub struct ExecSummary {
    /// The run, as stored.
    pub sweep: SweepRecord,
    /// Its one trial's state.
    pub counts: StateCounts,
    /// What the worker did.
    pub worker: WorkerSummary,
}

/// The sweep file of a tracked run: its command as literal words, no parameters.
pub fn exec_spec_text(options: &ExecOptions) -> String {
    let words: Vec<String> = options
        .command
        .iter()
        .map(|w| serde_json::Value::String(w.clone()).to_string())
        .collect();
    let goal = options
        .goal
        .unwrap_or_else(|| options.metric.default_goal());
    format!(
        "# written by `sweep exec`: one tracked run of the command below\n\
         name: {name}\n\
         method: grid\n\
         metric: {{name: {metric}, goal: {goal}}}\n\
         command: [{words}]\n",
        name = serde_json::Value::String(options.name.clone()),
        metric = serde_json::Value::String(options.metric.as_str().to_string()),
        words = words.join(", "),
    )
}

/// Record and run the program once (or resume the run of that name), with its output shown.
pub fn exec_run(
    options: &ExecOptions,
    stop: &StopSignal,
    log: &dyn Fn(&str),
) -> anyhow::Result<ExecSummary> {
    let text = exec_spec_text(options);
    let spec = Spec::parse(&text, "the command of `sweep exec`", &BuiltIn)?;
    let program = spec
        .program
        .as_ref()
        .context("`sweep exec` needs a command to run")?;
    let record = program_to_run(&options.runs, &spec, program)?;
    let mut store = options
        .runs
        .open()
        .with_context(|| format!("opening the run database {}", options.runs.db()))?;
    let (sweep, _) = store.create_or_open_sweep(&new_sweep(
        &spec,
        text,
        std::path::PathBuf::new(),
        None,
        Some(record),
    ))?;
    let worker = WorkerOptions {
        runs: options.runs.clone(),
        sweep: sweep.name.clone(),
        device: DeviceArg::Cpu,
        threads: backend::all_cores(),
        fake_epoch: None,
        coordinator: None,
        job: None,
        no_wandb: options.no_wandb,
        echo: true,
    };
    let summary = run_worker(&worker, stop, log)?;
    let counts = store.state_counts(sweep.id)?;
    Ok(ExecSummary {
        sweep,
        counts,
        worker: summary,
    })
}
