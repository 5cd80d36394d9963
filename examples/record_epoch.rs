//! Micro-benchmark of the cost of recording one epoch (BENCHMARKS.md figure 4): a worker's
//! `Store::record_epoch` on a real SQLite file (WAL, fsync as configured by the store),
//! for a trial of a sweep that already holds `TRIALS` trials of `EPOCHS` epochs each, so the
//! best-epoch update sees a realistically filled table.
//!
//! Run with `cargo run --release --example record_epoch [-- ROUNDS]`; prints one JSON line
//! with the median, 10th and 90th percentile microseconds of a call. Used by
//! `bench/orchestration`; not a test (timings are never asserted).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use sweep::metric::EpochMetrics;
use sweep::metric::{Goal, MetricName};
use sweep::store::{Database, NewSweep, NewTrial, Store, WorkerInfo};

/// Trials already in the sweep, each with `EPOCHS` recorded epochs.
const TRIALS: usize = 200;
const EPOCHS: usize = 20;

fn metrics(epoch: usize) -> EpochMetrics {
    let r2 = 1.0 - 1.0 / (epoch as f64 + 1.0);
    EpochMetrics {
        epoch,
        train_loss: 1.0 / epoch as f64,
        val_loss: 1.0 - r2,
        val_r2: r2,
        val_pearson: r2.sqrt(),
        val_spearman: r2.sqrt(),
        learning_rate: 0.003,
        seconds: 1.0,
        samples_per_s: 1000.0,
        extra: Default::default(),
    }
}

fn main() -> Result<()> {
    let rounds: usize = match std::env::args().nth(1) {
        Some(text) => text
            .parse()
            .with_context(|| format!("ROUNDS must be a whole number, got {text:?}"))?,
        None => 2000,
    };
    anyhow::ensure!(rounds > 0, "ROUNDS must be at least 1");
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(&Database::sqlite(dir.path().join("sweep.db")))?;
    let sweep = NewSweep {
        name: "bench".to_string(),
        spec_text: "name: bench\n".to_string(),
        spec_hash: "bench".to_string(),
        data_path: PathBuf::from("data.txt"),
        metric: MetricName::VAL_R2,
        goal: Goal::Maximize,
        data_header: None,
        program: None,
        trials: (1..=TRIALS + 1)
            .map(|number| NewTrial {
                number,
                seed: number as u64,
                params_json: "{}".to_string(),
            })
            .collect(),
    };
    let (sweep, _) = store.create_or_open_sweep(&sweep)?;
    let me = WorkerInfo {
        host: "bench".to_string(),
        pid: std::process::id(),
        device: "cpu".to_string(),
        threads: 1,
        job: None,
    };
    let alive: &dyn Fn(&str, u32) -> bool = &|_, _| false;
    let hold = Duration::from_secs(3600);
    for _ in 0..TRIALS {
        let trial = store
            .claim_next(sweep.id, &me, hold, alive)?
            .context("a planned trial to fill")?;
        for epoch in 1..=EPOCHS {
            store.record_epoch(trial.id, &me, &metrics(epoch), None)?;
        }
    }
    let trial = store
        .claim_next(sweep.id, &me, hold, alive)?
        .context("the timed trial")?;
    let mut micros = Vec::with_capacity(rounds);
    for epoch in 1..=rounds {
        let start = Instant::now();
        store.record_epoch(trial.id, &me, &metrics(epoch), None)?;
        micros.push(start.elapsed().as_secs_f64() * 1e6);
    }
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q).round() as usize];
    println!(
        "{{\"what\":\"record_epoch\",\"rounds\":{rounds},\"median_us\":{:.1},\"p10_us\":{:.1},\"p90_us\":{:.1}}}",
        at(0.5),
        at(0.1),
        at(0.9)
    );
    Ok(())
}
