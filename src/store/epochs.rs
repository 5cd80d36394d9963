//! Epochs and rungs: every finished epoch of a held trial, and the rung decisions a sweep's
//! rule ([`RungRule`]) makes in the same transaction.

use super::*;

impl Store {
    /// A trial's epochs, in order.
    pub fn epochs(&self, trial: TrialId) -> Result<Vec<EpochMetrics>, StoreError> {
        trial_epochs(&self.conn, trial)
    }

    /// Every epoch of every trial of a sweep, by trial number then epoch (one query, for
    /// reports of large sweeps).
    pub fn sweep_epochs(&self, sweep: SweepId) -> Result<Vec<(usize, EpochMetrics)>, StoreError> {
        self.conn
            .query(
                "SELECT t.number, e.epoch, e.train_loss, e.val_loss, e.val_r2, e.val_pearson,
                        e.val_spearman, e.learning_rate, e.seconds, e.samples_per_s
                 FROM epochs e JOIN trials t ON t.id = e.trial_id
                 WHERE t.sweep_id = ?1 ORDER BY t.number, e.epoch",
                params![sweep.0],
            )?
            .iter()
            .map(|r| Ok((r.count(0)?, epoch_at(r, 1)?)))
            .collect::<Result<Vec<_>, StoreError>>()
            .and_then(|mut epochs| {
                let named = self.conn.query(
                    "SELECT t.number, m.epoch, m.name, m.value
                     FROM metrics m JOIN trials t ON t.id = m.trial_id
                     WHERE t.sweep_id = ?1 ORDER BY t.number, m.epoch",
                    params![sweep.0],
                )?;
                // Both lists are sorted by (trial, epoch): one merge pass.
                let mut at = 0;
                for r in named.iter() {
                    let key = (r.count(0)?, r.count(1)?);
                    while at < epochs.len() && (epochs[at].0, epochs[at].1.epoch) < key {
                        at += 1;
                    }
                    if let Some((number, m)) = epochs.get_mut(at)
                        && (*number, m.epoch) == key
                    {
                        m.extra.insert(r.text(2)?, r.real_or_nan(3)?);
                    }
                }
                Ok(epochs)
            })
    }

