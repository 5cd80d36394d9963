//! Trials: claimed by workers (planned ones, or drawn at claim time), held with heartbeats,
//! finished, and given back when their worker is gone.

use super::*;

impl Store {
    /// Every trial of a sweep, by number.
    pub fn trials(&self, sweep: SweepId) -> Result<Vec<TrialRecord>, StoreError> {
        trials_of(&self.conn, sweep)
    }

    /// One trial by its number.
    pub fn trial(&self, sweep: SweepId, number: usize) -> Result<Option<TrialRecord>, StoreError> {
        self.conn
            .query_opt(
                &format!("{TRIAL_COLUMNS} FROM trials t WHERE t.sweep_id = ?1 AND t.number = ?2"),
                params![sweep.0, number],
            )?
            .as_ref()
            .map(trial_from_row)
            .transpose()
    }

    /// Claim the next trial for `me`: an interrupted one first, then a pending one, then one
    /// whose worker is gone (its heartbeat older than `stale_after`, or `is_dead` says so of
    /// its host and pid). `None` when nothing is left to claim.
    pub fn claim_next(
        &mut self,
        sweep: SweepId,
        me: &WorkerInfo,
        stale_after: Duration,
        is_dead: &dyn Fn(&str, u32) -> bool,
    ) -> Result<Option<TrialRecord>, StoreError> {
        self.claim(sweep, me, stale_after, is_dead, None)
    }

    /// [`Store::claim_next`] for a sweep that draws its trials at claim time: when nothing is
    /// left to resume and fewer trials exist than [`Store::planned_trials`], `draw` makes the
    /// next one (numbered after the last) from the trials stored now, and it is claimed at
    /// once. The claim's transaction holds the sweep while it draws, so two workers never
    /// draw the same number, and the second sees the first's trial as running.
    pub fn claim_or_draw(
        &mut self,
        sweep: SweepId,
        me: &WorkerInfo,
        stale_after: Duration,
        is_dead: &dyn Fn(&str, u32) -> bool,
        draw: DrawTrial,
    ) -> Result<Option<TrialRecord>, StoreError> {
        self.claim(sweep, me, stale_after, is_dead, Some(draw))
    }

    fn claim(
        &mut self,
        sweep: SweepId,
        me: &WorkerInfo,
        stale_after: Duration,
        is_dead: &dyn Fn(&str, u32) -> bool,
        draw: Option<DrawTrial>,
    ) -> Result<Option<TrialRecord>, StoreError> {
        let tx = self.conn.transaction(Lock::Sweep(sweep))?;
        let mut next = match waiting_trial(&tx, sweep)? {
            Some(id) => Some(id),
            None => abandoned_trial(&tx, sweep, stale_after, is_dead)?,
        };
        if let (None, Some(draw)) = (next, draw) {
            next = draw_trial(&tx, sweep, draw)?;
        }
        let Some(id) = next else {
            tx.commit()?;
            return Ok(None);
        };
        tx.execute(
            "UPDATE trials SET state = 'running', worker_host = ?2, worker_pid = ?3, device = ?4,
                 threads = COALESCE(threads, ?5), attempts = attempts + 1,
                 heartbeat_at = utc_now(), started_at = COALESCE(started_at, utc_now()),
                 ended_at = NULL, error = NULL, job = ?6
             WHERE id = ?1",
            params![
                id.0,
                &me.host,
                me.pid,
                &me.device,
                me.threads,
                me.job.as_deref()
            ],
        )?;
        let claimed = trial_from_row(&tx.query_one(
            &format!("{TRIAL_COLUMNS} FROM trials t WHERE t.id = ?1"),
            params![id.0],
        )?)?;
        tx.commit()?;
        Ok(Some(claimed))
    }

    /// Sign of life from the worker training `trial`.
    pub fn heartbeat(&mut self, trial: TrialId, me: &WorkerInfo) -> Result<(), StoreError> {
        touch_held(&self.conn, trial, me)
    }

