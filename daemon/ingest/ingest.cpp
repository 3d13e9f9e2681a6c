#include "ingest.h"

#include "file_ingest.h"
#include "ingest_sql.h"
#include "named_lock.h"

namespace segmentd {

IngestOptions ingest_options(const Config& config) {
  IngestOptions options;
  options.max_rejected_rows = config.ingest.max_rejected_rows;
  options.load_path = config.ingest.load_path;
  options.allow_empty_replace = config.ingest.allow_empty_replace;
  options.feeds = config.feeds;
  options.base_currency = config.currency.base;
  return options;
}

LoadPath resolve_load_path(DbSession& db, LoadPath requested) {
  if (requested != LoadPath::Auto) return requested;
  return query_value(db, ingest_sql::kLocalInfile).value_or("0") == "1" ? LoadPath::LoadData : LoadPath::Insert;
}

FileOutcome ingest_file_locked(DbSession& db, const std::filesystem::path& path, const IngestOptions& options,
                               std::optional<std::uint64_t> run_id) {
  FileIngest job(db, path, options, run_id);
  job.set_started_at(query_value(db, ingest_sql::kNow).value_or(""));
  return job.run();
}

FileOutcome ingest_file(DbSession& db, const std::filesystem::path& path, const IngestOptions& options,
                        std::optional<std::uint64_t> run_id) {
  // One ingest at a time per database: duplicates are decided against a
  // ledger nobody else is writing.
  NamedLock lock(db, "ingest", options.lock_wait_seconds);
  return ingest_file_locked(db, path, options, run_id);
}

}  // namespace segmentd
