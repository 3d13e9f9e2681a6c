#pragma once
// What retention keeps, as pure functions of the facts and the time, so the
// policy (doc/OPERATIONS.md "Retention") is unit-tested without a database or a clock.

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace segmentd {

struct SucceededRefresh {
  std::uint64_t run_id = 0;
  std::chrono::sys_seconds started_at{};
};

// Of the successful refreshes that still have history, those whose history
// stays: the newest `keep_last`, and in each of the `monthly_snapshots`
// calendar months (UTC) up to and including now's, the first one of that
// month. keep_last == 0 keeps every one.
std::set<std::uint64_t> history_runs_to_keep(const std::vector<SucceededRefresh>& runs, std::chrono::sys_seconds now,
                                             unsigned keep_last, unsigned monthly_snapshots);

// The ledger names (ingested_files.original_name, escaped as the ingest
// stores it) a file in processed/ may have been loaded as: its own name
// and, when a move renamed it "<stem>.<n><ext>" to avoid a clash, the
// name it had.
std::vector<std::string> ledger_names_for(const std::string& processed_name);

// Whether a ledger row's file may still be in processed/: its base name is
// one of `processed` (from ledger_names_for), or its name was cut when
// stored, so it cannot be told apart (kept, to be safe).
bool ledger_row_names_processed_file(std::string_view original_name, const std::set<std::string>& processed);

}  // namespace segmentd
