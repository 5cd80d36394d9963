//! The command line: one module per subcommand, each with its `Args` and `run`.

mod data;
mod run;
mod train;
mod worker;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Hyperparameter sweeps of DNA sequence-to-expression models, recorded locally.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// The run database.
    #[arg(long, global = true, default_value = DEFAULT_DB)]
    pub db: PathBuf,
}

/// The run database unless `--db` says otherwise.
pub(crate) const DEFAULT_DB: &str = "runs/sweeps.db";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a sweep from a sweep file (or resume it) and run it with parallel workers.
    Run(run::Args),
    /// One worker process: claim a trial, train it, record it, repeat (`run` starts these).
    Worker(worker::Args),
    /// Train one trial outside any sweep (for trying a configuration).
    Train(train::Args),
    /// Make or prepare DREAM-format data.
    #[command(subcommand)]
    Data(data::Command),
}

/// Where prepared data caches go unless `--cache-dir` says otherwise.
pub(crate) fn default_cache_dir() -> PathBuf {
    PathBuf::from("runs/cache")
}

/// Run the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(args) => run::run(args, &cli.db),
        Command::Worker(args) => worker::run(args, &cli.db),
        Command::Train(args) => train::run(args),
        Command::Data(command) => data::run(command),
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
            || cause.is::<crate::backend::BadDevice>()
            || cause.is::<crate::backend::NoGpuSupport>()
            || cause
                .downcast_ref::<crate::store::StoreError>()
                .is_some_and(crate::store::StoreError::is_bad_input)
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
}
