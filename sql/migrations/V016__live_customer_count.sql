-- How many customers the live results hold, kept beside them in
-- segment_state so that an incremental refresh knows the count its score
-- boundaries are positions in without counting every customer, which took
-- two full index scans per refresh (BENCHMARKS.md "Daily deltas, fixed costs
-- cut"). A full refresh writes it with its results; an incremental one adds
-- who appeared and takes away who left, in the same transaction as the
-- results. NULL (an upgraded database, until its next refresh) means count
-- them.
ALTER TABLE segment_state ADD COLUMN customers INT UNSIGNED NULL AFTER settings_key;
