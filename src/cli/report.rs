//! `sweep report NAME [-o FILE] [--png DIR]`: the sweep's self-contained HTML report, and its
//! charts as PNG files.

use std::path::{Path, PathBuf};

use crate::report::html;
use crate::runs::Runs;

/// Arguments of `sweep report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The sweep.
    name: String,
    /// Where to write the report [default: reports/NAME.html].
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Also write every chart of the report as a PNG file into this folder.
    #[arg(long, value_name = "DIR")]
    png: Option<PathBuf>,
}

/// Run `sweep report`.
pub fn run(args: Args, runs: &Runs) -> anyhow::Result<()> {
    let out = args
        .output
        .unwrap_or_else(|| html::report_file(Path::new(super::DEFAULT_REPORTS), &args.name));
    html::write_report(runs, &args.name, &out)?;
    println!("report: {}", out.display());
    if let Some(dir) = &args.png {
        let written = html::write_pngs(runs, &args.name, dir)?;
        println!("{written} PNG charts: {}", dir.display());
    }
    Ok(())
}
