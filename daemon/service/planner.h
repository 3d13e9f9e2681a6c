#pragma once
// The daemon's decisions, as pure functions of its state and the time: what
// to do next (apply settings, beat the heartbeat, load a file, move one,
// refresh, or wait until a moment), which refresh request wins, and how long
// to back off. The controller (daemon.cpp) only carries them out, so these
// rules are unit-tested with a fake clock and no database.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <random>
#include <string>

#include "errors.h"
#include "inbox_queue.h"
#include "ingest.h"

namespace segmentd {

using SteadyTime = std::chrono::steady_clock::time_point;

// Why a refresh is wanted; the trigger is recorded in pipeline_runs.
enum class RefreshTrigger { File, Schedule, Catchup };
const char* to_string(RefreshTrigger t);

struct RefreshRequest {
  RefreshTrigger trigger = RefreshTrigger::File;
  std::string started_by;
  // Debounced requests wait for the inbox to be quiet (after new data);
  // the others run as soon as the worker is free.
  bool debounced = false;
  SteadyTime due{};  // debounced: not before this
  // Run only if the database still says data waits for a refresh (a retry
  // after a skipped refresh); a request for new data clears it.
  bool only_if_owed = false;
  // Recompute everything (the full-refresh schedule); kept by any merge.
  bool full = false;
};

// At most one refresh waits. A debounced request is replaced by an
// immediate one (a schedule, a catch-up) and its quiet time is pushed on by
// a later debounced one; an immediate request is never downgraded.
void merge_refresh(std::optional<RefreshRequest>& wanted, RefreshRequest incoming);

struct PlanState {
  SteadyTime now;
  bool connected = false;
  // This daemon holds the lease (lease.h) and has taken office on its
  // session. A standby loads, refreshes and writes nothing; it only moves
  // the files whose loads it committed before it was deposed.
  bool leading = false;
  bool office_due = false;  // leads, but has not yet taken office on this session
  bool busy = false;        // the worker runs a job
  bool stopping = false;    // no new work
  bool settings_due = false;
  bool heartbeat_due = false;
  bool retention_due = false;  // a retention pass is wanted (or one stopped early)
  std::optional<RefreshRequest> refresh;
  std::size_t settling = 0;  // files in the inbox not yet settled
  const InboxQueue* queue = nullptr;
};

enum class ActionKind { Nothing, TakeOffice, ApplySettings, Heartbeat, Refresh, Load, Move, Retention, WaitUntil };
const char* to_string(ActionKind k);

struct Action {
  ActionKind kind = ActionKind::Nothing;
  std::string file;    // Load, Move: the queue entry's name
  SteadyTime until{};  // WaitUntil
};

// The next thing to do. Moves need no database, so they go on during an
// outage; everything else waits for the connection and for the lease (the
// office is taken first). A debounced refresh
// waits for its quiet time, for files still settling and for every file due
// to be loaded. Retention goes last: only when no file is due or settling
// and no refresh waits, so it never delays data.
Action plan_next(const PlanState& state);

// Exponential backoff with jitter: `initial` doubling per attempt (0-based)
// up to `cap`, plus up to 25% so several daemons do not retry in step.
std::chrono::milliseconds backoff_delay(unsigned attempt, std::chrono::milliseconds initial,
                                        std::chrono::milliseconds cap, std::mt19937& rng);

// How the daemon treats a file whose load failed for a reason that passes.
struct RetryPolicy {
  // Deadlocks and the like count; after this many the file is quarantined.
  unsigned max_transient_failures = 3;
  std::chrono::milliseconds first_retry{2000};
  std::chrono::milliseconds max_retry{60000};
  // Another session's ingest holds the lock: retried this often, forever.
  std::chrono::milliseconds lock_busy_retry{5000};
  // Moves out of the inbox: retried with backoff from first to max, forever.
  std::chrono::milliseconds first_move_retry{1000};
  std::chrono::milliseconds max_move_retry{300000};
  // A refresh after data that was skipped (another session's refresh held
  // the lock) is asked for again this much later, if still owed.
  std::chrono::milliseconds skipped_refresh_retry{10000};
};

// What a load's result means for its file. The facts are typed: the job's
// own failure (not the file's), or the file's outcome.
struct LoadFacts {
  std::optional<ErrorCategory> job_error;  // the job failed before the file had an outcome
  bool gone = false;                       // the file was no longer in the inbox
  FileStatus status = FileStatus::Failed;
  ErrorCategory failure = ErrorCategory::Permanent;  // for FileStatus::Failed
  bool after_ingest = true;                          // refresh.after_ingest
};

enum class LoadVerdict {
  WaitForConnection,  // untouched; loaded once the daemon has reconnected
  RetrySoon,          // another session holds the ingest lock: not held against the file
  RetryWithBackoff,   // a failure that may pass, counted
  GiveUp,             // it failed too often: quarantined
  Move,               // it has its outcome: moved as planned (processed/ or quarantine/)
  LetGo,              // interrupted by a stop, or gone: the folder scan finds it again if it is there
};
const char* to_string(LoadVerdict v);

struct LoadDecision {
  LoadVerdict verdict = LoadVerdict::Move;
  std::chrono::milliseconds retry_after{0};
  bool owes_refresh = false;  // new data: a refresh after it is wanted
};

// `failures_so_far`: counted failures of this file before this one.
LoadDecision judge_load(const LoadFacts& facts, unsigned failures_so_far, const RetryPolicy& policy, std::mt19937& rng);

}  // namespace segmentd
