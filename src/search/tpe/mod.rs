//! `method: bayes`: each trial's parameters from a Tree-structured Parzen Estimator (TPE) of
//! the trials the store holds when a worker claims it (Bergstra et al. 2011; Optuna's
//! `TPESampler` with its default, independent per-parameter form).
//!
//! **Startup.** The first [`startup_count`] trials (by number) are drawn exactly as
//! `method: random` draws them (`search/random.rs`), so a bayes sweep's first trials
//! equal a random sweep's of the same file; a later trial is a startup draw too while fewer
//! than [`MIN_FINISHED`] trials have a metric.
//!
//! **The model.** Finished trials are ranked by the sweep's metric and goal; the best
//! [`good_count`] of them form the "good" group, the rest the "bad" one. Trials still pending,
//! running or interrupted join the bad group at their parameters (Optuna's `constant_liar`), so
//! workers claiming at the same time do not all pick the same point; failed trials are
//! ignored. Per parameter, a Parzen estimator is fitted to each group: categorical values get
//! smoothed counts, numeric ones a mixture of Gaussians (one per observation, plus the prior)
//! truncated to the parameter's range, in the logarithm for `log_*` distributions; `normal`
//! and `log_normal` use `mu ± NORMAL_Z_MAX·sigma` as their range and `N(mu, sigma)` as their
//! prior. [`CANDIDATES`] candidates are drawn from the good estimator `l(x)`, and the one with
//! the largest `l(x)/g(x)` is taken, for each parameter separately.
//!
//! **Reproducible.** The draw for trial `n` is a pure function of (sweep seed, `n`, the
//! observations): every random choice comes from a SplitMix64 stream seeded by those and the
//! parameter's name, and every transcendental function from `libm` (see [`crate::search`]).
//! What the sampler saw is returned with the draw ([`SampledFrom`]) and stored with the trial.

use xxhash_rust::xxh3::xxh3_64;

use super::draw::{below_bound, normal, quantize};
use super::random::random_params;
use super::{Draw, DrawKind, Observation, Observed, SampledFrom, Sampler};
use crate::metric::Goal;
use crate::seeds::{SplitMix64, combine};
use crate::spec::{
    NORMAL_Z_MAX, ParamKind, ParamSet, ParamSpec, ParamValue, Spec, lattice_len, lattice_value,
};

/// Most startup (random) trials; fewer when `run_cap` is small ([`startup_count`]).
pub const MAX_STARTUP: usize = 10;
/// Trials with a metric the model needs; fewer, and the draw is a startup one.
pub const MIN_FINISHED: usize = 2;
/// Candidates drawn from `l(x)` per parameter (Optuna's `n_ei_candidates`).
pub const CANDIDATES: usize = 24;
/// Weight of the prior in each estimator, against 1 per observation (Optuna's).
const PRIOR_WEIGHT: f64 = 1.0;
/// Tag of the TPE streams (an arbitrary fixed word, apart from search's tags).
const TPE_TAG: u64 = 0x7470_655f_6472_6177; // "tpe_draw"
/// Truncated-normal draws rejected before falling back to the nearest bound.
const MAX_REJECTIONS: usize = 64;

/// Startup trials of a sweep of `run_cap` trials: a third of them, between 1 and
/// [`MAX_STARTUP`], so a small budget still leaves most trials to the model.
pub fn startup_count(run_cap: usize) -> usize {
    run_cap.div_ceil(3).clamp(1, MAX_STARTUP)
}

/// Size of the good group among `finished` ranked trials: Optuna's default
/// `min(ceil(0.1·n), 25)`, at least 1.
pub fn good_count(finished: usize) -> usize {
    finished.div_ceil(10).clamp(1, 25)
}

/// The Tree-structured Parzen Estimator (`method: bayes`): trials drawn when claimed, from the
/// trials finished by then.
pub struct Tpe;

impl Sampler for Tpe {
    fn suggest(&self, spec: &Spec, combination: usize, history: &[Observation]) -> Draw {
        suggest(spec, combination, history)
    }

    fn draws_when_claimed(&self) -> bool {
        true
    }
}

