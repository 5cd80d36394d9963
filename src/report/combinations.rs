//! The leaderboard by parameter combination: the trials that share every parameter (the
//! replicates of `replicates: K`) as one row, ranked by the mean of their best metrics.
//!
//! A combination is identified by its canonical parameters (the store keeps canonical JSON,
//! and serde_json's map is sorted by key, so equal settings give equal text). Only completed
//! trials with a finite metric count towards a row's statistics; a combination without one
//! is listed after the ranked ones, by its first trial number. Ties rank by first trial.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::leaderboard::{Format, Leaderboard, TrialRow};
use super::{Params, ReportError, SweepSnapshot};
use crate::metric::MetricName;
use crate::store::TrialState;
use crate::text::{self, Align, Table};

/// One parameter combination and its completed trials' statistics.
#[derive(Clone, Debug, PartialEq)]
pub struct CombinationRow {
    /// 1-based place by mean; `None` without a completed trial.
    pub rank: Option<usize>,
    /// The trials of the combination (any state), by number.
    pub trials: Vec<usize>,
    /// Its parameters.
    pub params: Params,
    /// Completed trials with a metric.
    pub n: usize,
    /// Their mean best metric.
    pub mean: Option<f64>,
    /// Their sample standard deviation (n ≥ 2).
    pub sd: Option<f64>,
    /// Their lowest best metric.
    pub min: Option<f64>,
    /// Their highest best metric.
    pub max: Option<f64>,
}

/// A sweep's combinations, best mean first.
#[derive(Clone, Debug, PartialEq)]
pub struct Combinations {
    /// The metric.
    pub metric: MetricName,
    /// Whether a larger metric is better.
    pub maximize: bool,
    /// The combinations in rank order.
    pub rows: Vec<CombinationRow>,
}

impl Combinations {
    /// Group the trials of a leaderboard by their parameters.
    pub fn from_board(board: &Leaderboard) -> Combinations {
        let mut groups: BTreeMap<String, Vec<&TrialRow>> = BTreeMap::new();
        for row in &board.rows {
            let key = Value::Object(row.params.clone()).to_string();
            groups.entry(key).or_default().push(row);
        }
        let mut rows: Vec<CombinationRow> = groups.into_values().map(combination).collect();
        rank(&mut rows, board.maximize);
        Combinations {
            metric: board.metric.clone(),
            maximize: board.maximize,
            rows,
        }
    }

    /// The combinations of a stored sweep.
    pub fn from_snapshot(snapshot: &SweepSnapshot) -> Result<Combinations, ReportError> {
        Ok(Combinations::from_board(&Leaderboard::from_snapshot(
            snapshot,
        )?))
    }

    /// Keep the first `k` rows (all when `None`).
    pub fn top(mut self, k: Option<usize>) -> Combinations {
        if let Some(k) = k {
            self.rows.truncate(k);
        }
        self
    }

    /// The output in `format`.
    pub fn serialize(&self, format: Format) -> anyhow::Result<Vec<u8>> {
        match format {
            Format::Table => Ok(self.table().into_bytes()),
            Format::Csv => Ok(self.csv().into_bytes()),
            Format::Json => self.json(),
        }
    }

    fn param_names(&self) -> Vec<&str> {
        super::param_names(self.rows.iter().map(|row| &row.params))
    }

    /// Aligned columns: rank, trials, n, mean, sd, min, max, each parameter.
    fn table(&self) -> String {
        let names = self.param_names();
        let mean_header = format!("mean {}", self.metric.as_str());
        let mut columns = vec![
            ("rank", Align::Right),
            ("trials", Align::Left),
            ("n", Align::Right),
            (mean_header.as_str(), Align::Right),
            ("sd", Align::Right),
            ("min", Align::Right),
            ("max", Align::Right),
        ];
        columns.extend(names.iter().map(|&name| (name, Align::Left)));
        let mut table = Table::new(columns);
        for row in &self.rows {
            let mut cells = vec![
                text::count(row.rank),
                text::number_ranges(&row.trials),
                row.n.to_string(),
                text::metric(row.mean),
                text::metric(row.sd),
                text::metric(row.min),
                text::metric(row.max),
            ];
            cells.extend(names.iter().map(|&name| {
                row.params
                    .get(name)
                    .map_or_else(String::new, text::param_short)
            }));
            table.push(cells);
        }
        table.render()
    }

