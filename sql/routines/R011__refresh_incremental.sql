-- segmentd_refresh_incremental: the incremental path of a refresh (R013).
-- Re-created by every `segmentd migrate`; from the mysql client:
-- mysql DB < this file (after R010).

DELIMITER $$

-- The incremental path of a refresh (doc/MODEL.md "Incremental refresh"):
-- in one transaction over the live tables (committed by segmentd_refresh_run
-- once the run is recorded), the changed orders' values again, their
-- customers' figures, the scores that can move, the history and the
-- report's figures. Called by segmentd_refresh_run only, under its lock and
-- claim; it returns what the run records.
DROP PROCEDURE IF EXISTS segmentd_refresh_incremental $$
CREATE PROCEDURE segmentd_refresh_incremental(
  IN p_run_id BIGINT UNSIGNED, IN p_method VARCHAR(16), IN p_statuses VARCHAR(300), IN p_key CHAR(32),
  IN p_live_run BIGINT UNSIGNED, IN p_live_customers INT UNSIGNED, IN p_diffed BOOLEAN,
  IN p_history_run BIGINT UNSIGNED,
  INOUT p_as_of DATE,
  OUT p_customers INT UNSIGNED, OUT p_counts TEXT, OUT p_changes INT UNSIGNED,
  OUT p_orders_done INT UNSIGNED, OUT p_customers_done INT UNSIGNED,
  OUT t_log DATETIME(6), OUT t_orders DATETIME(6), OUT t_aggregates DATETIME(6), OUT t_bounds DATETIME(6),
  OUT t_boundary DATETIME(6), OUT t_rfm DATETIME(6), OUT t_history DATETIME(6), OUT t_figures DATETIME(6))
  MODIFIES SQL DATA
  COMMENT 'The incremental path of segmentd_refresh_run'
