//! The HTML report: one self-contained file (no network, no CDN) with the sweep's summary,
//! a sortable leaderboard, charts, every trial's curves and a compare view.
//!
//! Everything is readable without JavaScript: the charts are inline SVG drawn here
//! ([`super::charts`]), every trial's curves sit in a `<details>` block. The small inline
//! script only adds sorting (click a column) and the compare view (tick trials; their curves,
//! embedded as downsampled JSON, are overlaid with their parameters side by side). Every
//! string a user controls (sweep name, spec, parameter names and values, error messages) goes
//! through [`escape`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use super::charts::{self, Chart, ParamPoint, TrialCurves};
use super::leaderboard::{Leaderboard, TrialRow};
use super::text;
use super::{ReportError, SweepSnapshot};
use crate::runs::Runs;
use crate::spec::{Method, MetricName, Spec};
use crate::store::{RungRecord, Store, SweepRecord, TestEvaluation, TrialState};
use crate::train::EpochMetrics;

/// Trials overlaid in the "top K" charts.
const TOP_K: usize = 8;
/// Points per curve in the compare view's embedded data.
const COMPARE_POINTS: usize = 60;

/// What a report shows, read from the store in one go.
pub struct ReportInput {
    /// The sweep and its trials.
    pub snapshot: SweepSnapshot,
    /// Every trial's epochs, by trial number.
    pub epochs: BTreeMap<usize, Vec<EpochMetrics>>,
    /// Test-file scores of its best trials.
    pub evaluations: Vec<TestEvaluation>,
    /// Rung decisions (`early_terminate`), by rung epoch then trial.
    pub rungs: Vec<RungRecord>,
    /// For a bayes sweep: a random sweep over the same parameters in the same database, to
    /// draw its best-so-far beside this one's.
    pub baseline: Option<Baseline>,
}

/// Another sweep's finished trials, drawn beside a report's own.
pub struct Baseline {
    /// Its name.
    pub sweep: String,
    /// Each completed trial's best metric, by number.
    pub progress: Vec<(usize, f64)>,
}

impl ReportInput {
    /// Read sweep `name` from the store.
    pub fn load(store: &Store, name: &str) -> Result<ReportInput, ReportError> {
        let snapshot = SweepSnapshot::load(store, name)?;
        let mut epochs: BTreeMap<usize, Vec<EpochMetrics>> = BTreeMap::new();
        for (number, epoch) in store.sweep_epochs(snapshot.sweep.id)? {
            epochs.entry(number).or_default().push(epoch);
        }
        let evaluations = store.evaluations(snapshot.sweep.id)?;
        let baseline = random_baseline(store, &snapshot.sweep)?;
        let rungs = store.rungs(snapshot.sweep.id)?;
        Ok(ReportInput {
            snapshot,
            epochs,
            evaluations,
            baseline,
            rungs,
        })
    }

    fn epochs_of(&self, number: usize) -> &[EpochMetrics] {
        self.epochs.get(&number).map_or(&[], Vec::as_slice)
    }
}

/// For a bayes sweep, the oldest random sweep in the store over the same parameters, ranked by
/// the same metric and goal; `None` otherwise (or when a stored spec no longer parses).
fn random_baseline(store: &Store, sweep: &SweepRecord) -> Result<Option<Baseline>, ReportError> {
    let parse = |s: &SweepRecord| Spec::parse(&s.spec_text, &s.name).ok();
    let Some(own) = parse(sweep).filter(|spec| spec.method == Method::Bayes) else {
        return Ok(None);
    };
    for other in store.sweeps()? {
        let same = parse(&other).is_some_and(|spec| {
            spec.method == Method::Random
                && spec.parameters == own.parameters
                && spec.metric == own.metric
        });
        if same && other.id != sweep.id {
            let progress = store
                .trials(other.id)?
                .iter()
                .filter(|t| t.state == TrialState::Completed)
                .filter_map(|t| t.best_metric.map(|m| (t.number, m)))
                .collect();
            return Ok(Some(Baseline {
                sweep: other.name,
                progress,
            }));
        }
    }
    Ok(None)
}

/// Where a sweep's report goes in a reports folder: `DIR/NAME.html`.
pub fn report_file(dir: &Path, sweep: &str) -> std::path::PathBuf {
    dir.join(format!("{sweep}.html"))
}

/// Read the sweep from the database at `db` (read-only) and write its report to `out`
/// (through a temporary file renamed into place, so a browser never sees half a page).
pub fn write_report(runs: &Runs, name: &str, out: &Path) -> anyhow::Result<()> {
    let store = runs.open_read_only()?;
    let input = ReportInput::load(&store, name)?;
    drop(store);
    let page = render(&input)?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    crate::atomic_file::write_atomically(out, page.as_bytes())
}

