-- Shop exports (doc/FEEDS.md): what each feed file said about an order, a
-- refund or a currency rate, kept so that a later file (a restatement, a
-- refund row, a rate) can compute the order again. The model reads only
-- the canonical tables: each feed order is projected into customers,
-- orders (order_status 'counted', 'held', 'cancelled' or 'not_counted') and
-- one order_payments row holding its net value in the base currency.

CREATE TABLE IF NOT EXISTS feed_orders (
  order_id       VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  order_key      VARCHAR(255) NOT NULL,
  feed           VARCHAR(64) NOT NULL,
  customer_id    VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  purchased_at   DATETIME NOT NULL,
  status         VARCHAR(64) NOT NULL,
  status_counted BOOLEAN NOT NULL,
  cancelled      BOOLEAN NOT NULL,
  currency       CHAR(3) CHARACTER SET ascii NOT NULL,
  amount         DECIMAL(18,4) NOT NULL,
  refunded       DECIMAL(18,4) NOT NULL,
  converted_net  DECIMAL(18,4) NULL,
  exchange_rate  DECIMAL(24,10) NULL,
  source_line    BIGINT UNSIGNED NOT NULL,
  refunds        DECIMAL(18,4) NOT NULL DEFAULT 0,
  value_base     DECIMAL(14,2) NULL,
  rate_date      DATE NULL,
  outcome        VARCHAR(16) CHARACTER SET ascii NOT NULL,
  PRIMARY KEY (order_id),
  KEY ix_feed_orders_customer (customer_id),
  KEY ix_feed_orders_currency (currency, purchased_at),
  KEY ix_feed_orders_outcome (outcome, currency)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS feed_refunds (
  refund_id   VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  refund_key  VARCHAR(255) NOT NULL,
  order_id    VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  feed        VARCHAR(64) NOT NULL,
  amount      DECIMAL(18,4) NOT NULL,
  source_line BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (refund_id),
  KEY ix_feed_refunds_order (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The customers feeds name: their key as given, e-mail (personal data) and
-- marketing consent (NULL: the feed does not say).
CREATE TABLE IF NOT EXISTS feed_customers (
  customer_id  VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  customer_key VARCHAR(320) NOT NULL,
  email        VARCHAR(320) NULL,
  consent      BOOLEAN NULL,
  feed         VARCHAR(64) NOT NULL,
  PRIMARY KEY (customer_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- 1 unit of currency in base units, from the rates files dropped in the inbox.
CREATE TABLE IF NOT EXISTS currency_rates (
  currency  CHAR(3) CHARACTER SET ascii NOT NULL,
  rate_date DATE NOT NULL,
  rate      DECIMAL(24,10) NOT NULL,
  PRIMARY KEY (currency, rate_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The base currency the stored values are in; set by the first feed load.
CREATE TABLE IF NOT EXISTS feed_settings (
  id            TINYINT UNSIGNED NOT NULL,
  base_currency CHAR(3) CHARACTER SET ascii NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A feed load's work table: the orders it computes again. Ingest is one
-- at a time per database (a named lock), and each load empties it inside
-- its own transaction.
CREATE TABLE IF NOT EXISTS feed_touched (
  order_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  PRIMARY KEY (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
