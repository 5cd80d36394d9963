//! A trial's state: an enum in Rust, a `CHECK` in SQL, and the one mapping between them
//! ([`TrialState::as_str`], [`TrialState::parse`]).

/// Where a trial is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrialState {
    /// Not started.
    Pending,
    /// Claimed by a worker that heartbeats while it trains.
    Running,
    /// Trained to its end (max epochs or early stopping).
    Completed,
    /// Stopped by an error; `error` says why. `--retry-failed` makes it pending again.
    Failed,
    /// Stopped on request (Ctrl-C) or found abandoned; resumes from its checkpoint.
    Interrupted,
    /// Stopped at a rung by `early_terminate` (its metric was below the top share of the
    /// trials that reached the rung); its epochs and checkpoint are kept, it never resumes.
    Pruned,
}

impl TrialState {
    /// Every state, in the order displays list them.
    pub const ALL: [TrialState; 6] = [
        TrialState::Completed,
        TrialState::Pruned,
        TrialState::Running,
        TrialState::Pending,
        TrialState::Interrupted,
        TrialState::Failed,
    ];

    /// The name stored in the database and shown to users.
    pub fn as_str(self) -> &'static str {
        match self {
            TrialState::Pending => "pending",
            TrialState::Running => "running",
            TrialState::Completed => "completed",
            TrialState::Failed => "failed",
            TrialState::Interrupted => "interrupted",
            TrialState::Pruned => "pruned",
        }
    }

    /// The state a stored name stands for.
    pub fn parse(name: &str) -> Option<TrialState> {
        TrialState::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// True once the trial will not train again without `--retry-failed` (which leaves
    /// pruned trials alone).
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            TrialState::Completed | TrialState::Failed | TrialState::Pruned
        )
    }
}

impl std::fmt::Display for TrialState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for state in TrialState::ALL {
            assert_eq!(TrialState::parse(state.as_str()), Some(state));
        }
        assert_eq!(TrialState::parse("done"), None);
    }
}
