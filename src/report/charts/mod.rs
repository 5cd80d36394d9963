//! The report's charts, drawn with plotters as SVG strings to inline in the HTML page and as
//! PNG files (`sweep report --png`, `sweep compare --png`) from the same drawing code.
//!
//! Each chart's data is prepared once into a [`Chart`]; its drawing is generic over the plotters
//! backend, so [`Chart::svg`] and [`Chart::write_png`] draw the same picture. The `*_chart`
//! functions return [`Chart::svg`] of it: one complete `<svg>` element with a `viewBox` (no XML
//! declaration), so the page can scale it with CSS. Values that are not finite (SQLite NULL
//! comes back as NaN) are skipped; with nothing left to draw, a chart says "no data" instead.
//!
//! This file holds [`Chart`] and its output; each chart has its own file ([`trial()`],
//! [`overlay()`], [`pruning()`], [`progress()`] and [`versus`], [`param()`], [`parallel()`]),
//! on the look in `style.rs` and the value-to-axis mapping in `axis.rs` that they share.
//!
//! Text: plotters' SVG backend escapes `<`, `>`, `&`, `"` and `'` in every text and attribute it
//! writes, so parameter names and category labels are passed as they are (a test holds it to
//! that). The SVG backend writes `<text>` elements the browser renders with its own fonts.
//!
//! Fonts: bitmaps need glyphs, so plotters' `ab_glyph` feature draws text with DejaVu Sans
//! embedded in the binary (no system font, no fontconfig/freetype). Cargo features are
//! unified, so that same font also measures text when laying out an SVG: `register_font`
//! runs once before any chart is drawn, whichever the backend.
//!
//! Output is byte-stable for the same input: a fixed palette, input order kept, no hashing.

mod axis;
mod frame;
mod overlay;
mod parallel;
mod param;
mod progress;
mod pruning;
mod style;
mod trial;

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

pub use axis::downsample;
pub use overlay::{overlay, overlay_chart};
pub use parallel::{parallel, parallel_chart};
pub use param::{param, param_chart};
pub use progress::{progress, progress_chart, versus};
pub use pruning::pruning;
pub use trial::{trial, trial_chart};

use crate::metric::EpochMetrics;

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

/// DejaVu Sans (licence in `assets/fonts/LICENSE-DejaVu.txt`), embedded so PNG charts need no
/// font installed.
static DEJAVU_SANS: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

type Area<DB> = DrawingArea<DB, Shift>;
type DrawError<DB> = DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>;
type Drawn<DB> = Result<(), DrawError<DB>>;

/// A chart with its data prepared, ready to draw as SVG or PNG.
pub struct Chart {
    size: (u32, u32),
    plot: Plot,
}

/// What a [`Chart`] draws, and the data it needs. Its drawing is generic over the backend,
/// which a trait object could not be: hence one variant per chart rather than `dyn`.
enum Plot {
    NoData(String),
    Trial(trial::Trial),
    Overlay(frame::Lines, Vec<overlay::TrialLine>),
    Pruning(frame::Lines, pruning::Pruned),
    /// The trials' bests, the best so far.
    Progress(frame::Lines, axis::Points, axis::Points),
    /// Each sweep's label and best so far.
    Versus(frame::Lines, Vec<(String, axis::Points)>),
    Numeric(param::NumericScatter),
    Categorical(param::CategoricalScatter),
    Parallel(parallel::Parallel),
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
        let _ = plotters::style::register_font(style::FONT, FontStyle::Normal, DEJAVU_SANS);
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
            Ok(()) => style::compact(&svg),
            Err(_) => style::failed(self.size),
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
            Plot::NoData(title) => {
                root.draw(&style::centred_text(root, &format!("{title}: no data")))
            }
            Plot::Trial(trial) => trial.draw(root),
            Plot::Overlay(frame, curves) => frame.draw(root, |c| overlay::series(c, curves)),
            Plot::Pruning(frame, marks) => {
                let extent = (frame.y.start, frame.y.end);
                frame.draw(root, |c| marks.series(c, extent))
            }
            Plot::Progress(frame, dots, steps) => {
                frame.draw(root, |c| progress::progress_series(c, dots, steps))
            }
            Plot::Versus(frame, lines) => frame.draw(root, |c| progress::versus_series(c, lines)),
            Plot::Numeric(scatter) => scatter.draw(root),
            Plot::Categorical(scatter) => scatter.draw(root),
            Plot::Parallel(parallel) => parallel.draw(root),
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

#[cfg(test)]
mod tests;
