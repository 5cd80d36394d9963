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
        numbered_epochs(&self.conn, sweep, "1 = 1")
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
pub(super) fn epoch_at(r: &Row, first: usize) -> Result<EpochMetrics, StoreError> {
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
pub(super) enum Conflict {
    /// Fail: an epoch is recorded once.
    Refuse,
    /// Replace it (making the rows match a checkpoint).
    Replace,
}

pub(super) fn insert_epoch(
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

/// The epochs of a sweep's trials that `filter` keeps (an SQL condition on `e`, the epoch,
/// and `t`, its trial; written in code, never from input), each with its trial's number and
/// named metrics, by trial number then epoch.
pub(super) fn numbered_epochs(
    db: &impl Sql,
    sweep: SweepId,
    filter: &str,
) -> Result<Vec<(usize, EpochMetrics)>, StoreError> {
    let mut epochs = db
        .query(
            &format!(
                "SELECT t.number, e.epoch, e.train_loss, e.val_loss, e.val_r2, e.val_pearson,
                        e.val_spearman, e.learning_rate, e.seconds, e.samples_per_s
                 FROM epochs e JOIN trials t ON t.id = e.trial_id
                 WHERE t.sweep_id = ?1 AND {filter} ORDER BY t.number, e.epoch"
            ),
            params![sweep.0],
        )?
        .iter()
        .map(|r| Ok((r.count(0)?, epoch_at(r, 1)?)))
        .collect::<Result<Vec<(usize, EpochMetrics)>, StoreError>>()?;
    for r in db.query(
        &format!(
            "SELECT t.number, e.epoch, m.name, m.value
             FROM metrics m JOIN epochs e ON e.trial_id = m.trial_id AND e.epoch = m.epoch
                 JOIN trials t ON t.id = e.trial_id
             WHERE t.sweep_id = ?1 AND {filter}"
        ),
        params![sweep.0],
    )? {
        let key = (r.count(0)?, r.count(1)?);
        if let Ok(at) = epochs.binary_search_by_key(&key, |(n, m)| (*n, m.epoch)) {
            epochs[at].1.extra.insert(r.text(2)?, r.real_or_nan(3)?);
        }
    }
    Ok(epochs)
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
pub(super) fn trial_epoch(
    tx: &Tx,
    trial: TrialId,
    epoch: usize,
) -> Result<Option<EpochMetrics>, StoreError> {
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
pub(super) fn fixed_column(metric: &MetricName) -> Option<&'static str> {
    EpochMetrics::FIELDS
        .into_iter()
        .find(|f| *f == metric.as_str())
}

/// The metric and goal of the sweep `trial` belongs to.
pub(super) fn sweep_metric(tx: &Tx, trial: TrialId) -> Result<(MetricName, Goal), StoreError> {
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
pub(super) fn has_rung_row(tx: &Tx, trial: TrialId, rung: usize) -> Result<bool, StoreError> {
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

/// Rank `trial`'s value among `rows` (trial id, value at the rung), record the decision at
/// `rung`, and end a pruned trial.
pub(super) fn judge(
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

/// Recompute a trial's best epoch and metric from its epoch rows, by its sweep's metric.
pub(super) fn update_best(tx: &Tx, trial: TrialId) -> Result<(), StoreError> {
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
