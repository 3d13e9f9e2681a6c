#include "daemon_db.h"

#include "connection_facts.h"
#include "db_session.h"
#include "errors.h"
#include "log_event.h"
#include "ops_sql.h"

namespace segmentd {

void apply_segmentation_settings(DbSession& db, const Config& config) {
  std::string statuses;
  for (const auto& s : config.segmentation.counted_statuses) statuses += (statuses.empty() ? "" : ",") + s;
  db.update(ops_sql::kApplySettings, {config.segmentation.as_of, statuses, config.segmentation.scoring_method,
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
  db.execute(ops_sql::kDropFallbackEvent);
  db.execute(ops_sql::create_fallback_event(every, event.enabled));
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
      const auto status = query_value(*node_db, ops_sql::kFallbackEventStatus);
      if (status.value_or("") != "ENABLED") {
        node_db->execute(ops_sql::kWsrepOff);
        node_db->execute(ops_sql::kEnableFallbackEvent);
        node_db->execute(ops_sql::kWsrepOn);
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
  const DbValue live = query_value(db, ops_sql::kLiveResultsRun);
  return live ? std::stoull(*live) : 0;
}

}  // namespace

OrphanedRuns close_orphaned_runs(DbSession& db) {
  OrphanedRuns out;
  if (const std::uint64_t run = live_results_run(db); run != 0) {
    out.succeeded_after_swap = db.update(ops_sql::kSucceededAfterSwapOrphaned, {static_cast<std::int64_t>(run)});
  }
  out.abandoned = db.update(ops_sql::kAbandonOrphanedRuns);
  return out;
}

std::uint64_t close_runs_of_earlier_leaders(DbSession& db, std::uint64_t epoch) {
  const auto bound = static_cast<std::int64_t>(epoch);
  std::uint64_t closed = 0;
  if (const std::uint64_t run = live_results_run(db); run != 0) {
    closed += db.update(ops_sql::kSucceededAfterSwapOfEarlierLeader, {static_cast<std::int64_t>(run), bound});
  }
  return closed + db.update(ops_sql::kAbandonRunsOfEarlierLeaders, {bound, bound});
}

std::optional<std::string> refresh_owed(DbSession& db) {
  DbResult r = db.query(ops_sql::kNewestLoadAfterRefresh);
  if (r.rows.empty()) return std::nullopt;
  const auto& row = r.rows.front();
  return "file #" + row[0].value_or("?") + " (" + row[1].value_or("") + ") was loaded at " + row[2].value_or("?") +
         " UTC, " + (row[3] ? "after refresh run " + *row[3] + " started" : "and no refresh has succeeded yet");
}

void heartbeat_start(DbSession& db, const RunIdentity& who) {
  db.update(ops_sql::kHeartbeatStart, {who.host, static_cast<std::int64_t>(who.pid), who.version,
                                       static_cast<std::int64_t>(kHeartbeatSeconds * 5)});
}

void heartbeat_touch(DbSession& db) {
  db.update(ops_sql::kHeartbeatTouch);
}

void heartbeat_stop(DbSession& db) {
  db.update(ops_sql::kHeartbeatStop);
}

std::optional<std::chrono::sys_seconds> last_refresh_started(DbSession& db) {
  const DbValue v = query_value(db,
                                // The session time zone is pinned to UTC, so this is the true epoch.
                                ops_sql::kLastRefreshStarted);
  if (!v) return std::nullopt;
  return std::chrono::sys_seconds{std::chrono::seconds{std::stoll(*v)}};
}

std::optional<double> last_refresh_succeeded(DbSession& db) {
  const DbValue v = query_value(db, ops_sql::kLastRefreshSucceeded);
  if (!v) return std::nullopt;
  return std::stod(*v);
}

std::string event_scheduler_state(DbSession& db) {
  return query_value(db, ops_sql::kEventScheduler).value_or("UNKNOWN");
}

}  // namespace segmentd
