-- segmentd's heartbeat: one row (id = 1) that the running daemon touches
-- every minute and clears when it stops. The fallback event stands down
-- while the heartbeat is fresh, and takes over when it is not.
CREATE TABLE IF NOT EXISTS daemon_heartbeat (
  id                  TINYINT UNSIGNED NOT NULL,
  host                VARCHAR(255) NULL,
  pid                 INT UNSIGNED NULL,
  segmentd_version    VARCHAR(32) NULL,
  started_at          DATETIME(3) NULL,
  last_seen_at        DATETIME(3) NULL,
  stopped_at          DATETIME(3) NULL,
  -- How old last_seen_at may be and the daemon still count as running.
  healthy_for_seconds INT UNSIGNED NOT NULL DEFAULT 300,
  PRIMARY KEY (id),
  CONSTRAINT ck_heartbeat_single_row CHECK (id = 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO daemon_heartbeat (id) SELECT 1 FROM DUAL
  WHERE NOT EXISTS (SELECT 1 FROM daemon_heartbeat);
