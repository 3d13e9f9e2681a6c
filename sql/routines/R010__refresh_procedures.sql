-- refresh_customer_segments() and its helpers. Re-created by every
-- `segmentd migrate`; from the mysql client: mysql DB < this file.
--
-- The model (README "The model"): counted orders are those whose status is
-- in segmentation_settings.counted_statuses and whose customer_id exists in
-- customers; order value = SUM(payment_value), else SUM(price +
-- freight_value), else 0; per customer_unique_id R, F, M; scores 1..5 with
-- 5 = best; segment = first rfm_segment_rules row by priority that contains
-- (r, f, m).

DELIMITER $$

-- Raises (p_raise) or restores this session's join settings for the one
-- statement that hash-joins customers. MariaDB hash-joins only from
-- join_cache_level 3 and caps the join buffer with join_buffer_space_limit;
-- both exist only on MariaDB, and naming them in a statement would stop the
-- procedure from being created on MySQL, so they are set through prepared
-- statements of constant text. The caller's values wait in user variables;
-- restoring twice, or without raising, does nothing.
DROP PROCEDURE IF EXISTS segmentd_hash_join_settings $$
CREATE PROCEDURE segmentd_hash_join_settings(IN p_raise BOOLEAN)
  CONTAINS SQL
  COMMENT 'Raises or restores the session join settings around the refresh hash join'
BEGIN
  IF p_raise AND @segmentd_join_buffer IS NULL THEN
    SET @segmentd_join_buffer = @@SESSION.join_buffer_size;
    SET SESSION join_buffer_size = CAST(GREATEST(@@SESSION.join_buffer_size, 268435456) AS UNSIGNED);
    IF VERSION() LIKE '%MariaDB%' THEN
      PREPARE raise_join FROM
        'SET @segmentd_join_cache_level = @@SESSION.join_cache_level,
             @segmentd_join_space = @@SESSION.join_buffer_space_limit,
             SESSION join_cache_level = 4,
             SESSION join_buffer_space_limit = CAST(GREATEST(@@SESSION.join_buffer_space_limit, 1073741824) AS UNSIGNED)';
      EXECUTE raise_join;
      DEALLOCATE PREPARE raise_join;
    END IF;
  ELSEIF NOT p_raise AND @segmentd_join_buffer IS NOT NULL THEN
    SET SESSION join_buffer_size = @segmentd_join_buffer;
    IF VERSION() LIKE '%MariaDB%' THEN
      PREPARE restore_join FROM
        'SET SESSION join_cache_level = @segmentd_join_cache_level,
             SESSION join_buffer_space_limit = @segmentd_join_space';
      EXECUTE restore_join;
      DEALLOCATE PREPARE restore_join;
    END IF;
    SET @segmentd_join_buffer = NULL;
  END IF;
END $$

DROP PROCEDURE IF EXISTS segmentd_refresh_run $$
CREATE PROCEDURE segmentd_refresh_run(
  IN p_trigger    VARCHAR(16),
  IN p_started_by VARCHAR(255),
  IN p_host       VARCHAR(255),
  IN p_pid        INT UNSIGNED,
  IN p_version    VARCHAR(32))
  MODIFIES SQL DATA
  COMMENT 'Builds new RFM segments and swaps them in; records the run in pipeline_runs'
