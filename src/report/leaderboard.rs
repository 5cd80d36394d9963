//! The leaderboard: a sweep's trials ranked by its metric, and its exporters (table, CSV, JSON).
//!
//! Ranking: trials with a best metric, by the sweep's goal, ties by trial number; then the
//! pruned trials (stopped at a rung by `early_terminate`), ranked the same way among
//! themselves: a pruned trial was judged worse than the trials that trained on, and it is
//! never the result to pick; then every trial without a place (pending, running without an
//! epoch yet, failed), by number. A failed trial gets no rank even when it recorded epochs
//! before failing: it is not a result to pick.
//! The order is total, so every format is byte-stable for a given store.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Params, ReportError, SweepSnapshot, params_of};
use crate::metric::{EpochMetrics, MetricName};
use crate::search::{DrawKind, SampledFrom};
use crate::store::{TrialRecord, TrialState};
use crate::text::{self, Align, Table};

/// How wide the table lets a failed trial's error be (the CSV and JSON keep it whole).
const ERROR_WIDTH: usize = 40;

/// One trial as every view of a leaderboard shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialRow {
    /// 1-based place by the sweep's metric; `None` for a trial without one.
    pub rank: Option<usize>,
    /// The trial's number.
    pub trial: usize,
    /// Where it is in its life.
    pub state: TrialState,
    /// Its parameters.
    pub params: Params,
    /// The best value of the sweep's metric so far.
    pub best_metric: Option<f64>,
    /// The epoch of that value.
    pub best_epoch: Option<usize>,
    /// Epochs recorded.
    pub epochs: usize,
    /// Why it failed.
    pub error: Option<String>,
    /// A bayes sweep's trial: a startup (random) or a TPE draw; `None` for other methods.
    pub draw: Option<DrawKind>,
    /// The rung epoch where it was pruned.
    pub pruned_at: Option<usize>,
    /// The device it trained on (`cpu`, `tch-cpu`, `cuda:1`), once a worker claimed it.
    pub device: Option<String>,
    /// A program trial's other metrics at its best step, by name (empty for the built-in
    /// model, whose tables read as they always did).
    pub at_best: BTreeMap<String, f64>,
}

impl TrialRow {
    /// The row of a stored trial (not yet ranked).
    pub fn from_record(trial: &TrialRecord) -> Result<TrialRow, ReportError> {
        Ok(TrialRow {
            rank: None,
            trial: trial.number,
            state: trial.state,
            params: params_of(trial)?,
            best_metric: trial.best_metric,
            best_epoch: trial.best_epoch,
            epochs: trial.epochs,
            error: trial.error.clone(),
            draw: trial
                .sampled_from
                .as_deref()
                .and_then(SampledFrom::from_json)
                .map(|s| s.draw),
            pruned_at: trial.pruned_at,
            device: trial.device.clone(),
            at_best: BTreeMap::new(),
        })
    }

    /// The row of a stored trial (not yet ranked) with a program trial's other metrics at
    /// its best step (`best_step`; `metric`, the sweep's, is the row's own column).
    pub fn at_best(
        trial: &TrialRecord,
        metric: &str,
        best_step: Option<&EpochMetrics>,
    ) -> Result<TrialRow, ReportError> {
        let mut row = TrialRow::from_record(trial)?;
        if let Some(step) = best_step {
            row.at_best = step
                .names()
                .filter(|name| *name != metric)
                .filter_map(|name| Some((name.to_string(), step.value(name)?)))
                .collect();
        }
        Ok(row)
    }

    /// Whether `early_terminate` stopped it.
    fn is_pruned(&self) -> bool {
        self.state == TrialState::Pruned
    }

    /// The metric this trial competes with, if it competes at all.
    fn ranked_metric(&self) -> Option<f64> {
        self.best_metric
            .filter(|m| m.is_finite() && self.state != TrialState::Failed)
    }
}

/// A sweep's trials in rank order, with what the views need to label them.
#[derive(Clone, Debug, PartialEq)]
pub struct Leaderboard {
    /// The metric that ranks the trials.
    pub metric: MetricName,
    /// Whether a larger metric is better.
    pub maximize: bool,
    /// The trials, best first.
    pub rows: Vec<TrialRow>,
}

