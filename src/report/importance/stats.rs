//! The statistics behind "what mattered": Student-t intervals, Welch's difference of two
//! means, the pooled seed-noise deviation, the stratified permutation test and the
//! replicate count of a two-sample power calculation. Pure functions on numbers; the
//! quantiles come from `statrs` (a well-kept crate, rather than our own approximations).

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::seeds::SplitMix64;

/// Two-sided confidence level of every interval.
pub const LEVEL: f64 = 0.95;
/// Significance level of the test and of the power calculation.
pub const ALPHA: f64 = 0.05;
/// Power of the replicate calculation.
pub const POWER: f64 = 0.8;

/// Mean of `xs` (NaN when empty).
pub fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Sample standard deviation (n - 1 in the denominator); `None` below two values.
pub fn sd(xs: &[f64]) -> Option<f64> {
    (xs.len() >= 2).then(|| {
        let m = mean(xs);
        (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64).sqrt()
    })
}

/// The `p` quantile of Student's t with `df` degrees of freedom (`None` for `df` ≤ 0 or
/// not finite).
pub fn t_quantile(p: f64, df: f64) -> Option<f64> {
    if !(df > 0.0 && df.is_finite()) {
        return None;
    }
    StudentsT::new(0.0, 1.0, df).ok().map(|t| t.inverse_cdf(p))
}

/// The `p` quantile of the standard normal.
pub fn z_quantile(p: f64) -> f64 {
    Normal::standard().inverse_cdf(p)
}

/// The 95% Student-t interval of the mean of `xs`: `mean ± t(0.975, n-1)·sd/√n`; `None`
/// below two values.
pub fn mean_interval(xs: &[f64]) -> Option<(f64, f64)> {
    let s = sd(xs)?;
    let t = t_quantile(0.5 + LEVEL / 2.0, (xs.len() - 1) as f64)?;
    let half = t * s / (xs.len() as f64).sqrt();
    let m = mean(xs);
    Some((m - half, m + half))
}

/// `mean(a) - mean(b)` with its 95% Welch interval (unequal variances, Welch-Satterthwaite
/// degrees of freedom); `None` when either side has fewer than two values. Two sides without
/// any spread give the difference itself as the interval.
pub fn welch_difference(a: &[f64], b: &[f64]) -> Option<(f64, f64, f64)> {
    let (sa, sb) = (sd(a)?, sd(b)?);
    let (va, vb) = (sa * sa / a.len() as f64, sb * sb / b.len() as f64);
    let difference = mean(a) - mean(b);
    let se = (va + vb).sqrt();
    if se == 0.0 {
        return Some((difference, difference, difference));
    }
    let df = (va + vb).powi(2) / (va * va / (a.len() - 1) as f64 + vb * vb / (b.len() - 1) as f64);
    let half = t_quantile(0.5 + LEVEL / 2.0, df)? * se;
    Some((difference, difference - half, difference + half))
}

/// The seed-noise deviation: the standard deviation within groups of replicates (trials of
/// one parameter combination), pooled: `sqrt(Σ (n_g - 1) s_g² / Σ (n_g - 1))`. Returns it
/// with its degrees of freedom; `None` when no group has two values.
pub fn pooled_sd<'a>(groups: impl IntoIterator<Item = &'a [f64]>) -> Option<(f64, usize)> {
    let (mut squares, mut df) = (0.0, 0usize);
    for group in groups {
        if let Some(s) = sd(group) {
            squares += s * s * (group.len() - 1) as f64;
            df += group.len() - 1;
        }
    }
    (df > 0).then(|| ((squares / df as f64).sqrt(), df))
}

/// Trials per value needed to tell two values apart by `delta` when trials vary by `sigma`
/// (two-sided α = [`ALPHA`], power [`POWER`], two-sample normal approximation):
/// `n = 2·((z_{1-α/2} + z_{power})·σ/δ)²`, rounded up, at least 2. `None` when `delta` is
/// not a positive number or `sigma` not finite.
pub fn trials_needed(sigma: f64, delta: f64) -> Option<usize> {
    if !(delta > 0.0 && delta.is_finite() && sigma.is_finite() && sigma >= 0.0) {
        return None;
    }
    let z = z_quantile(1.0 - ALPHA / 2.0) + z_quantile(POWER);
    let n = 2.0 * (z * sigma / delta).powi(2);
    // Guard the cast: an absurd ratio saturates rather than wrapping.
    Some((n.ceil().min(1e12) as usize).max(2))
}

/// The between-values sum of squares `Σ_v n_v (ȳ_v - ȳ)²`, where `labels[i]` is
/// observation i's value (an index below `levels`). Large when the values' means differ.
pub fn between_values_sum_of_squares(ys: &[f64], labels: &[usize], levels: usize) -> f64 {
    let mut sums = vec![0.0; levels];
    let mut counts = vec![0usize; levels];
    for (&y, &label) in ys.iter().zip(labels) {
        sums[label] += y;
        counts[label] += 1;
    }
    let grand = mean(ys);
    sums.iter()
        .zip(&counts)
        .filter(|&(_, &n)| n > 0)
        .map(|(sum, &n)| n as f64 * (sum / n as f64 - grand).powi(2))
        .sum()
}

/// The p-value of a permutation test of `labels` against `ys`: shuffles the labels within
/// each stratum `permutations` times (Fisher-Yates from `rng`) and counts how often the
/// statistic reaches the observed one; `(1 + count) / (1 + permutations)`, so it is never 0.
///
/// The statistic is [`between_values_sum_of_squares`] over all trials, not a within-strata
/// one: shuffling only
/// within strata is what conditions on the other parameters, while the statistic must add up
/// a difference that points the same way in every stratum. The within-strata sum of squares
/// cannot see that: with one trial per value in each stratum (a grid without replicates) it
/// is the same for every shuffle, and the test could never find anything.
pub fn permutation_p(
    ys: &[f64],
    labels: &[usize],
    strata: &[usize],
    levels: usize,
    permutations: usize,
    rng: &mut SplitMix64,
) -> f64 {
    let strata_count = strata.iter().max().map_or(0, |s| s + 1);
    let statistic = |labels: &[usize]| between_values_sum_of_squares(ys, labels, levels);
    let observed = statistic(labels);
    // Sums of the same numbers in another order may differ in the last bits.
    let threshold = observed - observed.abs() * 1e-9;
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); strata_count];
    for (i, &stratum) in strata.iter().enumerate() {
        members[stratum].push(i);
    }
    let mut shuffled = labels.to_vec();
    let mut reached = 0usize;
    for _ in 0..permutations {
        for group in &members {
            shuffle_within(&mut shuffled, group, rng);
        }
        if statistic(&shuffled) >= threshold {
            reached += 1;
        }
    }
    (1 + reached) as f64 / (1 + permutations) as f64
}

/// Fisher-Yates over the positions `group` of `labels`.
fn shuffle_within(labels: &mut [usize], group: &[usize], rng: &mut SplitMix64) {
    for i in (1..group.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        labels.swap(group[i], group[j]);
    }
}