/// Read the sweep from the database at `db` (read-only) and write every chart of its report
/// as `DIR/STEM.png` (creating `dir`); returns how many files it wrote.
pub fn write_pngs(runs: &Runs, name: &str, dir: &Path) -> anyhow::Result<usize> {
    let store = runs.open_read_only()?;
    let input = ReportInput::load(&store, name)?;
    drop(store);
    let board = Leaderboard::from_snapshot(&input.snapshot)?;
    let charts = ReportCharts::new(&input, &board);
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create the PNG folder {}: {e}", dir.display()))?;
    let mut written = 0;
    for named in charts.all() {
        named
            .chart
            .write_png(&dir.join(format!("{}.png", named.stem)))?;
        written += 1;
    }
    Ok(written)
}

/// The whole page.
pub fn render(input: &ReportInput) -> Result<String, ReportError> {
    let board = Leaderboard::from_snapshot(&input.snapshot)?;
    let sweep = &input.snapshot.sweep;
    let mut page = String::with_capacity(1 << 20);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>sweep {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&sweep.name)
    );
    page.push_str(&summary(input, &board));
    page.push_str(&leaderboard_table(&board));
    page.push_str(COMPARE_SECTION);
    let charts = ReportCharts::new(input, &board);
    page.push_str(&charts_section(&charts));
    page.push_str(&what_mattered(input));
    page.push_str(&trials_section(input, &board, &charts));
    page.push_str(&embedded_data(input, &board)?);
    let _ = write!(page, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    Ok(page)
}

/// HTML-escape text for element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn summary(input: &ReportInput, board: &Leaderboard) -> String {
    let sweep = &input.snapshot.sweep;
    let counts = input.snapshot.counts();
    let mut facts: Vec<(&str, String)> = vec![
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
        ("wall time", wall_time(input)),
        ("data", sweep.data_path.display().to_string()),
    ];
    if let Some(header) = &sweep.data_header {
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
                "trial {}: {} {} at epoch {}",
                best.trial,
                sweep.metric.as_str(),
                text::metric(best.best_metric),
                text::count(best.best_epoch)
            ),
        ));
    }
    for scored in &input.evaluations {
        facts.push(("test set", super::test_scores(scored)));
    }
    let mut html = format!(
        "<h1>sweep {}</h1>\n<table class=\"facts\">\n",
        escape(&sweep.name)
    );
    for (name, value) in facts {
        let _ = writeln!(html, "<tr><th>{name}</th><td>{}</td></tr>", escape(&value));
    }
    html.push_str("</table>\n");
    let _ = writeln!(
        html,
        "<details><summary>sweep file</summary><pre>{}</pre></details>",
        escape(&sweep.spec_text)
    );
    html
}

/// From the first trial's start to the last sign of life of any trial.
fn wall_time(input: &ReportInput) -> String {
    let trials = &input.snapshot.trials;
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

fn leaderboard_table(board: &Leaderboard) -> String {
    let params = board.swept_param_names();
    let with_devices = board.has_other_devices();
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
            with_devices,
            best == Some(row.trial),
        ));
    }
    html.push_str("</tbody>\n</table>\n");
    html
}

fn leaderboard_row(row: &TrialRow, params: &[&str], with_devices: bool, best: bool) -> String {
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
    if with_devices {
        let _ = write!(
            html,
            "<td>{}</td>",
            escape(row.device.as_deref().unwrap_or(""))
        );
    }
    for name in params {
        let value = row.params.get(*name);
        let shown = value.map(text::param_exact).unwrap_or_default();
        match value.and_then(Value::as_f64) {
            Some(v) => {
                let _ = write!(html, "<td data-value=\"{v}\">{}</td>", escape(&shown));
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
        chart: charts::progress(&progress, sweep.metric, sweep.goal),
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
            chart: charts::versus(&lines, sweep.metric, sweep.goal),
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
    for metric in [MetricName::ValR2, MetricName::ValLoss] {
        let title = format!("top {} trials: {}", top.len(), metric.as_str());
        list.push(NamedChart {
            stem: format!("top-{}", metric.as_str()),
            chart: charts::overlay(&top, metric, &title),
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
        .filter(|r| r.decision == crate::store::RungDecision::Prune)
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
        chart: charts::pruning(&trials, &rungs, sweep.metric),
    })
}

fn charts_section(charts: &ReportCharts) -> String {
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
            chart: charts::param(name, &points, sweep.metric, name == "learning_rate"),
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
        chart: charts::parallel(&swept, &rows, sweep.metric, sweep.goal),
    });
    list
}

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
            let named = NamedChart {
                stem: format!("trial-{:04}", row.trial),
                caption: format!("trial {}", row.trial),
                chart: charts::trial(&curves),
            };
            (row.trial, named)
        })
        .collect()
}

