//! Validation of the raw file into a [`Spec`]: every section checked, naming the key path of
//! anything wrong.

use super::parameter::validate_param;
use super::raw::*;
use super::*;

impl RawSpec {
    /// The checked spec. A program sweep's parameters are checked by [`OpenRules`] inferred
    /// from the file, whatever `rules` the caller gave (the built-in model's).
    pub(super) fn validate(mut self, rules: &dyn ParamRules) -> Result<Spec, Issue> {
        let name = self
            .name
            .parse::<SweepName>()
            .map_err(|e| issue("name", e.to_string()))?;
        let program = self.program_spec()?;
        let open;
        let rules: &dyn ParamRules = if program.is_some() {
            check_param_names(&self.parameters)?;
            open = OpenRules::new(
                self.parameters
                    .iter()
                    .map(|(name, raw)| (name.clone(), raw.inferred_kind()))
                    .collect(),
            );
            &open
        } else {
            rules
        };
        let run_cap = check_run_cap(self.method, self.run_cap)?;
        let mut parameters = BTreeMap::new();
        for (param, raw) in std::mem::take(&mut self.parameters) {
            let checked = validate_param(&param, raw, self.method, rules)?;
            parameters.insert(param, checked);
        }
        let kinds = parameters
            .keys()
            .filter_map(|name| Some((name.clone(), rules.kind(name)?)))
            .collect();
        let training = match (&program, self.training) {
            (Some(_), Some(_)) => {
                return Err(issue(
                    "training",
                    "does not apply to a program, which decides how long it trains (its own \
                     epochs and early stopping); remove `training:`",
                ));
            }
            (Some(_), None) => None,
            (None, raw) => Some(raw.map_or(Ok(TrainingSpec::default()), RawTraining::validate)?),
        };
        let early_terminate = self
            .early_terminate
            .map(|raw| raw.validate(training.map(|t| t.max_epochs)))
            .transpose()?;
        let metric = match (self.metric, &program) {
            (Some(raw), _) => raw.validate(program.is_some())?,
            (None, None) => Metric::default(),
            (None, Some(_)) => program_default_metric(self.method, early_terminate.is_some())?,
        };
        let data = match (self.data, &program) {
            (Some(raw), _) => Some(raw.validate()?),
            (None, Some(_)) => None,
            (None, None) => {
                return Err(issue(
                    "data",
                    "missing field `data`: the built-in model trains on `data: {train: FILE}` \
                     (DREAM format) or `data: {synthetic: {rows, seed}}`",
                ));
            }
        };
        let spec = Spec {
            name,
            description: self.description,
            method: self.method,
            metric,
            run_cap,
            replicates: check_replicates(self.method, self.replicates)?,
            seed: self.seed.unwrap_or(0),
            parameters,
            data,
            training,
            early_terminate,
            kinds,
            program,
            project: self.project,
            entity: self.entity,
        };
        check_size(&spec)?;
        Ok(spec)
    }

    /// `program`, `command` and the keys that go with them, checked; `None` when the file has
    /// neither `program` nor `command` (then the program-only keys are errors).
    fn program_spec(&self) -> Result<Option<ProgramSpec>, Issue> {
        if !self.is_program() {
            let program_only = [
                ("stdout_metrics", self.stdout_metrics.is_some()),
                ("wandb", self.wandb.is_some()),
                ("stop_grace", self.stop_grace.is_some()),
            ];
            if let Some((key, _)) = program_only.iter().find(|(_, given)| *given) {
                return Err(issue(
                    *key,
                    format!(
                        "applies to a sweep that runs a program (`program: SCRIPT` or \
                         `command: [...]`); this one trains the built-in model, so remove `{key}`"
                    ),
                ));
            }
            return Ok(None);
        }
        let program = match self.program.as_deref() {
            Some(path) if path.trim().is_empty() => {
                return Err(issue("program", "the path is empty"));
            }
            path => path.map(PathBuf::from),
        };
        let command = match &self.command {
            None => DEFAULT_COMMAND
                .iter()
                .map(|word| CommandWord::parse(word).map_err(|e| issue("command", e)))
                .collect::<Result<Vec<_>, _>>()?,
            Some(words) if words.is_empty() => {
                return Err(issue(
                    "command",
                    "the list is empty; leave `command` out for W&B's default, \
                     [\"${env}\", \"${interpreter}\", \"${program}\", \"${args}\"]",
                ));
            }
            Some(words) => words
                .iter()
                .enumerate()
                .map(|(i, word)| {
                    let key = format!("command[{i}]");
                    let text = command_word(word).map_err(|e| issue(&key, e))?;
                    CommandWord::parse(&text).map_err(|e| issue(&key, e))
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        if program.is_none()
            && let Some(at) = command.iter().position(|w| *w == CommandWord::Program)
        {
            let key = if self.command.is_some() {
                format!("command[{at}]")
            } else {
                "program".to_string()
            };
            return Err(issue(
                key,
                "`${program}` needs `program: SCRIPT` (the file it stands for); add it, or \
                 remove the word",
            ));
        }
        Ok(Some(ProgramSpec {
            program,
            command,
            stdout_metrics: self.stdout_metrics.unwrap_or(false),
            wandb: self.wandb.unwrap_or(true),
            stop_grace: stop_grace(self.stop_grace)?,
        }))
    }
}

/// One `command` word as text: a string as it is; a number or boolean as Python's `str()`
/// writes it (W&B's agent `str()`s every word).
fn command_word(word: &Value) -> Result<String, String> {
    match word {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(x)) => python_float(x),
            (None, None) => n.to_string(),
        }),
        Value::Bool(b) => Ok(python_str(&ParamValue::Bool(*b))),
        Value::Null => Err("a command word is text; this one is empty (null)".to_string()),
        Value::Sequence(_) => Err("a command word is text, not a list".to_string()),
        Value::Mapping(_) => Err("a command word is text, not a mapping".to_string()),
        Value::Tagged(_) => Err("a command word is text, not a tagged value".to_string()),
    }
}

