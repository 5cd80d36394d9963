-- 0006: sweeps whose workers run as scheduler jobs (`sweep run --launcher slurm`). `jobs` has a
-- row per submitted job (a Slurm job array: `tasks` array tasks), `cancelled_at` set by
-- `sweep cancel`; `trials.job` names the job (array task) whose worker claimed the trial last
-- (`JOBID_TASK`, or `JOBID` outside an array; NULL for workers that `sweep run` started itself).
CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY,
    sweep_id      INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
    launcher      TEXT NOT NULL CHECK (launcher IN ('slurm')),
    job_id        TEXT NOT NULL,
    tasks         INTEGER NOT NULL CHECK (tasks >= 1),
    submitted_at  TEXT NOT NULL,
    cancelled_at  TEXT,
    UNIQUE (launcher, job_id)
);
CREATE INDEX jobs_by_sweep ON jobs (sweep_id, id);
ALTER TABLE trials ADD COLUMN job TEXT;
