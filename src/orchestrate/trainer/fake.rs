//! A stand-in trainer for tests of orchestration: an analytic learning curve, checkpointed and
//! resumed like the real one.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::{Trainer, TrialJob};
use crate::metric::EpochMetrics;
use crate::train::{Diverged, TrainEvent, TrainSettings, TrialEnd, TrialOutcome, TrialParams};

/// A stand-in trainer: an analytic learning curve of the parameters and seed, with a fixed
/// time per epoch, checkpointed and resumed like the real one. A learning rate of 1 or more
/// "diverges" in its first epoch, so tests can make a trial fail on purpose.
pub struct FakeTrainer {
    /// Wall time of one epoch.
    pub epoch_time: Duration,
}

/// Batches per fake epoch: the points where a stop request is honoured.
const FAKE_BATCHES: usize = 10;
const FAKE_CHECKPOINT: &str = "fake-checkpoint.json";

#[derive(Default, Serialize, Deserialize)]
struct FakeCheckpoint {
    epochs: Vec<EpochMetrics>,
}

impl FakeTrainer {
    fn checkpoint_path(dir: &Path) -> PathBuf {
        dir.join(FAKE_CHECKPOINT)
    }

    fn load(dir: &Path) -> anyhow::Result<FakeCheckpoint> {
        match std::fs::read(Self::checkpoint_path(dir)) {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FakeCheckpoint::default()),
            Err(e) => Err(e.into()),
        }
    }

    /// The curve: how good the parameters are, approached over epochs, plus seeded noise.
    fn epoch(params: &TrialParams, seed: u64, epoch: usize) -> EpochMetrics {
        let lr_miss = (params.learning_rate / 0.003).ln();
        let quality = 0.7
            - 0.04 * lr_miss * lr_miss
            - 0.3 * (params.model.dropout_dense - 0.2).powi(2)
            - 0.3 * (params.model.dropout_lstm - 0.1).powi(2);
        let noise_bits =
            xxhash_rust::xxh3::xxh3_64(&[seed.to_le_bytes(), epoch.to_le_bytes()].concat());
        let noise = (noise_bits as f64 / u64::MAX as f64 - 0.5) * 0.02;
        let val_r2 = quality * (1.0 - (-(epoch as f64) / 2.0).exp()) + noise;
        EpochMetrics {
            epoch,
            train_loss: 1.05 - val_r2,
            val_loss: 1.0 - val_r2,
            val_r2,
            val_pearson: val_r2.max(0.0).sqrt(),
            val_spearman: val_r2.max(0.0).sqrt() * 0.98,
            learning_rate: params.learning_rate,
            seconds: 0.0,
            samples_per_s: 0.0,
            extra: Default::default(),
        }
    }
}

