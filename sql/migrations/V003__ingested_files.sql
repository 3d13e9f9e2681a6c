-- The ingest ledger: one row per file segmentd was asked to load. A file's
-- 'loaded' row commits in the same transaction as its data, so after a crash
-- a file is either fully applied (and recognised by its sha256) or not at all.

CREATE TABLE IF NOT EXISTS ingested_files (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  original_name VARCHAR(1024) NOT NULL,
  sha256        CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  size_bytes    BIGINT UNSIGNED NOT NULL,
  dataset       VARCHAR(64) NULL,
  rows_read     BIGINT UNSIGNED NOT NULL DEFAULT 0,
  rows_loaded   BIGINT UNSIGNED NOT NULL DEFAULT 0,
  rows_rejected BIGINT UNSIGNED NOT NULL DEFAULT 0,
  status        VARCHAR(16) NOT NULL,
  load_path     VARCHAR(16) NULL,
  run_id        BIGINT UNSIGNED NULL,
  started_at    DATETIME(3) NOT NULL,
  finished_at   DATETIME(3) NULL,
  message       TEXT NULL,
  PRIMARY KEY (id),
  KEY ix_ingested_files_sha (sha256, status),
  KEY ix_ingested_files_run (run_id),
  CONSTRAINT ck_ingested_status CHECK (status IN ('loaded', 'duplicate', 'rejected', 'failed'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