/// Trial `number`'s parameters for the bayes sweep `spec`, given the other trials in the store.
/// Same inputs, same draw.
pub fn suggest(spec: &Spec, number: usize, observations: &[Observation]) -> Draw {
    let mut finished: Vec<(usize, f64, &ParamSet)> = observations
        .iter()
        .filter_map(|o| match o.status {
            Observed::Finished(m) if m.is_finite() => Some((o.number, m, &o.params)),
            _ => None,
        })
        .collect();
    finished.sort_by_key(|&(n, _, _)| n);
    let mut liars: Vec<(usize, &ParamSet)> = observations
        .iter()
        .filter(|o| matches!(o.status, Observed::Running | Observed::Pruned))
        .map(|o| (o.number, &o.params))
        .collect();
    liars.sort_by_key(|&(n, _)| n);
    let numbers_with = |status: Observed| {
        let mut numbers: Vec<usize> = observations
            .iter()
            .filter(|o| o.status == status)
            .map(|o| o.number)
            .collect();
        numbers.sort_unstable();
        numbers
    };
    let startup =
        number <= startup_count(spec.run_cap.unwrap_or(0)) || finished.len() < MIN_FINISHED;
    let sampled_from = SampledFrom {
        draw: if startup {
            DrawKind::Startup
        } else {
            DrawKind::Tpe
        },
        finished: finished.iter().map(|&(n, m, _)| (n, m)).collect(),
        running: numbers_with(Observed::Running),
        pruned: numbers_with(Observed::Pruned),
    };
    let random = random_params(spec, number);
    if startup {
        return Draw {
            params: random,
            sampled_from: Some(sampled_from),
        };
    }
    let (good, bad) = split(&finished, &liars, spec.metric.goal);
    let params = spec
        .parameters
        .iter()
        .filter_map(|(name, p)| {
            let mut rng = stream(spec.seed, number, name);
            let kind = spec.kinds.get(name).copied();
            let drawn = suggest_one(p, name, kind, &good, &bad, &mut rng)
                .map(|v| v.normalized(kind))
                // The spec checked that the trainer takes every value of each range; a whole
                // number that is not one (none should be) falls back to the random draw.
                .filter(|v| kind != Some(ParamKind::Whole) || matches!(v, ParamValue::Int(_)))
                .or_else(|| random.0.get(name).cloned())?;
            Some((name.clone(), drawn))
        })
        .collect();
    Draw {
        params: ParamSet(params),
        sampled_from: Some(sampled_from),
    }
}

