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

#include "inbox_queue.h"

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
};

// At most one refresh waits. A debounced request is replaced by an
// immediate one (a schedule, a catch-up) and its quiet time is pushed on by
// a later debounced one; an immediate request is never downgraded.
void merge_refresh(std::optional<RefreshRequest>& wanted, RefreshRequest incoming);

struct PlanState {
  SteadyTime now;
  bool connected = false;
  bool busy = false;      // the worker runs a job
  bool stopping = false;  // no new work
  bool settings_due = false;
  bool heartbeat_due = false;
  std::optional<RefreshRequest> refresh;
  std::size_t settling = 0;  // files in the inbox not yet settled
  const InboxQueue* queue = nullptr;
};

enum class ActionKind { Nothing, ApplySettings, Heartbeat, Refresh, Load, Move, WaitUntil };
const char* to_string(ActionKind k);

struct Action {
  ActionKind kind = ActionKind::Nothing;
  std::string file;    // Load, Move: the queue entry's name
  SteadyTime until{};  // WaitUntil
};

// The next thing to do. Moves need no database, so they go on during an
// outage; everything else waits for the connection. A debounced refresh
// waits for its quiet time, for files still settling and for every file due
// to be loaded.
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
};

}  // namespace segmentd
