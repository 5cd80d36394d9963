//! The report's charts, drawn with plotters as SVG strings to inline in the HTML page and as
//! PNG files (`sweep report --png`, `sweep compare --png`) from the same drawing code.
//!
//! Each chart's data is prepared once into a [`Chart`]; its drawing is generic over the plotters
//! backend, so [`Chart::svg`] and [`Chart::write_png`] draw the same picture. The `*_chart`
//! functions return [`Chart::svg`] of it: one complete `<svg>` element with a `viewBox` (no XML declaration), so
//! the page can scale it with CSS. Values that are not finite (SQLite NULL comes back as NaN) are
//! skipped; with nothing left to draw, a chart says "no data" instead.
//!
//! Text: plotters' SVG backend escapes `<`, `>`, `&`, `"` and `'` in every text and attribute it
//! writes, so parameter names and category labels are passed as they are (a test holds it to
//! that). The SVG backend writes `<text>` elements the browser renders with its own fonts.
//!
//! Fonts: bitmaps need glyphs, so plotters' `ab_glyph` feature draws text with DejaVu Sans
//! embedded in the binary (no system font, no fontconfig/freetype). Cargo features are
//! unified, so that same font also measures text when laying out an SVG: [`register_font`]
//! runs once before any chart is drawn, whichever the backend.
//!
//! Output is byte-stable for the same input: a fixed palette, input order kept, no hashing.

use std::cmp::Ordering;
use std::ops::Range;
use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentValue;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::spec::{Goal, MetricName};
use crate::train::EpochMetrics;

/// One trial's epochs for drawing.
pub struct TrialCurves<'a> {
    /// The trial's number in its sweep.
    pub number: usize,
    /// Its epochs, in order.
    pub epochs: &'a [EpochMetrics],
    /// The epoch number (1-based, as in [`EpochMetrics::epoch`]) the sweep's metric liked best.
    pub best_epoch: Option<usize>,
}

/// A swept parameter's value for one trial.
pub enum ParamPoint {
    /// A number (drawn on a numeric axis).
    Number(f64),
    /// A category (drawn as a label); one label among a parameter's values makes it categorical.
    Label(String),
}

/// Size of the per-trial chart: the report holds one per trial, so it stays small.
const TRIAL_SIZE: (u32, u32) = (500, 220);
/// Size of the sweep-wide charts.
const CHART_SIZE: (u32, u32) = (640, 360);
/// Size of the parallel coordinates chart: wider, it has an axis per parameter.
const PARALLEL_SIZE: (u32, u32) = (760, 380);
/// Points per curve in a trial chart: enough for the shape, small enough for 1,000 of them.
const TRIAL_POINTS: usize = 60;
/// Points per curve in an overlay (a handful of trials, a larger chart).
const OVERLAY_POINTS: usize = 200;
const FONT: &str = "sans-serif";

/// Tableau 10: distinguishable for the common colour-vision deficiencies, fixed so reports are
/// byte-stable.
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4E, 0x79, 0xA7),
    RGBColor(0xF2, 0x8E, 0x2B),
    RGBColor(0xE1, 0x57, 0x59),
    RGBColor(0x76, 0xB7, 0xB2),
    RGBColor(0x59, 0xA1, 0x4F),
    RGBColor(0xED, 0xC9, 0x48),
    RGBColor(0xB0, 0x7A, 0xA1),
    RGBColor(0xFF, 0x9D, 0xA7),
    RGBColor(0x9C, 0x75, 0x5F),
    RGBColor(0xBA, 0xB0, 0xAC),
];
/// Viridis from worst to best, reversed so the best trials are the dark lines drawn on top.
const SCALE: [RGBColor; 5] = [
    RGBColor(0xFD, 0xE7, 0x25),
    RGBColor(0x5E, 0xC9, 0x62),
    RGBColor(0x21, 0x91, 0x8C),
    RGBColor(0x3B, 0x52, 0x8B),
    RGBColor(0x44, 0x01, 0x54),
];
const GRID: RGBColor = RGBColor(0xE0, 0xE0, 0xE0);
const INK: RGBColor = RGBColor(0x40, 0x40, 0x40);
const MUTED: RGBColor = RGBColor(0x80, 0x80, 0x80);

/// DejaVu Sans (licence in `assets/fonts/LICENSE-DejaVu.txt`), embedded so PNG charts need no
/// font installed.
static DEJAVU_SANS: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

type Area<DB> = DrawingArea<DB, Shift>;
type DrawError<DB> = DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>;
type Drawn<DB> = Result<(), DrawError<DB>>;
type LinearChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
type Points = Vec<(f64, f64)>;
/// A trial's curve in an overlay: its number, its best epoch's point, the curve.
type TrialLine = (usize, Option<(f64, f64)>, Points);

/// A chart with its data prepared, ready to draw as SVG or PNG.
pub struct Chart {
    size: (u32, u32),
    plot: Plot,
}

/// What a [`Chart`] draws, and the data it needs.
enum Plot {
    NoData(String),
    Trial {
        title: String,
        epochs: Range<f64>,
        train: Points,
        val: Points,
        r2: Points,
        best_epoch: Option<usize>,
    },
    Overlay {
        title: String,
        metric: MetricName,
        x: Range<f64>,
        y: Range<f64>,
        curves: Vec<TrialLine>,
    },
    Pruning {
        title: String,
        metric: MetricName,
        x: Range<f64>,
        y: Range<f64>,
        kept: Vec<Points>,
        pruned: Vec<Points>,
        stops: Points,
        rungs: Vec<f64>,
    },
    Progress {
        title: String,
        metric: MetricName,
        goal: Goal,
        x: Range<f64>,
        y: Range<f64>,
        dots: Points,
        steps: Points,
    },
    Versus {
        title: String,
        metric: MetricName,
        goal: Goal,
        x: Range<f64>,
        y: Range<f64>,
        lines: Vec<(String, Points)>,
    },
    Numeric {
        title: String,
        param: String,
        metric: MetricName,
        scale: Scale,
        x: Range<f64>,
        y: Range<f64>,
        drawn: Points,
    },
    Categorical {
        title: String,
        param: String,
        metric: MetricName,
        categories: Vec<String>,
        y: Range<f64>,
        drawn: Vec<(i32, f64)>,
    },
    Parallel {
        title: String,
        axes: Vec<Axis>,
        lines: Vec<(RGBColor, Points)>,
        colour: ColourScale,
    },
    /// Charts next to each other, left to right.
    Row(Vec<Chart>),
}

