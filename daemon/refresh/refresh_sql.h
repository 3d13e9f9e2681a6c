#pragma once
// Every statement of the refresh subsystem (running the procedure, the
// figures read after it, the export set), in one place. Values are always
// bound; the refresh's own parameters travel as session variables set by a
// prepared SET.

#include <string>
#include <vector>

namespace segmentd::refresh_sql {

// ---- refresh.cpp

inline constexpr const char* kReadRun =
    "SELECT run_id, status, customers_segmented, message, JSON_VALUE(step_timings, '$.swap_wait_ms') "
    "FROM pipeline_runs WHERE run_id = ?";

inline constexpr const char* kRecordedRun = "SELECT @segmentd_run_id";

inline constexpr const char* kNewestSuccessfulRefresh =
    "SELECT MAX(run_id) FROM pipeline_runs WHERE kind = 'refresh' AND status = 'succeeded'";

inline constexpr const char* kSetRefreshParameters =
    "SET @segmentd_run_id = NULL, @segmentd_p_trigger = ?, @segmentd_p_by = ?, @segmentd_p_host = ?, "
    "@segmentd_p_pid = ?, @segmentd_p_version = ?, @segmentd_p_mode = ?";

inline constexpr const char* kCallRefresh =
    "CALL segmentd_refresh_run(@segmentd_p_trigger, @segmentd_p_by, @segmentd_p_host, @segmentd_p_pid, "
    "@segmentd_p_version, @segmentd_p_mode)";

// After a CALL that failed: the lock the procedure may not have reached its
// own release of (read-only servers refuse its clean-up, not this).
inline constexpr const char* kReleaseRefreshLock = "DO RELEASE_LOCK(LEFT(CONCAT('segmentd.refresh.', DATABASE()), 64))";
inline constexpr const char* kTakeRefreshLock = "SELECT GET_LOCK(LEFT(CONCAT('segmentd.refresh.', DATABASE()), 64), 0)";
inline constexpr const char* kUndoRefresh = "CALL segmentd_refresh_undo(?, ?)";

inline constexpr const char* kSegmentSizes =
    "SELECT r.segment_name, (SELECT COUNT(*) FROM customer_segments c WHERE c.segment_name = r.segment_name) "
    "FROM rfm_segment_rules r GROUP BY r.segment_name";

inline constexpr const char* kTransitionCounts =
    "SELECT COUNT(*), COALESCE(SUM(customers), 0), COALESCE(SUM(IF(from_segment <> to_segment, customers, 0)), 0) "
    "FROM segment_run_transitions WHERE run_id = ? AND previous_run_id = ? "
    "AND from_segment <> '(new)' AND to_segment <> '(gone)'";

inline constexpr const char* kShiftFromHistory =
    "SELECT COUNT(*), COALESCE(SUM(p.segment_name <> c.segment_name), 0) FROM vw_customer_segment_at_run c "
    "JOIN vw_customer_segment_at_run p ON p.run_id = ? AND p.customer_unique_id = c.customer_unique_id "
    "WHERE c.run_id = ?";

// ---- exports.cpp: the five deliverables and the run's record of them

inline constexpr const char* kFinalCustomerSegments =
    "SELECT customer_unique_id, first_purchase_date, last_purchase_date, recency_days, frequency, monetary, "
    "r_score, f_score, m_score, rfm_code, segment_name FROM customer_segments ORDER BY customer_unique_id";

inline constexpr const char* kCustomerRfmScores =
    "SELECT customer_unique_id, recency_days, frequency, monetary, r_score, f_score, m_score, rfm_code "
    "FROM customer_rfm ORDER BY customer_unique_id";

inline constexpr const char* kSegmentSummary =
    "SELECT s.segment_name, COUNT(*) AS customer_count, ROUND(AVG(s.monetary), 2) AS avg_spend, "
    "ROUND(AVG(s.frequency), 2) AS avg_freq, ROUND(AVG(s.recency_days)) AS avg_recency, "
    "MAX(r.description) AS description, MAX(r.recommended_action) AS recommended_action "
    "FROM customer_segments s LEFT JOIN (SELECT x.segment_name, x.description, x.recommended_action "
    "FROM rfm_segment_rules x JOIN (SELECT segment_name, MIN(priority) AS priority FROM rfm_segment_rules "
    "GROUP BY segment_name) AS first_rule ON first_rule.priority = x.priority) AS r "
    "ON r.segment_name = s.segment_name "
    "GROUP BY s.segment_name ORDER BY customer_count DESC, s.segment_name";

inline constexpr const char* kIntermediateOrderValues =
    "SELECT order_id, customer_id, order_status, order_date, items_total, payments_total "
    "FROM order_values ORDER BY order_date, order_id";

inline constexpr const char* kBiViewCustomerSegments =
    "SELECT s.customer_unique_id, s.segment_name, s.r_score, s.f_score, s.m_score, s.rfm_code, s.monetary, "
    "s.recency_days, s.frequency FROM vw_customer_segments s ORDER BY s.segment_name, s.customer_unique_id";

// The prediction columns vw_customer_predictions has now (they follow
// predictions.horizons_days: doc/PREDICTIONS.md "Where it shows").
inline constexpr const char* kPredictionColumns =
    "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() "
    "AND table_name = 'vw_customer_predictions' AND column_name NOT IN ('customer_unique_id', 'run_id') "
    "ORDER BY ordinal_position";

// kBiViewCustomerSegments with those columns appended (empty for a
// customer without predictions). `columns` are names read from
// information_schema that passed is_plain_column_name().
std::string bi_view_with_predictions(const std::vector<std::string>& columns);
bool is_plain_column_name(const std::string& name);

inline constexpr const char* kRecordExport =
    "UPDATE pipeline_runs SET details = JSON_SET(COALESCE(details, JSON_OBJECT()), '$.export', JSON_EXTRACT(?, '$')) "
    "WHERE run_id = ?";

}  // namespace segmentd::refresh_sql
