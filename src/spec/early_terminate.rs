//! `early_terminate`: W&B's Hyperband stopping schema, read strictly and turned into rungs.
//!
//! W&B's two forms (its `config/schema.json` and `hyperband_stopping.py`):
//! `{type: hyperband, min_iter: M, eta: E}` puts rungs at `M·E^k` (k = 0, 1, …);
//! `{type: hyperband, max_iter: X, s: S, eta: E}` puts them at `X/E^i` (i = 1..=S, rounded
//! down, those below 1 dropped). `eta` defaults to 3; `strict` (default true) picks the
//! share kept at a rung (`search::hyperband`). Only rungs below `training.max_epochs` count (a
//! trial that reaches the last epoch ends anyway); a program has no `training`, so its rungs
//! go up to [`PROGRAM_MAX_STEP`](super::PROGRAM_MAX_STEP) (`Spec::rungs`). One difference from W&B: W&B reads the
//! metric at history index `band` (0-based, so its band 3 is the 4th logged value); here a
//! rung is the 1-based epoch number, so rung 3 is judged after epoch 3.

use super::raw::{Issue, issue};
use super::*;

/// `early_terminate` as serde reads it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEarlyTerminate {
    #[serde(rename = "type")]
    kind: StopKind,
    min_iter: Option<u64>,
    max_iter: Option<u64>,
    s: Option<u64>,
    eta: Option<f64>,
    strict: Option<bool>,
}

/// The stopping algorithms W&B names; we have Hyperband.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopKind {
    /// Asynchronous successive halving at Hyperband's rungs.
    Hyperband,
}

/// Where the rungs are, in the form the sweep file gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RungSchedule {
    /// Rungs at `min_iter·eta^k`, k = 0, 1, …
    MinIter(usize),
    /// Rungs at `max_iter/eta^i`, i = 1..=s.
    MaxIter {
        /// The epoch the rungs count down from (itself not a rung).
        max_iter: usize,
        /// How many rungs below it.
        s: usize,
    },
}

/// A validated `early_terminate`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct EarlyTerminate {
    /// The algorithm (`hyperband`).
    #[serde(rename = "type")]
    pub kind: StopKind,
    /// Where the rungs are.
    pub schedule: RungSchedule,
    /// The reduction factor: a rung keeps about `1/eta` of the trials that reach it (> 1).
    pub eta: f64,
    /// Keep `ceil(n/eta)` at a rung (true, W&B's default) or `floor(n/eta) + 1`.
    pub strict: bool,
}

/// W&B's default `eta`.
pub const DEFAULT_ETA: f64 = 3.0;

impl EarlyTerminate {
    /// The rung epochs below `max_epochs`, ascending and distinct.
    pub fn rungs(&self, max_epochs: usize) -> Vec<usize> {
        let mut rungs = Vec::new();
        match self.schedule {
            RungSchedule::MinIter(min_iter) => {
                let mut at = min_iter as f64;
                while at < max_epochs as f64 {
                    rungs.push(at as usize);
                    if self.eta <= 1.0 || self.eta.is_nan() {
                        break; // validated away; a hand-built value must not loop forever
                    }
                    at *= self.eta;
                }
            }
            RungSchedule::MaxIter { max_iter, s } => {
                let mut at = max_iter as f64;
                for _ in 0..s {
                    at /= self.eta;
                    if at < 1.0 {
                        break;
                    }
                    rungs.push(at as usize);
                }
            }
        }
        rungs.retain(|&r| r >= 1 && r < max_epochs);
        rungs.sort_unstable();
        rungs.dedup();
        rungs
    }
}

/// What a recorded epoch means for its trial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RungDecision {
    /// The epoch is not a rung (or the sweep does not prune): train on.
    NotARung,
    /// A rung, and the trial ranks within the top share: train on.
    Continue,
    /// A rung, and the trial ranks below the top share: it stops here, state `pruned`.
    Prune,
}

impl RungDecision {
    /// The name the `rungs` table stores (`continue` or `prune`); `None` for
    /// [`RungDecision::NotARung`], which is never stored.
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            RungDecision::NotARung => None,
            RungDecision::Continue => Some("continue"),
            RungDecision::Prune => Some("prune"),
        }
    }

    /// The decision a stored name stands for.
    pub fn parse(name: &str) -> Option<RungDecision> {
        [RungDecision::Continue, RungDecision::Prune]
            .into_iter()
            .find(|d| d.as_str() == Some(name))
    }
}

/// One rung decision with the numbers behind it (what the `rungs` table records).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RungOutcome {
    /// 1-based place of the trial among those at the rung; ties share the better place.
    pub rank: usize,
    /// Trials at the rung when it was decided, the trial itself included.
    pub reached: usize,
    /// How many places continue: `ceil(reached / eta)` (strict) or `floor(reached / eta) + 1`.
    pub kept: usize,
    /// Continue or prune.
    pub decision: RungDecision,
}

