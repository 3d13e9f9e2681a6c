#include "ingest_run.h"

#include <nlohmann/json.hpp>
#include <set>

#include "db_session.h"
#include "ingest_sql.h"
#include "log_event.h"
#include "named_lock.h"
#include "reference_gaps.h"
#include "run_status.h"
#include "text.h"
#include "transaction.h"

namespace segmentd {

bool IngestRunOutcome::all_ok() const {
  for (const auto& f : files) {
    if (!f.ok()) return false;
  }
  return true;
}

std::string data_quality_summary(DbSession& db, const std::set<std::string>& datasets) {
  // Only the checks the loaded data can have changed: a daemon loads one
  // file per run.
  if (datasets.empty()) return "{}";
  return reference_gap_summary(db, datasets);
}

IngestRunOutcome run_ingest(DbSession& db, const std::vector<std::filesystem::path>& files,
                            const IngestOptions& options, const std::string& trigger, const RunIdentity& who) {
  IngestRunOutcome out;
  // The lock comes first: a run that cannot take it (LockBusy) has not
  // started and leaves no row behind. Held for the whole run; its 'running'
  // row is alive exactly while this session holds the lock (daemon_db.h).
  NamedLock lock(db, "ingest", options.lock_wait_seconds);
  db.update(ingest_sql::kCloseDeadIngestRuns);
  db.update(ingest_sql::kInsertRun,
            {trigger, who.started_by, who.host, static_cast<std::int64_t>(who.pid), who.version});
  out.run_id = last_insert_id(db);
  log_event(spdlog::level::info, "ingest.started",
            {{"run_id", std::to_string(out.run_id)}, {"files", std::to_string(files.size())}});

  std::size_t loaded = 0, duplicate = 0, refused = 0, interrupted = 0, fenced = 0, changed = 0;
  nlohmann::json file_list = nlohmann::json::array();
  for (const auto& path : files) {
    FileOutcome f = ingest_file_locked(db, path, options, out.run_id);
    (f.status == FileStatus::Loaded        ? loaded
     : f.status == FileStatus::Duplicate   ? duplicate
     : f.status == FileStatus::Interrupted ? interrupted
     : f.status == FileStatus::Changed     ? changed
                                           : refused)++;
    log_event(f.ok() ? spdlog::level::info : spdlog::level::warn, "ingest.file",
              {{"run_id", std::to_string(out.run_id)},
               {"file", f.name},
               {"status", to_string(f.status)},
               {"dataset", f.dataset},
               {"rows_read", std::to_string(f.rows_read)},
               {"rows_loaded", std::to_string(f.rows_loaded)},
               {"rows_rejected", std::to_string(f.rows_rejected)},
               {"bulk", f.bulk ? "yes" : "no"},
               {"message", f.message}});
    if (!f.held.empty()) {
      log_event(spdlog::level::warn, "feed.orders_held",
                {{"run_id", std::to_string(out.run_id)}, {"file", f.name}, {"held", f.held}});
    }
    file_list.push_back({{"ledger_id", f.ledger_id},
                         {"file", f.name},
                         {"status", to_string(f.status)},
                         {"dataset", f.dataset},
                         {"sha256", f.sha256},
                         {"rows_read", f.rows_read},
                         {"rows_loaded", f.rows_loaded},
                         {"rows_rejected", f.rows_rejected},
                         {"load_path", f.load_path},
                         {"staged", f.staged},
                         {"bulk", f.bulk},
                         {"streamed", f.streamed},
                         {"rejects_file", f.rejects_file.string()},
                         {"held_for_rate", f.held},
                         {"message", f.message}});
    if (f.fenced) ++fenced;
    out.files.push_back(std::move(f));
    if (interrupted != 0) break;  // shutting down or deposed: the rest stay where they are
  }
  std::set<std::string> loaded_datasets;
  for (const auto& f : out.files) {
    if (f.status == FileStatus::Loaded) loaded_datasets.insert(f.dataset);
  }
  nlohmann::json details = {{"files", file_list}};
  if (options.recount_references) {
    // Everything, after changes made with plain SQL (reference_gaps.h).
    Transaction transaction(db);
    recount_reference_gaps(db);
    transaction.commit();
    details["references_recounted"] = true;
    out.data_quality_json = reference_gap_summary(db, {});
    details["data_quality"] = nlohmann::json::parse(out.data_quality_json);
  } else if (fenced != 0) {
    details["fenced"] = true;  // nothing committed: nothing to report
  } else {
    out.data_quality_json = data_quality_summary(db, loaded_datasets);
    details["data_quality"] = nlohmann::json::parse(out.data_quality_json);
  }
  // One file (every daemon run): say which and what happened to it.
  const std::string message = out.files.empty() && options.recount_references
                                  ? std::string("reference checks counted again over the whole tables")
                              : out.files.size() == 1 && (interrupted == 0 || fenced != 0)
                                  ? std::filesystem::path(out.files[0].name).filename().string() + ": " +
                                        to_string(out.files[0].status) + ": " + out.files[0].message
                                  : std::to_string(files.size()) + " file(s): " + std::to_string(loaded) + " loaded, " +
                                        std::to_string(duplicate) + " duplicate, " + std::to_string(refused) +
                                        " refused" + (changed ? ", " + std::to_string(changed) + " changing" : "") +
                                        (interrupted ? ", interrupted by shutdown (nothing applied)" : "");
  // A deposed leader's run did nothing: skipped, and the message says why;
  // so is one whose files were all still changing (taken again later).
  const bool only_changing = changed != 0 && loaded + duplicate + refused + interrupted == 0;
  const RunStatus status = fenced != 0 || only_changing ? RunStatus::Skipped
                           : out.all_ok()               ? RunStatus::Succeeded
                                                        : RunStatus::Failed;
  db.update(ingest_sql::kFinishRun, {std::string(to_string(status)), details.dump(), bounded_text(message, 4096),
                                     static_cast<std::int64_t>(out.run_id)});
  log_event(out.all_ok() ? spdlog::level::info : spdlog::level::warn, "ingest.finished",
            {{"run_id", std::to_string(out.run_id)},
             {"loaded", std::to_string(loaded)},
             {"duplicate", std::to_string(duplicate)},
             {"refused", std::to_string(refused)}});
  return out;
}

}  // namespace segmentd
