//! `sweep predict`: the best (or a given) trial's predictions for a file of sequences, in
//! expression units.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;

use crate::backend;
use crate::data::{PreparedData, Scaler};
use crate::orchestrate::{cache_dir, trial_dir};
use crate::predict::{self, PredictError};
use crate::search::ParamSet;
use crate::store::{Store, SweepRecord, TrialRecord, TrialState};

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
    /// Average each prediction with the prediction for the reverse complement.
    #[arg(long)]
    rc_average: bool,
    /// CPU threads [default: all cores].
    #[arg(long)]
    threads: Option<usize>,
}

/// A trial that cannot predict. Bad user input: exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum TrialChoiceError {
    /// No trial of that number.
    #[error("sweep `{sweep}` has no trial {number}")]
    UnknownTrial {
        /// The sweep.
        sweep: String,
        /// The number asked for.
        number: usize,
    },
    /// Nothing completed yet.
    #[error("sweep `{0}` has no completed trial with a metric yet; pass --trial to use another")]
    NothingCompleted(String),
    /// No weights saved for the trial.
    #[error(
        "trial {number} of sweep `{sweep}` has no saved weights ({path}); it has not finished an epoch"
    )]
    WeightsMissing {
        /// The sweep.
        sweep: String,
        /// The trial.
        number: usize,
        /// Where they would be.
        path: String,
    },
    /// The sweep's data set was never prepared (fake training), so there is no scaler.
    #[error(
        "sweep `{0}` has no recorded data set (it was run with the fake trainer), so its predictions cannot be put in expression units"
    )]
    ScalerMissing(String),
}

/// Run `sweep predict`.
pub fn run(args: Args, db: &Path) -> anyhow::Result<()> {
    backend::set_cpu_threads(args.threads.unwrap_or_else(backend::all_cores))?;
    let store = super::open_read_only(db)?;
    let sweep = store.sweep(&args.sweep)?;
    let trial = choose_trial(&store, &sweep, args.trial)?;
    let dir = trial_dir(db, &sweep.name, trial.number);
    if !dir.join(crate::train::checkpoint::BEST_MODEL_FILE).exists() {
        return Err(TrialChoiceError::WeightsMissing {
            sweep: sweep.name.clone(),
            number: trial.number,
            path: dir.display().to_string(),
        }
        .into());
    }
    let scaler = scaler_of(&sweep, db)?;
    let params = ParamSet::from_json(&trial.params_json)
        .with_context(|| format!("the stored parameters of trial {}", trial.number))?
        .to_trial_params()?;

    let started = Instant::now();
    let sequences = predict::read_sequences(&args.input, args.pad)?;
    let device = backend::training_device().inner();
    let model = predict::load_model(&dir, &params.model, &device)?;
    let standardized = predict::predict(&model, &sequences.codes, args.rc_average, &device);
    predict::write_predictions(&args.output, &sequences, &standardized, &scaler)?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "trial {} ({} {}): {} predictions{} -> {} in {seconds:.1} s ({:.0} sequences/s)",
        trial.number,
        sweep.metric,
        trial
            .best_metric
            .map_or("-".to_string(), |m| format!("{m:.4}")),
        sequences.codes.len(),
        if args.rc_average {
            ", averaged with reverse complements"
        } else {
            ""
        },
        args.output.display(),
        sequences.codes.len() as f64 / seconds
    );
    if sequences.changed > 0 {
        println!(
            "--pad changed {} sequence(s): {} padded or trimmed to 110 nt, {} with bases other than A/C/G/T encoded as zeros",
            sequences.changed, sequences.resized, sequences.other_bases
        );
    }
    Ok(())
}

/// The scaler every trial of the sweep trained with: recorded with the sweep, or (for a sweep
/// recorded before that) read from its data set's cache.
fn scaler_of(sweep: &SweepRecord, db: &Path) -> anyhow::Result<Scaler> {
    if let Some(header) = &sweep.data_header {
        return Ok(header.scaler);
    }
    if !sweep.data_path.exists() {
        return Err(TrialChoiceError::ScalerMissing(sweep.name.clone()).into());
    }
    let (data, _) = PreparedData::open_or_prepare(&sweep.data_path, &cache_dir(db))?;
    Ok(data.header().scaler)
}

/// The given trial, or the best completed one by the sweep's metric.
fn choose_trial(
    store: &Store,
    sweep: &SweepRecord,
    number: Option<usize>,
) -> anyhow::Result<TrialRecord> {
    if let Some(number) = number {
        return store.trial(sweep.id, number)?.ok_or_else(|| {
            TrialChoiceError::UnknownTrial {
                sweep: sweep.name.clone(),
                number,
            }
            .into()
        });
    }
    store
        .trials(sweep.id)?
        .into_iter()
        .filter(|t| t.state == TrialState::Completed)
        .filter_map(|t| t.best_metric.filter(|m| m.is_finite()).map(|m| (m, t)))
        .reduce(|best, next| {
            if sweep.goal.better(next.0, best.0) {
                next
            } else {
                best
            }
        })
        .map(|(_, t)| t)
        .ok_or_else(|| TrialChoiceError::NothingCompleted(sweep.name.clone()).into())
}

/// Whether an error is one of this command's bad-input errors.
pub fn is_bad_input(cause: &(dyn std::error::Error + 'static)) -> bool {
    cause.is::<PredictError>() || cause.is::<TrialChoiceError>()
}
