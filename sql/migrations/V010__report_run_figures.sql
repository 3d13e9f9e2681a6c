-- The segment report's figures, written by every successful refresh while
-- its results are still being built, so a report (and BI) reads a few
-- hundred rows instead of aggregating every customer again: at 10x the
-- report's queries took seconds over customer_segments and
-- customer_segment_history (BENCHMARKS.md "The segment report").
--
-- segment_run_cells: one row per combination of the three scores and the
-- three histogram bins that has customers. Everything the report shows of
-- a run (segments, the R x F heatmap, the distributions, the data window)
-- is a sum over these rows. The bins' edges are in the refresh procedure
-- (R010) and their labels in vw_report_distribution (R040).
CREATE TABLE IF NOT EXISTS segment_run_cells (
  run_id             BIGINT UNSIGNED NOT NULL,
  r_score            TINYINT UNSIGNED NOT NULL,
  f_score            TINYINT UNSIGNED NOT NULL,
  m_score            TINYINT UNSIGNED NOT NULL,
  recency_bin        TINYINT UNSIGNED NOT NULL,
  frequency_bin      TINYINT UNSIGNED NOT NULL,
  monetary_bin       TINYINT UNSIGNED NOT NULL,
  segment_name       VARCHAR(64) NOT NULL,
  customers          INT UNSIGNED NOT NULL,
  repeat_customers   INT UNSIGNED NOT NULL,
  revenue            DECIMAL(18,2) NOT NULL,
  frequency_sum      BIGINT UNSIGNED NOT NULL,
  recency_days_sum   BIGINT NOT NULL,
  first_purchase_date DATETIME NOT NULL,
  last_purchase_date DATETIME NOT NULL,
  PRIMARY KEY (run_id, r_score, f_score, m_score, recency_bin, frequency_bin, monetary_bin)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- segment_run_transitions: from-segment -> to-segment counts between a run
-- and the results it replaced (the previous successful refresh).
-- '(new)' and '(gone)' mark customers present in only one of them.
CREATE TABLE IF NOT EXISTS segment_run_transitions (
  run_id          BIGINT UNSIGNED NOT NULL,
  previous_run_id BIGINT UNSIGNED NULL,
  from_segment    VARCHAR(64) NOT NULL,
  to_segment      VARCHAR(64) NOT NULL,
  customers       INT UNSIGNED NOT NULL,
  PRIMARY KEY (run_id, from_segment, to_segment)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- An upgraded database gets the figures of its current results (the newest
-- successful refresh), and the transitions into them from the history the
-- previous successful refresh kept, so its next report is complete.
INSERT INTO segment_run_cells
  (run_id, r_score, f_score, m_score, recency_bin, frequency_bin, monetary_bin, segment_name, customers,
   repeat_customers, revenue, frequency_sum, recency_days_sum, first_purchase_date, last_purchase_date)
SELECT newest.run_id, s.r_score, s.f_score, s.m_score,
       INTERVAL(s.recency_days, 30, 60, 90, 180, 270, 365, 540, 730),
       INTERVAL(s.frequency, 2, 3, 4, 5, 10),
       INTERVAL(s.monetary, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000),
       MIN(s.segment_name), COUNT(*), SUM(s.frequency >= 2), SUM(s.monetary), SUM(s.frequency),
       SUM(s.recency_days), MIN(s.first_purchase_date), MAX(s.last_purchase_date)
  FROM customer_segments s
  JOIN (SELECT MAX(run_id) AS run_id FROM pipeline_runs
         WHERE kind = 'refresh' AND status = 'succeeded') AS newest ON newest.run_id IS NOT NULL
 GROUP BY newest.run_id, 2, 3, 4, 5, 6, 7;

INSERT INTO segment_run_transitions (run_id, previous_run_id, from_segment, to_segment, customers)
SELECT runs.latest_run_id, runs.previous_run_id, COALESCE(prev.segment_name, '(new)'), cur.segment_name, COUNT(*)
  FROM (SELECT MAX(run_id) AS latest_run_id,
               (SELECT MAX(p2.run_id) FROM pipeline_runs p2
                 WHERE p2.kind = 'refresh' AND p2.status = 'succeeded'
                   AND p2.run_id < MAX(p1.run_id)) AS previous_run_id
          FROM pipeline_runs p1
         WHERE p1.kind = 'refresh' AND p1.status = 'succeeded') AS runs
  JOIN customer_segment_history cur ON cur.run_id = runs.latest_run_id
  LEFT JOIN customer_segment_history prev
         ON prev.run_id = runs.previous_run_id
        AND prev.customer_unique_id = cur.customer_unique_id
 GROUP BY runs.latest_run_id, runs.previous_run_id, 3, cur.segment_name;

INSERT INTO segment_run_transitions (run_id, previous_run_id, from_segment, to_segment, customers)
SELECT runs.latest_run_id, runs.previous_run_id, prev.segment_name, '(gone)', COUNT(*)
  FROM (SELECT MAX(run_id) AS latest_run_id,
               (SELECT MAX(p2.run_id) FROM pipeline_runs p2
                 WHERE p2.kind = 'refresh' AND p2.status = 'succeeded'
                   AND p2.run_id < MAX(p1.run_id)) AS previous_run_id
          FROM pipeline_runs p1
         WHERE p1.kind = 'refresh' AND p1.status = 'succeeded') AS runs
  JOIN customer_segment_history prev ON prev.run_id = runs.previous_run_id
 WHERE NOT EXISTS (SELECT 1 FROM customer_segment_history cur
                    WHERE cur.run_id = runs.latest_run_id
                      AND cur.customer_unique_id = prev.customer_unique_id)
 GROUP BY runs.latest_run_id, runs.previous_run_id, prev.segment_name;