/// A chart that could not be written as PNG.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the PNG chart {path}: {reason}")]
pub struct PngError {
    /// The file it was to be written to.
    pub path: String,
    /// What plotters or the encoder said.
    pub reason: String,
}

/// Registers the embedded font with plotters under the family the charts use, once per process.
fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is a fixed, valid file compiled in: a failure here is a broken build, and
        // text would then fail to draw: an SVG chart says it could not be drawn, a PNG is an error.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, DEJAVU_SANS);
    });
}

impl Chart {
    fn new(size: (u32, u32), plot: Plot) -> Chart {
        Chart { size, plot }
    }

    /// The charts side by side in one image (as tall as the tallest).
    pub fn row(charts: Vec<Chart>) -> Chart {
        let width = charts.iter().map(|c| c.size.0).sum::<u32>().max(1);
        let height = charts.iter().map(|c| c.size.1).max().unwrap_or(1);
        Chart::new((width, height), Plot::Row(charts))
    }

    /// The size in pixels.
    pub fn size(&self) -> (u32, u32) {
        self.size
    }

    /// The chart as one `<svg>` element. Drawing into a string cannot fail on I/O; should
    /// plotters still report an error, the chart says so rather than the report losing its page.
    pub fn svg(&self) -> String {
        register_font();
        let mut svg = String::new();
        let drawn = {
            let root = SVGBackend::with_string(&mut svg, self.size).into_drawing_area();
            root.fill(&WHITE)
                .and_then(|()| self.draw(&root))
                .and_then(|()| root.present())
        };
        match drawn {
            Ok(()) => compact(&svg),
            Err(_) => failed(self.size),
        }
    }

    /// Draws the chart on a white bitmap and writes it to `path` as PNG.
    pub fn write_png(&self, path: &Path) -> Result<(), PngError> {
        register_font();
        let fail = |reason: String| PngError {
            path: path.display().to_string(),
            reason,
        };
        // The encoder picks the format by extension: insist on PNG rather than write another.
        let is_png = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("png"));
        if !is_png {
            return Err(fail("the file name must end in .png".to_string()));
        }
        let root = BitMapBackend::new(path, self.size).into_drawing_area();
        root.fill(&WHITE)
            .and_then(|()| self.draw(&root))
            .and_then(|()| root.present())
            .map_err(|e| fail(e.to_string()))
    }

    /// Draws the chart on `root`, whichever the backend.
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Drawn<DB> {
        match &self.plot {
            Plot::NoData(title) => root.draw(&centred_text(root, &format!("{title}: no data"))),
            Plot::Trial {
                title,
                epochs,
                train,
                val,
                r2,
                best_epoch,
            } => draw_trial(root, title, epochs, train, val, r2, *best_epoch),
            Plot::Overlay {
                title,
                metric,
                x,
                y,
                curves,
            } => draw_overlay(root, title, *metric, x, y, curves),
            Plot::Pruning {
                title,
                metric,
                x,
                y,
                kept,
                pruned,
                stops,
                rungs,
            } => draw_pruning(
                root,
                title,
                *metric,
                (x, y),
                (kept.as_slice(), pruned.as_slice()),
                stops,
                rungs,
            ),
            Plot::Progress {
                title,
                metric,
                goal,
                x,
                y,
                dots,
                steps,
            } => draw_progress(root, title, *metric, *goal, x, y, dots, steps),
            Plot::Versus {
                title,
                metric,
                goal,
                x,
                y,
                lines,
            } => draw_versus(root, title, *metric, *goal, x, y, lines),
            Plot::Numeric {
                title,
                param,
                metric,
                scale,
                x,
                y,
                drawn,
            } => draw_numeric(root, title, param, *metric, *scale, x, y, drawn),
            Plot::Categorical {
                title,
                param,
                metric,
                categories,
                y,
                drawn,
            } => draw_categorical(root, title, param, *metric, categories, y, drawn),
            Plot::Parallel {
                title,
                axes,
                lines,
                colour,
            } => draw_parallel(root, title, axes, lines, colour),
            Plot::Row(charts) => {
                let mut rest = root.clone();
                for chart in charts {
                    let (here, right) = rest.split_horizontally(chart.size.0);
                    chart.draw(&here)?;
                    rest = right;
                }
                Ok(())
            }
        }
    }
}

/// Per trial: train and validation loss per epoch (left panel) and the validation R² per epoch
/// (right panel), the best epoch marked by a vertical line in both. Each curve is downsampled
/// to at most 60 points so a report with a chart per trial stays small.
pub fn trial_chart(trial: &TrialCurves) -> String {
    self::trial(trial).svg()
}

/// The prepared [`trial_chart`].
pub fn trial(trial: &TrialCurves) -> Chart {
    let curve = |metric| curve_of(trial.epochs, metric, TRIAL_POINTS);
    let train = curve(MetricName::TrainLoss);
    let val = curve(MetricName::ValLoss);
    let r2 = curve(MetricName::ValR2);
    let title = format!("trial {}", trial.number);
    if train.is_empty() && val.is_empty() && r2.is_empty() {
        return no_data(TRIAL_SIZE, title);
    }
    // Both panels share the epoch axis, so they line up by eye.
    let Some(epochs) = span(
        [&train, &val, &r2]
            .iter()
            .flat_map(|c| c.iter().map(|p| p.0)),
    ) else {
        return no_data(TRIAL_SIZE, title);
    };
    let plot = Plot::Trial {
        title,
        epochs,
        train,
        val,
        r2,
        best_epoch: trial.best_epoch,
    };
    Chart::new(TRIAL_SIZE, plot)
}

/// Draws a [`Plot::Trial`]: the loss panel left, the R² panel right.
fn draw_trial<DB: DrawingBackend>(
    root: &Area<DB>,
    title: &str,
    epochs: &Range<f64>,
    train: &[(f64, f64)],
    val: &[(f64, f64)],
    r2: &[(f64, f64)],
    best_epoch: Option<usize>,
) -> Drawn<DB> {
    let (left, right) = root.split_horizontally(root.dim_in_pixel().0 / 2);
    let losses = [("train", PALETTE[0], train), ("val", PALETTE[1], val)];
    let loss_title = format!("{title}: loss");
    panel(&left, &loss_title, epochs.clone(), &losses, best_epoch)?;
    let r2_title = format!("{title}: val R²");
    panel(
        &right,
        &r2_title,
        epochs.clone(),
        &[("val R²", PALETTE[1], r2)],
        best_epoch,
    )
}

