//! `sweep status [NAME]`: every sweep in a line, or one sweep's trials by state.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::report::{self, SweepSnapshot, status};
use crate::runs::Runs;

/// Arguments of `sweep status`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The sweep to show in detail (every sweep in a line when left out).
    name: Option<String>,
}

/// Run `sweep status`.
pub fn run(args: Args, runs: &Runs) -> anyhow::Result<()> {
    let store = super::open_read_only(runs)?;
    let text = match args.name {
        None => status::overview(&SweepSnapshot::all(&store)?)?,
        Some(name) => {
            let snapshot = SweepSnapshot::load(&store, &name)?;
            let mut text = status::detail(&snapshot, now())?;
            text.push_str(&status::jobs(&store.jobs(snapshot.sweep.id)?));
            for scored in store.evaluations(snapshot.sweep.id)? {
                text.push_str(&format!("\ntest set {}\n", report::test_scores(&scored)));
            }
            text
        }
    };
    super::write_stdout(text.as_bytes())
}

/// Seconds since 1970, for heartbeat ages (a clock before 1970 reads as 1970).
fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
