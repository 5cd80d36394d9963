//! Validation metrics: MSE, R², Pearson r and Spearman ρ of predictions against truth.
//!
//! Written here rather than taken from a statistics crate: the few candidates either lack
//! Spearman's ρ with average ranks for ties or pull in a linear-algebra stack for four sums.
//! All sums run in f64 (over f32 model outputs or f64 values read from files), in index
//! order, so results are bit-reproducible.

use serde::{Deserialize, Serialize};

/// How well predictions match the truth (both in standardized units).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Mean squared error.
    pub mse: f64,
    /// Coefficient of determination, 1 - SSE/SST (can be negative).
    pub r2: f64,
    /// Pearson correlation coefficient.
    pub pearson: f64,
    /// Spearman rank correlation (average ranks for ties).
    pub spearman: f64,
}

impl Agreement {
    /// Compare `predicted` with `truth` (model outputs, single precision); both must have the
    /// same, non-zero length.
    pub fn between(predicted: &[f32], truth: &[f32]) -> Agreement {
        // Widening is exact and keeps every order and tie, so this is the f64 computation.
        Agreement::between_f64(&widen(predicted), &widen(truth))
    }

    /// Compare `predicted` with `truth` at full precision (values read from files, as
    /// `sweep evaluate` does); both must have the same, non-zero length.
    pub fn between_f64(predicted: &[f64], truth: &[f64]) -> Agreement {
        assert_eq!(
            predicted.len(),
            truth.len(),
            "one prediction per truth value"
        );
        let n = truth.len() as f64;
        let mean_truth = truth.iter().sum::<f64>() / n;
        let sse: f64 = predicted
            .iter()
            .zip(truth)
            .map(|(&p, &y)| (p - y).powi(2))
            .sum();
        let sst: f64 = truth.iter().map(|&y| (y - mean_truth).powi(2)).sum();
        Agreement {
            mse: sse / n,
            r2: 1.0 - sse / sst,
            pearson: pearson(predicted, truth),
            spearman: pearson(&ranks(predicted), &ranks(truth)),
        }
    }

    /// Pearson's r squared: the "r²" the DREAM challenge scores, which is not [`Agreement::r2`]
    /// (1 - SSE/SST) unless the predictions are calibrated.
    pub fn pearson_r2(&self) -> f64 {
        self.pearson * self.pearson
    }
}

/// The same values in f64.
fn widen(values: &[f32]) -> Vec<f64> {
    values.iter().map(|&v| f64::from(v)).collect()
}

/// Pearson's r; 0 when either side is constant (no linear relation can be measured).
fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean_x = x.iter().sum::<f64>() / n;
    let mean_y = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        let (da, db) = (a - mean_x, b - mean_y);
        sxy += da * db;
        sxx += da * da;
        syy += db * db;
    }
    if sxx == 0.0 || syy == 0.0 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

/// 1-based ranks, ties sharing their average rank.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let average = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = average;
        }
        start = end;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_prediction() {
        let y = [1.0, 2.0, 3.0, 4.0];
        let a = Agreement::between(&y, &y);
        assert_eq!((a.mse, a.r2, a.pearson, a.spearman), (0.0, 1.0, 1.0, 1.0));
    }

    #[test]
    fn known_values() {
        let truth = [1.0, 2.0, 3.0, 4.0];
        let predicted = [2.0, 2.0, 3.0, 5.0];
        let a = Agreement::between(&predicted, &truth);
        assert!((a.mse - 0.5).abs() < 1e-12);
        // SST = 5, SSE = 2
        assert!((a.r2 - 0.6).abs() < 1e-12);
        // ranks of predicted: 1.5, 1.5, 3, 4
        let expected_spearman = pearson(&[1.5, 1.5, 3.0, 4.0], &[1.0, 2.0, 3.0, 4.0]);
        assert!((a.spearman - expected_spearman).abs() < 1e-12);
        // sxy = 5, sxx = 6, syy = 5
        assert!((a.pearson - 5.0 / 30f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn ties_share_average_rank() {
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn pearson_r2_is_the_square_of_pearson_not_r2() {
        let a = Agreement::between(&[2.0, 2.0, 3.0, 5.0], &[1.0, 2.0, 3.0, 4.0]);
        assert!((a.pearson_r2() - 25.0 / 30.0).abs() < 1e-12);
        assert!((a.r2 - 0.6).abs() < 1e-12);
    }

    #[test]
    fn f64_inputs_keep_differences_f32_would_lose() {
        // 1 + 1e-9 rounds to 1 in f32: the truth would look constant.
        let truth = [1.0, 1.0 + 1e-9, 1.0 + 2e-9];
        let a = Agreement::between_f64(&truth, &truth);
        assert!(a.pearson > 1.0 - 1e-9 && a.spearman == 1.0);
    }

    #[test]
    fn constant_prediction_has_zero_correlation() {
        let a = Agreement::between(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]);
        assert_eq!(a.pearson, 0.0);
        assert!(a.r2 < 0.0);
    }
}