    /// CSV: `rank,trials,n,mean,sd,min,max,PARAM...`; trials as `1 2 3`; full precision.
    fn csv(&self) -> String {
        let names = self.param_names();
        let fixed = ["rank", "trials", "n", "mean", "sd", "min", "max"];
        let mut out = fixed
            .iter()
            .copied()
            .chain(names.iter().copied())
            .collect::<Vec<_>>()
            .join(",");
        out.push('\n');
        let exact = |x: Option<f64>| x.map_or_else(String::new, |v| v.to_string());
        for row in &self.rows {
            let trials: Vec<String> = row.trials.iter().map(usize::to_string).collect();
            let mut fields = vec![
                row.rank.map_or_else(String::new, |r| r.to_string()),
                trials.join(" "),
                row.n.to_string(),
                exact(row.mean),
                exact(row.sd),
                exact(row.min),
                exact(row.max),
            ];
            fields.extend(names.iter().map(|&name| {
                let field = row
                    .params
                    .get(name)
                    .map_or_else(String::new, text::param_exact);
                if field.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", field.replace('"', "\"\""))
                } else {
                    field
                }
            }));
            out.push_str(&fields.join(","));
            out.push('\n');
        }
        out
    }

    /// A JSON array of objects: `rank`, `trials`, `n`, `mean`, `sd`, `min`, `max`, `params`.
    fn json(&self) -> anyhow::Result<Vec<u8>> {
        #[derive(Serialize)]
        struct JsonRow<'a> {
            rank: Option<usize>,
            trials: &'a [usize],
            n: usize,
            mean: Option<f64>,
            sd: Option<f64>,
            min: Option<f64>,
            max: Option<f64>,
            params: &'a Params,
        }
        let rows: Vec<JsonRow> = self
            .rows
            .iter()
            .map(|r| JsonRow {
                rank: r.rank,
                trials: &r.trials,
                n: r.n,
                mean: r.mean,
                sd: r.sd,
                min: r.min,
                max: r.max,
                params: &r.params,
            })
            .collect();
        let mut out = serde_json::to_vec_pretty(&rows)?;
        out.push(b'\n');
        Ok(out)
    }
}