/// A parameter name as part of a file name: letters, digits, `-`, `_` and `.` kept, anything
/// else (a path separator, a space, `<`) becomes `_`, so a name cannot leave the folder.
fn file_safe(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    // Dots are harmless: the `param-` prefix keeps even `..` an ordinary file name.
    if safe.is_empty() {
        "_".to_string()
    } else {
        safe
    }
}

fn param_point(value: &Value) -> ParamPoint {
    match value.as_f64() {
        Some(x) => ParamPoint::Number(x),
        None => ParamPoint::Label(text::param_exact(value)),
    }
}

/// The "What mattered" section: the ranking, then per parameter its verdict and each
/// value's mean with its 95% interval ([`crate::importance`]).
fn what_mattered(input: &ReportInput) -> String {
    let mut html = String::from("<h2 id=\"what-mattered\">What mattered</h2>\n");
    let analysis = match crate::importance::analyze_snapshot(&input.snapshot, None) {
        Ok(analysis) => analysis,
        Err(error) => {
            let _ = writeln!(html, "<p class=\"hint\">{}</p>", escape(&error.to_string()));
            return html;
        }
    };
    let noise = match analysis.seed_noise.sd {
        Some(sd) => format!(
            "Seed noise: sd {sd:.4} (pooled within {} replicated combinations, {} df).",
            analysis.seed_noise.replicated_combinations, analysis.seed_noise.df
        ),
        None => "Seed noise cannot be estimated: no combination has two completed replicates \
                 (set `replicates:` to 2 or more)."
            .to_string(),
    };
    let _ = writeln!(
        html,
        "<p class=\"hint\">{} completed trials in {} combinations. {} Test: {}. Replicates \
         needed: {}.</p>",
        analysis.trials,
        analysis.combinations,
        escape(&noise),
        escape(&analysis.test),
        escape(analysis.formula)
    );
    if analysis.parameters.is_empty() {
        html.push_str(
            "<p>No parameter takes more than one value among the completed trials.</p>\n",
        );
        return html;
    }
    html.push_str(
        "<table id=\"importance\"><thead><tr><th>rank</th><th>parameter</th>\
         <th>variance share</th><th>p</th><th>verdict</th></tr></thead>\n<tbody>\n",
    );
    for p in &analysis.parameters {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{:.3}</td><td>{}</td><td>{}</td></tr>",
            p.rank,
            escape(&p.name),
            p.importance,
            crate::importance::p_text(p.p_value),
            escape(&p.verdict)
        );
    }
    html.push_str("</tbody>\n</table>\n");
    for p in &analysis.parameters {
        html.push_str(&parameter_effect(p));
    }
    html
}

fn parameter_effect(p: &crate::importance::ParameterEffect) -> String {
    let mut html = format!(
        "<h3 class=\"effect\" id=\"effect-{}\">{}</h3>\n<p>{}</p>\n",
        escape(&file_safe(&p.name)),
        escape(&p.name),
        escape(&p.verdict)
    );
    html.push_str(
        "<table class=\"effect\"><thead><tr><th>value</th><th>n</th><th>mean</th>\
         <th>95% CI</th><th>interval</th></tr></thead>\n<tbody>\n",
    );
    let scale = interval_scale(&p.values);
    for v in &p.values {
        let interval = match (v.ci_low, v.ci_high) {
            (Some(lo), Some(hi)) => format!("[{lo:.4}, {hi:.4}]"),
            _ => "-".to_string(),
        };
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{:.4}</td><td class=\"ci\">{interval}</td><td>{}</td></tr>",
            escape(&v.value),
            v.n,
            v.mean,
            interval_bar(v, scale)
        );
    }
    html.push_str("</tbody>\n</table>\n");
    if let Some(r) = &p.replicates_needed {
        let _ = writeln!(
            html,
            "<p class=\"hint\">To detect a difference of {:.4}: {} trials per value (has {}; \
             {} more replicates of each combination).</p>",
            r.delta, r.per_value, r.have, r.more_replicates
        );
    }
    html
}

/// Width of the interval bars, in pixels.
const BAR_WIDTH: f64 = 160.0;

