-- The helpers of refresh_customer_segments(): session settings, score
-- boundaries, history snapshots, the claim's holder, the fence check and
-- the report's figures. The refresh itself is in parts: the incremental
-- path (R011), the full path (R012), and the run that records, locks,
-- claims, decides the path, checks the fence, swaps and records (R013).
-- Re-created by every `segmentd migrate`; from the mysql client:
-- mysql DB < each file, in order.
--
-- The model (doc/MODEL.md "The model"): counted orders are those whose status is
-- in segmentation_settings.counted_statuses, or 'counted' (a feed's order
-- its feed's rules count, doc/FEEDS.md), and whose customer_id exists in
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
--
-- The buffer must hold every customer row (p_rows of them): when it does
-- not, the join refills it and reads all the orders again for each fill,
-- which made the 100x order values grow faster than the data (bench/reference/2026-12-04/NOTES.md
-- "The 100x refresh's fixed memory limits"). 256 bytes a row is room for
-- the two keys and the hash table's links; MariaDB sizes the buffer from
-- its row estimate up to this, so the room not needed is not taken.
DROP PROCEDURE IF EXISTS segmentd_hash_join_settings $$
CREATE PROCEDURE segmentd_hash_join_settings(IN p_raise BOOLEAN, IN p_rows BIGINT UNSIGNED)
  CONTAINS SQL
  COMMENT 'Raises or restores the session join settings around the refresh hash join'
BEGIN
  IF p_raise AND @segmentd_join_buffer IS NULL THEN
    SET @segmentd_join_buffer = @@SESSION.join_buffer_size;
    -- Whole MiB: see segmentd_temp_table_settings.
    SET SESSION join_buffer_size = CAST(GREATEST(@@SESSION.join_buffer_size, 268435456,
                                                 CEILING(IFNULL(p_rows, 0) * 256 / 1048576) * 1048576)
                                        AS UNSIGNED);
    IF VERSION() LIKE '%MariaDB%' THEN
      PREPARE raise_join FROM
        'SET @segmentd_join_cache_level = @@SESSION.join_cache_level,
             @segmentd_join_space = @@SESSION.join_buffer_space_limit,
             SESSION join_cache_level = 4,
             SESSION join_buffer_space_limit = CAST(GREATEST(@@SESSION.join_buffer_space_limit, 1073741824,
                                                             4 * @@SESSION.join_buffer_size) AS UNSIGNED)';
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

-- The full refresh's in-memory temporary-table limits for p_rows counted
-- orders: 512 bytes each (see the scoring in segmentd_refresh_run), never
-- below the session's. Rounded up to whole MiB because in strict mode,
-- which the routines run in, the server refuses a value that is not a
-- multiple of the variable's block size (4 KB for tmp_table_size) instead
-- of rounding it: unrounded, a refresh of more than a million orders failed
-- unless their count was a multiple of eight.
DROP PROCEDURE IF EXISTS segmentd_temp_table_settings $$
CREATE PROCEDURE segmentd_temp_table_settings(IN p_rows BIGINT UNSIGNED)
  CONTAINS SQL
  COMMENT 'Sizes the session temporary-table limits for the refresh scoring'
BEGIN
  DECLARE v_bytes BIGINT UNSIGNED DEFAULT CEILING(IFNULL(p_rows, 0) * 512 / 1048576) * 1048576;
  SET SESSION tmp_table_size = CAST(GREATEST(@@SESSION.tmp_table_size, v_bytes) AS UNSIGNED),
              max_heap_table_size = CAST(GREATEST(@@SESSION.max_heap_table_size, v_bytes) AS UNSIGNED);
END $$

-- A comparison of a customer's sort key for dimension p_dim (1 R, 2 F,
-- 3 M) with a boundary's, as SQL text over the given columns: the key in
-- the order the scoring sorts by, then customer_unique_id. p_op is '<' or
-- '>='. Parameters, in order: R day, day, customer; F frequency,
-- frequency, monetary, monetary, customer; M monetary, monetary, customer.
-- (A procedure: see segmentd_still_leading.)
DROP PROCEDURE IF EXISTS segmentd_key_compare $$
CREATE PROCEDURE segmentd_key_compare(IN p_dim TINYINT UNSIGNED, IN p_op VARCHAR(2), IN p_day VARCHAR(64),
                                      IN p_frequency VARCHAR(64), IN p_monetary VARCHAR(64),
                                      IN p_customer VARCHAR(64), OUT p_sql TEXT)
  NO SQL
  COMMENT 'SQL text comparing a sort key with a score boundary'
