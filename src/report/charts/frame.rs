//! The frame of the cartesian charts (caption, axes, light grid, short tick labels), and the
//! sweep-wide line chart built on it: frame, series, legend, where each chart only says what
//! its series are.

use std::ops::Range;

use plotters::chart::SeriesAnno;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::style::{CHART_SIZE, FONT, GRID, PALETTE, corner_for, legend, no_data, swatch, tick};
use super::{Area, Chart, DrawError, Drawn, Plot};
use crate::metric::{Goal, MetricName};

/// A chart as [`framed`] builds it: x axis from `X`, linear y axis.
pub(super) type Framed<'a, DB, X> =
    ChartContext<'a, DB, Cartesian2d<<X as AsRangedCoord>::CoordDescType, RangedCoordf64>>;
/// A chart with linear axes.
pub(super) type LinearChart<'a, DB> = Framed<'a, DB, Range<f64>>;

/// How the frame of a cartesian chart looks: its caption, margin, tick counts and axis names.
pub(super) struct Frame<'t> {
    title: &'t str,
    /// The caption's size; tick labels are 3 px smaller, at least 9.
    font: u32,
    margin: u32,
    x_labels: usize,
    y_labels: usize,
    x_desc: Option<&'t str>,
    y_desc: Option<&'t str>,
}