impl Leaderboard {
    /// Rank `rows` by `metric` in the direction `maximize` says.
    pub fn new(metric: MetricName, maximize: bool, mut rows: Vec<TrialRow>) -> Leaderboard {
        rank(&mut rows, maximize);
        Leaderboard {
            metric,
            maximize,
            rows,
        }
    }

    /// The leaderboard of every trial of a sweep.
    pub fn from_snapshot(snapshot: &SweepSnapshot) -> Result<Leaderboard, ReportError> {
        let metric = snapshot.sweep.metric.as_str();
        let rows = snapshot
            .trials
            .iter()
            .map(|trial| TrialRow::at_best(trial, metric, snapshot.best_steps.get(&trial.number)))
            .collect::<Result<_, ReportError>>()?;
        Ok(Leaderboard::new(
            snapshot.sweep.metric.clone(),
            snapshot.sweep.maximizes(),
            rows,
        ))
    }

    /// Whether any trial trained elsewhere than on the default `cpu` device: only then do the
    /// tables show a device column (a CPU-only sweep's tables read as they always did).
    pub fn has_other_devices(&self) -> bool {
        self.rows
            .iter()
            .any(|row| row.device.as_deref().is_some_and(|d| d != "cpu"))
    }

    /// Keep the first `k` rows (all when `None`).
    pub fn top(mut self, k: Option<usize>) -> Leaderboard {
        if let Some(k) = k {
            self.rows.truncate(k);
        }
        self
    }

    /// The best trial so far, if any trial has a rank.
    pub fn best(&self) -> Option<&TrialRow> {
        self.rows.first().filter(|row| row.rank == Some(1))
    }

    /// The other metrics the rows report at their best step, by name: a column each.
    pub fn other_metrics(&self) -> Vec<&str> {
        let names: std::collections::BTreeSet<&str> = self
            .rows
            .iter()
            .flat_map(|row| row.at_best.keys().map(String::as_str))
            .collect();
        names.into_iter().collect()
    }

    /// Whether any row says how it was drawn (a bayes sweep): the views add a `draw` column.
    pub fn has_draws(&self) -> bool {
        self.rows.iter().any(|row| row.draw.is_some())
    }

    /// Every parameter name any row has, sorted.
    pub fn param_names(&self) -> Vec<&str> {
        super::param_names(self.rows.iter().map(|row| &row.params))
    }

    /// The parameters that differ between rows, sorted: the columns a table for people
    /// shows (a sweep file fixes many parameters with `value:`, and a column that is the
    /// same on every row only pushes the others off the screen; CSV and JSON keep them
    /// all). Every parameter when none differs, or with fewer than two rows.
    pub fn swept_param_names(&self) -> Vec<&str> {
        let all = self.param_names();
        let swept: Vec<&str> = all
            .iter()
            .copied()
            .filter(|name| {
                let mut values = self.rows.iter().map(|row| row.params.get(*name));
                let first = values.next().flatten();
                values.any(|value| value != first)
            })
            .collect();
        if swept.is_empty() { all } else { swept }
    }
}

/// Sort `rows` into leaderboard order and number the ranked ones 1, 2, ...
pub fn rank(rows: &mut [TrialRow], maximize: bool) {
    rows.sort_by(|a, b| match (a.ranked_metric(), b.ranked_metric()) {
        (Some(_), Some(_)) if a.is_pruned() != b.is_pruned() => a.is_pruned().cmp(&b.is_pruned()),
        (Some(x), Some(y)) => {
            let better_first = if maximize {
                y.total_cmp(&x)
            } else {
                x.total_cmp(&y)
            };
            better_first.then(a.trial.cmp(&b.trial))
        }
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.trial.cmp(&b.trial),
    });
    let mut places = 1..;
    for row in rows {
        row.rank = row.ranked_metric().and_then(|_| places.next());
    }
}

/// Turns a leaderboard into the bytes of one output format.
pub trait Exporter {
    /// The whole output, ready to write.
    fn serialize(&self, board: &Leaderboard) -> anyhow::Result<Vec<u8>>;
}

/// The output formats of `sweep leaderboard`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// Comma-separated values, one column per parameter.
    Csv,
    /// An array of objects, metrics at full precision.
    Json,
}

