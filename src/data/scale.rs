//! Standardizing expression values.

use serde::{Deserialize, Serialize};

/// Standardizes expression values: `z = (y - mean) / std`.
///
/// Fitted once per data set on *all* kept rows (train and validation together), as the
/// challenge reference did, and saved in the cache header so that every trial of every
/// sweep on that data uses the same one. `std` is the population standard deviation
/// (ddof 0), like scikit-learn's `StandardScaler`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    /// Mean of the fitted values.
    pub mean: f64,
    /// Population standard deviation of the fitted values (1 when they are constant).
    pub std: f64,
}

impl Scaler {
    /// Fit on `values`. Sums run in `f64` over two passes, so 6.7 M values lose no
    /// precision. An empty or constant input gets `std = 1` (as `StandardScaler` does for
    /// a zero-variance feature) so that scaling never divides by zero.
    pub fn fit(values: &[f32]) -> Scaler {
        if values.is_empty() {
            return Scaler::identity();
        }
        let n = values.len() as f64;
        let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let var = values
            .iter()
            .map(|&v| {
                let d = f64::from(v) - mean;
                d * d
            })
            .sum::<f64>()
            / n;
        let std = var.sqrt();
        Scaler {
            mean,
            std: if std > 0.0 && std.is_finite() {
                std
            } else {
                1.0
            },
        }
    }

    /// The scaler that changes nothing.
    pub fn identity() -> Scaler {
        Scaler {
            mean: 0.0,
            std: 1.0,
        }
    }

    /// Raw expression -> standardized value.
    #[inline]
    pub fn scale(&self, y: f32) -> f32 {
        ((f64::from(y) - self.mean) / self.std) as f32
    }

    /// Standardized value (e.g. a prediction) -> raw expression units.
    #[inline]
    pub fn unscale(&self, z: f32) -> f32 {
        (f64::from(z) * self.std + self.mean) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn population_std_like_standard_scaler() {
        // mean 5, population variance 4 (sample variance would be 32/7).
        let s = Scaler::fit(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(s.mean, 5.0);
        assert_eq!(s.std, 2.0);
        assert_eq!(s.scale(9.0), 2.0);
        assert_eq!(s.scale(3.0), -1.0);
        assert_eq!(s.unscale(-1.5), 2.0);
    }

    #[test]
    fn scale_and_unscale_round_trip() {
        let s = Scaler {
            mean: 11.1479,
            std: 2.35,
        };
        for y in [0.0f32, 3.3, 11.1479, 17.0] {
            assert!((s.unscale(s.scale(y)) - y).abs() < 1e-5, "{y}");
        }
    }

    #[test]
    fn scaled_values_have_zero_mean_unit_variance() {
        let values: Vec<f32> = (0..1000).map(|i| (i % 17) as f32 * 0.7 + 3.0).collect();
        let s = Scaler::fit(&values);
        let z: Vec<f64> = values.iter().map(|&v| f64::from(s.scale(v))).collect();
        let mean = z.iter().sum::<f64>() / z.len() as f64;
        let var = z.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / z.len() as f64;
        assert!(mean.abs() < 1e-6);
        assert!((var - 1.0).abs() < 1e-5);
    }

    #[test]
    fn constant_or_empty_input_does_not_divide_by_zero() {
        let s = Scaler::fit(&[12.0; 5]);
        assert_eq!(
            s,
            Scaler {
                mean: 12.0,
                std: 1.0
            }
        );
        assert_eq!(s.scale(12.0), 0.0);
        assert_eq!(Scaler::fit(&[]), Scaler::identity());
    }
}
