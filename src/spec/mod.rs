//! The sweep file: read strictly, validated into a [`Spec`].
//!
//! The file is a subset of the Weights & Biases sweep schema (DESIGN.md), so users can
//! bring theirs. Reading has two layers (STYLE.md P5): serde reads the YAML into raw
//! structs whose fields are all optional and which all `deny_unknown_fields`, so a typo
//! such as `mx:` fails with the key path and line serde_yaml gives; then validation turns
//! the raw structs into the checked types below, naming the key path of anything wrong.
//! Every parameter value is checked by the trainer's own rules ([`ParamRules`], which the
//! caller passes: the built-in model's are `train::params::BuiltIn`), except in a sweep of the
//! user's own program (`program:` or `command:`, [`ProgramSpec`]): its parameters take any name,
//! each of a kind inferred from its values or distribution ([`OpenRules`]).
//! Only this module names the YAML crate (serde_yaml 0.9 is deprecated upstream).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_yaml::Value;

use crate::metric::{Goal, MetricName};
pub use early_terminate::{
    DEFAULT_ETA, EarlyTerminate, RungDecision, RungOutcome, RungRule, RungSchedule, StopKind,
};
pub use params::{OpenRules, ParamKind, ParamRules, ParamSet, ParamValue};
pub use program::{
    CommandContext, CommandWord, DEFAULT_COMMAND, DEFAULT_STOP_GRACE_SECS, ENV_PROGRAM,
    ProgramSpec, args_json, python_float, python_str,
};
use raw::{RawSpec, check_foreign_keys, yaml_error};

/// The most trials one sweep may plan (a guard against a grid of 10^12 points).
pub const MAX_TRIALS: usize = 1_000_000;
/// The longest sweep name.
pub const MAX_NAME_LEN: usize = 64;
/// The largest `|z|` a normal draw takes: Box-Muller with a 53-bit uniform cannot exceed
/// `sqrt(-2 ln 2^-53)` ≈ 8.57, and draws are clamped here, so checking `mu ± 8.6·sigma`
/// against the trainer's ranges checks every value a normal can produce.
pub const NORMAL_Z_MAX: f64 = 8.6;
/// The last step at which a program sweep's `early_terminate` places rungs (a program has no
/// `training.max_epochs`; W&B places 100 rungs from `min_iter`).
pub const PROGRAM_MAX_STEP: usize = 1_000_000_000;
/// The metric of a grid or random program sweep whose file names none (W&B needs no metric
/// there; the store ranks by one): `loss`, minimized.
pub const PROGRAM_DEFAULT_METRIC: &str = "loss";

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
    /// What ranks trials. Without `metric:`, the built-in model's is validation R², maximized;
    /// a grid or random program sweep's is [`PROGRAM_DEFAULT_METRIC`], minimized (a bayes or
    /// early-terminated program sweep must name one, as W&B requires).
    pub metric: Metric,
    /// Most parameter combinations to run (required for random and bayes; caps a grid).
    /// With replicates, each combination runs `replicates` trials, so this caps
    /// combinations, not trials: `run_cap: 20, replicates: 3` is 60 trials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_cap: Option<usize>,
    /// Trials per parameter combination, each with its own seed (default 1). Serialized only
    /// above 1, so sweeps written before replicates existed keep their fingerprint.
    #[serde(skip_serializing_if = "is_one")]
    pub replicates: usize,
    /// Every random choice of the sweep derives from it (default 0).
    pub seed: u64,
    /// Parameter name => how its values are chosen, name-sorted.
    pub parameters: BTreeMap<String, ParamSpec>,
    /// The data every trial trains on: always there for the built-in model; optional for a
    /// program (which reads what it likes). Serialized only when there, so built-in sweeps keep
    /// their fingerprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<DataSpec>,
    /// How long each trial trains: always there for the built-in model (defaults filled in);
    /// `None` for a program, which decides that itself (`training:` is refused there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training: Option<TrainingSpec>,
    /// Stop poor trials at rungs (W&B's `early_terminate: hyperband`). Left out of the
    /// serialization when absent, so sweeps without it keep their fingerprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub early_terminate: Option<EarlyTerminate>,
    /// The kind of value each parameter takes, by the rules the file was checked with. Not
    /// serialized: it follows from the parameters and the trainer.
    #[serde(skip)]
    pub kinds: BTreeMap<String, ParamKind>,
    /// The user's program, run as each trial (W&B's `program`/`command`); `None` for the
    /// built-in model. Serialized only when there, so built-in sweeps keep their fingerprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program: Option<ProgramSpec>,
    /// W&B's `project`: read and kept, not used (sweep runs offline). Not serialized.
    #[serde(skip)]
    pub project: Option<String>,
    /// W&B's `entity`: read and kept, not used. Not serialized.
    #[serde(skip)]
    pub entity: Option<String>,
}

impl Spec {
    /// Read and parse a file, checking its parameters with `rules` (the trainer's). Returns the
    /// spec and the file's text.
    pub fn load(path: &Path, rules: &dyn ParamRules) -> Result<(Spec, String), SpecError> {
        let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let spec = Spec::parse(&text, &path.display().to_string(), rules)?;
        Ok((spec, text))
    }

