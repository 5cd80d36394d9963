//! Validation of the raw file into a [`Spec`]: every section checked, naming the key path of
//! anything wrong.

use super::parameter::validate_param;
use super::raw::*;
use super::*;

impl RawSpec {
    pub(super) fn validate(self, rules: &dyn ParamRules) -> Result<Spec, Issue> {
        let name = self
            .name
            .parse::<SweepName>()
            .map_err(|e| issue("name", e.to_string()))?;
        let run_cap = check_run_cap(self.method, self.run_cap)?;
        let mut parameters = BTreeMap::new();
        for (param, raw) in self.parameters {
            let checked = validate_param(&param, raw, self.method, rules)?;
            parameters.insert(param, checked);
        }
        let kinds = parameters
            .keys()
            .filter_map(|name| Some((name.clone(), rules.kind(name)?)))
            .collect();
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
            metric: self
                .metric
                .map(RawMetric::validate)
                .transpose()?
                .unwrap_or_default(),
            run_cap,
            replicates: check_replicates(self.method, self.replicates)?,
            seed: self.seed.unwrap_or(0),
            parameters,
            data: self.data.validate()?,
            training,
            early_terminate,
            kinds,
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
    /// The built-in model reports only its five metrics.
    fn validate(self) -> Result<Metric, Issue> {
        if !self.name.is_built_in() {
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
