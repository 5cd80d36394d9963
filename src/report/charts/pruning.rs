//! The pruning chart: where early stopping (`early_terminate`) stopped trials.

use plotters::prelude::*;

use super::axis::{Points, curve_of, spans};
use super::frame::{LinearChart, line_chart, lines_named_once};
use super::style::{MUTED, PALETTE, TRIAL_POINTS};
use super::{Chart, Drawn, Plot, TrialCurves};
use crate::metric::MetricName;

/// A [`pruning`] chart's curves and marks.
pub(super) struct Pruned {
    /// The curves of the trials that trained on.
    kept: Vec<Points>,
    /// The curves of the pruned trials.
    pruned: Vec<Points>,
    /// Where each pruned trial stopped.
    stops: Points,
    /// The rung epochs.
    rungs: Vec<f64>,
}

/// Where early stopping happened: `metric` against epochs for every trial (those that trained
/// on in colour, pruned ones in grey), a cross where each pruned trial stopped, and the rung
/// epochs as vertical lines. `trials` pairs each trial's curves with the rung where it was
/// pruned, if it was.
pub fn pruning(
    trials: &[(TrialCurves, Option<usize>)],
    rungs: &[usize],
    metric: &MetricName,
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
    let extent = spans(kept.iter().chain(&pruned).flatten());
    let rungs = rungs.iter().map(|&r| r as f64).collect();
    let plot = Pruned {
        kept,
        pruned,
        stops,
        rungs,
    };
    let goal = metric.default_goal();
    line_chart(title, "epoch", metric, goal, extent, |frame| {
        Plot::Pruning(frame, plot)
    })
}

impl Pruned {
    /// Draws the rung lines first, grey pruned curves under coloured kept ones, the stop crosses
    /// on top; `(low, high)` is the y extent the rung lines span.
    pub(super) fn series<'a, DB: DrawingBackend + 'a>(
        &self,
        chart: &mut LinearChart<'a, DB>,
        (low, high): (f64, f64),
    ) -> Drawn<DB> {
        let rung_colour = PALETTE[1];
        let rung_lines = self.rungs.iter().map(|&r| [(r, low), (r, high)]);
        let rung_style = rung_colour.mix(0.6).stroke_width(1);
        lines_named_once(chart, rung_lines, rung_style, "rung", rung_colour)?;
        let grey = MUTED.mix(0.6).into();
        lines_named_once(chart, &self.pruned, grey, "pruned", MUTED)?;
        let kept = PALETTE[0];
        let kept_style = kept.stroke_width(2);
        lines_named_once(chart, &self.kept, kept_style, "trained on", kept)?;
        let stop_colour = PALETTE[2];
        if !self.stops.is_empty() {
            chart
                .draw_series(
                    self.stops
                        .iter()
                        .map(|&p| Cross::new(p, 4, stop_colour.stroke_width(2))),
                )?
                .label("pruned here")
                .legend(move |(x, y)| Cross::new((x + 7, y), 4, stop_colour.stroke_width(2)));
        }
        Ok(())
    }
}
