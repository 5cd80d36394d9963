-- 0002: what the sweep's data set is: the prepared cache's JSON header (source path, size and
-- hash, filter counts, the scaler every trial shares, rows, split seed). Predictions need the
-- scaler to return expression units, and reports show the filter counts. NULL until known
-- (sweeps made before this migration, or run with the fake trainer).
ALTER TABLE sweeps ADD COLUMN data_header TEXT;
