//! The command line: one module per subcommand, each with its `Args` and `run`.

mod cancel;
mod compare;
mod data;
mod db;
mod evaluate;
mod exec;
mod importance;
mod leaderboard;
mod predict;
mod progress;
mod report;
mod run;
mod signals;
mod status;
mod train;
mod ui;
mod worker;

use std::io::{ErrorKind, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::report::ReportError;
use crate::runs::Runs;
use crate::store::{Database, Store, StoreError};

/// Hyperparameter sweeps of DNA sequence-to-expression models, recorded locally.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// The run database: a SQLite file, or `postgres://user@host/dbname` (a database many
    /// machines share; see the README's "On a cluster").
    #[arg(long, global = true, default_value = DEFAULT_DB, value_name = "PATH|URL")]
    pub db: Database,
    /// The folder of trial files (checkpoints, weights, logs, data caches) [default: the
    /// SQLite file's folder, or ./runs with PostgreSQL].
    #[arg(long, global = true, value_name = "DIR")]
    pub runs: Option<PathBuf>,
}

/// Where `sweep report` and `sweep run` write reports.
pub(crate) const DEFAULT_REPORTS: &str = "reports";

/// The run database unless `--db` says otherwise.
pub(crate) const DEFAULT_DB: &str = "runs/sweeps.db";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Predictions of a sweep's best (or a given) trial for a file of sequences.
    Predict(predict::Args),
    /// Write a sweep's self-contained HTML report (default reports/NAME.html).
    Report(report::Args),
    /// Create a sweep from a sweep file (or resume it) and run it with parallel workers.
    Run(run::Args),
    /// One worker process: claim a trial, train it, record it, repeat (`run` starts these).
    Worker(worker::Args),
    /// Cancel a sweep's Slurm jobs: their workers checkpoint and mark their trials interrupted.
    Cancel(cancel::Args),
    /// Train one trial outside any sweep (for trying a configuration).
    Train(train::Args),
    /// Make or prepare DREAM-format data.
    #[command(subcommand)]
    Data(data::Command),
    /// Run databases: copy sweeps between SQLite and PostgreSQL.
    #[command(subcommand)]
    Db(db::Command),
    /// Sweeps, or one sweep's trials by state, with the best so far.
    Status(status::Args),
    /// A sweep's trials ranked by its metric.
    Leaderboard(leaderboard::Args),
    /// What mattered: each swept parameter's effect on the metric against seed noise.
    Importance(importance::Args),
    /// Trials of a sweep side by side: parameters, best metrics, curves.
    Compare(compare::Args),
    /// Score predictions against measured expression: Pearson r, r², Spearman, MSE.
    Evaluate(evaluate::Args),
    /// One tracked run of your own program, outside any search (`-- python train.py ...`).
    Exec(exec::Args),
    /// A live, read-only web dashboard of every sweep and run in the database.
    Ui(ui::Args),
}

/// Run the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let runs = Runs::new(cli.db, cli.runs);
    match cli.command {
        Command::Run(args) => run::run(args, &runs),
        Command::Predict(args) => predict::run(args, &runs),
        Command::Report(args) => report::run(args, &runs),
        Command::Worker(args) => worker::run(args, &runs),
        Command::Cancel(args) => cancel::run(args, &runs),
        Command::Train(args) => train::run(args, &runs),
        Command::Data(command) => data::run(command, &runs),
        Command::Db(command) => db::run(command),
        Command::Status(args) => status::run(args, &runs),
        Command::Leaderboard(args) => leaderboard::run(args, &runs),
        Command::Importance(args) => importance::run(args, &runs),
        Command::Compare(args) => compare::run(args, &runs),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Exec(args) => exec::run(args, &runs),
        Command::Ui(args) => ui::run(args, &runs),
    }
}

/// Open the run database for a view: read-only, so that a view never blocks or changes a
/// running sweep.
fn open_read_only(runs: &Runs) -> anyhow::Result<Store> {
    runs.open_read_only().map_err(|error| match error {
        // Already names the file and says what to do.
        StoreError::Missing(_) => anyhow::Error::new(error),
        other => anyhow::Error::new(other).context(format!("reading run database {}", runs.db())),
    })
}

/// Write a command's output to stdout. A reader that closes the pipe early (`| head`) has
/// what it wanted, so a broken pipe ends the command successfully (ripgrep's rule).
fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(error) if error.kind() == ErrorKind::BrokenPipe => Ok(()),
        result => result.context("writing to stdout"),
    }
}

/// The exit code for an error: 2 when the input is the user's to fix, 130 when the user
/// interrupted a sweep, 1 for any other failure.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if error.is::<crate::orchestrate::Interrupted>() {
        130
    } else if is_bad_input(error) {
        2
    } else {
        1
    }
}

/// Whether an error is the user's to fix (bad input: exit code 2) rather than a failure.
pub fn is_bad_input(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.is::<crate::data::DataError>()
            || cause.is::<crate::train::ParamError>()
            || cause.is::<crate::spec::SpecError>()
            || crate::inference::predict::is_bad_input(cause)
            || cause.is::<crate::inference::evaluate::EvaluateError>()
            || cause.is::<crate::backend::BadDevice>()
            || cause.is::<crate::backend::Unavailable>()
            || cause.is::<crate::orchestrate::trainer::program::ProgramError>()
            || cause.is::<db::SameDatabase>()
            || cause.is::<crate::ui::UiError>()
            || cause
                .downcast_ref::<crate::orchestrate::SlurmError>()
                .is_some_and(crate::orchestrate::SlurmError::is_bad_input)
            || cause
                .downcast_ref::<StoreError>()
                .is_some_and(StoreError::is_bad_input)
            || cause
                .downcast_ref::<ReportError>()
                .is_some_and(ReportError::is_bad_input)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn store_and_report_errors_a_user_can_fix_are_bad_input() {
        let no_sweep = StoreError::NoSuchSweep("s".to_string());
        assert!(is_bad_input(
            &anyhow::Error::new(no_sweep).context("reading")
        ));
        let missing = ReportError::Store(StoreError::Missing(PathBuf::from("x.db")));
        assert!(is_bad_input(&anyhow::Error::new(missing)));
        let not_held = StoreError::NotHeld(crate::store::TrialId(1));
        assert!(!is_bad_input(&anyhow::Error::new(not_held)));
    }
}