BEGIN
  DECLARE v_strict VARCHAR(1) DEFAULT IF(p_op = '<', '<', '>');
  SET p_sql = ELT(p_dim,
    CONCAT('(', p_day, ' ', v_strict, ' ? OR (', p_day, ' = ? AND ', p_customer, ' ', p_op, ' ?))'),
    CONCAT('(', p_frequency, ' ', v_strict, ' ? OR (', p_frequency, ' = ? AND (', p_monetary, ' ', v_strict,
           ' ? OR (', p_monetary, ' = ? AND ', p_customer, ' ', p_op, ' ?))))'),
    CONCAT('(', p_monetary, ' ', v_strict, ' ? OR (', p_monetary, ' = ? AND ', p_customer, ' ', p_op, ' ?))'));
END $$

-- Runs the statement in @segmentd_bound_sql with the boundary key in
-- @segmentd_b_* as its parameters, in segmentd_key_compare's order.
DROP PROCEDURE IF EXISTS segmentd_bound_execute $$
CREATE PROCEDURE segmentd_bound_execute(IN p_dim TINYINT UNSIGNED)
  MODIFIES SQL DATA
BEGIN
  PREPARE bound_sql FROM @segmentd_bound_sql;
  IF p_dim = 1 THEN
    EXECUTE bound_sql USING @segmentd_b_day, @segmentd_b_day, @segmentd_b_customer;
  ELSEIF p_dim = 2 THEN
    EXECUTE bound_sql USING @segmentd_b_frequency, @segmentd_b_frequency, @segmentd_b_monetary,
                            @segmentd_b_monetary, @segmentd_b_customer;
  ELSE
    EXECUTE bound_sql USING @segmentd_b_monetary, @segmentd_b_monetary, @segmentd_b_customer;
  END IF;
  DEALLOCATE PREPARE bound_sql;
END $$

-- The score boundaries of the scored customers in customer_scores (or, with
-- p_next, customer_scores_next), into segment_refresh_bounds. For each of
-- R, F and M and each score k = 2..5, the key of the customer at the
-- position where score k begins, in the order the scoring sorts by (R: the
-- day of the last purchase; F: frequency, monetary; M: monetary; then
-- customer_unique_id). NTILE(5) gives score >= k from position
-- (k-1)*floor(n/5) + min(k-1, n mod 5) on, so from that key on (>=).
-- PERCENT_RANK gives score >= k once FLOOR(5 * less / (n - 1)) >= k - 1,
-- `less` being the customers with a smaller value: so above the value at
-- position t - 1 (>), t found with the same double arithmetic the window
-- function uses. No customer at the position: 'above_all' (nobody). p_n is
-- how many customers that table holds (the caller knows it: V016).
--
-- Reading the key at a position walks the index from its start, which a
-- full refresh does for each boundary. An incremental refresh walks from the live boundary
-- instead: its position among the new data is its old one, less the changed
-- customers (segment_refresh_customers, with their old keys) that sorted
-- before it, plus those that sort before it now (segment_refresh_keys, with
-- their new keys: V017); the new position is a few steps away.
DROP PROCEDURE IF EXISTS segmentd_score_bounds $$
CREATE PROCEDURE segmentd_score_bounds(IN p_method VARCHAR(16), IN p_next BOOLEAN, IN p_n BIGINT)
  MODIFIES SQL DATA
  COMMENT 'Computes the R, F and M score boundaries of the scored customers'
