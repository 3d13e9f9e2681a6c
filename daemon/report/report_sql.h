#pragma once
// The report's queries: each reads one report view (R040) or the tables the
// header needs. The newest successful refresh is the run described. Last,
// the report's own record in the run it was written after.

#include <string>

namespace segmentd::report_sql {

inline constexpr const char* kLatestRun =
    "SELECT run_id, DATE_FORMAT(started_at, '%Y-%m-%d %H:%i:%s'), DATE_FORMAT(finished_at, '%Y-%m-%d %H:%i:%s'), "
    "DATE_FORMAT(as_of_date, '%Y-%m-%d'), customers_segmented, "
    "JSON_UNQUOTE(JSON_EXTRACT(details, '$.scoring_method')), "
    "JSON_UNQUOTE(JSON_EXTRACT(details, '$.counted_statuses')) "
    "FROM pipeline_runs WHERE kind = 'refresh' AND status = 'succeeded' ORDER BY run_id DESC LIMIT 1";
inline constexpr const char* kPreviousRun =
    "SELECT MAX(run_id) FROM pipeline_runs WHERE kind = 'refresh' AND status = 'succeeded' AND run_id < ?";
inline constexpr const char* kWindow =
    "SELECT DATE_FORMAT(MIN(first_purchase_date), '%Y-%m-%d'), DATE_FORMAT(MAX(last_purchase_date), '%Y-%m-%d') "
    "FROM vw_report_cells";
inline constexpr const char* kFilesLoaded = "SELECT COUNT(*) FROM ingested_files WHERE status = 'loaded'";
// The files loaded between the previous successful refresh and this one.
inline constexpr const char* kFilesSince =
    "SELECT original_name FROM ingested_files f "
    "WHERE f.status = 'loaded' AND f.started_at < (SELECT started_at FROM pipeline_runs WHERE run_id = ?) "
    "AND f.started_at >= COALESCE((SELECT started_at FROM pipeline_runs WHERE run_id = ?), TIMESTAMP('1000-01-01')) "
    "ORDER BY f.id LIMIT 200";
inline constexpr const char* kSegments =
    "SELECT segment_name, customers, share_pct, revenue, revenue_share_pct, avg_spend, avg_frequency, "
    "avg_recency_days, description, recommended_action FROM vw_report_segments ORDER BY priority, segment_name";
inline constexpr const char* kHeatmap =
    "SELECT r_score, f_score, customers, avg_monetary FROM vw_report_rf_heatmap ORDER BY r_score, f_score";
inline constexpr const char* kDistribution =
    "SELECT metric, label, customers FROM vw_report_distribution "
    "ORDER BY FIELD(metric, 'recency', 'frequency', 'monetary'), bin";
inline constexpr const char* kMovement =
    "SELECT previous_run_id, from_segment, to_segment, customers FROM vw_segment_transitions "
    "ORDER BY customers DESC, from_segment, to_segment";
inline constexpr const char* kTrend =
    "SELECT t.run_id, DATE_FORMAT(t.started_at, '%Y-%m-%d %H:%i'), t.segment_name, t.customers "
    "FROM vw_report_trend t JOIN (SELECT run_id FROM pipeline_runs WHERE kind = 'refresh' AND status = 'succeeded' "
    "ORDER BY run_id DESC LIMIT ?) AS last ON last.run_id = t.run_id ORDER BY t.run_id, t.segment_name";
inline constexpr const char* kRunFigures =
    "SELECT COALESCE(SUM(customers), 0), COALESCE(SUM(repeat_customers), 0), "
    "COALESCE(SUM(CASE WHEN segment_name = 'Champions' THEN revenue END), 0), "
    "COALESCE(SUM(CASE WHEN segment_name = 'Loyal Customers' THEN revenue END), 0) "
    "FROM segment_run_stats WHERE run_id = ?";
inline constexpr const char* kDataQuality =
    "SELECT files, files_loaded, files_quarantined, rows_loaded, rows_rejected, reference_checks "
    "FROM vw_report_data_quality";

// The predictions section (doc/PREDICTIONS.md).
inline constexpr const char* kPredictionStep =
    "SELECT run_id, status, reason FROM prediction_runs WHERE status <> 'running' ORDER BY run_id DESC LIMIT 1";
inline constexpr const char* kPredictionsRun = "SELECT MAX(run_id) FROM customer_predictions";
// predicted_value_<H>d columns, longest horizon last.
inline constexpr const char* kPredictedValueColumns =
    "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() "
    "AND table_name = 'customer_predictions' AND column_name LIKE 'predicted\\_value\\_%' "
    "ORDER BY CAST(REPLACE(SUBSTRING(column_name, 17), 'd', '') AS UNSIGNED)";
// Both over the value column named by kPredictedValueColumns (a name the
// step made from a whole number, checked again before use).
std::string predictions_by_segment(const std::string& value_column);
std::string valuable_at_risk(const std::string& value_column);

// report.cpp: what became of the report, in the refresh run's details.
inline constexpr const char* kRecordReport =
    "UPDATE pipeline_runs SET details = JSON_SET(COALESCE(details, JSON_OBJECT()), '$.report', JSON_EXTRACT(?, '$')) "
    "WHERE run_id = ?";

}  // namespace segmentd::report_sql