    /// Parse text, checking its parameters with `rules` (the trainer's); `origin` (a file
    /// name) prefixes every message. A file with `program:` or `command:` runs the user's
    /// program: its parameters are checked by [`OpenRules`] inferred from the file instead (any
    /// name; each kind from its values or distribution), whatever `rules` are given, so every
    /// caller may pass the built-in model's.
    pub fn parse(text: &str, origin: &str, rules: &dyn ParamRules) -> Result<Spec, SpecError> {
        // A first pass into a YAML tree: real syntax errors (and duplicate keys, which
        // serde would let overwrite each other in a map) come with their line, and the
        // W&B keys we do not support get their own message rather than "unknown field".
        let tree: Value = serde_yaml::from_str(text).map_err(|e| yaml_error(origin, &e))?;
        check_foreign_keys(&tree).map_err(|issue| issue.at(origin))?;
        let raw: RawSpec = serde_yaml::from_str(text).map_err(|e| yaml_error(origin, &e))?;
        raw.validate(rules).map_err(|issue| issue.at(origin))
    }

    /// Whether the trials run the user's program ([`Spec::program`]).
    pub fn is_program(&self) -> bool {
        self.program.is_some()
    }

    /// The W&B keys the file used that mean nothing offline (`project`, `entity`), in that
    /// order, for one note such as "project, entity: recorded, not used: sweep runs offline".
    pub fn wandb_only_keys(&self) -> Vec<&'static str> {
        [("project", &self.project), ("entity", &self.entity)]
            .into_iter()
            .filter(|(_, value)| value.is_some())
            .map(|(key, _)| key)
            .collect()
    }

    /// The last step (epoch) a trial can reach: `training.max_epochs`, or
    /// [`PROGRAM_MAX_STEP`] for a program.
    pub fn max_step(&self) -> usize {
        self.training.map_or(PROGRAM_MAX_STEP, |t| t.max_epochs)
    }

    /// The rung steps of `early_terminate` below [`Spec::max_step`] (none without it).
    pub fn rungs(&self) -> Vec<usize> {
        self.early_terminate
            .map_or_else(Vec::new, |early| early.rungs(self.max_step()))
    }

    /// 16 hex digits (xxh3) of a canonical serialization of the validated spec: unchanged
    /// by comments, whitespace, key order or number spelling (`3e6` vs `3000000`), changed
    /// by anything that changes trials (and by the name, metric, data and training).
    /// `description`, `data.test` and `stop_grace` are left out (they change no trial), and so are
    /// `project` and `entity` (not serialized at all). Optional fields are left out when absent, so adding one
    /// to a later version does not change the fingerprint of existing sweeps.
    pub fn fingerprint(&self) -> String {
        let canonical = match serde_json::to_value(self) {
            Ok(mut value) => {
                if let Some(object) = value.as_object_mut() {
                    object.remove("description");
                    if let Some(data) = object.get_mut("data").and_then(|d| d.as_object_mut()) {
                        data.remove("test");
                    }
                    if let Some(program) = object.get_mut("program").and_then(|p| p.as_object_mut())
                    {
                        program.remove("stop_grace");
                    }
                }
                value.to_string()
            }
            // Unreachable (string keys, finite numbers); Debug is deterministic too.
            Err(_) => format!("{self:?}"),
        };
        format!("{:016x}", xxhash_rust::xxh3::xxh3_64(canonical.as_bytes()))
    }

    /// Number of trials the search will produce: [`Spec::combination_count`] times
    /// `replicates` (saturating).
    pub fn trial_count(&self) -> usize {
        self.combination_count()
            .saturating_mul(self.replicates.max(1))
    }

    /// Number of parameter combinations (grid: the product of the parameters' value counts,
    /// capped by `run_cap`; random: `run_cap`).
    pub fn combination_count(&self) -> usize {
        match self.method {
            Method::Grid => {
                let points = usize::try_from(self.grid_size()).unwrap_or(usize::MAX);
                self.run_cap.map_or(points, |cap| points.min(cap))
            }
            Method::Random | Method::Bayes => self.run_cap.unwrap_or(0),
        }
    }

    /// Points of the full grid (a continuous parameter counts once), saturating.
    fn grid_size(&self) -> u128 {
        self.parameters
            .values()
            .map(|p| u128::from(p.grid_len().unwrap_or(1)))
            .fold(1u128, u128::saturating_mul)
    }

    /// `value` of parameter `name` in its canonical form ([`ParamValue::normalized`]): every
    /// value this sweep plans or draws goes through here.
    pub fn canonical(&self, name: &str, value: ParamValue) -> ParamValue {
        value.normalized(self.kinds.get(name).copied())
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
    /// `run_cap` draws, each from a Tree-structured Parzen Estimator of the trials finished
    /// when it is claimed (W&B's `bayes`; `tpe` is accepted as another name for it).
    #[serde(alias = "tpe")]
    Bayes,
}

impl Method {
    /// The name the sweep file uses.
    pub fn as_str(&self) -> &'static str {
        match self {
            Method::Grid => "grid",
            Method::Random => "random",
            Method::Bayes => "bayes",
        }
    }
}

/// What ranks a sweep's trials, and which way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
            name: MetricName::VAL_R2,
            goal: Goal::Maximize,
        }
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
    /// A held-out test file (DREAM format, with measured expression) that the best trial
    /// predicts and is scored on when the sweep ends. It changes no trial, so it is not part
    /// of the fingerprint: it can be added to a sweep that exists.
    pub test: Option<PathBuf>,
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

/// Whether `n` is 1 (the default `replicates`, left out of the fingerprint).
fn is_one(n: &usize) -> bool {
    *n == 1
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

mod early_terminate;
mod parameter;
mod params;
mod program;
mod raw;
#[cfg(test)]
mod tests;
mod validate;