/// The good group (best [`good_count`] finished trials) and the bad one (the other finished
/// trials and every liar), as parameter sets.
fn split<'a>(
    finished: &[(usize, f64, &'a ParamSet)],
    liars: &[(usize, &'a ParamSet)],
    goal: Goal,
) -> (Vec<&'a ParamSet>, Vec<&'a ParamSet>) {
    let mut ranked = finished.to_vec();
    // Best first; equal metrics by trial number, so the split is a function of the inputs.
    ranked.sort_by(|a, b| {
        let order = a.1.total_cmp(&b.1);
        let order = if goal == Goal::Maximize {
            order.reverse()
        } else {
            order
        };
        order.then(a.0.cmp(&b.0))
    });
    let n_good = good_count(ranked.len());
    let good = ranked[..n_good].iter().map(|t| t.2).collect();
    let bad = ranked[n_good..]
        .iter()
        .map(|t| t.2)
        .chain(liars.iter().map(|l| l.1))
        .collect();
    (good, bad)
}

/// The stream of parameter `name` in trial `number`'s TPE draw.
fn stream(sweep_seed: u64, number: usize, name: &str) -> SplitMix64 {
    let trial = combine(combine(sweep_seed, TPE_TAG), number as u64);
    SplitMix64(combine(trial, xxh3_64(name.as_bytes())))
}

/// One parameter's TPE value; `None` for an empty categorical.
fn suggest_one(
    p: &ParamSpec,
    name: &str,
    kind: Option<ParamKind>,
    good: &[&ParamSet],
    bad: &[&ParamSet],
    rng: &mut SplitMix64,
) -> Option<ParamValue> {
    match p {
        ParamSpec::Constant(v) => Some(v.clone()),
        ParamSpec::Categorical(values) => suggest_categorical(values, name, kind, good, bad, rng),
        numeric => {
            let space = NumericSpace::of(numeric)?;
            let points = |group: &[&ParamSet]| -> Vec<f64> {
                group
                    .iter()
                    .filter_map(|set| space.internal(set.0.get(name)?))
                    .collect()
            };
            let l = space.mixture(&points(good));
            let g = space.mixture(&points(bad));
            let best = best_candidate(rng, |rng| l.sample(rng), |x| l.log_pdf(x) - g.log_pdf(x))?;
            Some(space.value(numeric, best))
        }
    }
}

/// The candidate of [`CANDIDATES`] drawn by `sample` with the largest `score` (the first of
/// equals).
fn best_candidate<T: Copy>(
    rng: &mut SplitMix64,
    mut sample: impl FnMut(&mut SplitMix64) -> T,
    score: impl Fn(T) -> f64,
) -> Option<T> {
    let mut best: Option<(T, f64)> = None;
    for _ in 0..CANDIDATES {
        let x = sample(rng);
        let s = score(x);
        if best.is_none_or(|(_, b)| s > b) {
            best = Some((x, s));
        }
    }
    best.map(|(x, _)| x)
}

/// A categorical's value: smoothed counts `(count + prior/K) / (n + prior)` per group.
fn suggest_categorical(
    values: &[ParamValue],
    name: &str,
    kind: Option<ParamKind>,
    good: &[&ParamSet],
    bad: &[&ParamSet],
    rng: &mut SplitMix64,
) -> Option<ParamValue> {
    let canonical: Vec<ParamValue> = values.iter().map(|v| v.normalized(kind)).collect();
    let weights = |group: &[&ParamSet]| -> Vec<f64> {
        let mut w = vec![PRIOR_WEIGHT / values.len() as f64; values.len()];
        for set in group {
            let seen = set.0.get(name).map(|v| v.normalized(kind));
            if let Some(i) = canonical.iter().position(|c| Some(c) == seen.as_ref()) {
                w[i] += 1.0;
            }
        }
        let total: f64 = w.iter().sum();
        w.iter().map(|x| x / total).collect()
    };
    let (l, g) = (weights(good), weights(bad));
    let index = best_candidate(
        rng,
        |rng| pick(&l, rng.next_f64()),
        |i| libm::log(l[i]) - libm::log(g[i]),
    )?;
    values.get(index).cloned()
}

/// The index whose cumulative weight first exceeds `u` (weights summing to 1).
fn pick(weights: &[f64], u: f64) -> usize {
    let mut acc = 0.0;
    for (i, w) in weights.iter().enumerate() {
        acc += w;
        if u < acc {
            return i;
        }
    }
    weights.len().saturating_sub(1)
}

/// Where a numeric parameter's estimators live: a range in its own or its log scale, and
/// the prior's centre and spread there.
struct NumericSpace {
    lo: f64,
    hi: f64,
    log: bool,
    prior_mu: f64,
    prior_sigma: f64,
}

impl NumericSpace {
    /// The space of a numeric distribution; `None` for constants and categoricals.
    fn of(p: &ParamSpec) -> Option<NumericSpace> {
        let range = |lo: f64, hi: f64, log: bool| NumericSpace {
            lo,
            hi,
            log,
            prior_mu: 0.5 * (lo + hi),
            prior_sigma: hi - lo,
        };
        let gaussian = |mu: f64, sigma: f64, log: bool| NumericSpace {
            lo: mu - NORMAL_Z_MAX * sigma,
            hi: mu + NORMAL_Z_MAX * sigma,
            log,
            prior_mu: mu,
            prior_sigma: sigma,
        };
        Some(match *p {
            ParamSpec::Uniform { min, max } => range(min, max, false),
            ParamSpec::LogUniform { min, max } => range(min, max, true),
            ParamSpec::LogUniformValues { min, max }
            | ParamSpec::QLogUniformValues { min, max, .. } => {
                range(libm::log(min), libm::log(max), true)
            }
            // Each whole number or lattice point owns the interval around it.
            ParamSpec::IntUniform { min, max } => range(min as f64 - 0.5, max as f64 + 0.5, false),
            ParamSpec::QUniform { min, max, q } => {
                let last = lattice_value(min, q, lattice_len(min, max, q).saturating_sub(1));
                range(min - 0.5 * q, last + 0.5 * q, false)
            }
            ParamSpec::Normal { mu, sigma } => gaussian(mu, sigma, false),
            ParamSpec::LogNormal { mu, sigma } => gaussian(mu, sigma, true),
            ParamSpec::Constant(_) | ParamSpec::Categorical(_) => return None,
        })
    }

    /// A stored value in this space (`None` if it is not a number or lies outside).
    fn internal(&self, value: &ParamValue) -> Option<f64> {
        let x = match *value {
            ParamValue::Int(i) => i as f64,
            ParamValue::Float(x) => x,
            _ => return None,
        };
        let x = if self.log { libm::log(x) } else { x };
        (x.is_finite() && self.lo <= x && x <= self.hi).then_some(x)
    }

    /// The parameter's value at `x` of this space, as `method: random` would give it.
    fn value(&self, p: &ParamSpec, x: f64) -> ParamValue {
        let x = x.clamp(self.lo, self.hi);
        match *p {
            ParamSpec::Uniform { min, max } => ParamValue::Float(below_bound(x, min, max)),
            ParamSpec::LogUniform { min, max } => {
                ParamValue::Float(below_bound(libm::exp(x), libm::exp(min), libm::exp(max)))
            }
            ParamSpec::LogUniformValues { min, max } => {
                ParamValue::Float(below_bound(libm::exp(x), min, max))
            }
            ParamSpec::QLogUniformValues { min, max, q } => {
                ParamValue::Float(quantize(below_bound(libm::exp(x), min, max), q))
            }
            ParamSpec::IntUniform { min, max } => {
                ParamValue::Int((x.round() as i64).clamp(min, max))
            }
            ParamSpec::QUniform { min, max, q } => {
                let last = lattice_len(min, max, q).saturating_sub(1);
                let k = ((x - min) / q).round().clamp(0.0, last as f64);
                ParamValue::Float(lattice_value(min, q, k as u64))
            }
            ParamSpec::Normal { .. } => ParamValue::Float(x),
            ParamSpec::LogNormal { .. } => ParamValue::Float(libm::exp(x)),
            // Not numeric: `of` gives no space for these, so this is never reached.
            ParamSpec::Constant(ref v) => v.clone(),
            ParamSpec::Categorical(_) => ParamValue::Float(x),
        }
    }

    /// The Parzen estimator of `points`: a Gaussian at each, its width the larger gap to a
    /// neighbour (the first and last point's only neighbour is the next point in), clipped to
    /// `[(hi-lo)/min(100, n+1), hi-lo]` (Optuna's "magic clip"), plus the prior.
    fn mixture(&self, points: &[f64]) -> Mixture {
        let width = self.hi - self.lo;
        let mut sorted = points.to_vec();
        sorted.sort_by(f64::total_cmp);
        let min_sigma = width / (sorted.len() as f64 + 1.0).min(100.0);
        let mut components: Vec<(f64, f64, f64)> = sorted
            .iter()
            .enumerate()
            .map(|(i, &mu)| {
                let left = if i == 0 { self.lo } else { sorted[i - 1] };
                let right = sorted.get(i + 1).copied().unwrap_or(self.hi);
                let gap = match (i == 0, i + 1 == sorted.len()) {
                    // The ends of the range are no neighbours (Optuna's consider_endpoints off),
                    // except for a lone point.
                    (true, false) => right - mu,
                    (false, true) => mu - left,
                    _ => (mu - left).max(right - mu),
                };
                let sigma = gap.clamp(min_sigma, width.max(min_sigma));
                (1.0, mu, sigma)
            })
            .collect();
        components.push((PRIOR_WEIGHT, self.prior_mu, self.prior_sigma));
        let total: f64 = components.iter().map(|c| c.0).sum();
        Mixture {
            components: components
                .into_iter()
                .map(|(w, mu, sigma)| Component {
                    weight: w / total,
                    mu,
                    sigma,
                    mass: truncated_mass(mu, sigma, self.lo, self.hi),
                })
                .collect(),
            lo: self.lo,
            hi: self.hi,
        }
    }
}

/// One Gaussian of a mixture, truncated to the mixture's range.
struct Component {
    weight: f64,
    mu: f64,
    sigma: f64,
    /// Its probability inside the range (the truncation's normalizer).
    mass: f64,
}

/// A weighted mixture of Gaussians truncated to `[lo, hi]`.
struct Mixture {
    components: Vec<Component>,
    lo: f64,
    hi: f64,
}

impl Mixture {
    /// A draw: pick a component by weight, then draw inside the range (rejecting draws outside;
    /// after [`MAX_REJECTIONS`] the last draw is clamped).
    fn sample(&self, rng: &mut SplitMix64) -> f64 {
        let weights: Vec<f64> = self.components.iter().map(|c| c.weight).collect();
        let c = &self.components[pick(&weights, rng.next_f64())];
        if c.sigma <= 0.0 || self.hi <= self.lo {
            return c.mu.clamp(self.lo, self.hi);
        }
        let mut x = c.mu;
        for _ in 0..MAX_REJECTIONS {
            x = c.mu + c.sigma * normal(rng);
            if (self.lo..=self.hi).contains(&x) {
                return x;
            }
        }
        x.clamp(self.lo, self.hi)
    }

    /// Log density at `x` (log-sum-exp over the components, so far tails do not underflow).
    fn log_pdf(&self, x: f64) -> f64 {
        let terms: Vec<f64> = self
            .components
            .iter()
            .map(|c| {
                let sigma = c.sigma.max(f64::MIN_POSITIVE);
                let z = (x - c.mu) / sigma;
                libm::log(c.weight)
                    - libm::log(sigma * c.mass.max(1e-300))
                    - 0.5 * libm::log(std::f64::consts::TAU)
                    - 0.5 * z * z
            })
            .collect();
        let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !top.is_finite() {
            return top;
        }
        top + libm::log(terms.iter().map(|t| libm::exp(t - top)).sum::<f64>())
    }
}

/// The probability that `N(mu, sigma)` lies in `[lo, hi]`.
fn truncated_mass(mu: f64, sigma: f64, lo: f64, hi: f64) -> f64 {
    if sigma <= 0.0 {
        return 1.0;
    }
    let cdf = |x: f64| 0.5 * (1.0 + libm::erf((x - mu) / (sigma * std::f64::consts::SQRT_2)));
    cdf(hi) - cdf(lo)
}

#[cfg(test)]
mod tests;
