-- BI views (Tableau, Power BI). Re-created by every `segmentd migrate`;
-- from the mysql client: mysql DB < this file.

CREATE OR REPLACE SQL SECURITY INVOKER VIEW vw_customer_segments AS
SELECT customer_unique_id, segment_name, r_score, f_score, m_score, rfm_code,
       monetary, recency_days, frequency, first_purchase_date, last_purchase_date
  FROM customer_segments;

-- Scores without segment names, under the name the original used for its
-- table. A view since V006: a refresh writes the scored customers once.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW customer_rfm AS
SELECT customer_unique_id, first_purchase_date, last_purchase_date, recency_days, frequency,
       monetary, r_score, f_score, m_score, rfm_code
  FROM customer_segments;

CREATE OR REPLACE SQL SECURITY INVOKER VIEW vw_customer_rfm AS
SELECT customer_unique_id, recency_days, frequency, monetary,
       r_score, f_score, m_score, rfm_code
  FROM customer_segments;

CREATE OR REPLACE SQL SECURITY INVOKER VIEW vw_segment_summary AS
SELECT segment_name,
       COUNT(*) AS customers,
       ROUND(100 * COUNT(*) / SUM(COUNT(*)) OVER (), 2) AS share_pct,
       ROUND(AVG(monetary), 2) AS avg_spend,
       SUM(monetary) AS total_spend,
       ROUND(AVG(frequency), 2) AS avg_frequency,
       ROUND(AVG(recency_days), 1) AS avg_recency_days
  FROM customer_segments
 GROUP BY segment_name;

-- From-segment -> to-segment counts between the last two successful refreshes
-- that kept history. '(new)' and '(gone)' mark customers present in only one.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW vw_segment_transitions AS
SELECT runs.previous_run_id, runs.latest_run_id,
       COALESCE(prev.segment_name, '(new)') AS from_segment,
       cur.segment_name AS to_segment,
       COUNT(*) AS customers
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
 GROUP BY runs.previous_run_id, runs.latest_run_id, prev.segment_name, cur.segment_name
UNION ALL
SELECT runs.previous_run_id, runs.latest_run_id, prev.segment_name, '(gone)', COUNT(*)
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
 GROUP BY runs.previous_run_id, runs.latest_run_id, prev.segment_name;
