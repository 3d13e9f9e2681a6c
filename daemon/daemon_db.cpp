#include "daemon_db.h"

#include "db_session.h"

namespace segmentd {

void apply_segmentation_settings(DbSession& db, const Config& config) {
  std::string statuses;
  for (const auto& s : config.segmentation.counted_statuses) statuses += (statuses.empty() ? "" : ",") + s;
  db.update(
      "UPDATE segmentation_settings SET as_of = ?, counted_statuses = ?, scoring_method = ?, "
      "event_stale_after_days = ?, updated_at = UTC_TIMESTAMP(3) WHERE id = 1",
      {config.segmentation.as_of, statuses, config.segmentation.scoring_method,
       static_cast<std::int64_t>(config.fallback_event.stale_after_days)});
}

void apply_fallback_event(DbSession& db, const FallbackEventConfig& event) {
  // DDL cannot take bound parameters. The interval is a number the config
  // reader validated (1-99999) and a unit from a fixed list; nothing else
  // from the config reaches this statement.
  const std::string every = std::to_string(event.interval_amount) + " " +
                            (event.interval_unit == "MINUTE" ? "MINUTE"
                             : event.interval_unit == "HOUR" ? "HOUR"
                                                             : "DAY");
  db.execute("DROP EVENT IF EXISTS ev_refresh_customer_segments");
  db.execute("CREATE EVENT ev_refresh_customer_segments ON SCHEDULE EVERY " + every +
             " STARTS UTC_TIMESTAMP() + INTERVAL " + every + " ON COMPLETION PRESERVE " +
             (event.enabled ? "ENABLE" : "DISABLE") +
             " COMMENT 'segmentd fallback: refresh RFM segments when segmentd has not'"
             " DO CALL refresh_customer_segments_event()");
}

std::uint64_t abandon_orphaned_runs(DbSession& db) {
  return db.update(
      "UPDATE pipeline_runs SET status = 'abandoned', finished_at = UTC_TIMESTAMP(3), "
      "duration_ms = TIMESTAMPDIFF(MICROSECOND, started_at, UTC_TIMESTAMP(3)) DIV 1000, "
      "message = CONCAT('abandoned: connection ', COALESCE(connection_id, '?'), ' ended without closing this run', "
      "COALESCE(CONCAT(' (was: ', message, ')'), '')) "
      "WHERE status = 'running' AND NOT (connection_id <=> "
      "IS_USED_LOCK(LEFT(CONCAT('segmentd.', kind, '.', DATABASE()), 64)))");
}

void heartbeat_start(DbSession& db, const RunIdentity& who) {
  db.update(
      "UPDATE daemon_heartbeat SET host = ?, pid = ?, segmentd_version = ?, started_at = UTC_TIMESTAMP(3), "
      "last_seen_at = UTC_TIMESTAMP(3), stopped_at = NULL, healthy_for_seconds = ? WHERE id = 1",
      {who.host, static_cast<std::int64_t>(who.pid), who.version, static_cast<std::int64_t>(kHeartbeatSeconds * 5)});
}

void heartbeat_touch(DbSession& db) {
  db.update("UPDATE daemon_heartbeat SET last_seen_at = UTC_TIMESTAMP(3) WHERE id = 1");
}

void heartbeat_stop(DbSession& db) {
  db.update("UPDATE daemon_heartbeat SET stopped_at = UTC_TIMESTAMP(3) WHERE id = 1");
}

std::optional<std::chrono::sys_seconds> last_refresh_started(DbSession& db) {
  DbResult r = db.query(
      // The session time zone is pinned to UTC, so this is the true epoch.
      "SELECT FLOOR(UNIX_TIMESTAMP(MAX(started_at))) FROM pipeline_runs "
      "WHERE kind = 'refresh' AND status IN ('succeeded', 'failed', 'running')");
  if (r.rows.empty() || !r.rows[0][0]) return std::nullopt;
  return std::chrono::sys_seconds{std::chrono::seconds{std::stoll(*r.rows[0][0])}};
}

std::string event_scheduler_state(DbSession& db) {
  DbResult r = db.query("SELECT @@GLOBAL.event_scheduler");
  return r.rows.empty() ? "UNKNOWN" : r.rows[0][0].value_or("UNKNOWN");
}

}  // namespace segmentd
