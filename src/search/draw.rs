//! The random draws every sampler shares: one SplitMix64 stream per (trial, parameter), and
//! each distribution's draw from it (see the module documentation of [`super`]).

use xxhash_rust::xxh3::xxh3_64;

use crate::seeds::{SplitMix64, combine};
use crate::spec::{NORMAL_Z_MAX, ParamSpec, ParamValue, lattice_len, lattice_value, tidy};

/// Tag that keeps the parameter draws apart from the trial seeds (an arbitrary fixed word:
/// changing it changes every trial of every sweep).
const PARAM_DRAW_TAG: u64 = 0x7061_7261_6d5f_6472; // "param_dr"

/// The stream of parameter `name` in trial `number`: independent of every other name.
pub(super) fn param_stream(sweep_seed: u64, number: usize, name: &str) -> SplitMix64 {
    let trial = combine(combine(sweep_seed, PARAM_DRAW_TAG), number as u64);
    SplitMix64(combine(trial, xxh3_64(name.as_bytes())))
}

/// One random value of `p`; `None` only for an empty categorical (refused by the spec check).
pub(super) fn draw(p: &ParamSpec, rng: &mut SplitMix64) -> Option<ParamValue> {
    let value = match *p {
        ParamSpec::Constant(ref v) => v.clone(),
        ParamSpec::Categorical(ref values) => {
            let n = u64::try_from(values.len()).ok().filter(|&n| n > 0)?;
            values.get(rng.below(n) as usize)?.clone()
        }
        ParamSpec::Uniform { min, max } => ParamValue::Float(uniform(rng, min, max)),
        ParamSpec::LogUniform { min, max } => {
            ParamValue::Float(log_uniform(rng, libm::exp(min), libm::exp(max)))
        }
        ParamSpec::LogUniformValues { min, max } => ParamValue::Float(log_uniform(rng, min, max)),
        ParamSpec::IntUniform { min, max } => ParamValue::Int(int_uniform(rng, min, max)),
        ParamSpec::QUniform { min, max, q } => {
            let last = lattice_len(min, max, q).saturating_sub(1);
            let k = ((uniform(rng, min, max) - min) / q)
                .round()
                .clamp(0.0, last as f64);
            ParamValue::Float(lattice_value(min, q, k as u64))
        }
        ParamSpec::QLogUniformValues { min, max, q } => {
            ParamValue::Float(quantize(log_uniform(rng, min, max), q))
        }
        ParamSpec::Normal { mu, sigma } => ParamValue::Float(mu + sigma * normal(rng)),
        ParamSpec::LogNormal { mu, sigma } => {
            ParamValue::Float(libm::exp(mu + sigma * normal(rng)))
        }
    };
    Some(value)
}

/// Uniform in `[lo, hi)`; exactly `lo` when the range is empty.
fn uniform(rng: &mut SplitMix64, lo: f64, hi: f64) -> f64 {
    below_bound(lo + (hi - lo) * rng.next_f64(), lo, hi)
}

/// `exp(U(ln lo, ln hi))` in `[lo, hi)`: uniform in the logarithm.
fn log_uniform(rng: &mut SplitMix64, lo: f64, hi: f64) -> f64 {
    let x = libm::exp(uniform(rng, libm::log(lo), libm::log(hi)));
    below_bound(x, lo, hi)
}

/// `x` pulled into `[lo, hi)` (rounding in `lo + (hi-lo)·u` or `exp(ln …)` can land on or
/// just past a bound); `lo` when the range is empty.
pub(super) fn below_bound(x: f64, lo: f64, hi: f64) -> f64 {
    match lo.partial_cmp(&hi) {
        Some(std::cmp::Ordering::Less) if x >= hi => hi.next_down(),
        Some(std::cmp::Ordering::Less) => x.max(lo),
        _ => lo,
    }
}

/// Uniform over `min..=max`.
pub(super) fn int_uniform(rng: &mut SplitMix64, min: i64, max: i64) -> i64 {
    if max <= min {
        return min;
    }
    // The span fits u64 (at most 2^64 - 1); `below` needs it plus one, which only
    // overflows for the full i64 range, where any 64 bits will do.
    let span = (i128::from(max) - i128::from(min)) as u64;
    let offset = match span.checked_add(1) {
        Some(n) => rng.below(n),
        None => rng.next_u64(),
    };
    (i128::from(min) + i128::from(offset)) as i64
}

/// `round(x/q)·q`, tidied (see [`lattice_value`]).
pub(super) fn quantize(x: f64, q: f64) -> f64 {
    tidy((x / q).round() * q)
}

/// A standard normal draw (Box-Muller), clamped to `±NORMAL_Z_MAX`.
pub(super) fn normal(rng: &mut SplitMix64) -> f64 {
    let u1 = 1.0 - rng.next_f64(); // (0, 1]: the logarithm stays finite
    let u2 = rng.next_f64();
    let z = (-2.0 * libm::log(u1)).sqrt() * libm::cos(std::f64::consts::TAU * u2);
    z.clamp(-NORMAL_Z_MAX, NORMAL_Z_MAX)
}
