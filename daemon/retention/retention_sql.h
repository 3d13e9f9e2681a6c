#pragma once
// Every statement retention runs. Cut-off times are bound parameters
// (UTC 'YYYY-MM-DD HH:MM:SS', computed from the pass's clock), and each
// DELETE names its rows by key, so a batch is deterministic for statement
// replication and holds its row locks only for its own autocommit.

#include <string>

namespace segmentd::retention_sql {

inline constexpr const char* kInsertRun =
    "INSERT INTO pipeline_runs (kind, `trigger`, status, started_at, started_by, host, pid, segmentd_version, "
    "connection_id, server_node, lease_epoch) VALUES ('retention', ?, 'running', UTC_TIMESTAMP(3), ?, ?, ?, ?, "
    "CONNECTION_ID(), CONCAT(@@hostname, ':', @@port), @segmentd_lease_epoch)";
inline constexpr const char* kProgress = "UPDATE pipeline_runs SET details = ? WHERE run_id = ?";
inline constexpr const char* kFinishRun =
    "UPDATE pipeline_runs SET status = ?, finished_at = UTC_TIMESTAMP(3), "
    "duration_ms = TIMESTAMPDIFF(MICROSECOND, started_at, UTC_TIMESTAMP(3)) DIV 1000, details = ?, message = ? "
    "WHERE run_id = ?";
inline constexpr const char* kSkippedRun =
    "INSERT INTO pipeline_runs (kind, `trigger`, status, started_at, finished_at, duration_ms, started_by, host, "
    "pid, segmentd_version, connection_id, server_node, message) VALUES ('retention', ?, 'skipped', "
    "UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), 0, ?, ?, ?, ?, CONNECTION_ID(), CONCAT(@@hostname, ':', @@port), ?)";

// Each run that has history (V014), with what pipeline_runs says of it
// (NULLs when its row is gone): those with a segment_history_runs row, and
// any whose refresh died leaving changes but no such row. DISTINCT over
// the key's first column reads the index only.
inline constexpr const char* kHistoryRuns =
    "SELECT h.run_id, p.kind, p.status, FLOOR(UNIX_TIMESTAMP(p.started_at)) "
    "FROM (SELECT run_id FROM segment_history_runs UNION SELECT DISTINCT run_id FROM customer_segment_changes) AS h "
    "LEFT JOIN pipeline_runs p ON p.run_id = h.run_id ORDER BY h.run_id";
// The two runs vw_segment_transitions compares.
inline constexpr const char* kComparedRuns =
    "SELECT run_id FROM pipeline_runs WHERE kind = 'refresh' AND status = 'succeeded' ORDER BY run_id DESC LIMIT 2";
// The key at which a batch of a run's history ends (none: the rest fits).
inline constexpr const char* kHistoryBatchEnd =
    "SELECT customer_unique_id FROM customer_segment_changes WHERE run_id = ? "
    "ORDER BY customer_unique_id LIMIT 1 OFFSET ?";
// Before a kept run's changes go, those the next kept run does not
// supersede move to it, so every later run's state stays what it was. A
// departure is carried only when an earlier kept run may still hold the
// customer. Parameters: the next run, the run, the batch's last key when
// `up_to_key`, the next run again. Carrying and deleting are two
// statements: one cut off between them left rows that the next pass
// carries no second time (the NOT EXISTS) and deletes.
inline std::string carry_forward(bool up_to_key, bool departures) {
  return std::string(
             "INSERT INTO customer_segment_changes "
             "(run_id, customer_unique_id, r_score, f_score, m_score, rfm_code, segment_name) "
             "SELECT ?, c.customer_unique_id, c.r_score, c.f_score, c.m_score, c.rfm_code, c.segment_name "
             "FROM customer_segment_changes c WHERE c.run_id = ? ") +
         (up_to_key ? "AND c.customer_unique_id <= ? " : "") + (departures ? "" : "AND c.segment_name IS NOT NULL ") +
         "AND NOT EXISTS (SELECT 1 FROM customer_segment_changes x "
         "WHERE x.run_id = ? AND x.customer_unique_id = c.customer_unique_id)";
}
inline constexpr const char* kDeleteHistoryUpTo =
    "DELETE FROM customer_segment_changes WHERE run_id = ? AND customer_unique_id <= ?";
inline constexpr const char* kDeleteHistoryRest = "DELETE FROM customer_segment_changes WHERE run_id = ?";
inline constexpr const char* kDeleteHistoryRun = "DELETE FROM segment_history_runs WHERE run_id = ?";
// A run's report figures (V010) go with its history; its six-row
// segment_run_stats stay with its run row, for the report's trend.
inline constexpr const char* kDeleteRunCells = "DELETE FROM segment_run_cells WHERE run_id = ?";
inline constexpr const char* kDeleteRunTransitions = "DELETE FROM segment_run_transitions WHERE run_id = ?";
inline constexpr const char* kCountHistory = "SELECT COUNT(*) FROM customer_segment_changes WHERE run_id = ?";
inline constexpr const char* kHasHistoryRun = "SELECT COUNT(*) FROM segment_history_runs WHERE run_id = ?";

// Ledger rows started before the cut-off, after the cursor; never a loaded
// file that no successful refresh has seen yet (refresh_owed reads those).
inline constexpr const char* kLedgerCandidates =
    "SELECT id, original_name FROM ingested_files "
    "WHERE id > ? AND started_at < ? "
    "AND NOT (status = 'loaded' AND finished_at >= COALESCE((SELECT MAX(started_at) FROM pipeline_runs "
    "  WHERE kind = 'refresh' AND status = 'succeeded'), TIMESTAMP('1000-01-01'))) "
    "ORDER BY id LIMIT ?";

// Runs started before the cut-off, after the cursor, that are not running
// and that nothing kept points at: history still present, a ledger row.
inline constexpr const char* kRunCandidates =
    "SELECT p.run_id FROM pipeline_runs p "
    "WHERE p.run_id > ? AND p.started_at < ? AND p.status <> 'running' "
    "AND NOT EXISTS (SELECT 1 FROM segment_history_runs h WHERE h.run_id = p.run_id) "
    "AND NOT EXISTS (SELECT 1 FROM customer_segment_changes h WHERE h.run_id = p.run_id) "
    "AND NOT EXISTS (SELECT 1 FROM ingested_files f WHERE f.run_id = p.run_id) "
    "ORDER BY p.run_id LIMIT ?";
// The newest run of each kind, and the newest successful one: what status,
// the catch-up and the last-success metric read.
inline constexpr const char* kNewestRuns =
    "SELECT MAX(run_id) FROM pipeline_runs GROUP BY kind "
    "UNION SELECT MAX(run_id) FROM pipeline_runs WHERE status = 'succeeded' GROUP BY kind";

}  // namespace segmentd::retention_sql