impl<'t> Frame<'t> {
    /// A panel of the small per-trial chart: no axis names, so the curves keep the room.
    pub(super) fn panel(title: &'t str) -> Frame<'t> {
        Frame {
            title,
            font: 11,
            margin: 6,
            x_labels: 5,
            y_labels: 5,
            x_desc: None,
            y_desc: None,
        }
    }

    /// A sweep-wide line chart: `x` (epoch, trial) against the metric `y`.
    pub(super) fn lines(title: &'t str, x: &'t str, y: &'t str) -> Frame<'t> {
        Frame {
            title,
            font: 14,
            margin: 6,
            x_labels: 5,
            y_labels: 5,
            x_desc: Some(x),
            y_desc: Some(y),
        }
    }

    /// A scatter of the metric `y` against parameter `x`, with `x_labels` ticks on it.
    pub(super) fn scatter(title: &'t str, x: &'t str, y: &'t str, x_labels: usize) -> Frame<'t> {
        Frame {
            title,
            font: 14,
            margin: 8,
            x_labels,
            y_labels: 6,
            x_desc: Some(x),
            y_desc: Some(y),
        }
    }
}

/// The frame drawn on `area`: a linear `y` axis, light grid, short tick labels; `x` may be any
/// axis plotters knows (numbers, categories), its ticks labelled by `x_label`.
pub(super) fn framed<'a, DB, X>(
    area: &'a Area<DB>,
    frame: &Frame,
    x: X,
    y: Range<f64>,
    x_label: &dyn Fn(&X::Value) -> String,
) -> Result<Framed<'a, DB, X>, DrawError<DB>>
where
    DB: DrawingBackend,
    X: AsRangedCoord,
    X::CoordDescType: ValueFormatter<X::Value>,
{
    let label_font = frame.font.saturating_sub(3).max(9);
    let mut chart = ChartBuilder::on(area)
        .caption(frame.title, (FONT, frame.font))
        .margin(frame.margin)
        .x_label_area_size(if frame.x_desc.is_some() { 36 } else { 18 })
        .y_label_area_size(if frame.y_desc.is_some() { 52 } else { 36 })
        .build_cartesian_2d(x, y)?;
    let mut mesh = chart.configure_mesh();
    mesh.max_light_lines(0)
        .bold_line_style(GRID)
        .x_labels(frame.x_labels)
        .y_labels(frame.y_labels)
        .x_label_formatter(x_label)
        .y_label_formatter(&|v| tick(*v))
        .label_style((FONT, label_font));
    if let Some(d) = frame.x_desc {
        mesh.x_desc(d);
    }
    if let Some(d) = frame.y_desc {
        mesh.y_desc(d);
    }
    mesh.draw()?;
    Ok(chart)
}

/// A sweep-wide line chart, prepared: its caption, the metric on the y axis against epochs or
/// trials, the extent of its data. What it draws in that frame is each chart's own.
pub(super) struct Lines {
    title: String,
    x_desc: &'static str,
    metric: MetricName,
    /// Decides the legend's corner: see [`corner_for`].
    goal: Goal,
    /// The x extent.
    pub(super) x: Range<f64>,
    /// The y extent.
    pub(super) y: Range<f64>,
}

impl Lines {
    /// Draws the frame on `root`, then `series` in it, then the legend of what `series` named.
    pub(super) fn draw<'a, DB: DrawingBackend>(
        &self,
        root: &'a Area<DB>,
        series: impl FnOnce(&mut LinearChart<'a, DB>) -> Drawn<DB>,
    ) -> Drawn<DB> {
        let frame = Frame::lines(&self.title, self.x_desc, self.metric.as_str());
        let mut chart = framed(root, &frame, self.x.clone(), self.y.clone(), &|v| tick(*v))?;
        series(&mut chart)?;
        legend(&mut chart, corner_for(self.goal), 11)
    }
}

/// A sweep-wide line chart of `metric` against `x_desc` over `extent` (from
/// [`super::axis::spans`] of its points) with the legend placed for `goal`, its series made by
/// `plot`; or the no-data chart when there is no extent.
pub(super) fn line_chart(
    title: String,
    x_desc: &'static str,
    metric: &MetricName,
    goal: Goal,
    extent: Option<(Range<f64>, Range<f64>)>,
    plot: impl FnOnce(Lines) -> Plot,
) -> Chart {
    match extent {
        Some((x, y)) => {
            let frame = Lines {
                title,
                x_desc,
                metric: metric.clone(),
                goal,
                x,
                y,
            };
            Chart::new(CHART_SIZE, plot(frame))
        }
        None => no_data(CHART_SIZE, title),
    }
}

/// Draws `points` as series `i` of a chart of several: the `i`-th palette colour, 2 px wide,
/// named `label` in the legend. Returns the colour, for marks that go with the line.
pub(super) fn palette_line<'a, DB: DrawingBackend + 'a>(
    chart: &mut LinearChart<'a, DB>,
    i: usize,
    label: impl Into<String>,
    points: &[(f64, f64)],
) -> Result<RGBColor, DrawError<DB>> {
    let colour = PALETTE[i % PALETTE.len()];
    let series = chart.draw_series(LineSeries::new(
        points.iter().copied(),
        colour.stroke_width(2),
    ))?;
    legend_entry(series, label, colour);
    Ok(colour)
}

/// Draws each of `lines` in `style`, the first named `label` in the legend with a `key`
/// coloured sample: a group of lines that mean one thing (pruned trials, rungs) has one entry.
pub(super) fn lines_named_once<'a, DB: DrawingBackend + 'a>(
    chart: &mut LinearChart<'a, DB>,
    lines: impl IntoIterator<Item = impl AsRef<[(f64, f64)]>>,
    style: ShapeStyle,
    label: &str,
    key: RGBColor,
) -> Drawn<DB> {
    for (i, points) in lines.into_iter().enumerate() {
        let series = chart.draw_series(LineSeries::new(points.as_ref().iter().copied(), style))?;
        if i == 0 {
            legend_entry(series, label, key);
        }
    }
    Ok(())
}

/// Names `series` in the legend, with a line sample in `colour`.
pub(super) fn legend_entry<DB: DrawingBackend>(
    series: &mut SeriesAnno<'_, DB>,
    label: impl Into<String>,
    colour: RGBColor,
) {
    series
        .label(label)
        .legend(move |(x, y)| swatch(x, y, colour));
}
