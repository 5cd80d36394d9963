-- 0004: early stopping (`early_terminate: hyperband`). A trial can end in the new state
-- 'pruned', and every rung decision is recorded in `rungs`.
--
-- SQLite cannot change a CHECK constraint in place, so `trials` is rebuilt the way
-- https://www.sqlite.org/lang_altertable.html ("Making Other Kinds Of Table Schema Changes")
-- describes: the migration runs with foreign keys off (the store turns them off around it,
-- then runs PRAGMA foreign_key_check before committing), the views that name `trials` are
-- dropped first and made again after, ids are copied as they are, so `epochs` and
-- `evaluations` (which reference trials (id)) keep pointing at the same rows.

DROP VIEW trial_summary;
DROP VIEW epoch_rows;

CREATE TABLE trials_new (
    id            INTEGER PRIMARY KEY,
    sweep_id      INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
    number        INTEGER NOT NULL CHECK (number >= 1),   -- 1-based; folder runs/NAME/trial-NNNN
    params        TEXT NOT NULL,                          -- JSON object: parameter name -> value
    seed          INTEGER NOT NULL,                       -- the trial's seed (u64 stored as its i64 bits)
    state         TEXT NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'running', 'completed', 'failed', 'interrupted', 'pruned')),
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

INSERT INTO trials_new (id, sweep_id, number, params, seed, state, worker_host, worker_pid,
                        device, threads, attempts, heartbeat_at, started_at, ended_at,
                        best_epoch, best_metric, error)
SELECT id, sweep_id, number, params, seed, state, worker_host, worker_pid,
       device, threads, attempts, heartbeat_at, started_at, ended_at,
       best_epoch, best_metric, error
FROM trials;

DROP TABLE trials;
ALTER TABLE trials_new RENAME TO trials;
CREATE INDEX trials_by_state ON trials (sweep_id, state, number);

-- Every decision at a rung: the trial's metric at the rung epoch (NULL when not a number),
-- its rank among the trials that had reached that epoch when it got there (itself included;
-- ties share the better rank), how many had reached it, how many places continued, and the
-- decision. A trial resumed from a checkpoint before a rung is judged again there (its row
-- is replaced).
CREATE TABLE rungs (
    trial_id    INTEGER NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
    rung_epoch  INTEGER NOT NULL CHECK (rung_epoch >= 1),
    metric      REAL,
    rank        INTEGER NOT NULL CHECK (rank >= 1),
    reached     INTEGER NOT NULL CHECK (reached >= 1),
    kept        INTEGER NOT NULL CHECK (kept >= 1),
    decision    TEXT NOT NULL CHECK (decision IN ('continue', 'prune')),
    decided_at  TEXT NOT NULL,
    PRIMARY KEY (trial_id, rung_epoch)
);

-- The views of 0001, as they were, and one of the rung decisions.
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
