#pragma once
// Runs refresh_customer_segments through segmentd_refresh_run, recording the
// caller's own trigger and identity in pipeline_runs.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "run_identity.h"
#include "run_status.h"

namespace segmentd {

class DbSession;

struct RefreshOutcome {
  std::uint64_t run_id = 0;              // 0 when the run could not even be recorded
  RunStatus status = RunStatus::Failed;  // Succeeded, Skipped or Failed
  std::uint64_t customers = 0;
  std::string message;
  // False when the run failed and the server refused even to record it (a
  // read-only server): the caller records it with record_failed_refresh()
  // once the database takes writes again.
  bool recorded = true;
  // The server refused the refresh's writes (read-only, a Galera node not
  // ready): the database is unavailable, not the refresh wrong.
  bool unavailable = false;
  // Failed for a reason that passes (a lock wait: the swap waited too long
  // for a reader, a deadlock): worth running again while data is owed.
  bool transient = false;
  // How long the swap waited for readers holding the results (0: not at
  // all; doc/OPERATIONS.md "A reader holding the results").
  std::uint64_t swap_wait_ms = 0;
};

// Auto: incremental when the procedure can be (doc/MODEL.md "Incremental
// refresh"), else full; Full: recompute everything.
enum class RefreshMode { Auto, Full };

// Never throws for a refresh that failed inside the database: that is a
// Failed outcome with the recorded message, and the refresh lock is released
// whatever the procedure managed. Throws DbError when the session is gone.
RefreshOutcome run_refresh(DbSession& db, std::string_view trigger, const RunIdentity& who,
                           RefreshMode mode = RefreshMode::Auto);

// Records a refresh that failed as `message`, undoing what it left (its
// half-built tables, its per-run rows and its claim): for a run whose
// outcome came back unrecorded. A run closed meanwhile as abandoned gets
// its real cause.
void record_failed_refresh(DbSession& db, std::uint64_t run_id, const std::string& message);

// Customers in each segment of the current results, every segment of
// rfm_segment_rules included (0 when empty).
std::map<std::string, std::uint64_t> segment_sizes(DbSession& db);

// How many customers changed segment between two refreshes' results
// (customer_segment_history), of those in both.
struct SegmentShift {
  std::uint64_t previous_run = 0, run = 0;
  std::uint64_t in_both = 0, moved = 0;
  double share() const { return in_both == 0 ? 0 : static_cast<double>(moved) / static_cast<double>(in_both); }
};
SegmentShift segment_shift(DbSession& db, std::uint64_t previous_run, std::uint64_t run);

// The newest successful refresh run, or 0 when none succeeded yet.
std::uint64_t newest_successful_refresh(DbSession& db);

}  // namespace segmentd
