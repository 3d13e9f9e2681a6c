-- One refresh at a time across a cluster. GET_LOCK is local to the server
-- that takes it, so on a multi-primary cluster (MariaDB Galera) three
-- callers on three nodes all ran at once and clobbered each other's *_next
-- tables. A refresh also claims this row, in a statement of its own that
-- commits: on Galera, two nodes' claims of the row conflict when they are
-- certified and one of them fails, so exactly one refresh runs. The claim
-- names the run and the server (host:port); it is free when no run holds
-- it, when that run is no longer running, when it was made on the
-- claimer's own server (whose GET_LOCK a live refresh there would hold), or
-- when it is older than six hours (its server died mid-refresh).
CREATE TABLE IF NOT EXISTS refresh_claim (
  id            TINYINT UNSIGNED NOT NULL,
  run_id        BIGINT UNSIGNED NULL,
  node          VARCHAR(255) NULL,
  connection_id BIGINT UNSIGNED NULL,
  claimed_at    DATETIME(3) NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT IGNORE INTO refresh_claim (id) VALUES (1);
