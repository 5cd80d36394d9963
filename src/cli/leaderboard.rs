//! `sweep leaderboard NAME [--top K] [--format table|csv|json] [--by-combination]`: trials
//! ranked by the metric, or parameter combinations ranked by the mean of their replicates.

use std::io::IsTerminal;

use crate::report::SweepSnapshot;
use crate::report::combinations::Combinations;
use crate::report::leaderboard::{Format, Leaderboard, exporter};
use crate::runs::Runs;

/// Arguments of `sweep leaderboard`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The sweep.
    name: String,
    /// Show only the best K trials (combinations with --by-combination).
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..))]
    top: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// One row per parameter combination (the replicates of `replicates: K`): completed
    /// trials, mean, sd, min and max of their best metric, ranked by the mean.
    #[arg(long)]
    by_combination: bool,
}

/// Run `sweep leaderboard`.
pub fn run(args: Args, runs: &Runs) -> anyhow::Result<()> {
    let store = super::open_read_only(runs)?;
    let snapshot = SweepSnapshot::load(&store, &args.name)?;
    let top = args.top.map(|k| usize::try_from(k).unwrap_or(usize::MAX));
    if args.by_combination {
        let groups = Combinations::from_snapshot(&snapshot)?.top(top);
        return super::write_stdout(&groups.serialize(args.format)?);
    }
    let board = Leaderboard::from_snapshot(&snapshot)?.top(top);
    // Bold is for people: a file or a pipe gets plain bytes.
    let bytes = exporter(args.format, std::io::stdout().is_terminal()).serialize(&board)?;
    super::write_stdout(&bytes)
}