/// How a sweep judges trials at its rungs (`search::hyperband::Pruner`). The store applies it
/// inside the transaction that records a rung's epoch, so that every worker sees one order of
/// decisions; the rule itself does no I/O.
pub trait RungRule: Sync {
    /// Whether a trial is judged when it records `epoch`.
    fn is_rung(&self, epoch: usize) -> bool;
    /// Judge a trial whose metric at a rung is `mine`, given the metric of every trial at that
    /// rung (`at_rung`, `mine` among them).
    fn decide(&self, goal: Goal, mine: f64, at_rung: &[f64]) -> RungOutcome;
}

impl RawEarlyTerminate {
    /// Check the fields and that some rung falls below `max_epochs` (the built-in model's
    /// `training.max_epochs`; `None` for a program, whose steps are not bounded in advance).
    pub(super) fn validate(self, max_epochs: Option<usize>) -> Result<EarlyTerminate, Issue> {
        let key = |field: &str| format!("early_terminate.{field}");
        let eta = self.eta.unwrap_or(DEFAULT_ETA);
        if !(eta.is_finite() && eta > 1.0) {
            return Err(issue(
                key("eta"),
                format!("must be a number above 1 (the reduction factor), got {eta}"),
            ));
        }
        let whole = |field: &str, v: u64| match usize::try_from(v) {
            Ok(0) | Err(_) => Err(issue(key(field), format!("must be at least 1, got {v}"))),
            Ok(v) => Ok(v),
        };
        let schedule = match (self.min_iter, self.max_iter, self.s) {
            (Some(_), Some(_), _) => {
                return Err(issue(
                    key("max_iter"),
                    "give `min_iter`, or `max_iter` with `s`, not both",
                ));
            }
            (Some(min_iter), None, None) => RungSchedule::MinIter(whole("min_iter", min_iter)?),
            (Some(_), None, Some(_)) => {
                return Err(issue(key("s"), "`s` goes with `max_iter`, not `min_iter`"));
            }
            (None, Some(max_iter), Some(s)) => RungSchedule::MaxIter {
                max_iter: whole("max_iter", max_iter)?,
                s: whole("s", s)?,
            },
            (None, Some(_), None) => {
                return Err(issue(
                    key("s"),
                    "missing `s`: `max_iter` needs it (the number of rungs below max_iter)",
                ));
            }
            (None, None, _) => {
                return Err(issue(
                    "early_terminate",
                    "needs `min_iter` (the first rung), or `max_iter` with `s`",
                ));
            }
        };
        let checked = EarlyTerminate {
            kind: self.kind,
            schedule,
            eta,
            strict: self.strict.unwrap_or(true),
        };
        match max_epochs {
            Some(max_epochs) if checked.rungs(max_epochs).is_empty() => {
                return Err(issue(
                    "early_terminate",
                    format!(
                        "no rung falls below training.max_epochs ({max_epochs}), so no trial \
                         would ever be stopped; lower min_iter (or max_iter), or raise max_epochs"
                    ),
                ));
            }
            None if checked.rungs(super::PROGRAM_MAX_STEP).is_empty() => {
                return Err(issue(
                    "early_terminate",
                    "no rung falls at step 1 or later (max_iter/eta^i is below 1 for every i), \
                     so no trial would ever be stopped; raise max_iter or lower eta",
                ));
            }
            _ => {}
        }
        Ok(checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rungs(schedule: RungSchedule, eta: f64, max_epochs: usize) -> Vec<usize> {
        EarlyTerminate {
            kind: StopKind::Hyperband,
            schedule,
            eta,
            strict: true,
        }
        .rungs(max_epochs)
    }

    #[test]
    fn min_iter_rungs_grow_by_eta_below_max_epochs() {
        assert_eq!(rungs(RungSchedule::MinIter(3), 3.0, 27), [3, 9]);
        assert_eq!(rungs(RungSchedule::MinIter(3), 3.0, 28), [3, 9, 27]);
        assert_eq!(rungs(RungSchedule::MinIter(1), 2.0, 20), [1, 2, 4, 8, 16]);
        // A fractional eta rounds down and never repeats a rung.
        assert_eq!(rungs(RungSchedule::MinIter(1), 1.5, 6), [1, 2, 3, 5]);
        assert_eq!(
            rungs(RungSchedule::MinIter(30), 3.0, 27),
            Vec::<usize>::new()
        );
    }

    #[test]
    fn max_iter_rungs_count_down_like_wandb() {
        // W&B's docstring example: max_iter 5, eta 2, s 2 => bands [1, 2].
        assert_eq!(
            rungs(RungSchedule::MaxIter { max_iter: 5, s: 2 }, 2.0, 200),
            [1, 2]
        );
        assert_eq!(
            rungs(RungSchedule::MaxIter { max_iter: 27, s: 2 }, 3.0, 200),
            [3, 9]
        );
        // Rungs below 1 are dropped; so are those at or past max_epochs.
        assert_eq!(
            rungs(RungSchedule::MaxIter { max_iter: 27, s: 5 }, 3.0, 5),
            [1, 3]
        );
    }
}
