//! Where values go on an axis: the data prepared for drawing (finite points, curves reduced to
//! a few points), the extent an axis spans, linear and log scales, and the parallel
//! coordinates chart's per-parameter axes.

use std::ops::Range;

use super::ParamPoint;
use super::style::tick;
use crate::metric::{EpochMetrics, MetricName};

/// Points to draw, `(x, y)`.
pub(super) type Points = Vec<(f64, f64)>;

/// The points with both coordinates finite: NULL (NaN) epochs are gaps, not zeros.
pub(super) fn finite(points: impl Iterator<Item = (f64, f64)>) -> Points {
    points
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect()
}

/// `metric` per epoch of `epochs`, NaN epochs left out, reduced to `max` points.
pub(super) fn curve_of(epochs: &[EpochMetrics], metric: &MetricName, max: usize) -> Points {
    let points = finite(epochs.iter().map(|e| (e.epoch as f64, metric.value(e))));
    downsample(&points, max)
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

/// The range of the finite `values` with a margin; `None` without any. A single value still
/// gets a non-empty range, since plotters maps a range onto pixels.
pub(super) fn span(values: impl Iterator<Item = f64>) -> Option<Range<f64>> {
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

/// The [`span`] of the points' x and of their y; `None` unless both have one.
pub(super) fn spans<'p>(
    points: impl Iterator<Item = &'p (f64, f64)> + Clone,
) -> Option<(Range<f64>, Range<f64>)> {
    let x = span(points.clone().map(|p| p.0))?;
    let y = span(points.map(|p| p.1))?;
    Some((x, y))
}

/// How a numeric axis maps values.
#[derive(Clone, Copy)]
pub(super) enum Scale {
    Linear,
    Log10,
}

impl Scale {
    /// A value's position on the axis.
    pub(super) fn to_axis(self, v: f64) -> f64 {
        match self {
            Scale::Linear => v,
            Scale::Log10 => v.log10(),
        }
    }

    /// The value at an axis position (for tick labels).
    pub(super) fn value_of(self, v: f64) -> f64 {
        match self {
            Scale::Linear => v,
            Scale::Log10 => 10f64.powf(v),
        }
    }
}

/// One axis of the parallel coordinates chart, mapping a value to 0..1.
pub(super) struct Axis {
    /// What the axis shows: a parameter's or the metric's name.
    pub(super) name: String,
    kind: AxisKind,
}

enum AxisKind {
    /// Scaled to the values' own range; `lo..hi` on the axis scale.
    Numeric { scale: Scale, lo: f64, hi: f64 },
    /// Evenly spaced, in [`categories`] order.
    Categories(Vec<String>),
}

impl Axis {
    /// The axis for `values`: numeric when they all are numbers, else one slot per category.
    pub(super) fn new<'p>(
        name: &str,
        values: impl Iterator<Item = &'p ParamPoint> + Clone,
    ) -> Axis {
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
    pub(super) fn position(&self, p: &ParamPoint) -> f64 {
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
    pub(super) fn value_at(&self, f: f64) -> f64 {
        match &self.kind {
            AxisKind::Numeric { scale, lo, hi } => scale.value_of(lo + f * (hi - lo)),
            AxisKind::Categories(_) => f64::NAN,
        }
    }

    /// Labels along the axis: the ends of a numeric one, every category of a categorical one.
    pub(super) fn ticks(&self) -> Vec<(f64, String)> {
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
pub(super) fn categories<'p>(values: impl Iterator<Item = &'p ParamPoint>) -> Vec<String> {
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
