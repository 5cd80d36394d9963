//! `sweep compare NAME TRIAL... [--png FILE]`: trials side by side, parameters, best metrics and
//! curves; with `--png`, their curves overlaid in an image.

use std::path::PathBuf;

use crate::report::compare::Comparison;
use crate::runs::Runs;

/// Arguments of `sweep compare`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The sweep.
    name: String,
    /// The trials' numbers (as `sweep leaderboard` shows them).
    #[arg(required = true, value_name = "TRIAL")]
    trials: Vec<usize>,
    /// Also write the trials' val_r2 and val_loss curves, overlaid, side by side, to this PNG.
    #[arg(long, value_name = "FILE")]
    png: Option<PathBuf>,
}

/// Run `sweep compare`.
pub fn run(args: Args, runs: &Runs) -> anyhow::Result<()> {
    let store = super::open_read_only(runs)?;
    let comparison = Comparison::load(&store, &args.name, &args.trials)?;
    super::write_stdout(comparison.render().as_bytes())?;
    if let Some(file) = &args.png {
        comparison.overlay_chart().write_png(file)?;
        println!("curves: {}", file.display());
    }
    Ok(())
}