BEGIN
  DECLARE v_n BIGINT DEFAULT p_n;
  DECLARE v_pos, v_rank BIGINT DEFAULT 0;
  DECLARE v_old_pos BIGINT DEFAULT NULL;
  DECLARE v_k TINYINT UNSIGNED;
  DECLARE v_dim TINYINT UNSIGNED DEFAULT 1;
  DECLARE v_table VARCHAR(32) DEFAULT IF(p_next, 'customer_scores_next', 'customer_scores');
  DECLARE v_columns, v_index, v_order, v_order_desc, v_compare TEXT;
  DELETE FROM segment_refresh_bounds;
  WHILE v_dim <= 3 DO
    SET v_columns = ELT(v_dim, 'last_purchase_day, NULL, NULL, customer_unique_id',
                        'NULL, frequency, monetary, customer_unique_id', 'NULL, NULL, monetary, customer_unique_id'),
        v_index = ELT(v_dim, 'ix_customer_scores_recency', 'ix_customer_scores_frequency', 'ix_customer_scores_monetary'),
        v_order = ELT(v_dim, 'last_purchase_day, customer_unique_id', 'frequency, monetary, customer_unique_id',
                      'monetary, customer_unique_id'),
        v_order_desc = ELT(v_dim, 'last_purchase_day DESC, customer_unique_id DESC',
                           'frequency DESC, monetary DESC, customer_unique_id DESC', 'monetary DESC, customer_unique_id DESC');
    SET @segmentd_sql = CONCAT('SELECT 1, ', v_columns,
      ' INTO @segmentd_found, @segmentd_day, @segmentd_frequency, @segmentd_monetary, @segmentd_customer FROM ',
      v_table, ' FORCE INDEX (', v_index, ') ORDER BY ', v_order, ' LIMIT ?, 1');
    PREPARE read_bound FROM @segmentd_sql;
    SET v_k = 2;
    WHILE v_k <= 5 DO
      IF p_method = 'ntile' THEN
        SET v_pos = (v_k - 1) * (v_n DIV 5) + LEAST(v_k - 1, v_n MOD 5);
      ELSEIF v_n < 2 THEN
        SET v_pos = v_n;
      ELSE
        SET v_pos = CEIL((v_k - 1) * (v_n - 1) / 5);
        WHILE v_pos > 0 AND FLOOR(5 * ((v_pos - 1 + 0e0) / (v_n - 1))) >= v_k - 1 DO
          SET v_pos = v_pos - 1;
        END WHILE;
        WHILE FLOOR(5 * ((v_pos + 0e0) / (v_n - 1))) < v_k - 1 DO
          SET v_pos = v_pos + 1;
        END WHILE;
        SET v_pos = v_pos - 1;
      END IF;
      SET @segmentd_found = 0, @segmentd_day = NULL, @segmentd_frequency = NULL, @segmentd_monetary = NULL,
          @segmentd_customer = NULL, @segmentd_pos = v_pos, v_old_pos = NULL;
      IF NOT p_next THEN
        SELECT position, last_purchase_day, frequency, monetary, customer_unique_id
          INTO v_old_pos, @segmentd_b_day, @segmentd_b_frequency, @segmentd_b_monetary, @segmentd_b_customer
          FROM segment_score_bounds
         WHERE dimension = ELT(v_dim, 'r', 'f', 'm') AND score = v_k AND bound = 'key';
      END IF;
      IF v_pos < v_n AND v_old_pos IS NULL THEN
        EXECUTE read_bound USING @segmentd_pos;
      ELSEIF v_pos < v_n THEN
        -- The live boundary's position among the new data.
        CALL segmentd_key_compare(v_dim, '<', 'old_day', 'old_frequency', 'old_monetary', 'customer_unique_id',
                                  v_compare);
        SET @segmentd_bound_sql = CONCAT('SELECT COUNT(*) INTO @segmentd_x FROM segment_refresh_customers WHERE existed AND ',
                                         v_compare);
        CALL segmentd_bound_execute(v_dim);
        SET v_rank = v_old_pos - @segmentd_x;
        CALL segmentd_key_compare(v_dim, '<', 's.last_purchase_day', 's.frequency', 's.monetary',
                                  's.customer_unique_id', v_compare);
        SET @segmentd_bound_sql = CONCAT('SELECT COUNT(*) INTO @segmentd_x FROM segment_refresh_keys s WHERE ',
                                         v_compare);
        CALL segmentd_bound_execute(v_dim);
        SET v_rank = v_rank + @segmentd_x;
        -- Then the steps from it to the new position, up or down.
        CALL segmentd_key_compare(v_dim, IF(v_pos >= v_rank, '>=', '<'), 'last_purchase_day', 'frequency',
                                  'monetary', 'customer_unique_id', v_compare);
        SET @segmentd_bound_sql = CONCAT('SELECT 1, ', v_columns,
          ' INTO @segmentd_found, @segmentd_day, @segmentd_frequency, @segmentd_monetary, @segmentd_customer FROM ',
          'customer_scores FORCE INDEX (', v_index, ') WHERE ',
          v_compare, ' ORDER BY ', IF(v_pos >= v_rank, v_order, v_order_desc), ' LIMIT ',
          IF(v_pos >= v_rank, v_pos - v_rank, v_rank - 1 - v_pos), ', 1');
        CALL segmentd_bound_execute(v_dim);
      END IF;
      INSERT INTO segment_refresh_bounds
        (dimension, score, bound, last_purchase_day, frequency, monetary, customer_unique_id, position)
      VALUES (ELT(v_dim, 'r', 'f', 'm'), v_k, IF(@segmentd_found = 1, 'key', 'above_all'),
              @segmentd_day, @segmentd_frequency, @segmentd_monetary, @segmentd_customer,
              IF(@segmentd_found = 1, v_pos, NULL));
      SET v_k = v_k + 1;
    END WHILE;
    DEALLOCATE PREPARE read_bound;
    SET v_dim = v_dim + 1;
  END WHILE;
  SET @segmentd_sql = NULL, @segmentd_n = NULL, @segmentd_found = NULL, @segmentd_day = NULL,
      @segmentd_frequency = NULL, @segmentd_monetary = NULL, @segmentd_customer = NULL, @segmentd_pos = NULL,
      @segmentd_bound_sql = NULL, @segmentd_x = NULL, @segmentd_b_day = NULL, @segmentd_b_frequency = NULL,
      @segmentd_b_monetary = NULL, @segmentd_b_customer = NULL;
