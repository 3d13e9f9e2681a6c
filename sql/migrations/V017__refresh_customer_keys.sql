-- The sort keys an incremental refresh gives the customers it touched
-- (R010, segmentd_refresh_run), written once from their orders before they
-- go into customer_scores. Placing each of the twelve live score boundaries
-- among the new data counts the touched customers whose new key sorts
-- before it; read from customer_scores, each count walked that table's
-- primary key across the touched customers, and at 100x, with 2.7% of the
-- customers touched, that meant nearly every page of it, twelve times,
-- through a buffer pool a fraction of its size: 50-58 s a day (BENCHMARKS.md
-- "Daily deltas at 100x, seven days"). This table holds only the touched
-- customers. A work table like segment_refresh_customers: emptied at the
-- start of each incremental refresh, inside its transaction.
CREATE TABLE IF NOT EXISTS segment_refresh_keys (
  customer_unique_id  VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  first_purchase_date DATETIME NOT NULL,
  last_purchase_date  DATETIME NOT NULL,
  last_purchase_day   DATE NOT NULL,
  frequency           INT UNSIGNED NOT NULL,
  monetary            DECIMAL(14,2) NOT NULL,
  PRIMARY KEY (customer_unique_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
