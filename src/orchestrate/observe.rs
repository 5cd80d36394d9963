//! What the coordinator shows of a sweep while it runs, through [`Observer`]: the command line
//! implements it (progress bars, printed lines, the HTML report), so the coordinator decides
//! what happens and never how it is shown.

use std::collections::HashMap;

use crate::backend::DeviceArg;
use crate::store::{SweepRecord, TrialRecord, TrialState};

/// Whoever watches a sweep run: told what happens, in order.
pub trait Observer {
    /// A line for the user.
    fn note(&mut self, line: &str);
    /// The sweep is created or reopened in the store; nothing has run yet.
    fn sweep_opened(&mut self, sweep: &SweepRecord);
    /// `workers` workers (or Slurm tasks) start on the sweep's `total` trials.
    fn workers_started(&mut self, sweep: &SweepRecord, total: usize, workers: usize);
    /// The store's trials and the workers, read at every poll while they run, with the trials
    /// that ended (completed, failed, pruned or interrupted) since the last poll.
    fn progress(&mut self, trials: &[TrialRecord], workers: &[WorkerView], ended: &[&TrialRecord]);
    /// The workers are done, or left to Slurm.
    fn workers_stopped(&mut self);
    /// Trials ended since the views of the store were last refreshed (the HTML report): at
    /// most every few seconds while workers run, and once at the end.
    fn refresh_views(&mut self, sweep: &SweepRecord);
}

/// A worker as the coordinator sees it.
#[derive(Clone, Debug)]
pub struct WorkerView {
    /// 1-based worker number.
    pub number: usize,
    /// Its pid (the store records it with the trial it holds); unused for a Slurm task.
    pub pid: u32,
    /// The Slurm array task it is (`JOBID_TASK`), which the store records with its trial.
    pub job: Option<String>,
    /// Its device.
    pub device: DeviceArg,
    /// Whether it has exited.
    pub exited: bool,
}

/// The trials whose state changed to an ended one between two snapshots of the store.
#[derive(Default)]
pub(super) struct Endings {
    /// Last seen state of every trial; `None` before the first snapshot.
    seen: Option<HashMap<usize, TrialState>>,
}

impl Endings {
    /// The trials of `trials` that ended since the last call (none on the first call: what
    /// was there before the coordinator started is not news).
    pub(super) fn since_last<'t>(&mut self, trials: &'t [TrialRecord]) -> Vec<&'t TrialRecord> {
        let Some(seen) = &mut self.seen else {
            self.seen = Some(trials.iter().map(|t| (t.number, t.state)).collect());
            return Vec::new();
        };
        trials
            .iter()
            .filter(|t| seen.insert(t.number, t.state) != Some(t.state))
            .filter(|t| {
                matches!(
                    t.state,
                    TrialState::Completed
                        | TrialState::Failed
                        | TrialState::Pruned
                        | TrialState::Interrupted
                )
            })
            .collect()
    }
}
