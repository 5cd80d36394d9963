//! How a sweep chooses its trials: one [`Sampler`] per method (`grid.rs`, `random.rs`,
//! `tpe/`), the random draws they share (`draw.rs`), and the Hyperband/ASHA rule that stops
//! poor trials at rungs (`hyperband.rs`). Nothing here reads or writes the store: samplers see
//! the sweep's other trials as a list of [`Observation`]s that the caller takes from it.
//!
//! Same spec, same list, in the same order, every time and on every machine: nothing here
//! reads the clock, the environment or `rand` (whose streams may change between releases);
//! every random choice comes from the project's own SplitMix64 and every transcendental
//! function from `libm` (a pure-Rust libm, so `exp`/`ln` give the same bits everywhere).
//!
//! **Grid order.** Parameters are taken in name order, the last name varying fastest (an
//! odometer). Each parameter's values come in the order the file lists them; `int_uniform`
//! gives `min..=max` ascending and `q_uniform` gives `min, min+q, min+2q, … ≤ max`.
//! Constants take part in every trial. `run_cap`, if given, keeps the first `run_cap` points.
//! A continuous parameter in a grid (which [`Spec::parse`] refuses) would be drawn as in a
//! random search, so [`plan`] is total even on a hand-built spec.
//!
//! **Planned or drawn.** Grid and random sweeps plan every trial when the sweep is created
//! ([`plan`]); a bayes sweep draws each trial when a worker claims it, from the trials
//! finished by then ([`Sampler::draws_when_claimed`]).
//!
//! **Random draws.** Trial `n`'s value of parameter `p` comes from its own SplitMix64
//! stream, seeded by a mix of (sweep seed, `n`, xxh3 of `p`'s name): adding, removing or
//! renaming one parameter never changes another's draws. Categorical values are a uniform
//! choice; `int_uniform` is inclusive of both ends; real draws keep full precision and lie
//! in `[lo, hi)` (the upper bound of a continuous range is never drawn, so `dropout: uniform
//! 0..1` never gives the 1 the trainer rejects). `q_uniform` rounds a uniform draw to the
//! nearest lattice point `min + k·q` within `[min, max]` (W&B's `round(U/q)·q` when `min`
//! is a multiple of `q`), so random and grid see the same values. Normal draws use
//! Box-Muller, with `|z|` at most [`NORMAL_Z_MAX`](crate::spec::NORMAL_Z_MAX) (the largest
//! a 53-bit uniform can give).
//!
//! **Seeds.** A trial's training seed is [`trial_seed`]`(sweep seed, n)`, for every method.
//!
//! **Replicates.** With `replicates: K` each parameter combination is trained K times, with
//! different seeds. Trial numbers stay `1..=N` (N = combinations × K); trial `n` is replicate
//! `r = (n-1) % K + 1` of combination `c = (n-1) / K + 1`, so a combination's replicates are
//! adjacent and a sweep stopped early leaves whole groups. Parameters are a function of
//! (sweep seed, `c`): the grid point and the random draws above use `c` where they used the
//! trial number. The training seed stays `trial_seed(sweep seed, n)`. With K = 1, `c = n`:
//! exactly the trials of a sweep without replicates.

mod draw;
mod grid;
pub mod hyperband;
mod random;
#[cfg(test)]
mod tests;
pub mod tpe;

use serde::{Deserialize, Serialize};

use crate::seeds::combine;
use crate::spec::{Method, ParamSet, Spec};
pub use hyperband::Pruner;

/// Tag that keeps the trial-seed stream apart from the parameter draws (an arbitrary fixed
/// word: changing it changes every trial of every sweep).
const TRIAL_SEED_TAG: u64 = 0x7472_6961_6c5f_7365; // "trial_se"

/// How a sweep chooses each trial's parameters: one implementation per method, chosen by
/// [`sampler`]. A new method is one new file with one `impl Sampler`.
pub trait Sampler: Sync {
    /// The parameters of combination `combination` (the trial number when there are no
    /// replicates), given what the store holds of the sweep's other trials (`history`; grid
    /// and random ignore it). Same inputs, same draw: no I/O, no clock.
    fn suggest(&self, spec: &Spec, combination: usize, history: &[Observation]) -> Draw;

    /// Whether trials are drawn when a worker claims them, from the trials finished by then,
    /// rather than all planned when the sweep is created.
    fn draws_when_claimed(&self) -> bool {
        false
    }
}

