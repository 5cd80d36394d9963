//! Read-only views of the run database: the leaderboard, a sweep's status, trials side by side.
//!
//! Everything here works on snapshots the store hands out (a caller opens the store read-only)
//! and turns them into rows and text; nothing here prints or writes. The rows of
//! [`leaderboard`] are what every view shares: the table, CSV and JSON exporters read them, and
//! so will the HTML report.

pub mod charts;
pub mod combinations;
pub mod compare;
pub mod facts;
pub mod html;
pub mod importance;
pub mod leaderboard;
pub mod status;

use serde_json::{Map, Value};

use crate::metric::{EpochMetrics, MetricName};
use crate::text;

use crate::store::{
    StateCounts, Store, StoreError, SweepRecord, TestEvaluation, TrialRecord, TrialState,
};

/// A test-file evaluation in a line: `FILE: trial N, pearson_r .., pearson_r2 .., spearman ..,
/// mse .. (n = ..)`.
pub fn test_scores(scored: &TestEvaluation) -> String {
    let all = &scored.evaluation.all;
    format!(
        "{}: trial {}, pearson_r {:.4}, pearson_r2 {:.4}, spearman {:.4}, mse {:.4} (n = {})",
        scored.test_path.display(),
        scored.trial,
        all.pearson_r,
        all.pearson_r2,
        all.spearman,
        all.mse,
        all.n
    )
}

/// A trial's parameters: name → value, sorted by name.
pub type Params = Map<String, Value>;

/// The metrics whose curves the views draw: the built-in model's validation R² and loss; for
/// a program sweep, its metric, then every other name its trials reported, by name.
pub fn curve_metrics<'a>(
    sweep: &SweepRecord,
    epochs: impl IntoIterator<Item = &'a EpochMetrics>,
) -> Vec<MetricName> {
    if sweep.program.is_none() {
        return vec![MetricName::VAL_R2, MetricName::VAL_LOSS];
    }
    let mut names = vec![sweep.metric.clone()];
    let mut others = std::collections::BTreeSet::new();
    for m in epochs {
        for name in m.names() {
            if name != sweep.metric.as_str() && !others.contains(name) {
                others.insert(name.to_string());
            }
        }
    }
    names.extend(others.into_iter().filter_map(|n| MetricName::new(n).ok()));
    names
}

/// Every parameter name any of `sets` has, sorted (the columns of a table of trials).
pub fn param_names<'a>(sets: impl IntoIterator<Item = &'a Params>) -> Vec<&'a str> {
    let names: std::collections::BTreeSet<&str> = sets
        .into_iter()
        .flat_map(|params| params.keys().map(String::as_str))
        .collect();
    names.into_iter().collect()
}

/// What can go wrong reading a view of the run database.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The store could not answer (no database, no such sweep, SQLite).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A trial number the sweep does not have.
    #[error("sweep `{sweep}` has no trial {number} ({available})")]
    NoSuchTrial {
        /// The sweep.
        sweep: String,
        /// The number asked for.
        number: usize,
        /// The numbers it has: `its trials are 1-40`.
        available: String,
    },
    /// A stored parameter set that is not a JSON object (a damaged database).
    #[error("trial {trial} has parameters that are not a JSON object in the run database: {json}")]
    BadParams {
        /// The trial's number.
        trial: usize,
        /// What is stored.
        json: String,
    },
}

impl ReportError {
    /// Whether the user can fix it by changing what they typed (exit code 2).
    pub fn is_bad_input(&self) -> bool {
        match self {
            ReportError::Store(error) => error.is_bad_input(),
            ReportError::NoSuchTrial { .. } => true,
            ReportError::BadParams { .. } => false,
        }
    }
}

/// One sweep as stored: its record and every trial, by number.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSnapshot {
    /// The sweep.
    pub sweep: SweepRecord,
    /// Its trials, by number.
    pub trials: Vec<TrialRecord>,
    /// How many trials a bayes sweep will have (its trials are drawn as workers claim them);
    /// `None` when every trial was written at creation.
    pub planned: Option<usize>,
    /// For a program sweep, each trial's metrics at its best step, by trial number (the
    /// leaderboard's columns of the metrics reported); empty for the built-in model.
    pub best_steps: std::collections::BTreeMap<usize, EpochMetrics>,
}

impl SweepSnapshot {
    /// The sweep named `name` and its trials.
    pub fn load(store: &Store, name: &str) -> Result<SweepSnapshot, ReportError> {
        let sweep = store.sweep(name)?;
        SweepSnapshot::of(store, sweep)
    }

    /// Every sweep with its trials, oldest sweep first.
    pub fn all(store: &Store) -> Result<Vec<SweepSnapshot>, ReportError> {
        store
            .sweeps()?
            .into_iter()
            .map(|sweep| SweepSnapshot::of(store, sweep))
            .collect()
    }

    fn of(store: &Store, sweep: SweepRecord) -> Result<SweepSnapshot, ReportError> {
        let trials = store.trials(sweep.id)?;
        let planned = store.planned_trials(sweep.id)?;
        let best_steps = match sweep.program {
            Some(_) => store.best_steps(sweep.id)?.into_iter().collect(),
            None => Default::default(),
        };
        Ok(SweepSnapshot {
            sweep,
            trials,
            planned,
            best_steps,
        })
    }

