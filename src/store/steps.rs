//! A program's steps: recorded as its lines arrive (merged, or replacing those of an earlier
//! attempt from their step on), replayed from its metrics file when an attempt starts, ranked
//! by any metric name, and judged at rungs counted in values of the metric, as W&B's
//! Hyperband counts them. The built-in model's epochs are `epochs.rs`; both write the same
//! tables.

use super::epochs::{
    Conflict, fixed_column, has_rung_row, insert_epoch, judge, numbered_epochs, sweep_metric,
    trial_epoch, update_best,
};
use super::*;

impl Store {
    /// Each trial's step at its best epoch, with its named metrics, by trial number (trials
    /// without a best epoch left out).
    pub fn best_steps(&self, sweep: SweepId) -> Result<Vec<(usize, EpochMetrics)>, StoreError> {
        numbered_epochs(&self.conn, sweep, "e.epoch = t.best_epoch")
    }

    /// Every metric name the trials of a sweep reported, in the order views list them: the
    /// built-in model's columns that hold a value anywhere, then the others by name.
    pub fn metric_names(&self, sweep: SweepId) -> Result<Vec<String>, StoreError> {
        let counts = EpochMetrics::FIELDS
            .iter()
            .map(|c| format!("COUNT(e.{c})"))
            .collect::<Vec<_>>()
            .join(", ");
        let row = self.conn.query_one(
            &format!(
                "SELECT {counts} FROM epochs e JOIN trials t ON t.id = e.trial_id
                 WHERE t.sweep_id = ?1"
            ),
            params![sweep.0],
        )?;
        let mut names = Vec::new();
        for (i, field) in EpochMetrics::FIELDS.iter().enumerate() {
            if row.count(i)? > 0 {
                names.push(field.to_string());
            }
        }
        for r in self.conn.query(
            "SELECT DISTINCT m.name FROM metrics m JOIN trials t ON t.id = m.trial_id
             WHERE t.sweep_id = ?1 ORDER BY m.name",
            params![sweep.0],
        )? {
            names.push(r.text(0)?);
        }
        Ok(names)
    }

    /// Make the stored steps of a program trial equal `steps`: what its earlier attempts
    /// reported, by its metrics file, as a new attempt starts (a worker may die between a
    /// line and its row). Other rows are deleted, with the rung decisions past the values of
    /// the metric that remain; a rung among them without a decision is decided now, as
    /// [`Store::record_step`] would have. The answer is the first [`RungDecision::Prune`],
    /// else the last decision made (or `NotARung`).
    pub fn start_steps(
        &mut self,
        trial: TrialId,
        me: &WorkerInfo,
        steps: &[EpochMetrics],
        rule: Option<&dyn RungRule>,
    ) -> Result<RungDecision, StoreError> {
        let tx = self.conn.transaction(Lock::SweepOf(trial))?;
        trials::touch_held(&tx, trial, me)?;
        let (metric, _) = sweep_metric(&tx, trial)?;
        for table in ["metrics", "epochs"] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE trial_id = ?1"),
                params![trial.0],
            )?;
        }
        for m in steps {
            insert_epoch(&tx, trial, m, Conflict::Refuse)?;
        }
        let values = steps
            .iter()
            .filter(|m| m.value(metric.as_str()).is_some())
            .count();
        tx.execute(
            "DELETE FROM rungs WHERE trial_id = ?1 AND rung_epoch > ?2",
            params![trial.0, values],
        )?;
        update_best(&tx, trial)?;
        let mut decision = RungDecision::NotARung;
        if let Some(rule) = rule {
            for n in 1..=values {
                if rule.is_rung(n) && !has_rung_row(&tx, trial, n)? {
                    decision = decide_rung_at_iteration(&tx, trial, n, rule)?;
                    if decision == RungDecision::Prune {
                        break;
                    }
                }
            }
        }
        tx.commit()?;
        Ok(decision)
    }

    /// Record one step a program reported, as it arrives (and count it as a heartbeat).
    /// [`StepWrite::Replace`] makes it the trial's last step: rows from its step on, and the
    /// rung decisions made there, are deleted first (a resumed program reporting a step again
    /// replaces what an earlier attempt recorded, so the rows are never a mix of attempts);
    /// [`StepWrite::Merge`] adds its values to the step already recorded (a program may log
    /// one step in several lines).
    ///
    /// Rungs count values of the sweep's metric, as W&B's Hyperband counts a run's logged
    /// values of it (not its steps): the trial is judged at rung `n` when its `n`-th value
    /// arrives, against the `n`-th values of the sweep's other trials (failed ones left out),
    /// once per rung, in the same transaction; a pruned trial leaves `running` at once.
    pub fn record_step(
        &mut self,
        trial: TrialId,
        me: &WorkerInfo,
        step: &EpochMetrics,
        write: StepWrite,
        rule: Option<&dyn RungRule>,
    ) -> Result<RungDecision, StoreError> {
        // A rung decision reads other trials' rows, and so does a replace (it may drop
        // decisions); other steps lock nothing shared.
        let lock = if rule.is_some() || write == StepWrite::Replace {
            Lock::SweepOf(trial)
        } else {
            Lock::Rows
        };
        let tx = self.conn.transaction(lock)?;
        trials::touch_held(&tx, trial, me)?;
        let (metric, goal) = sweep_metric(&tx, trial)?;
        // Whether rows went (a resumed program reporting a step again, or a merge): then the
        // best is recomputed; a step after the last only competes with the best so far.
        let mut changed = write == StepWrite::Merge;
        let merged = match write {
            StepWrite::Replace => {
                tx.execute(
                    "DELETE FROM metrics WHERE trial_id = ?1 AND epoch >= ?2",
                    params![trial.0, step.epoch],
                )?;
                let deleted = tx.execute(
                    "DELETE FROM epochs WHERE trial_id = ?1 AND epoch >= ?2",
                    params![trial.0, step.epoch],
                )?;
                if deleted > 0 {
                    changed = true;
                    // Rungs count values of the metric: those before this step stay.
                    let kept = metric_count(&tx, trial, &metric, step.epoch - 1)?;
                    tx.execute(
                        "DELETE FROM rungs WHERE trial_id = ?1 AND rung_epoch > ?2",
                        params![trial.0, kept],
                    )?;
                }
                step.clone()
            }
            StepWrite::Merge => {
                let mut merged = trial_epoch(&tx, trial, step.epoch)?
                    .unwrap_or_else(|| EpochMetrics::empty(step.epoch));
                merged.merge(step);
                merged
            }
        };
        insert_epoch(&tx, trial, &merged, Conflict::Replace)?;
        match merged.value(metric.as_str()) {
            _ if changed => update_best(&tx, trial)?,
            Some(value) => better_best(&tx, trial, merged.epoch, value, goal)?,
            None => {}
        }
        let decision = match rule {
            Some(rule) if merged.value(metric.as_str()).is_some() => {
                let iteration = metric_count(&tx, trial, &metric, step.epoch)?;
                if rule.is_rung(iteration) && !has_rung_row(&tx, trial, iteration)? {
                    decide_rung_at_iteration(&tx, trial, iteration, rule)?
                } else {
                    RungDecision::NotARung
                }
            }
            _ => RungDecision::NotARung,
        };
        tx.commit()?;
        Ok(decision)
    }
}

