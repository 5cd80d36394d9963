//! What mattered: for every swept parameter, its effect on the sweep's metric measured
//! against seed noise.
//!
//! Input: the completed trials' best metrics and parameters (a failed, pending or running
//! trial is not a result). A parameter is *swept* when the trials hold more than one value of
//! it. A numeric parameter with more than [`MAX_LEVELS`] distinct values (a continuous draw
//! of a random search) is cut into [`BINS`] quantile bins, so that each value has trials to
//! average. For each swept parameter:
//!
//! - **per value**: trials, mean, and the 95% Student-t interval of the mean;
//! - **test**: a *stratified permutation test*. The statistic is the between-values sum of
//!   squares of the parameter's value means; the parameter's values are shuffled within
//!   strata ([`PERMUTATIONS`] times), a stratum being one setting of every other swept
//!   parameter, and the p-value is the share of shuffles that reach the observed statistic. We chose it over a one-way
//!   ANOVA F test because (a) holding the other parameters fixed keeps a strong parameter
//!   (a learning rate far too small) from hiding or faking the effect of another, in the
//!   way replicate groups are compared: under "no effect" the trials of a stratum differ by
//!   seed noise alone, so their labels are exchangeable; and (b) it assumes no normality
//!   (best metrics of trials that never learned pile up at one value). When no stratum holds
//!   two values of the parameter (a sparse random search) the test falls back to shuffling
//!   across all trials, and says so (`stratified: false`). The shuffles come from a
//!   SplitMix64 seeded by the sweep seed and the parameter's name, so the output is
//!   reproducible;
//! - **effect**: best value against worst value (by mean, in the sweep's goal), the
//!   difference of means with its 95% Welch interval;
//! - **replicates needed**: trials per value to detect a difference δ (the observed effect,
//!   or `--detect`) at α = 0.05 with power 0.8, `n = 2((z_0.975 + z_0.8)·σ/δ)²`, σ being the
//!   seed-noise deviation: the standard deviation within replicate groups (trials with the
//!   same parameters), pooled. It needs a combination with two finished replicates;
//!   without one the output says that σ cannot be estimated;
//! - **importance**: the main-effect variance fraction (fANOVA's first-order term for a
//!   grid): `Σ_v n_v (ȳ_v - ȳ)² / Σ_i (y_i - ȳ)²`. We compute it ourselves rather than fit
//!   a random forest (smartcore): on the small replicated grids this is for, the fraction is
//!   exact and cheap, while a forest adds a heavy dependency and randomness of its own.

mod factors;
mod stats;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;
use xxhash_rust::xxh3::xxh3_64;

use crate::metric::{Goal, MetricName};
use crate::report::{Params, ReportError, SweepSnapshot, params_of};
use crate::seeds::{SplitMix64, combine};
use crate::spec::Spec;
use crate::store::TrialState;
use crate::text::{param_exact, significant};
use crate::train::params::BuiltIn;

use factors::{Factor, strata_of, swept_factors};
pub use stats::{ALPHA, LEVEL, POWER};

/// A numeric parameter with more distinct values than this is binned.
pub const MAX_LEVELS: usize = 8;
/// Quantile bins of a binned parameter.
pub const BINS: usize = 4;
/// Shuffles of the permutation test.
pub const PERMUTATIONS: usize = 1999;
/// The formula of the replicate count, as the output states it.
pub const FORMULA: &str = "n = 2((z_0.975 + z_0.8)·σ/δ)² trials per value (α = 0.05, power 0.8)";
/// Tag of the permutation streams (an arbitrary fixed word).
const PERMUTATION_TAG: u64 = 0x7065_726d_7574_6521; // "permute!"

/// Why no analysis could be made.
#[derive(Debug, thiserror::Error)]
pub enum ImportanceError {
    /// The sweep has too few results to compare.
    #[error(
        "sweep `{sweep}` has {finished} completed trial(s) with a metric; what mattered needs at \
         least 2 (run more trials, or wait for running ones to finish)"
    )]
    TooFewTrials {
        /// The sweep.
        sweep: String,
        /// Completed trials with a finite metric.
        finished: usize,
    },
    /// A stored trial could not be read.
    #[error(transparent)]
    Report(#[from] ReportError),
}

/// One result: a completed trial's parameters and best metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    /// The trial's number.
    pub trial: usize,
    /// Its parameters.
    pub params: Params,
    /// Its best value of the sweep's metric.
    pub metric: f64,
}

