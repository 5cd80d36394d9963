//! What trials are measured by: metric names and which way they improve, one epoch's
//! metrics, and the statistics that score predictions against the truth.
//!
//! A leaf: the trainer produces these values, the store persists them and the views show
//! them, so they live below all three.

mod agreement;
mod scores;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use agreement::Agreement;
pub use scores::{Evaluation, Scores};

/// A metric a sweep can rank by: a name a trial reports at each step (epoch).
///
/// Open: the built-in model reports the five of [`MetricName::BUILT_IN`], and a program trial
/// any name it logs (`val_acc`, `epoch/val_loss`). The five are constants, so code that means
/// one of them names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MetricName(Cow<'static, str>);

impl MetricName {
    /// Validation R².
    pub const VAL_R2: MetricName = MetricName(Cow::Borrowed("val_r2"));
    /// Validation MSE.
    pub const VAL_LOSS: MetricName = MetricName(Cow::Borrowed("val_loss"));
    /// Validation Pearson r.
    pub const VAL_PEARSON: MetricName = MetricName(Cow::Borrowed("val_pearson"));
    /// Validation Spearman ρ.
    pub const VAL_SPEARMAN: MetricName = MetricName(Cow::Borrowed("val_spearman"));
    /// Training loss.
    pub const TRAIN_LOSS: MetricName = MetricName(Cow::Borrowed("train_loss"));

    /// The metrics the built-in model reports, in the order messages list them.
    pub const BUILT_IN: [MetricName; 5] = [
        MetricName::VAL_R2,
        MetricName::VAL_LOSS,
        MetricName::VAL_PEARSON,
        MetricName::VAL_SPEARMAN,
        MetricName::TRAIN_LOSS,
    ];

    /// A metric of any name a trial may report: not empty, at most 200 characters, no
    /// control characters (names reach tables, charts and file names).
    pub fn new(name: impl Into<String>) -> Result<MetricName, String> {
        let name = name.into();
        if let Some(known) = MetricName::BUILT_IN.iter().find(|m| m.as_str() == name) {
            return Ok(known.clone());
        }
        if name.trim().is_empty() {
            return Err("a metric name may not be empty".into());
        }
        if name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(format!(
                "`{}` is not a metric name: at most 200 characters, no control characters",
                name.escape_debug()
            ));
        }
        Ok(MetricName(Cow::Owned(name)))
    }

    /// The name the sweep file, the trial and the store use.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the built-in model reports it.
    pub fn is_built_in(&self) -> bool {
        MetricName::BUILT_IN.contains(self)
    }

    /// This metric's value in an epoch (NaN when the epoch has none).
    pub fn value(&self, m: &EpochMetrics) -> f64 {
        m.value(self.as_str()).unwrap_or(f64::NAN)
    }

    /// The goal when the file names none: the built-in model's losses are minimized and its
    /// correlations maximized; any other name is minimized, as W&B does.
    pub fn default_goal(&self) -> Goal {
        match self.as_str() {
            "val_r2" | "val_pearson" | "val_spearman" => Goal::Maximize,
            _ => Goal::Minimize,
        }
    }
}

impl FromStr for MetricName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MetricName::new(s)
    }
}

impl TryFrom<String> for MetricName {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        MetricName::new(s)
    }
}

impl From<MetricName> for String {
    fn from(m: MetricName) -> String {
        m.0.into_owned()
    }
}

impl fmt::Display for MetricName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The built-in model's metric names, comma-separated (for messages).
pub fn built_in_names() -> String {
    MetricName::BUILT_IN
        .map(|m| m.as_str().to_owned())
        .join(", ")
}

/// Which way a metric improves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// Larger is better.
    Maximize,
    /// Smaller is better.
    Minimize,
}

impl Goal {
    /// The name the sweep file uses.
    pub fn as_str(&self) -> &'static str {
        match self {
            Goal::Maximize => "maximize",
            Goal::Minimize => "minimize",
        }
    }

    /// The goal a stored name stands for.
    pub fn parse(name: &str) -> Option<Goal> {
        [Goal::Maximize, Goal::Minimize]
            .into_iter()
            .find(|g| g.as_str() == name)
    }

    /// Whether `a` is strictly better than `b`. NaN is worse than any number (so a
    /// running best may start at NaN) and never better than anything.
    pub fn better(&self, a: f64, b: f64) -> bool {
        match (a.is_nan(), b.is_nan()) {
            (true, _) => false,
            (false, true) => true,
            _ => match self {
                Goal::Maximize => a > b,
                Goal::Minimize => a < b,
            },
        }
    }
}

impl fmt::Display for Goal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finished epoch, as recorded in `metrics.csv` (and later the store).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean training loss (MSE on standardized expression, with dropout active).
    pub train_loss: f64,
    /// Validation MSE on standardized expression.
    pub val_loss: f64,
    /// Validation R².
    pub val_r2: f64,
    /// Validation Pearson r.
    pub val_pearson: f64,
    /// Validation Spearman ρ.
    pub val_spearman: f64,
    /// Learning rate used during the epoch.
    pub learning_rate: f64,
    /// Wall time of the epoch (training and validation), seconds.
    pub seconds: f64,
    /// Training throughput: training sequences / training seconds.
    pub samples_per_s: f64,
    /// Every other metric reported at this step, by name (a program trial's own names; the
    /// built-in model reports none). Left out of files when empty, so checkpoints and
    /// `metrics.csv` of the built-in model are as before.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, f64>,
}

