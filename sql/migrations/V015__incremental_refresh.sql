-- Incremental refresh (README "Incremental refresh"). A refresh after a
-- small change recomputes only the orders and customers that changed,
-- which needs three things kept between refreshes:
--
-- 1. The scored customers without recency_days, which depends on the as-of
--    date and so would change for every customer every day. They move to
--    customer_scores; customer_segments becomes a view (R020) that computes
--    recency_days from segment_state.as_of, with the same columns.
-- 2. segment_state: which run's results are live, their as-of date, the
--    settings they were computed with, and where the last refresh read the
--    change log up to.
-- 3. The change log, segment_input_changes, written by triggers (R050) on
--    the input tables in the same transaction as the change.

RENAME TABLE customer_segments TO customer_scores;

-- last_purchase_day orders customers for the R score exactly as recency
-- did (recency_days = as_of - the day of the last purchase). The three
-- indexes serve the score boundaries and the customers between them.
ALTER TABLE customer_scores
  DROP COLUMN recency_days,
  ADD COLUMN last_purchase_day DATE NULL AFTER last_purchase_date;
UPDATE customer_scores SET last_purchase_day = DATE(last_purchase_date);
ALTER TABLE customer_scores
  MODIFY last_purchase_day DATE NOT NULL,
  ADD INDEX ix_customer_scores_recency (last_purchase_day, customer_unique_id),
  ADD INDEX ix_customer_scores_frequency (frequency, monetary, customer_unique_id),
  ADD INDEX ix_customer_scores_monetary (monetary, customer_unique_id);

CREATE TABLE IF NOT EXISTS segment_state (
  id           TINYINT UNSIGNED NOT NULL,
  run_id       BIGINT UNSIGNED NULL,  -- the run whose results are live
  as_of        DATE NULL,             -- their as-of date
  -- MD5 of the scoring method, counted statuses, as-of setting and the
  -- resolved rules: results made under other settings are recomputed.
  settings_key CHAR(32) NULL,
  -- No CHECK (id = 1): a full refresh swaps this table in from a copy made
  -- with CREATE TABLE ... LIKE, and MySQL keeps check constraint names
  -- unique per schema.
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The live results of an existing database: their run and as-of date. No
-- settings key, so the first refresh after this migration is a full one.
INSERT INTO segment_state (id, run_id, as_of)
SELECT 1,
       (SELECT MAX(run_id) FROM pipeline_runs WHERE kind = 'refresh' AND status = 'succeeded'),
       (SELECT as_of_date FROM pipeline_runs WHERE kind = 'refresh' AND status = 'succeeded'
         ORDER BY run_id DESC LIMIT 1)
  FROM DUAL
 WHERE NOT EXISTS (SELECT 1 FROM segment_state);

-- The score boundaries the live results were scored with: for each of R,
-- F and M, the keys after which scores 2, 3, 4 and 5 begin (NULL key: no
-- customer there). A refresh re-scores only the customers between an old
-- and a new boundary, and those whose figures changed.
CREATE TABLE IF NOT EXISTS segment_score_bounds (
  dimension          CHAR(1) NOT NULL,           -- r, f or m
  score              TINYINT UNSIGNED NOT NULL,  -- 2..5: the score that begins after this key
  bound              ENUM('key', 'below_all', 'above_all') NOT NULL,
  last_purchase_day  DATE NULL,
  frequency          INT UNSIGNED NULL,
  monetary           DECIMAL(14,2) NULL,
  customer_unique_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
  -- The key's position in that order (0-based): the next refresh finds
  -- the new boundary by walking from here, not from the start.
  position           BIGINT UNSIGNED NULL,
  PRIMARY KEY (dimension, score)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The as-of date of as_of 'data' is the newest counted order's day: read
-- from this index instead of a scan of every order (2.7 s at 10x).
ALTER TABLE order_values ADD INDEX ix_order_values_date (order_date);

-- One row per change to orders, order_items, order_payments or customers:
-- the order, or the customer, it touched. Both NULL: anything may have
-- changed (a load too big to log row by row), so the next refresh is full.
CREATE TABLE IF NOT EXISTS segment_input_changes (
  seq         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  order_id    VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
  customer_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
  PRIMARY KEY (seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
-- A database with results but no log yet: its next refresh is full.
INSERT INTO segment_input_changes (order_id, customer_id) VALUES (NULL, NULL);

-- An incremental refresh's working sets, emptied at its start and end
-- (regular tables: no temporary-table DDL inside its transaction).
CREATE TABLE IF NOT EXISTS segment_refresh_seen (
  seq BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (seq)
) ENGINE=InnoDB;
CREATE TABLE IF NOT EXISTS segment_refresh_orders (
  order_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  PRIMARY KEY (order_id)
) ENGINE=InnoDB;
-- Customers to re-score, with their state before this refresh (existed = 0:
-- new), for the history and the movement figures.
CREATE TABLE IF NOT EXISTS segment_refresh_customers (
  customer_unique_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  existed            BOOLEAN NOT NULL DEFAULT FALSE,
  r_score            TINYINT UNSIGNED NULL,
  f_score            TINYINT UNSIGNED NULL,
  m_score            TINYINT UNSIGNED NULL,
  segment_name       VARCHAR(64) NULL,
  -- Their sort keys before, to place the old boundaries among the new data.
  old_day            DATE NULL,
  old_frequency      INT UNSIGNED NULL,
  old_monetary       DECIMAL(14,2) NULL,
  PRIMARY KEY (customer_unique_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
-- The boundaries a refresh computes, before they replace the live ones.
CREATE TABLE IF NOT EXISTS segment_refresh_bounds LIKE segment_score_bounds;