/// The sampler of `method`.
pub fn sampler(method: Method) -> &'static dyn Sampler {
    match method {
        Method::Grid => &grid::Grid,
        Method::Random => &random::Random,
        Method::Bayes => &tpe::Tpe,
    }
}

/// What the store knows of one trial of the sweep when a new one is drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    /// The trial's number.
    pub number: usize,
    /// Its parameters.
    pub params: ParamSet,
    /// How far it got.
    pub status: Observed,
}

/// A trial's status as a sampler uses it (an enum, so more states can be added).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Observed {
    /// Trained to its end with this best metric.
    Finished(f64),
    /// Pending, running or interrupted: its result is not known yet (a "liar").
    Running,
    /// Failed, or finished without a metric: ignored.
    Failed,
    /// Stopped at a rung by `early_terminate`: its metric is from fewer epochs than a
    /// finished trial's, so it is not ranked with them; it always joins the bad group (as
    /// Optuna ranks pruned trials below complete ones).
    Pruned,
}

/// Whether a trial was a startup (random) draw or a TPE draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrawKind {
    /// Drawn as `method: random` draws it.
    Startup,
    /// Drawn from the TPE model.
    Tpe,
}

impl DrawKind {
    /// The short name displays use.
    pub fn as_str(self) -> &'static str {
        match self {
            DrawKind::Startup => "startup",
            DrawKind::Tpe => "tpe",
        }
    }
}

/// What the sampler knew when it drew a trial: stored with the trial as JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampledFrom {
    /// Startup or TPE draw.
    pub draw: DrawKind,
    /// Finished trials with a metric: (number, metric), by number.
    pub finished: Vec<(usize, f64)>,
    /// Trials not finished, counted as liars in the bad group.
    pub running: Vec<usize>,
    /// Trials pruned by `early_terminate`, also in the bad group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pruned: Vec<usize>,
}

impl SampledFrom {
    /// The JSON stored in the trial's `sampled_from` column.
    pub fn to_json(&self) -> String {
        // Plain numbers and strings: serializing cannot fail (NaN never gets here).
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Read a stored `sampled_from`; `None` when it is not one.
    pub fn from_json(text: &str) -> Option<SampledFrom> {
        serde_json::from_str(text).ok()
    }
}

/// A drawn trial: its parameters and, for a sampler that learns from the history, what it
/// knew.
#[derive(Clone, Debug, PartialEq)]
pub struct Draw {
    /// The parameters, canonical ([`Spec::canonical`]).
    pub params: ParamSet,
    /// What the draw was based on; `None` for grid and random, which look at nothing.
    pub sampled_from: Option<SampledFrom>,
}

impl Draw {
    /// A draw that looked at no other trial.
    fn blind(params: ParamSet) -> Draw {
        Draw {
            params,
            sampled_from: None,
        }
    }
}

/// One trial of a sweep, as planned before anything runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedTrial {
    /// 1-based position in the sweep.
    pub number: usize,
    /// 1-based parameter combination it replicates (its `number` when `replicates` is 1).
    pub combination: usize,
    /// The training seed ([`trial_seed`]).
    pub seed: u64,
    /// The parameters, canonical.
    pub params: ParamSet,
}

/// Every trial of the sweep, in order (see the module documentation for the order and
/// the draws). Same spec => same list, every time, on every machine. A bayes sweep draws its
/// trials when workers claim them ([`tpe`]); its plan is the list it would draw if no
/// trial ever finished: every trial a startup draw, as in a random sweep.
pub fn plan(spec: &Spec) -> Vec<PlannedTrial> {
    let replicates = spec.replicates.max(1);
    let sampler = sampler(spec.method);
    (1..=spec.combination_count())
        .flat_map(|combination| {
            let params = sampler.suggest(spec, combination, &[]).params;
            (1..=replicates).map(move |replicate| {
                let number = (combination - 1) * replicates + replicate;
                PlannedTrial {
                    number,
                    combination,
                    seed: trial_seed(spec.seed, number),
                    params: params.clone(),
                }
            })
        })
        .collect()
}

/// A trial's training seed: a pure function of (sweep seed, trial number), well mixed,
/// so neighbouring trials and neighbouring sweep seeds get unrelated seeds.
pub fn trial_seed(sweep_seed: u64, number: usize) -> u64 {
    combine(combine(sweep_seed, TRIAL_SEED_TAG), number as u64)
}
