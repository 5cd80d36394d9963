//! How a sweep progressed, trial by trial: each trial's best and the best so far
//! ([`progress`]), and several sweeps' best so far side by side ([`versus`]).

use plotters::prelude::*;

use super::axis::{Points, finite, spans};
use super::frame::{LinearChart, legend_entry, line_chart, palette_line};
use super::style::PALETTE;
use super::{Chart, Drawn, Plot};
use crate::metric::{Goal, MetricName};

/// How the sweep progressed: each finished trial's best metric as a dot at its trial number,
/// and the best-so-far as a step line (`goal` decides better).
pub fn progress_chart(points: &[(usize, f64)], metric: &MetricName, goal: Goal) -> String {
    progress(points, metric, goal).svg()
}

/// The prepared [`progress_chart`].
pub fn progress(points: &[(usize, f64)], metric: &MetricName, goal: Goal) -> Chart {
    let title = format!("best {} by trial", metric.as_str());
    let dots = by_trial(points);
    let extent = spans(dots.iter());
    let steps = best_so_far(&dots, goal);
    line_chart(title, "trial", metric, goal, extent, |frame| {
        Plot::Progress(frame, dots, steps)
    })
}

/// Draws the trials' bests as dots and the best so far as a step line.
pub(super) fn progress_series<'a, DB: DrawingBackend + 'a>(
    chart: &mut LinearChart<'a, DB>,
    dots: &[(f64, f64)],
    steps: &[(f64, f64)],
) -> Drawn<DB> {
    chart
        .draw_series(dots.iter().map(|&p| Circle::new(p, 2, PALETTE[0].filled())))?
        .label("trial's best")
        .legend(|(x, y)| Circle::new((x + 8, y), 3, PALETTE[0].filled()));
    let series = chart.draw_series(LineSeries::new(
        steps.iter().copied(),
        PALETTE[1].stroke_width(2),
    ))?;
    legend_entry(series, "best so far", PALETTE[1]);
    Ok(())
}

/// Sweeps side by side: each one's best-so-far by trial number, one step line per labelled
/// sweep (each sweep's finished trials' best metrics, by number; `goal` decides better).
/// The report draws a bayes sweep against a random sweep over the same parameters.
pub fn versus(sweeps: &[(String, Vec<(usize, f64)>)], metric: &MetricName, goal: Goal) -> Chart {
    let title = format!("best {} so far, by trial", metric.as_str());
    let lines: Vec<(String, Points)> = sweeps
        .iter()
        .map(|(label, points)| (label.clone(), best_so_far(&by_trial(points), goal)))
        .filter(|(_, steps)| !steps.is_empty())
        .collect();
    let extent = spans(lines.iter().flat_map(|(_, steps)| steps.iter()));
    line_chart(title, "trial", metric, goal, extent, |frame| {
        Plot::Versus(frame, lines)
    })
}

/// Draws each sweep's best so far in its palette colour.
pub(super) fn versus_series<'a, DB: DrawingBackend + 'a>(
    chart: &mut LinearChart<'a, DB>,
    lines: &[(String, Points)],
) -> Drawn<DB> {
    for (i, (label, steps)) in lines.iter().enumerate() {
        palette_line(chart, i, label.as_str(), steps)?;
    }
    Ok(())
}

/// The finite `(trial number, value)` points, in trial order.
fn by_trial(points: &[(usize, f64)]) -> Points {
    let mut dots = finite(points.iter().map(|&(n, v)| (n as f64, v)));
    dots.sort_by(|a, b| a.0.total_cmp(&b.0));
    dots
}

/// The best-so-far line through `dots` (sorted by x): flat until a better value, then a step.
pub(super) fn best_so_far(dots: &[(f64, f64)], goal: Goal) -> Vec<(f64, f64)> {
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
