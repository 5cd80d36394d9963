//! A sweep's facts, as the report's summary and the dashboard's sweep page both show them:
//! metric, creation, trials by state, wall time, data or program, filtering and scaler, the
//! best trial, test scores.

use serde::Serialize;

use super::SweepSnapshot;
use super::leaderboard::Leaderboard;
use crate::data::CacheHeader;
use crate::store::{TestEvaluation, TrialRecord, TrialState};
use crate::text;

/// One fact: what it is and its value as text.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fact {
    /// What it is (`metric`, `trials`, `best trial`, ...).
    pub name: &'static str,
    /// Its value as text.
    pub value: String,
}

/// The facts of a sweep, in the order the views show them.
pub fn sweep_facts(
    snapshot: &SweepSnapshot,
    board: &Leaderboard,
    evaluations: &[TestEvaluation],
) -> Vec<Fact> {
    let sweep = &snapshot.sweep;
    let counts = snapshot.counts();
    let mut facts: Vec<(&'static str, String)> = vec![
        (
            "metric",
            format!("{} ({})", sweep.metric.as_str(), sweep.goal.as_str()),
        ),
        ("created", text::minute(&sweep.created_at)),
        (
            "trials",
            TrialState::ALL
                .iter()
                .filter(|s| counts.get(**s) > 0)
                .map(|s| format!("{} {}", counts.get(*s), s.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("wall time", wall_time(&snapshot.trials)),
    ];
    // The built-in model trains on the sweep's data; a program reads its own.
    match &sweep.program {
        None => facts.push(("data", sweep.data_path.display().to_string())),
        Some(program) => {
            if let Some(path) = &program.path {
                facts.push(("program", path.display().to_string()));
            }
            facts.push(("runs in", program.workdir.display().to_string()));
        }
    }
    if let Some(header) = sweep
        .data_header
        .as_deref()
        .and_then(|json| CacheHeader::from_json(json).ok())
    {
        facts.push(("filtering", header.counts.to_string()));
        facts.push((
            "scaler",
            format!(
                "mean {:.4}, sd {:.4}",
                header.scaler.mean, header.scaler.std
            ),
        ));
    }
    if let Some(best) = board.best() {
        facts.push((
            "best trial",
            format!(
                "trial {}: {} {} at {} {}",
                best.trial,
                sweep.metric.as_str(),
                text::metric(best.best_metric),
                if sweep.program.is_some() {
                    "step"
                } else {
                    "epoch"
                },
                text::count(best.best_epoch)
            ),
        ));
    }
    for scored in evaluations {
        facts.push(("test set", crate::report::test_scores(scored)));
    }
    facts
        .into_iter()
        .map(|(name, value)| Fact { name, value })
        .collect()
}

/// From the first trial's start to the last sign of life of any trial.
fn wall_time(trials: &[TrialRecord]) -> String {
    let start = trials
        .iter()
        .filter_map(|t| t.started_at.as_deref().and_then(text::unix_seconds))
        .reduce(f64::min);
    let end = trials
        .iter()
        .flat_map(|t| [t.ended_at.as_deref(), t.heartbeat_at.as_deref()])
        .flatten()
        .filter_map(text::unix_seconds)
        .reduce(f64::max);
    match (start, end) {
        (Some(s), Some(e)) if e >= s => text::age(e - s),
        _ => "-".to_string(),
    }
}
