//! The sweep file as serde reads it (every field optional, unknown fields refused), and the
//! errors found while validating it (`validate.rs` turns it into the checked types of the
//! parent module; `parameter.rs` checks each `parameters` entry).

use super::early_terminate::RawEarlyTerminate;
use super::*;

// ---------------------------------------------------------------------------------------
// The raw file, as serde reads it.

/// The top level of a sweep file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSpec {
    pub(super) name: String,
    pub(super) description: Option<String>,
    pub(super) method: Method,
    pub(super) metric: Option<RawMetric>,
    pub(super) run_cap: Option<usize>,
    pub(super) replicates: Option<usize>,
    pub(super) seed: Option<u64>,
    #[serde(default)]
    pub(super) parameters: BTreeMap<String, RawParam>,
    /// Required for the built-in model, optional for a program (checked in validation).
    pub(super) data: Option<RawData>,
    pub(super) training: Option<RawTraining>,
    pub(super) early_terminate: Option<RawEarlyTerminate>,
    /// W&B's `program`: the script, as written.
    pub(super) program: Option<String>,
    /// W&B's `command`: words (W&B `str()`s each, so numbers are words too).
    pub(super) command: Option<Vec<Value>>,
    pub(super) stdout_metrics: Option<bool>,
    pub(super) wandb: Option<bool>,
    pub(super) stop_grace: Option<RawNumber>,
    /// W&B-only: kept, not used.
    pub(super) project: Option<String>,
    /// W&B-only: kept, not used.
    pub(super) entity: Option<String>,
}

impl RawSpec {
    /// Whether the file runs the user's program (`program:` or `command:`).
    pub(super) fn is_program(&self) -> bool {
        self.program.is_some() || self.command.is_some()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMetric {
    pub(super) name: MetricName,
    pub(super) goal: Option<Goal>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawData {
    pub(super) train: Option<PathBuf>,
    pub(super) synthetic: Option<RawSynthetic>,
    pub(super) val_fraction: Option<f64>,
    pub(super) test: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSynthetic {
    pub(super) rows: u64,
    pub(super) seed: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTraining {
    pub(super) max_epochs: Option<usize>,
    pub(super) patience: Option<usize>,
}

/// One entry under `parameters`, every W&B field optional; validation picks the form.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawParam {
    pub(super) distribution: Option<Distribution>,
    pub(super) value: Option<Value>,
    pub(super) values: Option<Vec<Value>>,
    pub(super) min: Option<RawNumber>,
    pub(super) max: Option<RawNumber>,
    pub(super) q: Option<RawNumber>,
    pub(super) mu: Option<RawNumber>,
    pub(super) sigma: Option<RawNumber>,
}

/// A number as the file wrote it: whole (`1`, `!!int 1`) or real (`1.0`, `1e-3`,
/// `!!float 1`). W&B decides some things by which (`min: 1, max: 8` is `int_uniform`,
/// `min: 1.0` makes it `uniform`; an integer `q` gives integers).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum RawNumber {
    Int(i64),
    Float(f64),
}

impl RawNumber {
    pub(super) fn as_f64(self) -> f64 {
        match self {
            RawNumber::Int(i) => i as f64,
            RawNumber::Float(x) => x,
        }
    }

    pub(super) fn is_int(self) -> bool {
        matches!(self, RawNumber::Int(_))
    }
}

impl<'de> Deserialize<'de> for RawNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = RawNumber;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E>(self, v: i64) -> Result<RawNumber, E> {
                Ok(RawNumber::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<RawNumber, E> {
                Ok(i64::try_from(v).map_or(RawNumber::Float(v as f64), RawNumber::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<RawNumber, E> {
                Ok(RawNumber::Float(v))
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

/// The `distribution:` names we support.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Distribution {
    Constant,
    Categorical,
    Uniform,
    LogUniform,
    LogUniformValues,
    IntUniform,
    QUniform,
    QLogUniformValues,
    Normal,
    LogNormal,
}

impl Distribution {
    /// The name in the sweep file.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Distribution::Constant => "constant",
            Distribution::Categorical => "categorical",
            Distribution::Uniform => "uniform",
            Distribution::LogUniform => "log_uniform",
            Distribution::LogUniformValues => "log_uniform_values",
            Distribution::IntUniform => "int_uniform",
            Distribution::QUniform => "q_uniform",
            Distribution::QLogUniformValues => "q_log_uniform_values",
            Distribution::Normal => "normal",
            Distribution::LogNormal => "log_normal",
        }
    }

    /// The fields (besides `distribution`) this form takes.
    pub(super) fn fields(self) -> &'static [&'static str] {
        match self {
            Distribution::Constant => &["value"],
            Distribution::Categorical => &["values"],
            Distribution::QUniform | Distribution::QLogUniformValues => &["min", "max", "q"],
            Distribution::Normal | Distribution::LogNormal => &["mu", "sigma"],
            _ => &["min", "max"],
        }
    }
}

// ---------------------------------------------------------------------------------------
// Errors while validating: a key path and a message, given the file name at the end.

/// What is wrong, and where.
pub(super) struct Issue {
    pub(super) key: String,
    pub(super) message: String,
}

impl Issue {
    pub(super) fn at(self, origin: &str) -> SpecError {
        SpecError::Invalid {
            origin: origin.to_string(),
            key: self.key,
            message: self.message,
        }
    }
}

pub(super) fn issue(key: impl Into<String>, message: impl Into<String>) -> Issue {
    Issue {
        key: key.into(),
        message: message.into(),
    }
}

/// A serde_yaml error with the file name, and its line even where the message lacks it
/// (serde's "duplicate field" carries a location but does not print it).
pub(super) fn yaml_error(origin: &str, error: &serde_yaml::Error) -> SpecError {
    let line = error.location().map(|l| l.line());
    let mut message = error.to_string();
    if let Some(line) = line.filter(|_| !message.contains(" at line ")) {
        message.push_str(&format!(" at line {line}"));
    }
    SpecError::Yaml {
        origin: origin.to_string(),
        message,
        line,
    }
}

/// W&B top-level keys that have no meaning here, and why. (`project` and `entity` are read
/// and kept, not refused: [`Spec::wandb_only_keys`].)
const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "job",
        "is not supported: sweep runs `program` (or `command`) on this machine, not W&B Launch \
         jobs; use program: SCRIPT",
    ),
    (
        "image_uri",
        "is not supported: sweep runs `program` (or `command`) on this machine, not W&B Launch \
         images; use program: SCRIPT",
    ),
];

/// Refuse W&B features we do not have with a message of their own.
pub(super) fn check_foreign_keys(tree: &Value) -> Result<(), Issue> {
    let Value::Mapping(top) = tree else {
        return Err(issue(
            "top level",
            "a sweep file is a mapping of keys (name, method, parameters, data, ...)",
        ));
    };
    for (key, why) in UNSUPPORTED {
        if top.contains_key(*key) {
            return Err(issue(*key, format!("W&B's `{key}` {why}")));
        }
    }
    Ok(())
}
