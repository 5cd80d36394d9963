//! Scores of predictions against measured expression: what `sweep evaluate` reports and the
//! run database records for a sweep's test file.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Agreement;

/// How well the predictions of one group of rows match their measured expression.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Scores {
    /// Pearson's r; 0 when either column is constant (a group of one row, say).
    pub pearson_r: f64,
    /// Pearson's r squared: the r² the DREAM challenge scored.
    pub pearson_r2: f64,
    /// The coefficient of determination, 1 - SSE/SST (negative when the predictions do worse
    /// than the mean); NaN when the measured expression is constant.
    pub r2: f64,
    /// Spearman's ρ (ties share their average rank); 0 when either column is constant.
    pub spearman: f64,
    /// Mean squared error, in the files' units.
    pub mse: f64,
    /// Rows in the group.
    pub n: usize,
}

impl Scores {
    /// The scores of `predicted` against `measured`; both must have the same, non-zero length.
    pub fn of(predicted: &[f64], measured: &[f64]) -> Scores {
        let agreement = Agreement::between_f64(predicted, measured);
        Scores {
            pearson_r: agreement.pearson,
            pearson_r2: agreement.pearson_r2(),
            // 1 - SSE/0 is -inf or NaN; both mean "undefined", and NaN says so.
            r2: if agreement.r2.is_finite() {
                agreement.r2
            } else {
                f64::NAN
            },
            spearman: agreement.spearman,
            mse: agreement.mse,
            n: measured.len(),
        }
    }
}

/// The scores over all rows and over each subset the truth file names (rows without a subset
/// name count only in `all`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// Every row.
    pub all: Scores,
    /// Each named subset, sorted by name; empty when the truth file has no third column.
    pub subsets: BTreeMap<String, Scores>,
}