/// A named curve in its colour.
type Curve<'a> = (&'a str, RGBColor, &'a [(f64, f64)]);

/// One panel of a trial chart: its curves, the best epoch, a legend when there are several.
fn panel<DB: DrawingBackend>(
    area: &Area<DB>,
    title: &str,
    epochs: Range<f64>,
    curves: &[Curve],
    best_epoch: Option<usize>,
) -> Drawn<DB> {
    let Some(y) = span(curves.iter().flat_map(|c| c.2.iter().map(|p| p.1))) else {
        return area.draw(&centred_text(area, &format!("{title}: no data")));
    };
    let mut chart = linear_chart(area, title, epochs.clone(), y.clone(), None, None, 11)?;
    for &(name, colour, points) in curves {
        let series = chart.draw_series(LineSeries::new(points.iter().copied(), colour))?;
        if curves.len() > 1 {
            series
                .label(name)
                .legend(move |(x, y)| swatch(x, y, colour));
        }
    }
    // plotters does not clip lines to the plot: a best epoch outside the curves is not drawn.
    if let Some(best) = best_epoch.filter(|&b| epochs.contains(&(b as f64))) {
        let x = best as f64;
        let series = chart.draw_series(LineSeries::new([(x, y.start), (x, y.end)], MUTED))?;
        if curves.len() > 1 {
            series
                .label(format!("best: epoch {best}"))
                .legend(move |(x, y)| swatch(x, y, MUTED));
        }
    }
    if curves.len() > 1 {
        legend(&mut chart, SeriesLabelPosition::UpperRight, 9)?;
    }
    Ok(())
}

/// The given trials (the top K) overlaid: `metric` per epoch, one colour per trial, a legend
/// "trial N", a dot at each trial's best epoch.
pub fn overlay_chart(trials: &[TrialCurves], metric: MetricName, title: &str) -> String {
    overlay(trials, metric, title).svg()
}

/// The prepared [`overlay_chart`].
pub fn overlay(trials: &[TrialCurves], metric: MetricName, title: &str) -> Chart {
    let curves: Vec<_> = trials
        .iter()
        .map(|t| {
            let points = curve_of(t.epochs, metric, OVERLAY_POINTS);
            (t.number, best_point(t, metric), points)
        })
        .filter(|(_, _, points)| !points.is_empty())
        .collect();
    let all = || curves.iter().flat_map(|c| c.2.iter());
    let (Some(x), Some(y)) = (span(all().map(|p| p.0)), span(all().map(|p| p.1))) else {
        return no_data(CHART_SIZE, title.to_string());
    };
    let plot = Plot::Overlay {
        title: title.to_string(),
        metric,
        x,
        y,
        curves,
    };
    Chart::new(CHART_SIZE, plot)
}

/// Draws a [`Plot::Overlay`].
fn draw_overlay<DB: DrawingBackend>(
    root: &Area<DB>,
    title: &str,
    metric: MetricName,
    x: &Range<f64>,
    y: &Range<f64>,
    curves: &[TrialLine],
) -> Drawn<DB> {
    let (x, y) = (x.clone(), y.clone());
    let mut chart = linear_chart(root, title, x, y, Some("epoch"), Some(metric.as_str()), 14)?;
    for (i, (number, best, points)) in curves.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                colour.stroke_width(2),
            ))?
            .label(format!("trial {number}"))
            .legend(move |(x, y)| swatch(x, y, colour));
        chart.draw_series(best.map(|p| Circle::new(p, 3, colour.filled())))?;
    }
    legend(&mut chart, corner_for(metric), 11)
}

/// Where early stopping happened: `metric` against epochs for every trial (those that trained
/// on in colour, pruned ones in grey), a cross where each pruned trial stopped, and the rung
/// epochs as vertical lines. `trials` pairs each trial's curves with the rung where it was
/// pruned, if it was.
pub fn pruning(
    trials: &[(TrialCurves, Option<usize>)],
    rungs: &[usize],
    metric: MetricName,
) -> Chart {
    let title = format!("{} by epoch, pruned trials in grey", metric.as_str());
    let mut kept = Vec::new();
    let mut pruned = Vec::new();
    let mut stops = Vec::new();
    for (trial, pruned_at) in trials {
        let points = curve_of(trial.epochs, metric, TRIAL_POINTS);
        if points.is_empty() {
            continue;
        }
        match pruned_at {
            Some(rung) => {
                let at = trial
                    .epochs
                    .iter()
                    .find(|e| e.epoch == *rung)
                    .map(|e| (*rung as f64, metric.value(e)))
                    .filter(|p| p.1.is_finite());
                stops.extend(at.or_else(|| points.last().copied()));
                pruned.push(points);
            }
            None => kept.push(points),
        }
    }
    let all = || kept.iter().chain(&pruned).flatten();
    let (Some(x), Some(y)) = (span(all().map(|p| p.0)), span(all().map(|p| p.1))) else {
        return no_data(CHART_SIZE, title);
    };
    let rungs = rungs.iter().map(|&r| r as f64).collect();
    let plot = Plot::Pruning {
        title,
        metric,
        x,
        y,
        kept,
        pruned,
        stops,
        rungs,
    };
    Chart::new(CHART_SIZE, plot)
}