    /// End `me`'s hold on `trial`.
    pub fn finish_trial(
        &mut self,
        trial: TrialId,
        me: &WorkerInfo,
        finish: &Finish,
    ) -> Result<(), StoreError> {
        let (state, error, ended) = match finish {
            Finish::Completed => (TrialState::Completed, None, true),
            Finish::Failed(message) => (TrialState::Failed, Some(message.as_str()), true),
            Finish::Interrupted => (TrialState::Interrupted, None, false),
        };
        let ended_at = if ended { "utc_now()" } else { "NULL" };
        let changed = self.conn.execute(
            &format!(
                "UPDATE trials SET state = ?4, error = ?5, ended_at = {ended_at}
                 WHERE id = ?1 AND state = 'running' AND worker_host = ?2 AND worker_pid = ?3"
            ),
            params![trial.0, &me.host, me.pid, state.as_str(), error],
        )?;
        if changed == 0 {
            return Err(StoreError::NotHeld(trial));
        }
        Ok(())
    }

    /// Mark the running trials of workers on `host` that `is_dead` says are gone as
    /// interrupted (they resume from their checkpoints). Returns how many.
    pub fn interrupt_abandoned(
        &mut self,
        sweep: SweepId,
        host: &str,
        is_dead: &dyn Fn(u32) -> bool,
    ) -> Result<usize, StoreError> {
        let tx = self.conn.transaction(Lock::Sweep(sweep))?;
        let running = tx.query(
            "SELECT id, worker_pid FROM trials
             WHERE sweep_id = ?1 AND state = 'running' AND worker_host = ?2",
            params![sweep.0, host],
        )?;
        let mut interrupted = 0;
        for row in running {
            let pid = row.opt_int(1)?.and_then(|pid| u32::try_from(pid).ok());
            if pid.is_none_or(is_dead) {
                interrupted += tx.execute(
                    "UPDATE trials SET state = 'interrupted' WHERE id = ?1",
                    params![row.int(0)?],
                )?;
            }
        }
        tx.commit()?;
        Ok(interrupted)
    }

    /// Fail the trial a worker held when it died without saying why (killed, out of memory).
    pub fn fail_trials_of_worker(
        &mut self,
        sweep: SweepId,
        host: &str,
        pid: u32,
        message: &str,
    ) -> Result<usize, StoreError> {
        self.conn.execute(
            "UPDATE trials SET state = 'failed', error = ?4, ended_at = utc_now()
             WHERE sweep_id = ?1 AND state = 'running' AND worker_host = ?2 AND worker_pid = ?3",
            params![sweep.0, host, pid, message],
        )
    }

    /// Make every failed trial pending again (`--retry-failed`). Returns how many.
    pub fn retry_failed(&mut self, sweep: SweepId) -> Result<usize, StoreError> {
        self.conn.execute(
            "UPDATE trials SET state = 'pending', error = NULL, ended_at = NULL
             WHERE sweep_id = ?1 AND state = 'failed'",
            params![sweep.0],
        )
    }
}

pub(super) const TRIAL_COLUMNS: &str =
    "SELECT t.id, t.number, t.params, t.seed, t.state, t.worker_host,
    t.worker_pid, t.device, t.threads, t.attempts, t.heartbeat_at, t.started_at, t.ended_at,
    t.best_epoch, t.best_metric, t.error,
    (SELECT COUNT(*) FROM epochs e WHERE e.trial_id = t.id), t.sampled_from,
    (SELECT MIN(r.rung_epoch) FROM rungs r WHERE r.trial_id = t.id AND r.decision = 'prune'),
    t.job";