/// How to analyse.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Which way the metric improves (picks the best and worst values).
    pub goal: Goal,
    /// Seeds the permutation shuffles.
    pub seed: u64,
    /// The difference to size replicates for; the observed effect when `None`.
    pub detect: Option<f64>,
    /// Shuffles of the permutation test.
    pub permutations: usize,
}

/// The whole analysis, as `sweep importance` prints it and the report shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Analysis {
    /// The sweep's metric.
    pub metric: String,
    /// Its goal.
    pub goal: String,
    /// Completed trials analysed.
    pub trials: usize,
    /// Distinct parameter combinations among them.
    pub combinations: usize,
    /// The seed noise, from replicate groups.
    pub seed_noise: SeedNoise,
    /// The test, in words.
    pub test: String,
    /// The replicate formula.
    pub formula: &'static str,
    /// The difference `--detect` asked for, if any.
    pub detect: Option<f64>,
    /// Every swept parameter, most important first.
    pub parameters: Vec<ParameterEffect>,
}

/// The spread of one combination's replicates.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeedNoise {
    /// Pooled within-combination standard deviation; `None` without replicates.
    pub sd: Option<f64>,
    /// Its degrees of freedom (Σ (n_g - 1)).
    pub df: usize,
    /// Combinations with two or more completed trials.
    pub replicated_combinations: usize,
}

/// One swept parameter's effect.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParameterEffect {
    /// The parameter.
    pub name: String,
    /// 1 = most important.
    pub rank: usize,
    /// Main-effect variance fraction in [0, 1].
    pub importance: f64,
    /// Quantile bins when the values were binned.
    pub bins: Option<usize>,
    /// Per value (or bin), in value order.
    pub values: Vec<ValueSummary>,
    /// The permutation test's p-value.
    pub p_value: f64,
    /// Whether the shuffles stayed within strata of the other parameters.
    pub stratified: bool,
    /// Strata in which the parameter took two or more values.
    pub informative_strata: usize,
    /// `p_value < ALPHA`.
    pub significant: bool,
    /// Best against worst value.
    pub effect: Option<Effect>,
    /// Replicates needed to detect an effect.
    pub replicates_needed: Option<ReplicatesNeeded>,
    /// The verdict in words.
    pub verdict: String,
}

/// The trials of one value of a parameter.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ValueSummary {
    /// The value (or bin `lo–hi`) as text.
    pub value: String,
    /// Trials.
    pub n: usize,
    /// Mean best metric.
    pub mean: f64,
    /// Sample standard deviation (n ≥ 2).
    pub sd: Option<f64>,
    /// 95% interval of the mean, low end (n ≥ 2).
    pub ci_low: Option<f64>,
    /// 95% interval of the mean, high end (n ≥ 2).
    pub ci_high: Option<f64>,
}

/// The best value's mean minus the worst value's, with its 95% Welch interval.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Effect {
    /// The value with the best mean.
    pub best: String,
    /// The value with the worst mean.
    pub worst: String,
    /// `mean(best) - mean(worst)`.
    pub difference: f64,
    /// Low end of the interval (`None` when a side has fewer than two trials).
    pub ci_low: Option<f64>,
    /// High end of the interval.
    pub ci_high: Option<f64>,
}

/// How many trials per value would detect a difference `delta`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReplicatesNeeded {
    /// The difference to detect.
    pub delta: f64,
    /// Trials per value needed ([`FORMULA`]).
    pub per_value: usize,
    /// Trials of the value with the fewest.
    pub have: usize,
    /// Further replicates of each combination that would supply the missing trials.
    pub more_replicates: usize,
}

/// The completed trials of a snapshot with a finite best metric.
pub fn observations(snapshot: &SweepSnapshot) -> Result<Vec<Observation>, ReportError> {
    snapshot
        .trials
        .iter()
        .filter(|t| t.state == TrialState::Completed)
        .filter_map(|t| t.best_metric.filter(|m| m.is_finite()).map(|m| (t, m)))
        .map(|(t, metric)| {
            Ok(Observation {
                trial: t.number,
                params: params_of(t)?,
                metric,
            })
        })
        .collect()
}