/// Draws a [`Plot::Pruning`]: rung lines first, grey pruned curves under coloured kept ones,
/// the stop crosses on top.
fn draw_pruning<DB: DrawingBackend>(
    root: &Area<DB>,
    title: &str,
    metric: MetricName,
    (x, y): (&Range<f64>, &Range<f64>),
    (kept, pruned): (&[Points], &[Points]),
    stops: &[(f64, f64)],
    rungs: &[f64],
) -> Drawn<DB> {
    let (x, y) = (x.clone(), y.clone());
    let (low, high) = (y.start, y.end);
    let mut chart = linear_chart(root, title, x, y, Some("epoch"), Some(metric.as_str()), 14)?;
    let rung_colour = PALETTE[1];
    for (i, &r) in rungs.iter().enumerate() {
        let line = chart.draw_series(LineSeries::new(
            [(r, low), (r, high)],
            rung_colour.mix(0.6).stroke_width(1),
        ))?;
        if i == 0 {
            line.label("rung")
                .legend(move |(x, y)| swatch(x, y, rung_colour));
        }
    }
    for (i, points) in pruned.iter().enumerate() {
        let line = chart.draw_series(LineSeries::new(points.iter().copied(), MUTED.mix(0.6)))?;
        if i == 0 {
            line.label("pruned").legend(|(x, y)| swatch(x, y, MUTED));
        }
    }
    for (i, points) in kept.iter().enumerate() {
        let colour = PALETTE[0];
        let line = chart.draw_series(LineSeries::new(
            points.iter().copied(),
            colour.stroke_width(2),
        ))?;
        if i == 0 {
            line.label("trained on")
                .legend(move |(x, y)| swatch(x, y, colour));
        }
    }
    let stop_colour = PALETTE[2];
    if !stops.is_empty() {
        chart
            .draw_series(
                stops
                    .iter()
                    .map(|&p| Cross::new(p, 4, stop_colour.stroke_width(2))),
            )?
            .label("pruned here")
            .legend(move |(x, y)| Cross::new((x + 7, y), 4, stop_colour.stroke_width(2)));
    }
    legend(&mut chart, corner_for(metric), 11)
}

/// How the sweep progressed: each finished trial's best metric as a dot at its trial number,
/// and the best-so-far as a step line (`goal` decides better).
pub fn progress_chart(points: &[(usize, f64)], metric: MetricName, goal: Goal) -> String {
    progress(points, metric, goal).svg()
}

/// The prepared [`progress_chart`].
pub fn progress(points: &[(usize, f64)], metric: MetricName, goal: Goal) -> Chart {
    let title = format!("best {} by trial", metric.as_str());
    let mut dots: Vec<(f64, f64)> = finite(points.iter().map(|&(n, v)| (n as f64, v)));
    dots.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (Some(x), Some(y)) = (
        span(dots.iter().map(|p| p.0)),
        span(dots.iter().map(|p| p.1)),
    ) else {
        return no_data(CHART_SIZE, title);
    };
    let steps = best_so_far(&dots, goal);
    let plot = Plot::Progress {
        title,
        metric,
        goal,
        x,
        y,
        dots,
        steps,
    };
    Chart::new(CHART_SIZE, plot)
}

/// Draws a [`Plot::Progress`].
#[allow(clippy::too_many_arguments)] // a Plot variant's fields, unpacked
fn draw_progress<DB: DrawingBackend>(
    root: &Area<DB>,
    title: &str,
    metric: MetricName,
    goal: Goal,
    x: &Range<f64>,
    y: &Range<f64>,
    dots: &[(f64, f64)],
    steps: &[(f64, f64)],
) -> Drawn<DB> {
    let (x, y) = (x.clone(), y.clone());
    let mut chart = linear_chart(root, title, x, y, Some("trial"), Some(metric.as_str()), 14)?;
    chart
        .draw_series(dots.iter().map(|&p| Circle::new(p, 2, PALETTE[0].filled())))?
        .label("trial's best")
        .legend(|(x, y)| Circle::new((x + 8, y), 3, PALETTE[0].filled()));
    chart
        .draw_series(LineSeries::new(
            steps.iter().copied(),
            PALETTE[1].stroke_width(2),
        ))?
        .label("best so far")
        .legend(|(x, y)| swatch(x, y, PALETTE[1]));
    legend(&mut chart, corner_for_goal(goal), 11)
}

/// Sweeps side by side: each one's best-so-far by trial number, one step line per labelled
/// sweep (each sweep's finished trials' best metrics, by number; `goal` decides better).
/// The report draws a bayes sweep against a random sweep over the same parameters.
pub fn versus(sweeps: &[(String, Vec<(usize, f64)>)], metric: MetricName, goal: Goal) -> Chart {
    let title = format!("best {} so far, by trial", metric.as_str());
    let lines: Vec<(String, Points)> = sweeps
        .iter()
        .map(|(label, points)| {
            let mut dots = finite(points.iter().map(|&(n, v)| (n as f64, v)));
            dots.sort_by(|a, b| a.0.total_cmp(&b.0));
            (label.clone(), best_so_far(&dots, goal))
        })
        .filter(|(_, steps)| !steps.is_empty())
        .collect();
    let all = || lines.iter().flat_map(|(_, steps)| steps.iter());
    let (Some(x), Some(y)) = (span(all().map(|p| p.0)), span(all().map(|p| p.1))) else {
        return no_data(CHART_SIZE, title);
    };
    let plot = Plot::Versus {
        title,
        metric,
        goal,
        x,
        y,
        lines,
    };
    Chart::new(CHART_SIZE, plot)
}

/// Draws a [`Plot::Versus`].
fn draw_versus<DB: DrawingBackend>(
    root: &Area<DB>,
    title: &str,
    metric: MetricName,
    goal: Goal,
    x: &Range<f64>,
    y: &Range<f64>,
    lines: &[(String, Points)],
) -> Drawn<DB> {
    let (x, y) = (x.clone(), y.clone());
    let mut chart = linear_chart(root, title, x, y, Some("trial"), Some(metric.as_str()), 14)?;
    for (i, (label, steps)) in lines.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(
                steps.iter().copied(),
                colour.stroke_width(2),
            ))?
            .label(label.as_str())
            .legend(move |(x, y)| swatch(x, y, colour));
    }
    legend(&mut chart, corner_for_goal(goal), 11)
}

/// The best-so-far line through `dots` (sorted by x): flat until a better value, then a step.
fn best_so_far(dots: &[(f64, f64)], goal: Goal) -> Vec<(f64, f64)> {
    let mut steps = Vec::new();
    let mut best = f64::NAN;
    for &(x, v) in dots {
        if goal.better(v, best) {
            if !best.is_nan() {
                steps.push((x, best));
            }
            steps.push((x, v));
            best = v;
        }
    }
    // Carry the best to the last trial, so the line shows how long it has held.
    if let Some(&(last, _)) = dots.last()
        && steps.last().is_some_and(|p| p.0 < last)
    {
        steps.push((last, best));
    }
    steps
}

