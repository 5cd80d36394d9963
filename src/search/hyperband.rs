//! Asynchronous successive halving (ASHA, "stop" variant, as W&B's `early_terminate:
//! hyperband` and Optuna's successive-halving pruner do it): the pure rule, without I/O.
//!
//! A sweep with `early_terminate` has rungs: epochs at which every trial is compared with the
//! trials of the sweep that reached the same epoch before it (and itself). A trial continues
//! only while its metric at the rung ranks within the top `keep(reached)`; otherwise it is
//! pruned. Decisions are asynchronous: each trial is judged once per rung, when it gets there,
//! against whoever is there at that moment, so the first trial at a rung always continues and
//! no worker waits for another. The store applies the rule ([`RungRule`]) to the values it reads
//! inside the transaction that records the epoch, so any number of workers agree; it decides
//! nothing itself.

use crate::metric::Goal;
use crate::spec::{RungDecision, RungOutcome, RungRule, Spec};

/// The rungs of a sweep and how many trials each lets through.
#[derive(Clone, Debug, PartialEq)]
pub struct Pruner {
    rungs: Vec<usize>,
    eta: f64,
    strict: bool,
}

impl Pruner {
    /// A pruner with these rung epochs (sorted, distinct, each at least 1), reduction factor
    /// `eta` (> 1), and W&B's `strict` flag (see [`Pruner::keep`]).
    pub fn new(mut rungs: Vec<usize>, eta: f64, strict: bool) -> Pruner {
        rungs.retain(|&r| r >= 1);
        rungs.sort_unstable();
        rungs.dedup();
        Pruner { rungs, eta, strict }
    }

    /// The rule of `spec`'s `early_terminate`, if it has one: rungs below its
    /// `training.max_epochs` (a program's: [`Spec::rungs`]).
    pub fn of(spec: &Spec) -> Option<Pruner> {
        let early = spec.early_terminate?;
        Some(Pruner::new(spec.rungs(), early.eta, early.strict))
    }

    /// The rung epochs, ascending.
    pub fn rungs(&self) -> &[usize] {
        &self.rungs
    }

    /// Whether a trial is judged when it records `epoch`.
    pub fn is_rung(&self, epoch: usize) -> bool {
        self.rungs.binary_search(&epoch).is_ok()
    }

    /// How many places continue when `reached` trials are at a rung: strict (W&B's default)
    /// keeps the top `ceil(reached / eta)`, the share Hyperband promotes; not strict keeps one
    /// more where `eta` divides `reached` (`floor(reached / eta) + 1`, the threshold W&B's
    /// implementation uses). Always at least 1, so the first trial at a rung continues.
    pub fn keep(&self, reached: usize) -> usize {
        let share = reached as f64 / self.eta;
        let kept = if self.strict {
            share.ceil()
        } else {
            share.floor() + 1.0
        };
        (kept as usize).clamp(1, reached.max(1))
    }

    /// Judge a trial whose metric at a rung is `mine`, given the metric of every trial at that
    /// rung (`at_rung`, `mine` among them). A value that is not a number ranks below every
    /// number. Ties share the better place, so a trial tied with the last kept place continues.
    pub fn decide(&self, goal: Goal, mine: f64, at_rung: &[f64]) -> RungOutcome {
        let reached = at_rung.len().max(1);
        let rank = 1 + at_rung.iter().filter(|&&v| goal.better(v, mine)).count();
        let kept = self.keep(reached);
        let decision = if rank <= kept {
            RungDecision::Continue
        } else {
            RungDecision::Prune
        };
        RungOutcome {
            rank,
            reached,
            kept,
            decision,
        }
    }
}

impl RungRule for Pruner {
    fn is_rung(&self, epoch: usize) -> bool {
        Pruner::is_rung(self, epoch)
    }

