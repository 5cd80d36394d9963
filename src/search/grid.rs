//! `method: grid`: every combination of the parameters' values, in odometer order.

use std::collections::BTreeMap;

use super::draw::{draw, param_stream};
use super::{Draw, Observation, Sampler};
use crate::spec::{ParamSet, Spec};

/// Every combination, in order (W&B's `grid`).
pub struct Grid;

impl Sampler for Grid {
    fn suggest(&self, spec: &Spec, combination: usize, _history: &[Observation]) -> Draw {
        Draw::blind(grid_point(spec, combination))
    }
}

/// Trial `number`'s grid point: an odometer over the parameters in name order, the last
/// name turning fastest.
fn grid_point(spec: &Spec, number: usize) -> ParamSet {
    let mut index = number.saturating_sub(1) as u64;
    let mut set = BTreeMap::new();
    for (name, p) in spec.parameters.iter().rev() {
        let value = match p.grid_len() {
            Some(len) if len > 0 => {
                let value = p.grid_value(index % len);
                index /= len;
                value
            }
            // Not finite: drawn as in a random search (the spec check refuses this).
            _ => draw(p, &mut param_stream(spec.seed, number, name)),
        };
        if let Some(value) = value {
            set.insert(name.clone(), spec.canonical(name, value));
        }
    }
    ParamSet(set)
}