/// The exporter of `format`; `bold` makes the table set the best row in bold (for a terminal).
pub fn exporter(format: Format, bold: bool) -> Box<dyn Exporter> {
    match format {
        Format::Table => Box::new(TableExporter { bold_best: bold }),
        Format::Csv => Box::new(CsvExporter),
        Format::Json => Box::new(JsonExporter),
    }
}

/// Aligned columns: rank, trial, state, the metric, best epoch, epochs, the device (when any
/// trial trained elsewhere than on `cpu`), how it was drawn (bayes sweeps only), each parameter that differs between rows
/// ([`Leaderboard::swept_param_names`]), the rung epoch of pruned trials (`pruned at`, when
/// any trial is), and the error of failed trials; the best row is marked `*`.
#[derive(Clone, Copy, Debug, Default)]
pub struct TableExporter {
    /// Also set the best row in bold (ANSI), for a terminal.
    pub bold_best: bool,
}

impl Exporter for TableExporter {
    fn serialize(&self, board: &Leaderboard) -> anyhow::Result<Vec<u8>> {
        let names = board.swept_param_names();
        let with_errors = board.rows.iter().any(|row| row.error.is_some());
        let with_draws = board.has_draws();
        let with_pruned = board.rows.iter().any(|row| row.pruned_at.is_some());
        let with_devices = board.has_other_devices();
        let others = board.other_metrics();
        let mut columns = vec![
            ("", Align::Left),
            ("rank", Align::Right),
            ("trial", Align::Right),
            ("state", Align::Left),
            (board.metric.as_str(), Align::Right),
            ("best epoch", Align::Right),
            ("epochs", Align::Right),
        ];
        columns.extend(others.iter().map(|&name| (name, Align::Right)));
        if with_devices {
            columns.push(("device", Align::Left));
        }
        if with_draws {
            columns.push(("draw", Align::Left));
        }
        columns.extend(names.iter().map(|&name| (name, Align::Left)));
        if with_pruned {
            columns.push(("pruned at", Align::Right));
        }
        if with_errors {
            columns.push(("error", Align::Left));
        }
        let mut table = Table::new(columns);
        for row in &board.rows {
            let mut cells = vec![
                if row.rank == Some(1) { "*" } else { "" }.to_string(),
                text::count(row.rank),
                row.trial.to_string(),
                row.state.to_string(),
                text::metric(row.best_metric),
                text::count(row.best_epoch),
                row.epochs.to_string(),
            ];
            cells.extend(
                others
                    .iter()
                    .map(|&name| text::metric(row.at_best.get(name).copied())),
            );
            if with_devices {
                cells.push(row.device.clone().unwrap_or_default());
            }
            if with_draws {
                cells.push(draw_name(row.draw));
            }
            cells.extend(names.iter().map(|&name| {
                row.params
                    .get(name)
                    .map_or_else(String::new, text::param_short)
            }));
            if with_pruned {
                cells.push(
                    row.pruned_at
                        .map_or_else(String::new, |e| format!("epoch {e}")),
                );
            }
            if with_errors {
                cells.push(
                    row.error
                        .as_deref()
                        .map_or_else(String::new, |e| text::shorten(e, ERROR_WIDTH)),
                );
            }
            table.push(cells);
        }
        let mut out = String::new();
        for (i, line) in table.lines().into_iter().enumerate() {
            // Line 0 is the header; line 1 the first row, the best one when it has rank 1.
            let best = i == 1 && board.best().is_some();
            if best && self.bold_best {
                out.push_str(&format!("\x1b[1m{line}\x1b[0m\n"));
            } else {
                out.push_str(&line);
                out.push('\n');
            }
        }
        Ok(out.into_bytes())
    }
}

/// RFC 4180 CSV: a header, then one line per trial; one column per parameter name (the union
/// over all trials, sorted), `error`, `pruned_at` (the rung epoch of a pruned trial), then
/// `device` (where it trained);
/// empty fields for what a trial lacks; numbers at full precision.
#[derive(Clone, Copy, Debug, Default)]
pub struct CsvExporter;