/// Judge a program's `trial` at rung `iteration` (its `iteration`-th value of the sweep's
/// metric is written) against the `iteration`-th value of every trial of its sweep that has
/// one, except failed ones: W&B's Hyperband counts a run's logged values of the metric, not
/// its steps.
fn decide_rung_at_iteration(
    tx: &Tx,
    trial: TrialId,
    iteration: usize,
    rule: &dyn RungRule,
) -> Result<RungDecision, StoreError> {
    let (metric, goal) = sweep_metric(tx, trial)?;
    let (from, value, name) = match fixed_column(&metric) {
        Some(column) => ("epochs", column, ""),
        None => ("metrics", "value", "AND v.name = ?3"),
    };
    let rows = tx.query(
        &format!(
            "SELECT trial_id, value FROM (
                 SELECT v.trial_id, v.{value} AS value,
                        ROW_NUMBER() OVER (PARTITION BY v.trial_id ORDER BY v.epoch) AS n
                 FROM {from} v JOIN trials t ON t.id = v.trial_id
                 WHERE t.sweep_id = (SELECT sweep_id FROM trials WHERE id = ?1)
                   AND t.state != 'failed' AND v.{value} IS NOT NULL {name}
             ) AS history WHERE n = ?2"
        ),
        &if name.is_empty() {
            params![trial.0, iteration].to_vec()
        } else {
            params![trial.0, iteration, metric.as_str()].to_vec()
        },
    )?;
    judge(tx, trial, iteration, rule, goal, &rows)
}

/// How many values of the sweep's metric `trial` has at steps up to `step`.
fn metric_count(
    tx: &Tx,
    trial: TrialId,
    metric: &MetricName,
    step: usize,
) -> Result<usize, StoreError> {
    let row = match fixed_column(metric) {
        Some(column) => tx.query_one(
            &format!(
                "SELECT COUNT(*) FROM epochs WHERE trial_id = ?1 AND epoch <= ?2
                   AND {column} IS NOT NULL"
            ),
            params![trial.0, step],
        )?,
        None => tx.query_one(
            "SELECT COUNT(*) FROM metrics WHERE trial_id = ?1 AND epoch <= ?2 AND name = ?3",
            params![trial.0, step, metric.as_str()],
        )?,
    };
    row.count(0)
}

/// Make `epoch` the trial's best when `value` beats its best so far (a later epoch never wins
/// a tie, as in [`update_best`]): one comparison instead of a scan of every step, for programs
/// that report thousands.
fn better_best(
    tx: &Tx,
    trial: TrialId,
    epoch: usize,
    value: f64,
    goal: Goal,
) -> Result<(), StoreError> {
    let Some(value) = finite(value) else {
        return Ok(());
    };
    let beats = match goal {
        Goal::Maximize => ">",
        Goal::Minimize => "<",
    };
    tx.execute(
        &format!(
            "UPDATE trials SET best_epoch = ?2, best_metric = ?3
             WHERE id = ?1 AND (best_metric IS NULL OR ?3 {beats} best_metric)"
        ),
        params![trial.0, epoch, value],
    )?;
    Ok(())
}
