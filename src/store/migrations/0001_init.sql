-- 0001: sweeps, their trials, and every trial's epochs.
-- Append-only: a later change is a new numbered file, never an edit of this one.
-- Times are UTC text (ISO 8601, e.g. 2026-11-27T18:30:57.123Z), written by SQLite's clock.

CREATE TABLE sweeps (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,           -- also the folder name under runs/
    spec_text   TEXT NOT NULL,                  -- the sweep file as it was first run
    spec_hash   TEXT NOT NULL,                  -- fingerprint of the validated spec
    data_path   TEXT NOT NULL,                  -- the training file, resolved when the sweep was created
    metric      TEXT NOT NULL CHECK (metric IN ('val_r2', 'val_loss', 'val_pearson', 'val_spearman', 'train_loss')),
    goal        TEXT NOT NULL CHECK (goal IN ('maximize', 'minimize')),
    created_at  TEXT NOT NULL
);

CREATE TABLE trials (
    id            INTEGER PRIMARY KEY,
    sweep_id      INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
    number        INTEGER NOT NULL CHECK (number >= 1),   -- 1-based; folder runs/NAME/trial-NNNN
    params        TEXT NOT NULL,                          -- JSON object: parameter name -> value
    seed          INTEGER NOT NULL,                       -- the trial's seed (u64 stored as its i64 bits)
    state         TEXT NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'running', 'completed', 'failed', 'interrupted')),
    worker_host   TEXT,                                   -- last worker to claim it
    worker_pid    INTEGER,
    device        TEXT,                                   -- cpu, cuda:0, ...
    threads       INTEGER,                                -- CPU threads of its first claim, kept for resumes
    attempts      INTEGER NOT NULL DEFAULT 0,             -- claims so far (resumes included)
    heartbeat_at  TEXT,
    started_at    TEXT,
    ended_at      TEXT,
    best_epoch    INTEGER,                                -- by the sweep's metric
    best_metric   REAL,
    error         TEXT,                                   -- why it failed
    UNIQUE (sweep_id, number)
);
CREATE INDEX trials_by_state ON trials (sweep_id, state, number);

-- A metric SQLite cannot hold (NaN) is NULL.
CREATE TABLE epochs (
    trial_id       INTEGER NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
    epoch          INTEGER NOT NULL CHECK (epoch >= 1),
    train_loss     REAL,
    val_loss       REAL,
    val_r2         REAL,
    val_pearson    REAL,
    val_spearman   REAL,
    learning_rate  REAL,
    seconds        REAL,
    samples_per_s  REAL,
    recorded_at    TEXT NOT NULL,
    PRIMARY KEY (trial_id, epoch)
);

-- For people at the sqlite3 prompt: trials and epochs by sweep name and trial number.
CREATE VIEW trial_summary AS
SELECT s.name AS sweep, t.number AS trial, t.state, t.best_metric, t.best_epoch,
       (SELECT COUNT(*) FROM epochs e WHERE e.trial_id = t.id) AS epochs,
       t.params, t.error, t.started_at, t.ended_at
FROM trials t JOIN sweeps s ON s.id = t.sweep_id;

CREATE VIEW epoch_rows AS
SELECT s.name AS sweep, t.number AS trial, e.epoch, e.train_loss, e.val_loss, e.val_r2,
       e.val_pearson, e.val_spearman, e.learning_rate, e.seconds, e.samples_per_s
FROM epochs e JOIN trials t ON t.id = e.trial_id JOIN sweeps s ON s.id = t.sweep_id;
