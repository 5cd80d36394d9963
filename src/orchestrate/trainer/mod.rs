//! What a worker calls to train a trial: the seam every way of training goes through. The
//! built-in model (`builtin.rs`), the user's own program (`program/`) and a fake for fast
//! tests of orchestration (`fake.rs`: claims,
//! resumes, signals, hundreds of trials where training is not the subject; STYLE P11, like
//! hyperfine's mock executor) are its implementations; nothing above it knows which one runs.

mod builtin;
mod fake;
pub mod program;

use std::ops::ControlFlow;
use std::path::Path;

pub use builtin::BuiltInTrainer;
pub use fake::FakeTrainer;
pub use program::{HelperFiles, ProgramOptions, ProgramTrainer};

use crate::spec::{ParamSet, Spec};
use crate::train::{TrainEvent, TrialEnd};

/// One trial to train, as the store holds it.
pub struct TrialJob<'a> {
    /// The sweep it belongs to (how long to train, on which data).
    pub spec: &'a Spec,
    /// Its number in the sweep.
    pub number: usize,
    /// Its seed: every random choice of its training derives from it.
    pub seed: u64,
    /// 1 the first time it is trained; more when it is resumed.
    pub attempt: usize,
    /// Its parameters, as data: each trainer reads the ones it takes.
    pub params: &'a ParamSet,
    /// Its folder, the same on every attempt: checkpoints go here.
    pub dir: &'a Path,
}

/// Trains trials; resumes a trial from the checkpoint in its folder.
pub trait Trainer: Sync {
    /// Train `job`, reporting events; `Break` from `on_event` stops at that point.
    fn train(
        &self,
        job: &TrialJob,
        on_event: &mut dyn FnMut(TrainEvent) -> ControlFlow<()>,
    ) -> anyhow::Result<TrialEnd>;
}
