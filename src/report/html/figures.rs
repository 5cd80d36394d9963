//! The report's charts, named for the page and for PNG files, and the page's chart sections.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{ReportInput, escape, file_safe};
use crate::report::charts::{self, Chart, ParamPoint, TrialCurves};
use crate::report::leaderboard::{Leaderboard, TrialRow};
use crate::store::TrialState;
use crate::text;

/// Trials overlaid in the "top K" charts.
const TOP_K: usize = 8;
/// Metrics drawn per trial of a program sweep (its metric first).
const TRIAL_PANELS: usize = 3;

/// One chart of the report, named for the page and for a file.
pub struct NamedChart {
    /// The PNG file's name without `.png` (`progress`, `param-batch_size`, `trial-0007`).
    pub stem: String,
    /// The caption under it on the page.
    pub caption: String,
    /// The chart.
    pub chart: Chart,
}

/// Every chart of a report, in page order. The HTML page and `sweep report --png` both draw
/// from this one list, so they cannot disagree on which charts exist.
pub struct ReportCharts {
    /// How the sweep went: progress, then the top K overlays.
    pub sweep: Vec<NamedChart>,
    /// The metric against each swept parameter, then parallel coordinates; empty when no
    /// parameter varies.
    pub params: Vec<NamedChart>,
    /// One per trial, by trial number.
    pub trials: BTreeMap<usize, NamedChart>,
}

impl ReportCharts {
    /// Prepares the report's charts.
    pub fn new(input: &ReportInput, board: &Leaderboard) -> ReportCharts {
        ReportCharts {
            sweep: sweep_charts(input, board),
            params: parameter_charts(input, board),
            trials: trial_charts(input, board),
        }
    }

    /// All the charts, in page order.
    pub fn all(&self) -> impl Iterator<Item = &NamedChart> {
        self.sweep
            .iter()
            .chain(&self.params)
            .chain(self.trials.values())
    }
}

/// Progress, the baseline comparison when there is one, the top K overlays, pruning.
fn sweep_charts(input: &ReportInput, board: &Leaderboard) -> Vec<NamedChart> {
    let sweep = &input.snapshot.sweep;
    let mut progress: Vec<(usize, f64)> = board
        .rows
        .iter()
        .filter(|r| r.state == TrialState::Completed)
        .filter_map(|r| r.best_metric.map(|m| (r.trial, m)))
        .collect();
    progress.sort_by_key(|(n, _)| *n);
    let mut list = vec![NamedChart {
        stem: "progress".to_string(),
        caption: "best so far, by trial number".to_string(),
        chart: charts::progress(&progress, &sweep.metric, sweep.goal),
    }];
    if let Some(baseline) = &input.baseline {
        let lines = [
            (format!("{} (bayes)", sweep.name), progress.clone()),
            (
                format!("{} (random)", baseline.sweep),
                baseline.progress.clone(),
            ),
        ];
        list.push(NamedChart {
            stem: "versus-random".to_string(),
            caption: format!(
                "best so far by trial number: TPE against the random sweep `{}` over the same \
                 parameters",
                baseline.sweep
            ),
            chart: charts::versus(&lines, &sweep.metric, sweep.goal),
        });
    }
    let top: Vec<TrialCurves> = board
        .rows
        .iter()
        .filter(|r| r.rank.is_some())
        .take(TOP_K)
        .map(|r| TrialCurves {
            number: r.trial,
            epochs: input.epochs_of(r.trial),
            best_epoch: r.best_epoch,
        })
        .collect();
    for metric in input.curve_metrics() {
        let title = format!("top {} trials: {}", top.len(), metric.as_str());
        list.push(NamedChart {
            stem: format!("top-{}", metric.as_str()),
            chart: charts::overlay(&top, &metric, &title),
            caption: title,
        });
    }
    list.extend(pruning_chart(input));
    list
}

/// Where `early_terminate` stopped trials: every trial's metric by epoch, a mark where each
/// pruned trial stopped, the rungs as vertical lines. Only for a sweep that has rung decisions.
fn pruning_chart(input: &ReportInput) -> Option<NamedChart> {
    if input.rungs.is_empty() {
        return None;
    }
    let sweep = &input.snapshot.sweep;
    let mut rungs: Vec<usize> = input.rungs.iter().map(|r| r.rung_epoch).collect();
    rungs.dedup();
    let pruned = input
        .rungs
        .iter()
        .filter(|r| r.decision == crate::spec::RungDecision::Prune)
        .count();
    let trials: Vec<(TrialCurves, Option<usize>)> = input
        .snapshot
        .trials
        .iter()
        .map(|t| {
            let curves = TrialCurves {
                number: t.number,
                epochs: input.epochs_of(t.number),
                best_epoch: t.best_epoch,
            };
            (curves, t.pruned_at)
        })
        .collect();
    let rung_list: Vec<String> = rungs.iter().map(usize::to_string).collect();
    Some(NamedChart {
        stem: "pruning".to_string(),
        caption: format!(
            "early stopping: {pruned} trial(s) pruned at rungs (epochs {})",
            rung_list.join(", ")
        ),
        chart: charts::pruning(&trials, &rungs, &sweep.metric),
    })
}