/// The analysis of a stored sweep. The permutation seed is the sweep file's `seed` (0 when
/// the stored file no longer parses, e.g. written by a newer version).
pub fn analyze_snapshot(
    snapshot: &SweepSnapshot,
    detect: Option<f64>,
) -> Result<Analysis, ImportanceError> {
    let sweep = &snapshot.sweep;
    let observations = observations(snapshot)?;
    if observations.len() < 2 {
        return Err(ImportanceError::TooFewTrials {
            sweep: sweep.name.clone(),
            finished: observations.len(),
        });
    }
    let seed = Spec::parse(&sweep.spec_text, &sweep.name, &BuiltIn).map_or(0, |spec| spec.seed);
    let settings = Settings {
        goal: sweep.goal,
        seed,
        detect,
        permutations: PERMUTATIONS,
    };
    Ok(analyze(&observations, sweep.metric.clone(), settings))
}

/// The analysis of `observations` (see the module documentation).
pub fn analyze(observations: &[Observation], metric: MetricName, settings: Settings) -> Analysis {
    let ys: Vec<f64> = observations.iter().map(|o| o.metric).collect();
    let groups = combination_groups(observations);
    let noise = seed_noise(&groups, &ys);
    let factors = swept_factors(observations);
    let mut parameters: Vec<ParameterEffect> = factors
        .iter()
        .map(|factor| effect_of(factor, &factors, &ys, &groups, noise.sd, settings))
        .collect();
    parameters.sort_by(|a, b| {
        b.importance
            .total_cmp(&a.importance)
            .then_with(|| a.name.cmp(&b.name))
    });
    for (i, p) in parameters.iter_mut().enumerate() {
        p.rank = i + 1;
    }
    Analysis {
        metric: metric.as_str().to_string(),
        goal: settings.goal.as_str().to_string(),
        trials: observations.len(),
        combinations: groups.iter().max().map_or(0, |g| g + 1),
        seed_noise: noise,
        test: format!(
            "permutation test, {} shuffles of each parameter's values within strata of the other \
             parameters",
            settings.permutations
        ),
        formula: FORMULA,
        detect: settings.detect,
        parameters,
    }
}

/// Each observation's combination (an index), by its canonical parameters.
fn combination_groups(observations: &[Observation]) -> Vec<usize> {
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    observations
        .iter()
        .map(|o| {
            // serde_json's map is sorted by key, so equal parameters give equal text.
            let key = Value::Object(o.params.clone()).to_string();
            let next = ids.len();
            *ids.entry(key).or_insert(next)
        })
        .collect()
}

fn seed_noise(groups: &[usize], ys: &[f64]) -> SeedNoise {
    let mut by_group: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    for (&g, &y) in groups.iter().zip(ys) {
        by_group.entry(g).or_default().push(y);
    }
    let pooled = stats::pooled_sd(by_group.values().map(Vec::as_slice));
    SeedNoise {
        sd: pooled.map(|(sd, _)| sd),
        df: pooled.map_or(0, |(_, df)| df),
        replicated_combinations: by_group.values().filter(|g| g.len() >= 2).count(),
    }
}

fn effect_of(
    factor: &Factor,
    all: &[Factor],
    ys: &[f64],
    groups: &[usize],
    noise_sd: Option<f64>,
    settings: Settings,
) -> ParameterEffect {
    let per_level: Vec<Vec<f64>> = (0..factor.labels.len())
        .map(|level| {
            ys.iter()
                .zip(&factor.of)
                .filter(|(_, l)| **l == level)
                .map(|(y, _)| *y)
                .collect()
        })
        .collect();
    let values: Vec<ValueSummary> = factor
        .labels
        .iter()
        .zip(&per_level)
        .map(|(label, xs)| summary(label, xs))
        .collect();
    let (strata, informative) = strata_of(factor, all);
    let stratified = informative > 0;
    let strata = if stratified {
        strata
    } else {
        vec![0; ys.len()]
    };
    let mut rng = SplitMix64(combine(
        combine(settings.seed, PERMUTATION_TAG),
        xxh3_64(factor.name.as_bytes()),
    ));
    let p_value = stats::permutation_p(
        ys,
        &factor.of,
        &strata,
        factor.labels.len(),
        settings.permutations,
        &mut rng,
    );
    let effect = best_and_worst(&values, &per_level, settings.goal);
    let significant = p_value < ALPHA;
    let replicates_needed = replicates_needed(factor, groups, &values, &effect, noise_sd, settings);
    let verdict = verdict(significant, p_value, effect.as_ref());
    ParameterEffect {
        name: factor.name.clone(),
        rank: 0,
        importance: main_effect_share(ys, &factor.of, factor.labels.len()),
        bins: factor.bins,
        values,
        p_value,
        stratified,
        informative_strata: informative,
        significant,
        effect,
        replicates_needed,
        verdict,
    }
}