impl EpochMetrics {
    /// The names of the fixed fields, in the store's column order.
    pub const FIELDS: [&'static str; 8] = [
        "train_loss",
        "val_loss",
        "val_r2",
        "val_pearson",
        "val_spearman",
        "learning_rate",
        "seconds",
        "samples_per_s",
    ];

    /// An epoch with every metric missing (NaN), for a trial that reports its own.
    pub fn empty(epoch: usize) -> EpochMetrics {
        EpochMetrics {
            epoch,
            train_loss: f64::NAN,
            val_loss: f64::NAN,
            val_r2: f64::NAN,
            val_pearson: f64::NAN,
            val_spearman: f64::NAN,
            learning_rate: f64::NAN,
            seconds: f64::NAN,
            samples_per_s: f64::NAN,
            extra: BTreeMap::new(),
        }
    }

    /// The fixed field named `name`, if it is one.
    fn field_mut(&mut self, name: &str) -> Option<&mut f64> {
        Some(match name {
            "train_loss" => &mut self.train_loss,
            "val_loss" => &mut self.val_loss,
            "val_r2" => &mut self.val_r2,
            "val_pearson" => &mut self.val_pearson,
            "val_spearman" => &mut self.val_spearman,
            "learning_rate" => &mut self.learning_rate,
            "seconds" => &mut self.seconds,
            "samples_per_s" => &mut self.samples_per_s,
            _ => return None,
        })
    }

    /// The value of metric `name` at this epoch: a fixed field or one of `extra`; `None`
    /// when it was not reported (a fixed field holding NaN counts as not reported).
    pub fn value(&self, name: &str) -> Option<f64> {
        let fixed = match name {
            "train_loss" => self.train_loss,
            "val_loss" => self.val_loss,
            "val_r2" => self.val_r2,
            "val_pearson" => self.val_pearson,
            "val_spearman" => self.val_spearman,
            "learning_rate" => self.learning_rate,
            "seconds" => self.seconds,
            "samples_per_s" => self.samples_per_s,
            _ => return self.extra.get(name).copied(),
        };
        (!fixed.is_nan()).then_some(fixed)
    }

    /// Set metric `name`: the fixed field of that name, else an `extra` entry.
    pub fn set(&mut self, name: &str, value: f64) {
        match self.field_mut(name) {
            Some(field) => *field = value,
            None => {
                self.extra.insert(name.to_owned(), value);
            }
        }
    }

    /// Add `other`'s metrics to this epoch's, over any of the same name (a step a program
    /// reports in several lines).
    pub fn merge(&mut self, other: &EpochMetrics) {
        for name in other.names() {
            if let Some(value) = other.value(name) {
                self.set(name, value);
            }
        }
    }

    /// The names of the metrics this epoch holds (fixed fields that are not NaN, then
    /// `extra`).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        EpochMetrics::FIELDS
            .into_iter()
            .filter(|name| self.value(name).is_some())
            .chain(self.extra.keys().map(String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_and_goals() {
        let m = EpochMetrics {
            epoch: 1,
            train_loss: 0.9,
            val_loss: 0.8,
            val_r2: 0.5,
            val_pearson: 0.7,
            val_spearman: 0.6,
            learning_rate: 0.001,
            seconds: 1.0,
            samples_per_s: 1.0,
            extra: [("val_acc".to_owned(), 0.25)].into(),
        };
        let got: Vec<f64> = MetricName::BUILT_IN.iter().map(|n| n.value(&m)).collect();
        assert_eq!(got, vec![0.5, 0.8, 0.7, 0.6, 0.9]);
        for name in MetricName::BUILT_IN {
            assert_eq!(name.as_str().parse::<MetricName>(), Ok(name));
        }
        let acc: MetricName = "val_acc".parse().unwrap();
        assert!(!acc.is_built_in() && acc.value(&m) == 0.25);
        assert_eq!(acc.default_goal(), Goal::Minimize);
        assert!(MetricName::new("").is_err() && MetricName::new("a\nb").is_err());
        assert!(MetricName::new("val_r2").unwrap().is_built_in());
        assert!(MetricName::new("epoch/val_loss").is_ok());
        assert_eq!(m.names().collect::<Vec<_>>().len(), 9);
        assert!(Goal::Maximize.better(0.6, 0.5) && !Goal::Maximize.better(0.5, 0.5));
        assert!(Goal::Minimize.better(0.4, 0.5) && !Goal::Minimize.better(0.6, 0.5));
        assert!(Goal::Minimize.better(1.0, f64::NAN) && !Goal::Maximize.better(f64::NAN, 0.0));
        assert_eq!(Goal::Maximize.as_str(), "maximize");
    }
}
