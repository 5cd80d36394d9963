//! The report's sections in text and tables: the summary, the leaderboard, every trial's
//! details, and the compare view's embedded data.

use std::fmt::Write as _;

use serde_json::Value;

use super::figures::ReportCharts;
use super::{ReportInput, escape};
use crate::metric::{EpochMetrics, MetricName};
use crate::report::ReportError;
use crate::report::charts;
use crate::report::leaderboard::{Leaderboard, TrialRow};
use crate::store::TrialState;
use crate::text;

/// Points per curve in the compare view's embedded data.
const COMPARE_POINTS: usize = 60;

/// The title and the sweep's facts ([`crate::report::facts::sweep_facts`]); then the sweep
/// file.
pub(super) fn summary(input: &ReportInput, board: &Leaderboard) -> String {
    let sweep = &input.snapshot.sweep;
    let facts = crate::report::facts::sweep_facts(&input.snapshot, board, &input.evaluations);
    let mut html = format!(
        "<h1>sweep {}</h1>\n<table class=\"facts\">\n",
        escape(&sweep.name)
    );
    for fact in facts {
        let _ = writeln!(
            html,
            "<tr><th>{}</th><td>{}</td></tr>",
            fact.name,
            escape(&fact.value)
        );
    }
    html.push_str("</table>\n");
    let _ = writeln!(
        html,
        "<details><summary>sweep file</summary><pre>{}</pre></details>",
        escape(&sweep.spec_text)
    );
    html
}

/// The sortable leaderboard, a row per trial in rank order, with a box to tick for comparing.
pub(super) fn leaderboard_table(board: &Leaderboard) -> String {
    let params = board.swept_param_names();
    let with_devices = board.has_other_devices();
    let others = board.other_metrics();
    let mut html = String::from(
        "<h2>Leaderboard</h2>\n<p class=\"hint\">Click a column to sort; tick trials to \
         compare them below.</p>\n<table id=\"leaderboard\" class=\"sortable\">\n<thead><tr>\
         <th data-type=\"none\">compare</th><th data-type=\"number\">rank</th>\
         <th data-type=\"number\">trial</th><th data-type=\"text\">state</th>",
    );
    let _ = write!(
        html,
        "<th data-type=\"number\">{}</th><th data-type=\"number\">best epoch</th>\
         <th data-type=\"number\">epochs</th>",
        escape(board.metric.as_str())
    );
    for name in &others {
        let _ = write!(html, "<th data-type=\"number\">{}</th>", escape(name));
    }
    if with_devices {
        html.push_str("<th data-type=\"text\">device</th>");
    }
    for name in &params {
        let _ = write!(html, "<th data-type=\"auto\">{}</th>", escape(name));
    }
    html.push_str("<th data-type=\"text\">error</th></tr></thead>\n<tbody>\n");
    let best = board.best().map(|b| b.trial);
    for row in &board.rows {
        html.push_str(&leaderboard_row(
            row,
            &params,
            &others,
            with_devices,
            best == Some(row.trial),
        ));
    }
    html.push_str("</tbody>\n</table>\n");
    html
}

fn leaderboard_row(
    row: &TrialRow,
    params: &[&str],
    others: &[&str],
    with_devices: bool,
    best: bool,
) -> String {
    let class = if best {
        " class=\"best\""
    } else if row.state == TrialState::Failed {
        " class=\"failed\""
    } else if row.state == TrialState::Pruned {
        " class=\"pruned\""
    } else {
        ""
    };
    let number_cell = |value: Option<f64>, shown: String| match value.filter(|v| v.is_finite()) {
        Some(v) => format!("<td data-value=\"{v}\">{shown}</td>"),
        None => format!("<td data-value=\"\">{shown}</td>"),
    };
    let mut html = format!(
        "<tr id=\"row-{n}\" data-trial=\"{n}\"{class}><td><input type=\"checkbox\" \
         class=\"pick\" value=\"{n}\" aria-label=\"compare trial {n}\"></td>",
        n = row.trial
    );
    html.push_str(&number_cell(
        row.rank.map(|r| r as f64),
        text::count(row.rank),
    ));
    let _ = write!(
        html,
        "<td data-value=\"{n}\"><a href=\"#trial-{n}\">{n}</a></td><td>{}</td>",
        state_text(row),
        n = row.trial
    );
    html.push_str(&number_cell(row.best_metric, text::metric(row.best_metric)));
    html.push_str(&number_cell(
        row.best_epoch.map(|e| e as f64),
        text::count(row.best_epoch),
    ));
    html.push_str(&number_cell(
        Some(row.epochs as f64),
        row.epochs.to_string(),
    ));
    for name in others {
        let value = row.at_best.get(*name).copied();
        html.push_str(&number_cell(value, text::metric(value)));
    }
    if with_devices {
        let _ = write!(
            html,
            "<td>{}</td>",
            escape(row.device.as_deref().unwrap_or(""))
        );
    }
    for name in params {
        let value = row.params.get(*name);
        // Four significant digits in the table, as the dashboard shows them; the exact
        // value on hover (and in the CSV and JSON exports).
        let shown = value.map(text::param_exact).unwrap_or_default();
        match value.and_then(Value::as_f64) {
            Some(v) => {
                let short = value.map(text::param_short).unwrap_or_default();
                let _ = write!(
                    html,
                    "<td data-value=\"{v}\" title=\"{}\">{}</td>",
                    escape(&shown),
                    escape(&short)
                );
            }
            None => {
                let _ = write!(html, "<td>{}</td>", escape(&shown));
            }
        }
    }
    let _ = writeln!(
        html,
        "<td class=\"error\">{}</td></tr>",
        escape(row.error.as_deref().unwrap_or(""))
    );
    html
}

