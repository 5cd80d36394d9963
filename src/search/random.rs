//! `method: random`: every parameter drawn from its own stream, independent of the history.

use super::draw::{draw, param_stream};
use super::{Draw, Observation, Sampler};
use crate::spec::{ParamSet, Spec};

/// Independent random draws (W&B's `random`).
pub struct Random;

impl Sampler for Random {
    fn suggest(&self, spec: &Spec, combination: usize, _history: &[Observation]) -> Draw {
        Draw::blind(random_params(spec, combination))
    }
}

/// Trial `number`'s parameters as a random search draws them (also a bayes sweep's startup
/// draws, so its first trials equal a random sweep's).
pub(super) fn random_params(spec: &Spec, number: usize) -> ParamSet {
    ParamSet(
        spec.parameters
            .iter()
            .filter_map(|(name, p)| {
                let value = draw(p, &mut param_stream(spec.seed, number, name))?;
                Some((name.clone(), spec.canonical(name, value)))
            })
            .collect(),
    )
}