/// The metric against one swept parameter: a scatter; a log x axis when `log_x` (the caller
/// passes true for learning_rate) and every value is positive; labels on the x axis for
/// categorical values.
pub fn param_chart(
    param: &str,
    points: &[(ParamPoint, f64)],
    metric: MetricName,
    log_x: bool,
) -> String {
    self::param(param, points, metric, log_x).svg()
}

/// The prepared [`param_chart`].
pub fn param(param: &str, points: &[(ParamPoint, f64)], metric: MetricName, log_x: bool) -> Chart {
    let title = format!("{} by {param}", metric.as_str());
    let usable: Vec<(&ParamPoint, f64)> = points
        .iter()
        .filter(|(p, v)| v.is_finite() && p.is_drawable())
        .map(|(p, v)| (p, *v))
        .collect();
    let numbers: Option<Vec<(f64, f64)>> = usable
        .iter()
        .map(|(p, v)| match p {
            ParamPoint::Number(x) => Some((*x, *v)),
            ParamPoint::Label(_) => None,
        })
        .collect();
    match numbers {
        _ if usable.is_empty() => no_data(CHART_SIZE, title),
        Some(numbers) => numeric_scatter(&title, param, &numbers, metric, log_x),
        None => categorical_scatter(&title, param, &usable, metric),
    }
}

/// A scatter over a numeric parameter; on a log axis the values are drawn as log10 and the
/// ticks labelled with the values themselves.
fn numeric_scatter(
    title: &str,
    param: &str,
    points: &[(f64, f64)],
    metric: MetricName,
    log_x: bool,
) -> Chart {
    // A log axis cannot show zero or negative values: fall back rather than drop trials.
    let scale = if log_x && points.iter().all(|p| p.0 > 0.0) {
        Scale::Log10
    } else {
        Scale::Linear
    };
    let drawn: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (scale.to_axis(x), y)).collect();
    let (Some(x), Some(y)) = (
        span(drawn.iter().map(|p| p.0)),
        span(drawn.iter().map(|p| p.1)),
    ) else {
        return no_data(CHART_SIZE, title.to_string());
    };
    let plot = Plot::Numeric {
        title: title.to_string(),
        param: param.to_string(),
        metric,
        scale,
        x,
        y,
        drawn,
    };
    Chart::new(CHART_SIZE, plot)
}

/// Draws a [`Plot::Numeric`].
#[allow(clippy::too_many_arguments)] // a Plot variant's fields, unpacked
fn draw_numeric<DB: DrawingBackend>(
    root: &Area<DB>,
    title: &str,
    param: &str,
    metric: MetricName,
    scale: Scale,
    x: &Range<f64>,
    y: &Range<f64>,
    drawn: &[(f64, f64)],
) -> Drawn<DB> {
    {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 14))
            .margin(8)
            .x_label_area_size(36)
            .y_label_area_size(52)
            .build_cartesian_2d(x.clone(), y.clone())?;
        chart
            .configure_mesh()
            .max_light_lines(0)
            .bold_line_style(GRID)
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(&|v| tick(scale.value_of(*v)))
            .y_label_formatter(&|v| tick(*v))
            .label_style((FONT, 11))
            .x_desc(param)
            .y_desc(metric.as_str())
            .draw()?;
        chart.draw_series(
            drawn
                .iter()
                .map(|&p| Circle::new(p, 3, PALETTE[0].mix(0.7).filled())),
        )?;
        Ok(())
    }
}

/// A scatter over a categorical parameter: one labelled slot per category.
fn categorical_scatter(
    title: &str,
    param: &str,
    points: &[(&ParamPoint, f64)],
    metric: MetricName,
) -> Chart {
    let categories = categories(points.iter().map(|(p, _)| *p));
    let Some(y) = span(points.iter().map(|p| p.1)) else {
        return no_data(CHART_SIZE, title.to_string());
    };
    let drawn: Vec<(i32, f64)> = points
        .iter()
        .filter_map(|(p, v)| {
            let i = categories.iter().position(|c| *c == p.label())?;
            Some((i as i32, *v))
        })
        .collect();
    let plot = Plot::Categorical {
        title: title.to_string(),
        param: param.to_string(),
        metric,
        categories,
        y,
        drawn,
    };
    Chart::new(CHART_SIZE, plot)
}

/// Draws a [`Plot::Categorical`].
fn draw_categorical<DB: DrawingBackend>(
    root: &Area<DB>,
    title: &str,
    param: &str,
    metric: MetricName,
    categories: &[String],
    y: &Range<f64>,
    drawn: &[(i32, f64)],
) -> Drawn<DB> {
    let slots = categories.len() as i32;
    let label = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) => usize::try_from(*i)
            .ok()
            .and_then(|i| categories.get(i))
            .cloned()
            .unwrap_or_default(),
        _ => String::new(),
    };
    {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 14))
            .margin(8)
            .x_label_area_size(36)
            .y_label_area_size(52)
            .build_cartesian_2d((0..slots - 1).into_segmented(), y.clone())?;
        chart
            .configure_mesh()
            .max_light_lines(0)
            .bold_line_style(GRID)
            .x_labels(categories.len() + 1)
            .y_labels(6)
            .x_label_formatter(&label)
            .y_label_formatter(&|v| tick(*v))
            .label_style((FONT, 11))
            .x_desc(param)
            .y_desc(metric.as_str())
            .draw()?;
        chart.draw_series(drawn.iter().map(|&(i, v)| {
            let at = (SegmentValue::CenterOf(i), v);
            Circle::new(at, 3, PALETTE[0].mix(0.7).filled())
        }))?;
        Ok(())
    }
}

/// Parallel coordinates: one vertical axis per parameter (each scaled to its own min..max, log
/// for learning_rate) plus the metric; one polyline per trial coloured by its metric (a colour
/// scale from worst to best by `goal`, the best drawn last so they stay on top). A trial whose
/// metric or any parameter is missing (NaN) is left out.
pub fn parallel_chart(
    params: &[String],
    rows: &[(Vec<ParamPoint>, f64)],
    metric: MetricName,
    goal: Goal,
) -> String {
    parallel(params, rows, metric, goal).svg()
}