impl Exporter for CsvExporter {
    fn serialize(&self, board: &Leaderboard) -> anyhow::Result<Vec<u8>> {
        let names = board.param_names();
        let fixed = [
            "rank",
            "trial",
            "state",
            "best_metric",
            "best_epoch",
            "epochs",
        ];
        let with_draws = board.has_draws();
        let draw_column = with_draws.then_some("draw");
        let others = board.other_metrics();
        let header: Vec<&str> = fixed
            .into_iter()
            .chain(others.iter().copied())
            .chain(draw_column)
            .chain(names.iter().copied())
            .chain(["error", "pruned_at", "device"])
            .collect();
        let mut out = csv_line(header.iter().copied());
        for row in &board.rows {
            let mut fields = vec![
                row.rank.map_or_else(String::new, |r| r.to_string()),
                row.trial.to_string(),
                row.state.to_string(),
                row.best_metric.map_or_else(String::new, |m| m.to_string()),
                row.best_epoch.map_or_else(String::new, |e| e.to_string()),
                row.epochs.to_string(),
            ];
            fields.extend(others.iter().map(|&name| {
                row.at_best
                    .get(name)
                    .map_or_else(String::new, |v| v.to_string())
            }));
            if with_draws {
                fields.push(draw_name(row.draw));
            }
            fields.extend(names.iter().map(|&name| {
                row.params
                    .get(name)
                    .map_or_else(String::new, text::param_exact)
            }));
            fields.push(row.error.clone().unwrap_or_default());
            fields.push(row.pruned_at.map_or_else(String::new, |e| e.to_string()));
            fields.push(row.device.clone().unwrap_or_default());
            out.push_str(&csv_line(fields.iter().map(String::as_str)));
        }
        Ok(out.into_bytes())
    }
}

/// A draw's short name; empty for a trial without one.
fn draw_name(draw: Option<DrawKind>) -> String {
    draw.map_or_else(String::new, |d| d.as_str().to_string())
}

/// One CSV record, quoted where a field needs it, ending in `\n`.
fn csv_line<'a>(fields: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = fields.map(csv_field).collect();
    format!("{}\n", quoted.join(","))
}

fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// A JSON array of objects, one per trial: `rank`, `trial`, `state`, `best_metric`,
/// `best_epoch`, `epochs`, `draw` (bayes sweeps only: `startup` or `tpe`), `params` (an
/// object), `error`, `pruned_at` (the rung epoch of a pruned trial), `device` (where it
/// trained); absent values are `null`.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsonExporter;

/// A row as the JSON export and the dashboard give it; field order is the output's key order.
#[derive(Clone, Debug, Serialize)]
pub struct JsonRow<'a> {
    rank: Option<usize>,
    trial: usize,
    state: &'static str,
    best_metric: Option<f64>,
    best_epoch: Option<usize>,
    epochs: usize,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    metrics: &'a BTreeMap<String, f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    draw: Option<&'static str>,
    params: &'a Params,
    error: Option<&'a str>,
    pruned_at: Option<usize>,
    device: Option<&'a str>,
}

