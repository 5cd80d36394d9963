//! Sweeps: created from a validated file (or reopened: the resume), listed, counted.

use super::*;

impl Store {
    /// Create the sweep and its trials, or return the existing sweep of that name if its spec
    /// fingerprint matches (rerunning a sweep file is how it resumes). The flag says whether
    /// it was created now.
    pub fn create_or_open_sweep(
        &mut self,
        sweep: &NewSweep,
    ) -> Result<(SweepRecord, bool), StoreError> {
        let tx = self.conn.transaction(Lock::Database)?;
        if let Some(existing) = sweep_by_name(&tx, &sweep.name)? {
            if existing.spec_hash != sweep.spec_hash {
                return Err(StoreError::SpecChanged {
                    name: sweep.name.clone(),
                    stored: existing.spec_hash,
                    given: sweep.spec_hash.clone(),
                });
            }
            if existing.data_header.is_none() && sweep.data_header.is_some() {
                set_data_header(&tx, existing.id, sweep.data_header.as_ref())?;
            }
            let existing = sweep_by_name(&tx, &sweep.name)?
                .ok_or_else(|| StoreError::NoSuchSweep(sweep.name.clone()))?;
            tx.commit()?;
            return Ok((existing, false));
        }
        let program = sweep.program.as_ref();
        let program_path = program
            .and_then(|p| p.path.as_ref())
            .map(|p| p.to_string_lossy().into_owned());
        let workdir = program.map(|p| p.workdir.to_string_lossy().into_owned());
        let id = tx
            .query_one(
                "INSERT INTO sweeps (name, spec_text, spec_hash, data_path, metric, goal, created_at,
                     program, workdir)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, utc_now(), ?7, ?8) RETURNING id",
                params![
                    &sweep.name,
                    &sweep.spec_text,
                    &sweep.spec_hash,
                    sweep.data_path.to_string_lossy().into_owned(),
                    sweep.metric.as_str(),
                    sweep.goal.as_str(),
                    program_path,
                    workdir
                ],
            )?
            .int(0)?;
        set_data_header(&tx, SweepId(id), sweep.data_header.as_ref())?;
        for trial in &sweep.trials {
            tx.execute(
                "INSERT INTO trials (sweep_id, number, params, seed) VALUES (?1, ?2, ?3, ?4)",
                params![id, trial.number, &trial.params_json, trial.seed as i64],
            )?;
        }
        let created = sweep_by_name(&tx, &sweep.name)?
            .ok_or_else(|| StoreError::NoSuchSweep(sweep.name.clone()))?;
        tx.commit()?;
        Ok((created, true))
    }

    /// The sweep of that name.
    pub fn sweep(&self, name: &str) -> Result<SweepRecord, StoreError> {
        sweep_by_name(&self.conn, name)?.ok_or_else(|| StoreError::NoSuchSweep(name.to_string()))
    }

    /// Every sweep, oldest first.
    pub fn sweeps(&self) -> Result<Vec<SweepRecord>, StoreError> {
        self.conn
            .query(&format!("{SWEEP_COLUMNS} FROM sweeps ORDER BY id"), &[])?
            .iter()
            .map(sweep_from_row)
            .collect()
    }

    /// Say that `sweep` draws its trials when workers claim them ([`Store::claim_or_draw`]),
    /// `planned` in all. Idempotent.
    pub fn set_planned_trials(&mut self, sweep: SweepId, planned: usize) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE sweeps SET planned_trials = ?2 WHERE id = ?1",
            params![sweep.0, planned],
        )?;
        Ok(())
    }

    /// How many trials a sweep that draws them at claim time will have; `None` for a sweep
    /// whose trials were all written when it was created.
    pub fn planned_trials(&self, sweep: SweepId) -> Result<Option<usize>, StoreError> {
        planned_trials(&self.conn, sweep)
    }

    /// Trials per state.
    pub fn state_counts(&self, sweep: SweepId) -> Result<StateCounts, StoreError> {
        let rows = self.conn.query(
            "SELECT state, COUNT(*) FROM trials WHERE sweep_id = ?1 GROUP BY state",
            params![sweep.0],
        )?;
        let mut counts = StateCounts::default();
        for row in rows {
            counts.add(row.parsed(0, TrialState::parse)?, row.count(1)?);
        }
        // Trials a bayes sweep has not drawn yet are pending: displays show its full size.
        let planned = self.planned_trials(sweep)?.unwrap_or(0);
        counts.pending += planned.saturating_sub(counts.total());
        Ok(counts)
    }
}

const SWEEP_COLUMNS: &str = "SELECT id, name, spec_text, spec_hash, data_path, metric, goal, \
     created_at, data_header, program, workdir";

fn sweep_from_row(r: &Row) -> Result<SweepRecord, StoreError> {
    Ok(SweepRecord {
        id: SweepId(r.int(0)?),
        name: r.text(1)?,
        spec_text: r.text(2)?,
        spec_hash: r.text(3)?,
        data_path: PathBuf::from(r.text(4)?),
        metric: r.parsed(5, |name| name.parse::<MetricName>().ok())?,
        goal: r.parsed(6, Goal::parse)?,
        created_at: r.text(7)?,
        data_header: r.opt_text(8)?,
        program: r.opt_text(10)?.map(|workdir| ProgramRecord {
            path: r.opt_text(9).ok().flatten().map(PathBuf::from),
            workdir: PathBuf::from(workdir),
        }),
    })
}

fn set_data_header(db: &impl Sql, sweep: SweepId, json: Option<&String>) -> Result<(), StoreError> {
    db.execute(
        "UPDATE sweeps SET data_header = ?2 WHERE id = ?1",
        params![sweep.0, json],
    )?;
    Ok(())
}

pub(super) fn sweep_by_name(db: &impl Sql, name: &str) -> Result<Option<SweepRecord>, StoreError> {
    db.query_opt(
        &format!("{SWEEP_COLUMNS} FROM sweeps WHERE name = ?1"),
        params![name],
    )?
    .as_ref()
    .map(sweep_from_row)
    .transpose()
}

/// The planned size of a sweep drawn at claim time.
pub(super) fn planned_trials(db: &impl Sql, sweep: SweepId) -> Result<Option<usize>, StoreError> {
    db.query_one(
        "SELECT planned_trials FROM sweeps WHERE id = ?1",
        params![sweep.0],
    )?
    .opt_count(0)
}
