//! A trial's parameters: the names a sweep file uses, parsed and checked into the one
//! typed configuration the trainer takes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::choice::{Choice, choice_enum};
use crate::model::{FirstActivation, KernelInit, ModelConfig, Pooling};
use crate::spec::{ParamKind, ParamRules, ParamSet};

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
    /// A name that is not one of a choice parameter's values.
    #[error("parameter `{name}`: `{value}` is not one of {accepted}")]
    NotAChoice {
        /// The parameter.
        name: String,
        /// The value given.
        value: String,
        /// The accepted values.
        accepted: String,
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
    "optimizer",
    "momentum",
    "lr_decay",
    "kernel_init",
    "l2",
    "first_activation",
    "pooling",
    "rc_augment",
    "rc_average",
];

/// The kind of value parameter `name` takes; `None` for a name not in [`KNOWN`].
pub fn kind(name: &str) -> Option<ParamKind> {
    match name {
        "learning_rate" | "dropout_lstm" | "dropout_dense" | "momentum" | "lr_decay" | "l2" => {
            Some(ParamKind::Real)
        }
        "optimizer" | "kernel_init" | "first_activation" | "pooling" => Some(ParamKind::Choice),
        "rc_augment" | "rc_average" => Some(ParamKind::Flag),
        _ if KNOWN.contains(&name) => Some(ParamKind::Whole),
        _ => None,
    }
}

/// The values a choice or flag parameter accepts, comma-separated (for messages); `None` for
/// a numeric or unknown parameter.
pub fn accepted_values(name: &str) -> Option<String> {
    match name {
        "optimizer" => Some(Optimizer::names()),
        "kernel_init" => Some(KernelInit::names()),
        "first_activation" => Some(FirstActivation::names()),
        "pooling" => Some(Pooling::names()),
        "rc_augment" | "rc_average" => Some("true, false".to_string()),
        _ => None,
    }
}

choice_enum! {
    /// The optimizer that trains a trial.
    pub enum Optimizer {
        /// Adam with Keras' defaults (the reference).
        #[default]
        Adam => "adam",
        /// Stochastic gradient descent with (heavy-ball) momentum.
        Sgd => "sgd",
    }
}

/// SGD's momentum unless a trial names one (Keras' SGD defaults to none; 0.9 is the usual
/// choice when momentum is used at all).
pub const DEFAULT_MOMENTUM: f64 = 0.9;

/// The built-in model's parameters, as a sweep file is checked against them.
pub struct BuiltIn;

impl ParamRules for BuiltIn {
    fn kind(&self, name: &str) -> Option<ParamKind> {
        kind(name)
    }

    fn known(&self) -> &[&str] {
        KNOWN
    }

    fn accepted_values(&self, name: &str) -> Option<String> {
        accepted_values(name)
    }

    fn check(&self, name: &str, text: &str) -> Result<(), String> {
        TrialParams::default()
            .set(name, text)
            .map_err(|e| e.to_string())
    }
}

/// Whether parameter `name` takes whole numbers only (so a sweep may not draw it from a
/// continuous distribution).
pub fn is_whole_number(name: &str) -> bool {
    kind(name) == Some(ParamKind::Whole)
}

/// Everything about one trial that its parameters decide.
///
/// The fields after `model` are left out of the serialized form while they hold their
/// default, so that [`crate::train::trial_key`] of a trial that does not use them is what it
/// was before they existed, and its old checkpoints still resume.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrialParams {
    /// Sequences per optimizer step.
    pub batch_size: usize,
    /// The learning rate of the first epoch.
    pub learning_rate: f64,
    /// The network.
    pub model: ModelConfig,
    /// The optimizer.
    #[serde(default, skip_serializing_if = "is_default")]
    pub optimizer: Optimizer,
    /// SGD's momentum (unused by Adam).
    #[serde(
        default = "default_momentum",
        skip_serializing_if = "is_default_momentum"
    )]
    pub momentum: f64,
    /// Exponential decay of the learning rate per epoch: epoch e (1-based) trains at
    /// `learning_rate · lr_decay^(e-1)`; 1 keeps it constant.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub lr_decay: f64,
    /// L2 penalty on the conv and dense kernels: the training loss adds `l2 · Σ w²`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub l2: f64,
    /// Also train on the reverse complement of every training sequence (same expression).
    #[serde(default, skip_serializing_if = "is_default")]
    pub rc_augment: bool,
    /// Validate and predict with the mean of the predictions for a sequence and for its
    /// reverse complement.
    #[serde(default, skip_serializing_if = "is_default")]
    pub rc_average: bool,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