    /// The trial numbered `number`, or [`ReportError::NoSuchTrial`] naming it.
    pub fn trial(&self, number: usize) -> Result<&TrialRecord, ReportError> {
        self.trials
            .iter()
            .find(|t| t.number == number)
            .ok_or_else(|| ReportError::NoSuchTrial {
                sweep: self.sweep.name.clone(),
                number,
                available: match self.numbers().as_slice() {
                    [] => "it has no trials".to_string(),
                    numbers => format!("its trials are {}", text::number_ranges(numbers)),
                },
            })
    }

    /// The trial numbers, in order.
    pub fn numbers(&self) -> Vec<usize> {
        self.trials.iter().map(|t| t.number).collect()
    }

    /// How many trials are in each state; a bayes sweep's trials not drawn yet are pending.
    pub fn counts(&self) -> StateCounts {
        let mut counts = count_states(&self.trials);
        counts.pending += self.planned.unwrap_or(0).saturating_sub(counts.total());
        counts
    }
}

/// How many of `trials` are in each state (counted from one snapshot, so the counts and the
/// trials a view lists always agree).
pub fn count_states(trials: &[TrialRecord]) -> StateCounts {
    let mut counts = StateCounts::default();
    for trial in trials {
        let slot = match trial.state {
            TrialState::Pending => &mut counts.pending,
            TrialState::Running => &mut counts.running,
            TrialState::Completed => &mut counts.completed,
            TrialState::Failed => &mut counts.failed,
            TrialState::Interrupted => &mut counts.interrupted,
            TrialState::Pruned => &mut counts.pruned,
        };
        *slot += 1;
    }
    counts
}

/// A trial's parameters, read from the JSON object the store keeps.
pub fn params_of(trial: &TrialRecord) -> Result<Params, ReportError> {
    match serde_json::from_str::<Value>(&trial.params_json) {
        Ok(Value::Object(params)) => Ok(params),
        _ => Err(ReportError::BadParams {
            trial: trial.number,
            json: trial.params_json.clone(),
        }),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::metric::{Goal, MetricName};
    use crate::store::{SweepId, TrialId};
    use std::path::PathBuf;

    /// A sweep record for view tests.
    pub(crate) fn sweep_record(metric: MetricName, goal: Goal) -> SweepRecord {
        SweepRecord {
            id: SweepId(1),
            name: "demo".to_string(),
            spec_text: String::new(),
            spec_hash: String::new(),
            data_path: PathBuf::from("data/train.txt"),
            metric,
            goal,
            created_at: "2026-11-27T18:30:57.123Z".to_string(),
            data_header: None,
            program: None,
        }
    }

    /// A stored trial for view tests: its state, best metric (at epoch 2) and parameters.
    pub(crate) fn trial_record(
        number: usize,
        state: TrialState,
        best: Option<f64>,
        params_json: &str,
    ) -> TrialRecord {
        TrialRecord {
            id: TrialId(number as i64 + 100),
            number,
            params_json: params_json.to_string(),
            seed: number as u64,
            state,
            worker_host: None,
            worker_pid: None,
            device: None,
            threads: None,
            attempts: usize::from(state != TrialState::Pending),
            heartbeat_at: None,
            started_at: None,
            ended_at: None,
            best_epoch: best.map(|_| 2),
            best_metric: best,
            error: None,
            epochs: if best.is_some() { 3 } else { 0 },
            sampled_from: None,
            pruned_at: (state == TrialState::Pruned).then_some(3),
            job: None,
        }
    }

    #[test]
    fn an_unknown_trial_is_named_with_the_numbers_there_are() {
        let snapshot = SweepSnapshot {
            best_steps: Default::default(),
            sweep: sweep_record(
                crate::metric::MetricName::VAL_R2,
                crate::metric::Goal::Maximize,
            ),
            trials: [1, 2, 3, 7]
                .map(|n| trial_record(n, TrialState::Pending, None, "{}"))
                .to_vec(),
            planned: None,
        };
        assert_eq!(snapshot.trial(7).map(|t| t.number).ok(), Some(7));
        let error = snapshot.trial(9).expect_err("no trial 9");
        assert!(error.is_bad_input());
        assert_eq!(
            error.to_string(),
            "sweep `demo` has no trial 9 (its trials are 1-3, 7)"
        );
    }

    #[test]
    fn params_must_be_an_object() {
        let good = trial_record(1, TrialState::Pending, None, r#"{"b":2,"a":"x"}"#);
        let params = params_of(&good).expect("an object");
        assert_eq!(params.keys().collect::<Vec<_>>(), ["a", "b"]);
        let bad = trial_record(2, TrialState::Pending, None, "[1]");
        assert!(matches!(
            params_of(&bad),
            Err(ReportError::BadParams { trial: 2, .. })
        ));
    }

    #[test]
    fn states_are_counted() {
        let trials = [
            TrialState::Completed,
            TrialState::Completed,
            TrialState::Failed,
            TrialState::Pending,
        ]
        .iter()
        .enumerate()
        .map(|(i, &s)| trial_record(i + 1, s, None, "{}"))
        .collect::<Vec<_>>();
        let counts = count_states(&trials);
        assert_eq!(
            (
                counts.completed,
                counts.failed,
                counts.pending,
                counts.total()
            ),
            (2, 1, 1, 4)
        );
        let snapshot = SweepSnapshot {
            best_steps: Default::default(),
            sweep: sweep_record(
                crate::metric::MetricName::VAL_R2,
                crate::metric::Goal::Maximize,
            ),
            trials,
            planned: Some(10),
        };
        let counts = snapshot.counts();
        assert_eq!((counts.pending, counts.total()), (7, 10));
    }
}