    fn decide(&self, goal: Goal, mine: f64, at_rung: &[f64]) -> RungOutcome {
        Pruner::decide(self, goal, mine, at_rung)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pruner(eta: f64) -> Pruner {
        Pruner::new(vec![3, 9], eta, true)
    }

    #[test]
    fn rungs_are_sorted_and_known() {
        let p = Pruner::new(vec![9, 3, 3, 0], 3.0, true);
        assert_eq!(p.rungs(), [3, 9]);
        assert!(p.is_rung(3) && p.is_rung(9));
        assert!(!p.is_rung(1) && !p.is_rung(27) && !p.is_rung(0));
    }

    #[test]
    fn the_first_trial_at_a_rung_continues() {
        let p = pruner(3.0);
        let first = p.decide(Goal::Maximize, 0.1, &[0.1]);
        assert_eq!(
            first,
            RungOutcome {
                rank: 1,
                reached: 1,
                kept: 1,
                decision: RungDecision::Continue
            }
        );
        // Even a value that is not a number continues when it is alone.
        assert_eq!(
            p.decide(Goal::Maximize, f64::NAN, &[f64::NAN]).decision,
            RungDecision::Continue
        );
    }

    #[test]
    fn the_top_ceil_share_continues_with_eta_3() {
        let p = pruner(3.0);
        assert_eq!(
            (1..=7).map(|n| p.keep(n)).collect::<Vec<_>>(),
            [1, 1, 1, 2, 2, 2, 3]
        );
        let values = [0.5, 0.4, 0.3, 0.2];
        let outcomes: Vec<(usize, RungDecision)> = values
            .iter()
            .map(|&v| {
                let o = p.decide(Goal::Maximize, v, &values);
                (o.rank, o.decision)
            })
            .collect();
        use RungDecision::{Continue, Prune};
        assert_eq!(
            outcomes,
            [(1, Continue), (2, Continue), (3, Prune), (4, Prune)]
        );
    }

    #[test]
    fn eta_2_keeps_half() {
        let p = pruner(2.0);
        assert_eq!(
            (1..=6).map(|n| p.keep(n)).collect::<Vec<_>>(),
            [1, 1, 2, 2, 3, 3]
        );
        assert_eq!(
            p.decide(Goal::Maximize, 0.2, &[0.1, 0.2, 0.3]).decision,
            RungDecision::Continue
        );
        assert_eq!(
            p.decide(Goal::Maximize, 0.1, &[0.1, 0.2, 0.3]).decision,
            RungDecision::Prune
        );
    }

    #[test]
    fn minimize_ranks_the_smallest_first() {
        let p = pruner(3.0);
        let losses = [0.9, 0.2, 0.5];
        assert_eq!(p.decide(Goal::Minimize, 0.2, &losses).rank, 1);
        assert_eq!(
            p.decide(Goal::Minimize, 0.2, &losses).decision,
            RungDecision::Continue
        );
        assert_eq!(p.decide(Goal::Minimize, 0.5, &losses).rank, 2);
        assert_eq!(
            p.decide(Goal::Minimize, 0.9, &losses).decision,
            RungDecision::Prune
        );
        // The same values maximized: the order turns round.
        assert_eq!(p.decide(Goal::Maximize, 0.9, &losses).rank, 1);
    }

    #[test]
    fn ties_share_the_better_place() {
        let p = pruner(3.0);
        // Four at the rung keep two; three tie for second place: all three continue.
        let values = [0.5, 0.3, 0.3, 0.3];
        let tied = p.decide(Goal::Maximize, 0.3, &values);
        assert_eq!((tied.rank, tied.kept), (2, 2));
        assert_eq!(tied.decision, RungDecision::Continue);
        // A tie for first with three at the rung: both first, both continue.
        assert_eq!(
            p.decide(Goal::Maximize, 0.4, &[0.4, 0.4, 0.1]).decision,
            RungDecision::Continue
        );
    }

    #[test]
    fn not_a_number_ranks_last() {
        let p = pruner(3.0);
        let values = [f64::NAN, 0.1, 0.2, 0.3];
        let nan = p.decide(Goal::Maximize, f64::NAN, &values);
        assert_eq!((nan.rank, nan.decision), (4, RungDecision::Prune));
        assert_eq!(p.decide(Goal::Minimize, 0.3, &values).rank, 3);
    }

    #[test]
    fn not_strict_keeps_one_more_where_eta_divides() {
        let p = Pruner::new(vec![3], 3.0, false);
        assert_eq!(
            (1..=7).map(|n| p.keep(n)).collect::<Vec<_>>(),
            [1, 1, 2, 2, 2, 3, 3]
        );
        assert_eq!(
            p.decide(Goal::Maximize, 0.2, &[0.1, 0.2, 0.3]).decision,
            RungDecision::Continue
        );
        assert_eq!(
            pruner(3.0)
                .decide(Goal::Maximize, 0.2, &[0.1, 0.2, 0.3])
                .decision,
            RungDecision::Prune
        );
    }

    #[test]
    fn decisions_round_trip_through_their_names() {
        for d in [RungDecision::Continue, RungDecision::Prune] {
            assert_eq!(d.as_str().and_then(RungDecision::parse), Some(d));
        }
        assert_eq!(RungDecision::NotARung.as_str(), None);
        assert_eq!(RungDecision::parse("stop"), None);
    }
}
