//! The HTML report: one self-contained file (no network, no CDN) with the sweep's summary,
//! a sortable leaderboard, charts, every trial's curves and a compare view.
//!
//! Everything is readable without JavaScript: the charts are inline SVG drawn here
//! ([`super::charts`]), every trial's curves sit in a `<details>` block. The small inline
//! script only adds sorting (click a column) and the compare view (tick trials; their curves,
//! embedded as downsampled JSON, are overlaid with their parameters side by side). Every
//! string a user controls (sweep name, spec, parameter names and values, error messages) goes
//! through [`escape`].
//!
//! This file reads the report's input, writes the files and puts the page together; the
//! sections are in `sections.rs` (summary, leaderboard, every trial, the compare view's data),
//! `figures.rs` (the charts, which `sweep report --png` writes too) and `mattered.rs`. The
//! page's CSS, script and static compare section are the files beside them, compiled in.

mod figures;
mod mattered;
mod sections;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

pub use figures::{NamedChart, ReportCharts};

use super::leaderboard::Leaderboard;
use super::{ReportError, SweepSnapshot};
use crate::metric::EpochMetrics;
use crate::runs::Runs;
use crate::spec::{Method, Spec};
use crate::store::{RungRecord, Store, SweepRecord, TestEvaluation, TrialState};
use crate::train::params::BuiltIn;

/// The page's style sheet, one rule group per line to read; the page has it joined into one
/// line, so a line may break only where CSS needs no space (between rules or declarations).
const STYLE: &str = include_str!("style.css");
/// Sorting and the compare view. Kept small and dependency-free.
const SCRIPT: &str = include_str!("script.js");
/// The compare view's place on the page, which [`SCRIPT`] fills.
const COMPARE_SECTION: &str = include_str!("compare.html");

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

    /// The metrics whose curves the report draws ([`crate::report::curve_metrics`]).
    fn curve_metrics(&self) -> Vec<crate::metric::MetricName> {
        crate::report::curve_metrics(&self.snapshot.sweep, self.epochs.values().flatten())
    }
}

/// For a bayes sweep, the oldest random sweep in the store over the same parameters, ranked by
/// the same metric and goal; `None` otherwise (or when a stored spec no longer parses).
fn random_baseline(store: &Store, sweep: &SweepRecord) -> Result<Option<Baseline>, ReportError> {
    let parse = |s: &SweepRecord| Spec::parse(&s.spec_text, &s.name, &BuiltIn).ok();
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
         <title>sweep {}</title>\n<style>{}</style>\n</head>\n<body>\n",
        escape(&sweep.name),
        STYLE.lines().collect::<String>()
    );
    page.push_str(&sections::summary(input, &board));
    page.push_str(&sections::leaderboard_table(&board));
    page.push_str(COMPARE_SECTION);
    let charts = ReportCharts::new(input, &board);
    page.push_str(&figures::charts_section(&charts));
    page.push_str(&mattered::what_mattered(input));
    page.push_str(&sections::trials_section(input, &board, &charts));
    page.push_str(&sections::embedded_data(input, &board)?);
    // The script on lines of its own: script.js ends in a newline.
    let _ = write!(page, "<script>\n{SCRIPT}</script>\n</body>\n</html>\n");
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
