-- Results of refresh_customer_segments(), the settings it reads, and the
-- audit trail of every run. The refresh builds *_next copies of the three
-- result tables (CREATE TABLE ... LIKE) and swaps them in with one RENAME.

CREATE TABLE IF NOT EXISTS order_values (
  order_id           VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  customer_id        VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  customer_unique_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  order_status       VARCHAR(20) NOT NULL,
  order_date         DATETIME NOT NULL,
  items_total        DECIMAL(14,2) NULL,
  payments_total     DECIMAL(14,2) NULL,
  -- The model's order value: payments if any, else items, else 0.
  order_value        DECIMAL(14,2) AS (COALESCE(payments_total, items_total, 0)) STORED,
  PRIMARY KEY (order_id),
  KEY ix_order_values_customer (customer_unique_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS customer_rfm (
  customer_unique_id  VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  first_purchase_date DATETIME NOT NULL,
  last_purchase_date  DATETIME NOT NULL,
  recency_days        INT NOT NULL,
  frequency           INT UNSIGNED NOT NULL,
  monetary            DECIMAL(14,2) NOT NULL,
  r_score             TINYINT UNSIGNED NOT NULL,
  f_score             TINYINT UNSIGNED NOT NULL,
  m_score             TINYINT UNSIGNED NOT NULL,
  rfm_code            CHAR(3) NOT NULL,
  PRIMARY KEY (customer_unique_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS customer_segments (
  customer_unique_id  VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  first_purchase_date DATETIME NOT NULL,
  last_purchase_date  DATETIME NOT NULL,
  recency_days        INT NOT NULL,
  frequency           INT UNSIGNED NOT NULL,
  monetary            DECIMAL(14,2) NOT NULL,
  r_score             TINYINT UNSIGNED NOT NULL,
  f_score             TINYINT UNSIGNED NOT NULL,
  m_score             TINYINT UNSIGNED NOT NULL,
  rfm_code            CHAR(3) NOT NULL,
  segment_name        VARCHAR(64) NOT NULL,
  PRIMARY KEY (customer_unique_id),
  KEY ix_customer_segments_segment (segment_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS customer_segment_history (
  run_id             BIGINT UNSIGNED NOT NULL,
  customer_unique_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  r_score            TINYINT UNSIGNED NOT NULL,
  f_score            TINYINT UNSIGNED NOT NULL,
  m_score            TINYINT UNSIGNED NOT NULL,
  rfm_code           CHAR(3) NOT NULL,
  segment_name       VARCHAR(64) NOT NULL,
  PRIMARY KEY (run_id, customer_unique_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row (id = 1). as_of is 'data', 'now' or a date 'YYYY-MM-DD';
-- counted_statuses is a comma-separated list of order_status values.
CREATE TABLE IF NOT EXISTS segmentation_settings (
  id                     TINYINT UNSIGNED NOT NULL,
  as_of                  VARCHAR(10) NOT NULL DEFAULT 'data',
  counted_statuses       VARCHAR(255) NOT NULL DEFAULT 'delivered,shipped',
  scoring_method         VARCHAR(16) NOT NULL DEFAULT 'ntile',
  event_stale_after_days INT UNSIGNED NOT NULL DEFAULT 35,
  updated_at             DATETIME(3) NULL,
  PRIMARY KEY (id),
  CONSTRAINT ck_settings_single_row CHECK (id = 1),
  CONSTRAINT ck_settings_method CHECK (scoring_method IN ('ntile', 'quantile'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO segmentation_settings (id) SELECT 1 FROM DUAL
  WHERE NOT EXISTS (SELECT 1 FROM segmentation_settings);

CREATE TABLE IF NOT EXISTS rfm_segment_rules (
  priority     INT UNSIGNED NOT NULL,
  segment_name VARCHAR(64) NOT NULL,
  r_min TINYINT UNSIGNED NOT NULL, r_max TINYINT UNSIGNED NOT NULL,
  f_min TINYINT UNSIGNED NOT NULL, f_max TINYINT UNSIGNED NOT NULL,
  m_min TINYINT UNSIGNED NOT NULL, m_max TINYINT UNSIGNED NOT NULL,
  PRIMARY KEY (priority)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO rfm_segment_rules
  (priority, segment_name, r_min, r_max, f_min, f_max, m_min, m_max)
SELECT * FROM (
  SELECT 1 AS p, 'Champions' AS s, 5 AS a, 5 AS b, 4 AS c, 5 AS d, 1 AS e, 5 AS f
  UNION ALL SELECT 2, 'Loyal Customers',     3, 4, 4, 5, 1, 5
  UNION ALL SELECT 3, 'New Customers',       4, 5, 1, 1, 1, 5
  UNION ALL SELECT 4, 'Potential Loyalists', 3, 5, 2, 3, 1, 5
  UNION ALL SELECT 5, 'Lost Customers',      1, 2, 1, 2, 1, 5
  UNION ALL SELECT 6, 'At-Risk Customers',   1, 3, 1, 5, 1, 5
) AS defaults
WHERE NOT EXISTS (SELECT 1 FROM rfm_segment_rules);

-- Every run, whoever started it. Times are UTC with milliseconds. The product
-- never deletes rows here on its own.
CREATE TABLE IF NOT EXISTS pipeline_runs (
  run_id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  kind                VARCHAR(16) NOT NULL DEFAULT 'refresh',
  `trigger`           VARCHAR(16) NOT NULL,
  status              VARCHAR(16) NOT NULL,
  started_at          DATETIME(3) NOT NULL,
  finished_at         DATETIME(3) NULL,
  duration_ms         BIGINT UNSIGNED NULL,
  started_by          VARCHAR(255) NULL,
  host                VARCHAR(255) NULL,
  pid                 INT UNSIGNED NULL,
  segmentd_version    VARCHAR(32) NULL,
  connection_id       BIGINT UNSIGNED NULL,
  as_of_date          DATE NULL,
  customers_segmented INT UNSIGNED NULL,
  segment_counts      JSON NULL,
  step_timings        JSON NULL,
  details             JSON NULL,
  message             TEXT NULL,
  PRIMARY KEY (run_id),
  KEY ix_pipeline_runs_status (status, kind, finished_at),
  KEY ix_pipeline_runs_trigger (`trigger`, started_at),
  CONSTRAINT ck_runs_trigger CHECK
    (`trigger` IN ('manual', 'cli', 'file', 'schedule', 'catchup', 'event')),
  CONSTRAINT ck_runs_status CHECK
    (status IN ('running', 'succeeded', 'failed', 'skipped', 'abandoned'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
