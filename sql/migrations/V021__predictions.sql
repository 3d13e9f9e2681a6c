-- Predictions (doc/PREDICTIONS.md): BG/NBD and Gamma-Gamma fitted after
-- every refresh the daemon or the CLI runs, one row per customer beside the
-- segments, swapped in whole with the run id of the segments they follow.

-- One row per prediction step: what it was fitted on and how it ended
-- (available, unavailable: the gate refused the data or the fit, failed).
CREATE TABLE IF NOT EXISTS prediction_runs (
  run_id           BIGINT UNSIGNED NOT NULL,
  as_of            DATE NULL,
  status           VARCHAR(16) CHARACTER SET ascii NOT NULL,
  reason           VARCHAR(1000) NOT NULL DEFAULT '',
  customers        INT UNSIGNED NOT NULL DEFAULT 0,
  repeat_customers INT UNSIGNED NOT NULL DEFAULT 0,
  horizons_days    VARCHAR(64) CHARACTER SET ascii NOT NULL DEFAULT '',
  discount_rate    DOUBLE NOT NULL DEFAULT 0,
  started_at       DATETIME(3) NOT NULL,
  finished_at      DATETIME(3) NULL,
  step_timings     JSON NULL,
  PRIMARY KEY (run_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Each model's fit of a prediction step; a parameter the model does not
-- have is NULL. Time unit: days.
CREATE TABLE IF NOT EXISTS prediction_fits (
  run_id          BIGINT UNSIGNED NOT NULL,
  model           VARCHAR(16) CHARACTER SET ascii NOT NULL,
  r               DOUBLE NULL,
  alpha           DOUBLE NULL,
  a               DOUBLE NULL,
  b               DOUBLE NULL,
  p               DOUBLE NULL,
  q               DOUBLE NULL,
  gamma           DOUBLE NULL,
  log_likelihood  DOUBLE NULL,
  customers       INT UNSIGNED NOT NULL DEFAULT 0,
  converged       BOOLEAN NOT NULL DEFAULT FALSE,
  at_bound        BOOLEAN NOT NULL DEFAULT FALSE,
  evaluations     INT UNSIGNED NOT NULL DEFAULT 0,
  stop_reason     VARCHAR(64) NOT NULL DEFAULT '',
  PRIMARY KEY (run_id, model)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The live predictions. Each step builds customer_predictions_next with a
-- pair of columns per configured horizon and renames it in; this is the
-- shape for the default horizons (30, 90, 365 days).
CREATE TABLE IF NOT EXISTS customer_predictions (
  customer_unique_id     VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  run_id                 BIGINT UNSIGNED NOT NULL,
  x                      INT UNSIGNED NOT NULL,
  t_x                    INT UNSIGNED NOT NULL,
  t_days                 INT UNSIGNED NOT NULL,
  repeat_spend           DECIMAL(14,2) NULL,
  p_alive                DOUBLE NOT NULL,
  expected_avg_spend     DECIMAL(14,2) NOT NULL,
  expected_purchases_30d DOUBLE NOT NULL,
  predicted_value_30d    DECIMAL(14,2) NOT NULL,
  expected_purchases_90d DOUBLE NOT NULL,
  predicted_value_90d    DECIMAL(14,2) NOT NULL,
  expected_purchases_365d DOUBLE NOT NULL,
  predicted_value_365d   DECIMAL(14,2) NOT NULL,
  PRIMARY KEY (customer_unique_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Re-created by each step whose horizons differ from these columns.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW vw_customer_predictions AS
SELECT customer_unique_id, p_alive, expected_purchases_30d, predicted_value_30d,
       expected_purchases_90d, predicted_value_90d, expected_purchases_365d, predicted_value_365d,
       expected_avg_spend, run_id
  FROM customer_predictions;
