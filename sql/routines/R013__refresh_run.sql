-- segmentd_refresh_run, the one refresh every caller runs: one at a time
-- (a lock, and a claim across a cluster), recorded in pipeline_runs, the
-- settings checked, the path chosen (incremental, R011, or full, R012), the
-- fence checked once, the full path's results swapped in, the run recorded
-- as what really happened. And the entry points: refresh_customer_segments(),
-- refresh_customer_segments_full() and the fallback event's.
-- Re-created by every `segmentd migrate`; from the mysql client:
-- mysql DB < this file (after R010).

DELIMITER $$

-- Undoes a refresh that failed before its swap: its half-built tables (while
-- this session holds the refresh lock, so never another refresh's), its
-- per-run rows, its claim, and records it failed with p_message. A run
-- already closed is left as it is. The caller releases the lock.
DROP PROCEDURE IF EXISTS segmentd_refresh_undo $$
CREATE PROCEDURE segmentd_refresh_undo(IN p_run_id BIGINT UNSIGNED, IN p_message TEXT)
  MODIFIES SQL DATA
  COMMENT 'Undoes a refresh that failed before its swap and records it failed'
BEGIN
  IF IS_USED_LOCK(LEFT(CONCAT('segmentd.refresh.', DATABASE()), 64)) = CONNECTION_ID() THEN
    DROP TABLE IF EXISTS order_values_next, customer_scores_next, segment_state_next, segment_score_bounds_next;
  END IF;
  IF p_run_id IS NOT NULL THEN
    DELETE FROM customer_segment_changes WHERE run_id = p_run_id;
    DELETE FROM segment_history_runs WHERE run_id = p_run_id;
    DELETE FROM segment_run_stats WHERE run_id = p_run_id;
    DELETE FROM segment_run_cells WHERE run_id = p_run_id;
    DELETE FROM segment_run_transitions WHERE run_id = p_run_id;
    -- 'abandoned': closed meanwhile by a sweep that could not know why.
    UPDATE pipeline_runs
       SET status = 'failed',
           finished_at = UTC_TIMESTAMP(3),
           duration_ms = TIMESTAMPDIFF(MICROSECOND, started_at, UTC_TIMESTAMP(3)) DIV 1000,
           message = LEFT(p_message, 2000)
     WHERE run_id = p_run_id AND kind = 'refresh' AND status IN ('running', 'abandoned');
    UPDATE refresh_claim SET run_id = NULL, node = NULL, connection_id = NULL, claimed_at = NULL
     WHERE id = 1 AND run_id = p_run_id;
  END IF;
END $$

-- Who may be keeping the swap waiting: the oldest other open transactions
-- (a reader's metadata lock lasts its whole transaction), as far as the
-- routine's definer may see them.
DROP PROCEDURE IF EXISTS segmentd_swap_blocker $$
CREATE PROCEDURE segmentd_swap_blocker(OUT p_text VARCHAR(255))
  READS SQL DATA
  COMMENT 'Names the open transactions a swap may be waiting for'
BEGIN
  -- Without PROCESS the definer sees no other session: said so below.
  DECLARE CONTINUE HANDLER FOR SQLEXCEPTION SET p_text = NULL;
  SELECT LEFT(GROUP_CONCAT(CONCAT('connection ', trx_mysql_thread_id, ', in a transaction for ',
                                  TIMESTAMPDIFF(SECOND, trx_started, NOW()), ' s')
                           ORDER BY trx_started SEPARATOR '; '), 255)
    INTO p_text
    FROM information_schema.INNODB_TRX
   WHERE trx_mysql_thread_id <> CONNECTION_ID();
  SET p_text = COALESCE(p_text, 'a session this account cannot see');
END $$

-- NULL while the daemon that started this session's refresh still leads
-- (V013; always for callers without a lease); else why the refresh stops.
DROP PROCEDURE IF EXISTS segmentd_fence_failure $$
CREATE PROCEDURE segmentd_fence_failure(OUT p_fail VARCHAR(512))
  READS SQL DATA
  COMMENT 'Says why a deposed leader''s refresh must not change the results'
BEGIN
  DECLARE v_leading BOOLEAN DEFAULT TRUE;
  CALL segmentd_still_leading(v_leading);
  SET p_fail = IF(v_leading, NULL,
                  CONCAT('fenced: the daemon that started this refresh no longer holds the lease (its epoch ',
                         @segmentd_lease_epoch, '); the results were not changed'));
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
  DECLARE v_holder      BIGINT UNSIGNED DEFAULT NULL;
  DECLARE v_holder_run  BIGINT UNSIGNED DEFAULT NULL;
  DECLARE v_as_of_text  VARCHAR(10);
  DECLARE v_statuses    VARCHAR(255);
  -- The statuses that count, and 'counted': a feed order that its feed's
  -- own rules count (doc/FEEDS.md "The rules").
  DECLARE v_counted     VARCHAR(300);
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
  DECLARE v_lock_wait   BIGINT UNSIGNED DEFAULT @@SESSION.lock_wait_timeout;
  -- The swap's waits for readers (doc/OPERATIONS.md "A reader holding the results").
  DECLARE v_swap_blocked BOOLEAN DEFAULT FALSE;
  DECLARE v_swap_tries  INT UNSIGNED DEFAULT 0;
  DECLARE v_swap_since  DATETIME(3) DEFAULT NULL;
  DECLARE v_swap_waited VARCHAR(512) DEFAULT NULL;
  DECLARE v_blocker     VARCHAR(255) DEFAULT NULL;
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
  DECLARE v_changes     INT UNSIGNED DEFAULT 0;
  DECLARE v_seen        INT UNSIGNED DEFAULT 0;
  DECLARE v_full_reason VARCHAR(255) DEFAULT NULL;
  DECLARE v_orders_done INT UNSIGNED DEFAULT NULL;
  DECLARE v_customers_done INT UNSIGNED DEFAULT NULL;
  DECLARE v_live_check  VARCHAR(255) DEFAULT NULL;
  DECLARE v_mismatches  INT UNSIGNED DEFAULT NULL;
  DECLARE v_live_customers INT UNSIGNED DEFAULT NULL;
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
                max_heap_table_size = v_heap_table, group_concat_max_len = v_concat_len,
                lock_wait_timeout = v_lock_wait;
    CALL segmentd_hash_join_settings(FALSE, NULL);
    IF v_swapped THEN
     BEGIN
      DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END;  -- the lock is released whatever fails
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
     END;
      DO RELEASE_LOCK(v_lock);
    ELSE
      -- Every step is tried and the lock released even when a step fails (a
      -- read-only server refuses them all); what this could not record, the
      -- daemon records once it can (doc/OPERATIONS.md "Database unavailable").
      BEGIN
        DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END;
        CALL segmentd_refresh_undo(v_run_id, COALESCE(v_fail, CONCAT('error ', v_err_no, ': ', v_err_text)));
      END;
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
  SET v_counted = CONCAT(v_statuses, ',counted');
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
    CALL segmentd_refresh_incremental(v_run_id, v_method, v_counted, v_key, v_live_run, v_live_customers,
                                      v_diffed, v_history_run, v_as_of, v_customers, v_counts, v_changes,
                                      v_orders_done, v_customers_done, t_log, t_orders, t_aggregates, t_bounds,
                                      t_boundary, t_rfm, t_history, t_figures);
  ELSE
    CALL segmentd_refresh_full(v_run_id, v_method, v_counted, v_key, v_live_run, v_live_key, v_seen, v_diffed,
                               v_history_run, v_as_of, v_customers, v_counts, v_changes, v_live_check,
                               v_mismatches, t_orders, t_rfm, t_history, t_figures);
  END IF;
  SET t_segments = t_orders;

  -- A daemon's refresh changes the results only while the daemon still
  -- leads (V013): a deposed leader's refresh, still running on its server,
  -- fails here. The incremental path's check is inside its transaction; the
  -- full path's commits on its own just before the RENAME (DDL commits
  -- anyway), and the claim above keeps a second refresh from running in
  -- that gap.
  CALL segmentd_fence_failure(v_fail);
  IF v_fail IS NOT NULL THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'fenced: this daemon no longer holds the lease';
  END IF;
  IF v_full_reason IS NOT NULL THEN
    -- Readers see the old results or the new ones, never a missing table:
    -- customer_segments and the other views follow the swap.
    -- A reader's open transaction holds a metadata lock on what it read;
    -- the RENAME waits behind it, and every later reader queues behind the
    -- RENAME. So each attempt waits at most 2 s, and between attempts
    -- (1 s doubling to 8 s) readers run freely; after 30 s the refresh
    -- fails as a lock wait (1205), the results unchanged: the daemon loads
    -- the files that wait and tries again later, backing off.
    SET SESSION lock_wait_timeout = 2;
    swap: LOOP
      BEGIN
        DECLARE CONTINUE HANDLER FOR 1205 SET v_swap_blocked = TRUE;
        SET v_swap_blocked = FALSE;
        DROP TABLE IF EXISTS order_values_old, customer_scores_old, segment_state_old, segment_score_bounds_old;
        IF NOT v_swap_blocked THEN
          RENAME TABLE order_values TO order_values_old, order_values_next TO order_values,
                       customer_scores TO customer_scores_old, customer_scores_next TO customer_scores,
                       segment_state TO segment_state_old, segment_state_next TO segment_state,
                       segment_score_bounds TO segment_score_bounds_old,
                       segment_score_bounds_next TO segment_score_bounds;
        END IF;
      END;
      IF NOT v_swap_blocked THEN
        LEAVE swap;
      END IF;
      SET v_swap_tries = v_swap_tries + 1;
      SET v_swap_since = COALESCE(v_swap_since, UTC_TIMESTAMP(3));
      CALL segmentd_swap_blocker(v_blocker);
      SET v_swap_waited = CONCAT('the swap waited ', TIMESTAMPDIFF(SECOND, v_swap_since, UTC_TIMESTAMP(3)),
                                 ' s (', v_swap_tries, ' attempts) for a reader holding the results: ', v_blocker);
      -- Seen by `segmentd status` while it waits.
      UPDATE pipeline_runs SET message = v_swap_waited WHERE run_id = v_run_id;
      IF TIMESTAMPDIFF(SECOND, v_swap_since, UTC_TIMESTAMP(3)) >= 30 THEN
        SET v_fail = CONCAT(v_swap_waited, '; the results were not changed');
        SIGNAL SQLSTATE 'HY000' SET MYSQL_ERRNO = 1205, MESSAGE_TEXT = 'the swap waited too long for a reader';
      END IF;
      DO SLEEP(LEAST(8, POW(2, LEAST(v_swap_tries, 4) - 1)));
      CALL segmentd_fence_failure(v_fail);  -- deposed while it waited
      IF v_fail IS NOT NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'fenced: this daemon no longer holds the lease';
      END IF;
    END LOOP;
    SET SESSION lock_wait_timeout = v_lock_wait;
    SET v_swapped = TRUE;
    SET t_swap = UTC_TIMESTAMP(6);
    -- The changes seen before the build are in it.
    DELETE c FROM segment_input_changes c JOIN segment_refresh_seen s ON s.seq = c.seq;
  ELSE
    SET t_swap = UTC_TIMESTAMP(6);  -- the incremental path's changes wait for the COMMIT below
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
           'swap_wait_ms', COALESCE(TIMESTAMPDIFF(MICROSECOND, v_swap_since, t_swap) DIV 1000, 0),
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
                             CONCAT('; full: ', v_full_reason)),
                          COALESCE(CONCAT('; ', v_swap_waited), ''))
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
