//! What trials are measured by: metric names and which way they improve, one epoch's
//! metrics, and the statistics that score predictions against the truth.
//!
//! A leaf: the trainer produces these values, the store persists them and the views show
//! them, so they live below all three.

mod agreement;
mod scores;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use agreement::Agreement;
pub use scores::{Evaluation, Scores};

/// An epoch metric a sweep can rank by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetricName {
    /// Validation R².
    #[serde(rename = "val_r2")]
    ValR2,
    /// Validation MSE.
    #[serde(rename = "val_loss")]
    ValLoss,
    /// Validation Pearson r.
    #[serde(rename = "val_pearson")]
    ValPearson,
    /// Validation Spearman ρ.
    #[serde(rename = "val_spearman")]
    ValSpearman,
    /// Training loss.
    #[serde(rename = "train_loss")]
    TrainLoss,
}

impl MetricName {
    /// Every metric, in the order messages list them.
    pub const ALL: [MetricName; 5] = [
        MetricName::ValR2,
        MetricName::ValLoss,
        MetricName::ValPearson,
        MetricName::ValSpearman,
        MetricName::TrainLoss,
    ];

    /// The name the sweep file and [`EpochMetrics`] use.
    pub fn as_str(&self) -> &'static str {
        match self {
            MetricName::ValR2 => "val_r2",
            MetricName::ValLoss => "val_loss",
            MetricName::ValPearson => "val_pearson",
            MetricName::ValSpearman => "val_spearman",
            MetricName::TrainLoss => "train_loss",
        }
    }

    /// This metric's value in an epoch.
    pub fn value(&self, m: &EpochMetrics) -> f64 {
        match self {
            MetricName::ValR2 => m.val_r2,
            MetricName::ValLoss => m.val_loss,
            MetricName::ValPearson => m.val_pearson,
            MetricName::ValSpearman => m.val_spearman,
            MetricName::TrainLoss => m.train_loss,
        }
    }

    /// The goal when the file names none: maximize correlations, minimize losses.
    pub fn default_goal(&self) -> Goal {
        match self {
            MetricName::ValLoss | MetricName::TrainLoss => Goal::Minimize,
            _ => Goal::Maximize,
        }
    }
}

impl FromStr for MetricName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MetricName::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| format!("unknown metric `{s}`; known metrics: {}", metric_names()))
    }
}

impl fmt::Display for MetricName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The known metric names, comma-separated.
fn metric_names() -> String {
    MetricName::ALL.map(|m| m.as_str()).join(", ")
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
        };
        let got: Vec<f64> = MetricName::ALL.iter().map(|n| n.value(&m)).collect();
        assert_eq!(got, vec![0.5, 0.8, 0.7, 0.6, 0.9]);
        for name in MetricName::ALL {
            assert_eq!(name.as_str().parse::<MetricName>(), Ok(name));
        }
        assert!("val_acc".parse::<MetricName>().is_err());
        assert!(Goal::Maximize.better(0.6, 0.5) && !Goal::Maximize.better(0.5, 0.5));
        assert!(Goal::Minimize.better(0.4, 0.5) && !Goal::Minimize.better(0.6, 0.5));
        assert!(Goal::Minimize.better(1.0, f64::NAN) && !Goal::Maximize.better(f64::NAN, 0.0));
        assert_eq!(Goal::Maximize.as_str(), "maximize");
    }
}