END $$

-- Re-scores the customers in segment_refresh_customers that are in
-- customer_scores, from the boundaries in segment_refresh_bounds (as
-- segmentd_score_bounds describes them), and gives them their segment.
DROP PROCEDURE IF EXISTS segmentd_rescore $$
CREATE PROCEDURE segmentd_rescore(IN p_method VARCHAR(16))
  MODIFIES SQL DATA
  COMMENT 'Scores the customers an incremental refresh touched'
BEGIN
  DECLARE r2d, r3d, r4d, r5d DATE DEFAULT NULL;
  DECLARE r2c, r3c, r4c, r5c, f2c, f3c, f4c, f5c, m2c, m3c, m4c, m5c
    VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin DEFAULT NULL;
  DECLARE f2f, f3f, f4f, f5f INT UNSIGNED DEFAULT NULL;
  DECLARE f2m, f3m, f4m, f5m, m2m, m3m, m4m, m5m DECIMAL(14,2) DEFAULT NULL;
  SELECT MAX(IF(dimension = 'r' AND score = 2, last_purchase_day, NULL)),
         MAX(IF(dimension = 'r' AND score = 3, last_purchase_day, NULL)),
         MAX(IF(dimension = 'r' AND score = 4, last_purchase_day, NULL)),
         MAX(IF(dimension = 'r' AND score = 5, last_purchase_day, NULL)),
         MAX(IF(dimension = 'r' AND score = 2, customer_unique_id, NULL)),
         MAX(IF(dimension = 'r' AND score = 3, customer_unique_id, NULL)),
         MAX(IF(dimension = 'r' AND score = 4, customer_unique_id, NULL)),
         MAX(IF(dimension = 'r' AND score = 5, customer_unique_id, NULL)),
         MAX(IF(dimension = 'f' AND score = 2, frequency, NULL)),
         MAX(IF(dimension = 'f' AND score = 3, frequency, NULL)),
         MAX(IF(dimension = 'f' AND score = 4, frequency, NULL)),
         MAX(IF(dimension = 'f' AND score = 5, frequency, NULL)),
         MAX(IF(dimension = 'f' AND score = 2, monetary, NULL)),
         MAX(IF(dimension = 'f' AND score = 3, monetary, NULL)),
         MAX(IF(dimension = 'f' AND score = 4, monetary, NULL)),
         MAX(IF(dimension = 'f' AND score = 5, monetary, NULL)),
         MAX(IF(dimension = 'f' AND score = 2, customer_unique_id, NULL)),
         MAX(IF(dimension = 'f' AND score = 3, customer_unique_id, NULL)),
         MAX(IF(dimension = 'f' AND score = 4, customer_unique_id, NULL)),
         MAX(IF(dimension = 'f' AND score = 5, customer_unique_id, NULL)),
         MAX(IF(dimension = 'm' AND score = 2, monetary, NULL)),
         MAX(IF(dimension = 'm' AND score = 3, monetary, NULL)),
         MAX(IF(dimension = 'm' AND score = 4, monetary, NULL)),
         MAX(IF(dimension = 'm' AND score = 5, monetary, NULL)),
         MAX(IF(dimension = 'm' AND score = 2, customer_unique_id, NULL)),
         MAX(IF(dimension = 'm' AND score = 3, customer_unique_id, NULL)),
         MAX(IF(dimension = 'm' AND score = 4, customer_unique_id, NULL)),
         MAX(IF(dimension = 'm' AND score = 5, customer_unique_id, NULL))
    INTO r2d, r3d, r4d, r5d, r2c, r3c, r4c, r5c, f2f, f3f, f4f, f5f, f2m, f3m, f4m, f5m,
         f2c, f3c, f4c, f5c, m2m, m3m, m4m, m5m, m2c, m3c, m4c, m5c
    FROM segment_refresh_bounds WHERE bound = 'key';
  -- A boundary with no key (nobody at its position) compares as NULL: 0.
  IF p_method = 'ntile' THEN
    UPDATE customer_scores s JOIN segment_refresh_customers w ON w.customer_unique_id = s.customer_unique_id
       SET s.r_score = 1
             + IFNULL(s.last_purchase_day > r2d OR (s.last_purchase_day = r2d AND s.customer_unique_id >= r2c), 0)
             + IFNULL(s.last_purchase_day > r3d OR (s.last_purchase_day = r3d AND s.customer_unique_id >= r3c), 0)
             + IFNULL(s.last_purchase_day > r4d OR (s.last_purchase_day = r4d AND s.customer_unique_id >= r4c), 0)
             + IFNULL(s.last_purchase_day > r5d OR (s.last_purchase_day = r5d AND s.customer_unique_id >= r5c), 0),
           s.f_score = 1
             + IFNULL(s.frequency > f2f OR (s.frequency = f2f AND (s.monetary > f2m
                      OR (s.monetary = f2m AND s.customer_unique_id >= f2c))), 0)
             + IFNULL(s.frequency > f3f OR (s.frequency = f3f AND (s.monetary > f3m
                      OR (s.monetary = f3m AND s.customer_unique_id >= f3c))), 0)
             + IFNULL(s.frequency > f4f OR (s.frequency = f4f AND (s.monetary > f4m
                      OR (s.monetary = f4m AND s.customer_unique_id >= f4c))), 0)
             + IFNULL(s.frequency > f5f OR (s.frequency = f5f AND (s.monetary > f5m
                      OR (s.monetary = f5m AND s.customer_unique_id >= f5c))), 0),
           s.m_score = 1
             + IFNULL(s.monetary > m2m OR (s.monetary = m2m AND s.customer_unique_id >= m2c), 0)
             + IFNULL(s.monetary > m3m OR (s.monetary = m3m AND s.customer_unique_id >= m3c), 0)
             + IFNULL(s.monetary > m4m OR (s.monetary = m4m AND s.customer_unique_id >= m4c), 0)
             + IFNULL(s.monetary > m5m OR (s.monetary = m5m AND s.customer_unique_id >= m5c), 0);
  ELSE
    UPDATE customer_scores s JOIN segment_refresh_customers w ON w.customer_unique_id = s.customer_unique_id
       SET s.r_score = 1 + IFNULL(s.last_purchase_day > r2d, 0) + IFNULL(s.last_purchase_day > r3d, 0)
                         + IFNULL(s.last_purchase_day > r4d, 0) + IFNULL(s.last_purchase_day > r5d, 0),
           s.f_score = 1 + IFNULL(s.frequency > f2f, 0) + IFNULL(s.frequency > f3f, 0)
                         + IFNULL(s.frequency > f4f, 0) + IFNULL(s.frequency > f5f, 0),
           s.m_score = 1 + IFNULL(s.monetary > m2m, 0) + IFNULL(s.monetary > m3m, 0)
                         + IFNULL(s.monetary > m4m, 0) + IFNULL(s.monetary > m5m, 0);
  END IF;
  UPDATE customer_scores s
    JOIN segment_refresh_customers w ON w.customer_unique_id = s.customer_unique_id
    JOIN rfm_segment_map mp ON mp.r_score = s.r_score AND mp.f_score = s.f_score AND mp.m_score = s.m_score
     SET s.rfm_code = CONCAT(s.r_score, s.f_score, s.m_score), s.segment_name = mp.segment_name;
