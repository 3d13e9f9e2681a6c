#pragma once
// Reading pipeline_runs for `segmentd history`, as a table or as JSON.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace segmentd {

class DbSession;

struct RunRecord {
  std::uint64_t run_id = 0;
  std::string kind;
  std::string trigger;
  std::string status;
  std::string started_at;
  std::optional<std::string> finished_at;
  std::optional<std::uint64_t> duration_ms;
  std::optional<std::string> started_by;
  std::optional<std::string> host;
  std::optional<std::uint64_t> pid;
  std::optional<std::string> version;
  std::optional<std::uint64_t> customers;
  std::optional<std::string> segment_counts;  // JSON text
  std::optional<std::string> step_timings;    // JSON text
  std::optional<std::string> details;         // JSON text
  std::optional<std::string> message;
};

struct HistoryQuery {
  unsigned limit = 20;
  std::optional<std::string> status;
  std::optional<std::uint64_t> run_id;
};

std::vector<RunRecord> fetch_runs(DbSession& db, const HistoryQuery& query);

// A readable table: run, trigger, status, started, duration, customers, message.
std::string format_runs_table(const std::vector<RunRecord>& runs);
// One run in full: identity, timings, segment counts, step timings, and for
// ingest runs every file with its rows, rejects file and reason.
std::string format_run_detail(const RunRecord& run);

// One JSON array; JSON columns are embedded as objects, not strings.
std::string format_runs_json(const std::vector<RunRecord>& runs);
// "1.234s", "2m03s", "-" for unknown.
std::string format_duration(std::optional<std::uint64_t> ms);

}  // namespace segmentd