/// The prepared [`parallel_chart`].
pub fn parallel(
    params: &[String],
    rows: &[(Vec<ParamPoint>, f64)],
    metric: MetricName,
    goal: Goal,
) -> Chart {
    let title = format!("trials by parameter, coloured by {}", metric.as_str());
    let mut usable: Vec<&(Vec<ParamPoint>, f64)> = rows
        .iter()
        .filter(|(ps, v)| {
            v.is_finite() && ps.len() == params.len() && ps.iter().all(ParamPoint::is_drawable)
        })
        .collect();
    if usable.is_empty() {
        return no_data(PARALLEL_SIZE, title);
    }
    // Worst first, so the best lines are drawn over the rest.
    usable.sort_by(|a, b| worse_first(goal, a.1, b.1));
    let mut axes: Vec<Axis> = params
        .iter()
        .enumerate()
        .map(|(i, name)| Axis::new(name, usable.iter().map(|(ps, _)| &ps[i])))
        .collect();
    let metrics: Vec<ParamPoint> = usable.iter().map(|r| ParamPoint::Number(r.1)).collect();
    axes.push(Axis::new(metric.as_str(), metrics.iter()));
    let colour = ColourScale::new(usable.iter().map(|r| r.1), goal);
    let lines: Vec<(RGBColor, Vec<(f64, f64)>)> = usable
        .iter()
        .zip(&metrics)
        .map(|((ps, v), m)| {
            let values = ps.iter().chain(std::iter::once(m));
            let line = axes.iter().zip(values).enumerate();
            (
                colour.at(*v),
                line.map(|(i, (a, p))| (i as f64, a.position(p))).collect(),
            )
        })
        .collect();
    let plot = Plot::Parallel {
        title,
        axes,
        lines,
        colour,
    };
    Chart::new(PARALLEL_SIZE, plot)
}

/// Draws the parallel coordinates: lines first, then the axes and their labels over them.
fn draw_parallel<DB: DrawingBackend>(
    root: &Area<DB>,
    title: &str,
    axes: &[Axis],
    lines: &[(RGBColor, Vec<(f64, f64)>)],
    colour: &ColourScale,
) -> Drawn<DB> {
    let last = axes.len() as f64 - 1.0;
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 14))
        .margin(12)
        .build_cartesian_2d(-0.3..last + 0.6, -0.04..1.1)?;
    for (c, line) in lines {
        chart.draw_series(LineSeries::new(line.iter().copied(), c.mix(0.8)))?;
    }
    for i in 0..axes.len() {
        let x = i as f64;
        chart.draw_series(LineSeries::new([(x, 0.0), (x, 1.0)], INK))?;
    }
    // The metric's axis doubles as the colour key: segments in the colour of their value.
    let segments = 10;
    chart.draw_series((0..segments).map(|s| {
        let (lo, hi) = (s as f64 / segments as f64, (s + 1) as f64 / segments as f64);
        let c = colour.at_fraction(&axes[axes.len() - 1], (lo + hi) / 2.0);
        PathElement::new(vec![(last, lo), (last, hi)], c.stroke_width(4))
    }))?;
    let name_style = TextStyle::from((FONT, 12).into_font())
        .color(&INK)
        .pos(Pos::new(HPos::Center, VPos::Bottom));
    let tick_style = TextStyle::from((FONT, 10).into_font())
        .color(&INK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (i, axis) in axes.iter().enumerate() {
        let x = i as f64;
        chart.draw_series([Text::new(axis.name.clone(), (x, 1.04), name_style.clone())])?;
        // Tick labels right of the axis, on a white patch so the lines crossing them stay
        // legible.
        chart.draw_series(axis.ticks().into_iter().map(|(y, label)| {
            let width = text_width(&tick_style, &label);
            let patch = Rectangle::new([(4, -6), (8 + width, 6)], WHITE.mix(0.85).filled());
            EmptyElement::at((x, y)) + patch + Text::new(label, (6, 0), tick_style.clone())
        }))?;
    }
    Ok(())
}

/// The width plotters estimates for `text` (what it lays text out with), in pixels.
fn text_width(style: &TextStyle, text: &str) -> i32 {
    style
        .font
        .box_size(text)
        .map_or(6 * text.len() as i32, |(w, _)| w as i32)
}

/// Reduce a curve to at most `max` points for drawing (keep the first and last point and each
/// bucket's extremes, so spikes stay visible); the stored data is never changed. A curve of at
/// most `max` points comes back as it is; `max` of 2 or 3 keeps the first and last point only.
pub fn downsample(points: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max {
        return points.to_vec();
    }
    let (Some(&first), Some(&last)) = (points.first(), points.last()) else {
        return Vec::new();
    };
    match max {
        0 => return Vec::new(),
        1 => return vec![first],
        _ => {}
    }
    let interior = &points[1..points.len() - 1];
    // Two points per bucket: its lowest and highest. interior.len() > 2 * buckets (the curve
    // has more than `max` points), so no bucket is empty.
    let buckets = (max - 2) / 2;
    let mut kept = Vec::with_capacity(max);
    kept.push(first);
    for b in 0..buckets {
        let bucket = &interior[b * interior.len() / buckets..(b + 1) * interior.len() / buckets];
        push_extremes(bucket, &mut kept);
    }
    kept.push(last);
    kept
}

/// Pushes the lowest and highest point of `bucket` (one if they are the same), in x order.
fn push_extremes(bucket: &[(f64, f64)], kept: &mut Vec<(f64, f64)>) {
    let (mut lo, mut hi) = (0, 0);
    for (i, p) in bucket.iter().enumerate() {
        // A NaN extreme gives way to any number.
        if p.1 < bucket[lo].1 || bucket[lo].1.is_nan() {
            lo = i;
        }
        if p.1 > bucket[hi].1 || bucket[hi].1.is_nan() {
            hi = i;
        }
    }
    let (a, b) = (lo.min(hi), lo.max(hi));
    kept.extend(bucket.get(a));
    if b != a {
        kept.extend(bucket.get(b));
    }
}

impl ParamPoint {
    /// Whether the point can be placed on an axis (a NaN number cannot).
    fn is_drawable(&self) -> bool {
        match self {
            ParamPoint::Number(x) => x.is_finite(),
            ParamPoint::Label(_) => true,
        }
    }

    /// The point as a category label (numbers of a categorical parameter included).
    fn label(&self) -> String {
        match self {
            ParamPoint::Number(x) => format!("{x}"),
            ParamPoint::Label(s) => s.clone(),
        }
    }
}

