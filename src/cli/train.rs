//! `sweep train`: one trial outside any sweep, resumable by running the same command again.

use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use clap::ArgGroup;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::backend::{self, DeviceArg};
use crate::data::PreparedData;
use crate::data::synth;
use crate::metric::EpochMetrics;
use crate::runs::Runs;
use crate::train::{self, TrainEvent, TrainSettings, TrialEnd, TrialParams};

/// Arguments of `sweep train`.
#[derive(Debug, clap::Args)]
#[command(group(ArgGroup::new("source").required(true).args(["data", "synthetic"])))]
pub struct Args {
    /// Trial parameters as the sweep file names them: `batch_size=256,lstm_units=8,...`.
    #[arg(long, default_value = "")]
    params: String,
    /// A DREAM-format training file (prepared and cached on first use).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Train on this many rows of synthetic data instead (seeded by --seed).
    #[arg(long)]
    synthetic: Option<u64>,
    /// Folder for the checkpoint, best weights and metrics.csv
    /// [default: runs/train/<a name derived from the data, parameters and seed>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Stop after this many epochs at most.
    #[arg(long, default_value_t = 200)]
    max_epochs: usize,
    /// Stop after this many epochs without a better validation R².
    #[arg(long, default_value_t = 20)]
    patience: usize,
    /// Seed of the weights, batch order and dropout.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The device to train on: `cpu` (the default backend), `tch-cpu` or `cuda:N` (LibTorch,
    /// in a `--features tch` build). Resuming needs the same device to repeat the numbers.
    #[arg(
        long,
        visible_alias = "devices",
        env = "SWEEP_DEVICE",
        default_value = "cpu"
    )]
    device: DeviceArg,
    /// CPU threads [default: all cores]. Resuming needs the same count to repeat the numbers.
    #[arg(long)]
    threads: Option<usize>,
    /// Share of the data held out for validation, between 0 and 1.
    #[arg(long, default_value_t = 0.1, value_parser = fraction)]
    val_fraction: f64,
    /// Folder of prepared data caches [default: `cache` in the folder of trial files (see
    /// `--runs`), where the workers of a sweep on the same `--db` look for it].
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
}

/// A share strictly between 0 and 1 (clap reports a refusal as bad input: exit code 2).
fn fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x > 0.0 && x < 1.0 => Ok(x),
        _ => Err(format!("must be a number between 0 and 1, not {text}")),
    }
}

/// Run `sweep train`; `runs` says where prepared data goes unless `--cache-dir` does.
pub fn run(args: Args, runs: &Runs) -> anyhow::Result<()> {
    let params = TrialParams::parse(&args.params)?;
    let device = backend::device_for(args.device)?;
    let threads = args.threads.unwrap_or_else(backend::all_cores);
    backend::set_cpu_threads(threads)?;

    let cache_dir = args.cache_dir.unwrap_or_else(|| runs.cache_dir());
    let source = match (&args.data, args.synthetic) {
        (Some(file), _) => file.clone(),
        (None, Some(rows)) => synthetic_file(&cache_dir, rows, args.seed)?,
        (None, None) => unreachable!("clap requires --data or --synthetic"),
    };
    let (data, _) = PreparedData::open_or_prepare(&source, &cache_dir)?;
    println!("data: {} ({})", source.display(), data.header().counts);

    let settings = TrainSettings {
        max_epochs: args.max_epochs,
        patience: args.patience,
        seed: args.seed,
        val_fraction: args.val_fraction,
    };
    let out = match args.out {
        Some(out) => out,
        None => default_out_dir(&data, &params, &settings),
    };
    println!(
        "trial: {} parameters, batch {}, learning rate {}, seed {}, {}, {threads} threads -> {}",
        params
            .model
            .init(&device.clone().inner())
            .keras_parameter_count(),
        params.batch_size,
        params.learning_rate,
        settings.seed,
        args.device,
        out.display()
    );

    let mut display = EpochDisplay::new(settings.max_epochs);
    let end = train::train_trial(&data, &params, &settings, &out, &device, &mut |event| {
        display.show(event);
        ControlFlow::Continue(())
    })?;
    let TrialEnd::Finished(outcome) = end else {
        anyhow::bail!("training stopped before its end");
    };
    let best = &outcome.best;
    println!(
        "best epoch {}: val_r2 {:.4}, val_pearson {:.4}, val_loss {:.4}{}",
        best.epoch,
        best.val_r2,
        best.val_pearson,
        best.val_loss,
        if outcome.stopped_early {
            " (stopped early)"
        } else {
            ""
        }
    );
    println!(
        "metrics: {}, best weights: {}",
        out.join("metrics.csv").display(),
        out.join(train::checkpoint::BEST_MODEL_FILE).display()
    );
    Ok(())
}

