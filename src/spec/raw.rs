//! The sweep file as serde reads it (every field optional, unknown fields refused), and its
//! validation into the checked types of the parent module, naming the key path of anything
//! wrong.

use super::early_terminate::RawEarlyTerminate;
use super::*;

// ---------------------------------------------------------------------------------------
// The raw file, as serde reads it.

/// The top level of a sweep file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSpec {
    name: String,
    description: Option<String>,
    method: Method,
    metric: Option<RawMetric>,
    run_cap: Option<usize>,
    replicates: Option<usize>,
    seed: Option<u64>,
    #[serde(default)]
    parameters: BTreeMap<String, RawParam>,
    data: RawData,
    training: Option<RawTraining>,
    early_terminate: Option<RawEarlyTerminate>,
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
    test: Option<PathBuf>,
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
pub(super) struct Issue {
    key: String,
    message: String,
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

// ---------------------------------------------------------------------------------------
// Validation: raw => checked.

impl RawSpec {
    pub(super) fn validate(self) -> Result<Spec, Issue> {
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
        let training = self
            .training
            .map_or(Ok(TrainingSpec::default()), RawTraining::validate)?;
        let early_terminate = self
            .early_terminate
            .map(|raw| raw.validate(training.max_epochs))
            .transpose()?;
        let spec = Spec {
            name,
            description: self.description,
            method: self.method,
            metric: self.metric.map(RawMetric::validate).unwrap_or_default(),
            run_cap,
            replicates: check_replicates(self.method, self.replicates)?,
            seed: self.seed.unwrap_or(0),
            parameters,
            data: self.data.validate()?,
            training,
            early_terminate,
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
        None if method != Method::Grid => Err(issue(
            "run_cap",
            format!(
                "a {} sweep needs `run_cap`: the number of trials to draw",
                method.as_str()
            ),
        )),
        _ => Ok(run_cap),
    }
}

/// `replicates`: at least 1 (serde already refused non-integers, naming the key), and only
/// for grid and random: a bayes sweep draws each trial from the results before it, so there
/// is no fixed combination to repeat.
fn check_replicates(method: Method, replicates: Option<usize>) -> Result<usize, Issue> {
    match replicates {
        None => Ok(1),
        Some(k) if k > 1 && method == Method::Bayes => Err(issue(
            "replicates",
            "is for grid and random sweeps; a bayes sweep draws every trial from the results \
             so far, so it has no fixed combinations to repeat",
        )),
        Some(0) => Err(issue(
            "replicates",
            "must be at least 1 (the number of seeds each parameter combination is trained with)",
        )),
        Some(k) if k > MAX_TRIALS => Err(issue(
            "replicates",
            format!("{k} is above the limit of {MAX_TRIALS} trials"),
        )),
        Some(k) => Ok(k),
    }
}

/// A sweep too large to plan (a grid without a `run_cap` small enough, or too many
/// replicates) is refused up front.
fn check_size(spec: &Spec) -> Result<(), Issue> {
    if spec.method == Method::Grid && spec.combination_count() > MAX_TRIALS {
        return Err(issue(
            "parameters",
            format!(
                "the grid has {} points, above the limit of {MAX_TRIALS} trials; \
                 shorten the value lists or set run_cap",
                spec.grid_size()
            ),
        ));
    }
    if spec.trial_count() > MAX_TRIALS {
        return Err(issue(
            "replicates",
            format!(
                "{} combinations x {} replicates is above the limit of {MAX_TRIALS} trials",
                spec.combination_count(),
                spec.replicates
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
        if self.test.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
            return Err(issue("data.test", "the path is empty"));
        }
        Ok(DataSpec {
            source,
            val_fraction,
            test: self.test,
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
    if let Some(accepted) = params::accepted_values(name)
        && !matches!(spec, ParamSpec::Constant(_) | ParamSpec::Categorical(_))
    {
        return Err(issue(
            format!("{key}.distribution"),
            format!(
                "`{name}` takes one of {accepted}, but `{}` draws numbers; \
                 use value or values (e.g. values: [{accepted}])",
                spec.distribution()
            ),
        ));
    }
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
