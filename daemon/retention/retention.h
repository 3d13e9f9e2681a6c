#pragma once
// One retention pass (doc/OPERATIONS.md "Retention"): old files in processed/ and
// quarantine/, the history of refreshes the policy does not keep, old
// ledger rows and old runs, each in small batches, recorded as its own run
// (kind 'retention') whose details say what went. A pass that runs out of
// its time budget stops between batches and says so; the next pass goes on
// (the daemon starts it as soon as nothing else waits).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config.h"
#include "run_identity.h"
#include "run_status.h"

namespace segmentd {

class DbSession;

struct RetentionOptions {
  bool dry_run = false;  // report what is due; remove and record nothing
  // Stop between batches once this much time has passed (0: no limit).
  std::chrono::milliseconds budget{0};
  const std::atomic<bool>* cancel = nullptr;  // a stop: end between batches
  std::size_t history_batch = 10000;          // rows per DELETE
  std::size_t row_batch = 500;                // runs or ledger rows per DELETE
  // The pass's clock, for every cut-off (tests pass a fixed one).
  std::function<std::chrono::system_clock::time_point()> now = [] { return std::chrono::system_clock::now(); };
  // The clock the budget is measured on (tests pass one that jumps).
  std::function<std::chrono::steady_clock::time_point()> steady_now = [] { return std::chrono::steady_clock::now(); };
};

struct RemovedFiles {
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
  std::vector<std::string> names;  // escaped; the first kMaxListedNames
  std::vector<std::string> errors;
};

struct RetentionReport {
  std::uint64_t run_id = 0;  // 0 in a dry run
  RunStatus status = RunStatus::Succeeded;
  bool complete = true;  // false: stopped by its budget or a stop; more is due
  std::string message;
  std::vector<std::uint64_t> history_runs_removed;
  std::uint64_t history_rows_removed = 0;
  // Rows moved to the next kept run before their run went (V014).
  std::uint64_t history_rows_carried = 0;
  std::vector<std::uint64_t> history_runs_kept;
  std::uint64_t runs_removed = 0;
  std::uint64_t first_run_removed = 0, last_run_removed = 0;
  std::uint64_t ledger_rows_removed = 0;
  std::uint64_t first_ledger_row_removed = 0, last_ledger_row_removed = 0;
  RemovedFiles processed, quarantine;
  std::string details_json() const;
};

inline constexpr std::size_t kMaxListedNames = 100;

// Runs one pass. Another pass holding the retention lock makes this one a
// 'skipped' run. Throws DbError when the database fails (the run row says
// what was removed up to the last finished batch).
RetentionReport run_retention(DbSession& db, const RetentionConfig& config, const InboxConfig& inbox,
                              const char* trigger, const RunIdentity& who, const RetentionOptions& options = {});

}  // namespace segmentd