    /// Each trial's step at its best epoch, with its named metrics, by trial number (trials
    /// without a best epoch left out).
    pub fn best_steps(&self, sweep: SweepId) -> Result<Vec<(usize, EpochMetrics)>, StoreError> {
        let mut steps = self
            .conn
            .query(
                "SELECT t.number, e.epoch, e.train_loss, e.val_loss, e.val_r2, e.val_pearson,
                        e.val_spearman, e.learning_rate, e.seconds, e.samples_per_s
                 FROM epochs e JOIN trials t ON t.id = e.trial_id
                 WHERE t.sweep_id = ?1 AND e.epoch = t.best_epoch ORDER BY t.number",
                params![sweep.0],
            )?
            .iter()
            .map(|r| Ok((r.count(0)?, epoch_at(r, 1)?)))
            .collect::<Result<Vec<(usize, EpochMetrics)>, StoreError>>()?;
        for r in self.conn.query(
            "SELECT t.number, m.name, m.value FROM metrics m JOIN trials t ON t.id = m.trial_id
             WHERE t.sweep_id = ?1 AND m.epoch = t.best_epoch",
            params![sweep.0],
        )? {
            let number: usize = r.count(0)?;
            if let Ok(at) = steps.binary_search_by_key(&number, |(n, _)| *n) {
                steps[at].1.extra.insert(r.text(1)?, r.real_or_nan(2)?);
            }
        }
        Ok(steps)
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

    /// Make the stored epochs of `trial` equal `epochs` (those of the checkpoint it starts or
    /// resumes from): rows after them are deleted, with their rung decisions (a resumed trial
    /// is judged again at a rung it reaches again), missing ones written. A rung among
    /// `epochs` without a decision (the worker died between its checkpoint and recording the
    /// epoch) is decided now, as [`Store::record_epoch`] would have; the answer is the first
    /// [`RungDecision::Prune`], else the last decision made (or `NotARung`).
    pub fn start_epochs(
        &mut self,
        trial: TrialId,
        me: &WorkerInfo,
        epochs: &[EpochMetrics],
        rule: Option<&dyn RungRule>,
    ) -> Result<RungDecision, StoreError> {
        let tx = self.conn.transaction(Lock::SweepOf(trial))?;
        trials::touch_held(&tx, trial, me)?;
        tx.execute(
            "DELETE FROM epochs WHERE trial_id = ?1 AND epoch > ?2",
            params![trial.0, epochs.len()],
        )?;
        tx.execute(
            "DELETE FROM rungs WHERE trial_id = ?1 AND rung_epoch > ?2",
            params![trial.0, epochs.len()],
        )?;
        for m in epochs {
            insert_epoch(&tx, trial, m, Conflict::Replace)?;
        }
        update_best(&tx, trial)?;
        let mut decision = RungDecision::NotARung;
        if let Some(rule) = rule {
            for m in epochs {
                if rule.is_rung(m.epoch) && !has_rung_row(&tx, trial, m.epoch)? {
                    decision = decide_rung(&tx, trial, m.epoch, rule)?;
                    if decision == RungDecision::Prune {
                        break;
                    }
                }
            }
        }
        tx.commit()?;
        Ok(decision)
    }

    /// Record one finished epoch of a held trial (and count it as a heartbeat). When the
    /// sweep prunes (`rule`) and the epoch is a rung, the trial is judged in the same
    /// transaction against every trial of the sweep that has an epoch row there (failed
    /// trials left out), the decision is written to `rungs`, and a pruned trial leaves the
    /// `running` state at once (state `pruned`, `ended_at` set, epochs kept), so a worker
    /// that dies right after cannot leave a judged trial to be resumed.
    pub fn record_epoch(
        &mut self,
        trial: TrialId,
        me: &WorkerInfo,
        m: &EpochMetrics,
        rule: Option<&dyn RungRule>,
    ) -> Result<RungDecision, StoreError> {
        let at_rung = rule.is_some_and(|r| r.is_rung(m.epoch));
        // Only a rung decision reads other trials' rows; other epochs lock nothing shared.
        let lock = if at_rung {
            Lock::SweepOf(trial)
        } else {
            Lock::Rows
        };
        let tx = self.conn.transaction(lock)?;
        trials::touch_held(&tx, trial, me)?;
        insert_epoch(&tx, trial, m, Conflict::Refuse)?;
        update_best(&tx, trial)?;
        let decision = match rule {
            Some(rule) if at_rung => decide_rung(&tx, trial, m.epoch, rule)?,
            _ => RungDecision::NotARung,
        };
        tx.commit()?;
        Ok(decision)
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
                for name in step.names() {
                    if let Some(value) = step.value(name) {
                        merged.set(name, value);
                    }
                }
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

    /// Every rung decision of a sweep, by rung epoch, then trial number.
    pub fn rungs(&self, sweep: SweepId) -> Result<Vec<RungRecord>, StoreError> {
        self.conn
            .query(
                "SELECT t.number, r.rung_epoch, r.metric, r.rank, r.reached, r.kept, r.decision,
                        r.decided_at
                 FROM rungs r JOIN trials t ON t.id = r.trial_id
                 WHERE t.sweep_id = ?1 ORDER BY r.rung_epoch, t.number",
                params![sweep.0],
            )?
            .iter()
            .map(|r| {
                Ok(RungRecord {
                    trial: r.count(0)?,
                    rung_epoch: r.count(1)?,
                    metric: r.real_or_nan(2)?,
                    rank: r.count(3)?,
                    reached: r.count(4)?,
                    kept: r.count(5)?,
                    decision: r.parsed(6, RungDecision::parse)?,
                    decided_at: r.text(7)?,
                })
            })
            .collect()
    }
}

const EPOCH_COLUMNS: &str = "SELECT epoch, train_loss, val_loss, val_r2, val_pearson, \
    val_spearman, learning_rate, seconds, samples_per_s";

/// An epoch whose [`EPOCH_COLUMNS`] start at column `first` of the row.
fn epoch_at(r: &Row, first: usize) -> Result<EpochMetrics, StoreError> {
    let real = |i: usize| r.real_or_nan(first + i);
    Ok(EpochMetrics {
        epoch: r.count(first)?,
        train_loss: real(1)?,
        val_loss: real(2)?,
        val_r2: real(3)?,
        val_pearson: real(4)?,
        val_spearman: real(5)?,
        learning_rate: real(6)?,
        seconds: real(7)?,
        samples_per_s: real(8)?,
        extra: Default::default(),
    })
}

/// What writing an epoch row that already exists does.
#[derive(Clone, Copy)]
enum Conflict {
    /// Fail: an epoch is recorded once.
    Refuse,
    /// Replace it (making the rows match a checkpoint).
    Replace,
}

fn insert_epoch(
    tx: &Tx,
    trial: TrialId,
    m: &EpochMetrics,
    conflict: Conflict,
) -> Result<(), StoreError> {
    let on_conflict = match conflict {
        Conflict::Refuse => "",
        Conflict::Replace => {
            "ON CONFLICT (trial_id, epoch) DO UPDATE SET train_loss = excluded.train_loss,
                 val_loss = excluded.val_loss, val_r2 = excluded.val_r2,
                 val_pearson = excluded.val_pearson, val_spearman = excluded.val_spearman,
                 learning_rate = excluded.learning_rate, seconds = excluded.seconds,
                 samples_per_s = excluded.samples_per_s, recorded_at = excluded.recorded_at"
        }
    };
    tx.execute(
        &format!(
            "INSERT INTO epochs (trial_id, epoch, train_loss, val_loss, val_r2, val_pearson,
                 val_spearman, learning_rate, seconds, samples_per_s, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, utc_now()) {on_conflict}"
        ),
        params![
            trial.0,
            m.epoch,
            finite(m.train_loss),
            finite(m.val_loss),
            finite(m.val_r2),
            finite(m.val_pearson),
            finite(m.val_spearman),
            finite(m.learning_rate),
            finite(m.seconds),
            finite(m.samples_per_s)
        ],
    )?;
    if let Conflict::Replace = conflict {
        tx.execute(
            "DELETE FROM metrics WHERE trial_id = ?1 AND epoch = ?2",
            params![trial.0, m.epoch],
        )?;
    }
    for (name, value) in &m.extra {
        if let Some(value) = finite(*value) {
            tx.execute(
                "INSERT INTO metrics (trial_id, epoch, name, value) VALUES (?1, ?2, ?3, ?4)",
                params![trial.0, m.epoch, name, value],
            )?;
        }
    }
    Ok(())
}

/// A trial's epochs, in order, each with its named metrics.
fn trial_epochs(db: &impl Sql, trial: TrialId) -> Result<Vec<EpochMetrics>, StoreError> {
    let mut epochs = db
        .query(
            &format!("{EPOCH_COLUMNS} FROM epochs WHERE trial_id = ?1 ORDER BY epoch"),
            params![trial.0],
        )?
        .iter()
        .map(|r| epoch_at(r, 0))
        .collect::<Result<Vec<_>, StoreError>>()?;
    for r in db.query(
        "SELECT epoch, name, value FROM metrics WHERE trial_id = ?1 ORDER BY epoch",
        params![trial.0],
    )? {
        let epoch: usize = r.count(0)?;
        if let Ok(at) = epochs.binary_search_by_key(&epoch, |m| m.epoch) {
            epochs[at].extra.insert(r.text(1)?, r.real_or_nan(2)?);
        }
    }
    Ok(epochs)
}

/// One epoch of a trial with its named metrics, if recorded.
fn trial_epoch(tx: &Tx, trial: TrialId, epoch: usize) -> Result<Option<EpochMetrics>, StoreError> {
    let Some(row) = tx.query_opt(
        &format!("{EPOCH_COLUMNS} FROM epochs WHERE trial_id = ?1 AND epoch = ?2"),
        params![trial.0, epoch],
    )?
    else {
        return Ok(None);
    };
    let mut m = epoch_at(&row, 0)?;
    for r in tx.query(
        "SELECT name, value FROM metrics WHERE trial_id = ?1 AND epoch = ?2",
        params![trial.0, epoch],
    )? {
        m.extra.insert(r.text(0)?, r.real_or_nan(1)?);
    }
    Ok(Some(m))
}

/// The column of `epochs` that holds `metric`, when it is one of the eight fixed names (only
/// these names, from [`EpochMetrics::FIELDS`], are spliced into SQL); other names are rows of
/// `metrics`.
fn fixed_column(metric: &MetricName) -> Option<&'static str> {
    EpochMetrics::FIELDS
        .into_iter()
        .find(|f| *f == metric.as_str())
}

