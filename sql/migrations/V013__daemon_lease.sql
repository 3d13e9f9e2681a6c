-- Leadership of one database among any number of daemons (README "Two
-- daemons"). GET_LOCK is local to one server, so on a multi-primary
-- cluster two daemons on two nodes both held the daemon lock and both
-- loaded the same files. Instead the leader holds this row, taken and
-- renewed in a transaction of its own; a standby takes it once expires_at
-- has passed (by the database's clock), with the next epoch. Every write
-- that commits data for the daemon (a file's ledger row, a refresh's swap)
-- first updates this row where holder and epoch are still its own, in the
-- same transaction: a deposed leader that wakes up finds no row to update
-- and commits nothing (on Galera, the two updates of the row conflict at
-- certification instead).
CREATE TABLE IF NOT EXISTS daemon_lease (
  id           TINYINT UNSIGNED NOT NULL,
  holder       VARCHAR(255) NULL,  -- host, pid and a token of the process
  holder_host  VARCHAR(255) NULL,
  holder_pid   INT UNSIGNED NULL,
  epoch        BIGINT UNSIGNED NOT NULL DEFAULT 0,
  node         VARCHAR(255) NULL,  -- the server the holder renews on (host:port)
  acquired_at  DATETIME(3) NULL,
  renewed_at   DATETIME(3) NULL,
  expires_at   DATETIME(3) NULL,
  -- Counts the writes made under a valid lease; bumping it is the check.
  fenced_writes BIGINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  CONSTRAINT ck_lease_single_row CHECK (id = 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT IGNORE INTO daemon_lease (id) VALUES (1);

-- The epoch of the lease a daemon's run was started under (the session
-- variable @segmentd_lease_epoch; NULL for other callers). A new leader
-- closes the runs of older epochs: their daemon can commit nothing more.
ALTER TABLE pipeline_runs ADD COLUMN lease_epoch BIGINT UNSIGNED NULL;
