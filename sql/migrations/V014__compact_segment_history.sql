-- Compact segment history (README "Segment history"). Until V013 every
-- successful refresh copied every customer into customer_segment_history:
-- a full copy per run (BENCHMARKS.md "Retention"). From here a run stores
-- only the customers whose scores or segment changed against the run
-- before it, those who appeared, and a row with a NULL segment for each
-- who disappeared. A customer's state at a kept run is its newest change
-- at or before that run (vw_customer_segment_at_run, R020), and
-- customer_segment_history is re-created as a view of that, so BI keeps
-- reading the columns it read.
--
-- Only the runs pipeline_runs records as succeeded count: a refresh killed
-- before its swap may leave rows behind, and those are never read (and
-- retention removes them).

CREATE TABLE IF NOT EXISTS segment_history_runs (
  run_id        BIGINT UNSIGNED NOT NULL,
  customers     INT UNSIGNED NOT NULL,  -- customers the run segmented
  changes       INT UNSIGNED NOT NULL,  -- rows it wrote to customer_segment_changes
  -- The run stored every customer (the first run, or one that could not
  -- compare with the newest kept run), not only the changes.
  full_snapshot BOOLEAN NOT NULL,
  PRIMARY KEY (run_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS customer_segment_changes (
  run_id             BIGINT UNSIGNED NOT NULL,
  customer_unique_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- All NULL: the customer left the results at this run.
  r_score            TINYINT UNSIGNED NULL,
  f_score            TINYINT UNSIGNED NULL,
  m_score            TINYINT UNSIGNED NULL,
  rfm_code           CHAR(3) NULL,
  segment_name       VARCHAR(64) NULL,
  PRIMARY KEY (run_id, customer_unique_id),
  -- A customer's newest change at or before a run.
  KEY ix_customer_segment_changes_customer (customer_unique_id, run_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The full copies become changes: each kept successful run against the
-- kept successful run before it. Runs that did not succeed are dropped
-- (they were never read).
INSERT IGNORE INTO segment_history_runs (run_id, customers, changes, full_snapshot)
SELECT h.run_id, h.n, 0, FALSE
  FROM (SELECT run_id, COUNT(*) AS n FROM customer_segment_history GROUP BY run_id) AS h
  JOIN pipeline_runs p ON p.run_id = h.run_id AND p.kind = 'refresh' AND p.status = 'succeeded';

DROP TABLE IF EXISTS segment_history_previous;
CREATE TABLE segment_history_previous (
  run_id          BIGINT UNSIGNED NOT NULL,
  previous_run_id BIGINT UNSIGNED NULL,
  PRIMARY KEY (run_id)
) ENGINE=InnoDB;
INSERT INTO segment_history_previous (run_id, previous_run_id)
SELECT r.run_id, (SELECT MAX(q.run_id) FROM segment_history_runs q WHERE q.run_id < r.run_id)
  FROM segment_history_runs r;

INSERT IGNORE INTO customer_segment_changes
  (run_id, customer_unique_id, r_score, f_score, m_score, rfm_code, segment_name)
SELECT c.run_id, c.customer_unique_id, c.r_score, c.f_score, c.m_score, c.rfm_code, c.segment_name
  FROM segment_history_previous m
  JOIN customer_segment_history c ON c.run_id = m.run_id
 WHERE m.previous_run_id IS NULL
    OR NOT EXISTS (SELECT 1 FROM customer_segment_history p
                    WHERE p.run_id = m.previous_run_id AND p.customer_unique_id = c.customer_unique_id
                      AND p.r_score = c.r_score AND p.f_score = c.f_score AND p.m_score = c.m_score
                      AND p.segment_name = c.segment_name);

INSERT IGNORE INTO customer_segment_changes (run_id, customer_unique_id)
SELECT m.run_id, p.customer_unique_id
  FROM segment_history_previous m
  JOIN customer_segment_history p ON p.run_id = m.previous_run_id
 WHERE NOT EXISTS (SELECT 1 FROM customer_segment_history c
                    WHERE c.run_id = m.run_id AND c.customer_unique_id = p.customer_unique_id);

UPDATE segment_history_runs r
   SET r.changes = (SELECT COUNT(*) FROM customer_segment_changes c WHERE c.run_id = r.run_id),
       r.full_snapshot = (SELECT m.previous_run_id IS NULL FROM segment_history_previous m WHERE m.run_id = r.run_id);

DROP TABLE segment_history_previous;
DROP TABLE customer_segment_history;
