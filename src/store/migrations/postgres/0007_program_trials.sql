-- 0007: trials of the user's own program; the same as SQLite's migrations/0007_program_trials.sql.
-- PostgreSQL drops the CHECK on `sweeps.metric` in place.

ALTER TABLE sweeps DROP CONSTRAINT sweeps_metric_check;
ALTER TABLE sweeps ADD CONSTRAINT sweeps_metric_check CHECK (metric != '');
ALTER TABLE sweeps ADD COLUMN program TEXT;
ALTER TABLE sweeps ADD COLUMN workdir TEXT;

CREATE TABLE metrics (
    trial_id  BIGINT NOT NULL,
    epoch     BIGINT NOT NULL,
    name      TEXT NOT NULL CHECK (name != ''),
    value     DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (trial_id, epoch, name),
    FOREIGN KEY (trial_id, epoch) REFERENCES epochs (trial_id, epoch) ON DELETE CASCADE
);
CREATE INDEX metrics_by_trial_name ON metrics (trial_id, name, epoch);

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
) AS fixed WHERE value IS NOT NULL;