impl<'a> JsonRow<'a> {
    /// The JSON shape of `row`.
    pub fn of(row: &'a TrialRow) -> JsonRow<'a> {
        JsonRow {
            rank: row.rank,
            trial: row.trial,
            state: row.state.as_str(),
            best_metric: row.best_metric,
            best_epoch: row.best_epoch,
            epochs: row.epochs,
            metrics: &row.at_best,
            draw: row.draw.map(DrawKind::as_str),
            params: &row.params,
            error: row.error.as_deref(),
            pruned_at: row.pruned_at,
            device: row.device.as_deref(),
        }
    }
}

impl Exporter for JsonExporter {
    fn serialize(&self, board: &Leaderboard) -> anyhow::Result<Vec<u8>> {
        let rows: Vec<JsonRow> = board.rows.iter().map(JsonRow::of).collect();
        let mut out = serde_json::to_vec_pretty(&rows)?;
        out.push(b'\n');
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::trial_record;

    /// Five trials: two completed, one running (tied with trial 1), one failed after recording
    /// epochs, one pending; trial 4 alone has an `activation`.
    fn rows() -> Vec<TrialRow> {
        let mut failed = trial_record(
            3,
            TrialState::Failed,
            Some(0.05),
            r#"{"batch_size":512,"lr":0.01}"#,
        );
        failed.error = Some("diverged: loss is NaN, at epoch 2\n\"stack\"".to_string());
        [
            trial_record(
                1,
                TrialState::Completed,
                Some(0.3),
                r#"{"batch_size":128,"lr":0.001}"#,
            ),
            trial_record(
                2,
                TrialState::Completed,
                Some(0.45),
                r#"{"batch_size":256,"lr":0.0031234}"#,
            ),
            failed,
            trial_record(
                4,
                TrialState::Running,
                Some(0.3),
                r#"{"activation":"relu","batch_size":128,"lr":0.002}"#,
            ),
            trial_record(
                5,
                TrialState::Pending,
                None,
                r#"{"batch_size":64,"lr":0.005}"#,
            ),
        ]
        .iter()
        .map(|t| TrialRow::from_record(t).expect("valid params"))
        .collect()
    }

    fn order(board: &Leaderboard) -> Vec<(Option<usize>, usize)> {
        board.rows.iter().map(|r| (r.rank, r.trial)).collect()
    }

    fn export(exporter: &dyn Exporter, board: &Leaderboard) -> String {
        String::from_utf8(exporter.serialize(board).expect("serialized")).expect("UTF-8")
    }

    #[test]
    fn trials_rank_by_the_goal_ties_by_number_unranked_last() {
        let board = Leaderboard::new(MetricName::VAL_R2, true, rows());
        assert_eq!(
            order(&board),
            [
                (Some(1), 2),
                (Some(2), 1),
                (Some(3), 4),
                (None, 3),
                (None, 5)
            ]
        );
        assert_eq!(board.best().map(|r| r.trial), Some(2));

        let board = Leaderboard::new(MetricName::VAL_LOSS, false, rows());
        assert_eq!(
            order(&board),
            [
                (Some(1), 1),
                (Some(2), 4),
                (Some(3), 2),
                (None, 3),
                (None, 5)
            ]
        );
    }

    #[test]
    fn pruned_trials_rank_after_those_that_trained_on_and_show_their_rung() {
        let mut all = rows();
        let pruned = trial_record(6, TrialState::Pruned, Some(0.9), r#"{"batch_size":64}"#);
        let pruned_worse = trial_record(7, TrialState::Pruned, Some(0.2), r#"{"batch_size":64}"#);
        all.extend(
            [pruned, pruned_worse]
                .iter()
                .map(|t| TrialRow::from_record(t).expect("valid params")),
        );
        let board = Leaderboard::new(MetricName::VAL_R2, true, all);
        assert_eq!(
            order(&board),
            [
                (Some(1), 2),
                (Some(2), 1),
                (Some(3), 4),
                (Some(4), 6),
                (Some(5), 7),
                (None, 3),
                (None, 5)
            ]
        );
        let table = export(&TableExporter::default(), &board.clone().top(Some(4)));
        assert!(
            table
                .lines()
                .next()
                .is_some_and(|h| h.contains("pruned at"))
        );
        assert!(
            table
                .lines()
                .nth(4)
                .is_some_and(|l| l.contains("pruned") && l.ends_with("epoch 3")),
            "{table}"
        );
        let csv = export(&CsvExporter, &board);
        assert!(csv.contains("\n4,6,pruned,0.9,2,3,,64,,,3,\n"), "{csv}");
        let json: serde_json::Value =
            serde_json::from_str(&export(&JsonExporter, &board)).expect("valid JSON");
        assert_eq!(json[3]["state"], "pruned");
        assert_eq!(json[3]["pruned_at"], 3);
        assert_eq!(json[0]["pruned_at"], serde_json::Value::Null);
    }

    #[test]
    fn no_best_without_a_ranked_trial() {
        let mut pending = rows();
        pending.retain(|r| r.best_metric.is_none());
        let board = Leaderboard::new(MetricName::VAL_R2, true, pending);
        assert_eq!(board.best(), None);
    }

    #[test]
    fn top_keeps_the_first_rows() {
        let board = Leaderboard::new(MetricName::VAL_R2, true, rows());
        assert_eq!(board.clone().top(None).rows.len(), 5);
        assert_eq!(
            order(&board.clone().top(Some(2))),
            [(Some(1), 2), (Some(2), 1)]
        );
        assert_eq!(board.top(Some(9)).rows.len(), 5);
        assert_eq!(
            Leaderboard::new(MetricName::VAL_R2, true, rows())
                .top(Some(4))
                .param_names(),
            ["activation", "batch_size", "lr"]
        );
    }

    #[test]
    fn table_export() {
        let board = Leaderboard::new(MetricName::VAL_R2, true, rows());
        assert_eq!(
            export(&TableExporter::default(), &board),
            "   rank  trial  state      val_r2  best epoch  epochs  activation  batch_size  lr        error\n\
             *     1      2  completed  0.4500           2       3              256         0.003123\n\
             \x20     2      1  completed  0.3000           2       3              128         0.001\n\
             \x20     3      4  running    0.3000           2       3  relu        128         0.002\n\
             \x20     -      3  failed     0.0500           2       3              512         0.01      diverged: loss is NaN, at epoch 2…\n\
             \x20     -      5  pending         -           -       0              64          0.005\n"
        );
    }

    #[test]
    fn table_export_bolds_the_best_row_for_a_terminal() {
        let board = Leaderboard::new(MetricName::VAL_R2, true, rows()).top(Some(2));
        assert_eq!(
            export(&TableExporter { bold_best: true }, &board),
            "   rank  trial  state      val_r2  best epoch  epochs  batch_size  lr\n\
             \x1b[1m*     1      2  completed  0.4500           2       3  256         0.003123\x1b[0m\n\
             \x20     2      1  completed  0.3000           2       3  128         0.001\n"
        );
    }

    #[test]
    fn a_device_column_shows_once_a_trial_trained_off_the_cpu() {
        let mut rows = rows();
        for row in &mut rows {
            row.device = Some("cpu".to_string());
        }
        let board = Leaderboard::new(MetricName::VAL_R2, true, rows.clone());
        let table = export(&TableExporter::default(), &board);
        assert!(!table.contains("device"), "{table}");
        assert!(export(&CsvExporter, &board).contains(",,cpu\n"));
        rows[1].device = Some("cuda:1".to_string());
        let board = Leaderboard::new(MetricName::VAL_R2, true, rows);
        let table = export(&TableExporter::default(), &board);
        let header = table.lines().next().unwrap_or_default();
        assert!(header.contains("epochs  device"), "{table}");
        assert!(table.lines().any(|l| l.contains("cuda:1")), "{table}");
        let json: serde_json::Value =
            serde_json::from_str(&export(&JsonExporter, &board)).expect("valid JSON");
        let devices: Vec<&str> = json
            .as_array()
            .map(|rows| rows.iter().filter_map(|r| r["device"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(devices.iter().filter(|d| **d == "cuda:1").count(), 1);
        assert_eq!(devices.len(), 5);
    }

    #[test]
    fn csv_export() {
        let board = Leaderboard::new(MetricName::VAL_R2, true, rows());
        assert_eq!(
            export(&CsvExporter, &board),
            "rank,trial,state,best_metric,best_epoch,epochs,activation,batch_size,lr,error,pruned_at,device\n\
             1,2,completed,0.45,2,3,,256,0.0031234,,,\n\
             2,1,completed,0.3,2,3,,128,0.001,,,\n\
             3,4,running,0.3,2,3,relu,128,0.002,,,\n\
             ,3,failed,0.05,2,3,,512,0.01,\"diverged: loss is NaN, at epoch 2\n\"\"stack\"\"\",,\n\
             ,5,pending,,,0,,64,0.005,,,\n"
        );
    }

    #[test]
    fn json_export() {
        let mut rows = rows();
        rows.retain(|r| [2, 3].contains(&r.trial));
        let board = Leaderboard::new(MetricName::VAL_R2, true, rows);
        assert_eq!(
            export(&JsonExporter, &board),
            r#"[
  {
    "rank": 1,
    "trial": 2,
    "state": "completed",
    "best_metric": 0.45,
    "best_epoch": 2,
    "epochs": 3,
    "params": {
      "batch_size": 256,
      "lr": 0.0031234
    },
    "error": null,
    "pruned_at": null,
    "device": null
  },
  {
    "rank": null,
    "trial": 3,
    "state": "failed",
    "best_metric": 0.05,
    "best_epoch": 2,
    "epochs": 3,
    "params": {
      "batch_size": 512,
      "lr": 0.01
    },
    "error": "diverged: loss is NaN, at epoch 2\n\"stack\"",
    "pruned_at": null,
    "device": null
  }
]
"#
        );
    }

    #[test]
    fn json_keeps_full_precision() {
        let mut row = rows().remove(0);
        row.best_metric = Some(0.1 + 0.2);
        let json = export(
            &JsonExporter,
            &Leaderboard::new(MetricName::VAL_R2, true, vec![row]),
        );
        let back: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(back[0]["best_metric"].as_f64(), Some(0.1 + 0.2));
        assert!(json.contains("0.30000000000000004"));
        assert!(back[0]["params"].is_object());
    }

    #[test]
    fn tables_leave_out_parameters_every_row_shares() {
        let rows = [
            trial_record(
                1,
                TrialState::Completed,
                Some(0.3),
                r#"{"lr":0.001,"units":8}"#,
            ),
            trial_record(
                2,
                TrialState::Completed,
                Some(0.4),
                r#"{"lr":0.002,"units":8}"#,
            ),
        ]
        .iter()
        .map(TrialRow::from_record)
        .collect::<Result<Vec<_>, _>>()
        .expect("rows");
        let board = Leaderboard::new(MetricName::VAL_R2, true, rows);
        assert_eq!(board.param_names(), ["lr", "units"]);
        assert_eq!(board.swept_param_names(), ["lr"]);
        let table = String::from_utf8(TableExporter::default().serialize(&board).expect("table"))
            .expect("utf-8");
        assert!(!table.contains("units"), "{table}");
        let csv = String::from_utf8(CsvExporter.serialize(&board).expect("csv")).expect("utf-8");
        assert!(csv.contains("lr,units"), "CSV keeps every parameter: {csv}");
        // One row, or nothing that differs: every parameter.
        assert_eq!(board.top(Some(1)).swept_param_names(), ["lr", "units"]);
    }

    #[test]
    fn bayes_trials_show_how_they_were_drawn() {
        let mut startup = trial_record(1, TrialState::Completed, Some(0.3), r#"{"lr":0.001}"#);
        startup.sampled_from = Some(r#"{"draw":"startup","finished":[],"running":[]}"#.into());
        let mut tpe = trial_record(2, TrialState::Completed, Some(0.4), r#"{"lr":0.002}"#);
        tpe.sampled_from = Some(r#"{"draw":"tpe","finished":[[1,0.3]],"running":[]}"#.into());
        let rows = [startup, tpe]
            .iter()
            .map(TrialRow::from_record)
            .collect::<Result<Vec<_>, _>>()
            .expect("rows");
        let board = Leaderboard::new(MetricName::VAL_R2, true, rows);
        assert!(board.has_draws());
        let table = String::from_utf8(TableExporter::default().serialize(&board).expect("table"))
            .expect("utf-8");
        assert_eq!(
            table,
            "   rank  trial  state      val_r2  best epoch  epochs  draw     lr\n\
             *     1      2  completed  0.4000           2       3  tpe      0.002\n\
             \x20     2      1  completed  0.3000           2       3  startup  0.001\n"
        );
        let csv = String::from_utf8(CsvExporter.serialize(&board).expect("csv")).expect("utf-8");
        assert!(csv.starts_with(
            "rank,trial,state,best_metric,best_epoch,epochs,draw,lr,error,pruned_at,device\n"
        ));
        assert!(csv.contains(",tpe,"));
        let json = String::from_utf8(JsonExporter.serialize(&board).expect("json")).expect("utf-8");
        assert!(json.contains("\"draw\": \"startup\""));
        // Other sweeps' output is unchanged: no draw column, no draw key.
        let plain = Leaderboard::new(MetricName::VAL_R2, true, rows_without_draws(&board));
        assert!(!plain.has_draws());
        let json = String::from_utf8(JsonExporter.serialize(&plain).expect("json")).expect("utf-8");
        assert!(!json.contains("draw"));
    }

    fn rows_without_draws(board: &Leaderboard) -> Vec<TrialRow> {
        board
            .rows
            .iter()
            .cloned()
            .map(|mut row| {
                row.draw = None;
                row
            })
            .collect()
    }
}
