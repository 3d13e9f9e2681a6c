#include "daemon_db.h"

#include "connection_facts.h"
#include "db_session.h"
#include "errors.h"
#include "log_event.h"

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

std::vector<EventNode> enable_event_on_every_node(DbSession& db, const DatabaseConfig& database,
                                                  const FallbackEventConfig& event) {
  std::vector<EventNode> out;
  if (!event.enabled || database.hosts.size() < 2 || !galera_node(db)) return out;
  for (const auto& host : database.hosts) {
    DatabaseConfig one = database;
    one.hosts = {host};
    EventNode node{describe_endpoint(one), false, {}};
    try {
      auto node_db = connect_database(one);
      const auto status = query_value(*node_db,
                                      "SELECT STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() "
                                      "AND EVENT_NAME = 'ev_refresh_customer_segments'");
      if (status.value_or("") != "ENABLED") {
        node_db->execute("SET SESSION wsrep_on = OFF");
        node_db->execute("ALTER EVENT ev_refresh_customer_segments ENABLE");
        node_db->execute("SET SESSION wsrep_on = ON");
      }
      node.enabled = true;
    } catch (const Error& e) {
      node.error = e.what();
    }
    out.push_back(std::move(node));
  }
  return out;
}

void log_event_nodes(const std::vector<EventNode>& nodes) {
  for (const auto& n : nodes) {
    log_event(n.enabled ? spdlog::level::info : spdlog::level::warn, "event.node",
              {{"endpoint", n.endpoint}, {"enabled", n.enabled ? "yes" : "no"}, {"error", n.error}});
  }
}

namespace {

// The run whose results are live (segment_state, V015: swapped in with
// them); 0 when none is.
std::uint64_t live_results_run(DbSession& db) {
  const DbValue live = query_value(db, "SELECT run_id FROM segment_state WHERE id = 1");
  return live ? std::stoull(*live) : 0;
}

// The run row of a refresh that died between its swap and its success row.
constexpr const char* kSucceededAfterSwap =
    "UPDATE pipeline_runs SET status = 'succeeded', finished_at = UTC_TIMESTAMP(3), "
    "duration_ms = TIMESTAMPDIFF(MICROSECOND, started_at, UTC_TIMESTAMP(3)) DIV 1000, "
    "customers_segmented = (SELECT COUNT(*) FROM customer_segments), "
    "message = CONCAT('the swap was done (customer_segments holds this run''s results); connection ', "
    "COALESCE(connection_id, '?'), ' ended before the run was recorded') "
    "WHERE run_id = ? AND kind = 'refresh' AND status = 'running' ";

}  // namespace

OrphanedRuns close_orphaned_runs(DbSession& db) {
  OrphanedRuns out;
  if (const std::uint64_t run = live_results_run(db); run != 0) {
    out.succeeded_after_swap =
        db.update(std::string(kSucceededAfterSwap) +
                      "AND NOT (connection_id <=> "
                      "IS_USED_LOCK(LEFT(CONCAT('segmentd.refresh.', DATABASE()), 64))) "
                      "AND (server_node IS NULL OR server_node = CONCAT(@@hostname, ':', @@port))",
                  {static_cast<std::int64_t>(run)});
  }
  out.abandoned = db.update(
      "UPDATE pipeline_runs SET status = 'abandoned', finished_at = UTC_TIMESTAMP(3), "
      "duration_ms = TIMESTAMPDIFF(MICROSECOND, started_at, UTC_TIMESTAMP(3)) DIV 1000, "
      "message = CONCAT('abandoned: connection ', COALESCE(connection_id, '?'), ' ended without closing this run', "
      "COALESCE(CONCAT(' (was: ', message, ')'), '')) "
      "WHERE status = 'running' AND NOT (connection_id <=> "
      "IS_USED_LOCK(LEFT(CONCAT('segmentd.', kind, '.', DATABASE()), 64))) "
      // A run on another server of a cluster holds that server's lock,
      // which this one cannot see (V012).
      "AND (server_node IS NULL OR server_node = CONCAT(@@hostname, ':', @@port))");
  return out;
}

std::uint64_t close_runs_of_earlier_leaders(DbSession& db, std::uint64_t epoch) {
  const auto bound = static_cast<std::int64_t>(epoch);
  std::uint64_t closed = 0;
  if (const std::uint64_t run = live_results_run(db); run != 0) {
    closed +=
        db.update(std::string(kSucceededAfterSwap) + "AND lease_epoch <= ?", {static_cast<std::int64_t>(run), bound});
  }
  return closed + db.update(
                      "UPDATE pipeline_runs SET status = 'abandoned', finished_at = UTC_TIMESTAMP(3), "
                      "duration_ms = TIMESTAMPDIFF(MICROSECOND, started_at, UTC_TIMESTAMP(3)) DIV 1000, "
                      "message = CONCAT('abandoned: its daemon lost the lease or the session (epoch ', lease_epoch, '; "
                      "epoch ', ?, "
                      "' leads now)', "
                      "COALESCE(CONCAT(' (was: ', message, ')'), '')) "
                      "WHERE status = 'running' AND lease_epoch <= ?",
                      {bound, bound});
}

std::optional<std::string> refresh_owed(DbSession& db) {
  DbResult r = db.query(
      "SELECT f.id, f.original_name, DATE_FORMAT(f.finished_at, '%Y-%m-%d %H:%i:%s'), newest.run_id "
      "FROM ingested_files f "
      "LEFT JOIN (SELECT run_id, started_at FROM pipeline_runs WHERE kind = 'refresh' AND status = 'succeeded' "
      "           ORDER BY started_at DESC, run_id DESC LIMIT 1) AS newest ON TRUE "
      "WHERE f.status = 'loaded' AND (newest.run_id IS NULL OR f.finished_at >= newest.started_at) "
      "ORDER BY f.id DESC LIMIT 1");
  if (r.rows.empty()) return std::nullopt;
  const auto& row = r.rows.front();
  return "file #" + row[0].value_or("?") + " (" + row[1].value_or("") + ") was loaded at " + row[2].value_or("?") +
         " UTC, " + (row[3] ? "after refresh run " + *row[3] + " started" : "and no refresh has succeeded yet");
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
  const DbValue v = query_value(db,
                                // The session time zone is pinned to UTC, so this is the true epoch.
                                "SELECT FLOOR(UNIX_TIMESTAMP(MAX(started_at))) FROM pipeline_runs "
                                "WHERE kind = 'refresh' AND status IN ('succeeded', 'failed', 'running')");
  if (!v) return std::nullopt;
  return std::chrono::sys_seconds{std::chrono::seconds{std::stoll(*v)}};
}

std::string event_scheduler_state(DbSession& db) {
  return query_value(db, "SELECT @@GLOBAL.event_scheduler").value_or("UNKNOWN");
}

}  // namespace segmentd