/// How a numeric axis maps values.
#[derive(Clone, Copy)]
enum Scale {
    Linear,
    Log10,
}

impl Scale {
    /// A value's position on the axis.
    fn to_axis(self, v: f64) -> f64 {
        match self {
            Scale::Linear => v,
            Scale::Log10 => v.log10(),
        }
    }

    /// The value at an axis position (for tick labels).
    fn value_of(self, v: f64) -> f64 {
        match self {
            Scale::Linear => v,
            Scale::Log10 => 10f64.powf(v),
        }
    }
}

/// One axis of the parallel coordinates chart, mapping a value to 0..1.
struct Axis {
    name: String,
    kind: AxisKind,
}

enum AxisKind {
    /// Scaled to the values' own range; `lo..hi` on the axis scale.
    Numeric { scale: Scale, lo: f64, hi: f64 },
    /// Evenly spaced, in [`categories`] order.
    Categories(Vec<String>),
}

impl Axis {
    fn new<'p>(name: &str, values: impl Iterator<Item = &'p ParamPoint> + Clone) -> Axis {
        let numbers: Option<Vec<f64>> = values
            .clone()
            .map(|p| match p {
                ParamPoint::Number(x) => Some(*x),
                ParamPoint::Label(_) => None,
            })
            .collect();
        let kind = match numbers {
            Some(numbers) => {
                // Learning rates span decades: linear would crowd all but the largest at 0.
                let log = name == "learning_rate" && numbers.iter().all(|&x| x > 0.0);
                let scale = if log { Scale::Log10 } else { Scale::Linear };
                let on_axis = numbers.iter().map(|&x| scale.to_axis(x));
                let lo = on_axis.clone().fold(f64::INFINITY, f64::min);
                let hi = on_axis.fold(f64::NEG_INFINITY, f64::max);
                AxisKind::Numeric { scale, lo, hi }
            }
            None => AxisKind::Categories(categories(values)),
        };
        Axis {
            name: name.to_string(),
            kind,
        }
    }

    /// Where `p` sits on the axis, 0 (bottom) to 1 (top); a single value sits in the middle.
    fn position(&self, p: &ParamPoint) -> f64 {
        match &self.kind {
            AxisKind::Numeric { scale, lo, hi } => match p {
                ParamPoint::Number(x) if hi > lo => (scale.to_axis(*x) - lo) / (hi - lo),
                _ => 0.5,
            },
            AxisKind::Categories(labels) => {
                let i = labels.iter().position(|l| *l == p.label()).unwrap_or(0);
                slot(i, labels.len())
            }
        }
    }

    /// The value at fraction `f` of a numeric axis.
    fn value_at(&self, f: f64) -> f64 {
        match &self.kind {
            AxisKind::Numeric { scale, lo, hi } => scale.value_of(lo + f * (hi - lo)),
            AxisKind::Categories(_) => f64::NAN,
        }
    }

    /// Labels along the axis: the ends of a numeric one, every category of a categorical one.
    fn ticks(&self) -> Vec<(f64, String)> {
        match &self.kind {
            AxisKind::Numeric { lo, hi, .. } if hi > lo => {
                vec![
                    (0.0, tick(self.value_at(0.0))),
                    (1.0, tick(self.value_at(1.0))),
                ]
            }
            AxisKind::Numeric { .. } => vec![(0.5, tick(self.value_at(0.0)))],
            AxisKind::Categories(labels) => labels
                .iter()
                .enumerate()
                .map(|(i, l)| (slot(i, labels.len()), l.clone()))
                .collect(),
        }
    }
}

/// Position of category `i` of `n` on a 0..1 axis.
fn slot(i: usize, n: usize) -> f64 {
    if n > 1 {
        i as f64 / (n - 1) as f64
    } else {
        0.5
    }
}

/// The distinct labels of `values`, in numeric order when all parse as numbers (so 32 comes
/// before 128), else in text order: stable whatever order the trials ran in.
fn categories<'p>(values: impl Iterator<Item = &'p ParamPoint>) -> Vec<String> {
    let mut labels: Vec<String> = values.map(ParamPoint::label).collect();
    let numeric: Option<Vec<f64>> = labels.iter().map(|l| l.parse::<f64>().ok()).collect();
    match numeric {
        Some(_) => labels.sort_by(|a, b| {
            let (x, y) = (a.parse::<f64>(), b.parse::<f64>());
            match (x, y) {
                (Ok(x), Ok(y)) => x.total_cmp(&y).then_with(|| a.cmp(b)),
                _ => a.cmp(b),
            }
        }),
        None => labels.sort(),
    }
    labels.dedup();
    labels
}

/// Colours metric values from worst (light) to best (dark) by the goal.
struct ColourScale {
    worst: f64,
    best: f64,
}

impl ColourScale {
    fn new(values: impl Iterator<Item = f64> + Clone, goal: Goal) -> ColourScale {
        let lo = values.clone().fold(f64::INFINITY, f64::min);
        let hi = values.fold(f64::NEG_INFINITY, f64::max);
        match goal {
            Goal::Maximize => ColourScale {
                worst: lo,
                best: hi,
            },
            Goal::Minimize => ColourScale {
                worst: hi,
                best: lo,
            },
        }
    }

    /// The colour of metric value `v`.
    fn at(&self, v: f64) -> RGBColor {
        let t = if self.best != self.worst {
            (v - self.worst) / (self.best - self.worst)
        } else {
            1.0
        };
        interpolate(t)
    }

    /// The colour at fraction `f` of the metric's axis.
    fn at_fraction(&self, axis: &Axis, f: f64) -> RGBColor {
        self.at(axis.value_at(f))
    }
}

/// The colour at `t` (0 worst, 1 best) along [`SCALE`].
fn interpolate(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        1.0
    };
    let at = t * (SCALE.len() - 1) as f64;
    let i = (at.floor() as usize).min(SCALE.len() - 2);
    let f = at - i as f64;
    let (a, b) = (SCALE[i], SCALE[i + 1]);
    let mix = |x: u8, y: u8| (f64::from(x) + f * (f64::from(y) - f64::from(x))).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Orders metric values worst first by `goal`.
fn worse_first(goal: Goal, a: f64, b: f64) -> Ordering {
    match goal {
        Goal::Maximize => a.total_cmp(&b),
        Goal::Minimize => b.total_cmp(&a),
    }
}

