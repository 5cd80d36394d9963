//! Deterministic train/validation split.
//!
//! The split must be identical for every trial of a sweep, across worker processes,
//! machines and future builds of `sweep` (a sweep resumed after an upgrade must not
//! see different validation rows). `rand`'s `StdRng` does not promise a stable stream
//! across `rand` releases, so the split uses its own fixed generator (SplitMix64) and
//! its own bounded sampling (the crate's `seeds` module); both are pinned by a test.

use crate::seeds::SplitMix64;

/// Deterministic train/validation split of row indices: a pure function of
/// `(rows, val_fraction, seed)`. Both lists are sorted ascending, disjoint, and together
/// cover `0..rows` (the trainer shuffles per epoch; sorted order reads the memory-mapped
/// cache front to back when evaluating).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// Training rows.
    pub train: Vec<u32>,
    /// Validation rows.
    pub validation: Vec<u32>,
}

/// Number of validation rows for `rows` and `val_fraction`: `round(rows*val_fraction)`,
/// at least 1 when `val_fraction > 0` and `rows >= 2`, and leaving at least one training
/// row when `rows >= 2`. A fraction that is NaN or not above 0 gives none; one of 1 or
/// more gives all rows but one.
pub fn validation_size(rows: usize, val_fraction: f64) -> usize {
    if rows == 0 || val_fraction.is_nan() || val_fraction <= 0.0 {
        return 0;
    }
    let wanted = (rows as f64 * val_fraction.min(1.0)).round() as usize;
    if rows < 2 {
        return wanted.min(rows);
    }
    wanted.clamp(1, rows - 1)
}

/// Deterministic train/validation split of row indices: a pure function of
/// `(rows, val_fraction, seed)`. Validation gets `round(rows*val_fraction)` rows (at
/// least 1 when `val_fraction > 0` and `rows >= 2`; see [`validation_size`]).
///
/// # Panics
/// If `rows` exceeds `u32::MAX` (row indices are `u32`; the cache refuses such files).
pub fn split(rows: usize, val_fraction: f64, seed: u64) -> Split {
    assert!(
        u32::try_from(rows).is_ok(),
        "split: {rows} rows do not fit u32 row indices"
    );
    let n_val = validation_size(rows, val_fraction);
    // A partial Fisher-Yates shuffle: after i steps, idx[..i] is a uniform random
    // i-subset. Only n_val steps are needed.
    let mut idx: Vec<u32> = (0..rows as u32).collect();
    let mut rng = SplitMix64(seed);
    for i in 0..n_val {
        let j = i + rng.below((rows - i) as u64) as usize;
        idx.swap(i, j);
    }
    let mut validation = idx[..n_val].to_vec();
    validation.sort_unstable();
    // Train = the complement, built by a mask in O(rows) rather than by sorting.
    let mut in_validation = vec![false; rows];
    for &v in &validation {
        in_validation[v as usize] = true;
    }
    let train = (0..rows as u32)
        .filter(|&r| !in_validation[r as usize])
        .collect();
    Split { train, validation }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_round_and_clamp() {
        assert_eq!(validation_size(1000, 0.1), 100);
        assert_eq!(validation_size(1005, 0.1), 101); // 100.5 rounds half away from zero
        assert_eq!(validation_size(5, 0.01), 1); // at least one
        assert_eq!(validation_size(2, 0.01), 1);
        assert_eq!(validation_size(1, 0.5), 1); // round(0.5) = 1; no train row possible
        assert_eq!(validation_size(1, 0.4), 0);
        assert_eq!(validation_size(10, 1.0), 9); // keep one training row
        assert_eq!(validation_size(10, 0.0), 0);
        assert_eq!(validation_size(10, -0.2), 0);
        assert_eq!(validation_size(10, f64::NAN), 0);
        assert_eq!(validation_size(0, 0.5), 0);
    }

    #[test]
    fn split_is_deterministic_disjoint_and_covering() {
        let a = split(10_000, 0.1, 20220101);
        let b = split(10_000, 0.1, 20220101);
        assert_eq!(a, b);
        assert_eq!(a.validation.len(), 1000);
        assert_eq!(a.train.len(), 9000);
        assert!(a.train.windows(2).all(|w| w[0] < w[1]));
        assert!(a.validation.windows(2).all(|w| w[0] < w[1]));
        let mut all: Vec<u32> = a.train.iter().chain(&a.validation).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..10_000).collect::<Vec<u32>>());
    }

    #[test]
    fn different_seeds_give_different_splits() {
        let a = split(1000, 0.2, 1);
        let b = split(1000, 0.2, 2);
        assert_ne!(a.validation, b.validation);
    }

    #[test]
    fn validation_rows_are_spread_over_the_file() {
        // Not the first or last rows: a random subset. Each decile should get some.
        let s = split(100_000, 0.1, 7);
        let mut deciles = [0usize; 10];
        for &v in &s.validation {
            deciles[v as usize / 10_000] += 1;
        }
        assert!(
            deciles.iter().all(|&d| (800..1200).contains(&d)),
            "{deciles:?}"
        );
    }

    #[test]
    fn the_stream_is_pinned() {
        // If this changes, every cached split in the wild changes: don't.
        let mut r = SplitMix64(1234567);
        assert_eq!(r.next_u64(), 6457827717110365317);
        assert_eq!(r.next_u64(), 3203168211198807973);
        let s = split(10, 0.3, 42);
        assert_eq!(s.validation, vec![2, 4, 7]);
        assert_eq!(s.train, vec![0, 1, 3, 5, 6, 8, 9]);
    }

    #[test]
    fn edge_cases() {
        assert_eq!(
            split(0, 0.1, 1),
            Split {
                train: vec![],
                validation: vec![]
            }
        );
        assert_eq!(split(1, 0.1, 1).train, vec![0]);
        let s = split(2, 0.1, 9);
        assert_eq!(s.validation.len(), 1);
        assert_eq!(s.train.len(), 1);
        assert_eq!(split(5, 0.0, 3).train, vec![0, 1, 2, 3, 4]);
    }
}
