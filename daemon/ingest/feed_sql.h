#pragma once
// Every statement a feed load runs (doc/FEEDS.md), in one place. Constant
// text: values are bound or travel in the scratch file segmentd names.

#include <string>

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
    " exchange_rate DECIMAL(24,10) NULL, refunds DECIMAL(18,4) NOT NULL DEFAULT 0, rate_date DATE NULL,"
    " value_base DECIMAL(14,2) NULL, outcome VARCHAR(16) CHARACTER SET ascii NULL,"
    " PRIMARY KEY (line), KEY (kind, order_id)"
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
inline constexpr const char* kReadBase = "SELECT base_currency FROM feed_settings WHERE id = 1";
// The first feed load records it; later ones find it there.
inline constexpr const char* kSetBase = "INSERT IGNORE INTO feed_settings (id, base_currency) VALUES (1, ?)";

inline constexpr const char* kClearTouched = "DELETE FROM feed_touched";

// A later file with the same order key replaces the order (a restatement):
// the stage's rows, computed (compute_orders), as they are. Bound: the feed.
std::string insert_orders(bool into_empty);
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
// Charges of earlier files that this file's refund rows reduce.
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

// ---- computing orders -------------------------------------------------------
// The feed's rules (doc/FEEDS.md "The rules") over the staged orders of a
// file (`staged`), or over the stored orders a later file touched
// (feed_touched): refunds, rate date, value and outcome. Bound: the base
// currency, twice.
std::string compute_orders(bool staged);

// Into the canonical tables the model reads: the file's orders from the
// stage, the touched ones from feed_orders; `into_empty`: plain inserts
// into tables that have no rows.
std::string project_customers(bool staged, bool into_empty);
std::string project_orders(bool staged, bool into_empty);
std::string project_payments(bool staged, bool into_empty);

// Whether the canonical tables a feed writes, and feed_orders, hold any
// row (1) or are all empty (0). EXISTS stops at a table's first row; a
// UNION ALL ... LIMIT 1 read every row of each (4 M rows, 0.43 s, at 10x).
inline constexpr const char* kAnyCanonicalRow =
    "SELECT EXISTS (SELECT 1 FROM orders) OR EXISTS (SELECT 1 FROM customers) "
    "OR EXISTS (SELECT 1 FROM order_payments) OR EXISTS (SELECT 1 FROM feed_orders)";
// Orders waiting for a rate, by currency (the run's details and the log).
inline constexpr const char* kHeldByCurrency =
    "SELECT currency, COUNT(*) FROM feed_orders WHERE outcome = 'held' GROUP BY currency ORDER BY currency";

}  // namespace segmentd::feed_sql