/// `metric` per epoch of `epochs`, NaN epochs left out, reduced to `max` points.
fn curve_of(epochs: &[EpochMetrics], metric: MetricName, max: usize) -> Vec<(f64, f64)> {
    let points = finite(epochs.iter().map(|e| (e.epoch as f64, metric.value(e))));
    downsample(&points, max)
}

/// The trial's best epoch on `metric`'s curve, when that epoch has a value.
fn best_point(trial: &TrialCurves, metric: MetricName) -> Option<(f64, f64)> {
    let best = trial.best_epoch?;
    let epoch = trial.epochs.iter().find(|e| e.epoch == best)?;
    let v = metric.value(epoch);
    v.is_finite().then_some((best as f64, v))
}

/// The points with both coordinates finite: NULL (NaN) epochs are gaps, not zeros.
fn finite(points: impl Iterator<Item = (f64, f64)>) -> Vec<(f64, f64)> {
    points
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect()
}

/// The range of the finite `values` with a margin; `None` without any. A single value still
/// gets a non-empty range, since plotters maps a range onto pixels.
fn span(values: impl Iterator<Item = f64>) -> Option<Range<f64>> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((f64::min(lo, v), f64::max(hi, v))),
        })?;
    let pad = if hi > lo {
        (hi - lo) * 0.05
    } else {
        lo.abs().max(1.0) * 0.05
    };
    Some(lo - pad..hi + pad)
}

/// A short tick label: at most 4 decimals, scientific notation for very small or large values.
fn tick(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || !a.is_finite() {
        return if a == 0.0 {
            "0".to_string()
        } else {
            format!("{v}")
        };
    }
    if !(1e-3..1e4).contains(&a) {
        let s = format!("{v:.1e}");
        return match s.split_once('e') {
            Some((mantissa, exp)) => format!("{}e{exp}", trim_zeros(mantissa)),
            None => s,
        };
    }
    trim_zeros(&format!("{v:.4}")).to_string()
}

/// `1.500` → `1.5`, `2.000` → `2`.
fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// A chart on `area` with linear axes, light grid, short tick labels.
fn linear_chart<'a, DB: DrawingBackend>(
    area: &'a Area<DB>,
    title: &str,
    x: Range<f64>,
    y: Range<f64>,
    x_desc: Option<&str>,
    y_desc: Option<&str>,
    font: u32,
) -> Result<LinearChart<'a, DB>, DrawError<DB>> {
    let label_font = font.saturating_sub(3).max(9);
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, font))
        .margin(6)
        .x_label_area_size(if x_desc.is_some() { 36 } else { 18 })
        .y_label_area_size(if y_desc.is_some() { 52 } else { 36 })
        .build_cartesian_2d(x, y)?;
    let mut mesh = chart.configure_mesh();
    mesh.max_light_lines(0)
        .bold_line_style(GRID)
        .x_labels(5)
        .y_labels(5)
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .label_style((FONT, label_font));
    if let Some(d) = x_desc {
        mesh.x_desc(d);
    }
    if let Some(d) = y_desc {
        mesh.y_desc(d);
    }
    mesh.draw()?;
    Ok(chart)
}

/// The legend box in a corner.
fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut LinearChart<'a, DB>,
    corner: SeriesLabelPosition,
    font: u32,
) -> Drawn<DB> {
    chart
        .configure_series_labels()
        .position(corner)
        .label_font((FONT, font))
        .background_style(WHITE.mix(0.85))
        .border_style(GRID)
        .legend_area_size(18)
        .margin(6)
        .draw()
}

/// A legend's line sample.
fn swatch(x: i32, y: i32, colour: RGBColor) -> PathElement<(i32, i32)> {
    PathElement::new(vec![(x, y), (x + 14, y)], colour.stroke_width(2))
}

/// Where a legend is least in the way: curves of a metric to maximize rise to the upper right.
fn corner_for(metric: MetricName) -> SeriesLabelPosition {
    corner_for_goal(metric.default_goal())
}

fn corner_for_goal(goal: Goal) -> SeriesLabelPosition {
    match goal {
        Goal::Maximize => SeriesLabelPosition::LowerRight,
        Goal::Minimize => SeriesLabelPosition::UpperRight,
    }
}

/// A chart that says "`title`: no data".
fn no_data(size: (u32, u32), title: String) -> Chart {
    Chart::new(size, Plot::NoData(title))
}

/// Grey text in the middle of `area`.
fn centred_text<DB: DrawingBackend>(
    area: &Area<DB>,
    text: &str,
) -> Text<'static, (i32, i32), String> {
    let (w, h) = area.dim_in_pixel();
    let style = TextStyle::from((FONT, 14).into_font())
        .color(&MUTED)
        .pos(Pos::new(HPos::Center, VPos::Center));
    Text::new(text.to_string(), (w as i32 / 2, h as i32 / 2), style)
}

/// Shrinks plotters' SVG without changing the picture, since a report holds a chart per trial:
/// drops `opacity="1"` (the default), writes font sizes with one decimal (plotters writes
/// `size / 1.24` in full, `8.870967741935484`), and names the font family once on the `<svg>`
/// element, which its text inherits, instead of on every `<text>`. User text cannot match these
/// patterns: the backend has already escaped its quotes.
fn compact(svg: &str) -> String {
    let family = format!(r#" font-family="{FONT}""#);
    let svg = svg.replace(r#" opacity="1""#, "").replace(&family, "");
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg.as_str();
    const SIZE: &str = r#"font-size=""#;
    while let Some(at) = rest.find(SIZE) {
        let (head, tail) = rest.split_at(at + SIZE.len());
        out.push_str(head);
        let end = tail.find('"').unwrap_or(tail.len());
        match tail[..end].parse::<f64>() {
            Ok(size) => out.push_str(trim_zeros(&format!("{size:.1}"))),
            Err(_) => out.push_str(&tail[..end]),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out.replacen("<svg ", &format!("<svg{family} "), 1)
}

/// The chart that replaces one plotters could not draw.
fn failed((w, h): (u32, u32)) -> String {
    format!(
        r#"<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg"><text x="{}" y="{}" text-anchor="middle" font-family="{FONT}" font-size="14">chart could not be drawn</text></svg>"#,
        w / 2,
        h / 2
    )
}

#[cfg(test)]
mod tests;
