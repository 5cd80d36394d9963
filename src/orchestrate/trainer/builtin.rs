//! The built-in model: the CNN-BiLSTM trained by `train` on the sweep's prepared data set.

use std::ops::ControlFlow;
use std::path::Path;

use anyhow::Context;
use burn::tensor::Device;

use super::{Trainer, TrialJob};
use crate::data::PreparedData;
use crate::train::{self, TrainEvent, TrainSettings, TrialEnd, TrialParams};

/// The real trainer: the CNN-BiLSTM on a prepared data set.
pub struct BuiltInTrainer {
    data: PreparedData,
    device: Device,
}

impl BuiltInTrainer {
    /// Open (or prepare) the data set's cache and train on `device`.
    pub fn new(data_path: &Path, cache_dir: &Path, device: Device) -> anyhow::Result<Self> {
        let (data, _) = PreparedData::open_or_prepare(data_path, cache_dir)?;
        Ok(Self { data, device })
    }
}

impl Trainer for BuiltInTrainer {
    fn train(
        &self,
        job: &TrialJob,
        on_event: &mut dyn FnMut(TrainEvent) -> ControlFlow<()>,
    ) -> anyhow::Result<TrialEnd> {
        let params = TrialParams::from_set(job.params).context("stored parameters")?;
        let settings = TrainSettings::for_trial(job.spec, job.seed);
        train::train_trial(
            &self.data,
            &params,
            &settings,
            job.dir,
            &self.device,
            on_event,
        )
    }
}
