//! The sweep file: read strictly, validated into a [`Spec`].
//!
//! The file is a subset of the Weights & Biases sweep schema (DESIGN.md), so users can
//! bring theirs. Reading has two layers (STYLE.md P5): serde reads the YAML into raw
//! structs whose fields are all optional and which all `deny_unknown_fields`, so a typo
//! such as `mx:` fails with the key path and line serde_yaml gives; then validation turns
//! the raw structs into the checked types below, naming the key path of anything wrong.
//! Every parameter value is checked by the trainer's own rules
//! ([`TrialParams::set`](crate::train::TrialParams::set)).
//! Only this module names the YAML crate (serde_yaml 0.9 is deprecated upstream).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_yaml::Value;

use crate::search::ParamValue;
use crate::train::params::{self, KNOWN};
use crate::train::{EpochMetrics, TrainSettings};

/// The most trials one sweep may plan (a guard against a grid of 10^12 points).
pub const MAX_TRIALS: usize = 1_000_000;
/// The longest sweep name.
pub const MAX_NAME_LEN: usize = 64;
/// The largest `|z|` a normal draw takes: Box-Muller with a 53-bit uniform cannot exceed
/// `sqrt(-2 ln 2^-53)` ≈ 8.57, and draws are clamped here, so checking `mu ± 8.6·sigma`
/// against the trainer's ranges checks every value a normal can produce.
pub const NORMAL_Z_MAX: f64 = 8.6;

/// A sweep file that cannot be used. Bad user input: exit code 2. Every message names
/// the file and the key path at fault (and the line, where the YAML parser gives one).
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The file could not be read.
    #[error("cannot read sweep file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Not YAML, or YAML of the wrong shape (an unknown key, a value of the wrong type).
    #[error("{origin}: {message}")]
    Yaml {
        /// The file.
        origin: String,
        /// The parser's message, with its key path and line.
        message: String,
        /// 1-based line, where the parser gives one.
        line: Option<usize>,
    },
    /// Well-formed YAML whose content is not a valid sweep.
    #[error("{origin}: {key}: {message}")]
    Invalid {
        /// The file.
        origin: String,
        /// Key path, e.g. `parameters.learning_rate.max`.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A sweep name that cannot be a folder name (from a file or the command line).
    #[error("invalid sweep name `{name}`: {reason}")]
    BadName {
        /// The name given.
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },
}

/// A validated sweep specification.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Spec {
    /// Unique sweep name; also its folder under `runs/`.
    pub name: SweepName,
    /// Free text; not part of the [`Spec::fingerprint`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How trials are chosen.
    pub method: Method,
    /// What ranks trials.
    pub metric: Metric,
    /// Most trials to run (required for random; caps a grid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_cap: Option<usize>,
    /// Every random choice of the sweep derives from it (default 0).
    pub seed: u64,
    /// Parameter name => how its values are chosen, name-sorted.
    pub parameters: BTreeMap<String, ParamSpec>,
    /// The data every trial trains on.
    pub data: DataSpec,
    /// How long each trial trains.
    pub training: TrainingSpec,
}

impl Spec {
    /// Read and parse a file. Returns the spec and the file's text.
    pub fn load(path: &Path) -> Result<(Spec, String), SpecError> {
        let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let spec = Spec::parse(&text, &path.display().to_string())?;
        Ok((spec, text))
    }

    /// Parse text; `origin` (a file name) prefixes every message.
    pub fn parse(text: &str, origin: &str) -> Result<Spec, SpecError> {
        // A first pass into a YAML tree: real syntax errors (and duplicate keys, which
        // serde would let overwrite each other in a map) come with their line, and the
        // W&B keys we do not support get their own message rather than "unknown field".
        let tree: Value = serde_yaml::from_str(text).map_err(|e| yaml_error(origin, &e))?;
        check_foreign_keys(&tree).map_err(|issue| issue.at(origin))?;
        let raw: RawSpec = serde_yaml::from_str(text).map_err(|e| yaml_error(origin, &e))?;
        raw.validate().map_err(|issue| issue.at(origin))
    }

    /// 16 hex digits (xxh3) of a canonical serialization of the validated spec: unchanged
    /// by comments, whitespace, key order or number spelling (`3e6` vs `3000000`), changed
    /// by anything that changes trials (and by the name, metric, data and training).
    /// `description` is left out. Optional fields are left out when absent, so adding one
    /// to a later version does not change the fingerprint of existing sweeps.
    pub fn fingerprint(&self) -> String {
        let canonical = match serde_json::to_value(self) {
            Ok(mut value) => {
                if let Some(object) = value.as_object_mut() {
                    object.remove("description");
                }
                value.to_string()
            }
            // Unreachable (string keys, finite numbers); Debug is deterministic too.
            Err(_) => format!("{self:?}"),
        };
        format!("{:016x}", xxhash_rust::xxh3::xxh3_64(canonical.as_bytes()))
    }

    /// Number of trials the search will produce (grid: the product of the parameters'
    /// value counts, capped by `run_cap`; random: `run_cap`).
    pub fn trial_count(&self) -> usize {
        match self.method {
            Method::Grid => {
                let points = usize::try_from(self.grid_size()).unwrap_or(usize::MAX);
                self.run_cap.map_or(points, |cap| points.min(cap))
            }
            Method::Random => self.run_cap.unwrap_or(0),
        }
    }

    /// Points of the full grid (a continuous parameter counts once), saturating.
    fn grid_size(&self) -> u128 {
        self.parameters
            .values()
            .map(|p| u128::from(p.grid_len().unwrap_or(1)))
            .fold(1u128, u128::saturating_mul)
    }

    /// The trainer's settings for one trial of this sweep.
    pub fn train_settings(&self, trial_seed: u64) -> TrainSettings {
        TrainSettings {
            max_epochs: self.training.max_epochs,
            patience: self.training.patience,
            seed: trial_seed,
            val_fraction: self.data.val_fraction,
        }
    }
}

/// How a sweep chooses its trials.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Every combination of the parameters' values.
    Grid,
    /// `run_cap` independent random draws.
    Random,
}

impl Method {
    /// The name the sweep file uses.
    pub fn as_str(&self) -> &'static str {
        match self {
            Method::Grid => "grid",
            Method::Random => "random",
        }
    }
}

/// What ranks a sweep's trials, and which way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Metric {
    /// The epoch metric.
    pub name: MetricName,
    /// Whether larger or smaller is better.
    pub goal: Goal,
}

impl Default for Metric {
    /// Validation R², maximized (what the reference's early stopping watched).
    fn default() -> Self {
        Metric {
            name: MetricName::ValR2,
            goal: Goal::Maximize,
        }
    }
}

/// An epoch metric a sweep can rank by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetricName {
    /// Validation R².
    #[serde(rename = "val_r2")]
    ValR2,
    /// Validation MSE.
    #[serde(rename = "val_loss")]
    ValLoss,
    /// Validation Pearson r.
    #[serde(rename = "val_pearson")]
    ValPearson,
    /// Validation Spearman ρ.
    #[serde(rename = "val_spearman")]
    ValSpearman,
    /// Training loss.
    #[serde(rename = "train_loss")]
    TrainLoss,
}

impl MetricName {
    /// Every metric, in the order messages list them.
    pub const ALL: [MetricName; 5] = [
        MetricName::ValR2,
        MetricName::ValLoss,
        MetricName::ValPearson,
        MetricName::ValSpearman,
        MetricName::TrainLoss,
    ];