/// The statistics of one group of trials.
fn combination(rows: Vec<&TrialRow>) -> CombinationRow {
    let mut trials: Vec<usize> = rows.iter().map(|r| r.trial).collect();
    trials.sort_unstable();
    let metrics: Vec<f64> = rows
        .iter()
        .filter(|r| r.state == TrialState::Completed)
        .filter_map(|r| r.best_metric.filter(|m| m.is_finite()))
        .collect();
    let n = metrics.len();
    let mean = (n > 0).then(|| metrics.iter().sum::<f64>() / n as f64);
    let sd = mean
        .filter(|_| n >= 2)
        .map(|m| (metrics.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt());
    CombinationRow {
        rank: None,
        trials,
        params: rows.first().map(|r| r.params.clone()).unwrap_or_default(),
        n,
        mean,
        sd,
        min: metrics.iter().copied().reduce(f64::min),
        max: metrics.iter().copied().reduce(f64::max),
    }
}

/// Best mean first (ties by first trial), then the combinations without a mean.
fn rank(rows: &mut [CombinationRow], maximize: bool) {
    let first = |r: &CombinationRow| r.trials.first().copied().unwrap_or(0);
    rows.sort_by(|a, b| match (a.mean, b.mean) {
        (Some(x), Some(y)) => {
            let better_first = if maximize {
                y.total_cmp(&x)
            } else {
                x.total_cmp(&y)
            };
            better_first.then(first(a).cmp(&first(b)))
        }
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => first(a).cmp(&first(b)),
    });
    let mut places = 1..;
    for row in rows {
        row.rank = row.mean.and_then(|_| places.next());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::trial_record;

    /// Two combinations of three replicates (one failed) and one pending combination.
    fn board() -> Leaderboard {
        let a = r#"{"batch_size":64,"lr":0.001}"#;
        let b = r#"{"batch_size":64,"lr":0.01}"#;
        let mut failed = trial_record(6, TrialState::Failed, Some(0.9), b);
        failed.error = Some("diverged".to_string());
        let trials = [
            trial_record(1, TrialState::Completed, Some(0.1), a),
            trial_record(2, TrialState::Completed, Some(0.2), a),
            trial_record(3, TrialState::Completed, Some(0.3), a),
            trial_record(4, TrialState::Completed, Some(0.5), b),
            trial_record(5, TrialState::Completed, Some(0.7), b),
            failed,
            trial_record(
                7,
                TrialState::Pending,
                None,
                r#"{"batch_size":128,"lr":0.01}"#,
            ),
        ];
        let rows = trials
            .iter()
            .map(|t| TrialRow::from_record(t).expect("valid params"))
            .collect();
        Leaderboard::new(MetricName::VAL_R2, true, rows)
    }

    #[test]
    fn combinations_rank_by_mean_of_completed_replicates() {
        let groups = Combinations::from_board(&board());
        let summary: Vec<(Option<usize>, Vec<usize>, usize)> = groups
            .rows
            .iter()
            .map(|r| (r.rank, r.trials.clone(), r.n))
            .collect();
        assert_eq!(
            summary,
            [
                (Some(1), vec![4, 5, 6], 2),
                (Some(2), vec![1, 2, 3], 3),
                (None, vec![7], 0)
            ]
        );
        let best = &groups.rows[0];
        assert!((best.mean.expect("mean") - 0.6).abs() < 1e-12);
        assert!((best.sd.expect("sd") - 0.02f64.sqrt()).abs() < 1e-12);
        assert_eq!((best.min, best.max), (Some(0.5), Some(0.7)));
        let worse =
            Combinations::from_board(&Leaderboard::new(MetricName::VAL_LOSS, false, board().rows));
        assert_eq!(worse.rows[0].trials, [1, 2, 3]);
    }

    #[test]
    fn combination_exports() {
        let groups = Combinations::from_board(&board());
        let table =
            String::from_utf8(groups.serialize(Format::Table).expect("table")).expect("UTF-8");
        assert_eq!(
            table,
            "rank  trials  n  mean val_r2      sd     min     max  batch_size  lr\n\
             \x20  1  4-6     2       0.6000  0.1414  0.5000  0.7000  64          0.01\n\
             \x20  2  1-3     3       0.2000  0.1000  0.1000  0.3000  64          0.001\n\
             \x20  -  7       0            -       -       -       -  128         0.01\n"
        );
        let csv = String::from_utf8(
            groups
                .clone()
                .top(Some(1))
                .serialize(Format::Csv)
                .expect("csv"),
        )
        .expect("UTF-8");
        assert_eq!(
            csv,
            "rank,trials,n,mean,sd,min,max,batch_size,lr\n\
             1,4 5 6,2,0.6,0.14142135623730948,0.5,0.7,64,0.01\n"
        );
        let json: Value = serde_json::from_slice(&groups.serialize(Format::Json).expect("json"))
            .expect("valid JSON");
        assert_eq!(json[1]["n"], 3);
        assert_eq!(json[1]["trials"], serde_json::json!([1, 2, 3]));
        assert_eq!(json[2]["mean"], Value::Null);
        assert_eq!(json[0]["params"]["lr"], 0.01);
    }
}
