#include "retention.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "db_session.h"
#include "errors.h"
#include "file_expiry.h"
#include "named_lock.h"
#include "retention_policy.h"
#include "retention_sql.h"
#include "text.h"

namespace segmentd {

namespace sql = retention_sql;
using Clock = std::chrono::system_clock;

namespace {

constexpr std::chrono::seconds kDay{86400};

std::string utc_text(Clock::time_point t) {
  const std::time_t s = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::int64_t as_param(std::uint64_t v) {
  return static_cast<std::int64_t>(v);
}

std::string bytes_text(std::uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

nlohmann::json files_json(const RemovedFiles& f) {
  return {{"files", f.count}, {"bytes", f.bytes}, {"names", f.names}, {"errors", f.errors}};
}

// One pass's state: what it removed so far, and whether it may go on.
class Pass {
 public:
  Pass(DbSession& db, const RetentionConfig& config, const InboxConfig& inbox, const RetentionOptions& options,
       RetentionReport& report)
      : db_(db),
        config_(config),
        inbox_(inbox),
        options_(options),
        report_(report),
        started_(options.steady_now()),
        now_(options.now()) {}

  void files() {
    expire(inbox_.processed, config_.processed_files_days, report_.processed);
    expire(inbox_.quarantine, config_.quarantine_files_days, report_.quarantine);
  }

  void history() {
    if (config_.history_runs == 0 || !go_on()) return;
    std::vector<SucceededRefresh> succeeded;
    std::vector<std::uint64_t> failed;  // runs that did not succeed keep no history
    for (const auto& row : db_.query(sql::kHistoryRuns).rows) {
      const std::uint64_t id = std::stoull(row[0].value_or("0"));
      // A running run's history is being written; without a run row there
      // is nothing to judge by: both stay.
      if (!row[1] || !row[2] || !row[3] || *row[2] == "running") continue;
      if (*row[2] == "succeeded" && *row[1] == "refresh") {
        succeeded.push_back({id, std::chrono::sys_seconds{std::chrono::seconds{std::stoll(*row[3])}}});
      } else {
        failed.push_back(id);
      }
    }
    std::set<std::uint64_t> keep = history_runs_to_keep(succeeded, std::chrono::floor<std::chrono::seconds>(now_),
                                                        config_.history_runs, config_.monthly_snapshots);
    for (const auto& row : db_.query(sql::kComparedRuns).rows) keep.insert(std::stoull(row[0].value_or("0")));
    report_.history_runs_kept.assign(keep.begin(), keep.end());
    std::vector<std::uint64_t> remove = failed;
    for (const auto& r : succeeded) {
      if (keep.count(r.run_id) == 0) remove.push_back(r.run_id);
    }
    std::sort(remove.begin(), remove.end());
    // The successful runs whose history is still there, for carrying a
    // removed run's changes to the next one (V014).
    std::set<std::uint64_t> present;
    for (const auto& r : succeeded) present.insert(r.run_id);
    const std::set<std::uint64_t> failed_runs(failed.begin(), failed.end());
    for (const std::uint64_t run : remove) {
      if (!go_on()) return;
      Carry carry;
      if (failed_runs.count(run) == 0) {
        const auto next = present.upper_bound(run);
        if (next != present.end()) carry.to = *next;
        carry.departures = present.lower_bound(run) != present.begin();
      }
      if (remove_history_of(run, carry)) report_.history_runs_removed.push_back(run);
      if (report_.complete) present.erase(run);
    }
  }

  void ledger() {
    if (config_.ingested_files_days == 0 || !go_on()) return;
    // The ledger rows of files still in processed/ stay, however old.
    std::set<std::string> processed;
    try {
      for (const auto& name : regular_files_in(inbox_.processed)) {
        for (auto& n : ledger_names_for(name)) processed.insert(std::move(n));
      }
    } catch (const IoError& e) {
      // Without the list, no row can be told safe to remove.
      report_.processed.errors.push_back(std::string(e.what()) + " (no ledger rows removed)");
      return;
    }
    const std::string cutoff = utc_text(now_ - kDay * config_.ingested_files_days);
    std::uint64_t cursor = 0;
    while (go_on()) {
      const DbResult batch =
          db_.query(sql::kLedgerCandidates, {as_param(cursor), cutoff, as_param(options_.row_batch)});
      if (batch.rows.empty()) return;
      std::vector<DbParam> ids;
      for (const auto& row : batch.rows) {
        cursor = std::stoull(row[0].value_or("0"));
        if (!ledger_row_names_processed_file(row[1].value_or(""), processed)) ids.emplace_back(as_param(cursor));
      }
      if (!ids.empty()) {
        const std::uint64_t n = options_.dry_run ? ids.size() : db_.update(sql::delete_ledger_rows(ids.size()), ids);
        ++batches_;
        note_range(report_.ledger_rows_removed, report_.first_ledger_row_removed, report_.last_ledger_row_removed, ids,
                   n);
      }
      if (batch.rows.size() < options_.row_batch) return;
    }
  }

  void runs() {
    if (config_.pipeline_runs_days == 0 || !go_on()) return;
    std::set<std::uint64_t> protect;
    for (const auto& row : db_.query(sql::kNewestRuns).rows) {
      if (row[0]) protect.insert(std::stoull(*row[0]));
    }
    for (const auto& row : db_.query(sql::kComparedRuns).rows) protect.insert(std::stoull(row[0].value_or("0")));
    protect.insert(report_.history_runs_kept.begin(), report_.history_runs_kept.end());
    if (report_.run_id != 0) protect.insert(report_.run_id);
    const std::string cutoff = utc_text(now_ - kDay * config_.pipeline_runs_days);
    std::uint64_t cursor = 0;
    while (go_on()) {
      const DbResult batch = db_.query(sql::kRunCandidates, {as_param(cursor), cutoff, as_param(options_.row_batch)});
      if (batch.rows.empty()) return;
      std::vector<DbParam> ids;
      for (const auto& row : batch.rows) {
        cursor = std::stoull(row[0].value_or("0"));
        if (protect.count(cursor) == 0) ids.emplace_back(as_param(cursor));
      }
      if (!ids.empty()) {
        const std::uint64_t n = options_.dry_run ? ids.size() : db_.update(sql::delete_runs(ids.size()), ids);
        if (!options_.dry_run) {
          db_.update(sql::delete_run_stats(ids.size()), ids);
          db_.update(sql::delete_prediction_rows("prediction_fits", ids.size()), ids);
          db_.update(sql::delete_prediction_rows("prediction_runs", ids.size()), ids);
        }
        ++batches_;
        note_range(report_.runs_removed, report_.first_run_removed, report_.last_run_removed, ids, n);
      }
      if (batch.rows.size() < options_.row_batch) return;
    }
  }

 private:
  // Whether another batch may start: not past the budget (but every slice
  // gets at least one batch, so even a slow server makes progress), not
  // stopping.
  bool go_on() {
    if (!report_.complete) return false;
    const bool stop = options_.cancel != nullptr && options_.cancel->load();
    const bool late = batches_ > 0 && options_.budget.count() > 0 && options_.steady_now() - started_ > options_.budget;
    if (stop || late) report_.complete = false;
    return report_.complete;
  }

  void expire(const std::filesystem::path& dir, unsigned days, RemovedFiles& out) {
    if (days == 0 || dir.empty() || !go_on()) return;
    try {
      const ExpiredFiles gone = expire_files(dir, kDay * days, now_, options_.dry_run);
      out.count = gone.names.size();
      out.bytes = gone.bytes;
      for (std::size_t i = 0; i < gone.names.size() && i < kMaxListedNames; ++i) {
        out.names.push_back(escape_bytes(gone.names[i]));
      }
      out.errors = gone.errors;
    } catch (const IoError& e) {
      out.errors.push_back(e.what());
    }
  }

  // Where a removed run's changes go: to the next kept run (0: none, as
  // for a run that did not succeed, whose changes were never read), and
  // whether its departures go too.
  struct Carry {
    std::uint64_t to = 0;
    bool departures = false;
  };

  // Removes one run's history in batches; false when there was none left.
  bool remove_history_of(std::uint64_t run, const Carry& carry) {
    const bool listed = query_u64(db_, sql::kHasHistoryRun, {as_param(run)}) > 0;
    if (options_.dry_run) {
      const std::uint64_t n = query_u64(db_, sql::kCountHistory, {as_param(run)});
      report_.history_rows_removed += n;
      return n > 0 || listed;
    }
    std::uint64_t removed = 0, carried = 0;
    while (go_on()) {
      const DbValue end =
          query_value(db_, sql::kHistoryBatchEnd, {as_param(run), as_param(options_.history_batch - 1)});
      if (carry.to != 0) {
        std::vector<DbParam> params = {as_param(carry.to), as_param(run)};
        if (end) params.push_back(*end);
        params.push_back(as_param(carry.to));
        carried += db_.update(sql::carry_forward(end.has_value(), carry.departures), params);
      }
      if (!end) {
        removed += db_.update(sql::kDeleteHistoryRest, {as_param(run)});
        db_.update(sql::kDeleteHistoryRun, {as_param(run)});
        db_.update(sql::kDeleteRunCells, {as_param(run)});
        db_.update(sql::kDeleteRunTransitions, {as_param(run)});
        ++batches_;
        break;
      }
      removed += db_.update(sql::kDeleteHistoryUpTo, {as_param(run), *end});
      ++batches_;
    }
    report_.history_rows_removed += removed;
    report_.history_rows_carried += carried;
    return removed > 0 || listed;
  }

  static void note_range(std::uint64_t& count, std::uint64_t& first, std::uint64_t& last,
                         const std::vector<DbParam>& ids, std::uint64_t removed) {
    count += removed;
    const auto front = static_cast<std::uint64_t>(std::get<std::int64_t>(ids.front()));
    const auto back = static_cast<std::uint64_t>(std::get<std::int64_t>(ids.back()));
    if (first == 0) first = front;
    last = back;
  }

  DbSession& db_;
  const RetentionConfig& config_;
  const InboxConfig& inbox_;
  const RetentionOptions& options_;
  RetentionReport& report_;
  std::chrono::steady_clock::time_point started_;
  Clock::time_point now_;
  unsigned batches_ = 0;
};

std::string summary(const RetentionReport& r, bool dry_run) {
  std::string s =
      std::string(dry_run ? "due: " : "removed: ") + "history of " + std::to_string(r.history_runs_removed.size()) +
      " runs (" + std::to_string(r.history_rows_removed) + " rows; " + std::to_string(r.history_rows_carried) +
      " carried to later runs), " + std::to_string(r.runs_removed) + " runs, " + std::to_string(r.ledger_rows_removed) +
      " ledger rows, " + std::to_string(r.processed.count) + " processed files (" + bytes_text(r.processed.bytes) +
      "), " + std::to_string(r.quarantine.count) + " quarantined files (" + bytes_text(r.quarantine.bytes) + ")";
  if (!r.complete) s += "; stopped between batches, more is due";
  const std::size_t errors = r.processed.errors.size() + r.quarantine.errors.size();
  if (errors > 0) {
    s += "; " + std::to_string(errors) + (errors == 1 ? " error: " : " errors, the first: ") +
         (r.processed.errors.empty() ? r.quarantine.errors.front() : r.processed.errors.front());
  }
  return s;
}

}  // namespace

std::string RetentionReport::details_json() const {
  return nlohmann::json{
      {"complete", complete},
      {"customer_segment_history",
       {{"runs_removed", history_runs_removed},
        {"rows_removed", history_rows_removed},
        {"rows_carried", history_rows_carried},
        {"runs_kept", history_runs_kept}}},
      {"pipeline_runs",
       {{"removed", runs_removed}, {"first_run_id", first_run_removed}, {"last_run_id", last_run_removed}}},
      {"ingested_files",
       {{"removed", ledger_rows_removed},
        {"first_id", first_ledger_row_removed},
        {"last_id", last_ledger_row_removed}}},
      {"processed_files", files_json(processed)},
      {"quarantine_files", files_json(quarantine)}}
      .dump();
}

RetentionReport run_retention(DbSession& db, const RetentionConfig& config, const InboxConfig& inbox,
                              const char* trigger, const RunIdentity& who, const RetentionOptions& options) {
  RetentionReport report;
  std::unique_ptr<NamedLock> lock;
  const std::vector<DbParam> identity = {std::string(trigger), who.started_by, who.host,
                                         static_cast<std::int64_t>(who.pid), who.version};
  if (!options.dry_run) {
    try {
      lock = std::make_unique<NamedLock>(db, "retention", 0);
    } catch (const LockBusy&) {
      report.status = RunStatus::Skipped;
      report.complete = false;
      report.message = "skipped: another retention pass holds the lock";
      std::vector<DbParam> params = identity;
      params.emplace_back(report.message);
      db.update(sql::kSkippedRun, params);
      report.run_id = last_insert_id(db);
      return report;
    }
    db.update(sql::kInsertRun, identity);
    report.run_id = last_insert_id(db);
  }
  Pass pass(db, config, inbox, options, report);
  // The run row's details follow each part, so even a pass cut off by a
  // lost connection leaves a true record of what it removed.
  const auto progress = [&] {
    if (!options.dry_run) db.update(sql::kProgress, {report.details_json(), as_param(report.run_id)});
  };
  try {
    pass.files();
    progress();
    pass.history();
    progress();
    pass.ledger();
    progress();
    pass.runs();
  } catch (const DbError& e) {
    if (e.connection_lost() || options.dry_run) throw;
    report.status = RunStatus::Failed;
    report.message = bounded_text("database error " + std::to_string(e.code()) + ": " + e.what() + "; " +
                                  summary(report, false) + " before it");
    db.update(sql::kFinishRun,
              {std::string(to_string(report.status)), report.details_json(), report.message, as_param(report.run_id)});
    return report;
  }
  const bool file_errors = !report.processed.errors.empty() || !report.quarantine.errors.empty();
  report.status = file_errors ? RunStatus::Failed : RunStatus::Succeeded;
  report.message = bounded_text(summary(report, options.dry_run));
  if (!options.dry_run) {
    db.update(sql::kFinishRun,
              {std::string(to_string(report.status)), report.details_json(), report.message, as_param(report.run_id)});
  }
  return report;
}

}  // namespace segmentd