    /// The name the sweep file and [`EpochMetrics`] use.
    pub fn as_str(&self) -> &'static str {
        match self {
            MetricName::ValR2 => "val_r2",
            MetricName::ValLoss => "val_loss",
            MetricName::ValPearson => "val_pearson",
            MetricName::ValSpearman => "val_spearman",
            MetricName::TrainLoss => "train_loss",
        }
    }

    /// This metric's value in an epoch.
    pub fn value(&self, m: &EpochMetrics) -> f64 {
        match self {
            MetricName::ValR2 => m.val_r2,
            MetricName::ValLoss => m.val_loss,
            MetricName::ValPearson => m.val_pearson,
            MetricName::ValSpearman => m.val_spearman,
            MetricName::TrainLoss => m.train_loss,
        }
    }

    /// The goal when the file names none: maximize correlations, minimize losses.
    pub fn default_goal(&self) -> Goal {
        match self {
            MetricName::ValLoss | MetricName::TrainLoss => Goal::Minimize,
            _ => Goal::Maximize,
        }
    }
}

impl FromStr for MetricName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MetricName::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| format!("unknown metric `{s}`; known metrics: {}", metric_names()))
    }
}

impl fmt::Display for MetricName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The known metric names, comma-separated.
fn metric_names() -> String {
    MetricName::ALL.map(|m| m.as_str()).join(", ")
}

/// Which way a metric improves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// Larger is better.
    Maximize,
    /// Smaller is better.
    Minimize,
}

impl Goal {
    /// The name the sweep file uses.
    pub fn as_str(&self) -> &'static str {
        match self {
            Goal::Maximize => "maximize",
            Goal::Minimize => "minimize",
        }
    }

    /// The goal a stored name stands for.
    pub fn parse(name: &str) -> Option<Goal> {
        [Goal::Maximize, Goal::Minimize]
            .into_iter()
            .find(|g| g.as_str() == name)
    }

    /// Whether `a` is strictly better than `b`. NaN is worse than any number (so a
    /// running best may start at NaN) and never better than anything.
    pub fn better(&self, a: f64, b: f64) -> bool {
        match (a.is_nan(), b.is_nan()) {
            (true, _) => false,
            (false, true) => true,
            _ => match self {
                Goal::Maximize => a > b,
                Goal::Minimize => a < b,
            },
        }
    }
}

impl fmt::Display for Goal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A sweep name: ASCII letters, digits, `-` and `_`, starting with a letter or digit, at
/// most [`MAX_NAME_LEN`] characters. It becomes a folder name, so it can never hold a
/// path separator or be `.`/`..`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct SweepName(String);

impl SweepName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for SweepName {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match name_problem(s) {
            None => Ok(SweepName(s.to_string())),
            Some(reason) => Err(SpecError::BadName {
                name: s.to_string(),
                reason,
            }),
        }
    }
}

impl fmt::Display for SweepName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why `s` cannot be a sweep name, if it cannot.
fn name_problem(s: &str) -> Option<&'static str> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    match s.chars().next() {
        None => Some("it is empty"),
        _ if s.len() > MAX_NAME_LEN => Some("it is longer than 64 characters"),
        Some(c) if !c.is_ascii_alphanumeric() => Some("it must start with a letter or digit"),
        _ if !s.chars().all(allowed) => Some("use only letters, digits, `-` and `_`"),
        _ => None,
    }
}

/// The data every trial of a sweep trains on.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DataSpec {
    /// Where the rows come from.
    pub source: DataSource,
    /// Share held out for validation, in (0, 1) (default 0.1).
    pub val_fraction: f64,
}

/// Where a sweep's rows come from.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataSource {
    /// A DREAM-format file (`train: PATH`), as written in the sweep file.
    File(PathBuf),
    /// Synthetic DREAM-format rows (`synthetic: {rows, seed}`).
    Synthetic {
        /// Number of rows.
        rows: u64,
        /// The generator's seed (default 0).
        seed: u64,
    },
}

/// How long each trial trains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TrainingSpec {
    /// At most this many epochs (default 200).
    pub max_epochs: usize,
    /// Stop after this many epochs without a better validation R² (default 20).
    pub patience: usize,
}

impl Default for TrainingSpec {
    /// The reference's: at most 200 epochs, patience 20.
    fn default() -> Self {
        TrainingSpec {
            max_epochs: 200,
            patience: 20,
        }
    }
}

/// How one parameter's values are chosen (W&B's forms), validated.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamSpec {
    /// `{value: V}`: the same value in every trial.
    Constant(ParamValue),
    /// `{values: [..]}`: one of a list (non-empty, no repeats, in the file's order).
    Categorical(Vec<ParamValue>),
    /// Uniform real in `[min, max)`.
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// `exp(U(min, max))`: W&B's `log_uniform`, whose bounds are natural-log exponents.
    LogUniform {
        /// Lower exponent.
        min: f64,
        /// Upper exponent.
        max: f64,
    },
    /// `exp(U(ln min, ln max))`: uniform in the logarithm between two values > 0.
    LogUniformValues {
        /// Lower bound (> 0).
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// A whole number in `min..=max`.
    IntUniform {
        /// Lowest value.
        min: i64,
        /// Highest value.
        max: i64,
    },
    /// The lattice `min + k·q` within `[min, max]`.
    QUniform {
        /// First lattice point.
        min: f64,
        /// Upper bound.
        max: f64,
        /// Step (> 0).
        q: f64,
    },
    /// `round(exp(U(ln min, ln max)) / q)·q`.
    QLogUniformValues {
        /// Lower bound (> 0).
        min: f64,
        /// Upper bound.
        max: f64,
        /// Step (> 0).
        q: f64,
    },
    /// Normal with mean `mu` and deviation `sigma`.
    Normal {
        /// Mean.
        mu: f64,
        /// Standard deviation (≥ 0).
        sigma: f64,
    },
    /// `exp(N(mu, sigma))`.
    LogNormal {
        /// Mean of the logarithm.
        mu: f64,
        /// Standard deviation of the logarithm (≥ 0).
        sigma: f64,
    },
}

impl ParamSpec {
    /// Number of values a grid enumerates, or `None` for a continuous distribution.
    pub fn grid_len(&self) -> Option<u64> {
        match *self {
            ParamSpec::Constant(_) => Some(1),
            ParamSpec::Categorical(ref values) => u64::try_from(values.len()).ok(),
            ParamSpec::IntUniform { min, max } => {
                u64::try_from(i128::from(max) - i128::from(min) + 1).ok()
            }
            ParamSpec::QUniform { min, max, q } => Some(lattice_len(min, max, q)),
            _ => None,
        }
    }

    /// The grid's `index`-th value (0-based, in grid order), or `None` past the end or
    /// for a continuous distribution.
    pub fn grid_value(&self, index: u64) -> Option<ParamValue> {
        if index >= self.grid_len()? {
            return None;
        }
        match *self {
            ParamSpec::Constant(ref v) => Some(v.clone()),
            ParamSpec::Categorical(ref values) => values.get(usize::try_from(index).ok()?).cloned(),
            ParamSpec::IntUniform { min, .. } => i64::try_from(i128::from(min) + i128::from(index))
                .ok()
                .map(ParamValue::Int),
            ParamSpec::QUniform { min, q, .. } => {
                Some(ParamValue::Float(lattice_value(min, q, index)))
            }
            _ => None,
        }
    }

