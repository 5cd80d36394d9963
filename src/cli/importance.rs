//! `sweep importance NAME [--format table|json] [--detect DELTA]`: what mattered, with the
//! uncertainty seed noise leaves (see [`crate::report::importance`]).

use crate::report::SweepSnapshot;
use crate::report::importance::{self, analyze_snapshot};
use crate::runs::Runs;

/// Output formats of `sweep importance`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Text for a terminal: verdicts, tables of values with 95% intervals.
    Table,
    /// The whole analysis as a JSON object, at full precision.
    Json,
}

/// Arguments of `sweep importance`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The sweep.
    name: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Size replicates to detect this difference in the metric (default: each parameter's
    /// observed best-minus-worst difference).
    #[arg(long, value_name = "DELTA", value_parser = positive)]
    detect: Option<f64>,
}

/// A positive finite number.
fn positive(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x > 0.0 && x.is_finite() => Ok(x),
        _ => Err(format!("`{text}` is not a positive number")),
    }
}

/// Run `sweep importance`.
pub fn run(args: Args, runs: &Runs) -> anyhow::Result<()> {
    let store = super::open_read_only(runs)?;
    let snapshot = SweepSnapshot::load(&store, &args.name)?;
    drop(store);
    let analysis = analyze_snapshot(&snapshot, args.detect)?;
    let bytes = match args.format {
        Format::Table => importance::table(&args.name, &analysis).into_bytes(),
        Format::Json => {
            let mut out = serde_json::to_vec_pretty(&analysis)?;
            out.push(b'\n');
            out
        }
    };
    super::write_stdout(&bytes)
}
