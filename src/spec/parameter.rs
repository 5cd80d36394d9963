//! Validation of one `parameters` entry: a name the trainer knows, one W&B form with sound
//! bounds, and every value it can produce accepted by the trainer's rules ([`ParamRules`]).

use super::raw::*;
use super::*;

/// Validate one `parameters` entry: a known name, one W&B form with sound bounds, a
/// distribution whose values the parameter can take, finite for a grid, and every value
/// it can produce accepted by the trainer.
pub(super) fn validate_param(
    name: &str,
    raw: RawParam,
    method: Method,
    rules: &dyn ParamRules,
) -> Result<ParamSpec, Issue> {
    let key = format!("parameters.{name}");
    if rules.kind(name).is_none() {
        return Err(issue(
            key,
            format!(
                "unknown parameter `{name}`; known parameters: {}",
                rules.known().join(", ")
            ),
        ));
    }
    let spec = raw.into_spec(name, &key, rules)?;
    if let Some(accepted) = rules.accepted_values(name)
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
    if rules.kind(name) == Some(ParamKind::Whole) && !spec.whole_valued() {
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
    check_extremes(name, &key, &spec, rules)?;
    Ok(spec)
}

impl RawParam {
    /// The W&B form this entry uses, with its own fields checked.
    fn into_spec(self, name: &str, key: &str, rules: &dyn ParamRules) -> Result<ParamSpec, Issue> {
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
                    rules,
                )?))
            }
            Distribution::Categorical => {
                categorical(name, key, self.values.unwrap_or_default(), rules)
            }
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

    /// Which form: `value` => constant, `values` => categorical, else the distribution; with
    /// none, `min` and `max` infer it as W&B's schema does (`fill_parameter` in wandb/sweeps'
    /// `config/schema.py`): both written as integers => int_uniform, else uniform. `q`, `mu` or
    /// `sigma` without a distribution match no W&B form, so they are an error.
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
            (None, None) => self.inferred_distribution(key),
        }
    }

    /// The distribution of an entry that names none and has no `value(s)`.
    fn inferred_distribution(&self, key: &str) -> Result<Distribution, Issue> {
        let needs = |field: &str, which: &str| {
            issue(
                format!("{key}.distribution"),
                format!(
                    "`{field}` needs a `distribution` ({which}); without one, only `min` and `max` \
                     are read (both whole => int_uniform, else uniform)"
                ),
            )
        };
        if self.q.is_some() {
            return Err(needs("q", "q_uniform or q_log_uniform_values"));
        }
        if let Some(field) = [("mu", self.mu), ("sigma", self.sigma)]
            .into_iter()
            .find_map(|(field, v)| v.map(|_| field))
        {
            return Err(needs(field, "normal or log_normal"));
        }
        let missing = |field: &str, other: &str| {
            issue(
                format!("{key}.{field}"),
                format!(
                    "missing `{field}`: `{other}` without a `distribution` needs `min` and `max` \
                     (both whole => int_uniform, else uniform)"
                ),
            )
        };
        match (self.min, self.max) {
            (Some(min), Some(max)) if min.is_int() && max.is_int() => Ok(Distribution::IntUniform),
            (Some(_), Some(_)) => Ok(Distribution::Uniform),
            (Some(_), None) => Err(missing("max", "min")),
            (None, Some(_)) => Err(missing("min", "max")),
            (None, None) => Err(issue(
                key,
                "needs `value`, `values`, or a `distribution` with its bounds",
            )),
        }
    }

    /// The kind of value this entry gives, for a program sweep's open rules ([`OpenRules`]):
    /// `int_uniform` => whole; `q_uniform`/`q_log_uniform_values` with `q` written as an integer
    /// (and, for q_uniform, a whole `min`) => whole, as W&B returns integers when `q` is an
    /// integer; other distributions => real; `value`/`values` by their YAML types: all integers
    /// => whole, numbers with a real among them => real, all booleans => flag, anything else
    /// (text, or a mix such as `[1, a]`) => choice, whose values are kept as written. An entry
    /// whose form is invalid is a choice here; its own validation reports what is wrong.
    pub(super) fn inferred_kind(&self) -> ParamKind {
        let whole_q = self.q.is_some_and(RawNumber::is_int);
        match self.form("") {
            Err(_) => ParamKind::Choice,
            Ok(Distribution::Constant) => values_kind(self.value.iter()),
            Ok(Distribution::Categorical) => values_kind(self.values.iter().flatten()),
            Ok(Distribution::IntUniform) => ParamKind::Whole,
            Ok(Distribution::QUniform)
                if whole_q && self.min.is_some_and(|m| m.as_f64().fract() == 0.0) =>
            {
                ParamKind::Whole
            }
            Ok(Distribution::QLogUniformValues) if whole_q => ParamKind::Whole,
            Ok(_) => ParamKind::Real,
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

    /// `mu` and `sigma`: finite, `sigma >= 0`; W&B's defaults 0 and 1 where absent.
    fn mu_sigma(&self, key: &str, form: Distribution) -> Result<(f64, f64), Issue> {
        let mu = required(key, "mu", Some(self.mu.unwrap_or(RawNumber::Int(0))), form)?;
        let sigma = required(
            key,
            "sigma",
            Some(self.sigma.unwrap_or(RawNumber::Int(1))),
            form,
        )?;
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
fn required(
    key: &str,
    field: &str,
    value: Option<RawNumber>,
    form: Distribution,
) -> Result<f64, Issue> {
    let key = format!("{key}.{field}");
    match value.map(RawNumber::as_f64) {
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
fn step(key: &str, q: Option<RawNumber>) -> Result<f64, Issue> {
    match q.map_or(1.0, RawNumber::as_f64) {
        q if q.is_finite() && q > 0.0 => Ok(q),
        q => Err(issue(key, format!("q must be a number above 0, got {q}"))),
    }
}

/// The kind of a `value` or `values` by their YAML types ([`RawParam::inferred_kind`]).
fn values_kind<'a>(values: impl Iterator<Item = &'a Value>) -> ParamKind {
    let (mut ints, mut floats, mut bools, mut others) = (0, 0, 0, 0);
    for value in values {
        match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => ints += 1,
            Value::Number(_) => floats += 1,
            Value::Bool(_) => bools += 1,
            _ => others += 1,
        }
    }
    match (ints, floats, bools, others) {
        (1.., 0, 0, 0) => ParamKind::Whole,
        (_, 1.., 0, 0) => ParamKind::Real,
        (0, 0, 1.., 0) => ParamKind::Flag,
        _ => ParamKind::Choice,
    }
}

/// A `values` list: non-empty, every value valid for the trainer, no value twice (after
/// normalizing, so `3e6` and `3000000` are the same value).
fn categorical(
    name: &str,
    key: &str,
    raw: Vec<Value>,
    rules: &dyn ParamRules,
) -> Result<ParamSpec, Issue> {
    if raw.is_empty() {
        return Err(issue(format!("{key}.values"), "the list is empty"));
    }
    let mut values: Vec<ParamValue> = Vec::with_capacity(raw.len());
    for (i, item) in raw.iter().enumerate() {
        let item_key = format!("{key}.values[{i}]");
        let value = param_value(name, &item_key, item, rules)?;
        if values.contains(&value) {
            return Err(issue(item_key, format!("{value} is listed twice")));
        }
        values.push(value);
    }
    Ok(ParamSpec::Categorical(values))
}

/// A YAML scalar as a parameter value, checked by the trainer and normalized.
fn param_value(
    name: &str,
    key: &str,
    yaml: &Value,
    rules: &dyn ParamRules,
) -> Result<ParamValue, Issue> {
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
    value.checked(name, rules).map_err(|e| issue(key, e))
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
fn check_extremes(
    name: &str,
    key: &str,
    spec: &ParamSpec,
    rules: &dyn ParamRules,
) -> Result<(), Issue> {
    for e in extremes(spec) {
        let Err(error) = e.value.checked(name, rules) else {
            continue;
        };
        let below = match e.value {
            ParamValue::Float(x) if e.open => Some(ParamValue::Float(x.next_down())),
            _ => None,
        };
        if below.is_some_and(|b| b.checked(name, rules).is_ok()) {
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