/// The range every interval bar of one parameter shares: from the lowest interval end (or
/// mean) to the highest.
fn interval_scale(values: &[crate::importance::ValueSummary]) -> (f64, f64) {
    let ends = values
        .iter()
        .flat_map(|v| [v.ci_low.unwrap_or(v.mean), v.ci_high.unwrap_or(v.mean)])
        .filter(|x| x.is_finite());
    ends.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    })
}

/// A small inline SVG: the value's 95% interval as a line, its mean as a dot, on `scale`.
fn interval_bar(v: &crate::importance::ValueSummary, (lo, hi): (f64, f64)) -> String {
    let x = |value: f64| {
        let t = if hi > lo {
            (value - lo) / (hi - lo)
        } else {
            0.5
        };
        4.0 + t.clamp(0.0, 1.0) * (BAR_WIDTH - 8.0)
    };
    let line = match (v.ci_low, v.ci_high) {
        (Some(a), Some(b)) => format!(
            "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"7\" y2=\"7\" stroke=\"#1f77b4\" \
             stroke-width=\"2\"/>",
            x(a),
            x(b)
        ),
        _ => String::new(),
    };
    format!(
        "<svg class=\"interval\" width=\"{BAR_WIDTH}\" height=\"14\" role=\"img\" \
         aria-label=\"95% interval\">{line}<circle cx=\"{:.1}\" cy=\"7\" r=\"3\" \
         fill=\"#d62728\"/></svg>",
        x(v.mean)
    )
}

fn figure(caption: &str, svg: &str) -> String {
    format!(
        "<figure>{svg}<figcaption>{}</figcaption></figure>\n",
        escape(caption)
    )
}

fn trials_section(input: &ReportInput, board: &Leaderboard, charts: &ReportCharts) -> String {
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
fn embedded_data(input: &ReportInput, board: &Leaderboard) -> Result<String, ReportError> {
    let mut trials = serde_json::Map::new();
    for row in &board.rows {
        let epochs = input.epochs_of(row.trial);
        let curve = |metric: MetricName| -> Vec<[f64; 2]> {
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
                "val_r2": curve(MetricName::ValR2),
                "val_loss": curve(MetricName::ValLoss),
                "train_loss": curve(MetricName::TrainLoss),
            }),
        );
    }
    let data = serde_json::json!({
        "metric": input.snapshot.sweep.metric.as_str(),
        "trials": trials,
    });
    let json = data.to_string().replace('<', "\\u003c");
    Ok(format!(
        "<script type=\"application/json\" id=\"sweep-data\">{json}</script>\n"
    ))
}

