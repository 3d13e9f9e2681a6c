-- refresh_customer_segments() and its helpers. Re-created by every
-- `segmentd migrate`; from the mysql client: mysql DB < this file.
--
-- The model (doc/MODEL.md "The model"): counted orders are those whose status is
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

DROP PROCEDURE IF EXISTS segmentd_refresh_run $$
CREATE PROCEDURE segmentd_refresh_run(
  IN p_trigger    VARCHAR(16),
  IN p_started_by VARCHAR(255),
  IN p_host       VARCHAR(255),
  IN p_pid        INT UNSIGNED,
  IN p_version    VARCHAR(32),
  IN p_mode       VARCHAR(8))   -- 'auto': incremental when it can be (doc/MODEL.md "Incremental refresh"); 'full'
  MODIFIES SQL DATA
  COMMENT 'Brings the RFM segments up to date and records the run in pipeline_runs'
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
  DECLARE v_concat_len  BIGINT UNSIGNED DEFAULT @@SESSION.group_concat_max_len;
  -- Set once the new results are live. From then on the run has succeeded,
  -- whatever fails after (the results sent to a client that went away): the
  -- handler records success instead of undoing history it cannot undo.
  DECLARE v_swapped     BOOLEAN DEFAULT FALSE;
  DECLARE v_claimed     BOOLEAN DEFAULT FALSE;
  DECLARE v_holder_node VARCHAR(255) DEFAULT NULL;
  DECLARE v_node        VARCHAR(255) DEFAULT CONCAT(@@hostname, ':', @@port);
  DECLARE v_live_run    BIGINT UNSIGNED DEFAULT NULL;
  DECLARE v_live_key    CHAR(32) DEFAULT NULL;
  DECLARE v_key         CHAR(32) DEFAULT NULL;
  DECLARE v_history_run BIGINT UNSIGNED DEFAULT NULL;
  -- The history is the change since the live results (they are the newest
  -- kept run's), not everyone.
  DECLARE v_diffed      BOOLEAN DEFAULT FALSE;
  DECLARE v_leading     BOOLEAN DEFAULT TRUE;
  DECLARE v_changes     INT UNSIGNED DEFAULT 0;
  DECLARE v_seen        INT UNSIGNED DEFAULT 0;
  DECLARE v_full_reason VARCHAR(255) DEFAULT NULL;
  DECLARE v_everyone    BOOLEAN DEFAULT FALSE;
  DECLARE v_orders_done INT UNSIGNED DEFAULT NULL;
  DECLARE v_customers_done INT UNSIGNED DEFAULT NULL;
  DECLARE v_live_check  VARCHAR(255) DEFAULT NULL;
  DECLARE v_mismatches  INT UNSIGNED DEFAULT NULL;
  DECLARE v_someone_left BOOLEAN DEFAULT TRUE;
  DECLARE v_live_customers INT UNSIGNED DEFAULT NULL;
  DECLARE v_left        INT UNSIGNED DEFAULT 0;
  DECLARE v_customer_rows BIGINT UNSIGNED DEFAULT NULL;
  DECLARE v_counted_orders BIGINT UNSIGNED DEFAULT 0;
  DECLARE t_start, t_settings, t_orders, t_segments, t_rfm, t_history, t_figures, t_swap DATETIME(6);
  -- The incremental path's steps within order values and scoring.
  DECLARE t_log, t_aggregates, t_bounds, t_boundary DATETIME(6) DEFAULT NULL;

  DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    GET DIAGNOSTICS CONDITION 1 v_err_no = MYSQL_ERRNO, v_err_text = MESSAGE_TEXT;
    -- An incremental refresh's transaction goes first (nothing else is
    -- ever open here: the full one's statements commit as they go).
    ROLLBACK;
    SET SESSION sort_buffer_size = v_sort_buffer, tmp_table_size = v_tmp_table,
                max_heap_table_size = v_heap_table, group_concat_max_len = v_concat_len;
    CALL segmentd_hash_join_settings(FALSE, NULL);
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
      DROP TABLE IF EXISTS order_values_old, customer_scores_old, segment_state_old, segment_score_bounds_old;
      UPDATE refresh_claim SET run_id = NULL, node = NULL, connection_id = NULL, claimed_at = NULL
       WHERE id = 1 AND run_id = v_run_id;
      DO RELEASE_LOCK(v_lock);
    ELSE
      DROP TABLE IF EXISTS order_values_next, customer_scores_next, segment_state_next, segment_score_bounds_next;
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
  CALL segmentd_hash_join_settings(FALSE, NULL);
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
    CALL segmentd_read_claim_holder(v_holder_run, v_holder_node);
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

  -- The rules are resolved once for each of the 125 possible (r, f, m)
  -- combinations; each customer then finds its segment by primary key.
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
  -- What the results depend on besides the data: results made under other
  -- settings are recomputed in full. (MySQL's default 1 KB would cut the
  -- 125 combinations short.)
  SET SESSION group_concat_max_len = 65536;
  SELECT MD5(CONCAT_WS('|', v_method, v_statuses, v_as_of_text,
                       GROUP_CONCAT(CONCAT(r_score, f_score, m_score, '=', COALESCE(segment_name, ''))
                                    ORDER BY r_score, f_score, m_score SEPARATOR ',')))
    INTO v_key FROM rfm_segment_map;
  SET SESSION group_concat_max_len = v_concat_len;
  SET t_settings = UTC_TIMESTAMP(6);

  -- What is live, and the change log as it stands now. The triggers (R050)
  -- write a change's row in the change's own transaction, so every change
  -- seen here is in the data this refresh reads after it; only the rows
  -- seen are deleted once the results are live.
  SELECT run_id, settings_key, customers INTO v_live_run, v_live_key, v_live_customers
    FROM segment_state WHERE id = 1;
  SELECT MAX(run_id) INTO v_history_run FROM vw_segment_history_runs;
  SET v_diffed = v_live_run IS NOT NULL AND v_live_run = v_history_run;
  DELETE FROM segment_refresh_seen;
  INSERT INTO segment_refresh_seen (seq) SELECT seq FROM segment_input_changes;
  SET v_seen = ROW_COUNT();
  IF p_mode = 'full' THEN
    SET v_full_reason = 'asked for';
  ELSEIF v_live_run IS NULL OR NOT EXISTS (SELECT 1 FROM pipeline_runs
                                            WHERE run_id = v_live_run AND status = 'succeeded') THEN
    SET v_full_reason = 'no live results to update';
  ELSEIF v_live_key IS NULL OR v_live_key <> v_key THEN
    SET v_full_reason = 'the settings or rules changed';
  ELSEIF (SELECT COUNT(*) FROM information_schema.TRIGGERS
           WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME LIKE 'segmentd\_track\_%') <> 12 THEN
    SET v_full_reason = 'change tracking is not installed (the input tables lack segmentd''s triggers)';
  ELSEIF EXISTS (SELECT 1 FROM segment_refresh_seen s JOIN segment_input_changes c ON c.seq = s.seq
                  WHERE c.order_id IS NULL AND c.customer_id IS NULL) THEN
    SET v_full_reason = 'a change too large to track row by row (a bulk load)';
  ELSEIF (SELECT COUNT(*) FROM segment_score_bounds) <> 12 THEN
    SET v_full_reason = 'the score boundaries are missing';
  END IF;

  -- Raised for this session only while building, restored afterwards: the
  -- GROUP BY and the window sorts over all customers spill to disk with the
  -- servers' small defaults. GREATEST of an unsigned variable and a signed
  -- literal is DECIMAL on MySQL 8, which SET of an integer variable refuses
  -- (error 1232); the CAST keeps it an integer on both servers.
  SET SESSION sort_buffer_size = CAST(GREATEST(v_sort_buffer, 67108864) AS UNSIGNED),
              tmp_table_size = CAST(GREATEST(v_tmp_table, 536870912) AS UNSIGNED),
              max_heap_table_size = CAST(GREATEST(v_heap_table, 536870912) AS UNSIGNED);

  IF v_full_reason IS NULL THEN
    -- Incremental: one transaction over the live tables, so readers see the
    -- old results or the new ones, and a refresh killed half way leaves
    -- the old ones and every change still logged. READ COMMITTED reads the
    -- change log and the inputs without locking them against the ingest
    -- (not with statement-based binary logging, which refuses it).
    IF @@SESSION.binlog_format <> 'STATEMENT' THEN
      SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
    END IF;
    START TRANSACTION;
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
    SELECT COUNT(*) INTO v_orders_done FROM segment_refresh_orders;
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
     WHERE FIND_IN_SET(o.order_status, v_statuses) > 0;
    INSERT IGNORE INTO segment_refresh_customers (customer_unique_id)
    SELECT v.customer_unique_id FROM segment_refresh_orders w JOIN order_values v ON v.order_id = w.order_id;
    UPDATE segment_refresh_customers w JOIN customer_scores s ON s.customer_unique_id = w.customer_unique_id
       SET w.existed = TRUE, w.r_score = s.r_score, w.f_score = s.f_score, w.m_score = s.m_score,
           w.segment_name = s.segment_name, w.old_day = s.last_purchase_day, w.old_frequency = s.frequency,
           w.old_monetary = s.monetary;
    SELECT COUNT(*) INTO v_customers_done FROM segment_refresh_customers;
    IF v_as_of IS NULL THEN
      SELECT DATE(MAX(order_date)) INTO v_as_of FROM order_values;
    END IF;
    SET t_orders = UTC_TIMESTAMP(6);
    SET t_segments = t_orders;

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
    IF v_live_customers IS NULL THEN
      SELECT COUNT(*) INTO v_customers FROM customer_scores;
    ELSE
      SELECT v_live_customers - v_left + COUNT(*) INTO v_customers
        FROM segment_refresh_customers w JOIN segment_refresh_keys k ON k.customer_unique_id = w.customer_unique_id
       WHERE NOT w.existed;
    END IF;
    SET t_aggregates = UTC_TIMESTAMP(6);
    -- Scoring stays global: the new boundaries over every customer, then
    -- only those whose score they can change, and the changed ones.
    CALL segmentd_score_bounds(v_method, FALSE, v_customers);
    SET t_bounds = UTC_TIMESTAMP(6);
    CALL segmentd_boundary_customers(v_method, v_everyone);
    SET t_boundary = UTC_TIMESTAMP(6);
    CALL segmentd_rescore(v_method);
    SET t_rfm = UTC_TIMESTAMP(6);

    -- History (V014): what changed against the live results, when those
    -- are the newest kept run's; else everyone, and who left since it.
    IF v_diffed THEN
      INSERT INTO customer_segment_changes
        (run_id, customer_unique_id, r_score, f_score, m_score, rfm_code, segment_name)
      SELECT v_run_id, s.customer_unique_id, s.r_score, s.f_score, s.m_score, s.rfm_code, s.segment_name
        FROM segment_refresh_customers w
        JOIN customer_scores s ON s.customer_unique_id = w.customer_unique_id
       WHERE NOT w.existed OR w.r_score <> s.r_score OR w.f_score <> s.f_score OR w.m_score <> s.m_score
          OR w.segment_name <> s.segment_name;
      SET v_changes = ROW_COUNT();
      INSERT INTO customer_segment_changes (run_id, customer_unique_id)
      SELECT v_run_id, w.customer_unique_id
        FROM segment_refresh_customers w
       WHERE w.existed
         AND NOT EXISTS (SELECT 1 FROM customer_scores s WHERE s.customer_unique_id = w.customer_unique_id);
      SET v_changes = v_changes + ROW_COUNT();
    ELSE
      CALL segmentd_history_snapshot(v_run_id, v_history_run, FALSE, v_changes);
    END IF;
    INSERT INTO segment_history_runs (run_id, customers, changes, full_snapshot)
    VALUES (v_run_id, v_customers, v_changes, NOT v_diffed);
    SET t_history = UTC_TIMESTAMP(6);

    CALL segmentd_run_figures(v_run_id, FALSE, v_as_of, v_counts);
    -- Movement since the live results: the touched customers as they were
    -- and are, and everyone else stayed where they are.
    SET v_previous = v_live_run;
    INSERT INTO segment_run_transitions (run_id, previous_run_id, from_segment, to_segment, customers)
    SELECT v_run_id, v_previous, moved.from_segment, moved.to_segment, SUM(moved.n)
      FROM (SELECT IF(w.existed, w.segment_name, '(new)') AS from_segment,
                   COALESCE(s.segment_name, '(gone)') AS to_segment, COUNT(*) AS n
              FROM segment_refresh_customers w
              LEFT JOIN customer_scores s ON s.customer_unique_id = w.customer_unique_id
             WHERE w.existed OR s.customer_unique_id IS NOT NULL
             GROUP BY 1, 2
            UNION ALL
            SELECT now.segment_name, now.segment_name, now.customers - COALESCE(touched.n, 0)
              FROM segment_run_stats now
              LEFT JOIN (SELECT s.segment_name, COUNT(*) AS n
                           FROM segment_refresh_customers w
                           JOIN customer_scores s ON s.customer_unique_id = w.customer_unique_id
                          GROUP BY s.segment_name) AS touched ON touched.segment_name = now.segment_name
             WHERE now.run_id = v_run_id) AS moved
     GROUP BY moved.from_segment, moved.to_segment
    HAVING SUM(moved.n) > 0;
    SET t_figures = UTC_TIMESTAMP(6);

    UPDATE segment_state SET run_id = v_run_id, as_of = v_as_of, settings_key = v_key, customers = v_customers
     WHERE id = 1;
    DELETE FROM segment_score_bounds;
    INSERT INTO segment_score_bounds SELECT * FROM segment_refresh_bounds;
    DELETE c FROM segment_input_changes c JOIN segment_refresh_seen s ON s.seq = c.seq;
    -- A deposed leader's refresh commits nothing (V013).
    CALL segmentd_still_leading(v_leading);
    IF NOT v_leading THEN
      SET v_fail = CONCAT('fenced: the daemon that started this refresh no longer holds the lease (its epoch ',
                          @segmentd_lease_epoch, '); the results were not changed');
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'fenced: this daemon no longer holds the lease';
    END IF;
    SET t_swap = UTC_TIMESTAMP(6);
  ELSE
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
                                    'DROP INDEX ix_customer_scores_monetary, COMMENT = ''segmentd run ', v_run_id, '''');
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
     WHERE FIND_IN_SET(o.order_status, v_statuses) > 0;
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
    IF v_as_of IS NULL THEN
      SELECT DATE(MAX(order_date)) INTO v_as_of FROM order_values_next;
    END IF;
    SET t_orders = UTC_TIMESTAMP(6);
    SET t_segments = t_orders;

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
      IF(v_method = 'ntile',
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
    SET v_customers = ROW_COUNT();
    DEALLOCATE PREPARE score_customers;
    SET @segmentd_scoring = NULL, @segmentd_swap_ddl = NULL;
    ALTER TABLE customer_scores_next
      ADD INDEX ix_customer_segments_segment (segment_name),
      ADD INDEX ix_customer_scores_recency (last_purchase_day, customer_unique_id),
      ADD INDEX ix_customer_scores_frequency (frequency, monetary, customer_unique_id),
      ADD INDEX ix_customer_scores_monetary (monetary, customer_unique_id);
    -- The boundaries these scores follow, for the next incremental refresh.
    CALL segmentd_score_bounds(v_method, TRUE, v_customers);
    INSERT INTO segment_score_bounds_next SELECT * FROM segment_refresh_bounds;
    INSERT INTO segment_state_next (id, run_id, as_of, settings_key, customers)
    VALUES (1, v_run_id, v_as_of, v_key, v_customers);
    SET t_rfm = UTC_TIMESTAMP(6);

    -- History (V014): what changed against the live results when they are
    -- the newest kept run's, else everyone, and who left since that run.
    IF v_diffed THEN
      INSERT INTO customer_segment_changes
        (run_id, customer_unique_id, r_score, f_score, m_score, rfm_code, segment_name)
      SELECT v_run_id, n.customer_unique_id, n.r_score, n.f_score, n.m_score, n.rfm_code, n.segment_name
        FROM customer_scores_next n
        LEFT JOIN customer_scores o ON o.customer_unique_id = n.customer_unique_id
       WHERE o.customer_unique_id IS NULL OR o.r_score <> n.r_score OR o.f_score <> n.f_score
          OR o.m_score <> n.m_score OR o.segment_name <> n.segment_name;
      SET v_changes = ROW_COUNT();
      -- Who left: only looked for when the counts say someone did (the
      -- live customers outnumber those still here), which saves a pass
      -- over every live customer in the usual refresh, where nobody left.
      SELECT (SELECT COUNT(*) FROM customer_scores)
             + (SELECT COUNT(*) FROM customer_segment_changes c
                 WHERE c.run_id = v_run_id
                   AND NOT EXISTS (SELECT 1 FROM customer_scores o WHERE o.customer_unique_id = c.customer_unique_id))
             > v_customers
        INTO v_someone_left;
      IF v_someone_left THEN
        INSERT INTO customer_segment_changes (run_id, customer_unique_id)
        SELECT v_run_id, o.customer_unique_id
          FROM customer_scores o
         WHERE NOT EXISTS (SELECT 1 FROM customer_scores_next n WHERE n.customer_unique_id = o.customer_unique_id);
        SET v_changes = v_changes + ROW_COUNT();
      END IF;
      -- Over data nothing changed since the live results were made, with the
      -- same settings, a full refresh must agree with them: the check of the
      -- incremental state.
      IF v_seen = 0 AND v_live_key = v_key THEN
        SET v_mismatches = v_changes;
        SET v_live_check = IF(v_changes = 0, 'matched the live results',
                              CONCAT(v_changes, ' customers differed from the live results'));
      END IF;
    ELSE
      CALL segmentd_history_snapshot(v_run_id, v_history_run, TRUE, v_changes);
    END IF;
    IF v_live_check IS NULL THEN
      SET v_live_check = CASE
        WHEN v_live_run IS NULL THEN 'not checked: no live results'
        WHEN v_live_key <=> v_key THEN CONCAT('not checked: ', v_seen, ' changes since the live results')
        ELSE 'not checked: the settings or rules changed' END;
    END IF;
    INSERT INTO segment_history_runs (run_id, customers, changes, full_snapshot)
    VALUES (v_run_id, v_customers, v_changes, NOT v_diffed);
    SET t_history = UTC_TIMESTAMP(6);

    CALL segmentd_run_figures(v_run_id, TRUE, v_as_of, v_counts);
    -- Movement since the results this run replaces: customer_scores holds
    -- the previous successful refresh's (they change only under this
    -- lock).
    SELECT MAX(run_id) INTO v_previous FROM pipeline_runs
     WHERE kind = 'refresh' AND status = 'succeeded' AND run_id < v_run_id;
    IF v_diffed THEN
      -- The history rows just written are everyone who moved, appeared or
      -- left; everyone else stayed in their segment. Two joins of every
      -- customer fewer (bench/reference/2026-12-06/NOTES.md "The full 10x refresh, part by part, and what one connection can do").
      INSERT INTO segment_run_transitions (run_id, previous_run_id, from_segment, to_segment, customers)
      SELECT v_run_id, v_previous, moved.from_segment, moved.to_segment, SUM(moved.n)
        FROM (SELECT COALESCE(o.segment_name, '(new)') AS from_segment,
                     COALESCE(c.segment_name, '(gone)') AS to_segment, COUNT(*) AS n
                FROM customer_segment_changes c
                LEFT JOIN customer_scores o ON o.customer_unique_id = c.customer_unique_id
               WHERE c.run_id = v_run_id
               GROUP BY 1, 2
              UNION ALL
              SELECT now.segment_name, now.segment_name,
                     now.customers - (SELECT COUNT(*) FROM customer_segment_changes c
                                       WHERE c.run_id = v_run_id AND c.segment_name = now.segment_name)
                FROM segment_run_stats now
               WHERE now.run_id = v_run_id) AS moved
       GROUP BY moved.from_segment, moved.to_segment
      HAVING SUM(moved.n) > 0;
    ELSE
      -- Who left is what the old results held minus who was matched, so
      -- the old table is joined once.
      INSERT INTO segment_run_transitions (run_id, previous_run_id, from_segment, to_segment, customers)
      SELECT v_run_id, v_previous, COALESCE(o.segment_name, '(new)'), n.segment_name, COUNT(*)
        FROM customer_scores_next n
        LEFT JOIN customer_scores o ON o.customer_unique_id = n.customer_unique_id
       GROUP BY 3, 4;
      INSERT INTO segment_run_transitions (run_id, previous_run_id, from_segment, to_segment, customers)
      SELECT v_run_id, v_previous, held.segment_name, '(gone)', held.n - COALESCE(matched.n, 0)
        FROM (SELECT segment_name, COUNT(*) AS n FROM customer_scores GROUP BY segment_name) AS held
        LEFT JOIN (SELECT from_segment, SUM(customers) AS n FROM segment_run_transitions
                    WHERE run_id = v_run_id GROUP BY from_segment) AS matched
               ON matched.from_segment = held.segment_name
       WHERE held.n > COALESCE(matched.n, 0);
    END IF;
    SET t_figures = UTC_TIMESTAMP(6);

    -- A daemon's refresh swaps only while the daemon still leads (V013): a
    -- deposed leader's refresh, still running on its server, fails here. The
    -- check commits on its own just before the RENAME (DDL commits anyway);
    -- the claim above keeps a second refresh from running in that gap.
    CALL segmentd_still_leading(v_leading);
    IF NOT v_leading THEN
      SET v_fail = CONCAT('fenced: the daemon that started this refresh no longer holds the lease (its epoch ',
                          @segmentd_lease_epoch, '); the results were not swapped in');
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'fenced: this daemon no longer holds the lease';
    END IF;

    -- Readers see the old results or the new ones, never a missing table:
    -- customer_segments and the other views follow the swap.
    DROP TABLE IF EXISTS order_values_old, customer_scores_old, segment_state_old, segment_score_bounds_old;
    RENAME TABLE order_values TO order_values_old, order_values_next TO order_values,
                 customer_scores TO customer_scores_old, customer_scores_next TO customer_scores,
                 segment_state TO segment_state_old, segment_state_next TO segment_state,
                 segment_score_bounds TO segment_score_bounds_old,
                 segment_score_bounds_next TO segment_score_bounds;
    SET v_swapped = TRUE;
    SET t_swap = UTC_TIMESTAMP(6);
    -- The changes seen before the build are in it.
    DELETE c FROM segment_input_changes c JOIN segment_refresh_seen s ON s.seq = c.seq;
  END IF;

  UPDATE pipeline_runs
     SET status = 'succeeded',
         finished_at = UTC_TIMESTAMP(3),
         duration_ms = TIMESTAMPDIFF(MICROSECOND, started_at, UTC_TIMESTAMP(3)) DIV 1000,
         as_of_date = v_as_of,
         customers_segmented = v_customers,
         segment_counts = v_counts,
         details = JSON_SET(COALESCE(details, JSON_OBJECT()), '$.scoring_method', v_method,
                            '$.counted_statuses', v_statuses, '$.as_of_setting', v_as_of_text,
                            '$.mode', IF(v_full_reason IS NULL, 'incremental', 'full'),
                            '$.full_reason', v_full_reason,
                            '$.changes_seen', v_seen,
                            '$.changed_orders', v_orders_done,
                            '$.rescored_customers', v_customers_done,
                            '$.live_check', v_live_check,
                            '$.live_mismatches', v_mismatches,
                            '$.history_changes', v_changes,
                            '$.history_full_snapshot', NOT v_diffed),
         step_timings = JSON_OBJECT(
           'settings_ms', TIMESTAMPDIFF(MICROSECOND, t_start, t_settings) DIV 1000,
           'order_values_ms', TIMESTAMPDIFF(MICROSECOND, t_settings, t_orders) DIV 1000,
           'segment_rules_ms', TIMESTAMPDIFF(MICROSECOND, t_orders, t_segments) DIV 1000,
           'rfm_segments_ms', TIMESTAMPDIFF(MICROSECOND, t_segments, t_rfm) DIV 1000,
           'history_ms', TIMESTAMPDIFF(MICROSECOND, t_rfm, t_history) DIV 1000,
           'report_figures_ms', TIMESTAMPDIFF(MICROSECOND, t_history, t_figures) DIV 1000,
           'swap_ms', TIMESTAMPDIFF(MICROSECOND, t_figures, t_swap) DIV 1000,
           'change_log_ms', TIMESTAMPDIFF(MICROSECOND, t_settings, t_log) DIV 1000,
           'aggregates_ms', TIMESTAMPDIFF(MICROSECOND, t_segments, t_aggregates) DIV 1000,
           'score_bounds_ms', TIMESTAMPDIFF(MICROSECOND, t_aggregates, t_bounds) DIV 1000,
           'boundary_customers_ms', TIMESTAMPDIFF(MICROSECOND, t_bounds, t_boundary) DIV 1000,
           'rescore_ms', TIMESTAMPDIFF(MICROSECOND, t_boundary, t_rfm) DIV 1000),
         message = CONCAT('segmented ', v_customers, ' customers as of ',
                          COALESCE(DATE_FORMAT(v_as_of, '%Y-%m-%d'), 'n/a'),
                          ' (', v_method, ', statuses ', v_statuses, ')',
                          IF(v_full_reason IS NULL,
                             CONCAT('; incremental: ', v_orders_done, ' orders, ', v_customers_done,
                                    ' customers re-scored'),
                             CONCAT('; full: ', v_full_reason)))
   WHERE run_id = v_run_id;
  UPDATE refresh_claim SET run_id = NULL, node = NULL, connection_id = NULL, claimed_at = NULL
   WHERE id = 1 AND run_id = v_run_id;
  IF v_full_reason IS NULL THEN
    COMMIT;
    SET v_swapped = TRUE;
  ELSE
    DROP TABLE order_values_old, customer_scores_old, segment_state_old, segment_score_bounds_old;
  END IF;
  SET SESSION sort_buffer_size = v_sort_buffer, tmp_table_size = v_tmp_table,
              max_heap_table_size = v_heap_table;
  DO RELEASE_LOCK(v_lock);
  SELECT run_id, status, customers_segmented, message FROM pipeline_runs WHERE run_id = v_run_id;
END $$

DROP PROCEDURE IF EXISTS refresh_customer_segments $$
CREATE PROCEDURE refresh_customer_segments()
  MODIFIES SQL DATA
  COMMENT 'Refresh the RFM segments now; recorded as a manual run'
BEGIN
  CALL segmentd_refresh_run('manual', CURRENT_USER(), SUBSTRING_INDEX(USER(), '@', -1), NULL, NULL, 'auto');
END $$

DROP PROCEDURE IF EXISTS refresh_customer_segments_full $$
CREATE PROCEDURE refresh_customer_segments_full()
  MODIFIES SQL DATA
  COMMENT 'Recompute the RFM segments from all the data now; recorded as a manual run'
BEGIN
  CALL segmentd_refresh_run('manual', CURRENT_USER(), SUBSTRING_INDEX(USER(), '@', -1), NULL, NULL, 'full');
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
    CALL segmentd_refresh_run('event', 'event ev_refresh_customer_segments', NULL, NULL, NULL, 'auto');
  END IF;
END $$

DELIMITER ;