END $$

-- Adds to segment_refresh_customers, with their state now, the customers
-- whose score can differ between the live boundaries (segment_score_bounds)
-- and the new ones (segment_refresh_bounds): those with a key between the
-- two. NTILE's scores begin at a key (>=), so the keys from the lower
-- boundary up to the higher; PERCENT_RANK's above a value (>), so the
-- values above the lower up to the higher. A superset is harmless (those
-- are scored again, the same). Each boundary that moved is its own range
-- read, with the bounds as parameters, so the optimizer sees a range (a
-- join against the bounds was a full scan per boundary:
-- bench/reference/2026-12-03/NOTES.md "Daily deltas with incremental
-- refresh"). Every customer when a boundary has no key.
DROP PROCEDURE IF EXISTS segmentd_boundary_customers $$
CREATE PROCEDURE segmentd_boundary_customers(IN p_method VARCHAR(16), OUT p_everyone BOOLEAN)
  MODIFIES SQL DATA
  COMMENT 'Finds the customers a move of the score boundaries can re-score'
BEGIN
  DECLARE v_done BOOLEAN DEFAULT FALSE;
  DECLARE v_dim CHAR(1);
  DECLARE o_day, n_day DATE;
  DECLARE o_frequency, n_frequency INT UNSIGNED;
  DECLARE o_monetary, n_monetary DECIMAL(14,2);
  DECLARE o_customer, n_customer VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin;
  DECLARE moved CURSOR FOR
    SELECT o.dimension, o.last_purchase_day, n.last_purchase_day, o.frequency, n.frequency,
           o.monetary, n.monetary, o.customer_unique_id, n.customer_unique_id
      FROM segment_score_bounds o
      JOIN segment_refresh_bounds n ON n.dimension = o.dimension AND n.score = o.score;
  DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_done = TRUE;
  SELECT COUNT(*) < 12 OR SUM(o.bound <> 'key' OR n.bound <> 'key') > 0 INTO p_everyone
    FROM segment_score_bounds o JOIN segment_refresh_bounds n ON n.dimension = o.dimension AND n.score = o.score;
  IF p_everyone THEN
    INSERT IGNORE INTO segment_refresh_customers (customer_unique_id, existed, r_score, f_score, m_score, segment_name)
    SELECT customer_unique_id, TRUE, r_score, f_score, m_score, segment_name FROM customer_scores;
  ELSE
    SET @segmentd_insert = 'INSERT IGNORE INTO segment_refresh_customers
        (customer_unique_id, existed, r_score, f_score, m_score, segment_name)
      SELECT customer_unique_id, TRUE, r_score, f_score, m_score, segment_name FROM customer_scores ';
    SET @segmentd_sql = CONCAT(@segmentd_insert, 'FORCE INDEX (ix_customer_scores_recency) WHERE ',
                               IF(p_method = 'ntile', 'last_purchase_day >= ?', 'last_purchase_day > ?'),
                               ' AND last_purchase_day <= ?');
    PREPARE r_range FROM @segmentd_sql;
    SET @segmentd_sql = CONCAT(@segmentd_insert, 'FORCE INDEX (ix_customer_scores_monetary) WHERE ',
                               IF(p_method = 'ntile', 'monetary >= ?', 'monetary > ?'), ' AND monetary <= ?');
    PREPARE m_range FROM @segmentd_sql;
    IF p_method = 'ntile' THEN
      -- (frequency, monetary) from the lower boundary's up to the higher's.
      SET @segmentd_sql = CONCAT(@segmentd_insert, 'FORCE INDEX (ix_customer_scores_frequency) WHERE ',
        '(frequency = ? AND monetary >= ? AND (frequency < ? OR monetary <= ?)) ',
        'OR (frequency > ? AND frequency < ?) OR (frequency = ? AND frequency > ? AND monetary <= ?)');
    ELSE
      SET @segmentd_sql = CONCAT(@segmentd_insert, 'FORCE INDEX (ix_customer_scores_frequency) ',
                                 'WHERE frequency > ? AND frequency <= ?');
    END IF;
    PREPARE f_range FROM @segmentd_sql;
    OPEN moved;
    read_bounds: LOOP
      FETCH moved INTO v_dim, o_day, n_day, o_frequency, n_frequency, o_monetary, n_monetary, o_customer, n_customer;
      IF v_done THEN
        LEAVE read_bounds;
      END IF;
      IF v_dim = 'r' AND NOT (o_day = n_day AND (p_method <> 'ntile' OR o_customer = n_customer)) THEN
        SET @segmentd_lo = LEAST(o_day, n_day), @segmentd_hi = GREATEST(o_day, n_day);
        EXECUTE r_range USING @segmentd_lo, @segmentd_hi;
      ELSEIF v_dim = 'm' AND NOT (o_monetary = n_monetary AND (p_method <> 'ntile' OR o_customer = n_customer)) THEN
        SET @segmentd_lo = LEAST(o_monetary, n_monetary), @segmentd_hi = GREATEST(o_monetary, n_monetary);
        EXECUTE m_range USING @segmentd_lo, @segmentd_hi;
      ELSEIF v_dim = 'f' AND p_method <> 'ntile' AND o_frequency <> n_frequency THEN
        SET @segmentd_lo = LEAST(o_frequency, n_frequency), @segmentd_hi = GREATEST(o_frequency, n_frequency);
        EXECUTE f_range USING @segmentd_lo, @segmentd_hi;
      ELSEIF v_dim = 'f' AND p_method = 'ntile'
             AND NOT (o_frequency = n_frequency AND o_monetary = n_monetary AND o_customer = n_customer) THEN
        IF o_frequency < n_frequency OR (o_frequency = n_frequency AND o_monetary <= n_monetary) THEN
          SET @segmentd_lo = o_frequency, @segmentd_lo_m = o_monetary,
              @segmentd_hi = n_frequency, @segmentd_hi_m = n_monetary;
        ELSE
          SET @segmentd_lo = n_frequency, @segmentd_lo_m = n_monetary,
              @segmentd_hi = o_frequency, @segmentd_hi_m = o_monetary;
        END IF;
        EXECUTE f_range USING @segmentd_lo, @segmentd_lo_m, @segmentd_hi, @segmentd_hi_m,
                              @segmentd_lo, @segmentd_hi, @segmentd_hi, @segmentd_lo, @segmentd_hi_m;
      END IF;
    END LOOP;
    CLOSE moved;
    DEALLOCATE PREPARE r_range;
    DEALLOCATE PREPARE m_range;
    DEALLOCATE PREPARE f_range;
    SET @segmentd_sql = NULL, @segmentd_insert = NULL, @segmentd_lo = NULL, @segmentd_hi = NULL,
        @segmentd_lo_m = NULL, @segmentd_hi_m = NULL;
  END IF;
END $$

-- History (V014) of run p_run_id as a full snapshot: every scored customer
-- (customer_scores, or customer_scores_next with p_next), and who left
-- since the newest kept run p_history_run. Returns the rows written.
DROP PROCEDURE IF EXISTS segmentd_history_snapshot $$
CREATE PROCEDURE segmentd_history_snapshot(IN p_run_id BIGINT UNSIGNED, IN p_history_run BIGINT UNSIGNED,
                                           IN p_next BOOLEAN, OUT p_changes INT UNSIGNED)
  MODIFIES SQL DATA
  COMMENT 'Writes a refresh run''s history as a full snapshot'
BEGIN
  DECLARE v_table VARCHAR(32) DEFAULT IF(p_next, 'customer_scores_next', 'customer_scores');
  SET @segmentd_run = p_run_id, @segmentd_history_run = p_history_run;
  SET @segmentd_sql = CONCAT(
    'INSERT INTO customer_segment_changes
       (run_id, customer_unique_id, r_score, f_score, m_score, rfm_code, segment_name)
     SELECT ?, customer_unique_id, r_score, f_score, m_score, rfm_code, segment_name FROM ', v_table);
  PREPARE everyone FROM @segmentd_sql;
  EXECUTE everyone USING @segmentd_run;
  SET p_changes = ROW_COUNT();
  DEALLOCATE PREPARE everyone;
  IF p_history_run IS NOT NULL THEN
    SET @segmentd_sql = CONCAT(
      'INSERT INTO customer_segment_changes (run_id, customer_unique_id)
       SELECT ?, a.customer_unique_id FROM vw_customer_segment_at_run a
        WHERE a.run_id = ?
          AND NOT EXISTS (SELECT 1 FROM ', v_table, ' n WHERE n.customer_unique_id = a.customer_unique_id)');
    PREPARE departed FROM @segmentd_sql;
    EXECUTE departed USING @segmentd_run, @segmentd_history_run;
    SET p_changes = p_changes + ROW_COUNT();
    DEALLOCATE PREPARE departed;
  END IF;
  SET @segmentd_sql = NULL, @segmentd_run = NULL, @segmentd_history_run = NULL;
END $$

-- Who holds the refresh claim (V011), for the message of a refresh that
-- lost it. On Galera a claim can fail certification (1213) before the
-- winning claim has been applied on this node, so a plain read could still
-- show the row free or stale, and the skipped run would name nobody: seen
-- in galera.concurrent_refresh on a loaded machine. A causal read
-- (wsrep_sync_wait) waits for every write the cluster ordered before it.
-- The variable is MariaDB's, so it is set through constant prepared text
-- (see segmentd_hash_join_settings); without Galera it changes nothing. A
-- read that fails (a causal wait timing out) names nobody rather than
-- failing the skipped run's record.
DROP PROCEDURE IF EXISTS segmentd_read_claim_holder $$
CREATE PROCEDURE segmentd_read_claim_holder(OUT p_run BIGINT UNSIGNED, OUT p_node VARCHAR(255))
  READS SQL DATA
  COMMENT 'The refresh claim''s holder, read causally on Galera'
BEGIN
  DECLARE v_mariadb BOOLEAN DEFAULT VERSION() LIKE '%MariaDB%';
  SET p_run = NULL, p_node = NULL;
  IF v_mariadb THEN
    PREPARE causal_on FROM
      'SET @segmentd_sync_wait = @@SESSION.wsrep_sync_wait, SESSION wsrep_sync_wait = 1';
    EXECUTE causal_on;
    DEALLOCATE PREPARE causal_on;
  END IF;
  BEGIN
    DECLARE CONTINUE HANDLER FOR SQLEXCEPTION SET p_run = NULL, p_node = NULL;
    SELECT run_id, node INTO p_run, p_node FROM refresh_claim WHERE id = 1;
  END;
  IF v_mariadb THEN
    PREPARE causal_off FROM 'SET SESSION wsrep_sync_wait = @segmentd_sync_wait';
    EXECUTE causal_off;
    DEALLOCATE PREPARE causal_off;
    SET @segmentd_sync_wait = NULL;
  END IF;
END $$

-- Whether the daemon that started this session's refresh still leads
-- (V013): true for any other caller (no @segmentd_lease_epoch). Bumping the
-- lease row where holder and epoch are still its own is the check, and
-- commits with the refresh's own writes.
-- (A procedure, not a function: with binary logging on, creating a stored
-- function needs SUPER, which the README's grants leave out.)
DROP PROCEDURE IF EXISTS segmentd_still_leading $$
CREATE PROCEDURE segmentd_still_leading(OUT p_leading BOOLEAN)
  MODIFIES SQL DATA
  COMMENT 'The lease check of a daemon''s refresh'
BEGIN
  SET p_leading = TRUE;
  IF @segmentd_lease_epoch IS NOT NULL THEN
    UPDATE daemon_lease SET fenced_writes = fenced_writes + 1
     WHERE id = 1 AND holder = @segmentd_lease_holder AND epoch = @segmentd_lease_epoch;
    SET p_leading = ROW_COUNT() = 1;
  END IF;
END $$

-- The report's figures for run p_run_id (V010), in one pass over the
-- scored customers (customer_scores, or customer_scores_next with p_next);
-- every per-segment figure is a sum of these few hundred rows. The bins'
-- edges go with the labels in vw_report_distribution. Returns the segment
-- counts as JSON.
DROP PROCEDURE IF EXISTS segmentd_run_figures $$
CREATE PROCEDURE segmentd_run_figures(IN p_run_id BIGINT UNSIGNED, IN p_next BOOLEAN, IN p_as_of DATE,
                                      OUT p_counts TEXT)
  MODIFIES SQL DATA
  COMMENT 'Writes a refresh run''s report figures'
BEGIN
  SET @segmentd_sql = CONCAT(
    'INSERT INTO segment_run_cells
       (run_id, r_score, f_score, m_score, recency_bin, frequency_bin, monetary_bin, segment_name, customers,
        repeat_customers, revenue, frequency_sum, recency_days_sum, first_purchase_date, last_purchase_date)
     SELECT ?, r_score, f_score, m_score,
            INTERVAL(DATEDIFF(?, last_purchase_day), 30, 60, 90, 180, 270, 365, 540, 730),
            INTERVAL(frequency, 2, 3, 4, 5, 10),
            INTERVAL(monetary, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000),
            MIN(segment_name), COUNT(*), SUM(frequency >= 2), SUM(monetary), SUM(frequency),
            SUM(DATEDIFF(?, last_purchase_day)), MIN(first_purchase_date), MAX(last_purchase_date)
       FROM ', IF(p_next, 'customer_scores_next', 'customer_scores'), '
      GROUP BY r_score, f_score, m_score, 5, 6, 7');
  PREPARE write_cells FROM @segmentd_sql;
  SET @segmentd_run = p_run_id, @segmentd_as_of = p_as_of;
  EXECUTE write_cells USING @segmentd_run, @segmentd_as_of, @segmentd_as_of;
  DEALLOCATE PREPARE write_cells;
  SET @segmentd_sql = NULL, @segmentd_run = NULL, @segmentd_as_of = NULL;
  INSERT INTO segment_run_stats (run_id, segment_name, customers, revenue, repeat_customers)
  SELECT p_run_id, segment_name, SUM(customers), SUM(revenue), SUM(repeat_customers)
    FROM segment_run_cells WHERE run_id = p_run_id GROUP BY segment_name;
  SELECT JSON_OBJECTAGG(names.segment_name, COALESCE(counted.customers, 0)) INTO p_counts
    FROM (SELECT DISTINCT segment_name FROM rfm_segment_rules) AS names
    LEFT JOIN segment_run_stats counted
           ON counted.run_id = p_run_id AND counted.segment_name = names.segment_name;
END $$

-- The movement between segments a refresh records (segment_run_transitions,
-- read by the report), in one place for both paths: the moves the path
-- found (segment_refresh_moves: the customers it looked at, from their old
-- segment or '(new)' to their new one or '(gone)'), and everyone else of
-- each segment (segment_run_stats less the moves into it) stayed. A path
-- that looked at everyone leaves nobody to stay.
DROP PROCEDURE IF EXISTS segmentd_record_transitions $$
CREATE PROCEDURE segmentd_record_transitions(IN p_run_id BIGINT UNSIGNED, IN p_previous BIGINT UNSIGNED)
  MODIFIES SQL DATA
  COMMENT 'Writes segment_run_transitions from segment_refresh_moves and segment_run_stats'
BEGIN
  INSERT INTO segment_run_transitions (run_id, previous_run_id, from_segment, to_segment, customers)
  SELECT p_run_id, p_previous, moved.from_segment, moved.to_segment, SUM(moved.n)
    FROM (SELECT from_segment, to_segment, customers AS n FROM segment_refresh_moves
          UNION ALL
          SELECT now.segment_name, now.segment_name,
                 CAST(now.customers AS SIGNED) - COALESCE((SELECT SUM(m.customers) FROM segment_refresh_moves m
                                                            WHERE m.to_segment = now.segment_name), 0)
            FROM segment_run_stats now
           WHERE now.run_id = p_run_id) AS moved
   GROUP BY moved.from_segment, moved.to_segment
  HAVING SUM(moved.n) > 0;
END $$

DELIMITER ;
