-- The moves between segments that one refresh found, grouped (from, to,
-- how many): each path of the refresh writes them from what it knows (the
-- customers it touched, the history rows it wrote, or every customer), and
-- segmentd_record_transitions (R010) turns them into segment_run_transitions
-- in one place. A work table, emptied by each refresh under its lock.
CREATE TABLE IF NOT EXISTS segment_refresh_moves (
  from_segment VARCHAR(64) NOT NULL,
  to_segment   VARCHAR(64) NOT NULL,
  customers    BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (from_segment, to_segment)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
