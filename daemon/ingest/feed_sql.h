#pragma once
// Every statement a feed load runs (doc/FEEDS.md), in one place. Constant
// text: values are bound or travel in the scratch file segmentd names.

namespace segmentd::feed_sql {

// The session-private staging table of one feed file's rows: kind 'o' an
// order (or charge), 'r' a refund (order_id: the refund's own id,
// customer_id: the charge's).
inline constexpr const char* kCreateStage =
    "CREATE TEMPORARY TABLE segmentd_feed_stage ("
    " line BIGINT UNSIGNED NOT NULL, kind CHAR(1) CHARACTER SET ascii NOT NULL,"
    " order_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, order_key VARCHAR(255) NOT NULL,"
    " customer_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, customer_key VARCHAR(320) NOT NULL,"
    " email VARCHAR(320) NULL, consent BOOLEAN NULL, purchased_at DATETIME NULL, status VARCHAR(64) NOT NULL,"
    " status_counted BOOLEAN NOT NULL, cancelled BOOLEAN NOT NULL, currency CHAR(3) CHARACTER SET ascii NOT NULL,"
    " amount DECIMAL(18,4) NOT NULL, refunded DECIMAL(18,4) NOT NULL, converted_net DECIMAL(18,4) NULL,"
    " exchange_rate DECIMAL(24,10) NULL, PRIMARY KEY (line), KEY (kind, order_id)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
inline constexpr const char* kDropStage = "DROP TEMPORARY TABLE IF EXISTS segmentd_feed_stage";
inline constexpr const char* kStageColumns =
    "line, kind, order_id, order_key, customer_id, customer_key, email, consent, purchased_at, status, "
    "status_counted, cancelled, currency, amount, refunded, converted_net, exchange_rate";
inline constexpr const char* kStageTable = "segmentd_feed_stage";
inline constexpr int kStageColumnCount = 17;

// A key twice in one file: its later lines are rejected.
inline constexpr const char* kRepeatedKeys =
    "SELECT MIN(order_key), MIN(line), GROUP_CONCAT(line ORDER BY line) FROM segmentd_feed_stage "
    "GROUP BY kind, order_id HAVING COUNT(*) > 1 LIMIT ?";
inline constexpr const char* kDeleteStagedLine = "DELETE FROM segmentd_feed_stage WHERE line = ?";

// The base currency the stored values are in.
inline constexpr const char* kReadBase = "SELECT base_currency FROM feed_settings WHERE id = 1 FOR UPDATE";
inline constexpr const char* kSetBase = "INSERT INTO feed_settings (id, base_currency) VALUES (1, ?)";

inline constexpr const char* kClearTouched = "DELETE FROM feed_touched";

// A later file with the same order key replaces the order (a restatement).
inline constexpr const char* kUpsertOrders =
    "INSERT INTO feed_orders (order_id, order_key, feed, customer_id, purchased_at, status, status_counted, "
    "cancelled, currency, amount, refunded, converted_net, exchange_rate, source_line, outcome) "
    "SELECT order_id, order_key, ?, customer_id, purchased_at, status, status_counted, cancelled, currency, amount, "
    "refunded, converted_net, exchange_rate, line, 'pending' FROM segmentd_feed_stage WHERE kind = 'o' "
    "ON DUPLICATE KEY UPDATE order_key = VALUES(order_key), feed = VALUES(feed), customer_id = VALUES(customer_id), "
    "purchased_at = VALUES(purchased_at), status = VALUES(status), status_counted = VALUES(status_counted), "
    "cancelled = VALUES(cancelled), currency = VALUES(currency), amount = VALUES(amount), "
    "refunded = VALUES(refunded), converted_net = VALUES(converted_net), exchange_rate = VALUES(exchange_rate), "
    "source_line = VALUES(source_line)";
inline constexpr const char* kUpsertRefunds =
    "INSERT INTO feed_refunds (refund_id, refund_key, order_id, feed, amount, source_line) "
    "SELECT order_id, order_key, customer_id, ?, amount, line FROM segmentd_feed_stage WHERE kind = 'r' "
    "ON DUPLICATE KEY UPDATE refund_key = VALUES(refund_key), order_id = VALUES(order_id), feed = VALUES(feed), "
    "amount = VALUES(amount), source_line = VALUES(source_line)";
// The file's later rows of a customer win; an absent e-mail or consent
// keeps what an earlier file said.
inline constexpr const char* kUpsertCustomers =
    "INSERT INTO feed_customers (customer_id, customer_key, email, consent, feed) "
    "SELECT customer_id, customer_key, email, consent, ? FROM segmentd_feed_stage WHERE kind = 'o' ORDER BY line "
    "ON DUPLICATE KEY UPDATE customer_key = VALUES(customer_key), "
    "email = COALESCE(VALUES(email), feed_customers.email), "
    "consent = COALESCE(VALUES(consent), feed_customers.consent), feed = VALUES(feed)";
inline constexpr const char* kTouchOrders =
    "INSERT IGNORE INTO feed_touched (order_id) SELECT order_id FROM segmentd_feed_stage WHERE kind = 'o'";
inline constexpr const char* kTouchRefunded =
    "INSERT IGNORE INTO feed_touched (order_id) SELECT customer_id FROM segmentd_feed_stage WHERE kind = 'r'";

// ---- currency rates ----------------------------------------------------------
inline constexpr const char* kCreateRatesStage =
    "CREATE TEMPORARY TABLE segmentd_rates_stage (line BIGINT UNSIGNED NOT NULL, "
    "currency CHAR(3) CHARACTER SET ascii NOT NULL, rate_date DATE NOT NULL, rate DECIMAL(24,10) NOT NULL, "
    "PRIMARY KEY (line), KEY (currency, rate_date)) ENGINE=InnoDB";
inline constexpr const char* kDropRatesStage = "DROP TEMPORARY TABLE IF EXISTS segmentd_rates_stage";
inline constexpr const char* kInsertRateRow =
    "INSERT INTO segmentd_rates_stage (line, currency, rate_date, rate) VALUES (?, ?, ?, ?)";
inline constexpr const char* kRepeatedRates =
    "SELECT CONCAT(currency, ' ', rate_date), MIN(line), GROUP_CONCAT(line ORDER BY line) FROM segmentd_rates_stage "
    "GROUP BY currency, rate_date HAVING COUNT(*) > 1 LIMIT ?";
inline constexpr const char* kDeleteRateLine = "DELETE FROM segmentd_rates_stage WHERE line = ?";
inline constexpr const char* kUpsertRates =
    "INSERT INTO currency_rates (currency, rate_date, rate) SELECT currency, rate_date, rate "
    "FROM segmentd_rates_stage ON DUPLICATE KEY UPDATE rate = VALUES(rate)";
// The orders a new rate can change: of its currency, from its date on.
inline constexpr const char* kTouchRated =
    "INSERT IGNORE INTO feed_touched (order_id) SELECT f.order_id FROM "
    "(SELECT currency, MIN(rate_date) AS since FROM segmentd_rates_stage GROUP BY currency) s "
    "JOIN feed_orders f ON f.currency = s.currency AND f.purchased_at >= s.since";

// ---- computing the touched orders again -----------------------------------
inline constexpr const char* kSumRefunds =
    "UPDATE feed_orders f JOIN feed_touched t ON t.order_id = f.order_id "
    "SET f.refunds = COALESCE((SELECT SUM(r.amount) FROM feed_refunds r WHERE r.order_id = f.order_id), 0)";
// The newest rate on or before the purchase date (bound: the base currency).
inline constexpr const char* kFindRates =
    "UPDATE feed_orders f JOIN feed_touched t ON t.order_id = f.order_id "
    "SET f.rate_date = (SELECT MAX(r.rate_date) FROM currency_rates r "
    "                    WHERE r.currency = f.currency AND r.rate_date <= DATE(f.purchased_at)) "
    "WHERE f.currency <> ?";
// Net = amount - refunded (on the row) - refunds (refund rows), converted
// and rounded to cents once (ROUND of a DECIMAL: half away from zero).
// Bound: the base currency.
inline constexpr const char* kComputeValues =
    "UPDATE feed_orders f JOIN feed_touched t ON t.order_id = f.order_id "
    "LEFT JOIN currency_rates r ON r.currency = f.currency AND r.rate_date = f.rate_date "
    "SET f.value_base = CASE "
    " WHEN f.currency = ? THEN ROUND(f.amount - f.refunded - f.refunds, 2) "
    " WHEN f.converted_net IS NOT NULL AND f.refunds = 0 THEN ROUND(f.converted_net, 2) "
    " WHEN f.converted_net IS NOT NULL AND f.amount - f.refunded <> 0 "
    "  THEN ROUND(f.converted_net * (f.amount - f.refunded - f.refunds) / (f.amount - f.refunded), 2) "
    " WHEN f.exchange_rate IS NOT NULL THEN ROUND((f.amount - f.refunded - f.refunds) / f.exchange_rate, 2) "
    " WHEN r.rate IS NOT NULL THEN ROUND((f.amount - f.refunded - f.refunds) * r.rate, 2) "
    " ELSE NULL END";
inline constexpr const char* kComputeOutcomes =
    "UPDATE feed_orders f JOIN feed_touched t ON t.order_id = f.order_id "
    "SET f.outcome = CASE WHEN f.cancelled THEN 'cancelled' WHEN NOT f.status_counted THEN 'not_counted' "
    "                     WHEN f.value_base IS NULL THEN 'held' ELSE 'counted' END";
// Into the canonical tables the model reads.
inline constexpr const char* kProjectCustomers =
    "INSERT IGNORE INTO customers (customer_id, customer_unique_id) "
    "SELECT DISTINCT f.customer_id, f.customer_id FROM feed_touched t JOIN feed_orders f ON f.order_id = t.order_id";
inline constexpr const char* kProjectOrders =
    "INSERT INTO orders (order_id, customer_id, order_status, order_purchase_timestamp) "
    "SELECT f.order_id, f.customer_id, f.outcome, f.purchased_at "
    "FROM feed_touched t JOIN feed_orders f ON f.order_id = t.order_id "
    "ON DUPLICATE KEY UPDATE customer_id = VALUES(customer_id), order_status = VALUES(order_status), "
    "order_purchase_timestamp = VALUES(order_purchase_timestamp)";
inline constexpr const char* kProjectPayments =
    "INSERT INTO order_payments (order_id, payment_sequential, payment_type, payment_installments, payment_value) "
    "SELECT f.order_id, 1, 'feed', 1, COALESCE(f.value_base, 0) "
    "FROM feed_touched t JOIN feed_orders f ON f.order_id = t.order_id "
    "ON DUPLICATE KEY UPDATE payment_type = VALUES(payment_type), payment_value = VALUES(payment_value)";

// Orders waiting for a rate, by currency (the run's details and the log).
inline constexpr const char* kHeldByCurrency =
    "SELECT currency, COUNT(*) FROM feed_orders WHERE outcome = 'held' GROUP BY currency ORDER BY currency";

}  // namespace segmentd::feed_sql
