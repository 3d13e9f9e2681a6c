#pragma once
// Every statement of the prediction step. Values are always bound; the
// only text built at run time is the per-horizon column lists, from the
// validated whole numbers of predictions.horizons_days (predict_sql.cpp).

#include <string>
#include <vector>

namespace segmentd::predict_sql {

// The live results' run and as-of date: the predictions follow them.
inline constexpr const char* kLiveState =
    "SELECT run_id, DATE_FORMAT(as_of, '%Y-%m-%d') FROM segment_state WHERE id = 1";

inline constexpr const char* kStartRun =
    "INSERT INTO prediction_runs (run_id, as_of, status, reason, horizons_days, discount_rate, started_at) "
    "VALUES (?, ?, 'running', '', ?, CAST(? AS DOUBLE), UTC_TIMESTAMP(3)) "
    "ON DUPLICATE KEY UPDATE as_of = VALUES(as_of), status = 'running', reason = '', customers = 0, "
    "repeat_customers = 0, horizons_days = VALUES(horizons_days), discount_rate = VALUES(discount_rate), "
    "started_at = VALUES(started_at), finished_at = NULL, step_timings = NULL";

// Under the predict lock no other step runs: a row still 'running' is one
// whose process was killed or lost its connection.
inline constexpr const char* kCloseInterrupted =
    "UPDATE prediction_runs SET status = 'failed', reason = 'interrupted: its process was killed or lost its "
    "connection', finished_at = UTC_TIMESTAMP(3) WHERE status = 'running' AND run_id <> ?";

inline constexpr const char* kFinishRun =
    "UPDATE prediction_runs SET status = ?, reason = ?, customers = ?, repeat_customers = ?, "
    "finished_at = UTC_TIMESTAMP(3), step_timings = JSON_EXTRACT(?, '$') WHERE run_id = ?";

inline constexpr const char* kDeleteFits = "DELETE FROM prediction_fits WHERE run_id = ?";

inline constexpr const char* kInsertFit =
    "INSERT INTO prediction_fits (run_id, model, r, alpha, a, b, p, q, gamma, log_likelihood, customers, "
    "converged, at_bound, evaluations, stop_reason) VALUES (?, ?, CAST(? AS DOUBLE), CAST(? AS DOUBLE), "
    "CAST(? AS DOUBLE), CAST(? AS DOUBLE), CAST(? AS DOUBLE), CAST(? AS DOUBLE), CAST(? AS DOUBLE), "
    "CAST(? AS DOUBLE), ?, ?, ?, ?, ?)";

inline constexpr const char* kRecordInRun =
    "UPDATE pipeline_runs SET details = JSON_SET(COALESCE(details, JSON_OBJECT()), '$.predictions', "
    "JSON_EXTRACT(?, '$')) WHERE run_id = ?";

inline constexpr const char* kDropScratch =
    "DROP TABLE IF EXISTS prediction_summary_next, prediction_groups_next, customer_predictions_next";

// The papers' summary of the customers with more than one counted order
// (customer_scores.frequency > 1, a few percent of a shop's customers):
// purchase days after as_of left out. A day's spend is the sum of its
// counted orders; the first day's is the tail of MIN('YYYY-MM-DD' || spend).
// A one-order customer's summary needs no orders: x = 0, t_x = 0 and T
// from customer_scores.first_purchase_date.
inline constexpr const char* kCreateSummary =
    "CREATE TABLE prediction_summary_next ("
    "customer_unique_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, "
    "x INT UNSIGNED NOT NULL, t_x INT UNSIGNED NOT NULL, t_days INT UNSIGNED NOT NULL, "
    "repeat_spend DECIMAL(18,6) NULL, PRIMARY KEY (customer_unique_id)) "
    "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

inline constexpr const char* kFillSummary =
    "INSERT INTO prediction_summary_next (customer_unique_id, x, t_x, t_days, repeat_spend) "
    "SELECT d.customer_unique_id, COUNT(*) - 1, DATEDIFF(MAX(d.day), MIN(d.day)), DATEDIFF(?, MIN(d.day)), "
    "IF(COUNT(*) > 1, (SUM(d.spend) - CAST(SUBSTRING(MIN(CONCAT(d.day, d.spend)), 11) AS DECIMAL(18,2))) "
    "/ (COUNT(*) - 1), NULL) "
    "FROM (SELECT o.customer_unique_id, DATE(o.order_date) AS day, SUM(o.order_value) AS spend "
    "FROM customer_scores c JOIN order_values o ON o.customer_unique_id = c.customer_unique_id "
    "WHERE c.frequency > 1 AND o.order_date < DATE_ADD(?, INTERVAL 1 DAY) "
    "GROUP BY o.customer_unique_id, DATE(o.order_date)) AS d "
    "GROUP BY d.customer_unique_id ORDER BY d.customer_unique_id";

// The distinct summaries with their customers: those of the one-order
// customers (by T), then those of the others; the caller merges the two.
inline constexpr const char* kSingleOrderGroups =
    "SELECT 0, 0, d.t_days, COUNT(*) FROM (SELECT DATEDIFF(?, DATE(first_purchase_date)) AS t_days "
    "FROM customer_scores WHERE frequency = 1 AND first_purchase_date < DATE_ADD(?, INTERVAL 1 DAY)) AS d "
    "GROUP BY d.t_days";
inline constexpr const char* kRecencyGroups =
    "SELECT x, t_x, t_days, COUNT(*) FROM prediction_summary_next GROUP BY x, t_x, t_days";

inline constexpr const char* kSpendGroups =
    "SELECT x, repeat_spend, COUNT(*) FROM prediction_summary_next WHERE x > 0 AND repeat_spend > 0 "
    "GROUP BY x, repeat_spend";

// Up to six horizons: e<i> expected purchases, d<i> discounted ones.
inline constexpr int kMaxHorizons = 6;
inline constexpr const char* kCreateGroups =
    "CREATE TABLE prediction_groups_next (x INT UNSIGNED NOT NULL, t_x INT UNSIGNED NOT NULL, "
    "t_days INT UNSIGNED NOT NULL, p_alive DOUBLE NOT NULL, "
    "e1 DOUBLE NULL, d1 DOUBLE NULL, e2 DOUBLE NULL, d2 DOUBLE NULL, e3 DOUBLE NULL, d3 DOUBLE NULL, "
    "e4 DOUBLE NULL, d4 DOUBLE NULL, e5 DOUBLE NULL, d5 DOUBLE NULL, e6 DOUBLE NULL, d6 DOUBLE NULL, "
    "PRIMARY KEY (x, t_x, t_days)) ENGINE=InnoDB";
inline constexpr int kGroupColumns = 4 + 2 * kMaxHorizons;
// INSERT of `rows` groups, kGroupColumns values each.
std::string insert_groups(std::size_t rows);

// The Gamma-Gamma parameters the per-customer spend is computed from, and
// the as-of date the one-order customers' T is counted to.
inline constexpr const char* kSetStepParameters =
    "SET @segmentd_gg_p = CAST(? AS DOUBLE), @segmentd_gg_q = CAST(? AS DOUBLE), "
    "@segmentd_gg_gamma = CAST(? AS DOUBLE), @segmentd_as_of = CAST(? AS DATE)";

std::string create_predictions_next(const std::vector<unsigned>& horizons_days);
std::string fill_one_order_customers(const std::vector<unsigned>& horizons_days);
std::string fill_repeat_customers(const std::vector<unsigned>& horizons_days);
std::string create_predictions_view(const std::vector<unsigned>& horizons_days);
// The view's columns, in order, for the horizons.
std::vector<std::string> view_columns(const std::vector<unsigned>& horizons_days);

inline constexpr const char* kViewColumns =
    "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() "
    "AND table_name = 'vw_customer_predictions' ORDER BY ordinal_position";

// The swap waits this long for a reader's metadata lock (doc/OPERATIONS.md
// "A reader holding the results"), then fails and the previous predictions stay.
inline constexpr const char* kShortLockWait = "SET SESSION lock_wait_timeout = 10";
inline constexpr const char* kDefaultLockWait = "SET SESSION lock_wait_timeout = @@GLOBAL.lock_wait_timeout";
inline constexpr const char* kDropOld = "DROP TABLE IF EXISTS customer_predictions_old";
inline constexpr const char* kSwap =
    "RENAME TABLE customer_predictions TO customer_predictions_old, "
    "customer_predictions_next TO customer_predictions";

}  // namespace segmentd::predict_sql
