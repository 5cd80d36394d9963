-- 0003: a sweep's best trial scored on a held-out test file (`data: {test: FILE}`), once per
-- trial and file. The figures for all rows are columns; per-subset figures (when the test
-- file's third column names subsets) are a JSON object: name -> {pearson_r, pearson_r2, r2,
-- spearman, mse, n}, a figure that is not a number being null.
CREATE TABLE evaluations (
    id           INTEGER PRIMARY KEY,
    trial_id     INTEGER NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
    test_path    TEXT NOT NULL,
    n            INTEGER NOT NULL,
    pearson_r    REAL,
    pearson_r2   REAL,     -- Pearson's r squared: the DREAM challenge's r²
    r2           REAL,     -- 1 - SSE/SST
    spearman     REAL,
    mse          REAL,
    subsets      TEXT NOT NULL DEFAULT '{}',
    created_at   TEXT NOT NULL,
    UNIQUE (trial_id, test_path)
);
