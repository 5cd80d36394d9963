//! The dashboard's JSON: every page's data, built from the same views as `sweep report` and
//! the command-line views (the sweep snapshot, the leaderboard and its JSON rows, the sweep's
//! facts), so that the dashboard and the report never disagree.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::files;
use crate::metric::{EpochMetrics, MetricName};
use crate::report::facts::sweep_facts;
use crate::report::leaderboard::{JsonRow, Leaderboard, TrialRow};
use crate::report::{ReportError, SweepSnapshot, param_names, params_of};
use crate::runs::Runs;
use crate::store::{StateCounts, Store, SweepRecord, TrialRecord, TrialState};

/// Trials whose curves one request may ask for (a table page is at most 100 rows).
pub const MAX_CURVES: usize = 200;

/// What the dashboard cannot answer, and the HTTP status that says so.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No such sweep, trial or file (404).
    #[error("{0}")]
    NotFound(String),
    /// A request the dashboard does not understand (400).
    #[error("{0}")]
    BadRequest(String),
    /// The database could not answer (500).
    #[error("{0}")]
    Failed(String),
}

impl From<ReportError> for ApiError {
    fn from(error: ReportError) -> ApiError {
        match &error {
            ReportError::NoSuchTrial { .. } => ApiError::NotFound(error.to_string()),
            ReportError::Store(store) if store.is_bad_input() => {
                ApiError::NotFound(error.to_string())
            }
            _ => ApiError::Failed(error.to_string()),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> ApiError {
        ApiError::from(ReportError::Store(error))
    }
}

/// A JSON answer, serialized straight from the views: never held as a tree of JSON values,
/// which for the rows of a 10,000-trial sweep would take tens of megabytes per request.
#[derive(Clone, Debug)]
pub struct Answer(pub bytes::Bytes);

/// `value` as an answer.
fn answer(value: &impl Serialize) -> Result<Answer, ApiError> {
    serde_json::to_vec(value)
        .map(|json| Answer(json.into()))
        .map_err(|e| ApiError::Failed(format!("cannot write the answer as JSON: {e}")))
}

/// Trials per state, and their total, as JSON.
fn counts_json(counts: &StateCounts) -> Value {
    let mut map = Map::new();
    for state in TrialState::ALL {
        map.insert(state.as_str().to_string(), json!(counts.get(state)));
    }
    map.insert("total".to_string(), json!(counts.total()));
    Value::Object(map)
}

/// The search method a sweep file names (`grid`, `random`, `bayes`), read from its text.
fn method_of(sweep: &SweepRecord) -> Option<String> {
    let yaml: serde_yaml::Value = serde_yaml::from_str(&sweep.spec_text).ok()?;
    yaml.get("method")?.as_str().map(str::to_string)
}

/// The program a sweep's trials run, as text; `None` for the built-in model.
fn program_of(sweep: &SweepRecord) -> Option<String> {
    sweep.program.as_ref().map(|program| {
        program
            .path
            .as_ref()
            .map_or_else(|| "its command".to_string(), |p| p.display().to_string())
    })
}

/// The newest sign of life of any trial (a start, a heartbeat or epoch, an end).
fn last_activity(trials: &[TrialRecord]) -> Option<String> {
    trials
        .iter()
        .flat_map(|t| [&t.started_at, &t.heartbeat_at, &t.ended_at])
        .flatten()
        .max()
        .cloned()
}

/// The sweep list: every sweep with its trials per state, its best trial, the trials running
/// now and its last activity, oldest sweep first.
pub fn sweeps(store: &Store) -> Result<Answer, ApiError> {
    let mut lines = Vec::new();
    for snapshot in SweepSnapshot::all(store)? {
        let board = Leaderboard::from_snapshot(&snapshot)?;
        let sweep = &snapshot.sweep;
        lines.push(json!({
            "name": sweep.name,
            "created": sweep.created_at,
            "method": method_of(sweep),
            "metric": sweep.metric.as_str(),
            "goal": sweep.goal.as_str(),
            "program": program_of(sweep),
            "counts": counts_json(&snapshot.counts()),
            "best": board.best().map(|b| json!({"trial": b.trial, "value": b.best_metric})),
            "running": snapshot.trials.iter()
                .filter(|t| t.state == TrialState::Running)
                .map(|t| t.number)
                .collect::<Vec<_>>(),
            "last_activity": last_activity(&snapshot.trials),
        }));
    }
    answer(&json!({ "now": store.clock()?, "sweeps": lines }))
}

/// The metrics a sweep's curves can show: the built-in model's five, or a program's metric
/// and every other name its trials reported.
fn sweep_metrics(store: &Store, sweep: &SweepRecord) -> Result<Vec<String>, ApiError> {
    let mut names = vec![sweep.metric.as_str().to_string()];
    let others: Vec<String> = match sweep.program {
        None => MetricName::BUILT_IN
            .iter()
            .map(|m| m.as_str().to_string())
            .collect(),
        Some(_) => store.metric_names(sweep.id)?,
    };
    for name in others {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Ok(names)
}

/// One sweep's page: the sweep, its facts (as the report's summary lists them), every trial
/// as a leaderboard row (rank order), the parameter and metric names, the rung decisions.
pub fn sweep(store: &Store, name: &str) -> Result<Answer, ApiError> {
    let now = store.clock()?;
    let snapshot = SweepSnapshot::load(store, name)?;
    let board = Leaderboard::from_snapshot(&snapshot)?;
    let sweep = &snapshot.sweep;
    let evaluations = store.evaluations(sweep.id)?;
    let rungs: Vec<Value> = store
        .rungs(sweep.id)?
        .iter()
        .map(|r| {
            json!({"trial": r.trial, "rung_epoch": r.rung_epoch, "metric": finite(r.metric),
                   "rank": r.rank, "reached": r.reached, "kept": r.kept,
                   "decision": format!("{:?}", r.decision).to_lowercase()})
        })
        .collect();
    answer(&SweepPage {
        now,
        sweep: json!({
            "name": sweep.name,
            "metric": sweep.metric.as_str(),
            "goal": sweep.goal.as_str(),
            "maximize": sweep.maximizes(),
            "method": method_of(sweep),
            "program": program_of(sweep),
            "created": sweep.created_at,
            "spec_text": sweep.spec_text,
            "step": if sweep.program.is_some() { "step" } else { "epoch" },
        }),
        facts: sweep_facts(&snapshot, &board, &evaluations),
        counts: counts_json(&snapshot.counts()),
        params: board.param_names(),
        swept: board.swept_param_names(),
        other_metrics: board.other_metrics(),
        metrics: sweep_metrics(store, sweep)?,
        rows: board.rows.iter().map(JsonRow::of).collect(),
        rungs,
    })
}

/// One sweep's page, as it is written out.
#[derive(Serialize)]
struct SweepPage<'a> {
    now: String,
    sweep: Value,
    facts: Vec<crate::report::facts::Fact>,
    counts: Value,
    params: Vec<&'a str>,
    swept: Vec<&'a str>,
    other_metrics: Vec<&'a str>,
    metrics: Vec<String>,
    rows: Vec<JsonRow<'a>>,
    rungs: Vec<Value>,
}

/// What mattered in a sweep: the `sweep importance --format json` analysis of its completed
/// trials (the report's "What mattered" section reads the same).
pub fn importance(store: &Store, name: &str) -> Result<Answer, ApiError> {
    let snapshot = SweepSnapshot::load(store, name)?;
    use crate::report::importance::{ImportanceError, analyze_snapshot};
    match analyze_snapshot(&snapshot, None) {
        Ok(analysis) => answer(&analysis),
        // Too early to say is an answer, not a failure.
        Err(too_few @ ImportanceError::TooFewTrials { .. }) => {
            answer(&json!({ "note": too_few.to_string() }))
        }
        Err(ImportanceError::Report(error)) => Err(error.into()),
    }
}

/// A finite number, or `None` (JSON `null`).
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Trials' curves, one object per trial number: `epoch` and every metric it reported, as
/// columns (`null` where a step lacks the metric), ready to draw.
#[derive(Debug, Default, Serialize)]
pub struct Curves(BTreeMap<usize, BTreeMap<String, Vec<Option<f64>>>>);

impl Curves {
    /// The curves of `epochs` (by trial number, then epoch).
    pub fn of(epochs: &[(usize, EpochMetrics)]) -> Curves {
        let mut by_trial: BTreeMap<usize, Vec<&EpochMetrics>> = BTreeMap::new();
        for (number, m) in epochs {
            by_trial.entry(*number).or_default().push(m);
        }
        Curves(
            by_trial
                .into_iter()
                .map(|(number, steps)| (number, columns(&steps)))
                .collect(),
        )
    }
}

/// One trial's curves, from its epochs in order.
fn trial_curves(epochs: &[EpochMetrics]) -> BTreeMap<String, Vec<Option<f64>>> {
    columns(&epochs.iter().collect::<Vec<_>>())
}

/// One trial's steps as columns: `epoch`, then each metric any step has.
fn columns(steps: &[&EpochMetrics]) -> BTreeMap<String, Vec<Option<f64>>> {
    let mut names: Vec<&str> = Vec::new();
    for m in steps {
        for name in m.names() {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    let mut out = BTreeMap::new();
    out.insert(
        "epoch".to_string(),
        steps.iter().map(|m| Some(m.epoch as f64)).collect(),
    );
    for name in names {
        out.insert(
            name.to_string(),
            steps
                .iter()
                .map(|m| m.value(name).filter(|v| v.is_finite()))
                .collect(),
        );
    }
    out
}

/// Trial numbers from a request (`1,2,3`), at most [`MAX_CURVES`].
pub fn trial_numbers(list: &str) -> Result<Vec<usize>, ApiError> {
    let numbers = list
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim()
                .parse::<usize>()
                .map_err(|_| ApiError::BadRequest(format!("`{s}` is not a trial number")))
        })
        .collect::<Result<Vec<usize>, ApiError>>()?;
    if numbers.len() > MAX_CURVES {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_CURVES} trials' curves at once, not {}",
            numbers.len()
        )));
    }
    Ok(numbers)
}