impl Trainer for FakeTrainer {
    fn train(
        &self,
        job: &TrialJob,
        on_event: &mut dyn FnMut(TrainEvent) -> ControlFlow<()>,
    ) -> anyhow::Result<TrialEnd> {
        std::fs::create_dir_all(job.dir)?;
        let mut checkpoint = Self::load(job.dir)?;
        if !checkpoint.epochs.is_empty() {
            let best_val_r2 = checkpoint
                .epochs
                .iter()
                .map(|m| m.val_r2)
                .fold(f64::MIN, f64::max);
            let flow = on_event(TrainEvent::Resumed {
                epochs: &checkpoint.epochs,
                best_val_r2,
            });
            if flow.is_break() {
                return Ok(TrialEnd::Stopped {
                    epochs_done: checkpoint.epochs.len(),
                });
            }
        }
        let params = TrialParams::from_set(job.params).context("stored parameters")?;
        let settings = TrainSettings::for_trial(job.spec, job.seed);
        while checkpoint.epochs.len() < settings.max_epochs
            && epochs_since_best(&checkpoint.epochs) < settings.patience
        {
            let epoch = checkpoint.epochs.len() + 1;
            let stopped = TrialEnd::Stopped {
                epochs_done: epoch - 1,
            };
            if params.learning_rate >= 1.0 {
                return Err(Diverged {
                    epoch,
                    loss: f32::INFINITY,
                }
                .into());
            }
            if on_event(TrainEvent::EpochStarted {
                epoch,
                batches: FAKE_BATCHES,
            })
            .is_break()
            {
                return Ok(stopped);
            }
            // Each batch ends at its due time from the epoch's start, so the sleeps'
            // overshoots do not add up: the epoch takes the `seconds` it records.
            let epoch_started = Instant::now();
            for batch in 1..=FAKE_BATCHES {
                let due = epoch_started + self.epoch_time * batch as u32 / FAKE_BATCHES as u32;
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
                if on_event(TrainEvent::BatchFinished { loss: 0.5 }).is_break() {
                    return Ok(stopped);
                }
            }
            let mut metrics = Self::epoch(&params, settings.seed, epoch);
            metrics.seconds = self.epoch_time.as_secs_f64();
            checkpoint.epochs.push(metrics);
            crate::atomic_file::write_atomically(
                &Self::checkpoint_path(job.dir),
                &serde_json::to_vec(&checkpoint)?,
            )?;
            if let Some(last) = checkpoint.epochs.last()
                && on_event(TrainEvent::EpochFinished(last)).is_break()
            {
                return Ok(TrialEnd::Stopped { epochs_done: epoch });
            }
        }
        let best = checkpoint
            .epochs
            .iter()
            .fold(None::<&EpochMetrics>, |best, m| match best {
                Some(b) if b.val_r2 >= m.val_r2 => Some(b),
                _ => Some(m),
            })
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no epoch was trained (max_epochs is 0)"))?;
        Ok(TrialEnd::Finished(TrialOutcome {
            stopped_early: checkpoint.epochs.len() < settings.max_epochs,
            epochs: checkpoint.epochs,
            best,
        }))
    }
}

/// Epochs since the best validation R² (0 when there are none).
fn epochs_since_best(epochs: &[EpochMetrics]) -> usize {
    let Some(best) =
        epochs
            .iter()
            .enumerate()
            .fold(None::<(usize, f64)>, |best, (i, m)| match best {
                Some((_, r2)) if r2 >= m.val_r2 => best,
                _ => Some((i, m.val_r2)),
            })
    else {
        return 0;
    };
    epochs.len() - 1 - best.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{ParamSet, Spec};
    use crate::train::params::BuiltIn;

    fn run(trainer: &FakeTrainer, dir: &Path, stop_after_batches: Option<usize>) -> TrialEnd {
        let spec = Spec::parse(
            "name: f\nmethod: grid\ndata: {synthetic: {rows: 100}}\n\
             training: {max_epochs: 4, patience: 10}\n",
            "test.yaml",
            &BuiltIn,
        )
        .expect("a valid spec");
        let job = TrialJob {
            spec: &spec,
            number: 1,
            seed: 3,
            attempt: 1,
            params: &ParamSet::default(),
            dir,
        };
        let mut batches = 0;
        trainer
            .train(&job, &mut |event| {
                if matches!(event, TrainEvent::BatchFinished { .. }) {
                    batches += 1;
                }
                match stop_after_batches {
                    Some(n) if batches >= n => ControlFlow::Break(()),
                    _ => ControlFlow::Continue(()),
                }
            })
            .expect("fake training")
    }

    #[test]
    fn a_stopped_fake_trial_resumes_to_the_same_epochs() {
        let trainer = FakeTrainer {
            epoch_time: Duration::ZERO,
        };
        let whole = tempfile::tempdir().expect("tempdir");
        let TrialEnd::Finished(expected) = run(&trainer, whole.path(), None) else {
            panic!("an unstopped trial finishes");
        };
        let parts = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            run(&trainer, parts.path(), Some(25)),
            TrialEnd::Stopped { epochs_done: 2 }
        );
        let TrialEnd::Finished(resumed) = run(&trainer, parts.path(), None) else {
            panic!("the resumed trial finishes");
        };
        assert_eq!(resumed.epochs, expected.epochs);
        assert_eq!(resumed.epochs.len(), 4);
    }
}