/// The metric and goal of the sweep `trial` belongs to.
fn sweep_metric(tx: &Tx, trial: TrialId) -> Result<(MetricName, Goal), StoreError> {
    let row = tx.query_one(
        "SELECT s.metric, s.goal FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE t.id = ?1",
        params![trial.0],
    )?;
    Ok((
        row.parsed(0, |name| name.parse::<MetricName>().ok())?,
        row.parsed(1, Goal::parse)?,
    ))
}

/// Whether `trial` has a decision at `rung`.
fn has_rung_row(tx: &Tx, trial: TrialId, rung: usize) -> Result<bool, StoreError> {
    Ok(tx
        .query_opt(
            "SELECT 1 FROM rungs WHERE trial_id = ?1 AND rung_epoch = ?2",
            params![trial.0, rung],
        )?
        .is_some())
}

/// Judge `trial` at `rung` (its epoch row there is written) against every trial of its sweep
/// with an epoch row there, except failed ones; record the decision, and end a pruned trial.
fn decide_rung(
    tx: &Tx,
    trial: TrialId,
    rung: usize,
    rule: &dyn RungRule,
) -> Result<RungDecision, StoreError> {
    let (metric, goal) = sweep_metric(tx, trial)?;
    let rows = match fixed_column(&metric) {
        Some(column) => tx.query(
            &format!(
                "SELECT t.id, e.{column} FROM epochs e JOIN trials t ON t.id = e.trial_id
                 WHERE t.sweep_id = (SELECT sweep_id FROM trials WHERE id = ?1)
                   AND e.epoch = ?2 AND t.state != 'failed'"
            ),
            params![trial.0, rung],
        )?,
        None => tx.query(
            "SELECT t.id, m.value FROM epochs e JOIN trials t ON t.id = e.trial_id
                 LEFT JOIN metrics m
                   ON m.trial_id = e.trial_id AND m.epoch = e.epoch AND m.name = ?3
             WHERE t.sweep_id = (SELECT sweep_id FROM trials WHERE id = ?1)
               AND e.epoch = ?2 AND t.state != 'failed'",
            params![trial.0, rung, metric.as_str()],
        )?,
    };
    judge(tx, trial, rung, rule, goal, &rows)
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

/// Rank `trial`'s value among `rows` (trial id, value at the rung), record the decision at
/// `rung`, and end a pruned trial.
fn judge(
    tx: &Tx,
    trial: TrialId,
    rung: usize,
    rule: &dyn RungRule,
    goal: Goal,
    rows: &[Row],
) -> Result<RungDecision, StoreError> {
    let at_rung = rows
        .iter()
        .map(|r| Ok((r.int(0)?, r.real_or_nan(1)?)))
        .collect::<Result<Vec<(i64, f64)>, StoreError>>()?;
    let mine = at_rung
        .iter()
        .find(|(id, _)| *id == trial.0)
        .map_or(f64::NAN, |&(_, v)| v);
    let values: Vec<f64> = at_rung.iter().map(|&(_, v)| v).collect();
    let outcome = rule.decide(goal, mine, &values);
    tx.execute(
        "INSERT INTO rungs (trial_id, rung_epoch, metric, rank, reached, kept, decision,
             decided_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, utc_now())
         ON CONFLICT (trial_id, rung_epoch) DO UPDATE SET metric = excluded.metric,
             rank = excluded.rank, reached = excluded.reached, kept = excluded.kept,
             decision = excluded.decision, decided_at = excluded.decided_at",
        params![
            trial.0,
            rung,
            finite(mine),
            outcome.rank,
            outcome.reached,
            outcome.kept,
            outcome.decision.as_str()
        ],
    )?;
    if outcome.decision == RungDecision::Prune {
        tx.execute(
            "UPDATE trials SET state = 'pruned', ended_at = utc_now() WHERE id = ?1",
            params![trial.0],
        )?;
    }
    Ok(outcome.decision)
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

/// Recompute a trial's best epoch and metric from its epoch rows, by its sweep's metric.
fn update_best(tx: &Tx, trial: TrialId) -> Result<(), StoreError> {
    let (metric, goal) = sweep_metric(tx, trial)?;
    let order = match goal {
        Goal::Maximize => "DESC",
        Goal::Minimize => "ASC",
    };
    match fixed_column(&metric) {
        Some(column) => tx.execute(
            &format!(
                "UPDATE trials SET (best_epoch, best_metric) =
                     (SELECT epoch, {column} FROM epochs WHERE trial_id = ?1 AND {column} IS NOT NULL
                      ORDER BY {column} {order}, epoch LIMIT 1)
                 WHERE id = ?1"
            ),
            params![trial.0],
        )?,
        None => tx.execute(
            &format!(
                "UPDATE trials SET (best_epoch, best_metric) =
                     (SELECT epoch, value FROM metrics WHERE trial_id = ?1 AND name = ?2
                      ORDER BY value {order}, epoch LIMIT 1)
                 WHERE id = ?1"
            ),
            params![trial.0, metric.as_str()],
        )?,
    };
    Ok(())
}
