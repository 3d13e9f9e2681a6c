#pragma once
// Every statement of the ops subsystem (the daemon's own bookkeeping,
// status, history), in one place. Values are always bound; the only text
// built here is the fallback event's DDL, from numbers and words the config
// reader validated (DDL takes no parameters).

#include <string>

namespace segmentd::ops_sql {

// ---- daemon_db.cpp: settings, the fallback event, orphaned runs, heartbeat

inline constexpr const char* kApplySettings =
    "UPDATE segmentation_settings SET as_of = ?, counted_statuses = ?, scoring_method = ?, "
    "event_stale_after_days = ?, updated_at = UTC_TIMESTAMP(3) WHERE id = 1";

inline constexpr const char* kFallbackEventStatus =
    "SELECT STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() "
    "AND EVENT_NAME = 'ev_refresh_customer_segments'";

inline constexpr const char* kWsrepOff = "SET SESSION wsrep_on = OFF";

inline constexpr const char* kEnableFallbackEvent = "ALTER EVENT ev_refresh_customer_segments ENABLE";

inline constexpr const char* kWsrepOn = "SET SESSION wsrep_on = ON";

inline constexpr const char* kLiveResultsRun = "SELECT run_id FROM segment_state WHERE id = 1";

// A run on another server of a cluster holds that server's lock,
// which this one cannot see (V012).
inline constexpr const char* kAbandonOrphanedRuns =
    "UPDATE pipeline_runs SET status = 'abandoned', finished_at = UTC_TIMESTAMP(3), "
    "duration_ms = TIMESTAMPDIFF(MICROSECOND, started_at, UTC_TIMESTAMP(3)) DIV 1000, "
    "message = CONCAT('abandoned: connection ', COALESCE(connection_id, '?'), ' ended without closing this run', "
    "COALESCE(CONCAT(' (was: ', message, ')'), '')) "
    "WHERE status = 'running' AND NOT (connection_id <=> "
    "IS_USED_LOCK(LEFT(CONCAT('segmentd.', kind, '.', DATABASE()), 64))) "
    "AND (server_node IS NULL OR server_node = CONCAT(@@hostname, ':', @@port))";

inline constexpr const char* kAbandonRunsOfEarlierLeaders =
    "UPDATE pipeline_runs SET status = 'abandoned', finished_at = UTC_TIMESTAMP(3), "
    "duration_ms = TIMESTAMPDIFF(MICROSECOND, started_at, UTC_TIMESTAMP(3)) DIV 1000, "
    "message = CONCAT('abandoned: its daemon lost the lease or the session (epoch ', lease_epoch, '; "
    "epoch ', ?, "
    "' leads now)', "
    "COALESCE(CONCAT(' (was: ', message, ')'), '')) "
    "WHERE status = 'running' AND lease_epoch <= ?";

inline constexpr const char* kNewestLoadAfterRefresh =
    "SELECT f.id, f.original_name, DATE_FORMAT(f.finished_at, '%Y-%m-%d %H:%i:%s'), newest.run_id "
    "FROM ingested_files f "
    "LEFT JOIN (SELECT run_id, started_at FROM pipeline_runs WHERE kind = 'refresh' AND status = 'succeeded' "
    "           ORDER BY started_at DESC, run_id DESC LIMIT 1) AS newest ON TRUE "
    "WHERE f.status = 'loaded' AND (newest.run_id IS NULL OR f.finished_at >= newest.started_at) "
    "ORDER BY f.id DESC LIMIT 1";

inline constexpr const char* kHeartbeatStart =
    "UPDATE daemon_heartbeat SET host = ?, pid = ?, segmentd_version = ?, started_at = UTC_TIMESTAMP(3), "
    "last_seen_at = UTC_TIMESTAMP(3), stopped_at = NULL, healthy_for_seconds = ? WHERE id = 1";

inline constexpr const char* kHeartbeatTouch =
    "UPDATE daemon_heartbeat SET last_seen_at = UTC_TIMESTAMP(3) WHERE id = 1";

inline constexpr const char* kHeartbeatStop = "UPDATE daemon_heartbeat SET stopped_at = UTC_TIMESTAMP(3) WHERE id = 1";

inline constexpr const char* kLastRefreshStarted =
    "SELECT FLOOR(UNIX_TIMESTAMP(MAX(started_at))) FROM pipeline_runs "
    "WHERE kind = 'refresh' AND status IN ('succeeded', 'failed', 'running')";

// The session time zone is pinned to UTC, so this is the true epoch.
inline constexpr const char* kLastRefreshSucceeded =
    "SELECT UNIX_TIMESTAMP(MAX(finished_at)) FROM pipeline_runs WHERE kind = 'refresh' AND status = 'succeeded'";

inline constexpr const char* kEventScheduler = "SELECT @@GLOBAL.event_scheduler";

// The run row of a refresh that died between its swap and its success row;
// completed by one of the two conditions below.
inline constexpr const char* kSucceededAfterSwap =
    "UPDATE pipeline_runs SET status = 'succeeded', finished_at = UTC_TIMESTAMP(3), "
    "duration_ms = TIMESTAMPDIFF(MICROSECOND, started_at, UTC_TIMESTAMP(3)) DIV 1000, "
    "customers_segmented = (SELECT COUNT(*) FROM customer_segments), "
    "message = CONCAT('the swap was done (customer_segments holds this run''s results); connection ', "
    "COALESCE(connection_id, '?'), ' ended before the run was recorded') "
    "WHERE run_id = ? AND kind = 'refresh' AND status = 'running' ";
// ... when its connection no longer holds the refresh lock, on this server.
inline const std::string kSucceededAfterSwapOrphaned =
    std::string(kSucceededAfterSwap) +
    "AND NOT (connection_id <=> IS_USED_LOCK(LEFT(CONCAT('segmentd.refresh.', DATABASE()), 64))) "
    "AND (server_node IS NULL OR server_node = CONCAT(@@hostname, ':', @@port))";
// ... when it ran under a lease epoch no later than the new leader's.
inline const std::string kSucceededAfterSwapOfEarlierLeader = std::string(kSucceededAfterSwap) + "AND lease_epoch <= ?";

inline constexpr const char* kDropFallbackEvent = "DROP EVENT IF EXISTS ev_refresh_customer_segments";
// CREATE EVENT for `every` ("N MINUTE|HOUR|DAY", validated by the caller).
std::string create_fallback_event(const std::string& every, bool enabled);

// ---- history.cpp

// JSON columns as text: MySQL 8 sends JSON as its own type, which the
// connector's prepared-statement results cannot bind (doc/CONFIGURATION.md "MySQL").
inline constexpr const char* kHistoryColumns =
    "SELECT run_id, kind, `trigger`, status, DATE_FORMAT(started_at, '%Y-%m-%d %H:%i:%s.%f'), "
    "DATE_FORMAT(finished_at, '%Y-%m-%d %H:%i:%s.%f'), duration_ms, started_by, host, pid, segmentd_version, "
    "customers_segmented, CAST(segment_counts AS CHAR), CAST(step_timings AS CHAR), CAST(details AS CHAR), "
    "message FROM pipeline_runs";

// ---- status_report.cpp

inline constexpr const char* kReplicaStatus = "SHOW SLAVE STATUS";

inline constexpr const char* kLastRetentionRun =
    "SELECT run_id, status, DATE_FORMAT(started_at, '%Y-%m-%d %H:%i:%s'), message FROM pipeline_runs "
    "WHERE kind = 'retention' ORDER BY run_id DESC LIMIT 1";

inline constexpr const char* kServerVersion = "SELECT VERSION()";

inline constexpr const char* kFallbackEvent =
    "SELECT status, interval_value, interval_field FROM information_schema.EVENTS "
    "WHERE event_schema = DATABASE() AND event_name = 'ev_refresh_customer_segments'";

inline constexpr const char* kHeartbeat =
    "SELECT host, pid, DATE_FORMAT(last_seen_at, '%Y-%m-%d %H:%i:%s'), "
    "last_seen_at >= UTC_TIMESTAMP(3) - INTERVAL healthy_for_seconds SECOND AND stopped_at IS NULL "
    "FROM daemon_heartbeat WHERE id = 1";

inline constexpr const char* kLastRunOfEachTrigger =
    "SELECT r.kind, r.`trigger`, r.run_id, r.status, DATE_FORMAT(r.started_at, '%Y-%m-%d %H:%i:%s'), r.message "
    "FROM pipeline_runs r JOIN (SELECT kind, `trigger`, MAX(run_id) AS run_id FROM pipeline_runs "
    "GROUP BY kind, `trigger`) m ON m.run_id = r.run_id ORDER BY r.kind, r.`trigger`";

}  // namespace segmentd::ops_sql
