-- segmentd_refresh_full: the full path of a refresh (R013).
-- Re-created by every `segmentd migrate`; from the mysql client:
-- mysql DB < this file (after R010).

DELIMITER $$

-- The full path of a refresh: every customer's results built beside the
-- live ones (*_next tables), with the history and the report's figures; the
-- swap is segmentd_refresh_run's, after the fence check. Called by
-- segmentd_refresh_run only, under its lock and claim; it returns what the
-- run records.
DROP PROCEDURE IF EXISTS segmentd_refresh_full $$
CREATE PROCEDURE segmentd_refresh_full(
  IN p_run_id BIGINT UNSIGNED, IN p_method VARCHAR(16), IN p_statuses VARCHAR(300), IN p_key CHAR(32),
  IN p_live_run BIGINT UNSIGNED, IN p_live_key CHAR(32), IN p_seen INT UNSIGNED, IN p_diffed BOOLEAN,
  IN p_history_run BIGINT UNSIGNED,
  INOUT p_as_of DATE,
  OUT p_customers INT UNSIGNED, OUT p_counts TEXT, OUT p_changes INT UNSIGNED,
  OUT p_live_check VARCHAR(255), OUT p_mismatches INT UNSIGNED,
  OUT t_orders DATETIME(6), OUT t_rfm DATETIME(6), OUT t_history DATETIME(6), OUT t_figures DATETIME(6))
  MODIFIES SQL DATA
  COMMENT 'The full path of segmentd_refresh_run'