fn default_momentum() -> f64 {
    DEFAULT_MOMENTUM
}

fn is_default_momentum(value: &f64) -> bool {
    *value == DEFAULT_MOMENTUM
}

fn one() -> f64 {
    1.0
}

fn is_one(value: &f64) -> bool {
    *value == 1.0
}

impl Default for TrialParams {
    /// The reference's chosen point: batch 512, learning rate 0.003, its network, Adam, no
    /// decay, no L2 penalty, no reverse complements.
    fn default() -> Self {
        Self {
            batch_size: 512,
            learning_rate: 0.003,
            model: ModelConfig::default(),
            optimizer: Optimizer::default(),
            momentum: DEFAULT_MOMENTUM,
            lr_decay: 1.0,
            l2: 0.0,
            rc_augment: false,
            rc_average: false,
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

    /// The reference's defaults, overridden by a trial's parameters.
    pub fn from_set(set: &ParamSet) -> Result<TrialParams, ParamError> {
        let mut trial = TrialParams::default();
        for (name, value) in &set.0 {
            trial.set(name, &value.to_string())?;
        }
        Ok(trial)
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
            "optimizer" => self.optimizer = choice(name, value)?,
            "momentum" => self.momentum = probability(name, value)?,
            "lr_decay" => self.lr_decay = decay(name, value)?,
            "l2" => self.l2 = non_negative(name, value)?,
            "kernel_init" => m.kernel_init = choice(name, value)?,
            "first_activation" => m.first_activation = choice(name, value)?,
            "pooling" => m.pooling = choice(name, value)?,
            "rc_augment" => self.rc_augment = flag(name, value)?,
            "rc_average" => self.rc_average = flag(name, value)?,
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

fn non_negative(name: &str, value: &str) -> Result<f64, ParamError> {
    value
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| bad(name, value, "a number >= 0"))
}

fn decay(name: &str, value: &str) -> Result<f64, ParamError> {
    value
        .parse::<f64>()
        .ok()
        .filter(|v| *v > 0.0 && *v <= 1.0)
        .ok_or_else(|| bad(name, value, "a number in (0, 1] (1 = no decay)"))
}

fn flag(name: &str, value: &str) -> Result<bool, ParamError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad(name, value, "true or false")),
    }
}