/// The curves of some trials of a sweep.
pub fn curves(store: &Store, name: &str, numbers: &[usize]) -> Result<Answer, ApiError> {
    let sweep = store.sweep(name)?;
    let epochs = store.epochs_of_trials(sweep.id, numbers)?;
    #[derive(Serialize)]
    struct CurvesAnswer {
        curves: Curves,
    }
    answer(&CurvesAnswer {
        curves: Curves::of(&epochs),
    })
}

/// What changed in a sweep since `since` (a time the previous answer gave as `now`): the
/// trials running or changed since then, as leaderboard rows (unranked: a page reloads the
/// ranked rows when the counts change), their curves, and the trials per state.
pub fn live(store: &Store, name: &str, since: &str) -> Result<Answer, ApiError> {
    let now = store.clock()?;
    let sweep = store.sweep(name)?;
    let changed = store.trials_changed_since(sweep.id, since)?;
    let numbers: Vec<usize> = changed.iter().map(|t| t.number).collect();
    let epochs = store.epochs_of_trials(sweep.id, &numbers)?;
    // A program trial's other metrics at its best step, as the leaderboard shows them.
    let best_step = |trial: &TrialRecord| {
        sweep.program.as_ref()?;
        epochs
            .iter()
            .find(|(n, m)| *n == trial.number && Some(m.epoch) == trial.best_epoch)
            .map(|(_, m)| m)
    };
    let rows = changed
        .iter()
        .map(|t| TrialRow::at_best(t, sweep.metric.as_str(), best_step(t)))
        .collect::<Result<Vec<TrialRow>, ReportError>>()?;
    let counts = store.state_counts(sweep.id)?;
    #[derive(Serialize)]
    struct Live<'a> {
        now: String,
        counts: Value,
        rows: Vec<JsonRow<'a>>,
        curves: Curves,
    }
    answer(&Live {
        now,
        counts: counts_json(&counts),
        rows: rows.iter().map(JsonRow::of).collect(),
        curves: Curves::of(&epochs),
    })
}