fn summary(label: &str, xs: &[f64]) -> ValueSummary {
    let interval = stats::mean_interval(xs);
    ValueSummary {
        value: label.to_string(),
        n: xs.len(),
        mean: stats::mean(xs),
        sd: stats::sd(xs),
        ci_low: interval.map(|i| i.0),
        ci_high: interval.map(|i| i.1),
    }
}

/// `Σ_v n_v (ȳ_v - ȳ)² / Σ (y - ȳ)²` (the permutation test's statistic over the total sum
/// of squares); 0 when the metric does not vary.
fn main_effect_share(ys: &[f64], labels: &[usize], levels: usize) -> f64 {
    let grand = stats::mean(ys);
    let total: f64 = ys.iter().map(|y| (y - grand).powi(2)).sum();
    if total <= 0.0 {
        return 0.0;
    }
    (stats::between_values_sum_of_squares(ys, labels, levels) / total).clamp(0.0, 1.0)
}

/// The best and worst values by mean, and their difference with its Welch interval (none
/// when either has fewer than two trials).
fn best_and_worst(values: &[ValueSummary], per_level: &[Vec<f64>], goal: Goal) -> Option<Effect> {
    let better = |a: &ValueSummary, b: &ValueSummary| goal.better(a.mean, b.mean);
    let best =
        (0..values.len()).reduce(|a, b| if better(&values[b], &values[a]) { b } else { a })?;
    let worst =
        (0..values.len()).reduce(|a, b| if better(&values[a], &values[b]) { b } else { a })?;
    if best == worst {
        return None;
    }
    let interval = stats::welch_difference(&per_level[best], &per_level[worst]);
    Some(Effect {
        best: values[best].value.clone(),
        worst: values[worst].value.clone(),
        difference: values[best].mean - values[worst].mean,
        ci_low: interval.map(|i| i.1),
        ci_high: interval.map(|i| i.2),
    })
}

fn replicates_needed(
    factor: &Factor,
    groups: &[usize],
    values: &[ValueSummary],
    effect: &Option<Effect>,
    noise_sd: Option<f64>,
    settings: Settings,
) -> Option<ReplicatesNeeded> {
    let sigma = noise_sd?;
    let delta = settings
        .detect
        .or_else(|| effect.as_ref().map(|e| e.difference.abs()))?;
    let per_value = stats::trials_needed(sigma, delta)?;
    let have = values.iter().map(|v| v.n).min().unwrap_or(0);
    // A value's trials come from its combinations; one more replicate of each adds that many.
    let combinations_per_value = (0..factor.labels.len())
        .map(|level| {
            groups
                .iter()
                .zip(&factor.of)
                .filter(|(_, l)| **l == level)
                .map(|(g, _)| *g)
                .collect::<BTreeSet<usize>>()
                .len()
        })
        .min()
        .unwrap_or(1)
        .max(1);
    Some(ReplicatesNeeded {
        delta,
        per_value,
        have,
        more_replicates: per_value
            .saturating_sub(have)
            .div_ceil(combinations_per_value),
    })
}

/// The verdict line (see the module documentation).
fn verdict(significant: bool, p: f64, effect: Option<&Effect>) -> String {
    match effect {
        Some(e) if significant => {
            let interval = match (e.ci_low, e.ci_high) {
                (Some(lo), Some(hi)) => format!("[{lo:.4}, {hi:.4}]"),
                _ => "(no interval: a value has fewer than 2 trials)".to_string(),
            };
            format!(
                "effect: best {} vs worst {} = {:+.4} {interval} (p = {})",
                e.best,
                e.worst,
                e.difference,
                p_text(p)
            )
        }
        _ => format!(
            "no effect detectable beyond seed noise at this sample size (p = {})",
            p_text(p)
        ),
    }
}

/// A p-value to four decimals.
pub fn p_text(p: f64) -> String {
    format!("{p:.4}")
}

mod render;
pub use render::table;