BEGIN
  DECLARE v_left           INT UNSIGNED DEFAULT 0;
  DECLARE v_everyone       BOOLEAN DEFAULT FALSE;

  -- The transaction is already open (segmentd_refresh_run).
  DELETE FROM segment_refresh_orders;
  DELETE FROM segment_refresh_customers;
  DELETE FROM segment_refresh_keys;
  -- The orders changed, directly or through their customer.
  INSERT IGNORE INTO segment_refresh_orders (order_id)
  SELECT c.order_id FROM segment_refresh_seen s JOIN segment_input_changes c ON c.seq = s.seq
   WHERE c.order_id IS NOT NULL;
  INSERT IGNORE INTO segment_refresh_orders (order_id)
  SELECT o.order_id FROM segment_refresh_seen s JOIN segment_input_changes c ON c.seq = s.seq
    JOIN orders o ON o.customer_id = c.customer_id
   WHERE c.customer_id IS NOT NULL;
  SELECT COUNT(*) INTO p_orders_done FROM segment_refresh_orders;
  SET t_log = UTC_TIMESTAMP(6);
  -- Their customers before and after, and those orders' values again.
  INSERT IGNORE INTO segment_refresh_customers (customer_unique_id)
  SELECT v.customer_unique_id FROM segment_refresh_orders w JOIN order_values v ON v.order_id = w.order_id;
  DELETE v FROM order_values v JOIN segment_refresh_orders w ON w.order_id = v.order_id;
  INSERT INTO order_values
    (order_id, customer_id, customer_unique_id, order_status, order_date, items_total, payments_total)
  SELECT o.order_id, o.customer_id, c.customer_unique_id, o.order_status, o.order_purchase_timestamp,
         (SELECT SUM(i.price + i.freight_value) FROM order_items i WHERE i.order_id = o.order_id),
         (SELECT SUM(p.payment_value) FROM order_payments p WHERE p.order_id = o.order_id)
    FROM segment_refresh_orders w
    STRAIGHT_JOIN orders o ON o.order_id = w.order_id
    STRAIGHT_JOIN customers c ON c.customer_id = o.customer_id
   WHERE FIND_IN_SET(o.order_status, p_statuses) > 0;
  INSERT IGNORE INTO segment_refresh_customers (customer_unique_id)
  SELECT v.customer_unique_id FROM segment_refresh_orders w JOIN order_values v ON v.order_id = w.order_id;
  UPDATE segment_refresh_customers w JOIN customer_scores s ON s.customer_unique_id = w.customer_unique_id
     SET w.existed = TRUE, w.r_score = s.r_score, w.f_score = s.f_score, w.m_score = s.m_score,
         w.segment_name = s.segment_name, w.old_day = s.last_purchase_day, w.old_frequency = s.frequency,
         w.old_monetary = s.monetary;
  SELECT COUNT(*) INTO p_customers_done FROM segment_refresh_customers;
  IF p_as_of IS NULL THEN
    SELECT DATE(MAX(order_date)) INTO p_as_of FROM order_values;
  END IF;
  SET t_orders = UTC_TIMESTAMP(6);

  -- Their figures: those without a counted order leave, the others are
  -- written (new ones unscored until below), from their keys (V017),
  -- which the score boundaries read again.
  DELETE s FROM customer_scores s JOIN segment_refresh_customers w ON w.customer_unique_id = s.customer_unique_id
   WHERE NOT EXISTS (SELECT 1 FROM order_values v WHERE v.customer_unique_id = s.customer_unique_id);
  SET v_left = ROW_COUNT();
  INSERT INTO segment_refresh_keys
    (customer_unique_id, first_purchase_date, last_purchase_date, last_purchase_day, frequency, monetary)
  SELECT v.customer_unique_id, MIN(v.order_date), MAX(v.order_date), DATE(MAX(v.order_date)),
         COUNT(DISTINCT v.order_id), ROUND(SUM(v.order_value), 2)
    FROM segment_refresh_customers w JOIN order_values v ON v.customer_unique_id = w.customer_unique_id
   GROUP BY v.customer_unique_id;
  INSERT INTO customer_scores
    (customer_unique_id, first_purchase_date, last_purchase_date, last_purchase_day, frequency, monetary,
     r_score, f_score, m_score, rfm_code, segment_name)
  SELECT k.customer_unique_id, k.first_purchase_date, k.last_purchase_date, k.last_purchase_day,
         k.frequency, k.monetary, 0, 0, 0, '000', ''
    FROM segment_refresh_keys k
  ON DUPLICATE KEY UPDATE first_purchase_date = VALUES(first_purchase_date),
                          last_purchase_date = VALUES(last_purchase_date),
                          last_purchase_day = VALUES(last_purchase_day),
                          frequency = VALUES(frequency), monetary = VALUES(monetary);
  -- How many are scored now: the live count, less who left, plus who
  -- appeared (V016); counted only when the live count is not known.
  IF p_live_customers IS NULL THEN
    SELECT COUNT(*) INTO p_customers FROM customer_scores;
  ELSE
    SELECT p_live_customers - v_left + COUNT(*) INTO p_customers
      FROM segment_refresh_customers w JOIN segment_refresh_keys k ON k.customer_unique_id = w.customer_unique_id
     WHERE NOT w.existed;
  END IF;
  SET t_aggregates = UTC_TIMESTAMP(6);
  -- Scoring stays global: the new boundaries over every customer, then
  -- only those whose score they can change, and the changed ones.
  CALL segmentd_score_bounds(p_method, FALSE, p_customers);
  SET t_bounds = UTC_TIMESTAMP(6);
  CALL segmentd_boundary_customers(p_method, v_everyone);
  SET t_boundary = UTC_TIMESTAMP(6);
  CALL segmentd_rescore(p_method);
  SET t_rfm = UTC_TIMESTAMP(6);

  -- History (V014): what changed against the live results, when those
  -- are the newest kept run's; else everyone, and who left since it.
  IF p_diffed THEN
    INSERT INTO customer_segment_changes
      (run_id, customer_unique_id, r_score, f_score, m_score, rfm_code, segment_name)
    SELECT p_run_id, s.customer_unique_id, s.r_score, s.f_score, s.m_score, s.rfm_code, s.segment_name
      FROM segment_refresh_customers w
      JOIN customer_scores s ON s.customer_unique_id = w.customer_unique_id
     WHERE NOT w.existed OR w.r_score <> s.r_score OR w.f_score <> s.f_score OR w.m_score <> s.m_score
        OR w.segment_name <> s.segment_name;
    SET p_changes = ROW_COUNT();
    INSERT INTO customer_segment_changes (run_id, customer_unique_id)
    SELECT p_run_id, w.customer_unique_id
      FROM segment_refresh_customers w
     WHERE w.existed
       AND NOT EXISTS (SELECT 1 FROM customer_scores s WHERE s.customer_unique_id = w.customer_unique_id);
    SET p_changes = p_changes + ROW_COUNT();
  ELSE
    CALL segmentd_history_snapshot(p_run_id, p_history_run, FALSE, p_changes);
  END IF;
  INSERT INTO segment_history_runs (run_id, customers, changes, full_snapshot)
  VALUES (p_run_id, p_customers, p_changes, NOT p_diffed);
  SET t_history = UTC_TIMESTAMP(6);

  CALL segmentd_run_figures(p_run_id, FALSE, p_as_of, p_counts);
  -- Movement since the live results: the touched customers as they were
  -- and are; everyone else stayed where they are.
  DELETE FROM segment_refresh_moves;
  INSERT INTO segment_refresh_moves (from_segment, to_segment, customers)
  SELECT IF(w.existed, w.segment_name, '(new)'), COALESCE(s.segment_name, '(gone)'), COUNT(*)
    FROM segment_refresh_customers w
    LEFT JOIN customer_scores s ON s.customer_unique_id = w.customer_unique_id
   WHERE w.existed OR s.customer_unique_id IS NOT NULL
   GROUP BY 1, 2;
  CALL segmentd_record_transitions(p_run_id, p_live_run);
  SET t_figures = UTC_TIMESTAMP(6);

  UPDATE segment_state SET run_id = p_run_id, as_of = p_as_of, settings_key = p_key, customers = p_customers
   WHERE id = 1;
  DELETE FROM segment_score_bounds;
  INSERT INTO segment_score_bounds SELECT * FROM segment_refresh_bounds;
  DELETE c FROM segment_input_changes c JOIN segment_refresh_seen s ON s.seq = c.seq;
END $$

DELIMITER ;