pub(super) fn trial_from_row(r: &Row) -> Result<TrialRecord, StoreError> {
    Ok(TrialRecord {
        id: TrialId(r.int(0)?),
        number: r.count(1)?,
        params_json: r.text(2)?,
        seed: r.int(3)? as u64,
        state: r.parsed(4, TrialState::parse)?,
        worker_host: r.opt_text(5)?,
        worker_pid: r.opt_int(6)?.and_then(|pid| u32::try_from(pid).ok()),
        device: r.opt_text(7)?,
        threads: r.opt_count(8)?,
        attempts: r.count(9)?,
        heartbeat_at: r.opt_text(10)?,
        started_at: r.opt_text(11)?,
        ended_at: r.opt_text(12)?,
        best_epoch: r.opt_count(13)?,
        best_metric: r.opt_real(14)?,
        error: r.opt_text(15)?,
        epochs: r.count(16)?,
        sampled_from: r.opt_text(17)?,
        pruned_at: r.opt_count(18)?,
        job: r.opt_text(19)?,
    })
}

fn trials_of(db: &impl Sql, sweep: SweepId) -> Result<Vec<TrialRecord>, StoreError> {
    db.query(
        &format!("{TRIAL_COLUMNS} FROM trials t WHERE t.sweep_id = ?1 ORDER BY t.number"),
        params![sweep.0],
    )?
    .iter()
    .map(trial_from_row)
    .collect()
}

/// The interrupted or pending trial to claim next.
fn waiting_trial(tx: &Tx, sweep: SweepId) -> Result<Option<TrialId>, StoreError> {
    tx.query_opt(
        "SELECT id FROM trials WHERE sweep_id = ?1 AND state IN ('interrupted', 'pending')
         ORDER BY state = 'interrupted' DESC, number LIMIT 1",
        params![sweep.0],
    )?
    .map(|r| Ok(TrialId(r.int(0)?)))
    .transpose()
}

/// Draw and insert (pending) the next trial of a sweep drawn at claim time, if it has fewer
/// than planned.
fn draw_trial(tx: &Tx, sweep: SweepId, draw: DrawTrial) -> Result<Option<TrialId>, StoreError> {
    let Some(planned) = sweeps::planned_trials(tx, sweep)? else {
        return Ok(None);
    };
    let trials = trials_of(tx, sweep)?;
    if trials.len() >= planned {
        return Ok(None);
    }
    let number = trials.last().map_or(0, |t| t.number) + 1;
    let drawn = draw(number, &trials);
    let id = tx
        .query_one(
            "INSERT INTO trials (sweep_id, number, params, seed, sampled_from)
             VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
            params![
                sweep.0,
                number,
                drawn.params_json,
                drawn.seed as i64,
                drawn.sampled_from
            ],
        )?
        .int(0)?;
    Ok(Some(TrialId(id)))
}

/// The first running trial whose worker is gone.
fn abandoned_trial(
    tx: &Tx,
    sweep: SweepId,
    stale_after: Duration,
    is_dead: &dyn Fn(&str, u32) -> bool,
) -> Result<Option<TrialId>, StoreError> {
    let rows = tx.query(
        &format!(
            "SELECT id, worker_host, worker_pid, heartbeat_at IS NULL OR heartbeat_at <= {}
             FROM trials WHERE sweep_id = ?1 AND state = 'running' ORDER BY number",
            tx.dialect().seconds_ago("?2")
        ),
        params![sweep.0, stale_after.as_secs_f64()],
    )?;
    for row in rows {
        let host = row.opt_text(1)?;
        let pid = row.opt_int(2)?.and_then(|pid| u32::try_from(pid).ok());
        let stale = row.int(3)? != 0;
        let dead = match (host, pid) {
            (Some(host), Some(pid)) => is_dead(&host, pid),
            _ => true,
        };
        if stale || dead {
            return Ok(Some(TrialId(row.int(0)?)));
        }
    }
    Ok(None)
}

/// Bump the heartbeat of a trial `me` holds; [`StoreError::NotHeld`] if it does not.
pub(super) fn touch_held(db: &impl Sql, trial: TrialId, me: &WorkerInfo) -> Result<(), StoreError> {
    let changed = db.execute(
        "UPDATE trials SET heartbeat_at = utc_now()
         WHERE id = ?1 AND state = 'running' AND worker_host = ?2 AND worker_pid = ?3",
        params![trial.0, &me.host, me.pid],
    )?;
    if changed == 0 {
        return Err(StoreError::NotHeld(trial));
    }
    Ok(())
}