/// One trial's page: its ranked row, its record (seed, worker, device, times, error), every
/// metric's curve, its test-set scores, its files and the tails of its logs.
pub fn trial(store: &Store, runs: &Runs, name: &str, number: usize) -> Result<Answer, ApiError> {
    let now = store.clock()?;
    let snapshot = SweepSnapshot::load(store, name)?;
    let record = snapshot.trial(number)?.clone();
    let board = Leaderboard::from_snapshot(&snapshot)?;
    let row = board
        .rows
        .iter()
        .find(|r| r.trial == number)
        .ok_or_else(|| ApiError::NotFound(format!("no trial {number}")))?;
    let sweep = &snapshot.sweep;
    let epochs = store.epochs(record.id)?;
    let evaluations: Vec<Value> = store
        .evaluations(sweep.id)?
        .iter()
        .filter(|e| e.trial == number)
        .map(|e| {
            json!({"test": e.test_path.display().to_string(),
                   "line": crate::report::test_scores(e), "at": e.created_at})
        })
        .collect();
    let dir = runs.trial_dir(&sweep.name, number);
    answer(&json!({
        "now": now,
        "sweep": {"name": sweep.name, "metric": sweep.metric.as_str(), "goal": sweep.goal.as_str(),
                  "step": if sweep.program.is_some() { "step" } else { "epoch" }},
        "row": JsonRow::of(row),
        "record": {
            "seed": record.seed.to_string(),
            "attempts": record.attempts,
            "worker_host": record.worker_host,
            "worker_pid": record.worker_pid,
            "device": record.device,
            "threads": record.threads,
            "started_at": record.started_at,
            "ended_at": record.ended_at,
            "heartbeat_at": record.heartbeat_at,
            "job": record.job,
        },
        "curves": trial_curves(&epochs),
        "evaluations": evaluations,
        "files": files::listing(&dir),
        "logs": files::log_tails(&dir, &runs.workers_dir(&sweep.name), number),
    }))
}