/// "How the sweep went" and, when a parameter varies, "What the parameters did".
pub(super) fn charts_section(charts: &ReportCharts) -> String {
    let mut html = String::from("<h2>How the sweep went</h2>\n<div class=\"charts\">\n");
    for c in &charts.sweep {
        html.push_str(&figure(&c.caption, &c.chart.svg()));
    }
    html.push_str("</div>\n");
    if !charts.params.is_empty() {
        html.push_str("<h2>What the parameters did</h2>\n<div class=\"charts\">\n");
        for c in &charts.params {
            html.push_str(&figure(&c.caption, &c.chart.svg()));
        }
        html.push_str("</div>\n");
    }
    html
}

/// The metric against each parameter that varies across trials, and all of them in parallel.
fn parameter_charts(input: &ReportInput, board: &Leaderboard) -> Vec<NamedChart> {
    let sweep = &input.snapshot.sweep;
    let swept: Vec<String> = board
        .param_names()
        .into_iter()
        .filter(|name| {
            let values: BTreeSet<String> = board
                .rows
                .iter()
                .filter_map(|r| r.params.get(*name).map(Value::to_string))
                .collect();
            values.len() > 1
        })
        .map(str::to_string)
        .collect();
    if swept.is_empty() {
        return Vec::new();
    }
    let scored: Vec<&TrialRow> = board
        .rows
        .iter()
        .filter(|r| r.best_metric.is_some_and(f64::is_finite))
        .collect();
    let mut list = Vec::new();
    for name in &swept {
        let points: Vec<(ParamPoint, f64)> = scored
            .iter()
            .filter_map(|r| {
                let metric = r.best_metric?;
                Some((param_point(r.params.get(name.as_str())?), metric))
            })
            .collect();
        list.push(NamedChart {
            stem: format!("param-{}", file_safe(name)),
            caption: format!("{} against {name}", sweep.metric),
            chart: charts::param(name, &points, &sweep.metric, name == "learning_rate"),
        });
    }
    let rows: Vec<(Vec<ParamPoint>, f64)> = scored
        .iter()
        .filter_map(|r| {
            let values = swept
                .iter()
                .map(|name| r.params.get(name.as_str()).map(param_point))
                .collect::<Option<Vec<_>>>()?;
            Some((values, r.best_metric?))
        })
        .collect();
    list.push(NamedChart {
        stem: "parallel".to_string(),
        caption: "all trials, coloured by the metric".to_string(),
        chart: charts::parallel(&swept, &rows, &sweep.metric, sweep.goal),
    });
    list
}

/// One chart per trial, by trial number.
fn trial_charts(input: &ReportInput, board: &Leaderboard) -> BTreeMap<usize, NamedChart> {
    board
        .rows
        .iter()
        .map(|row| {
            let curves = TrialCurves {
                number: row.trial,
                epochs: input.epochs_of(row.trial),
                best_epoch: row.best_epoch,
            };
            let chart = match input.snapshot.sweep.program {
                None => charts::trial(&curves),
                // A program's own metrics, each on its own scale: a panel per metric.
                Some(_) => Chart::row(
                    input
                        .curve_metrics()
                        .iter()
                        .take(TRIAL_PANELS)
                        .map(|metric| {
                            let title = format!("trial {}: {metric}", row.trial);
                            charts::overlay(std::slice::from_ref(&curves), metric, &title)
                        })
                        .collect(),
                ),
            };
            let named = NamedChart {
                stem: format!("trial-{:04}", row.trial),
                caption: format!("trial {}", row.trial),
                chart,
            };
            (row.trial, named)
        })
        .collect()
}

/// A parameter's value as a chart point: a number, or else a label.
fn param_point(value: &Value) -> ParamPoint {
    match value.as_f64() {
        Some(x) => ParamPoint::Number(x),
        None => ParamPoint::Label(text::param_exact(value)),
    }
}

/// A chart with its caption.
fn figure(caption: &str, svg: &str) -> String {
    format!(
        "<figure>{svg}<figcaption>{}</figcaption></figure>\n",
        escape(caption)
    )
}
