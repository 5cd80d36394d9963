//! What a live view asks the store: the database's clock, the trials that changed since a time
//! on it, and the epochs of a few trials. Reads only, each one short query, so a dashboard
//! polling every second never holds a lock a writer waits on.

use super::trials::{TRIAL_COLUMNS, trial_from_row};
use super::*;

impl Store {
    /// The database's clock now, as the UTC text its timestamps use (`2026-11-27T18:30:57.123Z`).
    pub fn clock(&self) -> Result<String, StoreError> {
        self.conn.query_one("SELECT utc_now()", &[])?.text(0)
    }

    /// The trials of a sweep that are running, or that started, finished or sent a heartbeat
    /// (every epoch counts as one) at or after `since` (a time read from [`Store::clock`]), by
    /// number.
    pub fn trials_changed_since(
        &self,
        sweep: SweepId,
        since: &str,
    ) -> Result<Vec<TrialRecord>, StoreError> {
        self.conn
            .query(
                &format!(
                    "{TRIAL_COLUMNS} FROM trials t WHERE t.sweep_id = ?1 AND (t.state = 'running'
                     OR t.heartbeat_at >= ?2 OR t.started_at >= ?2 OR t.ended_at >= ?2)
                     ORDER BY t.number"
                ),
                params![sweep.0, since],
            )?
            .iter()
            .map(trial_from_row)
            .collect()
    }

    /// Every epoch of the trials numbered `numbers` of a sweep, by trial number then epoch,
    /// each with its named metrics.
    pub fn epochs_of_trials(
        &self,
        sweep: SweepId,
        numbers: &[usize],
    ) -> Result<Vec<(usize, EpochMetrics)>, StoreError> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        // Numbers are integers, so writing them into the statement cannot inject anything.
        let list: Vec<String> = numbers.iter().map(usize::to_string).collect();
        epochs::numbered_epochs(
            &self.conn,
            sweep,
            &format!("t.number IN ({})", list.join(", ")),
        )
    }
}
