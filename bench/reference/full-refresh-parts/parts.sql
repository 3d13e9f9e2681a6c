-- The full 10x refresh's parts, timed alone
-- (bench/reference/2026-12-06/NOTES.md "The full 10x refresh, part by part,
-- and what one connection can do"), 2026-12-06 on a copy of the 10x benchmark
-- database (seed 1, after two full refreshes). Not a test and not part of
-- segmentd: each block was run by hand with the mariadb client, the times
-- read from the NOW(6) lines. The work tables (cs_t, agg_t, ov_*, os*)
-- were dropped afterwards.

-- Scoring, part by part.
SET SESSION sort_buffer_size=67108864, tmp_table_size=536870912, max_heap_table_size=536870912;
DROP TABLE IF EXISTS cs_t;
CREATE TABLE cs_t LIKE customer_scores;
ALTER TABLE cs_t DROP INDEX ix_customer_segments_segment, DROP INDEX ix_customer_scores_recency, DROP INDEX ix_customer_scores_frequency, DROP INDEX ix_customer_scores_monetary;
SELECT NOW(6);
DROP TABLE IF EXISTS agg_t;
CREATE TABLE agg_t (customer_unique_id varchar(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, first_purchase_date datetime not null, last_purchase_date datetime not null, last_purchase_day date not null, frequency int unsigned not null, monetary decimal(14,2) not null, primary key(customer_unique_id)) ENGINE=InnoDB;
INSERT INTO agg_t SELECT customer_unique_id,
                      MIN(order_date) AS first_purchase_date,
                      MAX(order_date) AS last_purchase_date,
                      DATE(MAX(order_date)) AS last_purchase_day,
                      COUNT(DISTINCT order_id) AS frequency,
                      ROUND(SUM(order_value), 2) AS monetary
                 FROM order_values
                GROUP BY customer_unique_id;
SELECT NOW(6) as agg_done;
INSERT INTO cs_t
         (customer_unique_id, first_purchase_date, last_purchase_date, last_purchase_day, frequency,
          monetary, r_score, f_score, m_score, rfm_code, segment_name)
       SELECT scored.customer_unique_id, scored.first_purchase_date, scored.last_purchase_date,
              scored.last_purchase_day, scored.frequency, scored.monetary, scored.r, scored.f, scored.m,
              CONCAT(scored.r, scored.f, scored.m), mp.segment_name
         FROM (SELECT a.*, NTILE(5) OVER (ORDER BY last_purchase_day ASC, customer_unique_id ASC) AS r,
          NTILE(5) OVER (ORDER BY frequency ASC, monetary ASC, customer_unique_id ASC) AS f,
          NTILE(5) OVER (ORDER BY monetary ASC, customer_unique_id ASC) AS m FROM agg_t a) scored
         LEFT JOIN rfm_segment_map mp
           ON mp.r_score = scored.r AND mp.f_score = scored.f AND mp.m_score = scored.m
        ORDER BY scored.customer_unique_id;
SELECT NOW(6) as windows_done;
ALTER TABLE cs_t
      ADD INDEX ix_customer_segments_segment (segment_name),
      ADD INDEX ix_customer_scores_recency (last_purchase_day, customer_unique_id),
      ADD INDEX ix_customer_scores_frequency (frequency, monetary, customer_unique_id),
      ADD INDEX ix_customer_scores_monetary (monetary, customer_unique_id);
SELECT NOW(6) as idx_done;

-- One window, three windows, and the write alone.
SET SESSION sort_buffer_size=67108864, tmp_table_size=536870912, max_heap_table_size=536870912;
SELECT NOW(6);
SELECT SUM(r) FROM (SELECT NTILE(5) OVER (ORDER BY last_purchase_day ASC, customer_unique_id ASC) AS r FROM agg_t) x;
SELECT NOW(6);
SELECT SUM(r+f+m) FROM (SELECT a.*, NTILE(5) OVER (ORDER BY last_purchase_day ASC, customer_unique_id ASC) AS r,
          NTILE(5) OVER (ORDER BY frequency ASC, monetary ASC, customer_unique_id ASC) AS f,
          NTILE(5) OVER (ORDER BY monetary ASC, customer_unique_id ASC) AS m FROM agg_t a) x;
SELECT NOW(6);
DROP TABLE IF EXISTS cs_t2; CREATE TABLE cs_t2 LIKE cs_t; ALTER TABLE cs_t2 DROP INDEX ix_customer_segments_segment, DROP INDEX ix_customer_scores_recency, DROP INDEX ix_customer_scores_frequency, DROP INDEX ix_customer_scores_monetary;
SELECT NOW(6);
INSERT INTO cs_t2 SELECT * FROM cs_t;
SELECT NOW(6);
SELECT COUNT(*) FROM agg_t;
SELECT NOW(6);

-- The four scoring indexes again (run on a server started with
-- --innodb-sort-buffer-size=67108864, twice).
SELECT COUNT(*) FROM cs_t2;
ALTER TABLE cs_t2 DROP INDEX IF EXISTS ix_customer_segments_segment, DROP INDEX IF EXISTS ix_customer_scores_recency, DROP INDEX IF EXISTS ix_customer_scores_frequency, DROP INDEX IF EXISTS ix_customer_scores_monetary;
SELECT NOW(6);
ALTER TABLE cs_t2
      ADD INDEX ix_customer_segments_segment (segment_name),
      ADD INDEX ix_customer_scores_recency (last_purchase_day, customer_unique_id),
      ADD INDEX ix_customer_scores_frequency (frequency, monetary, customer_unique_id),
      ADD INDEX ix_customer_scores_monetary (monetary, customer_unique_id);
SELECT NOW(6) as idx_done;

-- One item sum: correlated against joined and grouped.
SET SESSION sort_buffer_size=67108864, tmp_table_size=536870912, max_heap_table_size=536870912;
SELECT COUNT(*) FROM order_items FORCE INDEX (ix_order_items_value); SELECT COUNT(*) FROM orders; SELECT COUNT(*) FROM order_payments FORCE INDEX (ix_order_payments_value);
SELECT NOW(6) as start;
SELECT COUNT(*), SUM(x) FROM (SELECT o.order_id, (SELECT SUM(price+freight_value) FROM order_items i WHERE i.order_id=o.order_id) x FROM orders o) t;
SELECT NOW(6) as correlated_done;
SELECT COUNT(*), SUM(x) FROM (SELECT o.order_id, SUM(i.price+i.freight_value) x FROM orders o LEFT JOIN order_items i ON i.order_id=o.order_id GROUP BY o.order_id) t;
SELECT NOW(6) as joined_done;
EXPLAIN SELECT o.order_id, SUM(i.price+i.freight_value) x FROM orders o LEFT JOIN order_items i ON i.order_id=o.order_id GROUP BY o.order_id;
SELECT COUNT(*), SUM(x) FROM (SELECT o.order_id x FROM orders o) t;
SELECT NOW(6) as plain_done;

-- Order values: the procedure's statement (A) against every join hashed (B).
SET SESSION sort_buffer_size=67108864, tmp_table_size=536870912, max_heap_table_size=536870912;
SET SESSION join_cache_level=4, join_buffer_size=268435456, join_buffer_space_limit=1073741824;
DROP TABLE IF EXISTS ov_a; CREATE TABLE ov_a LIKE order_values; ALTER TABLE ov_a DROP INDEX ix_order_values_customer, DROP INDEX ix_order_values_date;
DROP TABLE IF EXISTS ov_b; CREATE TABLE ov_b LIKE ov_a;
SELECT NOW(6) as start;
INSERT INTO ov_a (order_id, customer_id, customer_unique_id, order_status, order_date, items_total, payments_total)
    SELECT o.order_id, o.customer_id, c.customer_unique_id, o.order_status, o.order_purchase_timestamp,
           (SELECT SUM(i.price + i.freight_value) FROM order_items i WHERE i.order_id = o.order_id),
           (SELECT SUM(p.payment_value) FROM order_payments p FORCE INDEX (ix_order_payments_value)
             WHERE p.order_id = o.order_id)
      FROM customers c
      STRAIGHT_JOIN orders o ON o.customer_id = c.customer_id
     WHERE FIND_IN_SET(o.order_status, 'delivered,shipped') > 0;
SELECT NOW(6) as a_done;
EXPLAIN SELECT o.order_id, o.customer_id, c.customer_unique_id, o.order_status, o.order_purchase_timestamp,
           ROUND(SUM(i.price + i.freight_value) / GREATEST(COUNT(DISTINCT p.payment_sequential), 1), 2),
           ROUND(SUM(p.payment_value) / GREATEST(COUNT(DISTINCT i.order_item_id), 1), 2)
      FROM customers c
      STRAIGHT_JOIN orders o ON o.customer_id = c.customer_id
      STRAIGHT_JOIN order_items i ON i.order_id = o.order_id
      LEFT JOIN order_payments p ON p.order_id = o.order_id
     WHERE FIND_IN_SET(o.order_status, 'delivered,shipped') > 0 GROUP BY o.order_id;
INSERT INTO ov_b (order_id, customer_id, customer_unique_id, order_status, order_date, items_total, payments_total)
    SELECT o.order_id, o.customer_id, c.customer_unique_id, o.order_status, o.order_purchase_timestamp,
           ROUND(SUM(i.price + i.freight_value) / GREATEST(COUNT(DISTINCT p.payment_sequential), 1), 2),
           ROUND(SUM(p.payment_value) / GREATEST(COUNT(DISTINCT i.order_item_id), 1), 2)
      FROM customers c
      STRAIGHT_JOIN orders o ON o.customer_id = c.customer_id
      LEFT JOIN order_items i ON i.order_id = o.order_id
      LEFT JOIN order_payments p ON p.order_id = o.order_id
     WHERE FIND_IN_SET(o.order_status, 'delivered,shipped') > 0 GROUP BY o.order_id;
SELECT NOW(6) as b_done;
SELECT COUNT(*), SUM(items_total), SUM(payments_total), SUM(items_total IS NULL), SUM(payments_total IS NULL) FROM ov_a;
SELECT COUNT(*), SUM(items_total), SUM(payments_total), SUM(items_total IS NULL), SUM(payments_total IS NULL) FROM ov_b;

-- The streaming GROUP BY without and with the customer as a lookup.
SET SESSION sort_buffer_size=67108864, tmp_table_size=536870912, max_heap_table_size=536870912;
SET SESSION join_cache_level=0;
DROP TABLE IF EXISTS ov_c; CREATE TABLE ov_c LIKE ov_a;
EXPLAIN SELECT o.order_id, o.customer_id, c.customer_unique_id, o.order_status, o.order_purchase_timestamp,
           ROUND(SUM(i.price + i.freight_value) / GREATEST(COUNT(DISTINCT p.payment_sequential), 1), 2),
           ROUND(SUM(p.payment_value) / GREATEST(COUNT(DISTINCT i.order_item_id), 1), 2)
      FROM orders o
      STRAIGHT_JOIN customers c ON c.customer_id = o.customer_id
      LEFT JOIN order_items i ON i.order_id = o.order_id
      LEFT JOIN order_payments p ON p.order_id = o.order_id
     WHERE FIND_IN_SET(o.order_status, 'delivered,shipped') > 0 GROUP BY o.order_id;
SELECT NOW(6) as start;
INSERT INTO ov_c (order_id, customer_id, customer_unique_id, order_status, order_date, items_total, payments_total)
SELECT o.order_id, o.customer_id, '', o.order_status, o.order_purchase_timestamp,
           ROUND(SUM(i.price + i.freight_value) / GREATEST(COUNT(DISTINCT p.payment_sequential), 1), 2),
           ROUND(SUM(p.payment_value) / GREATEST(COUNT(DISTINCT i.order_item_id), 1), 2)
      FROM orders o
      LEFT JOIN order_items i ON i.order_id = o.order_id
      LEFT JOIN order_payments p ON p.order_id = o.order_id
     WHERE FIND_IN_SET(o.order_status, 'delivered,shipped') > 0 GROUP BY o.order_id;
SELECT NOW(6) as no_customer_done;
DELETE FROM ov_c;
SELECT NOW(6) as start;
INSERT INTO ov_c (order_id, customer_id, customer_unique_id, order_status, order_date, items_total, payments_total)
SELECT o.order_id, o.customer_id, c.customer_unique_id, o.order_status, o.order_purchase_timestamp,
           ROUND(SUM(i.price + i.freight_value) / GREATEST(COUNT(DISTINCT p.payment_sequential), 1), 2),
           ROUND(SUM(p.payment_value) / GREATEST(COUNT(DISTINCT i.order_item_id), 1), 2)
      FROM orders o
      STRAIGHT_JOIN customers c ON c.customer_id = o.customer_id
      LEFT JOIN order_items i ON i.order_id = o.order_id
      LEFT JOIN order_payments p ON p.order_id = o.order_id
     WHERE FIND_IN_SET(o.order_status, 'delivered,shipped') > 0 GROUP BY o.order_id;
SELECT NOW(6) as with_customer_done;

-- Two statements: the sums, then the customers hash-joined.
SET SESSION sort_buffer_size=67108864, tmp_table_size=536870912, max_heap_table_size=536870912;
SET SESSION join_cache_level=0;
DROP TABLE IF EXISTS os1;
CREATE TABLE os1 (order_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, customer_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  order_status VARCHAR(20) NOT NULL, order_date DATETIME NOT NULL, items_total DECIMAL(14,2) NULL, payments_total DECIMAL(14,2) NULL, PRIMARY KEY (order_id)) ENGINE=InnoDB;
DROP TABLE IF EXISTS os2; CREATE TABLE os2 LIKE os1;
SELECT NOW(6) as start;
INSERT INTO os1 SELECT o.order_id, o.customer_id, o.order_status, o.order_purchase_timestamp,
           ROUND(SUM(i.price + i.freight_value) / GREATEST(COUNT(DISTINCT p.payment_sequential), 1), 2),
           ROUND(SUM(p.payment_value) / GREATEST(COUNT(DISTINCT i.order_item_id), 1), 2)
      FROM orders o
      LEFT JOIN order_items i ON i.order_id = o.order_id
      LEFT JOIN order_payments p ON p.order_id = o.order_id
     WHERE FIND_IN_SET(o.order_status, 'delivered,shipped') > 0 GROUP BY o.order_id;
SELECT NOW(6) as v1_done;
INSERT INTO os2 SELECT o.order_id, o.customer_id, o.order_status, o.order_purchase_timestamp,
           SUM(i.price + i.freight_value),
           (SELECT SUM(p.payment_value) FROM order_payments p FORCE INDEX (ix_order_payments_value) WHERE p.order_id = o.order_id)
      FROM orders o
      LEFT JOIN order_items i FORCE INDEX (ix_order_items_value) ON i.order_id = o.order_id
     WHERE FIND_IN_SET(o.order_status, 'delivered,shipped') > 0 GROUP BY o.order_id;
SELECT NOW(6) as v2_done;
SET SESSION join_cache_level=4, join_buffer_size=268435456, join_buffer_space_limit=1073741824;
DROP TABLE IF EXISTS ov_s; CREATE TABLE ov_s LIKE ov_a;
EXPLAIN SELECT s.order_id, s.customer_id, c.customer_unique_id, s.order_status, s.order_date, s.items_total, s.payments_total
 FROM customers c STRAIGHT_JOIN os1 s ON s.customer_id = c.customer_id;
SELECT NOW(6) as s2_start;
INSERT INTO ov_s (order_id, customer_id, customer_unique_id, order_status, order_date, items_total, payments_total)
SELECT /*+ NO_INDEX(s) */ s.order_id, s.customer_id, c.customer_unique_id, s.order_status, s.order_date, s.items_total, s.payments_total
 FROM customers c STRAIGHT_JOIN os1 s ON s.customer_id = c.customer_id;
SELECT NOW(6) as s2_done;
SELECT COUNT(*), SUM(items_total), SUM(payments_total), SUM(items_total IS NULL), SUM(payments_total IS NULL) FROM os2;
SELECT COUNT(*) FROM ov_s s JOIN ov_a a ON a.order_id = s.order_id AND a.customer_unique_id = s.customer_unique_id AND a.items_total <=> s.items_total AND a.payments_total <=> s.payments_total AND a.order_date = s.order_date;

-- READ COMMITTED against REPEATABLE READ (alternated three times): the
-- session settings and statement A of the order-values block above, with
--   SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED;  -- or REPEATABLE READ
-- before it.

-- The two halves, run one after the other and at the same time on two
-- connections: statement A above under READ COMMITTED, its WHERE extended
-- with AND o.order_id < 'M' on one connection and AND o.order_id >= 'M' on
-- the other, M the median order id
-- (SELECT order_id FROM orders ORDER BY order_id LIMIT 1 OFFSET <half the count>).
