-- The dangling references, kept instead of counted. Every ingest run
-- reports how many rows point at rows not (yet) loaded: order items at
-- unknown orders, orders at unknown customers, and so on (ingest's
-- reference checks, daemon/ingest/reference_gaps.h). Counted over whole
-- tables after each run, that cost about a second a file at 1x and up to
-- 18 minutes a daily drop at 100x (BENCHMARKS.md "Daily deltas at 100x,
-- days 1 and 2"). Here is every key that rows point at and no parent row
-- holds, with how many rows point at it; each file's load keeps it current
-- in its own transaction, looking only at the keys the file brought and
-- the gaps already listed.
CREATE TABLE IF NOT EXISTS reference_gaps (
  check_name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  ref_key    VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- NULL only inside an ingest's transaction: a key to count again.
  child_rows BIGINT UNSIGNED NULL,
  PRIMARY KEY (check_name, ref_key),
  KEY ix_reference_gaps_pending (check_name, child_rows)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- An upgraded database's gaps, counted once over the whole tables. Each
-- count groups the referring column's own index, so the parent is probed
-- once per distinct key, in key order. None is listed for a check whose
-- parent table is empty (every row dangles; see reference_gaps.h). Emptied
-- first: a migration cut off half way runs again from the start.
DELETE FROM reference_gaps;

INSERT INTO reference_gaps (check_name, ref_key, child_rows)
SELECT 'order_items_with_unknown_order', g.k, g.n
FROM (SELECT order_id AS k, COUNT(*) AS n FROM order_items FORCE INDEX (ix_order_items_value) GROUP BY order_id) g
WHERE NOT EXISTS (SELECT 1 FROM orders p WHERE p.order_id = g.k) AND EXISTS (SELECT 1 FROM orders);

INSERT INTO reference_gaps (check_name, ref_key, child_rows)
SELECT 'orders_with_unknown_customer', g.k, g.n
FROM (SELECT customer_id AS k, COUNT(*) AS n FROM orders FORCE INDEX (ix_orders_customer) GROUP BY customer_id) g
WHERE NOT EXISTS (SELECT 1 FROM customers p WHERE p.customer_id = g.k) AND EXISTS (SELECT 1 FROM customers);

INSERT INTO reference_gaps (check_name, ref_key, child_rows)
SELECT 'payments_with_unknown_order', g.k, g.n
FROM (SELECT order_id AS k, COUNT(*) AS n FROM order_payments FORCE INDEX (ix_order_payments_value) GROUP BY order_id) g
WHERE NOT EXISTS (SELECT 1 FROM orders p WHERE p.order_id = g.k) AND EXISTS (SELECT 1 FROM orders);

INSERT INTO reference_gaps (check_name, ref_key, child_rows)
SELECT 'reviews_with_unknown_order', g.k, g.n
FROM (SELECT order_id AS k, COUNT(*) AS n FROM order_reviews FORCE INDEX (ix_order_reviews_order) GROUP BY order_id) g
WHERE NOT EXISTS (SELECT 1 FROM orders p WHERE p.order_id = g.k) AND EXISTS (SELECT 1 FROM orders);

INSERT INTO reference_gaps (check_name, ref_key, child_rows)
SELECT 'order_items_with_unknown_product', g.k, g.n
FROM (SELECT product_id AS k, COUNT(*) AS n FROM order_items FORCE INDEX (ix_order_items_product) GROUP BY product_id) g
WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.product_id = g.k) AND EXISTS (SELECT 1 FROM products);

INSERT INTO reference_gaps (check_name, ref_key, child_rows)
SELECT 'order_items_with_unknown_seller', g.k, g.n
FROM (SELECT seller_id AS k, COUNT(*) AS n FROM order_items FORCE INDEX (ix_order_items_seller) GROUP BY seller_id) g
WHERE NOT EXISTS (SELECT 1 FROM sellers p WHERE p.seller_id = g.k) AND EXISTS (SELECT 1 FROM sellers);