/// Synthetic data for `--synthetic ROWS`, written once into the cache folder.
fn synthetic_file(cache_dir: &Path, rows: u64, seed: u64) -> anyhow::Result<PathBuf> {
    let (path, written) = synth::cached_synthetic_file(cache_dir, rows, seed)?;
    if let Some(summary) = written {
        println!(
            "synthetic data: {rows} rows, noise ceiling R² {:.4}",
            summary.noise_ceiling_r2
        );
    }
    Ok(path)
}

/// `runs/train/<hash>`: the same command finds the same folder, so rerunning it resumes.
fn default_out_dir(data: &PreparedData, params: &TrialParams, settings: &TrainSettings) -> PathBuf {
    let key = train::trial_key(data, params, settings);
    let hash = xxhash_rust::xxh3::xxh3_64(key.as_bytes());
    PathBuf::from("runs/train").join(format!("trial-{:08x}", hash as u32))
}

/// A line per epoch on stdout; a progress bar within the epoch on a terminal.
struct EpochDisplay {
    max_epochs: usize,
    bar: ProgressBar,
    best_r2: f64,
}

impl EpochDisplay {
    fn new(max_epochs: usize) -> Self {
        let bar = if std::io::stderr().is_terminal() {
            ProgressBar::new(0)
        } else {
            ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden())
        };
        bar.set_style(
            ProgressStyle::with_template("{prefix} {bar:30} {pos}/{len} batches {msg} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Self {
            max_epochs,
            bar,
            best_r2: f64::NEG_INFINITY,
        }
    }

    fn show(&mut self, event: TrainEvent) {
        match event {
            TrainEvent::Resumed {
                epochs,
                best_val_r2,
            } => {
                self.best_r2 = best_val_r2;
                self.bar.suspend(|| {
                    println!("resuming from the checkpoint after epoch {}", epochs.len());
                });
            }
            TrainEvent::EpochStarted { epoch, batches } => {
                self.bar.reset();
                self.bar.set_length(batches as u64);
                self.bar.set_prefix(format!("epoch {epoch}"));
            }
            TrainEvent::BatchFinished { loss } => {
                self.bar.set_message(format!("loss {loss:.4}"));
                self.bar.inc(1);
            }
            TrainEvent::EpochFinished(metrics) => {
                let line = self.epoch_line(metrics);
                self.bar.suspend(|| println!("{line}"));
            }
            // The built-in model reports epochs; these come from program trials only.
            TrainEvent::StepReported { .. }
            | TrainEvent::Replayed(_)
            | TrainEvent::StillRunning
            | TrainEvent::Note(_) => {}
        }
    }

    fn epoch_line(&mut self, m: &EpochMetrics) -> String {
        let best = m.val_r2 > self.best_r2;
        if best {
            self.best_r2 = m.val_r2;
        }
        format!(
            "epoch {:>3}/{}  train_loss {:.4}  val_loss {:.4}  val_r2 {:.4}  pearson {:.4}  \
             spearman {:.4}  {:.1} s  {:.0} samples/s{}",
            m.epoch,
            self.max_epochs,
            m.train_loss,
            m.val_loss,
            m.val_r2,
            m.val_pearson,
            m.val_spearman,
            m.seconds,
            m.samples_per_s,
            if best { "  *" } else { "" }
        )
    }
}
