//! The command line: one module per subcommand, each with its `Args` and `run`.

mod data;
mod train;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Hyperparameter sweeps of DNA sequence-to-expression models, recorded locally.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
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
        Command::Train(args) => train::run(args),
        Command::Data(command) => data::run(command),
    }
}

/// Whether an error is the user's to fix (bad input: exit code 2) rather than a failure.
pub fn is_bad_input(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.is::<crate::data::DataError>() || cause.is::<crate::train::ParamError>())
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