proc: BEGIN
  DECLARE v_lock        VARCHAR(64) DEFAULT LEFT(CONCAT('segmentd.refresh.', DATABASE()), 64);
  DECLARE v_run_id      BIGINT UNSIGNED DEFAULT NULL;
  DECLARE v_previous    BIGINT UNSIGNED DEFAULT NULL;
  DECLARE v_holder      BIGINT UNSIGNED DEFAULT NULL;
  DECLARE v_holder_run  BIGINT UNSIGNED DEFAULT NULL;
  DECLARE v_as_of_text  VARCHAR(10);
  DECLARE v_statuses    VARCHAR(255);
  DECLARE v_method      VARCHAR(16);
  DECLARE v_as_of       DATE DEFAULT NULL;
  DECLARE v_uncovered   TEXT DEFAULT NULL;
  DECLARE v_fail        TEXT DEFAULT NULL;
  DECLARE v_customers   INT UNSIGNED DEFAULT 0;
  DECLARE v_counts      TEXT DEFAULT NULL;
  DECLARE v_err_no      INT DEFAULT 0;
  DECLARE v_err_text    TEXT DEFAULT NULL;
  DECLARE v_sort_buffer BIGINT UNSIGNED DEFAULT @@SESSION.sort_buffer_size;
  DECLARE v_tmp_table   BIGINT UNSIGNED DEFAULT @@SESSION.tmp_table_size;
  DECLARE v_heap_table  BIGINT UNSIGNED DEFAULT @@SESSION.max_heap_table_size;
  -- Set once the new results are live. From then on the run has succeeded,
  -- whatever fails after (the results sent to a client that went away): the
  -- handler records success instead of undoing history it cannot undo.
  DECLARE v_swapped     BOOLEAN DEFAULT FALSE;
  DECLARE v_claimed     BOOLEAN DEFAULT FALSE;
  DECLARE v_holder_node VARCHAR(255) DEFAULT NULL;
  DECLARE v_node        VARCHAR(255) DEFAULT CONCAT(@@hostname, ':', @@port);
  DECLARE v_live_run    BIGINT UNSIGNED DEFAULT NULL;
  DECLARE v_history_run BIGINT UNSIGNED DEFAULT NULL;
  DECLARE v_changes     INT UNSIGNED DEFAULT 0;
  DECLARE t_start, t_settings, t_orders, t_segments, t_rfm, t_history, t_figures, t_swap DATETIME(6);

  DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    GET DIAGNOSTICS CONDITION 1 v_err_no = MYSQL_ERRNO, v_err_text = MESSAGE_TEXT;
    SET SESSION sort_buffer_size = v_sort_buffer, tmp_table_size = v_tmp_table,
                max_heap_table_size = v_heap_table;
    CALL segmentd_hash_join_settings(FALSE);
    IF v_swapped THEN
      UPDATE pipeline_runs
         SET status = 'succeeded',
             finished_at = COALESCE(finished_at, UTC_TIMESTAMP(3)),
             duration_ms = COALESCE(duration_ms,
                                    TIMESTAMPDIFF(MICROSECOND, started_at, UTC_TIMESTAMP(3)) DIV 1000),
             customers_segmented = COALESCE(customers_segmented, v_customers),
             message = CONCAT(COALESCE(message, CONCAT('segmented ', v_customers, ' customers')),
                              '; after the swap: error ', v_err_no, ': ', v_err_text)
       WHERE run_id = v_run_id;
      DROP TABLE IF EXISTS order_values_old, customer_segments_old;
      UPDATE refresh_claim SET run_id = NULL, node = NULL, connection_id = NULL, claimed_at = NULL
       WHERE id = 1 AND run_id = v_run_id;
      DO RELEASE_LOCK(v_lock);
    ELSE
      DROP TABLE IF EXISTS order_values_next, customer_segments_next;
      IF v_run_id IS NOT NULL THEN
        DELETE FROM customer_segment_changes WHERE run_id = v_run_id;
        DELETE FROM segment_history_runs WHERE run_id = v_run_id;
        DELETE FROM segment_run_stats WHERE run_id = v_run_id;
        DELETE FROM segment_run_cells WHERE run_id = v_run_id;
        DELETE FROM segment_run_transitions WHERE run_id = v_run_id;
        UPDATE pipeline_runs
           SET status = 'failed',
               finished_at = UTC_TIMESTAMP(3),
               duration_ms = TIMESTAMPDIFF(MICROSECOND, started_at, UTC_TIMESTAMP(3)) DIV 1000,
               message = COALESCE(v_fail, CONCAT('error ', v_err_no, ': ', v_err_text))
         WHERE run_id = v_run_id;
      END IF;
      UPDATE refresh_claim SET run_id = NULL, node = NULL, connection_id = NULL, claimed_at = NULL
       WHERE id = 1 AND run_id = v_run_id;
      DO RELEASE_LOCK(v_lock);
      RESIGNAL;
    END IF;
  END;

  SET t_start = UTC_TIMESTAMP(6);
  -- Only if this session's previous refresh was killed inside its hash join.
  CALL segmentd_hash_join_settings(FALSE);

  -- One refresh at a time, whoever calls; a second caller does not wait.
  IF COALESCE(GET_LOCK(v_lock, 0), 0) <> 1 THEN
    SET v_holder = IS_USED_LOCK(v_lock);
    SELECT MAX(run_id) INTO v_holder_run FROM pipeline_runs
     WHERE status = 'running' AND kind = 'refresh' AND connection_id = v_holder;
    INSERT INTO pipeline_runs
      (kind, `trigger`, status, started_at, finished_at, duration_ms, started_by,
       host, pid, segmentd_version, connection_id, server_node, message)
    VALUES
      ('refresh', p_trigger, 'skipped', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), 0, p_started_by,
       p_host, p_pid, p_version, CONNECTION_ID(), v_node,
       CONCAT('another refresh is running: run ', COALESCE(v_holder_run, 'unknown'),
              ' (connection ', COALESCE(v_holder, 'unknown'), ')'));
    SET v_run_id = LAST_INSERT_ID();
    SET @segmentd_run_id = v_run_id;
    SELECT run_id, status, customers_segmented, message
      FROM pipeline_runs WHERE run_id = v_run_id;
    LEAVE proc;
  END IF;

  INSERT INTO pipeline_runs
    (kind, `trigger`, status, started_at, started_by, host, pid, segmentd_version, connection_id,
     server_node, lease_epoch)
  VALUES
    ('refresh', p_trigger, 'running', UTC_TIMESTAMP(3), p_started_by, p_host, p_pid, p_version,
     CONNECTION_ID(), v_node, @segmentd_lease_epoch);
  SET v_run_id = LAST_INSERT_ID();
  SET @segmentd_run_id = v_run_id;

  -- ... and across a cluster, by the claim (V011). A claim that loses on
  -- Galera fails certification (1213) or, retried, finds the row taken.
  -- A claim made on this server is stale: this session holds the server's
  -- lock, which a live refresh here would hold. One older than six hours
  -- is stale too: its server died in the middle of a refresh (the longest
  -- measured refresh takes minutes; BENCHMARKS.md), and nobody else can
  -- tell that its session is gone.
  INSERT IGNORE INTO refresh_claim (id) VALUES (1);
  BEGIN
    DECLARE CONTINUE HANDLER FOR 1213 SET v_claimed = FALSE;
    UPDATE refresh_claim c
       SET c.run_id = v_run_id, c.node = v_node, c.connection_id = CONNECTION_ID(),
           c.claimed_at = UTC_TIMESTAMP(3)
     WHERE c.id = 1
       AND (c.run_id IS NULL
            OR NOT EXISTS (SELECT 1 FROM pipeline_runs p WHERE p.run_id = c.run_id AND p.status = 'running')
            OR c.node = v_node
            OR c.claimed_at < UTC_TIMESTAMP(3) - INTERVAL 6 HOUR);
    SET v_claimed = ROW_COUNT() = 1;
  END;
  IF NOT v_claimed THEN
    SELECT run_id, node INTO v_holder_run, v_holder_node FROM refresh_claim WHERE id = 1;
    UPDATE pipeline_runs
       SET status = 'skipped', finished_at = UTC_TIMESTAMP(3), duration_ms = 0,
           message = CONCAT('another refresh is running: run ', COALESCE(v_holder_run, 'unknown'),
                            ' (on ', COALESCE(v_holder_node, 'another node'), ')')
     WHERE run_id = v_run_id;
    DO RELEASE_LOCK(v_lock);
    SELECT run_id, status, customers_segmented, message
      FROM pipeline_runs WHERE run_id = v_run_id;
    LEAVE proc;
  END IF;

  -- Settings, checked before anything is built.
  SELECT as_of, REPLACE(counted_statuses, ' ', ''), scoring_method
    INTO v_as_of_text, v_statuses, v_method
    FROM segmentation_settings WHERE id = 1;
  IF v_method IS NULL OR v_method NOT IN ('ntile', 'quantile') THEN
    SET v_fail = CONCAT('segmentation_settings.scoring_method must be ntile or quantile, not ',
                        COALESCE(v_method, 'NULL'));
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'invalid segmentation_settings.scoring_method';
  END IF;
  IF v_as_of_text = 'now' THEN
    SET v_as_of = UTC_DATE();
  ELSEIF v_as_of_text <> 'data' THEN
    IF v_as_of_text NOT REGEXP '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
       OR STR_TO_DATE(v_as_of_text, '%Y-%m-%d') IS NULL THEN
      SET v_fail = CONCAT('segmentation_settings.as_of must be data, now or YYYY-MM-DD, not ',
                          v_as_of_text);
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'invalid segmentation_settings.as_of';
    END IF;
    SET v_as_of = STR_TO_DATE(v_as_of_text, '%Y-%m-%d');
  END IF;

  SELECT GROUP_CONCAT(CONCAT(d1.v, d2.v, d3.v) ORDER BY d1.v, d2.v, d3.v SEPARATOR ', ')
    INTO v_uncovered
    FROM (SELECT 1 AS v UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) d1
   CROSS JOIN (SELECT 1 AS v UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) d2
   CROSS JOIN (SELECT 1 AS v UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) d3
   WHERE NOT EXISTS (SELECT 1 FROM rfm_segment_rules ru
                      WHERE d1.v BETWEEN ru.r_min AND ru.r_max
                        AND d2.v BETWEEN ru.f_min AND ru.f_max
                        AND d3.v BETWEEN ru.m_min AND ru.m_max);
  IF v_uncovered IS NOT NULL THEN
    SET v_fail = CONCAT('rfm_segment_rules leave these r,f,m combinations without a segment: ',
                        v_uncovered);
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'rfm_segment_rules do not cover every combination';
  END IF;
  SET t_settings = UTC_TIMESTAMP(6);

  -- The GROUP BY and the three window sorts over all customers spill to
  -- disk with the servers' small defaults (2 MB sort buffer, 16 MB
  -- in-memory temporary tables), which made 10x data take twice as long.
  -- Raised for this session only while building, restored afterwards.
  -- GREATEST of an unsigned variable and a signed literal is DECIMAL on
  -- MySQL 8, which SET of an integer variable refuses (error 1232); the
  -- CAST keeps it an integer on both servers.
  SET SESSION sort_buffer_size = CAST(GREATEST(v_sort_buffer, 67108864) AS UNSIGNED),
              tmp_table_size = CAST(GREATEST(v_tmp_table, 536870912) AS UNSIGNED),
              max_heap_table_size = CAST(GREATEST(v_heap_table, 536870912) AS UNSIGNED);

  -- Build the new results beside the live ones.
  DROP TABLE IF EXISTS order_values_next, customer_segments_next;
  CREATE TABLE order_values_next LIKE order_values;
  -- Filled without its secondary index, which is then built in one sorted
  -- pass: a third faster at 10x than maintaining it row by row.
  ALTER TABLE order_values_next DROP INDEX ix_order_values_customer;
  CREATE TABLE customer_segments_next LIKE customer_segments;
  -- Likewise for the per-segment index (0.5-1 s less at 10x). The comment
  -- names the run, so once swapped in, the live table says which run built
  -- it: a run whose session died between the swap and its success row is
  -- recognised as succeeded (abandon_orphaned_runs), not as abandoned. The
  -- statement is constant text and a number this procedure generated.
  SET @segmentd_swap_ddl = CONCAT('ALTER TABLE customer_segments_next DROP INDEX ix_customer_segments_segment, ',
                                  'COMMENT = ''segmentd run ', v_run_id, '''');
  PREPARE mark_next FROM @segmentd_swap_ddl;
  EXECUTE mark_next;
  DEALLOCATE PREPARE mark_next;

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
  CALL segmentd_hash_join_settings(TRUE);
  INSERT INTO order_values_next
    (order_id, customer_id, customer_unique_id, order_status, order_date, items_total, payments_total)
  SELECT /*+ NO_INDEX(o ix_orders_customer) */
         o.order_id, o.customer_id, c.customer_unique_id, o.order_status, o.order_purchase_timestamp,
         (SELECT SUM(i.price + i.freight_value) FROM order_items i WHERE i.order_id = o.order_id),
         (SELECT SUM(p.payment_value) FROM order_payments p FORCE INDEX (ix_order_payments_value)
           WHERE p.order_id = o.order_id)
    FROM customers c
    STRAIGHT_JOIN orders o ON o.customer_id = c.customer_id
   WHERE FIND_IN_SET(o.order_status, v_statuses) > 0;
  CALL segmentd_hash_join_settings(FALSE);
  -- Covering: the per-customer GROUP BY below reads just this index, in
  -- order, instead of fetching each order's row (2.5x faster at 10x).
  ALTER TABLE order_values_next
    ADD INDEX ix_order_values_customer (customer_unique_id, order_date, order_value);
  IF v_as_of IS NULL THEN
    SELECT DATE(MAX(order_date)) INTO v_as_of FROM order_values_next;
  END IF;
  SET t_orders = UTC_TIMESTAMP(6);

  -- The rules are resolved once for each of the 125 possible (r, f, m)
  -- combinations; each customer then finds its segment by primary key while
  -- being scored, so the scored customers are written once. They are
  -- written in key order: appending to the primary key costs a third less
  -- than inserting in the window functions' order (measured at 10x).
  DELETE FROM rfm_segment_map;
  INSERT INTO rfm_segment_map (r_score, f_score, m_score, segment_name)
  SELECT r.n, f.n, m.n,
         (SELECT ru.segment_name FROM rfm_segment_rules ru
           WHERE r.n BETWEEN ru.r_min AND ru.r_max
             AND f.n BETWEEN ru.f_min AND ru.f_max
             AND m.n BETWEEN ru.m_min AND ru.m_max
           ORDER BY ru.priority LIMIT 1)
    FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) AS r
    CROSS JOIN (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) AS f
    CROSS JOIN (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) AS m;

  SET t_segments = UTC_TIMESTAMP(6);

  -- One statement for both scoring methods; only the three score
  -- expressions differ, chosen from constant text. as_of is bound as the
  -- statement's parameter (a constant for the execution; a user variable
  -- would be re-read for every customer).
  SET @segmentd_scoring = CONCAT(
    'INSERT INTO customer_segments_next
       (customer_unique_id, first_purchase_date, last_purchase_date, recency_days, frequency,
        monetary, r_score, f_score, m_score, rfm_code, segment_name)
     SELECT scored.customer_unique_id, scored.first_purchase_date, scored.last_purchase_date,
            scored.recency_days, scored.frequency, scored.monetary, scored.r, scored.f, scored.m,
            CONCAT(scored.r, scored.f, scored.m), mp.segment_name
       FROM (SELECT a.*, ',
    IF(v_method = 'ntile',
       'NTILE(5) OVER (ORDER BY recency_days DESC, customer_unique_id ASC) AS r,
        NTILE(5) OVER (ORDER BY frequency ASC, monetary ASC, customer_unique_id ASC) AS f,
        NTILE(5) OVER (ORDER BY monetary ASC, customer_unique_id ASC) AS m',
       '1 + LEAST(4, FLOOR(5 * PERCENT_RANK() OVER (ORDER BY -recency_days ASC))) AS r,
        1 + LEAST(4, FLOOR(5 * PERCENT_RANK() OVER (ORDER BY frequency ASC))) AS f,
        1 + LEAST(4, FLOOR(5 * PERCENT_RANK() OVER (ORDER BY monetary ASC))) AS m'),
    '  FROM (SELECT customer_unique_id,
                    MIN(order_date) AS first_purchase_date,
                    MAX(order_date) AS last_purchase_date,
                    DATEDIFF(?, MAX(order_date)) AS recency_days,
                    COUNT(DISTINCT order_id) AS frequency,
                    ROUND(SUM(order_value), 2) AS monetary
               FROM order_values_next
              GROUP BY customer_unique_id) AS a) AS scored
       LEFT JOIN rfm_segment_map mp
         ON mp.r_score = scored.r AND mp.f_score = scored.f AND mp.m_score = scored.m
      ORDER BY scored.customer_unique_id');
  PREPARE score_customers FROM @segmentd_scoring;
  -- USING takes user variables only on MySQL.
  SET @segmentd_as_of = v_as_of;
  EXECUTE score_customers USING @segmentd_as_of;
  SET v_customers = ROW_COUNT();
  DEALLOCATE PREPARE score_customers;
  SET @segmentd_scoring = NULL, @segmentd_swap_ddl = NULL, @segmentd_as_of = NULL;
  ALTER TABLE customer_segments_next ADD INDEX ix_customer_segments_segment (segment_name);
  SET t_rfm = UTC_TIMESTAMP(6);

  -- History stores what changed (V014): against the live results when they
  -- are the newest kept run's (the table's comment names the run that
  -- built it), else every customer, plus who left since that run.
  SELECT CAST(SUBSTRING(TABLE_COMMENT, 14) AS UNSIGNED) INTO v_live_run
    FROM information_schema.TABLES
   WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'customer_segments'
     AND TABLE_COMMENT REGEXP '^segmentd run [0-9]+$';
  SELECT MAX(run_id) INTO v_history_run FROM vw_segment_history_runs;
  IF v_live_run IS NOT NULL AND v_live_run = v_history_run THEN
    INSERT INTO customer_segment_changes
      (run_id, customer_unique_id, r_score, f_score, m_score, rfm_code, segment_name)
    SELECT v_run_id, n.customer_unique_id, n.r_score, n.f_score, n.m_score, n.rfm_code, n.segment_name
      FROM customer_segments_next n
      LEFT JOIN customer_segments o ON o.customer_unique_id = n.customer_unique_id
     WHERE o.customer_unique_id IS NULL OR o.r_score <> n.r_score OR o.f_score <> n.f_score
        OR o.m_score <> n.m_score OR o.segment_name <> n.segment_name;
    SET v_changes = ROW_COUNT();
    INSERT INTO customer_segment_changes (run_id, customer_unique_id)
    SELECT v_run_id, o.customer_unique_id
      FROM customer_segments o
     WHERE NOT EXISTS (SELECT 1 FROM customer_segments_next n WHERE n.customer_unique_id = o.customer_unique_id);
    SET v_changes = v_changes + ROW_COUNT();
  ELSE
    INSERT INTO customer_segment_changes
      (run_id, customer_unique_id, r_score, f_score, m_score, rfm_code, segment_name)
    SELECT v_run_id, customer_unique_id, r_score, f_score, m_score, rfm_code, segment_name
      FROM customer_segments_next;
    SET v_changes = ROW_COUNT();
    IF v_history_run IS NOT NULL THEN
      INSERT INTO customer_segment_changes (run_id, customer_unique_id)
      SELECT v_run_id, a.customer_unique_id
        FROM vw_customer_segment_at_run a
       WHERE a.run_id = v_history_run
         AND NOT EXISTS (SELECT 1 FROM customer_segments_next n WHERE n.customer_unique_id = a.customer_unique_id);
      SET v_changes = v_changes + ROW_COUNT();
    END IF;
  END IF;
  INSERT INTO segment_history_runs (run_id, customers, changes, full_snapshot)
  VALUES (v_run_id, v_customers, v_changes, NOT (v_live_run IS NOT NULL AND v_live_run = v_history_run));
  SET t_history = UTC_TIMESTAMP(6);

  -- The report's figures for this run (V010), in one pass over the new
  -- results; every per-segment figure below is a sum of these few hundred
  -- rows. The bins' edges go with the labels in vw_report_distribution.
  INSERT INTO segment_run_cells
    (run_id, r_score, f_score, m_score, recency_bin, frequency_bin, monetary_bin, segment_name, customers,
     repeat_customers, revenue, frequency_sum, recency_days_sum, first_purchase_date, last_purchase_date)
  SELECT v_run_id, r_score, f_score, m_score,
         INTERVAL(recency_days, 30, 60, 90, 180, 270, 365, 540, 730),
         INTERVAL(frequency, 2, 3, 4, 5, 10),
         INTERVAL(monetary, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000),
         MIN(segment_name), COUNT(*), SUM(frequency >= 2), SUM(monetary), SUM(frequency), SUM(recency_days),
         MIN(first_purchase_date), MAX(last_purchase_date)
    FROM customer_segments_next
   GROUP BY r_score, f_score, m_score, 5, 6, 7;
  INSERT INTO segment_run_stats (run_id, segment_name, customers, revenue, repeat_customers)
  SELECT v_run_id, segment_name, SUM(customers), SUM(revenue), SUM(repeat_customers)
    FROM segment_run_cells WHERE run_id = v_run_id GROUP BY segment_name;
  SELECT JSON_OBJECTAGG(names.segment_name, COALESCE(counted.customers, 0)) INTO v_counts
    FROM (SELECT DISTINCT segment_name FROM rfm_segment_rules) AS names
    LEFT JOIN segment_run_stats counted
           ON counted.run_id = v_run_id AND counted.segment_name = names.segment_name;
  -- Movement since the results this run replaces: customer_segments holds
  -- the previous successful refresh's (they change only by the swap below,
  -- under this lock). Who left is what the old results held minus who was
  -- matched, so the old table is joined once.
  SELECT MAX(run_id) INTO v_previous FROM pipeline_runs
   WHERE kind = 'refresh' AND status = 'succeeded' AND run_id < v_run_id;
  INSERT INTO segment_run_transitions (run_id, previous_run_id, from_segment, to_segment, customers)
  SELECT v_run_id, v_previous, COALESCE(o.segment_name, '(new)'), n.segment_name, COUNT(*)
    FROM customer_segments_next n
    LEFT JOIN customer_segments o ON o.customer_unique_id = n.customer_unique_id
   GROUP BY 3, 4;
  INSERT INTO segment_run_transitions (run_id, previous_run_id, from_segment, to_segment, customers)
  SELECT v_run_id, v_previous, held.segment_name, '(gone)', held.n - COALESCE(matched.n, 0)
    FROM (SELECT segment_name, COUNT(*) AS n FROM customer_segments GROUP BY segment_name) AS held
    LEFT JOIN (SELECT from_segment, SUM(customers) AS n FROM segment_run_transitions
                WHERE run_id = v_run_id GROUP BY from_segment) AS matched
           ON matched.from_segment = held.segment_name
   WHERE held.n > COALESCE(matched.n, 0);
  SET t_figures = UTC_TIMESTAMP(6);

  -- A daemon's refresh swaps only while the daemon still leads (V013): a
  -- deposed leader's refresh, still running on its server, fails here. The
  -- check commits on its own just before the RENAME (DDL commits anyway);
  -- the claim above keeps a second refresh from running in that gap.
  IF @segmentd_lease_epoch IS NOT NULL THEN
    UPDATE daemon_lease SET fenced_writes = fenced_writes + 1
     WHERE id = 1 AND holder = @segmentd_lease_holder AND epoch = @segmentd_lease_epoch;
    IF ROW_COUNT() <> 1 THEN
      SET v_fail = CONCAT('fenced: the daemon that started this refresh no longer holds the lease (its epoch ',
                          @segmentd_lease_epoch, '); the results were not swapped in');
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'fenced: this daemon no longer holds the lease';
    END IF;
  END IF;

  -- Readers see the old results or the new ones, never a missing table.
  -- customer_rfm is a view of customer_segments, so it follows the swap.
  DROP TABLE IF EXISTS order_values_old, customer_segments_old;
  RENAME TABLE order_values TO order_values_old, order_values_next TO order_values,
               customer_segments TO customer_segments_old,
               customer_segments_next TO customer_segments;
  SET v_swapped = TRUE;
  SET t_swap = UTC_TIMESTAMP(6);

  UPDATE pipeline_runs
     SET status = 'succeeded',
         finished_at = UTC_TIMESTAMP(3),
         duration_ms = TIMESTAMPDIFF(MICROSECOND, started_at, UTC_TIMESTAMP(3)) DIV 1000,
         as_of_date = v_as_of,
         customers_segmented = v_customers,
         segment_counts = v_counts,
         details = JSON_SET(COALESCE(details, JSON_OBJECT()), '$.scoring_method', v_method,
                            '$.counted_statuses', v_statuses, '$.as_of_setting', v_as_of_text,
                            '$.history_changes', v_changes,
                            '$.history_full_snapshot', NOT (v_live_run IS NOT NULL AND v_live_run = v_history_run)),
         step_timings = JSON_OBJECT(
           'settings_ms', TIMESTAMPDIFF(MICROSECOND, t_start, t_settings) DIV 1000,
           'order_values_ms', TIMESTAMPDIFF(MICROSECOND, t_settings, t_orders) DIV 1000,
           'segment_rules_ms', TIMESTAMPDIFF(MICROSECOND, t_orders, t_segments) DIV 1000,
           'rfm_segments_ms', TIMESTAMPDIFF(MICROSECOND, t_segments, t_rfm) DIV 1000,
           'history_ms', TIMESTAMPDIFF(MICROSECOND, t_rfm, t_history) DIV 1000,
           'report_figures_ms', TIMESTAMPDIFF(MICROSECOND, t_history, t_figures) DIV 1000,
           'swap_ms', TIMESTAMPDIFF(MICROSECOND, t_figures, t_swap) DIV 1000),
         message = CONCAT('segmented ', v_customers, ' customers as of ',
                          COALESCE(DATE_FORMAT(v_as_of, '%Y-%m-%d'), 'n/a'),
                          ' (', v_method, ', statuses ', v_statuses, ')')
   WHERE run_id = v_run_id;
  DROP TABLE order_values_old, customer_segments_old;
  SET SESSION sort_buffer_size = v_sort_buffer, tmp_table_size = v_tmp_table,
              max_heap_table_size = v_heap_table;
  UPDATE refresh_claim SET run_id = NULL, node = NULL, connection_id = NULL, claimed_at = NULL
   WHERE id = 1 AND run_id = v_run_id;
  DO RELEASE_LOCK(v_lock);
  SELECT run_id, status, customers_segmented, message FROM pipeline_runs WHERE run_id = v_run_id;
END $$

DROP PROCEDURE IF EXISTS refresh_customer_segments $$
CREATE PROCEDURE refresh_customer_segments()
  MODIFIES SQL DATA
  COMMENT 'Refresh the RFM segments now; recorded as a manual run'
BEGIN
  CALL segmentd_refresh_run('manual', CURRENT_USER(), SUBSTRING_INDEX(USER(), '@', -1), NULL, NULL);
END $$

-- The event's entry point. It stands down while segmentd's heartbeat is
-- fresh (the daemon is running and doing the scheduling), and also while a
-- refresh succeeded within segmentation_settings.event_stale_after_days;
-- otherwise it refreshes. Either way the run is recorded.
DROP PROCEDURE IF EXISTS refresh_customer_segments_event $$
CREATE PROCEDURE refresh_customer_segments_event()
  MODIFIES SQL DATA
  COMMENT 'Fallback scheduler entry point used by ev_refresh_customer_segments'
BEGIN
  DECLARE v_days INT UNSIGNED DEFAULT 35;
  DECLARE v_last_run BIGINT UNSIGNED DEFAULT NULL;
  DECLARE v_last_at DATETIME(3) DEFAULT NULL;
  DECLARE v_seen_at DATETIME(3) DEFAULT NULL;
  DECLARE v_host VARCHAR(255) DEFAULT NULL;
  DECLARE v_pid INT UNSIGNED DEFAULT NULL;
  DECLARE v_healthy INT UNSIGNED DEFAULT 300;
  DECLARE v_reason VARCHAR(255) DEFAULT NULL;
  SELECT event_stale_after_days INTO v_days FROM segmentation_settings WHERE id = 1;
  SELECT last_seen_at, host, pid, healthy_for_seconds INTO v_seen_at, v_host, v_pid, v_healthy
    FROM daemon_heartbeat WHERE id = 1 AND stopped_at IS NULL;
  SELECT run_id, finished_at INTO v_last_run, v_last_at FROM pipeline_runs
   WHERE kind = 'refresh' AND status = 'succeeded'
   ORDER BY finished_at DESC, run_id DESC LIMIT 1;
  IF v_seen_at IS NOT NULL AND v_seen_at >= UTC_TIMESTAMP(3) - INTERVAL v_healthy SECOND THEN
    SET v_reason = CONCAT('segmentd is running on ', COALESCE(v_host, '?'), ' (pid ', COALESCE(v_pid, '?'),
                          ', seen ', DATE_FORMAT(v_seen_at, '%Y-%m-%d %H:%i:%s'), ' UTC); fallback not needed');
  ELSEIF v_last_at IS NOT NULL AND v_last_at > UTC_TIMESTAMP(3) - INTERVAL v_days DAY THEN
    SET v_reason = CONCAT('run ', v_last_run, ' succeeded at ', DATE_FORMAT(v_last_at, '%Y-%m-%d %H:%i:%s'),
                          ' UTC, within the last ', v_days, ' days; fallback not needed');
  END IF;
  IF v_reason IS NOT NULL THEN
    INSERT INTO pipeline_runs
      (kind, `trigger`, status, started_at, finished_at, duration_ms, started_by,
       connection_id, server_node, message)
    VALUES
      ('refresh', 'event', 'skipped', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), 0,
       'event ev_refresh_customer_segments', CONNECTION_ID(), CONCAT(@@hostname, ':', @@port), v_reason);
    SET @segmentd_run_id = LAST_INSERT_ID();
  ELSE
    CALL segmentd_refresh_run('event', 'event ev_refresh_customer_segments', NULL, NULL, NULL);
  END IF;
END $$

DELIMITER ;