/// `stop_grace`: seconds above 0 (default [`DEFAULT_STOP_GRACE_SECS`]).
fn stop_grace(raw: Option<raw::RawNumber>) -> Result<std::time::Duration, Issue> {
    let Some(raw) = raw else {
        return Ok(std::time::Duration::from_secs(DEFAULT_STOP_GRACE_SECS));
    };
    let seconds = raw.as_f64();
    if !(seconds.is_finite() && seconds > 0.0) {
        return Err(issue(
            "stop_grace",
            format!(
                "must be a number of seconds above 0 (the time between SIGTERM and SIGKILL), \
                 got {seconds}"
            ),
        ));
    }
    std::time::Duration::try_from_secs_f64(seconds).map_err(|_| {
        issue(
            "stop_grace",
            format!("{seconds} seconds is too long to wait"),
        )
    })
}

/// A program's parameter names reach its command line as `--name=value`: not empty, no `=`,
/// no whitespace or control characters.
fn check_param_names(parameters: &BTreeMap<String, RawParam>) -> Result<(), Issue> {
    for name in parameters.keys() {
        let bad = name.is_empty()
            || name
                .chars()
                .any(|c| c == '=' || c.is_whitespace() || c.is_control());
        if bad {
            return Err(issue(
                format!("parameters.{name}"),
                format!(
                    "`{}` cannot be a program's parameter name: it is passed as --name=value, \
                     so it must be non-empty, without `=`, spaces or control characters",
                    name.escape_debug()
                ),
            ));
        }
    }
    Ok(())
}

/// The metric of a program sweep whose file names none: W&B needs one for bayes and for
/// early_terminate, and so do we; grid and random rank by [`PROGRAM_DEFAULT_METRIC`], minimized.
fn program_default_metric(method: Method, early_terminate: bool) -> Result<Metric, Issue> {
    if method == Method::Bayes {
        return Err(issue(
            "metric",
            "a bayes sweep of a program needs `metric: {name: NAME, goal: minimize|maximize}`, \
             the value the program reports that the search learns from (W&B requires it too)",
        ));
    }
    if early_terminate {
        return Err(issue(
            "metric",
            "early_terminate needs `metric: {name: NAME, goal: minimize|maximize}`, the value \
             trials are compared by at each rung (W&B requires it too)",
        ));
    }
    let name = MetricName::new(PROGRAM_DEFAULT_METRIC).map_err(|e| issue("metric", e))?;
    Ok(Metric {
        name,
        goal: Goal::Minimize,
    })
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
    /// The built-in model reports only its five metrics; a program any name it logs. The
    /// default goal is [`MetricName::default_goal`] (minimize, as W&B, for other names).
    fn validate(self, program: bool) -> Result<Metric, Issue> {
        if !program && !self.name.is_built_in() {
            return Err(issue(
                "metric.name",
                format!(
                    "unknown metric `{}`; the built-in model reports: {}",
                    self.name,
                    crate::metric::built_in_names()
                ),
            ));
        }
        Ok(Metric {
            goal: self.goal.unwrap_or(self.name.default_goal()),
            name: self.name,
        })
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
