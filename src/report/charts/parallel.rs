//! The parallel coordinates chart: every trial as a line across one axis per parameter and the
//! metric, coloured by the metric.

use std::cmp::Ordering;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{Axis, Points};
use super::style::{FONT, INK, PARALLEL_SIZE, SCALE, no_data};
use super::{Area, Chart, Drawn, ParamPoint, Plot};
use crate::metric::{Goal, MetricName};

/// A [`parallel`] chart's data.
pub(super) struct Parallel {
    title: String,
    /// The parameters' axes, then the metric's.
    axes: Vec<Axis>,
    /// Each trial's line (x: the axis' index, y: 0..1 on it) in its colour, worst first.
    lines: Vec<(RGBColor, Points)>,
    colour: ColourScale,
}

/// Parallel coordinates: one vertical axis per parameter (each scaled to its own min..max, log
/// for learning_rate) plus the metric; one polyline per trial coloured by its metric (a colour
/// scale from worst to best by `goal`, the best drawn last so they stay on top). A trial whose
/// metric or any parameter is missing (NaN) is left out.
pub fn parallel_chart(
    params: &[String],
    rows: &[(Vec<ParamPoint>, f64)],
    metric: &MetricName,
    goal: Goal,
) -> String {
    parallel(params, rows, metric, goal).svg()
}

/// The prepared [`parallel_chart`].
pub fn parallel(
    params: &[String],
    rows: &[(Vec<ParamPoint>, f64)],
    metric: &MetricName,
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
    let lines: Vec<(RGBColor, Points)> = usable
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
    let plot = Parallel {
        title,
        axes,
        lines,
        colour,
    };
    Chart::new(PARALLEL_SIZE, Plot::Parallel(plot))
}

impl Parallel {
    /// Draws the lines first, then the axes and their labels over them.
    pub(super) fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Drawn<DB> {
        let axes = &self.axes;
        let last = axes.len() as f64 - 1.0;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 14))
            .margin(12)
            .build_cartesian_2d(-0.3..last + 0.6, -0.04..1.1)?;
        for (c, line) in &self.lines {
            chart.draw_series(LineSeries::new(line.iter().copied(), c.mix(0.8)))?;
        }
        for i in 0..axes.len() {
            let x = i as f64;
            chart.draw_series(LineSeries::new([(x, 0.0), (x, 1.0)], INK))?;
        }
        // The metric's axis doubles as the colour key: segments in the colour of their value.
        let segments = 10;
        let metric_axis = &axes[axes.len() - 1];
        chart.draw_series((0..segments).map(|s| {
            let (lo, hi) = (s as f64 / segments as f64, (s + 1) as f64 / segments as f64);
            let c = self.colour.at_fraction(metric_axis, (lo + hi) / 2.0);
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
}

/// The width plotters estimates for `text` (what it lays text out with), in pixels.
fn text_width(style: &TextStyle, text: &str) -> i32 {
    style
        .font
        .box_size(text)
        .map_or(6 * text.len() as i32, |(w, _)| w as i32)
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
