//! A trial's checkpoint: everything needed to continue exactly where the last finished epoch
//! left off, in one file written to a temporary name and renamed, so a killed process leaves
//! either the previous checkpoint or the new one, never half of one.
//!
//! Layout: the magic `SWEEPCK1`, then three length-prefixed (u64 little-endian) sections:
//! the progress as JSON, the model's burnpack record, the optimizer's burnpack record.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, bail};
use burn::module::Module;
use burn::optim::{ModuleOptimizer, OptimizerRecord};
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use serde::{Deserialize, Serialize};

use super::EpochMetrics;
use crate::atomic_file::write_atomically;
use crate::model::CnnBiLstm;

const MAGIC: &[u8; 8] = b"SWEEPCK1";

/// The file name of a trial's checkpoint inside its folder.
pub const CHECKPOINT_FILE: &str = "checkpoint.bin";
/// The file name of the best epoch's weights inside a trial's folder.
pub const BEST_MODEL_FILE: &str = "best-model.bpk";

/// Where training stands after a finished epoch: the early-stopping state and the metrics so
/// far. The random state needs no saving: every epoch reseeds from (trial seed, epoch).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Identifies the trial (parameters, seed, data) the checkpoint belongs to.
    pub trial_key: String,
    /// Every finished epoch's metrics, in order.
    pub epochs: Vec<EpochMetrics>,
    /// The epoch (1-based) with the best validation R² so far.
    pub best_epoch: Option<usize>,
    /// Epochs finished since the best one.
    pub epochs_since_best: usize,
}

impl Progress {
    /// Epochs finished so far.
    pub fn epochs_done(&self) -> usize {
        self.epochs.len()
    }

    /// The best epoch's metrics.
    pub fn best(&self) -> Option<&EpochMetrics> {
        self.best_epoch.and_then(|e| self.epochs.get(e - 1))
    }
}

/// Save the checkpoint of a finished epoch into `dir`.
pub fn save(
    dir: &Path,
    progress: &Progress,
    model: &CnnBiLstm,
    optimizer: &ModuleOptimizer,
) -> anyhow::Result<()> {
    let progress = serde_json::to_vec(progress)?;
    let model = model
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| anyhow::anyhow!("serializing the model: {e}"))?;
    let optimizer = optimizer
        .to_record()
        .into_bytes()
        .map_err(|e| anyhow::anyhow!("serializing the optimizer: {e}"))?;
    let mut bytes = Vec::with_capacity(8 + 24 + progress.len() + model.len() + optimizer.len());
    bytes.extend_from_slice(MAGIC);
    for section in [&progress[..], &model[..], &optimizer[..]] {
        bytes.extend_from_slice(&(section.len() as u64).to_le_bytes());
        bytes.extend_from_slice(section);
    }
    write_atomically(&dir.join(CHECKPOINT_FILE), &bytes)
}

/// A checkpoint read back: the progress and the records to load into a fresh model and
/// optimizer.
pub struct Checkpoint {
    /// Where training stands.
    pub progress: Progress,
    model: ModuleRecord,
    optimizer: OptimizerRecord,
}

