-- The segment report's sections (doc/OPERATIONS.md "The segment report"), one view each, so
-- BI tools read the numbers the report shows. They describe the newest
-- successful refresh (whose results customer_segments holds) by the figures
-- each successful refresh writes while it builds them (V010:
-- segment_run_cells, segment_run_stats, segment_run_transitions), so none
-- of them reads every customer again. Re-created by every `segmentd migrate`.

-- The newest successful refresh's cells.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW vw_report_cells AS
SELECT c.*
  FROM segment_run_cells c
 WHERE c.run_id = (SELECT MAX(p.run_id) FROM pipeline_runs p WHERE p.kind = 'refresh' AND p.status = 'succeeded');

-- Every segment the rules name, and any the results still hold under a name
-- the rules no longer have; its text from the first rule (by priority).
CREATE OR REPLACE SQL SECURITY INVOKER VIEW vw_report_segments AS
SELECT names.segment_name,
       COALESCE(c.customers, 0) AS customers,
       COALESCE(ROUND(100 * c.customers / NULLIF(t.customers, 0), 2), 0) AS share_pct,
       COALESCE(c.revenue, 0) AS revenue,
       COALESCE(ROUND(100 * c.revenue / NULLIF(t.revenue, 0), 2), 0) AS revenue_share_pct,
       ROUND(c.revenue / c.customers, 2) AS avg_spend,
       ROUND(c.frequency_sum / c.customers, 2) AS avg_frequency,
       ROUND(c.recency_days_sum / c.customers, 1) AS avg_recency_days,
       rule.description, rule.recommended_action,
       COALESCE(first_rule.priority, 2147483647) AS priority
  FROM (SELECT segment_name FROM rfm_segment_rules
        UNION SELECT DISTINCT segment_name FROM vw_report_cells) AS names
  LEFT JOIN (SELECT segment_name, MIN(priority) AS priority FROM rfm_segment_rules
              GROUP BY segment_name) AS first_rule ON first_rule.segment_name = names.segment_name
  LEFT JOIN rfm_segment_rules rule ON rule.priority = first_rule.priority
  LEFT JOIN (SELECT segment_name, SUM(customers) AS customers, SUM(revenue) AS revenue,
                    SUM(frequency_sum) AS frequency_sum, SUM(recency_days_sum) AS recency_days_sum
               FROM vw_report_cells GROUP BY segment_name) AS c ON c.segment_name = names.segment_name
 CROSS JOIN (SELECT SUM(customers) AS customers, SUM(revenue) AS revenue FROM vw_report_cells) AS t;

-- R x F: customers and their average monetary value per cell (cells with
-- no customer have no row).
CREATE OR REPLACE SQL SECURITY INVOKER VIEW vw_report_rf_heatmap AS
SELECT r_score, f_score, SUM(customers) AS customers, ROUND(SUM(revenue) / SUM(customers), 2) AS avg_monetary
  FROM vw_report_cells
 GROUP BY r_score, f_score;

-- Histograms. The refresh gives each customer's bin by INTERVAL() over the
-- edges in R010 (0 below the first); the numbers here list every bin and
-- ELT() names it: the edges and these lists go together. Monetary bins grow
-- 1-2-5 (a log scale).
CREATE OR REPLACE SQL SECURITY INVOKER VIEW vw_report_distribution AS
SELECT 'recency' AS metric, n.bin, ELT(n.bin + 1, '0-29', '30-59', '60-89', '90-179', '180-269', '270-364',
                                     '365-539', '540-729', '730+') AS label,
       COALESCE(c.customers, 0) AS customers
  FROM (SELECT 0 AS bin UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
        UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8) AS n
  LEFT JOIN (SELECT recency_bin AS bin, SUM(customers) AS customers
               FROM vw_report_cells GROUP BY recency_bin) AS c ON c.bin = n.bin
UNION ALL
SELECT 'frequency', n.bin, ELT(n.bin + 1, '1', '2', '3', '4', '5-9', '10+'), COALESCE(c.customers, 0)
  FROM (SELECT 0 AS bin UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
        UNION ALL SELECT 5) AS n
  LEFT JOIN (SELECT frequency_bin AS bin, SUM(customers) AS customers
               FROM vw_report_cells GROUP BY frequency_bin) AS c ON c.bin = n.bin
UNION ALL
SELECT 'monetary', n.bin, ELT(n.bin + 1, '<10', '10-20', '20-50', '50-100', '100-200', '200-500', '500-1k',
                              '1k-2k', '2k-5k', '5k+'), COALESCE(c.customers, 0)
  FROM (SELECT 0 AS bin UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
        UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) AS n
  LEFT JOIN (SELECT monetary_bin AS bin, SUM(customers) AS customers
               FROM vw_report_cells GROUP BY monetary_bin) AS c ON c.bin = n.bin;

-- Each successful refresh's figures per segment, for the trend and the
-- comparisons with the previous run.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW vw_report_trend AS
SELECT p.run_id, p.started_at, p.as_of_date, s.segment_name, s.customers, s.revenue, s.repeat_customers
  FROM pipeline_runs p
  JOIN segment_run_stats s ON s.run_id = p.run_id
 WHERE p.kind = 'refresh' AND p.status = 'succeeded';

-- What was loaded between the previous successful refresh and the newest
-- (by ledger time), and the newest ingest run's reference checks.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW vw_report_data_quality AS
SELECT w.previous_started_at, w.latest_started_at,
       COUNT(f.id) AS files,
       COALESCE(SUM(f.status = 'loaded'), 0) AS files_loaded,
       COALESCE(SUM(f.status IN ('rejected', 'failed')), 0) AS files_quarantined,
       COALESCE(SUM(f.rows_loaded), 0) AS rows_loaded,
       COALESCE(SUM(f.rows_rejected), 0) AS rows_rejected,
       (SELECT CAST(JSON_EXTRACT(i.details, '$.data_quality') AS CHAR) FROM pipeline_runs i
         WHERE i.kind = 'ingest' AND i.status = 'succeeded'
           AND JSON_EXTRACT(i.details, '$.data_quality') IS NOT NULL
         ORDER BY i.run_id DESC LIMIT 1) AS reference_checks
  FROM (SELECT MAX(started_at) AS latest_started_at,
               (SELECT MAX(p2.started_at) FROM pipeline_runs p2
                 WHERE p2.kind = 'refresh' AND p2.status = 'succeeded'
                   AND p2.run_id < MAX(p1.run_id)) AS previous_started_at
          FROM pipeline_runs p1 WHERE p1.kind = 'refresh' AND p1.status = 'succeeded') AS w
  LEFT JOIN ingested_files f
         ON f.started_at < w.latest_started_at
        AND (w.previous_started_at IS NULL OR f.started_at >= w.previous_started_at)
 GROUP BY w.previous_started_at, w.latest_started_at;
