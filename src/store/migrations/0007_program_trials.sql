-- 0007: trials of the user's own program. A sweep may rank by any metric name its trials
-- report, and records the program it runs and the folder it runs in; every step's metrics
-- beyond the eight columns of `epochs` go to `metrics`, one row per name.
--
-- `sweeps` is rebuilt to drop the CHECK on `metric` (SQLite cannot drop a CHECK in place), as
-- 0004 rebuilt `trials`: foreign keys are off while the migration runs, the views that name
-- `sweeps` are dropped first and made again after, and ids are copied as they are, so
-- `trials` and `jobs` keep pointing at the same rows.

DROP VIEW trial_summary;
DROP VIEW epoch_rows;
DROP VIEW rung_rows;

CREATE TABLE sweeps_new (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,           -- also the folder name under runs/
    spec_text       TEXT NOT NULL,                  -- the sweep file as it was first run
    spec_hash       TEXT NOT NULL,                  -- fingerprint of the validated spec
    data_path       TEXT NOT NULL,                  -- the training file ('' for a program that reads its own)
    metric          TEXT NOT NULL CHECK (metric != ''),  -- any metric name the trials report
    goal            TEXT NOT NULL CHECK (goal IN ('maximize', 'minimize')),
    created_at      TEXT NOT NULL,
    data_header     TEXT,
    planned_trials  INTEGER,
    program         TEXT,                           -- the program a trial runs, resolved; NULL for the built-in model
    workdir         TEXT                            -- the folder programs run in (where `sweep run` started); NULL for the built-in model
);

INSERT INTO sweeps_new (id, name, spec_text, spec_hash, data_path, metric, goal, created_at,
                        data_header, planned_trials)
SELECT id, name, spec_text, spec_hash, data_path, metric, goal, created_at, data_header,
       planned_trials
FROM sweeps;

DROP TABLE sweeps;
ALTER TABLE sweeps_new RENAME TO sweeps;

-- A step's metrics that are not columns of `epochs` (a program's own names: `val_acc`,
-- `epoch/val_loss`). A value SQLite cannot hold (NaN) is not written. Deleting an epoch row
-- deletes its metrics.
CREATE TABLE metrics (
    trial_id  INTEGER NOT NULL,
    epoch     INTEGER NOT NULL,
    name      TEXT NOT NULL CHECK (name != ''),
    value     REAL NOT NULL,
    PRIMARY KEY (trial_id, epoch, name),
    FOREIGN KEY (trial_id, epoch) REFERENCES epochs (trial_id, epoch) ON DELETE CASCADE
);
CREATE INDEX metrics_by_trial_name ON metrics (trial_id, name, epoch);

-- The views of 0004, as they were, and one of every step's metrics in long form: the eight
-- columns of `epochs` that hold a value, and the rows of `metrics`.
CREATE VIEW trial_summary AS
SELECT s.name AS sweep, t.number AS trial, t.state, t.best_metric, t.best_epoch,
       (SELECT COUNT(*) FROM epochs e WHERE e.trial_id = t.id) AS epochs,
       t.params, t.error, t.started_at, t.ended_at
FROM trials t JOIN sweeps s ON s.id = t.sweep_id;

CREATE VIEW epoch_rows AS
SELECT s.name AS sweep, t.number AS trial, e.epoch, e.train_loss, e.val_loss, e.val_r2,
       e.val_pearson, e.val_spearman, e.learning_rate, e.seconds, e.samples_per_s
FROM epochs e JOIN trials t ON t.id = e.trial_id JOIN sweeps s ON s.id = t.sweep_id;

CREATE VIEW rung_rows AS
SELECT s.name AS sweep, t.number AS trial, r.rung_epoch, r.metric, r.rank, r.reached, r.kept,
       r.decision, r.decided_at
FROM rungs r JOIN trials t ON t.id = r.trial_id JOIN sweeps s ON s.id = t.sweep_id;

CREATE VIEW metric_rows AS
SELECT s.name AS sweep, t.number AS trial, m.epoch AS step, m.name, m.value
FROM metrics m JOIN trials t ON t.id = m.trial_id JOIN sweeps s ON s.id = t.sweep_id
UNION ALL
SELECT sweep, trial, epoch, name, value FROM (
    SELECT sweep, trial, epoch, 'train_loss' AS name, train_loss AS value FROM epoch_rows
    UNION ALL SELECT sweep, trial, epoch, 'val_loss', val_loss FROM epoch_rows
    UNION ALL SELECT sweep, trial, epoch, 'val_r2', val_r2 FROM epoch_rows
    UNION ALL SELECT sweep, trial, epoch, 'val_pearson', val_pearson FROM epoch_rows
    UNION ALL SELECT sweep, trial, epoch, 'val_spearman', val_spearman FROM epoch_rows
    UNION ALL SELECT sweep, trial, epoch, 'learning_rate', learning_rate FROM epoch_rows
    UNION ALL SELECT sweep, trial, epoch, 'seconds', seconds FROM epoch_rows
    UNION ALL SELECT sweep, trial, epoch, 'samples_per_s', samples_per_s FROM epoch_rows
) WHERE value IS NOT NULL;
