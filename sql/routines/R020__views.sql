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

-- From-segment -> to-segment counts between the newest successful refresh
-- and the results it replaced (the previous successful one), as that
-- refresh recorded them (segment_run_transitions, V010). '(new)' and
-- '(gone)' mark customers present in only one.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW vw_segment_transitions AS
SELECT t.previous_run_id, t.run_id AS latest_run_id, t.from_segment, t.to_segment, t.customers
  FROM segment_run_transitions t
 WHERE t.run_id = (SELECT MAX(p.run_id) FROM pipeline_runs p WHERE p.kind = 'refresh' AND p.status = 'succeeded');
