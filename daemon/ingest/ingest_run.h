#pragma once
// One ingest run: several files, one pipeline_runs row (kind 'ingest') with
// every file's outcome and a data-quality summary in its details.

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "ingest.h"
#include "run_identity.h"

namespace segmentd {

struct IngestRunOutcome {
  std::uint64_t run_id = 0;
  std::vector<FileOutcome> files;
  std::string data_quality_json;  // empty when fenced
  bool all_ok() const;
};

IngestRunOutcome run_ingest(DbSession& db, const std::vector<std::filesystem::path>& files,
                            const IngestOptions& options, const std::string& trigger, const RunIdentity& who);

// Counts of rows that point at rows not (yet) loaded, as JSON, for the
// references that involve any of `datasets` (the ones a run loaded); read
// from the kept gaps (reference_gaps.h).
std::string data_quality_summary(DbSession& db, const std::set<std::string>& datasets);

}  // namespace segmentd
