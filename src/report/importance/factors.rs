//! The factors of an analysis: each swept parameter's values as levels (a numeric parameter with
//! many values cut into quantile bins), and the strata a permutation test shuffles within.

use super::*;

/// One swept parameter: its levels and each observation's level.
pub(super) struct Factor {
    /// The parameter.
    pub(super) name: String,
    /// Each level's label (a value, or a bin's range).
    pub(super) labels: Vec<String>,
    /// Each observation's level.
    pub(super) of: Vec<usize>,
    /// The number of quantile bins, when the values were binned.
    pub(super) bins: Option<usize>,
}

/// Every parameter with more than one value among the observations, name order.
pub(super) fn swept_factors(observations: &[Observation]) -> Vec<Factor> {
    let names: BTreeSet<&String> = observations.iter().flat_map(|o| o.params.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| {
            let values: Vec<Option<&Value>> =
                observations.iter().map(|o| o.params.get(name)).collect();
            factor(name, &values)
        })
        .collect()
}

/// The factor of one parameter, `None` when it takes a single value.
pub(super) fn factor(name: &str, values: &[Option<&Value>]) -> Option<Factor> {
    let numbers: Option<Vec<f64>> = values.iter().map(|v| v.and_then(Value::as_f64)).collect();
    let distinct: BTreeSet<String> = values.iter().map(|v| value_text(*v)).collect();
    if distinct.len() < 2 {
        return None;
    }
    if let Some(numbers) = numbers {
        if distinct.len() > MAX_LEVELS {
            return Some(binned(name, &numbers));
        }
        return Some(numeric_levels(name, &numbers, values));
    }
    // Text, booleans or a mix: levels in text order.
    let labels: Vec<String> = distinct.into_iter().collect();
    let of = values
        .iter()
        .map(|v| {
            let text = value_text(*v);
            labels.iter().position(|l| *l == text).unwrap_or(0)
        })
        .collect();
    Some(Factor {
        name: name.to_string(),
        labels,
        of,
        bins: None,
    })
}

/// A value as the output shows it; `(unset)` where a trial lacks the parameter.
pub(super) fn value_text(value: Option<&Value>) -> String {
    value.map_or_else(|| "(unset)".to_string(), param_exact)
}

/// Levels of a numeric parameter in numeric order.
pub(super) fn numeric_levels(name: &str, numbers: &[f64], values: &[Option<&Value>]) -> Factor {
    let mut sorted: Vec<(f64, String)> = numbers
        .iter()
        .zip(values)
        .map(|(&x, v)| (x, value_text(*v)))
        .collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    sorted.dedup_by(|a, b| a.1 == b.1);
    let labels: Vec<String> = sorted.into_iter().map(|(_, l)| l).collect();
    let of = values
        .iter()
        .map(|v| {
            let text = value_text(*v);
            labels.iter().position(|l| *l == text).unwrap_or(0)
        })
        .collect();
    Factor {
        name: name.to_string(),
        labels,
        of,
        bins: None,
    }
}

/// [`BINS`] quantile bins by rank (equal values share a bin), labelled `lo–hi`.
pub(super) fn binned(name: &str, numbers: &[f64]) -> Factor {
    let mut order: Vec<usize> = (0..numbers.len()).collect();
    order.sort_by(|&a, &b| numbers[a].total_cmp(&numbers[b]));
    let mut of = vec![0; numbers.len()];
    let mut bounds: Vec<(f64, f64)> = Vec::new();
    let mut bin = 0;
    for (rank, &i) in order.iter().enumerate() {
        let target = rank * BINS / numbers.len();
        let tied = rank > 0 && numbers[order[rank - 1]] == numbers[i];
        if target > bin && !tied {
            bin = target;
        }
        of[i] = bin;
        match bounds.get_mut(bin) {
            Some(b) => b.1 = numbers[i],
            None => {
                bounds.resize(bin, (f64::NAN, f64::NAN));
                bounds.push((numbers[i], numbers[i]));
            }
        }
    }
    // Renumber the bins actually used (ties may skip one), keeping their order.
    let used: Vec<usize> = (0..bounds.len()).filter(|&b| of.contains(&b)).collect();
    let of = of
        .iter()
        .map(|b| used.iter().position(|u| u == b).unwrap_or(0))
        .collect();
    let labels = used
        .iter()
        .map(|&b| {
            let (lo, hi) = bounds[b];
            format!("{}–{}", significant(lo), significant(hi))
        })
        .collect();
    Factor {
        name: name.to_string(),
        labels,
        of,
        bins: Some(used.len()),
    }
}

/// Each observation's stratum (a setting of every other factor) and how many strata hold
/// two or more levels of `factor`.
pub(super) fn strata_of(factor: &Factor, all: &[Factor]) -> (Vec<usize>, usize) {
    let others: Vec<&Factor> = all.iter().filter(|f| f.name != factor.name).collect();
    let mut ids: BTreeMap<Vec<usize>, usize> = BTreeMap::new();
    let strata: Vec<usize> = (0..factor.of.len())
        .map(|i| {
            let key: Vec<usize> = others.iter().map(|f| f.of[i]).collect();
            let next = ids.len();
            *ids.entry(key).or_insert(next)
        })
        .collect();
    let mut levels: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for (&s, &l) in strata.iter().zip(&factor.of) {
        levels.entry(s).or_default().insert(l);
    }
    let informative = levels.values().filter(|l| l.len() >= 2).count();
    (strata, informative)
}
