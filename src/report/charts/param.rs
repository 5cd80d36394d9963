//! The metric against one swept parameter: a scatter on a numeric axis (log for learning
//! rates) or on one labelled slot per category.

use std::ops::Range;

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use super::axis::{Points, Scale, categories, span, spans};
use super::frame::{Frame, framed};
use super::style::{CHART_SIZE, PALETTE, no_data, tick};
use super::{Area, Chart, Drawn, ParamPoint, Plot};
use crate::metric::MetricName;

/// A scatter's data: the axes' names, the x axis `X`, the y extent, and the points, their x
/// as `P` (a position on a numeric axis, a category's slot).
pub(super) struct Scatter<X, P> {
    title: String,
    param: String,
    metric: MetricName,
    x: X,
    y: Range<f64>,
    drawn: Vec<(P, f64)>,
}

/// A numeric x axis: its scale and extent (on the scale).
pub(super) struct Numeric {
    scale: Scale,
    extent: Range<f64>,
}

/// A scatter over a numeric parameter.
pub(super) type NumericScatter = Scatter<Numeric, f64>;
/// A scatter over a categorical parameter: the categories in axis order, each point's slot.
pub(super) type CategoricalScatter = Scatter<Vec<String>, i32>;

/// The metric against one swept parameter: a scatter; a log x axis when `log_x` (the caller
/// passes true for learning_rate) and every value is positive; labels on the x axis for
/// categorical values.
pub fn param_chart(
    param: &str,
    points: &[(ParamPoint, f64)],
    metric: &MetricName,
    log_x: bool,
) -> String {
    self::param(param, points, metric, log_x).svg()
}

/// The prepared [`param_chart`].
pub fn param(param: &str, points: &[(ParamPoint, f64)], metric: &MetricName, log_x: bool) -> Chart {
    let title = format!("{} by {param}", metric.as_str());
    let usable: Vec<(&ParamPoint, f64)> = points
        .iter()
        .filter(|(p, v)| v.is_finite() && p.is_drawable())
        .map(|(p, v)| (p, *v))
        .collect();
    let numbers: Option<Points> = usable
        .iter()
        .map(|(p, v)| match p {
            ParamPoint::Number(x) => Some((*x, *v)),
            ParamPoint::Label(_) => None,
        })
        .collect();
    let scatter = match numbers {
        _ if usable.is_empty() => None,
        Some(numbers) => numeric(&title, param, &numbers, metric, log_x).map(Plot::Numeric),
        None => categorical(&title, param, &usable, metric).map(Plot::Categorical),
    };
    match scatter {
        Some(plot) => Chart::new(CHART_SIZE, plot),
        None => no_data(CHART_SIZE, title),
    }
}

/// A scatter over a numeric parameter; on a log axis the values are drawn as log10 and the
/// ticks labelled with the values themselves.
fn numeric(
    title: &str,
    param: &str,
    points: &[(f64, f64)],
    metric: &MetricName,
    log_x: bool,
) -> Option<NumericScatter> {
    // A log axis cannot show zero or negative values: fall back rather than drop trials.
    let scale = if log_x && points.iter().all(|p| p.0 > 0.0) {
        Scale::Log10
    } else {
        Scale::Linear
    };
    let drawn: Points = points.iter().map(|&(x, y)| (scale.to_axis(x), y)).collect();
    let (extent, y) = spans(drawn.iter())?;
    let x = Numeric { scale, extent };
    Some(Scatter::new(title, param, metric, x, y, drawn))
}

/// A scatter over a categorical parameter: one labelled slot per category.
fn categorical(
    title: &str,
    param: &str,
    points: &[(&ParamPoint, f64)],
    metric: &MetricName,
) -> Option<CategoricalScatter> {
    let categories = categories(points.iter().map(|(p, _)| *p));
    let y = span(points.iter().map(|p| p.1))?;
    let drawn: Vec<(i32, f64)> = points
        .iter()
        .filter_map(|(p, v)| {
            let i = categories.iter().position(|c| *c == p.label())?;
            Some((i as i32, *v))
        })
        .collect();
    Some(Scatter::new(title, param, metric, categories, y, drawn))
}

impl<X, P> Scatter<X, P> {
    fn new(
        title: &str,
        param: &str,
        metric: &MetricName,
        x: X,
        y: Range<f64>,
        drawn: Vec<(P, f64)>,
    ) -> Scatter<X, P> {
        Scatter {
            title: title.to_string(),
            param: param.to_string(),
            metric: metric.clone(),
            x,
            y,
            drawn,
        }
    }

    /// The frame, with `x_labels` ticks on the parameter's axis.
    fn frame(&self, x_labels: usize) -> Frame<'_> {
        Frame::scatter(&self.title, &self.param, self.metric.as_str(), x_labels)
    }
}

/// A scatter's dot.
fn dot<C>(at: C) -> Circle<C, i32> {
    Circle::new(at, 3, PALETTE[0].mix(0.7).filled())
}

impl NumericScatter {
    /// Draws the frame, its x ticks labelled with the values (not their logarithms), the dots.
    pub(super) fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Drawn<DB> {
        let Numeric { scale, extent } = &self.x;
        let label = |v: &f64| tick(scale.value_of(*v));
        let mut chart = framed(root, &self.frame(6), extent.clone(), self.y.clone(), &label)?;
        chart.draw_series(self.drawn.iter().map(|&p| dot(p)))?;
        Ok(())
    }
}

impl CategoricalScatter {
    /// Draws the frame with a slot per category, named on the x axis, then the dots.
    pub(super) fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Drawn<DB> {
        let categories = &self.x;
        let slots = categories.len() as i32;
        let label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => usize::try_from(*i)
                .ok()
                .and_then(|i| categories.get(i))
                .cloned()
                .unwrap_or_default(),
            _ => String::new(),
        };
        let x = (0..slots - 1).into_segmented();
        let frame = self.frame(categories.len() + 1);
        let mut chart = framed(root, &frame, x, self.y.clone(), &label)?;
        let dots = self.drawn.iter();
        chart.draw_series(dots.map(|&(i, v)| dot((SegmentValue::CenterOf(i), v))))?;
        Ok(())
    }
}
