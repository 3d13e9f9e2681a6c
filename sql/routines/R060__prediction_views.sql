-- The prediction fit for BI tools (doc/PREDICTIONS.md). Re-created by every
-- `segmentd migrate`; from the mysql client: mysql DB < this file.
-- (vw_customer_predictions is the prediction step's: its columns follow
-- predictions.horizons_days.)

-- One row per model of the newest finished prediction step; parameters a
-- model does not have are NULL, and so are all of them when the step did
-- not fit (its status and reason say why).
CREATE OR REPLACE SQL SECURITY INVOKER VIEW vw_prediction_fit AS
SELECT f.model, f.r, f.alpha, f.a, f.b, f.p, f.q, f.gamma, f.log_likelihood, f.customers, f.converged,
       'day' AS time_unit, f.run_id, pr.as_of, pr.status, pr.reason
  FROM prediction_fits f
  JOIN prediction_runs pr ON pr.run_id = f.run_id
 WHERE f.run_id = (SELECT MAX(x.run_id) FROM prediction_runs x WHERE x.status <> 'running');
