//! `sweep compare NAME TRIAL...`: trials side by side, parameters, best metrics and curves.

use std::path::Path;

use crate::report::compare::Comparison;

/// Arguments of `sweep compare`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The sweep.
    name: String,
    /// The trials' numbers (as `sweep leaderboard` shows them).
    #[arg(required = true, value_name = "TRIAL")]
    trials: Vec<usize>,
}

/// Run `sweep compare`.
pub fn run(args: Args, db: &Path) -> anyhow::Result<()> {
    let store = super::open_read_only(db)?;
    let comparison = Comparison::load(&store, &args.name, &args.trials)?;
    super::write_stdout(comparison.render().as_bytes())
}
