//! The overlay chart: a few trials' curves of one metric on the same axes (the report's top K,
//! `sweep compare`).

use plotters::prelude::*;

use super::axis::{Points, curve_of, spans};
use super::frame::{LinearChart, line_chart, palette_line};
use super::style::OVERLAY_POINTS;
use super::{Chart, Drawn, Plot, TrialCurves};
use crate::metric::MetricName;

/// A trial's curve in an overlay: its number, its best epoch's point, the curve.
pub(super) type TrialLine = (usize, Option<(f64, f64)>, Points);

/// The given trials (the top K) overlaid: `metric` per epoch, one colour per trial, a legend
/// "trial N", a dot at each trial's best epoch.
pub fn overlay_chart(trials: &[TrialCurves], metric: &MetricName, title: &str) -> String {
    overlay(trials, metric, title).svg()
}

/// The prepared [`overlay_chart`].
pub fn overlay(trials: &[TrialCurves], metric: &MetricName, title: &str) -> Chart {
    let curves: Vec<TrialLine> = trials
        .iter()
        .map(|t| {
            let points = curve_of(t.epochs, metric, OVERLAY_POINTS);
            (t.number, best_point(t, metric), points)
        })
        .filter(|(_, _, points)| !points.is_empty())
        .collect();
    let extent = spans(curves.iter().flat_map(|c| &c.2));
    let goal = metric.default_goal();
    line_chart(title.to_string(), "epoch", metric, goal, extent, |frame| {
        Plot::Overlay(frame, curves)
    })
}

/// Draws the curves, each in its palette colour with its best epoch as a dot.
pub(super) fn series<'a, DB: DrawingBackend + 'a>(
    chart: &mut LinearChart<'a, DB>,
    curves: &[TrialLine],
) -> Drawn<DB> {
    for (i, (number, best, points)) in curves.iter().enumerate() {
        let colour = palette_line(chart, i, format!("trial {number}"), points)?;
        chart.draw_series(best.map(|p| Circle::new(p, 3, colour.filled())))?;
    }
    Ok(())
}

/// The trial's best epoch on `metric`'s curve, when that epoch has a value.
fn best_point(trial: &TrialCurves, metric: &MetricName) -> Option<(f64, f64)> {
    let best = trial.best_epoch?;
    let epoch = trial.epochs.iter().find(|e| e.epoch == best)?;
    let v = metric.value(epoch);
    v.is_finite().then_some((best as f64, v))
}