#include <cstddef>
#include <string>

namespace segmentd::retention_sql {

// "(?, ?, ...)" with n placeholders: the ids themselves are bound.
inline std::string placeholders(std::size_t n) {
  std::string out = "(";
  for (std::size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out + ")";
}
inline std::string delete_runs(std::size_t n) {
  return "DELETE FROM pipeline_runs WHERE status <> 'running' AND run_id IN " + placeholders(n);
}
// The per-segment figures of the runs just removed (a running run keeps its
// row, so the check for the row).
inline std::string delete_run_stats(std::size_t n) {
  return "DELETE FROM segment_run_stats WHERE run_id IN " + placeholders(n) +
         " AND NOT EXISTS (SELECT 1 FROM pipeline_runs p WHERE p.run_id = segment_run_stats.run_id)";
}
// The prediction steps of the runs just removed (doc/PREDICTIONS.md), but
// those of the predictions still in place, whose fit explain and the
// report read.
inline std::string delete_prediction_rows(const char* table, std::size_t n) {
  return std::string("DELETE FROM ") + table + " WHERE run_id IN " + placeholders(n) +
         " AND NOT EXISTS (SELECT 1 FROM pipeline_runs p WHERE p.run_id = " + table + ".run_id)" +
         " AND run_id <> COALESCE((SELECT c.run_id FROM customer_predictions c LIMIT 1), 0)";
}
inline std::string delete_ledger_rows(std::size_t n) {
  return "DELETE FROM ingested_files WHERE id IN " + placeholders(n);
}

}  // namespace segmentd::retention_sql
