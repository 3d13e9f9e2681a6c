-- BI views (Tableau, Power BI). Re-created by every `segmentd migrate`;
-- from the mysql client: mysql DB < this file.

-- The scored customers with recency_days as of the live results' date
-- (V015: customer_scores keeps the day of the last purchase, so a new as-of
-- date changes no row). The columns the table had.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW customer_segments AS
SELECT s.customer_unique_id, s.first_purchase_date, s.last_purchase_date,
       DATEDIFF(st.as_of, s.last_purchase_day) AS recency_days, s.frequency, s.monetary,
       s.r_score, s.f_score, s.m_score, s.rfm_code, s.segment_name
  FROM customer_scores s
  JOIN segment_state st ON st.id = 1;

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

-- Segment history (V014; doc/MODEL.md "Segment history"). The kept runs: those
-- with history that pipeline_runs records as succeeded.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW vw_segment_history_runs AS
SELECT h.run_id, p.started_at, p.finished_at, p.as_of_date, h.customers, h.changes, h.full_snapshot
  FROM segment_history_runs h
  JOIN pipeline_runs p ON p.run_id = h.run_id
 WHERE p.kind = 'refresh' AND p.status = 'succeeded';

-- Every customer's scores and segment at every kept run: its newest change
-- at or before the run, unless that change says it left. Filter by run_id
-- or customer_unique_id; changed_run_id is the run that stored the row.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW vw_customer_segment_at_run AS
SELECT k.run_id, c.customer_unique_id, c.r_score, c.f_score, c.m_score, c.rfm_code, c.segment_name,
       c.run_id AS changed_run_id
  FROM vw_segment_history_runs k
  JOIN customer_segment_changes c ON c.run_id <= k.run_id
 WHERE c.segment_name IS NOT NULL
   AND c.run_id = (SELECT MAX(x.run_id)
                     FROM customer_segment_changes x
                     JOIN segment_history_runs xh ON xh.run_id = x.run_id
                     JOIN pipeline_runs xp ON xp.run_id = x.run_id
                    WHERE x.customer_unique_id = c.customer_unique_id AND x.run_id <= k.run_id
                      AND xp.kind = 'refresh' AND xp.status = 'succeeded');

-- The table of full copies this replaced (V014), with its columns.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW customer_segment_history AS
SELECT run_id, customer_unique_id, r_score, f_score, m_score, rfm_code, segment_name
  FROM vw_customer_segment_at_run;
