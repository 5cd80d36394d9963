-- 0005: trials drawn when a worker claims them (`method: bayes`). Such a sweep is created
-- without trials; `planned_trials` says how many it will have (NULL for sweeps whose trials are
-- all written when they are created), so displays count the ones not drawn yet as pending.
-- `sampled_from` is what the sampler knew when it drew the trial, as JSON:
-- {"draw": "startup"|"tpe", "finished": [[number, metric], ...], "running": [number, ...]}
-- (NULL for grid and random trials).
ALTER TABLE sweeps ADD COLUMN planned_trials INTEGER;
ALTER TABLE trials ADD COLUMN sampled_from TEXT;