const COMPARE_SECTION: &str = "<h2 id=\"compare-title\">Compare</h2>\n<section id=\"compare\">\
<p class=\"hint\" id=\"compare-hint\">Tick trials in the leaderboard: their curves are overlaid \
here, with their parameters side by side. (Needs JavaScript; every trial's own curves are under \
\"Every trial\" below.)</p>\n<div id=\"compare-charts\" class=\"charts\"></div>\n\
<table id=\"compare-params\"></table>\n</section>\n";

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;max-width:1400px}\
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}\
table{border-collapse:collapse;font-size:.85rem}td,th{padding:.2rem .5rem;border-bottom:1px solid #ddd;text-align:left}\
table.sortable th{cursor:pointer;background:#f4f4f4;position:sticky;top:0}\
tr.best{background:#e8f5e9;font-weight:600}tr.failed{color:#999}tr.pruned{color:#777;font-style:italic}td.error,p.error{color:#b00020}\
.facts th{background:none;width:8rem}.hint{color:#666;font-size:.85rem}\
.charts{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0}figure svg{max-width:100%;height:auto}\
figcaption{font-size:.8rem;color:#555;text-align:center}details.trial{margin:.3rem 0}\
details.trial svg{max-width:600px;height:auto;display:block}.params{font-family:monospace;font-size:.8rem}\
#compare-charts svg{border:1px solid #ddd;background:#fff}";

/// Sorting and the compare view. Kept small and dependency-free.
const SCRIPT: &str = r#"
(function () {
  var table = document.getElementById('leaderboard');
  var data = JSON.parse(document.getElementById('sweep-data').textContent);
  var body = table.tBodies[0];
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
    var type = th.getAttribute('data-type');
    if (type === 'none') return;
    th.addEventListener('click', function () {
      var ascending = th.getAttribute('data-order') !== 'asc';
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute('data-order'); });
      th.setAttribute('data-order', ascending ? 'asc' : 'desc');
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col], y = b.cells[col];
        var xv = x.getAttribute('data-value'), yv = y.getAttribute('data-value');
        var c;
        if (xv !== null && yv !== null && type !== 'text') {
          if (xv === '' && yv === '') c = 0; else if (xv === '') return 1; else if (yv === '') return -1;
          else c = parseFloat(xv) - parseFloat(yv);
        } else {
          c = x.textContent.localeCompare(y.textContent);
        }
        return ascending ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  var colours = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];
  var ns = 'http://www.w3.org/2000/svg';
  function el(name, attrs, text) {
    var e = document.createElementNS(ns, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function chart(key, picked) {
    var w = 520, h = 260, m = 40;
    var svg = el('svg', {viewBox: '0 0 ' + w + ' ' + h, width: w, height: h, 'class': 'compare-chart', 'data-metric': key});
    var xs = [], ys = [];
    picked.forEach(function (n) { data.trials[n][key].forEach(function (p) { xs.push(p[0]); ys.push(p[1]); }); });
    svg.appendChild(el('text', {x: w / 2, y: 14, 'text-anchor': 'middle', 'font-size': 12}, key));
    if (!xs.length) { svg.appendChild(el('text', {x: w / 2, y: h / 2, 'text-anchor': 'middle'}, 'no epochs yet')); return svg; }
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs), y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    if (x1 === x0) x1 = x0 + 1; if (y1 === y0) y1 = y0 + 1;
    function sx(x) { return m + (x - x0) / (x1 - x0) * (w - 2 * m); }
    function sy(y) { return h - m + (y0 - y) / (y1 - y0) * (h - 2 * m); }
    svg.appendChild(el('line', {x1: m, y1: h - m, x2: w - m, y2: h - m, stroke: '#999'}));
    svg.appendChild(el('line', {x1: m, y1: m, x2: m, y2: h - m, stroke: '#999'}));
    svg.appendChild(el('text', {x: m, y: h - m + 14, 'font-size': 10}, String(x0)));
    svg.appendChild(el('text', {x: w - m, y: h - m + 14, 'font-size': 10, 'text-anchor': 'end'}, String(x1) + ' epochs'));
    svg.appendChild(el('text', {x: 2, y: m, 'font-size': 10}, y1.toPrecision(3)));
    svg.appendChild(el('text', {x: 2, y: h - m, 'font-size': 10}, y0.toPrecision(3)));
    picked.forEach(function (n, i) {
      var pts = data.trials[n][key].map(function (p) { return sx(p[0]).toFixed(1) + ',' + sy(p[1]).toFixed(1); }).join(' ');
      var colour = colours[i % colours.length];
      svg.appendChild(el('polyline', {points: pts, fill: 'none', stroke: colour, 'stroke-width': 1.5, 'data-trial': n}));
      if (data.trials[n][key].length === 1) {
        var p = data.trials[n][key][0];
        svg.appendChild(el('circle', {cx: sx(p[0]), cy: sy(p[1]), r: 3, fill: colour}));
      }
      svg.appendChild(el('text', {x: w - m + 4, y: m + 12 * i, 'font-size': 10, fill: colour}, 'trial ' + n));
    });
    return svg;
  }
  function params(picked) {
    var t = document.getElementById('compare-params');
    t.textContent = '';
    if (!picked.length) return;
    var names = {};
    picked.forEach(function (n) { Object.keys(data.trials[n].params).forEach(function (k) { names[k] = true; }); });
    var head = t.insertRow();
    head.insertCell().textContent = 'parameter';
    picked.forEach(function (n) { head.insertCell().textContent = 'trial ' + n; });
    var best = t.insertRow();
    best.insertCell().textContent = data.metric;
    picked.forEach(function (n) { var b = data.trials[n].best; best.insertCell().textContent = b === null ? '-' : b.toFixed(4); });
    Object.keys(names).sort().forEach(function (k) {
      var r = t.insertRow();
      r.insertCell().textContent = k;
      picked.forEach(function (n) { var v = data.trials[n].params[k]; r.insertCell().textContent = v === undefined ? '' : String(v); });
    });
  }
  function update() {
    var picked = Array.prototype.filter.call(document.querySelectorAll('input.pick'), function (c) { return c.checked; })
      .map(function (c) { return c.value; });
    var box = document.getElementById('compare-charts');
    box.textContent = '';
    if (picked.length) {
      ['val_r2', 'val_loss', 'train_loss'].forEach(function (k) { box.appendChild(chart(k, picked)); });
    }
    document.getElementById('compare-hint').style.display = picked.length ? 'none' : '';
    params(picked);
  }
  Array.prototype.forEach.call(document.querySelectorAll('input.pick'), function (c) { c.addEventListener('change', update); });
})();
"#;
