//! `sweep data synth` and `sweep data prepare`.

use std::path::PathBuf;
use std::time::Instant;

use clap::Subcommand;

use crate::data::PreparedData;
use crate::data::synth::{self, SynthOptions};
use crate::runs::Runs;

/// The data subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write synthetic DREAM-format data with a known noise ceiling.
    Synth {
        /// Number of sequences.
        #[arg(long)]
        rows: u64,
        /// Seed of every random draw.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Include ~1% of lines the reference's filter removes (indels, N bases).
        #[arg(long)]
        messy: bool,
        /// Output file (a FILE.meta.json is written beside it).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Parse, filter and cache a DREAM-format file once, for every trial and worker.
    Prepare {
        /// The DREAM-format file (SEQUENCE<TAB>EXPRESSION per line).
        file: PathBuf,
        /// Folder of prepared caches [default: `cache` in the folder of trial files (see
        /// `--runs`), where the workers of a sweep on the same `--db` look for it].
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
    },
}

/// Run a data subcommand; `runs` says where prepared data goes unless `--cache-dir` does.
pub fn run(command: Command, runs: &Runs) -> anyhow::Result<()> {
    match command {
        Command::Synth {
            rows,
            seed,
            messy,
            output,
        } => {
            let summary = synth::write_synthetic(&output, &SynthOptions { rows, seed, messy })?;
            println!(
                "wrote {} rows to {}; noise ceiling (R² of the noise-free signal): {:.4}",
                summary.rows,
                output.display(),
                summary.noise_ceiling_r2
            );
            Ok(())
        }
        Command::Prepare { file, cache_dir } => {
            let cache_dir = cache_dir.unwrap_or_else(|| runs.cache_dir());
            let started = Instant::now();
            let (data, rebuilt) = PreparedData::open_or_prepare(&file, &cache_dir)?;
            let header = data.header();
            let what = if rebuilt { "prepared" } else { "up to date" };
            println!(
                "{}: {what} in {:.1} s ({})",
                file.display(),
                started.elapsed().as_secs_f64(),
                cache_dir.display()
            );
            println!("{}", header.counts);
            println!(
                "expression mean {:.4}, std {:.4} (the scaler, fitted on all kept rows)",
                header.scaler.mean, header.scaler.std
            );
            Ok(())
        }
    }
}
