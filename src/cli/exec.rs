//! `sweep exec`: one tracked run of the user's own program, outside any search.

use crate::metric::{Goal, MetricName};
use crate::orchestrate::{self, ExecOptions};
use crate::runs::Runs;
use crate::store::TrialState;

/// Arguments of `sweep exec`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example: sweep exec --name baseline -- python train.py --lr 0.01\n\n\
The program gets the environment of a program trial (SWEEP_METRICS, SWEEP_TRIAL_DIR, ...; see \
the README) and `import wandb` gets the offline stand-in. The same name again resumes an \
unfinished run."
)]
pub struct Args {
    /// The run's name: status, leaderboard, report and compare know it by this name.
    #[arg(long)]
    name: String,
    /// The metric that names the run's best step [default: loss].
    #[arg(long, default_value = "loss")]
    metric: MetricName,
    /// Which way the metric improves [default: the metric's own; minimize for most names].
    #[arg(long, value_parser = parse_goal)]
    goal: Option<Goal>,
    /// Keep the offline W&B stand-in off the program's PYTHONPATH.
    #[arg(long, env = "SWEEP_NO_WANDB")]
    no_wandb: bool,
    /// The program and its arguments.
    #[arg(last = true, required = true, value_name = "PROGRAM ARGS")]
    command: Vec<String>,
}

fn parse_goal(text: &str) -> Result<Goal, String> {
    Goal::parse(text).ok_or_else(|| format!("`{text}` is not a goal: maximize or minimize"))
}

/// Run `sweep exec`.
pub fn run(args: Args, runs: &Runs) -> anyhow::Result<()> {
    let options = ExecOptions {
        name: args.name,
        command: args.command,
        metric: args.metric,
        goal: args.goal,
        runs: runs.clone(),
        no_wandb: args.no_wandb,
    };
    let stop = super::signals::stop_signal(true)?;
    let summary = orchestrate::exec_run(&options, &stop, &|line| eprintln!("{line}"))?;
    let store = super::open_read_only(runs)?;
    let trial = store
        .trials(summary.sweep.id)?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("run `{}` has no trial", summary.sweep.name))?;
    let best = match (trial.best_metric, trial.best_epoch) {
        (Some(value), Some(step)) => {
            format!("; best {} {value:.4} at step {step}", summary.sweep.metric)
        }
        _ => format!("; it reported no `{}`", summary.sweep.metric),
    };
    let db = super::run::db_flag(runs);
    eprintln!(
        "run {}: {}{best}; see `sweep status {}{db}`",
        summary.sweep.name,
        trial.state.as_str(),
        summary.sweep.name,
    );
    match trial.state {
        TrialState::Completed => Ok(()),
        TrialState::Interrupted if summary.worker.stopped => Err(orchestrate::Interrupted {
            sweep: summary.sweep.name.clone(),
            left: 1,
        }
        .into()),
        _ => anyhow::bail!(
            "run `{}` {}{}",
            summary.sweep.name,
            trial.state.as_str(),
            trial.error.map(|e| format!(": {e}")).unwrap_or_default()
        ),
    }
}