impl Checkpoint {
    /// Read the checkpoint in `dir`, if there is one.
    pub fn load(dir: &Path) -> anyhow::Result<Option<Checkpoint>> {
        let path = dir.join(CHECKPOINT_FILE);
        let mut bytes = Vec::new();
        match File::open(&path) {
            Ok(mut f) => f
                .read_to_end(&mut bytes)
                .with_context(|| format!("reading {}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("opening {}", path.display())),
        };
        let sections = split_sections(&bytes)
            .with_context(|| format!("{} is not a sweep checkpoint", path.display()))?;
        let [progress, model, optimizer] = sections;
        let progress: Progress = serde_json::from_slice(progress)
            .with_context(|| format!("reading the progress in {}", path.display()))?;
        let model = ModuleRecord::from_bytes(Bytes::from_bytes_vec(model.to_vec()))
            .map_err(|e| anyhow::anyhow!("reading the model in {}: {e}", path.display()))?;
        let optimizer = OptimizerRecord::from_bytes(Bytes::from_bytes_vec(optimizer.to_vec()))
            .map_err(|e| anyhow::anyhow!("reading the optimizer in {}: {e}", path.display()))?;
        Ok(Some(Checkpoint {
            progress,
            model,
            optimizer,
        }))
    }

    /// Load the saved weights and optimizer state into a freshly built model and optimizer.
    pub fn restore(
        self,
        model: CnnBiLstm,
        optimizer: ModuleOptimizer,
    ) -> anyhow::Result<(CnnBiLstm, ModuleOptimizer, Progress)> {
        let model = model
            .try_load_record(self.model)
            .map_err(|e| anyhow::anyhow!("the checkpoint does not fit this model: {e}"))?;
        Ok((model, optimizer.load_record(self.optimizer), self.progress))
    }
}

fn split_sections(bytes: &[u8]) -> anyhow::Result<[&[u8]; 3]> {
    let Some(mut rest) = bytes.strip_prefix(MAGIC) else {
        bail!("wrong magic bytes");
    };
    let mut sections = [&[][..]; 3];
    for section in &mut sections {
        let (len, after) = rest.split_at_checked(8).context("truncated")?;
        let len = u64::from_le_bytes(len.try_into()?) as usize;
        let (body, after) = after.split_at_checked(len).context("truncated")?;
        *section = body;
        rest = after;
    }
    if !rest.is_empty() {
        bail!("trailing bytes");
    }
    Ok(sections)
}

/// Save the best epoch's weights (used by `predict` and kept when training ends).
pub fn save_best_model(dir: &Path, model: &CnnBiLstm) -> anyhow::Result<()> {
    let bytes = model
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| anyhow::anyhow!("serializing the model: {e}"))?;
    write_atomically(&dir.join(BEST_MODEL_FILE), &bytes)
}

/// Load the best epoch's weights saved in `dir` into `model` (built with the trial's
/// configuration).
pub fn load_best_model(dir: &Path, model: CnnBiLstm) -> anyhow::Result<CnnBiLstm> {
    let path = dir.join(BEST_MODEL_FILE);
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes))
        .map_err(|e| anyhow::anyhow!("reading the weights in {}: {e}", path.display()))?;
    model
        .try_load_record(record)
        .map_err(|e| anyhow::anyhow!("{} does not fit the trial's model: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_round_trip_and_truncation_is_detected() {
        let mut bytes = MAGIC.to_vec();
        for s in [&b"ab"[..], b"", b"xyz"] {
            bytes.extend_from_slice(&(s.len() as u64).to_le_bytes());
            bytes.extend_from_slice(s);
        }
        let sections = split_sections(&bytes).ok();
        assert_eq!(sections, Some([&b"ab"[..], b"", b"xyz"]));
        assert!(split_sections(&bytes[..bytes.len() - 1]).is_err());
        assert!(split_sections(b"NOTMAGIC").is_err());
    }

    #[test]
    fn progress_round_trips_every_bit() {
        // serde_json needs its `float_roundtrip` feature for this; without it a resumed
        // trial's metrics.csv differed from an uninterrupted one in the last digit.
        let awkward = [
            0.9116146314144135,
            0.1 + 0.2,
            1.0 / 3.0,
            6.02e-23,
            -1.2345678901234567e300,
        ];
        let epochs = awkward
            .iter()
            .enumerate()
            .map(|(i, &v)| EpochMetrics {
                epoch: i + 1,
                train_loss: v,
                val_loss: v / 7.0,
                val_r2: -v,
                val_pearson: v * 3.0,
                val_spearman: v.sqrt().max(0.0),
                learning_rate: 0.003,
                seconds: v,
                samples_per_s: v,
                extra: Default::default(),
            })
            .collect();
        let progress = Progress {
            trial_key: "k".into(),
            epochs,
            best_epoch: Some(2),
            epochs_since_best: 3,
        };
        let json = serde_json::to_vec(&progress).unwrap_or_default();
        let back: Option<Progress> = serde_json::from_slice(&json).ok();
        assert_eq!(back, Some(progress));
    }
}