BEGIN
  DECLARE v_previous        BIGINT UNSIGNED DEFAULT NULL;
  DECLARE v_someone_left    BOOLEAN DEFAULT TRUE;
  DECLARE v_customer_rows   BIGINT UNSIGNED DEFAULT NULL;
  DECLARE v_counted_orders  BIGINT UNSIGNED DEFAULT 0;

  -- Full: build the new results beside the live ones and swap them in.
  DROP TABLE IF EXISTS order_values_next, customer_scores_next, segment_state_next, segment_score_bounds_next;
  CREATE TABLE order_values_next LIKE order_values;
  -- Filled without its secondary indexes, each then built in one sorted
  -- pass: a third faster at 10x than maintaining them row by row.
  ALTER TABLE order_values_next DROP INDEX ix_order_values_customer, DROP INDEX ix_order_values_date;
  CREATE TABLE customer_scores_next LIKE customer_scores;
  -- Likewise for the per-segment and the three scoring indexes. The
  -- comment names the run, so once swapped in, the live table says which
  -- run built it. The statement is constant text and a number this
  -- procedure generated.
  SET @segmentd_swap_ddl = CONCAT('ALTER TABLE customer_scores_next DROP INDEX ix_customer_segments_segment, ',
                                  'DROP INDEX ix_customer_scores_recency, DROP INDEX ix_customer_scores_frequency, ',
                                  'DROP INDEX ix_customer_scores_monetary, COMMENT = ''segmentd run ', p_run_id, '''');
  PREPARE mark_next FROM @segmentd_swap_ddl;
  EXECUTE mark_next;
  DEALLOCATE PREPARE mark_next;
  CREATE TABLE segment_state_next LIKE segment_state;
  CREATE TABLE segment_score_bounds_next LIKE segment_score_bounds;

  -- Orders are read in primary-key order, so the correlated sums walk the
  -- (order_id, ...) primary keys of items and payments in the same order and
  -- the new rows are appended. Customers are the one lookup that order
  -- cannot serve: looked up one by one they cost a cache miss each once the
  -- table outgrows the CPU cache. Instead all customers are put in a hash
  -- table first (the covering (customer_unique_id, customer_id) index, read
  -- in one scan) and each order probes it as it streams past: at 10x the
  -- step took 12-15 s instead of 14-19 s, the same at 1x. MySQL 8
  -- hash-joins where no index serves the join, which the NO_INDEX hint
  -- arranges (not run here: no MySQL). Both sums read V007's narrow indexes;
  -- left alone, MariaDB sums payments from the primary key instead, 85 MB
  -- against 52 MB at 10x, which a refresh that outgrows the buffer pool
  -- reads back from disk every time.
  SELECT COUNT(*) INTO v_customer_rows FROM customers;
  CALL segmentd_hash_join_settings(TRUE, v_customer_rows);
  INSERT INTO order_values_next
    (order_id, customer_id, customer_unique_id, order_status, order_date, items_total, payments_total)
  SELECT /*+ NO_INDEX(o ix_orders_customer) */
         o.order_id, o.customer_id, c.customer_unique_id, o.order_status, o.order_purchase_timestamp,
         (SELECT SUM(i.price + i.freight_value) FROM order_items i WHERE i.order_id = o.order_id),
         (SELECT SUM(p.payment_value) FROM order_payments p FORCE INDEX (ix_order_payments_value)
           WHERE p.order_id = o.order_id)
    FROM customers c
    STRAIGHT_JOIN orders o ON o.customer_id = c.customer_id
   WHERE FIND_IN_SET(o.order_status, p_statuses) > 0;
  SET v_counted_orders = ROW_COUNT();
  CALL segmentd_hash_join_settings(FALSE, NULL);
  -- The scoring below keeps two temporary tables of every customer (the
  -- aggregates, then the window functions' rows, which each window
  -- updates in place). Past the limit they go to disk, where those
  -- updates are random reads and writes, and the 100x scoring grew far
  -- faster than the data (bench/reference/2026-12-04/NOTES.md "The 100x refresh's fixed memory limits"). So
  -- the limit grows with the counted orders, which bound the customers;
  -- in-memory temporary tables grow as rows arrive, so the room not
  -- needed is not taken.
  CALL segmentd_temp_table_settings(v_counted_orders);
  -- Covering: the per-customer GROUP BY below reads just this index, in
  -- order, instead of fetching each order's row (2.5x faster at 10x).
  ALTER TABLE order_values_next
    ADD INDEX ix_order_values_customer (customer_unique_id, order_date, order_value),
    ADD INDEX ix_order_values_date (order_date);
  IF p_as_of IS NULL THEN
    SELECT DATE(MAX(order_date)) INTO p_as_of FROM order_values_next;
  END IF;
  SET t_orders = UTC_TIMESTAMP(6);

  -- One statement for both scoring methods; only the three score
  -- expressions differ, chosen from constant text. R sorts by the day of
  -- the last purchase, as recency_days (as_of minus that day) did, so the
  -- scores do not depend on the as-of date. Written in key order:
  -- appending to the primary key costs a third less than inserting in the
  -- window functions' order (measured at 10x).
  SET @segmentd_scoring = CONCAT(
    'INSERT INTO customer_scores_next
       (customer_unique_id, first_purchase_date, last_purchase_date, last_purchase_day, frequency,
        monetary, r_score, f_score, m_score, rfm_code, segment_name)
     SELECT scored.customer_unique_id, scored.first_purchase_date, scored.last_purchase_date,
            scored.last_purchase_day, scored.frequency, scored.monetary, scored.r, scored.f, scored.m,
            CONCAT(scored.r, scored.f, scored.m), mp.segment_name
       FROM (SELECT a.*, ',
    IF(p_method = 'ntile',
       'NTILE(5) OVER (ORDER BY last_purchase_day ASC, customer_unique_id ASC) AS r,
        NTILE(5) OVER (ORDER BY frequency ASC, monetary ASC, customer_unique_id ASC) AS f,
        NTILE(5) OVER (ORDER BY monetary ASC, customer_unique_id ASC) AS m',
       '1 + LEAST(4, FLOOR(5 * PERCENT_RANK() OVER (ORDER BY last_purchase_day ASC))) AS r,
        1 + LEAST(4, FLOOR(5 * PERCENT_RANK() OVER (ORDER BY frequency ASC))) AS f,
        1 + LEAST(4, FLOOR(5 * PERCENT_RANK() OVER (ORDER BY monetary ASC))) AS m'),
    '  FROM (SELECT customer_unique_id,
                    MIN(order_date) AS first_purchase_date,
                    MAX(order_date) AS last_purchase_date,
                    DATE(MAX(order_date)) AS last_purchase_day,
                    COUNT(DISTINCT order_id) AS frequency,
                    ROUND(SUM(order_value), 2) AS monetary
               FROM order_values_next
              GROUP BY customer_unique_id) AS a) AS scored
       LEFT JOIN rfm_segment_map mp
         ON mp.r_score = scored.r AND mp.f_score = scored.f AND mp.m_score = scored.m
      ORDER BY scored.customer_unique_id');
  PREPARE score_customers FROM @segmentd_scoring;
  EXECUTE score_customers;
  SET p_customers = ROW_COUNT();
  DEALLOCATE PREPARE score_customers;
  SET @segmentd_scoring = NULL, @segmentd_swap_ddl = NULL;
  ALTER TABLE customer_scores_next
    ADD INDEX ix_customer_segments_segment (segment_name),
    ADD INDEX ix_customer_scores_recency (last_purchase_day, customer_unique_id),
    ADD INDEX ix_customer_scores_frequency (frequency, monetary, customer_unique_id),
    ADD INDEX ix_customer_scores_monetary (monetary, customer_unique_id);
  -- The boundaries these scores follow, for the next incremental refresh.
  CALL segmentd_score_bounds(p_method, TRUE, p_customers);
  INSERT INTO segment_score_bounds_next SELECT * FROM segment_refresh_bounds;
  INSERT INTO segment_state_next (id, run_id, as_of, settings_key, customers)
  VALUES (1, p_run_id, p_as_of, p_key, p_customers);
  SET t_rfm = UTC_TIMESTAMP(6);

  -- History (V014): what changed against the live results when they are
  -- the newest kept run's, else everyone, and who left since that run.
  IF p_diffed THEN
    INSERT INTO customer_segment_changes
      (run_id, customer_unique_id, r_score, f_score, m_score, rfm_code, segment_name)
    SELECT p_run_id, n.customer_unique_id, n.r_score, n.f_score, n.m_score, n.rfm_code, n.segment_name
      FROM customer_scores_next n
      LEFT JOIN customer_scores o ON o.customer_unique_id = n.customer_unique_id
     WHERE o.customer_unique_id IS NULL OR o.r_score <> n.r_score OR o.f_score <> n.f_score
        OR o.m_score <> n.m_score OR o.segment_name <> n.segment_name;
    SET p_changes = ROW_COUNT();
    -- Who left: only looked for when the counts say someone did (the
    -- live customers outnumber those still here), which saves a pass
    -- over every live customer in the usual refresh, where nobody left.
    SELECT (SELECT COUNT(*) FROM customer_scores)
           + (SELECT COUNT(*) FROM customer_segment_changes c
               WHERE c.run_id = p_run_id
                 AND NOT EXISTS (SELECT 1 FROM customer_scores o WHERE o.customer_unique_id = c.customer_unique_id))
           > p_customers
      INTO v_someone_left;
    IF v_someone_left THEN
      INSERT INTO customer_segment_changes (run_id, customer_unique_id)
      SELECT p_run_id, o.customer_unique_id
        FROM customer_scores o
       WHERE NOT EXISTS (SELECT 1 FROM customer_scores_next n WHERE n.customer_unique_id = o.customer_unique_id);
      SET p_changes = p_changes + ROW_COUNT();
    END IF;
    -- Over data nothing changed since the live results were made, with the
    -- same settings, a full refresh must agree with them: the check of the
    -- incremental state.
    IF p_seen = 0 AND p_live_key = p_key THEN
      SET p_mismatches = p_changes;
      SET p_live_check = IF(p_changes = 0, 'matched the live results',
                            CONCAT(p_changes, ' customers differed from the live results'));
    END IF;
  ELSE
    CALL segmentd_history_snapshot(p_run_id, p_history_run, TRUE, p_changes);
  END IF;
  IF p_live_check IS NULL THEN
    SET p_live_check = CASE
      WHEN p_live_run IS NULL THEN 'not checked: no live results'
      WHEN p_live_key <=> p_key THEN CONCAT('not checked: ', p_seen, ' changes since the live results')
      ELSE 'not checked: the settings or rules changed' END;
  END IF;
  INSERT INTO segment_history_runs (run_id, customers, changes, full_snapshot)
  VALUES (p_run_id, p_customers, p_changes, NOT p_diffed);
  SET t_history = UTC_TIMESTAMP(6);

  CALL segmentd_run_figures(p_run_id, TRUE, p_as_of, p_counts);
  -- Movement since the results this run replaces: customer_scores holds
  -- the previous successful refresh's (they change only under this
  -- lock).
  SELECT MAX(run_id) INTO v_previous FROM pipeline_runs
   WHERE kind = 'refresh' AND status = 'succeeded' AND run_id < p_run_id;
  DELETE FROM segment_refresh_moves;
  IF p_diffed THEN
    -- The history rows just written are everyone who moved, appeared or
    -- left; everyone else stayed in their segment. Two joins of every
    -- customer fewer (bench/reference/2026-12-06/NOTES.md "The full 10x
    -- refresh, part by part, and what one connection can do").
    INSERT INTO segment_refresh_moves (from_segment, to_segment, customers)
    SELECT COALESCE(o.segment_name, '(new)'), COALESCE(c.segment_name, '(gone)'), COUNT(*)
      FROM customer_segment_changes c
      LEFT JOIN customer_scores o ON o.customer_unique_id = c.customer_unique_id
     WHERE c.run_id = p_run_id
     GROUP BY 1, 2;
  ELSE
    -- Everyone: the new results against the old, then who left (what the
    -- old results held minus who was matched, so the old table is joined
    -- once).
    INSERT INTO segment_refresh_moves (from_segment, to_segment, customers)
    SELECT COALESCE(o.segment_name, '(new)'), n.segment_name, COUNT(*)
      FROM customer_scores_next n
      LEFT JOIN customer_scores o ON o.customer_unique_id = n.customer_unique_id
     GROUP BY 1, 2;
    INSERT INTO segment_refresh_moves (from_segment, to_segment, customers)
    SELECT held.segment_name, '(gone)', held.n - COALESCE(matched.n, 0)
      FROM (SELECT segment_name, COUNT(*) AS n FROM customer_scores GROUP BY segment_name) AS held
      LEFT JOIN (SELECT from_segment, SUM(customers) AS n FROM segment_refresh_moves GROUP BY from_segment) AS matched
             ON matched.from_segment = held.segment_name
     WHERE held.n > COALESCE(matched.n, 0);
  END IF;
  CALL segmentd_record_transitions(p_run_id, v_previous);
  SET t_figures = UTC_TIMESTAMP(6);
END $$

DELIMITER ;
