#pragma once
// The one refresh the daemon waits to run (at most one waits: requests
// merge, planner.h merge_refresh), and the rules that make new requests
// from events: new data (debounced from the newest file's arrival), a
// refresh lost with the connection (again as soon as it is back), a refresh
// skipped because another session held the lock (again later, only if data
// is still owed). Pure: times are parameters (tests/refresh_wanted_test.cpp).

#include <chrono>
#include <optional>
#include <string>

#include "planner.h"

namespace segmentd {

class RefreshWanted {
 public:
  // Merged into what waits.
  void want(RefreshRequest request) { merge_refresh(wanted_, std::move(request)); }

  // After new data: due once the inbox has been quiet for `debounce`,
  // counted from the newest file's arrival (`newest_found`, when the inbox
  // still holds one), not from the end of its load, so once every file that
  // arrived is loaded, waiting longer gathers nothing.
  void after_data(const std::string& started_by, std::optional<SteadyTime> newest_found, std::chrono::seconds debounce);
  // The refresh `wanted` did not run because the connection was lost: it
  // runs as soon as the database is back.
  void lost_with_connection(const RefreshRequest& wanted, SteadyTime now);
  // `wanted` was skipped (another session's refresh held the lock, and it
  // may have started before this data was committed): asked again after
  // `retry`, and run only if data is still owed. Only a refresh after data
  // is retried; returns whether one was.
  bool skipped(const RefreshRequest& wanted, SteadyTime now, std::chrono::milliseconds retry);
  // `wanted` failed (its swap waited its limit for a reader holding the
  // results, a routine was being replaced, ...): as skipped(), but the wait
  // doubles with each failure in a row (base, 2x, ... 32x), so a reader
  // holding the results for an hour does not have them rebuilt every
  // minute, and a refresh that keeps failing is not run in a loop; the
  // files that arrive load in between. Returns the wait, or nullopt when
  // not retried.
  std::optional<std::chrono::milliseconds> failed_transiently(const RefreshRequest& wanted, SteadyTime now,
                                                              std::chrono::milliseconds base);
  // A refresh succeeded: the next failure waits `base` again.
  void succeeded() { transient_failures_ = 0; }

  // The waiting request, taken to run now.
  RefreshRequest take();
  // Forgotten (this daemon stopped leading: the next leader decides from the
  // database what is owed).
  void drop() { wanted_.reset(); }

  const std::optional<RefreshRequest>& waiting() const { return wanted_; }

 private:
  std::optional<RefreshRequest> wanted_;
  SteadyTime last_arrival_{};
  unsigned transient_failures_ = 0;
};

}  // namespace segmentd
