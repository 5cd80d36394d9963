//! A trial's parameters: the names a sweep file uses, parsed and checked into the one
//! typed configuration the trainer takes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::ModelConfig;

/// A parameter name or value the trainer cannot take. Bad user input: exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum ParamError {
    /// `--params` text that is not `name=value` pairs.
    #[error("`{item}` in --params is not `name=value`")]
    NotAPair {
        /// The offending comma-separated item.
        item: String,
    },
    /// A name the trainer does not know.
    #[error("unknown parameter `{name}`; known parameters: {}", KNOWN.join(", "))]
    Unknown {
        /// The unknown name.
        name: String,
    },
    /// A value of the wrong type or out of range.
    #[error("parameter `{name}`: `{value}` is not {expected}")]
    BadValue {
        /// The parameter.
        name: String,
        /// The value given.
        value: String,
        /// What the parameter takes.
        expected: &'static str,
    },
    /// The same parameter given twice.
    #[error("parameter `{name}` is given twice")]
    Repeated {
        /// The parameter.
        name: String,
    },
}

/// Every parameter name a trial takes, in the order `--help` lists them.
pub const KNOWN: &[&str] = &[
    "batch_size",
    "learning_rate",
    "lstm_units",
    "dense_units",
    "dropout_lstm",
    "dropout_dense",
    "conv1_filters",
    "conv2_filters",
    "conv3_filters",
    "conv1_kernel",
    "conv2_kernel",
    "conv3_kernel",
];

/// What kind of number a parameter takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// A whole number (sizes, counts).
    Whole,
    /// A real number (rates, probabilities).
    Real,
}

/// The kind of number parameter `name` takes; `None` for a name not in [`KNOWN`].
pub fn kind(name: &str) -> Option<ParamKind> {
    match name {
        "learning_rate" | "dropout_lstm" | "dropout_dense" => Some(ParamKind::Real),
        _ if KNOWN.contains(&name) => Some(ParamKind::Whole),
        _ => None,
    }
}

/// Whether parameter `name` takes whole numbers only (so a sweep may not draw it from a
/// continuous distribution).
pub fn is_whole_number(name: &str) -> bool {
    kind(name) == Some(ParamKind::Whole)
}

/// Everything about one trial that its parameters decide.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrialParams {
    /// Sequences per optimizer step.
    pub batch_size: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// The network.
    pub model: ModelConfig,
}

impl Default for TrialParams {
    /// The reference's chosen point: batch 512, learning rate 0.003 and its network.
    fn default() -> Self {
        Self {
            batch_size: 512,
            learning_rate: 0.003,
            model: ModelConfig::default(),
        }
    }
}

impl TrialParams {
    /// Parse `name=value,name=value`; unnamed parameters keep the reference's values.
    pub fn parse(text: &str) -> Result<TrialParams, ParamError> {
        let mut pairs = BTreeMap::new();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, value) = item.split_once('=').ok_or_else(|| ParamError::NotAPair {
                item: item.to_string(),
            })?;
            let name = name.trim();
            if pairs
                .insert(name.to_string(), value.trim().to_string())
                .is_some()
            {
                return Err(ParamError::Repeated {
                    name: name.to_string(),
                });
            }
        }
        let mut params = TrialParams::default();
        for (name, value) in &pairs {
            params.set(name, value)?;
        }
        Ok(params)
    }

    /// Set one parameter from its text form.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), ParamError> {
        let m = &mut self.model;
        match name {
            "batch_size" => self.batch_size = positive(name, value)?,
            "learning_rate" => self.learning_rate = positive_real(name, value)?,
            "lstm_units" => m.lstm_units = positive(name, value)?,
            "dense_units" => m.dense_units = positive(name, value)?,
            "dropout_lstm" => m.dropout_lstm = probability(name, value)?,
            "dropout_dense" => m.dropout_dense = probability(name, value)?,
            "conv1_filters" => m.conv_channels[0] = positive(name, value)?,
            "conv2_filters" => m.conv_channels[1] = positive(name, value)?,
            "conv3_filters" => m.conv_channels[2] = positive(name, value)?,
            "conv1_kernel" => m.conv_kernels[0] = positive(name, value)?,
            "conv2_kernel" => m.conv_kernels[1] = positive(name, value)?,
            "conv3_kernel" => m.conv_kernels[2] = positive(name, value)?,
            _ => {
                return Err(ParamError::Unknown {
                    name: name.to_string(),
                });
            }
        }
        Ok(())
    }
}

fn bad(name: &str, value: &str, expected: &'static str) -> ParamError {
    ParamError::BadValue {
        name: name.to_string(),
        value: value.to_string(),
        expected,
    }
}

fn positive(name: &str, value: &str) -> Result<usize, ParamError> {
    value
        .parse::<usize>()
        .ok()
        .filter(|&v| v > 0)
        .ok_or_else(|| bad(name, value, "a positive whole number"))
}

fn positive_real(name: &str, value: &str) -> Result<f64, ParamError> {
    value
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
        .ok_or_else(|| bad(name, value, "a positive number"))
}

fn probability(name: &str, value: &str) -> Result<f64, ParamError> {
    value
        .parse::<f64>()
        .ok()
        .filter(|v| (0.0..1.0).contains(v))
        .ok_or_else(|| bad(name, value, "a number in [0, 1)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_text_is_the_reference_point() {
        assert_eq!(TrialParams::parse("").ok(), Some(TrialParams::default()));
    }

    #[test]
    fn named_values_are_set() {
        let p = TrialParams::parse("batch_size=64, learning_rate=1e-3,lstm_units=8,conv1_kernel=9")
            .ok()
            .unwrap_or_default();
        assert_eq!(p.batch_size, 64);
        assert_eq!(p.learning_rate, 0.001);
        assert_eq!(p.model.lstm_units, 8);
        assert_eq!(p.model.conv_kernels, [9, 12, 4]);
    }

    #[test]
    fn every_known_parameter_has_a_kind() {
        assert!(KNOWN.iter().all(|name| kind(name).is_some()));
        assert!(is_whole_number("batch_size"));
        assert!(is_whole_number("conv3_kernel"));
        assert!(!is_whole_number("dropout_lstm"));
        assert_eq!(kind("learning_rate"), Some(ParamKind::Real));
        assert_eq!(kind("lr"), None);
    }

    #[test]
    fn errors_name_the_parameter() {
        let message = |text: &str| match TrialParams::parse(text) {
            Err(e) => e.to_string(),
            Ok(_) => String::from("parsed"),
        };
        assert!(message("lstm_unit=8").contains("unknown parameter `lstm_unit`"));
        assert!(message("batch_size=abc").contains("`batch_size`: `abc` is not a positive"));
        assert!(message("dropout_dense=1.5").contains("`dropout_dense`"));
        assert!(message("batch_size").contains("not `name=value`"));
        assert!(message("batch_size=1,batch_size=2").contains("given twice"));
        assert!(message("learning_rate=nan").contains("`learning_rate`"));
    }
}
