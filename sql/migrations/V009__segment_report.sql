-- What the segment report (README "Segment report") reads besides the
-- results: each segment's description and recommended action, data that
-- marketing edits by SQL, and per-run figures of each segment, written by
-- every successful refresh, so a report compares a run with the one before.

ALTER TABLE rfm_segment_rules
  ADD COLUMN description VARCHAR(255) NULL,
  ADD COLUMN recommended_action VARCHAR(1024) NULL;

UPDATE rfm_segment_rules
   SET description = CASE segment_name
         WHEN 'Champions' THEN 'Bought recently, buy often and spend the most.'
         WHEN 'Loyal Customers' THEN 'Buy often; not the most recent, still engaged.'
         WHEN 'New Customers' THEN 'First purchase was recent.'
         WHEN 'Potential Loyalists' THEN 'Recent customers with more than one order or good spend.'
         WHEN 'Lost Customers' THEN 'Last bought long ago, and seldom.'
         WHEN 'At-Risk Customers' THEN 'Used to buy, have not for a while.'
       END,
       recommended_action = CASE segment_name
         WHEN 'Champions' THEN 'Reward them: early access, loyalty perks, referral asks. No discounts needed.'
         WHEN 'Loyal Customers' THEN 'Upsell higher-value products and ask for reviews; keep them in the loyalty programme.'
         WHEN 'New Customers' THEN 'Onboard well: a welcome series and a second-purchase incentive within 30 days.'
         WHEN 'Potential Loyalists' THEN 'Offer membership or a bundle that makes the next order the habit.'
         WHEN 'Lost Customers' THEN 'One win-back offer with a strong discount; stop regular mailings if it goes unanswered.'
         WHEN 'At-Risk Customers' THEN 'Reach out now: personalised win-back offers based on past purchases.'
       END
 WHERE description IS NULL AND recommended_action IS NULL;

CREATE TABLE IF NOT EXISTS segment_run_stats (
  run_id           BIGINT UNSIGNED NOT NULL,
  segment_name     VARCHAR(64) NOT NULL,
  customers        INT UNSIGNED NOT NULL,
  revenue          DECIMAL(16,2) NOT NULL,
  repeat_customers INT UNSIGNED NOT NULL,
  PRIMARY KEY (run_id, segment_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The current results are the newest successful refresh's: their figures
-- are known, so a database that is upgraded compares its next run with it.
INSERT INTO segment_run_stats (run_id, segment_name, customers, revenue, repeat_customers)
SELECT newest.run_id, s.segment_name, COUNT(*), SUM(s.monetary), SUM(s.frequency >= 2)
  FROM customer_segments s
  JOIN (SELECT MAX(run_id) AS run_id FROM pipeline_runs
         WHERE kind = 'refresh' AND status = 'succeeded') AS newest ON newest.run_id IS NOT NULL
 GROUP BY newest.run_id, s.segment_name;
