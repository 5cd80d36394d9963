//! `sweep db copy`: a sweep and everything recorded of it, from one run database to another
//! (SQLite to PostgreSQL when a sweep outgrows a laptop, or back to keep it in one file).
//!
//! Rows are copied as they are, column by column, through the store's [`Value`]s, so both
//! databases' types line up without a mapping per column; only row ids change (the
//! destination numbers its own), and references follow them. Scheduler jobs (`jobs`) are not
//! copied: they belong to the cluster the sweep was launched from, and `sweep cancel` on the
//! copy must not cancel them (each trial keeps the name of its last job in `trials.job`).

use super::sql::{Lock, Row, Sql, Tx, Value};
use super::{Store, StoreError, SweepId, TrialState};

/// The copied columns of each table, row ids and references left out.
const SWEEP_COLUMNS: &[&str] = &[
    "name",
    "spec_text",
    "spec_hash",
    "data_path",
    "metric",
    "goal",
    "created_at",
    "data_header",
    "planned_trials",
    "program",
    "workdir",
];
const TRIAL_COLUMNS: &[&str] = &[
    "number",
    "params",
    "seed",
    "state",
    "worker_host",
    "worker_pid",
    "device",
    "threads",
    "attempts",
    "heartbeat_at",
    "started_at",
    "ended_at",
    "best_epoch",
    "best_metric",
    "error",
    "sampled_from",
    "job",
];
const EPOCH_COLUMNS: &[&str] = &[
    "epoch",
    "train_loss",
    "val_loss",
    "val_r2",
    "val_pearson",
    "val_spearman",
    "learning_rate",
    "seconds",
    "samples_per_s",
    "recorded_at",
];
const METRIC_COLUMNS: &[&str] = &["epoch", "name", "value"];
const RUNG_COLUMNS: &[&str] = &[
    "rung_epoch",
    "metric",
    "rank",
    "reached",
    "kept",
    "decision",
    "decided_at",
];
const EVALUATION_COLUMNS: &[&str] = &[
    "test_path",
    "n",
    "pearson_r",
    "pearson_r2",
    "r2",
    "spearman",
    "mse",
    "subsets",
    "created_at",
];

/// The tables that hang off a trial, with their columns and order.
const TRIAL_TABLES: &[(&str, &[&str], &str)] = &[
    ("epochs", EPOCH_COLUMNS, "epoch"),
    ("metrics", METRIC_COLUMNS, "epoch, name"),
    ("rungs", RUNG_COLUMNS, "rung_epoch"),
    ("evaluations", EVALUATION_COLUMNS, "id"),
];

/// What one sweep's copy wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Copied {
    /// Trials.
    pub trials: usize,
    /// Epoch rows.
    pub epochs: usize,
    /// Named metrics of the epochs (a program trial's own names).
    pub metrics: usize,
    /// Rung decisions.
    pub rungs: usize,
    /// Test evaluations.
    pub evaluations: usize,
    /// Trials that were running in the source, copied as interrupted (they resume from their
    /// checkpoints when the sweep runs from the destination).
    pub were_running: usize,
}

impl Store {
    /// Copy sweep `name` and all its rows from `self` into `to`, in one transaction of `to`.
    /// A sweep of that name in `to` is refused ([`StoreError::SweepExists`]): nothing there
    /// is overwritten.
    pub fn copy_sweep(&self, name: &str, to: &mut Store) -> Result<Copied, StoreError> {
        let source = self.sweep(name)?;
        let tx = to.conn.transaction(Lock::Database)?;
        if super::sweeps::sweep_by_name(&tx, name)?.is_some() {
            return Err(StoreError::SweepExists(name.to_string()));
        }
        let sweep_row = self.conn.query_one(
            &format!(
                "SELECT {} FROM sweeps WHERE id = ?1",
                SWEEP_COLUMNS.join(", ")
            ),
            &[Value::Int(source.id.0)],
        )?;
        let new_sweep = SweepId(insert(&tx, "sweeps", &[], SWEEP_COLUMNS, sweep_row)?);
        let mut copied = Copied::default();
        let trials = self.conn.query(
            &format!(
                "SELECT id, {} FROM trials WHERE sweep_id = ?1 ORDER BY number",
                TRIAL_COLUMNS.join(", ")
            ),
            &[Value::Int(source.id.0)],
        )?;
        for trial in trials {
            let old_id = trial.int(0)?;
            let mut values = trial.into_values();
            values.remove(0);
            if values[3] == Value::Text(TrialState::Running.as_str().to_string()) {
                values[3] = Value::Text(TrialState::Interrupted.as_str().to_string());
                copied.were_running += 1;
            }
            let new_id = insert(
                &tx,
                "trials",
                &[("sweep_id", Value::Int(new_sweep.0))],
                TRIAL_COLUMNS,
                Row::new(values),
            )?;
            copied.trials += 1;
            for (table, columns, order) in TRIAL_TABLES {
                let rows = self.conn.query(
                    &format!(
                        "SELECT {} FROM {table} WHERE trial_id = ?1 ORDER BY {order}",
                        columns.join(", ")
                    ),
                    &[Value::Int(old_id)],
                )?;
                let count = rows.len();
                for row in rows {
                    insert_row(&tx, table, ("trial_id", new_id), columns, row)?;
                }
                match *table {
                    "epochs" => copied.epochs += count,
                    "metrics" => copied.metrics += count,
                    "rungs" => copied.rungs += count,
                    _ => copied.evaluations += count,
                }
            }
        }
        tx.commit()?;
        Ok(copied)
    }
}

/// Insert a row that has an id; the new id.
fn insert(
    tx: &Tx,
    table: &str,
    fixed: &[(&str, Value)],
    columns: &[&str],
    row: Row,
) -> Result<i64, StoreError> {
    let (sql, values) = insert_statement(table, fixed, columns, row);
    tx.query_one(&format!("{sql} RETURNING id"), &values)?
        .int(0)
}

/// Insert a row of a table keyed by its trial (and no id of its own to return).
fn insert_row(
    tx: &Tx,
    table: &str,
    (reference, id): (&str, i64),
    columns: &[&str],
    row: Row,
) -> Result<(), StoreError> {
    let (sql, values) = insert_statement(table, &[(reference, Value::Int(id))], columns, row);
    tx.execute(&sql, &values)?;
    Ok(())
}

/// `INSERT INTO table (fixed..., columns...) VALUES (?1, ...)` and its values.
fn insert_statement(
    table: &str,
    fixed: &[(&str, Value)],
    columns: &[&str],
    row: Row,
) -> (String, Vec<Value>) {
    let names: Vec<&str> = fixed
        .iter()
        .map(|(name, _)| *name)
        .chain(columns.iter().copied())
        .collect();
    let values: Vec<Value> = fixed
        .iter()
        .map(|(_, v)| v.clone())
        .chain(row.into_values())
        .collect();
    let placeholders: Vec<String> = (1..=values.len()).map(|i| format!("?{i}")).collect();
    (
        format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            placeholders.join(", ")
        ),
        values,
    )
}
