#pragma once
// The statuses of a pipeline_runs row (the table's CHECK constraint lists
// the same words).

#include <optional>
#include <string_view>

namespace segmentd {

enum class RunStatus { Running, Succeeded, Failed, Skipped, Abandoned };

constexpr const char* to_string(RunStatus s) {
  switch (s) {
    case RunStatus::Running:
      return "running";
    case RunStatus::Succeeded:
      return "succeeded";
    case RunStatus::Failed:
      return "failed";
    case RunStatus::Skipped:
      return "skipped";
    case RunStatus::Abandoned:
      return "abandoned";
  }
  return "failed";
}

// The kinds of pipeline_runs rows this daemon starts.
enum class RunKind { Ingest, Refresh, Retention };

constexpr const char* to_string(RunKind k) {
  switch (k) {
    case RunKind::Ingest:
      return "ingest";
    case RunKind::Refresh:
      return "refresh";
    case RunKind::Retention:
      return "retention";
  }
  return "refresh";
}

constexpr std::optional<RunStatus> parse_run_status(std::string_view s) {
  for (auto v :
       {RunStatus::Running, RunStatus::Succeeded, RunStatus::Failed, RunStatus::Skipped, RunStatus::Abandoned}) {
    if (s == to_string(v)) return v;
  }
  return std::nullopt;
}

}  // namespace segmentd
