//! The per-trial chart: train and validation loss in one panel, validation R² in the other,
//! the best epoch marked in both.

use std::ops::Range;

use plotters::prelude::*;

use super::axis::{Points, curve_of, span};
use super::frame::{Frame, framed, legend_entry};
use super::style::{MUTED, PALETTE, TRIAL_POINTS, TRIAL_SIZE, centred_text, legend, no_data, tick};
use super::{Area, Chart, Drawn, Plot, TrialCurves};
use crate::metric::MetricName;

/// A [`trial`] chart's data.
pub(super) struct Trial {
    title: String,
    /// The epoch axis both panels share.
    epochs: Range<f64>,
    train: Points,
    val: Points,
    r2: Points,
    best_epoch: Option<usize>,
}

/// A named curve in its colour.
type Curve<'a> = (&'a str, RGBColor, &'a [(f64, f64)]);

/// Per trial: train and validation loss per epoch (left panel) and the validation R² per epoch
/// (right panel), the best epoch marked by a vertical line in both. Each curve is downsampled
/// to at most 60 points so a report with a chart per trial stays small.
pub fn trial_chart(trial: &TrialCurves) -> String {
    self::trial(trial).svg()
}

/// The prepared [`trial_chart`].
pub fn trial(trial: &TrialCurves) -> Chart {
    let curve = |metric: MetricName| curve_of(trial.epochs, &metric, TRIAL_POINTS);
    let train = curve(MetricName::TRAIN_LOSS);
    let val = curve(MetricName::VAL_LOSS);
    let r2 = curve(MetricName::VAL_R2);
    let title = format!("trial {}", trial.number);
    // Both panels share the epoch axis, so they line up by eye.
    let epochs = span(
        [&train, &val, &r2]
            .iter()
            .flat_map(|c| c.iter().map(|p| p.0)),
    );
    let Some(epochs) = epochs else {
        return no_data(TRIAL_SIZE, title);
    };
    let plot = Trial {
        title,
        epochs,
        train,
        val,
        r2,
        best_epoch: trial.best_epoch,
    };
    Chart::new(TRIAL_SIZE, Plot::Trial(plot))
}

impl Trial {
    /// Draws the loss panel left, the R² panel right.
    pub(super) fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Drawn<DB> {
        let (left, right) = root.split_horizontally(root.dim_in_pixel().0 / 2);
        let losses = [
            ("train", PALETTE[0], self.train.as_slice()),
            ("val", PALETTE[1], self.val.as_slice()),
        ];
        let loss_title = format!("{}: loss", self.title);
        self.panel(&left, &loss_title, &losses)?;
        let r2_title = format!("{}: val R²", self.title);
        self.panel(&right, &r2_title, &[("val R²", PALETTE[1], &self.r2)])
    }

    /// One panel: its curves, the best epoch, a legend when there are several.
    fn panel<DB: DrawingBackend>(
        &self,
        area: &Area<DB>,
        title: &str,
        curves: &[Curve],
    ) -> Drawn<DB> {
        let Some(y) = span(curves.iter().flat_map(|c| c.2.iter().map(|p| p.1))) else {
            return area.draw(&centred_text(area, &format!("{title}: no data")));
        };
        let epochs = self.epochs.clone();
        let mut chart = framed(area, &Frame::panel(title), epochs, y.clone(), &|v| tick(*v))?;
        let named = curves.len() > 1;
        for &(label, colour, points) in curves {
            let series = chart.draw_series(LineSeries::new(points.iter().copied(), colour))?;
            if named {
                legend_entry(series, label, colour);
            }
        }
        // plotters does not clip lines to the plot: a best epoch outside the curves is not drawn.
        let best = self.best_epoch;
        if let Some(best) = best.filter(|&b| self.epochs.contains(&(b as f64))) {
            let x = best as f64;
            let series = chart.draw_series(LineSeries::new([(x, y.start), (x, y.end)], MUTED))?;
            if named {
                legend_entry(series, format!("best: epoch {best}"), MUTED);
            }
        }
        if named {
            legend(&mut chart, SeriesLabelPosition::UpperRight, 9)?;
        }
        Ok(())
    }
}