/// One run of a comparison: `SWEEP:N`.
fn parse_run(text: &str) -> Result<(String, usize), ApiError> {
    let bad = || ApiError::BadRequest(format!("`{text}` is not a run (SWEEP:TRIAL)"));
    let (sweep, number) = text.rsplit_once(':').ok_or_else(bad)?;
    let number = number.parse::<usize>().map_err(|_| bad())?;
    Ok((sweep.to_string(), number))
}

/// Runs from any sweeps side by side (`runs` is `SWEEP:N,SWEEP:N`): each run's sweep,
/// metric, state, best value and curves; every parameter, and which of them differ.
pub fn compare(store: &Store, runs: &str) -> Result<Answer, ApiError> {
    let wanted = runs
        .split(',')
        .filter(|s| !s.is_empty())
        .map(parse_run)
        .collect::<Result<Vec<_>, ApiError>>()?;
    if wanted.len() > MAX_CURVES {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_CURVES} runs at once"
        )));
    }
    let mut out = Vec::new();
    let mut params = Vec::new();
    for (name, number) in &wanted {
        let sweep = store.sweep(name)?;
        let trial = store
            .trial(sweep.id, *number)?
            .ok_or_else(|| ApiError::NotFound(format!("sweep `{name}` has no trial {number}")))?;
        let epochs = store.epochs(trial.id)?;
        let trial_params = params_of(&trial)?;
        out.push(json!({
            "sweep": sweep.name,
            "trial": number,
            "metric": sweep.metric.as_str(),
            "goal": sweep.goal.as_str(),
            "state": trial.state.as_str(),
            "best_metric": trial.best_metric,
            "best_epoch": trial.best_epoch,
            "epochs": trial.epochs,
            "params": trial_params,
            "curves": trial_curves(&epochs),
        }));
        params.push(trial_params);
    }
    let names = param_names(&params);
    let differing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|name| params.iter().any(|p| p.get(*name) != params[0].get(*name)))
        .collect();
    answer(&json!({ "runs": out, "params": names, "differing": differing }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_are_columns_per_trial_with_gaps_as_null() {
        let mut first = EpochMetrics::empty(1);
        first.set("loss", 0.5);
        let mut second = EpochMetrics::empty(2);
        second.set("loss", f64::NAN);
        second.set("acc", 0.75);
        let mut other = EpochMetrics::empty(1);
        other.set("loss", 0.25);
        let curves = Curves::of(&[(3, first), (3, second), (7, other)]);
        let json = serde_json::to_value(&curves).expect("json");
        assert_eq!(json["3"]["epoch"], json!([1.0, 2.0]));
        assert_eq!(json["3"]["loss"], json!([0.5, null]));
        assert_eq!(json["3"]["acc"], json!([null, 0.75]));
        assert_eq!(json["7"]["loss"], json!([0.25]));
    }

    #[test]
    fn requests_name_trials_and_runs_or_are_refused() {
        assert_eq!(trial_numbers("1,2,30").ok(), Some(vec![1, 2, 30]));
        assert_eq!(trial_numbers("").ok(), Some(vec![]));
        assert!(matches!(trial_numbers("1,x"), Err(ApiError::BadRequest(_))));
        let many = (1..=MAX_CURVES + 1)
            .map(|n| n.to_string())
            .collect::<Vec<_>>();
        assert!(trial_numbers(&many.join(",")).is_err());
        assert_eq!(parse_run("a-b:12").ok(), Some(("a-b".to_string(), 12)));
        assert!(parse_run("a-b").is_err() && parse_run("a:b").is_err());
    }
}
