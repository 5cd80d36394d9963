//! `sweep predict`: the best (or a given) trial's predictions for a file of sequences, in
//! expression units.

use std::path::PathBuf;

use crate::backend;
use crate::inference::predict::{self, Request};
use crate::runs::Runs;

/// Arguments of `sweep predict`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The sweep whose trial predicts.
    #[arg(long)]
    sweep: String,
    /// The trial [default: the sweep's best completed trial].
    #[arg(long)]
    trial: Option<usize>,
    /// Sequences to predict, one per line (DREAM format; the expression column may be absent).
    #[arg(long)]
    input: PathBuf,
    /// Where to write `SEQUENCE<TAB>PREDICTION` lines, in input order.
    #[arg(short, long)]
    output: PathBuf,
    /// Pad or trim sequences that are not 110 nt (both flanks kept in place) and encode bases
    /// other than A/C/G/T as zeros, instead of refusing them.
    #[arg(long)]
    pad: bool,
    /// Average each prediction with the prediction for the reverse complement (always done
    /// for a trial trained with `rc_average=true`).
    #[arg(long)]
    rc_average: bool,
    /// CPU threads [default: all cores].
    #[arg(long)]
    threads: Option<usize>,
}

/// Run `sweep predict`.
pub fn run(args: Args, runs: &Runs) -> anyhow::Result<()> {
    backend::set_cpu_threads(args.threads.unwrap_or_else(backend::all_cores))?;
    let store = super::open_read_only(runs)?;
    let sweep = store.sweep(&args.sweep)?;
    let trial = predict::choose_trial(&store, &sweep, args.trial)?;
    let request = Request {
        input: &args.input,
        output: &args.output,
        pad: args.pad,
        rc_average: args.rc_average,
    };
    let done = predict::predict_file(runs, &sweep, &trial, &request)?;
    println!(
        "trial {} ({} {}): {} predictions{} -> {} in {:.1} s ({:.0} sequences/s)",
        trial.number,
        sweep.metric,
        trial
            .best_metric
            .map_or("-".to_string(), |m| format!("{m:.4}")),
        done.sequences,
        if done.rc_averaged {
            ", averaged with reverse complements"
        } else {
            ""
        },
        args.output.display(),
        done.seconds,
        done.sequences as f64 / done.seconds
    );
    if let Some(line) = done.padding_note() {
        println!("{line}");
    }
    Ok(())
}