/// A row's state as the page shows it: `pruned at epoch N` for a pruned trial.
fn state_text(row: &TrialRow) -> String {
    match (row.state, row.pruned_at) {
        (TrialState::Pruned, Some(rung)) => format!("pruned at epoch {rung}"),
        (state, _) => state.as_str().to_string(),
    }
}

/// "Every trial": per trial a `<details>` block with its parameters, device, error and chart.
pub(super) fn trials_section(
    input: &ReportInput,
    board: &Leaderboard,
    charts: &ReportCharts,
) -> String {
    let mut rows: Vec<&TrialRow> = board.rows.iter().collect();
    rows.sort_by_key(|r| r.trial);
    let mut html = String::from("<h2>Every trial</h2>\n");
    for row in rows {
        let params: Vec<String> = row
            .params
            .iter()
            .map(|(k, v)| format!("{k}={}", text::param_exact(v)))
            .collect();
        let _ = write!(
            html,
            "<details class=\"trial\" id=\"trial-{n}\"><summary>trial {n}: {state}, {metric} {value} \
             (epoch {epoch} of {epochs})</summary>\n<p class=\"params\">{params}</p>\n",
            n = row.trial,
            state = row.state.as_str(),
            metric = input.snapshot.sweep.metric.as_str(),
            value = text::metric(row.best_metric),
            epoch = text::count(row.best_epoch),
            epochs = row.epochs,
            params = escape(&params.join("  "))
        );
        if let Some(device) = &row.device {
            let _ = writeln!(
                html,
                "<p class=\"device\">trained on {}{}</p>",
                escape(device),
                throughput(input.epochs_of(row.trial))
            );
        }
        if let Some(error) = &row.error {
            let _ = writeln!(html, "<p class=\"error\">{}</p>", escape(error));
        }
        if let Some(named) = charts.trials.get(&row.trial) {
            html.push_str(&named.chart.svg());
        }
        html.push_str("\n</details>\n");
    }
    html
}

/// `, 1234 samples/s` (the median of the epochs' training throughput), or nothing before
/// the first epoch.
fn throughput(epochs: &[EpochMetrics]) -> String {
    let mut rates: Vec<f64> = epochs
        .iter()
        .map(|e| e.samples_per_s)
        .filter(|r| r.is_finite())
        .collect();
    if rates.is_empty() {
        return String::new();
    }
    rates.sort_by(f64::total_cmp);
    format!(", {:.0} samples/s", rates[rates.len() / 2])
}

/// The compare view's data: each trial's parameters and downsampled curves, as JSON inside
/// a non-executed script element (`<` escaped so no string can close it).
pub(super) fn embedded_data(
    input: &ReportInput,
    board: &Leaderboard,
) -> Result<String, ReportError> {
    let mut trials = serde_json::Map::new();
    // The built-in model's three curves, or a program's own metrics.
    let names: Vec<MetricName> = match input.snapshot.sweep.program {
        None => vec![
            MetricName::VAL_R2,
            MetricName::VAL_LOSS,
            MetricName::TRAIN_LOSS,
        ],
        Some(_) => input.curve_metrics(),
    };
    for row in &board.rows {
        let epochs = input.epochs_of(row.trial);
        let curve = |metric: &MetricName| -> Vec<[f64; 2]> {
            let points: Vec<(f64, f64)> = epochs
                .iter()
                .map(|m| (m.epoch as f64, metric.value(m)))
                .filter(|(_, y)| y.is_finite())
                .collect();
            charts::downsample(&points, COMPARE_POINTS)
                .into_iter()
                .map(|(x, y)| [x, (y * 1e5).round() / 1e5])
                .collect()
        };
        trials.insert(
            row.trial.to_string(),
            serde_json::json!({
                "params": row.params,
                "state": row.state.as_str(),
                "best": row.best_metric.filter(|m| m.is_finite()),
                "curves": names
                    .iter()
                    .map(|n| (n.as_str().to_string(), serde_json::json!(curve(n))))
                    .collect::<serde_json::Map<_, _>>(),
            }),
        );
    }
    let data = serde_json::json!({
        "metric": input.snapshot.sweep.metric.as_str(),
        "curves": names.iter().map(MetricName::as_str).collect::<Vec<_>>(),
        "trials": trials,
    });
    let json = data.to_string().replace('<', "\\u003c");
    Ok(format!(
        "<script type=\"application/json\" id=\"sweep-data\">{json}</script>\n"
    ))
}