fn choice<T: Choice>(name: &str, value: &str) -> Result<T, ParamError> {
    T::parse(value).ok_or_else(|| ParamError::NotAChoice {
        name: name.to_string(),
        value: value.to_string(),
        accepted: T::names(),
    })
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
    fn design_choices_parse() {
        let p = TrialParams::parse(
            "optimizer=sgd,momentum=0.5,lr_decay=0.9,kernel_init=he_normal,l2=1e-4,\
             first_activation=exp,pooling=concat_max_avg,rc_augment=true,rc_average=false",
        )
        .ok()
        .unwrap_or_default();
        assert_eq!(p.optimizer, Optimizer::Sgd);
        assert_eq!(p.momentum, 0.5);
        assert_eq!(p.lr_decay, 0.9);
        assert_eq!(p.l2, 1e-4);
        assert_eq!(p.model.kernel_init, KernelInit::HeNormal);
        assert_eq!(p.model.first_activation, FirstActivation::Exp);
        assert_eq!(p.model.pooling, Pooling::ConcatMaxAvg);
        assert!(p.rc_augment);
        assert!(!p.rc_average);
        let d = TrialParams::default();
        assert_eq!(d.optimizer, Optimizer::Adam);
        assert_eq!((d.momentum, d.lr_decay, d.l2), (0.9, 1.0, 0.0));
        assert_eq!(d.model.kernel_init, KernelInit::GlorotUniform);
        assert_eq!(d.model.first_activation, FirstActivation::Relu);
        assert_eq!(d.model.pooling, Pooling::None);
        assert!(!d.rc_augment && !d.rc_average);
    }

    #[test]
    fn default_choices_leave_the_serialized_form_unchanged() {
        // What trial_key (and so every existing checkpoint) saw before these choices existed.
        let before = concat!(
            r#"{"batch_size":512,"learning_rate":0.003,"model":{"seq_len":110,"#,
            r#""conv_channels":[256,256,64],"conv_kernels":[30,12,4],"lstm_units":32,"#,
            r#""dense_units":64,"dropout_lstm":0.1,"dropout_dense":0.2}}"#
        );
        let json = serde_json::to_string(&TrialParams::default()).unwrap_or_default();
        assert_eq!(json, before);
        let back: Option<TrialParams> = serde_json::from_str(before).ok();
        assert_eq!(back, Some(TrialParams::default()));
        let sgd = TrialParams::parse("optimizer=sgd,pooling=concat_max_avg,rc_average=true")
            .ok()
            .unwrap_or_default();
        let json = serde_json::to_string(&sgd).unwrap_or_default();
        assert!(json.contains(r#""optimizer":"sgd""#), "{json}");
        assert!(json.contains(r#""pooling":"concat_max_avg""#), "{json}");
        assert!(json.contains(r#""rc_average":true"#), "{json}");
        assert!(!json.contains("momentum"), "{json}");
        let back: Option<TrialParams> = serde_json::from_str(&json).ok();
        assert_eq!(back, Some(sgd));
    }

    #[test]
    fn bad_choices_list_the_accepted_values() {
        let message = |text: &str| match TrialParams::parse(text) {
            Err(e) => e.to_string(),
            Ok(_) => String::from("parsed"),
        };
        assert_eq!(
            message("optimizer=adamw"),
            "parameter `optimizer`: `adamw` is not one of adam, sgd"
        );
        assert!(message("pooling=max").contains("none, concat_max_avg"));
        assert!(message("kernel_init=he_uniform").contains("glorot_uniform, he_normal"));
        assert!(message("first_activation=Exp").contains("`first_activation`"));
        assert!(message("rc_augment=yes").contains("`rc_augment`: `yes` is not true or false"));
        assert!(message("lr_decay=0").contains("`lr_decay`"));
        assert!(message("lr_decay=1.5").contains("(0, 1]"));
        assert!(message("l2=-1").contains("`l2`"));
        assert!(message("momentum=1").contains("`momentum`"));
        assert_eq!(accepted_values("optimizer").as_deref(), Some("adam, sgd"));
        assert_eq!(
            accepted_values("rc_average").as_deref(),
            Some("true, false")
        );
        assert_eq!(accepted_values("l2"), None);
    }

    #[test]
    fn every_known_parameter_has_a_kind() {
        assert!(KNOWN.iter().all(|name| kind(name).is_some()));
        assert!(is_whole_number("batch_size"));
        assert!(is_whole_number("conv3_kernel"));
        assert!(!is_whole_number("dropout_lstm"));
        assert_eq!(kind("learning_rate"), Some(ParamKind::Real));
        assert_eq!(kind("lr"), None);
        assert_eq!(kind("optimizer"), Some(ParamKind::Choice));
        assert_eq!(kind("rc_augment"), Some(ParamKind::Flag));
        assert_eq!(kind("l2"), Some(ParamKind::Real));
        assert!(!is_whole_number("pooling"));
        let choices = KNOWN.iter().filter(|name| accepted_values(name).is_some());
        assert_eq!(choices.count(), 6);
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
