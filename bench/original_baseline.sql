-- The original SQL-only project's refresh, re-created as the benchmark
-- baseline: key-less raw tables, and DROP TABLE / CREATE TABLE ... AS for
-- every step. Run by bench/run.sh after loading the raw_* tables; timed as a
-- whole. Hash joins are switched on for the session (MariaDB's default join
-- buffer would make this baseline take over ten minutes at 1x).
SET SESSION join_cache_level = 4;
SET SESSION optimizer_switch = 'join_cache_hashed=on,join_cache_incremental=on';

DROP TABLE IF EXISTS b_order_values;
CREATE TABLE b_order_values AS
SELECT o.order_id, o.customer_id, o.order_status, o.order_purchase_timestamp AS order_date,
       i.items_total, p.payments_total
  FROM raw_orders o
  LEFT JOIN (SELECT order_id, SUM(price + freight_value) AS items_total
               FROM raw_order_items GROUP BY order_id) i ON i.order_id = o.order_id
  LEFT JOIN (SELECT order_id, SUM(payment_value) AS payments_total
               FROM raw_order_payments GROUP BY order_id) p ON p.order_id = o.order_id
 WHERE o.order_status IN ('delivered', 'shipped');

DROP TABLE IF EXISTS b_customer_rfm;
CREATE TABLE b_customer_rfm AS
SELECT c.customer_unique_id,
       DATEDIFF((SELECT MAX(order_date) FROM b_order_values), MAX(v.order_date)) AS recency_days,
       COUNT(DISTINCT v.order_id) AS frequency,
       SUM(COALESCE(v.payments_total, v.items_total, 0)) AS monetary
  FROM b_order_values v
  JOIN raw_customers c ON c.customer_id = v.customer_id
 GROUP BY c.customer_unique_id;

DROP TABLE IF EXISTS b_customer_scores;
CREATE TABLE b_customer_scores AS
SELECT customer_unique_id, recency_days, frequency, monetary,
       NTILE(5) OVER (ORDER BY recency_days DESC) AS r_score,
       NTILE(5) OVER (ORDER BY frequency) AS f_score,
       NTILE(5) OVER (ORDER BY monetary) AS m_score
  FROM b_customer_rfm;

DROP TABLE IF EXISTS b_customer_segments;
CREATE TABLE b_customer_segments AS
SELECT s.*,
       CASE
         WHEN r_score = 5 AND f_score >= 4 THEN 'Champions'
         WHEN r_score BETWEEN 3 AND 4 AND f_score >= 4 THEN 'Loyal Customers'
         WHEN r_score >= 4 AND f_score = 1 THEN 'New Customers'
         WHEN r_score >= 3 AND f_score BETWEEN 2 AND 3 THEN 'Potential Loyalists'
         WHEN r_score <= 2 AND f_score <= 2 THEN 'Lost Customers'
         WHEN r_score <= 3 THEN 'At-Risk Customers'
         ELSE 'Other'
       END AS segment_name
  FROM b_customer_scores s;