    /// The distribution's name in the sweep file.
    pub fn distribution(&self) -> &'static str {
        match self {
            ParamSpec::Constant(_) => "constant",
            ParamSpec::Categorical(_) => "categorical",
            ParamSpec::Uniform { .. } => "uniform",
            ParamSpec::LogUniform { .. } => "log_uniform",
            ParamSpec::LogUniformValues { .. } => "log_uniform_values",
            ParamSpec::IntUniform { .. } => "int_uniform",
            ParamSpec::QUniform { .. } => "q_uniform",
            ParamSpec::QLogUniformValues { .. } => "q_log_uniform_values",
            ParamSpec::Normal { .. } => "normal",
            ParamSpec::LogNormal { .. } => "log_normal",
        }
    }

    /// Whether every value it gives is a whole number (so an integer parameter may use it).
    fn whole_valued(&self) -> bool {
        match *self {
            ParamSpec::Constant(_) | ParamSpec::Categorical(_) | ParamSpec::IntUniform { .. } => {
                true
            }
            ParamSpec::QUniform { min, q, .. } => min.fract() == 0.0 && q.fract() == 0.0,
            ParamSpec::QLogUniformValues { q, .. } => q.fract() == 0.0,
            _ => false,
        }
    }
}

/// Points of the lattice `min + k·q` within `[min, max]`. A relative slack of 1e-9 keeps
/// `(0.5 - 0.1) / 0.1 = 3.9999999999999996` from losing its last point.
pub(crate) fn lattice_len(min: f64, max: f64, q: f64) -> u64 {
    let steps = ((max - min) / q * (1.0 + 1e-9)).floor();
    if steps.is_nan() || steps < 0.0 {
        return 1;
    }
    (steps as u64).saturating_add(1)
}

/// Lattice point `k`: `min + k·q`, tidied so that `0.1 + 2·0.1` is `0.3`.
pub(crate) fn lattice_value(min: f64, q: f64, k: u64) -> f64 {
    tidy(min + k as f64 * q)
}

/// `x` rounded to 15 significant digits: removes the last-bit noise of `min + k·q` and
/// `round(x/q)·q` (a user who writes `q: 0.1` means tenths), deterministically.
pub(crate) fn tidy(x: f64) -> f64 {
    format!("{x:.14e}").parse().unwrap_or(x)
}

// ---------------------------------------------------------------------------------------
// The raw file, as serde reads it.

