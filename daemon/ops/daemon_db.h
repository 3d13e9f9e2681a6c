#pragma once
// What the daemon keeps in the database besides data and runs: the
// segmentation settings and the fallback event from its config, its
// heartbeat, and the clean-up of runs a crashed process left 'running'.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "run_identity.h"

namespace segmentd {

class DbSession;

// Writes config.segmentation and the event's stale-after days into
// segmentation_settings, so refreshes started by the event use them too.
void apply_segmentation_settings(DbSession& db, const Config& config);

// Re-creates ev_refresh_customer_segments with the configured interval,
// enabled or disabled as configured.
void apply_fallback_event(DbSession& db, const FallbackEventConfig& event);

// On a Galera cluster an event is enabled only on the node that created
// it; the others hold it SLAVESIDE_DISABLED, so the fallback would never
// fire while that node is down. Each node of database.hosts gets its own
// copy enabled, the change kept on that node (wsrep_on=OFF for the
// statement, which needs SUPER). Does nothing when `db`'s server is not a
// Galera node (a replica's event stays disabled; a host list of one
// server's addresses is not a cluster) or with the event disabled. One
// entry per node.
struct EventNode {
  std::string endpoint;
  bool enabled = false;  // the event is ENABLED there now
  std::string error;     // why not
};
std::vector<EventNode> enable_event_on_every_node(DbSession& db, const DatabaseConfig& database,
                                                  const FallbackEventConfig& event);
// One `event.node` line per node: enabled or why not.
void log_event_nodes(const std::vector<EventNode>& nodes);

// Closes 'running' rows whose owner is gone: a run is alive only while its
// connection holds the lock of its kind (refresh or ingest). A refresh whose
// results are live (customer_segments' comment names the run: R012) died
// after its swap and is closed as 'succeeded'; every other one as
// 'abandoned'.
struct OrphanedRuns {
  std::uint64_t succeeded_after_swap = 0;
  std::uint64_t abandoned = 0;
};
OrphanedRuns close_orphaned_runs(DbSession& db);

// Closes as 'abandoned' the 'running' runs a daemon started under lease
// `epoch` or an older one (pipeline_runs.lease_epoch, V013). Called when a
// leader takes office on a new session, before it starts any run there:
// older epochs are deposed leaders', which can commit nothing more; its own
// epoch's are its earlier sessions' (a node of a cluster that died with
// them), on whichever server they ran. Returns how many.
std::uint64_t close_runs_of_earlier_leaders(DbSession& db, std::uint64_t epoch);

// Why a refresh is owed, or nullopt: a file was loaded after the newest
// successful refresh started (or none ever succeeded). Decided from
// ingested_files and pipeline_runs, so it survives any stop or crash.
std::optional<std::string> refresh_owed(DbSession& db);

inline constexpr unsigned kHeartbeatSeconds = 60;
void heartbeat_start(DbSession& db, const RunIdentity& who);
void heartbeat_touch(DbSession& db);
void heartbeat_stop(DbSession& db);

// Start of the most recent refresh that did work (succeeded or failed; not
// skipped or abandoned), for deciding on a catch-up run.
std::optional<std::chrono::sys_seconds> last_refresh_started(DbSession& db);

// "ON", "OFF" or "DISABLED".
// When the newest successful refresh (by anyone) finished, Unix seconds.
std::optional<double> last_refresh_succeeded(DbSession& db);

std::string event_scheduler_state(DbSession& db);

}  // namespace segmentd