/// The top level of a sweep file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    name: String,
    description: Option<String>,
    method: Method,
    metric: Option<RawMetric>,
    run_cap: Option<usize>,
    seed: Option<u64>,
    #[serde(default)]
    parameters: BTreeMap<String, RawParam>,
    data: RawData,
    training: Option<RawTraining>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetric {
    name: MetricName,
    goal: Option<Goal>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawData {
    train: Option<PathBuf>,
    synthetic: Option<RawSynthetic>,
    val_fraction: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSynthetic {
    rows: u64,
    seed: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTraining {
    max_epochs: Option<usize>,
    patience: Option<usize>,
}

/// One entry under `parameters`, every W&B field optional; validation picks the form.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    distribution: Option<Distribution>,
    value: Option<Value>,
    values: Option<Vec<Value>>,
    min: Option<f64>,
    max: Option<f64>,
    q: Option<f64>,
    mu: Option<f64>,
    sigma: Option<f64>,
}

/// The `distribution:` names we support.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Distribution {
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
    fn as_str(self) -> &'static str {
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
    fn fields(self) -> &'static [&'static str] {
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
struct Issue {
    key: String,
    message: String,
}

impl Issue {
    fn at(self, origin: &str) -> SpecError {
        SpecError::Invalid {
            origin: origin.to_string(),
            key: self.key,
            message: self.message,
        }
    }
}

fn issue(key: impl Into<String>, message: impl Into<String>) -> Issue {
    Issue {
        key: key.into(),
        message: message.into(),
    }
}

/// A serde_yaml error with the file name, and its line even where the message lacks it
/// (serde's "duplicate field" carries a location but does not print it).
fn yaml_error(origin: &str, error: &serde_yaml::Error) -> SpecError {
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

/// W&B top-level keys that have no meaning here, and why.
const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "program",
        "is not supported: sweep trains its built-in model, so there is no program to run; remove it",
    ),
    (
        "command",
        "is not supported: sweep trains its built-in model, so there is no command to run; remove it",
    ),
    (
        "project",
        "is not supported: trials are recorded in the local database (--db), not a W&B project; remove it",
    ),
    (
        "entity",
        "is not supported: there is no W&B account or server; remove it",
    ),
    (
        "early_terminate",
        "is not supported yet; each trial stops early by `training.patience`",
    ),
];

/// Refuse W&B features we do not have with a message of their own.
fn check_foreign_keys(tree: &Value) -> Result<(), Issue> {
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
    match top.get("method").and_then(Value::as_str) {
        Some(m @ "bayes") => Err(issue(
            "method",
            format!("`{m}` is not supported yet; use grid or random"),
        )),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// Validation: raw => checked.

impl RawSpec {
    fn validate(self) -> Result<Spec, Issue> {
        let name = self
            .name
            .parse::<SweepName>()
            .map_err(|e| issue("name", e.to_string()))?;
        let run_cap = check_run_cap(self.method, self.run_cap)?;
        let mut parameters = BTreeMap::new();
        for (param, raw) in self.parameters {
            let checked = validate_param(&param, raw, self.method)?;
            parameters.insert(param, checked);
        }
        let spec = Spec {
            name,
            description: self.description,
            method: self.method,
            metric: self.metric.map(RawMetric::validate).unwrap_or_default(),
            run_cap,
            seed: self.seed.unwrap_or(0),
            parameters,
            data: self.data.validate()?,
            training: self
                .training
                .map_or(Ok(TrainingSpec::default()), RawTraining::validate)?,
        };
        check_size(&spec)?;
        Ok(spec)
    }
}

fn check_run_cap(method: Method, run_cap: Option<usize>) -> Result<Option<usize>, Issue> {
    match run_cap {
        Some(0) => Err(issue("run_cap", "must be at least 1")),
        Some(cap) if cap > MAX_TRIALS => Err(issue(
            "run_cap",
            format!("{cap} is above the limit of {MAX_TRIALS} trials"),
        )),
        None if method == Method::Random => Err(issue(
            "run_cap",
            "a random sweep needs `run_cap`: the number of trials to draw",
        )),
        _ => Ok(run_cap),
    }
}

/// A grid too large to plan (and without a `run_cap` small enough) is refused up front.
fn check_size(spec: &Spec) -> Result<(), Issue> {
    if spec.method == Method::Grid && spec.trial_count() > MAX_TRIALS {
        return Err(issue(
            "parameters",
            format!(
                "the grid has {} points, above the limit of {MAX_TRIALS} trials; \
                 shorten the value lists or set run_cap",
                spec.grid_size()
            ),
        ));
    }
    Ok(())
}

impl RawMetric {
    fn validate(self) -> Metric {
        Metric {
            name: self.name,
            goal: self.goal.unwrap_or(self.name.default_goal()),
        }
    }
}

impl RawData {
    fn validate(self) -> Result<DataSpec, Issue> {
        let source = match (self.train, self.synthetic) {
            (Some(_), Some(_)) => {
                return Err(issue("data", "give `train` or `synthetic`, not both"));
            }
            (None, None) => {
                return Err(issue(
                    "data",
                    "missing `train: FILE` (DREAM format) or `synthetic: {rows, seed}`",
                ));
            }
            (Some(path), None) if path.as_os_str().is_empty() => {
                return Err(issue("data.train", "the path is empty"));
            }
            (Some(path), None) => DataSource::File(path),
            (None, Some(synthetic)) => synthetic.validate()?,
        };
        let val_fraction = self.val_fraction.unwrap_or(0.1);
        if !(val_fraction > 0.0 && val_fraction < 1.0) {
            return Err(issue(
                "data.val_fraction",
                format!("{val_fraction} is not in (0, 1)"),
            ));
        }
        Ok(DataSpec {
            source,
            val_fraction,
        })
    }
}

impl RawSynthetic {
    fn validate(self) -> Result<DataSource, Issue> {
        if self.rows < 2 {
            return Err(issue(
                "data.synthetic.rows",
                "needs at least 2 rows (one to train on, one to validate)",
            ));
        }
        Ok(DataSource::Synthetic {
            rows: self.rows,
            seed: self.seed.unwrap_or(0),
        })
    }
}

impl RawTraining {
    fn validate(self) -> Result<TrainingSpec, Issue> {
        let defaults = TrainingSpec::default();
        let at_least_one = |key: &str, v: Option<usize>, default: usize| match v {
            Some(0) => Err(issue(format!("training.{key}"), "must be at least 1")),
            v => Ok(v.unwrap_or(default)),
        };
        Ok(TrainingSpec {
            max_epochs: at_least_one("max_epochs", self.max_epochs, defaults.max_epochs)?,
            patience: at_least_one("patience", self.patience, defaults.patience)?,
        })
    }
}

/// Validate one `parameters` entry: a known name, one W&B form with sound bounds, a
/// distribution whose values the parameter can take, finite for a grid, and every value
/// it can produce accepted by the trainer.
fn validate_param(name: &str, raw: RawParam, method: Method) -> Result<ParamSpec, Issue> {
    let key = format!("parameters.{name}");
    if params::kind(name).is_none() {
        return Err(issue(
            key,
            format!(
                "unknown parameter `{name}`; known parameters: {}",
                KNOWN.join(", ")
            ),
        ));
    }
    let spec = raw.into_spec(name, &key)?;
    if params::is_whole_number(name) && !spec.whole_valued() {
        return Err(issue(
            format!("{key}.distribution"),
            format!(
                "`{name}` takes whole numbers, but `{}` draws real ones; use int_uniform or values \
                 (q_uniform gives whole numbers when min and q are whole)",
                spec.distribution()
            ),
        ));
    }
    if method == Method::Grid && spec.grid_len().is_none() {
        return Err(issue(
            format!("{key}.distribution"),
            format!(
                "a grid needs a finite list of values, but `{}` is continuous; \
                 use values (or int_uniform, q_uniform), or method: random",
                spec.distribution()
            ),
        ));
    }
    check_extremes(name, &key, &spec)?;
    Ok(spec)
}

impl RawParam {
    /// The W&B form this entry uses, with its own fields checked.
    fn into_spec(self, name: &str, key: &str) -> Result<ParamSpec, Issue> {
        let form = self.form(key)?;
        self.reject_stray_fields(form, key)?;
        let field = |f: &str| format!("{key}.{f}");
        match form {
            Distribution::Constant => {
                let value = self.value.unwrap_or(Value::Null);
                Ok(ParamSpec::Constant(param_value(
                    name,
                    &field("value"),
                    &value,
                )?))
            }
            Distribution::Categorical => categorical(name, key, self.values.unwrap_or_default()),
            Distribution::Uniform => {
                let (min, max) = self.bounds(key, form)?;
                Ok(ParamSpec::Uniform { min, max })
            }
            Distribution::LogUniform => {
                let (min, max) = self.bounds(key, form)?;
                if !libm::exp(max).is_finite() {
                    return Err(issue(
                        field("max"),
                        format!(
                            "exp({max}) overflows: log_uniform's min and max are natural-log \
                             exponents (log_uniform_values takes the values themselves)"
                        ),
                    ));
                }
                Ok(ParamSpec::LogUniform { min, max })
            }
            Distribution::LogUniformValues => {
                let (min, max) = self.positive_bounds(key, form)?;
                Ok(ParamSpec::LogUniformValues { min, max })
            }
            Distribution::IntUniform => {
                let (min, max) = self.bounds(key, form)?;
                Ok(ParamSpec::IntUniform {
                    min: whole_bound(&field("min"), min)?,
                    max: whole_bound(&field("max"), max)?,
                })
            }
            Distribution::QUniform => {
                let (min, max) = self.bounds(key, form)?;
                let q = step(&field("q"), self.q)?;
                Ok(ParamSpec::QUniform { min, max, q })
            }
            Distribution::QLogUniformValues => {
                let (min, max) = self.positive_bounds(key, form)?;
                let q = step(&field("q"), self.q)?;
                Ok(ParamSpec::QLogUniformValues { min, max, q })
            }
            Distribution::Normal => {
                let (mu, sigma) = self.mu_sigma(key, form)?;
                Ok(ParamSpec::Normal { mu, sigma })
            }
            Distribution::LogNormal => {
                let (mu, sigma) = self.mu_sigma(key, form)?;
                Ok(ParamSpec::LogNormal { mu, sigma })
            }
        }
    }

    /// Which form: `value` => constant, `values` => categorical, else the distribution.
    fn form(&self, key: &str) -> Result<Distribution, Issue> {
        let implied = match (&self.value, &self.values) {
            (Some(_), _) => Some(Distribution::Constant),
            (None, Some(_)) => Some(Distribution::Categorical),
            (None, None) => None,
        };
        match (implied, self.distribution) {
            (Some(form), None) => Ok(form),
            (Some(form), Some(d)) if form == d => Ok(form),
            (Some(form), Some(d)) => Err(issue(
                format!("{key}.distribution"),
                format!(
                    "`{}` goes with distribution {} (or none), not `{}`",
                    form.fields()[0],
                    form.as_str(),
                    d.as_str()
                ),
            )),
            (None, Some(d @ (Distribution::Constant | Distribution::Categorical))) => Err(issue(
                format!("{key}.{}", d.fields()[0]),
                format!("missing `{}`: {} needs it", d.fields()[0], d.as_str()),
            )),
            (None, Some(d)) => Ok(d),
            (None, None) if self.min.is_some() || self.max.is_some() => Err(issue(
                format!("{key}.distribution"),
                "`min`/`max` need a `distribution` (uniform, int_uniform, log_uniform_values, ...)",
            )),
            (None, None) => Err(issue(
                key,
                "needs `value`, `values`, or a `distribution` with its bounds",
            )),
        }
    }

    /// A field that the chosen form does not use is an error, not silently ignored.
    fn reject_stray_fields(&self, form: Distribution, key: &str) -> Result<(), Issue> {
        let present = [
            ("value", self.value.is_some()),
            ("values", self.values.is_some()),
            ("min", self.min.is_some()),
            ("max", self.max.is_some()),
            ("q", self.q.is_some()),
            ("mu", self.mu.is_some()),
            ("sigma", self.sigma.is_some()),
        ];
        match present
            .iter()
            .find(|(field, here)| *here && !form.fields().contains(field))
        {
            Some((field, _)) => Err(issue(
                format!("{key}.{field}"),
                format!(
                    "`{field}` does not apply to {}, which takes {}",
                    form.as_str(),
                    form.fields().join(", ")
                ),
            )),
            None => Ok(()),
        }
    }

    /// `min` and `max`: both present, finite, and `min <= max`.
    fn bounds(&self, key: &str, form: Distribution) -> Result<(f64, f64), Issue> {
        let min = required(key, "min", self.min, form)?;
        let max = required(key, "max", self.max, form)?;
        if min > max {
            return Err(issue(
                format!("{key}.min"),
                format!("min ({min}) is above max ({max})"),
            ));
        }
        Ok((min, max))
    }

    /// Bounds of a log distribution over values: both above 0.
    fn positive_bounds(&self, key: &str, form: Distribution) -> Result<(f64, f64), Issue> {
        let (min, max) = self.bounds(key, form)?;
        if min <= 0.0 {
            return Err(issue(
                format!("{key}.min"),
                format!(
                    "{} needs min > 0, got {min} (its bounds are values; \
                     log_uniform takes natural-log exponents)",
                    form.as_str()
                ),
            ));
        }
        Ok((min, max))
    }

    /// `mu` and `sigma`: both present and finite, `sigma >= 0`.
    fn mu_sigma(&self, key: &str, form: Distribution) -> Result<(f64, f64), Issue> {
        let mu = required(key, "mu", self.mu, form)?;
        let sigma = required(key, "sigma", self.sigma, form)?;
        if sigma < 0.0 {
            return Err(issue(
                format!("{key}.sigma"),
                format!("sigma must be >= 0, got {sigma}"),
            ));
        }
        Ok((mu, sigma))
    }
}

/// A field a distribution needs: present and finite.
fn required(key: &str, field: &str, value: Option<f64>, form: Distribution) -> Result<f64, Issue> {
    let key = format!("{key}.{field}");
    match value {
        None => Err(issue(
            key,
            format!(
                "missing `{field}`: {} needs {}",
                form.as_str(),
                form.fields().join(", ")
            ),
        )),
        Some(x) if !x.is_finite() => Err(issue(key, format!("{x} is not a finite number"))),
        Some(x) => Ok(x),
    }
}

/// An `int_uniform` bound: a whole number (exactly representable).
fn whole_bound(key: &str, x: f64) -> Result<i64, Issue> {
    // 2^53: every whole number up to it is exact in f64.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if x.fract() != 0.0 || x.abs() > EXACT {
        return Err(issue(
            key,
            format!("int_uniform needs whole numbers, got {x}"),
        ));
    }
    Ok(x as i64)
}

/// A `q` step: default 1, finite and above 0.
fn step(key: &str, q: Option<f64>) -> Result<f64, Issue> {
    match q.unwrap_or(1.0) {
        q if q.is_finite() && q > 0.0 => Ok(q),
        q => Err(issue(key, format!("q must be a number above 0, got {q}"))),
    }
}

/// A `values` list: non-empty, every value valid for the trainer, no value twice (after
/// normalizing, so `3e6` and `3000000` are the same value).
fn categorical(name: &str, key: &str, raw: Vec<Value>) -> Result<ParamSpec, Issue> {
    if raw.is_empty() {
        return Err(issue(format!("{key}.values"), "the list is empty"));
    }
    let mut values: Vec<ParamValue> = Vec::with_capacity(raw.len());
    for (i, item) in raw.iter().enumerate() {
        let item_key = format!("{key}.values[{i}]");
        let value = param_value(name, &item_key, item)?;
        if values.contains(&value) {
            return Err(issue(item_key, format!("{value} is listed twice")));
        }
        values.push(value);
    }
    Ok(ParamSpec::Categorical(values))
}

/// A YAML scalar as a parameter value, checked by the trainer and normalized.
fn param_value(name: &str, key: &str, yaml: &Value) -> Result<ParamValue, Issue> {
    let value = match yaml {
        Value::Bool(b) => ParamValue::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => ParamValue::Int(i),
            (None, Some(x)) => ParamValue::Float(x),
            (None, None) => return Err(issue(key, format!("{n} is not a usable number"))),
        },
        Value::String(s) => ParamValue::Text(s.clone()),
        Value::Null => return Err(issue(key, "the value is empty (null)")),
        Value::Sequence(_) => return Err(issue(key, "a list is not a parameter value")),
        Value::Mapping(_) => return Err(issue(key, "a mapping is not a parameter value")),
        Value::Tagged(_) => return Err(issue(key, "a tagged value is not a parameter value")),
    };
    value.checked(name).map_err(|e| issue(key, e.to_string()))
}

/// One end of the values a distribution can produce. The trainer's ranges are intervals,
/// so checking both ends checks every value.
struct Extreme {
    /// The field it comes from.
    field: &'static str,
    /// How it is computed, for the message (`min`, `exp(max)`, `mu + 8.6·sigma`).
    what: &'static str,
    value: ParamValue,
    /// The bound itself is never drawn (the top of a continuous range), so the trainer
    /// need only take the values just below it (`dropout: uniform 0..1`).
    open: bool,
}

/// Check the smallest and largest value `spec` can produce with the trainer's rules.
fn check_extremes(name: &str, key: &str, spec: &ParamSpec) -> Result<(), Issue> {
    for e in extremes(spec) {
        let Err(error) = e.value.checked(name) else {
            continue;
        };
        let below = match e.value {
            ParamValue::Float(x) if e.open => Some(ParamValue::Float(x.next_down())),
            _ => None,
        };
        if below.is_some_and(|b| b.checked(name).is_ok()) {
            continue;
        }
        return Err(issue(
            format!("{key}.{}", e.field),
            format!(
                "{} {} can give {}, which the trainer refuses: {error}",
                spec.distribution(),
                e.what,
                e.value
            ),
        ));
    }
    Ok(())
}

/// The two ends of the values `spec` can produce (none for lists, checked value by value).
fn extremes(spec: &ParamSpec) -> Vec<Extreme> {
    let real = |field, what, x: f64, open| Extreme {
        field,
        what,
        value: ParamValue::Float(x),
        open,
    };
    let z = NORMAL_Z_MAX;
    match *spec {
        ParamSpec::Constant(_) | ParamSpec::Categorical(_) => vec![],
        ParamSpec::Uniform { min, max } | ParamSpec::LogUniformValues { min, max } => {
            vec![
                real("min", "min", min, false),
                real("max", "max", max, min < max),
            ]
        }
        ParamSpec::LogUniform { min, max } => vec![
            real("min", "exp(min)", libm::exp(min), false),
            real("max", "exp(max)", libm::exp(max), min < max),
        ],
        ParamSpec::IntUniform { min, max } => vec![
            Extreme {
                field: "min",
                what: "min",
                value: ParamValue::Int(min),
                open: false,
            },
            Extreme {
                field: "max",
                what: "max",
                value: ParamValue::Int(max),
                open: false,
            },
        ],
        ParamSpec::QUniform { min, max, q } => {
            let last = lattice_value(min, q, lattice_len(min, max, q) - 1);
            vec![
                real("min", "min", min, false),
                real("max", "min + k·q", last, false),
            ]
        }
        ParamSpec::QLogUniformValues { min, max, q } => vec![
            real("min", "round(min/q)·q", tidy((min / q).round() * q), false),
            real("max", "round(max/q)·q", tidy((max / q).round() * q), false),
        ],
        ParamSpec::Normal { mu, sigma } => vec![
            real("sigma", "mu - 8.6·sigma", mu - z * sigma, false),
            real("sigma", "mu + 8.6·sigma", mu + z * sigma, false),
        ],
        ParamSpec::LogNormal { mu, sigma } => vec![
            real(
                "sigma",
                "exp(mu - 8.6·sigma)",
                libm::exp(mu - z * sigma),
                false,
            ),
            real(
                "sigma",
                "exp(mu + 8.6·sigma)",
                libm::exp(mu + z * sigma),
                false,
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{ParamSet, plan};

    const HEAD: &str = "name: t\nmethod: grid\ndata: {synthetic: {rows: 100, seed: 1}}\n";

    /// The error message for `text`, or "parsed".
    fn error(text: &str) -> String {
        match Spec::parse(text, "t.yaml") {
            Err(e) => e.to_string(),
            Ok(_) => "parsed".to_string(),
        }
    }

    /// The error message for a grid sweep with these `parameters:` lines.
    fn param_error(params: &str) -> String {
        error(&format!("{HEAD}parameters:\n{params}\n"))
    }

    fn parse(text: &str) -> Spec {
        Spec::parse(text, "t.yaml").expect("the test spec is valid")
    }

    fn assert_mentions(message: &str, parts: &[&str]) {
        for part in parts {
            assert!(message.contains(part), "`{part}` not in: {message}");
        }
    }

    #[test]
    fn the_design_example_parses() {
        let text = "
name: table1-random          # unique sweep name; also the folder name under runs/
method: random               # grid | random   (more methods may follow)
metric: {name: val_r2, goal: maximize}
run_cap: 40                  # number of trials (required for random)
seed: 7                      # every random choice in the sweep derives from it
parameters:                  # W&B forms: value | values | distribution + min/max (| mu/sigma, q)
  batch_size:    {values: [128, 256, 512, 1024]}
  dropout_dense: {values: [0.05, 0.1, 0.2, 0.3, 0.4, 0.5]}
  dropout_lstm:  {values: [0.05, 0.1, 0.2, 0.3, 0.4, 0.5]}
  learning_rate: {distribution: uniform, min: 0.0001, max: 0.01}
  dense_units:   {values: [32, 64, 128, 512, 1024]}
  lstm_units:    {values: [4, 8, 16, 32, 64, 96]}
data:
  train: data/train_sequences.txt     # or: synthetic: {rows: 20000, seed: 1}
  val_fraction: 0.1
training: {max_epochs: 200, patience: 20}
";
        let spec = parse(text);
        assert_eq!(spec.name.as_str(), "table1-random");
        assert_eq!(spec.method, Method::Random);
        assert_eq!(spec.metric, Metric::default());
        assert_eq!((spec.run_cap, spec.seed), (Some(40), 7));
        assert_eq!(spec.trial_count(), 40);
        assert_eq!(
            spec.parameters["learning_rate"],
            ParamSpec::Uniform {
                min: 0.0001,
                max: 0.01
            }
        );
        assert_eq!(
            spec.parameters["batch_size"],
            ParamSpec::Categorical([128, 256, 512, 1024].map(ParamValue::Int).to_vec())
        );
        assert_eq!(
            spec.data.source,
            DataSource::File(PathBuf::from("data/train_sequences.txt"))
        );
        assert_eq!(spec.data.val_fraction, 0.1);
        assert_eq!(
            spec.training,
            TrainingSpec {
                max_epochs: 200,
                patience: 20
            }
        );
    }

    #[test]
    fn defaults_fill_what_the_file_leaves_out() {
        let spec = parse("name: d\nmethod: grid\ndata: {train: x.txt}\n");
        assert_eq!(spec.metric, Metric::default());
        assert_eq!(spec.seed, 0);
        assert_eq!(spec.run_cap, None);
        assert_eq!(spec.data.val_fraction, 0.1);
        assert_eq!(spec.training, TrainingSpec::default());
        assert!(spec.parameters.is_empty());
        assert_eq!(spec.trial_count(), 1);
        let loss = parse(&format!("{HEAD}metric: {{name: val_loss}}\n"));
        assert_eq!(loss.metric.goal, Goal::Minimize);
        let pearson = parse(&format!("{HEAD}metric: {{name: val_pearson}}\n"));
        assert_eq!(pearson.metric.goal, Goal::Maximize);
        let described = parse(&format!("{HEAD}description: a test\n"));
        assert_eq!(described.description.as_deref(), Some("a test"));
    }

    #[test]
    fn the_sweep_files_parse_with_their_trial_counts() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sweeps");
        for (file, name, count) in [
            ("grid.yaml", "table1-grid", 4 * 6 * 6 * 5 * 5 * 6),
            ("random.yaml", "table1-random", 40),
            ("demo.yaml", "demo", 4),
        ] {
            let (spec, text) =
                Spec::load(&dir.join(file)).expect("the shipped sweep files are valid");
            assert_eq!(spec.name.as_str(), name, "{file}");
            assert_eq!(spec.trial_count(), count, "{file}");
            assert_eq!(plan(&spec).len(), count, "{file}");
            assert!(text.contains(name));
        }
    }

    #[test]
    fn bad_yaml_names_the_line() {
        let message = error("name: t\nmethod: grid\nparameters: {a: [1\n");
        assert_mentions(&message, &["t.yaml: ", "line"]);
        assert_mentions(&error("- a\n- b\n"), &["t.yaml: top level:", "mapping"]);
        assert_mentions(&error(""), &["t.yaml: top level"]);
        let twice = error(&format!(
            "{HEAD}parameters:\n  lstm_units: {{value: 8}}\n  lstm_units: {{value: 9}}\n"
        ));
        assert_mentions(&twice, &["duplicate", "lstm_units", "line 5"]);
    }

    #[test]
    fn unknown_keys_are_named_with_the_expected_ones() {
        let top = error(&format!("{HEAD}sed: 3\n"));
        assert_mentions(
            &top,
            &[
                "t.yaml",
                "unknown field `sed`",
                "expected one of",
                "`seed`",
                "line 4",
            ],
        );
        let typo = param_error("  learning_rate: {distribution: uniform, min: 0.001, mx: 0.1}");
        assert_mentions(
            &typo,
            &[
                "parameters.learning_rate",
                "unknown field `mx`",
                "`max`",
                "line 5",
            ],
        );
        let nested = error("name: t\nmethod: grid\ndata: {synthetic: {rows: 100, sed: 1}}\n");
        assert_mentions(&nested, &["data.synthetic", "unknown field `sed`"]);
        let metric = error(&format!("{HEAD}metric: {{name: val_acc}}\n"));
        assert_mentions(
            &metric,
            &["metric.name", "unknown variant `val_acc`", "val_r2"],
        );
        let distribution = param_error("  learning_rate: {distribution: beta, min: 0.1, max: 0.2}");
        assert_mentions(
            &distribution,
            &["parameters.learning_rate.distribution", "`beta`"],
        );
    }

    #[test]
    fn wandb_keys_we_do_not_use_get_their_own_message() {
        for key in ["program", "command", "project", "entity"] {
            let message = error(&format!("{HEAD}{key}: x\n"));
            assert_mentions(&message, &["t.yaml", key, "not supported"]);
        }
        let early = error(&format!(
            "{HEAD}early_terminate: {{type: hyperband, min_iter: 3}}\n"
        ));
        assert_mentions(&early, &["early_terminate", "not supported yet"]);
        let bayes = error("name: t\nmethod: bayes\ndata: {train: x}\n");
        assert_mentions(&bayes, &["method", "`bayes` is not supported yet"]);
    }

    #[test]
    fn parameter_errors_name_the_key() {
        let cases: &[(&str, &[&str])] = &[
            (
                "  lstm_unit: {value: 8}",
                &["parameters.lstm_unit", "unknown parameter", "lstm_units"],
            ),
            (
                "  batch_size: {values: []}",
                &["parameters.batch_size.values", "empty"],
            ),
            (
                "  learning_rate: {distribution: q_uniform, min: 0.01, max: 0.001}",
                &["parameters.learning_rate.min", "above max"],
            ),
            (
                "  learning_rate: {distribution: q_uniform, min: 0.01}",
                &["parameters.learning_rate.max", "missing `max`"],
            ),
            (
                "  learning_rate: {distribution: uniform, max: 0.01}",
                &["parameters.learning_rate.min", "missing `min`"],
            ),
            (
                "  batch_size: {values: [0.5]}",
                &["parameters.batch_size.values[0]", "whole number"],
            ),
            (
                "  learning_rate: {value: fast}",
                &["parameters.learning_rate.value", "`fast`"],
            ),
            (
                "  dropout_dense: {values: [0.1, 1.5]}",
                &["parameters.dropout_dense.values[1]", "[0, 1)"],
            ),
            (
                "  dropout_dense: {values: [0.1, 0.1]}",
                &["parameters.dropout_dense.values[1]", "twice"],
            ),
            (
                "  batch_size: {values: [3e6, 3000000]}",
                &["parameters.batch_size.values[1]", "twice"],
            ),
            (
                "  lstm_units: {values: [8, [1]]}",
                &["parameters.lstm_units.values[1]", "list"],
            ),
            (
                "  lstm_units: {value: null}",
                &["parameters.lstm_units", "needs `value`"],
            ),
            (
                "  lstm_units: {}",
                &["parameters.lstm_units", "needs `value`"],
            ),
            (
                "  lstm_units: {min: 4, max: 8}",
                &[
                    "parameters.lstm_units.distribution",
                    "need a `distribution`",
                ],
            ),
            (
                "  lstm_units: {distribution: int_uniform, min: 1.5, max: 8}",
                &["parameters.lstm_units.min", "whole numbers"],
            ),
            (
                "  lstm_units: {distribution: int_uniform, min: 0, max: 8}",
                &["parameters.lstm_units.min", "positive whole number"],
            ),
            (
                "  lstm_units: {value: 8, min: 1}",
                &["parameters.lstm_units.min", "does not apply to constant"],
            ),
            (
                "  lstm_units: {distribution: uniform, values: [1, 2]}",
                &["parameters.lstm_units.distribution", "categorical"],
            ),
            (
                "  learning_rate: {distribution: constant}",
                &["parameters.learning_rate.value", "missing"],
            ),
        ];
        for (params, parts) in cases {
            assert_mentions(&param_error(params), parts);
        }
    }

    /// Errors that only a random sweep can reach (a grid refuses the distribution first).
    #[test]
    fn distribution_errors_name_the_key() {
        let random = |params: &str| {
            error(&format!(
                "name: t\nmethod: random\nrun_cap: 3\ndata: {{train: x}}\nparameters:\n{params}\n"
            ))
        };
        let cases: &[(&str, &[&str])] = &[
            (
                "  learning_rate: {distribution: log_uniform_values, min: 0, max: 0.01}",
                &["parameters.learning_rate.min", "min > 0"],
            ),
            (
                "  learning_rate: {distribution: log_uniform_values, min: -1, max: 0.01}",
                &["parameters.learning_rate.min", "min > 0"],
            ),
            (
                "  learning_rate: {distribution: q_log_uniform_values, min: 0, max: 1, q: 0.1}",
                &["parameters.learning_rate.min", "min > 0"],
            ),
            (
                "  learning_rate: {distribution: uniform, min: 0, max: 0.01}",
                &["parameters.learning_rate.min", "positive number"],
            ),
            (
                "  dropout_lstm: {distribution: uniform, min: 0.1, max: 1.5}",
                &["parameters.dropout_lstm.max", "can give 1.5", "[0, 1)"],
            ),
            (
                "  learning_rate: {distribution: log_uniform, min: -9, max: 800}",
                &["parameters.learning_rate.max", "exponents"],
            ),
            (
                "  batch_size: {distribution: uniform, min: 32, max: 512}",
                &[
                    "parameters.batch_size.distribution",
                    "whole numbers",
                    "int_uniform",
                ],
            ),
            (
                "  dense_units: {distribution: log_uniform_values, min: 32, max: 512}",
                &[
                    "parameters.dense_units.distribution",
                    "int_uniform or values",
                ],
            ),
            (
                "  dropout_lstm: {distribution: normal, mu: 0.2, sigma: 0.05}",
                &["parameters.dropout_lstm.sigma", "mu - 8.6"],
            ),
            (
                "  learning_rate: {distribution: normal, mu: 0.01, sigma: -1}",
                &["parameters.learning_rate.sigma", ">= 0"],
            ),
            (
                "  learning_rate: {distribution: q_uniform, min: 0.001, max: 0.01, q: 0}",
                &["parameters.learning_rate.q", "above 0"],
            ),
            (
                "  learning_rate: {distribution: uniform, min: .nan, max: 0.01}",
                &["parameters.learning_rate.min", "finite"],
            ),
            (
                "  learning_rate: {distribution: uniform, min: 0.001, max: 0.01, q: 2}",
                &["parameters.learning_rate.q", "does not apply to uniform"],
            ),
            (
                "  learning_rate: {distribution: uniform, min: x, max: 0.01}",
                &["parameters.learning_rate.min", "f64"],
            ),
        ];
        for (params, parts) in cases {
            assert_mentions(&random(params), parts);
        }
    }

    #[test]
    fn top_level_errors_name_the_key() {
        let no_cap = error("name: t\nmethod: random\ndata: {train: x}\n");
        assert_mentions(
            &no_cap,
            &["t.yaml: run_cap:", "random sweep needs `run_cap`"],
        );
        assert_mentions(
            &error(&format!("{HEAD}run_cap: 0\n")),
            &["run_cap", "at least 1"],
        );
        assert_mentions(
            &error(&format!("{HEAD}run_cap: many\n")),
            &["run_cap", "\"many\"", "line 4"],
        );
        assert_mentions(
            &error(&format!("{HEAD}run_cap: 2000000\n")),
            &["run_cap", "limit"],
        );
        assert_mentions(&error(&format!("{HEAD}seed: -1\n")), &["seed", "-1"]);
        assert_mentions(&error("name: t\nmethod: grid\n"), &["missing field `data`"]);
        assert_mentions(
            &error("method: grid\ndata: {train: x}\n"),
            &["missing field `name`"],
        );
        assert_mentions(
            &error("name: t\nmethod: grid\ndata: {}\n"),
            &["t.yaml: data:", "missing `train"],
        );
        let both = error("name: t\nmethod: grid\ndata: {train: x, synthetic: {rows: 9}}\n");
        assert_mentions(&both, &["data:", "not both"]);
        let fraction = error("name: t\nmethod: grid\ndata: {train: x, val_fraction: 1}\n");
        assert_mentions(&fraction, &["data.val_fraction", "(0, 1)"]);
        let rows = error("name: t\nmethod: grid\ndata: {synthetic: {rows: 1}}\n");
        assert_mentions(&rows, &["data.synthetic.rows"]);
        assert_mentions(
            &error(&format!("{HEAD}training: {{patience: 0}}\n")),
            &["training.patience"],
        );
        assert_mentions(
            &error(&format!("{HEAD}training: {{max_epochs: 0}}\n")),
            &["training.max_epochs"],
        );
        assert_mentions(
            &error("name: ../x\nmethod: grid\ndata: {train: x}\n"),
            &["t.yaml: name:", "`../x`"],
        );
        let huge = param_error("  lstm_units: {distribution: int_uniform, min: 1, max: 2000000}");
        assert_mentions(&huge, &["parameters:", "2000000 points", "limit"]);
    }

    #[test]
    fn a_grid_refuses_continuous_distributions() {
        for d in [
            "uniform",
            "log_uniform_values",
            "log_uniform",
            "q_log_uniform_values",
        ] {
            let message = param_error(&format!(
                "  learning_rate: {{distribution: {d}, min: 0.001, max: 0.01}}"
            ));
            assert_mentions(
                &message,
                &[
                    "parameters.learning_rate.distribution",
                    "grid",
                    "continuous",
                ],
            );
        }
        let normal = param_error("  learning_rate: {distribution: log_normal, mu: -6, sigma: 0.1}");
        assert_mentions(
            &normal,
            &["parameters.learning_rate.distribution", "continuous"],
        );
        let finite = parse(&format!(
            "{HEAD}parameters:\n  lstm_units: {{distribution: int_uniform, min: 4, max: 8}}\n  \
             dropout_lstm: {{distribution: q_uniform, min: 0, max: 0.5, q: 0.1}}\n"
        ));
        assert_eq!(finite.trial_count(), 5 * 6);
    }

    #[test]
    fn a_uniform_up_to_one_suits_a_dropout() {
        let spec = parse(
            "name: t\nmethod: random\nrun_cap: 2\ndata: {train: x}\nparameters:\n  \
             dropout_lstm: {distribution: uniform, min: 0, max: 1}\n",
        );
        assert_eq!(
            spec.parameters["dropout_lstm"],
            ParamSpec::Uniform { min: 0.0, max: 1.0 }
        );
        // A constant range is allowed; a closed bound the trainer refuses is not.
        parse(&format!(
            "{HEAD}parameters:\n  lstm_units: {{distribution: int_uniform, min: 8, max: 8}}\n"
        ));
        let closed =
            param_error("  dropout_lstm: {distribution: q_uniform, min: 0.5, max: 1, q: 0.25}");
        assert_mentions(&closed, &["parameters.dropout_lstm.max", "can give 1"]);
    }

    #[test]
    fn whole_number_steps_suit_integer_parameters() {
        let spec = parse(&format!(
            "{HEAD}parameters:\n  batch_size: {{distribution: q_uniform, min: 128, max: 512, q: 128}}\n"
        ));
        let batches: Vec<ParamValue> = plan(&spec)
            .into_iter()
            .map(|t| t.params.0["batch_size"].clone())
            .collect();
        assert_eq!(batches, [128, 256, 384, 512].map(ParamValue::Int).to_vec());
        let fractional =
            param_error("  batch_size: {distribution: q_uniform, min: 128, max: 512, q: 0.5}");
        assert_mentions(
            &fractional,
            &["parameters.batch_size.distribution", "whole"],
        );
    }

    #[test]
    fn values_are_normalized_by_parameter_kind() {
        let spec = parse(&format!(
            "{HEAD}parameters:\n  batch_size: {{value: 3e2}}\n  learning_rate: {{values: [1, 1e-3, '0.01']}}\n"
        ));
        assert_eq!(
            spec.parameters["batch_size"],
            ParamSpec::Constant(ParamValue::Int(300))
        );
        assert_eq!(
            spec.parameters["learning_rate"],
            ParamSpec::Categorical([1.0, 0.001, 0.01].map(ParamValue::Float).to_vec())
        );
    }

    #[test]
    fn the_fingerprint_ignores_spelling_and_sees_content() {
        let a = parse(&format!(
            "{HEAD}parameters:\n  batch_size: {{values: [3000000, 64]}}\n  learning_rate: {{value: 0.001}}\n"
        ));
        let b = parse(
            "# a comment\nmethod:   grid\nparameters:\n  learning_rate: {value: 1e-3}   # same\n  \
             batch_size:\n    values:\n      - 3e6\n      - 64.0\ndata:\n  synthetic: {seed: 1, rows: 100}\nname: t\n\
             description: not part of it\n",
        );
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.fingerprint().len(), 16);
        assert!(a.fingerprint().chars().all(|c| c.is_ascii_hexdigit()));
        let changes = [
            (
                "learning_rate: {value: 0.001}",
                "learning_rate: {value: 0.002}",
            ),
            ("[3000000, 64]", "[64, 3000000]"),
            ("rows: 100", "rows: 101"),
            ("method: grid", "method: grid\nrun_cap: 1"),
            ("method: grid", "method: grid\nseed: 1"),
            ("method: grid", "method: grid\ntraining: {patience: 3}"),
        ];
        let base = format!(
            "{HEAD}parameters:\n  batch_size: {{values: [3000000, 64]}}\n  learning_rate: {{value: 0.001}}\n"
        );
        for (from, to) in changes {
            let changed = parse(&base.replacen(from, to, 1));
            assert_ne!(a.fingerprint(), changed.fingerprint(), "{from} -> {to}");
        }
        // Spelled-out defaults are the defaults.
        let explicit = parse(&base.replace(
            "method: grid",
            "method: grid\nseed: 0\nmetric: {name: val_r2}",
        ));
        assert_eq!(a.fingerprint(), explicit.fingerprint());
    }

    #[test]
    fn sweep_names_cannot_escape_their_folder() {
        for bad in [
            "../x",
            "a/b",
            "",
            ".",
            "..",
            "-x",
            "_x",
            "a b",
            "a.b",
            "é",
            &"a".repeat(65),
        ] {
            assert!(bad.parse::<SweepName>().is_err(), "{bad:?} was accepted");
        }
        for good in ["table1-grid", "demo", "A_1", "9lives", &"a".repeat(64)] {
            let name: SweepName = good.parse().expect("a valid name");
            assert_eq!(name.as_str(), good);
            assert_eq!(name.to_string(), good);
        }
        let message = "a/b".parse::<SweepName>().map_err(|e| e.to_string()).err();
        assert!(message.is_some_and(|m| m.contains("`a/b`")));
    }

    #[test]
    fn metrics_and_goals() {
        let m = EpochMetrics {
            epoch: 1,
            train_loss: 0.9,
            val_loss: 0.8,
            val_r2: 0.5,
            val_pearson: 0.7,
            val_spearman: 0.6,
            learning_rate: 0.001,
            seconds: 1.0,
            samples_per_s: 1.0,
        };
        let got: Vec<f64> = MetricName::ALL.iter().map(|n| n.value(&m)).collect();
        assert_eq!(got, vec![0.5, 0.8, 0.7, 0.6, 0.9]);
        for name in MetricName::ALL {
            assert_eq!(name.as_str().parse::<MetricName>(), Ok(name));
        }
        assert!("val_acc".parse::<MetricName>().is_err());
        assert!(Goal::Maximize.better(0.6, 0.5) && !Goal::Maximize.better(0.5, 0.5));
        assert!(Goal::Minimize.better(0.4, 0.5) && !Goal::Minimize.better(0.6, 0.5));
        assert!(Goal::Minimize.better(1.0, f64::NAN) && !Goal::Maximize.better(f64::NAN, 0.0));
        assert_eq!(
            (Goal::Maximize.as_str(), Method::Random.as_str()),
            ("maximize", "random")
        );
    }

    #[test]
    fn load_names_a_missing_file() {
        let missing = Path::new(env!("CARGO_MANIFEST_DIR")).join("sweeps/no-such-file.yaml");
        let message = Spec::load(&missing)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_mentions(&message, &["no-such-file.yaml"]);
    }

    #[test]
    fn a_spec_gives_the_trainer_its_settings() {
        let spec = parse(
            "name: t\nmethod: grid\ndata: {train: x, val_fraction: 0.2}\ntraining: {max_epochs: 5, patience: 2}\n",
        );
        let settings = spec.train_settings(42);
        assert_eq!(
            (
                settings.max_epochs,
                settings.patience,
                settings.seed,
                settings.val_fraction
            ),
            (5, 2, 42, 0.2)
        );
        let set = ParamSet::default();
        assert_eq!(set.to_json(), "{}");
    }
}
