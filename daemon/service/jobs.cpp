#include "jobs.h"

#include "db_session.h"
#include "durable_file.h"
#include "errors.h"
#include "file_move.h"
#include "ingest_run.h"
#include "job_hooks.h"
#include "log_event.h"
#include "migrations.h"
#include "private_file.h"
#include "privileges.h"
#include "run_identity.h"

namespace segmentd {

namespace fs = std::filesystem;

namespace {

std::string iso(SysSeconds t) {
  return format_local_iso(t, std::chrono::seconds{0});
}

std::optional<std::string> missed_schedule(DbSession& db, const std::vector<NamedSchedule>& schedules) {
  // Only runs missed while the daemon was down count; a database that has
  // never been refreshed has missed nothing (the first drop refreshes it).
  const auto last = last_refresh_started(db);
  if (schedules.empty() || !last) return std::nullopt;
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  for (const auto& s : schedules) {
    const auto due = s.cron.next_after(*last);
    if (due && *due <= now) {
      return "schedule " + s.name + " was due at " + iso(*due) + "; last refresh started " + iso(*last);
    }
  }
  return std::nullopt;
}

}  // namespace

static RunIdentity who_for(const std::string& started_by) {
  RunIdentity who = this_process();
  who.started_by = started_by;
  return who;
}

std::vector<NamedSchedule> build_schedules(const Config& config) {
  std::vector<NamedSchedule> out;
  for (const auto& s : config.schedules) out.push_back({s.name, CronSchedule(s.cron, s.timezone), std::nullopt});
  if (!config.refresh.full_schedule.empty()) {
    out.push_back({"full-refresh", CronSchedule(config.refresh.full_schedule, "UTC"), std::nullopt, true});
  }
  return out;
}

ConnectInfo set_up_session(DbSession& db) {
  ConnectInfo info;
  info.connection = read_connection_facts(db);
  require_writable(db);
  info.missing_privileges = missing_privileges(db);
  try {
    require_current_schema(db);
  } catch (const UserError& e) {
    throw FatalError(e.what());
  }
  info.segments = segment_sizes(db);
  info.last_refresh_success = last_refresh_succeeded(db);
  info.event_scheduler = event_scheduler_state(db);
  return info;
}

OfficeInfo take_office(DbSession& db, const Config& config, const std::vector<NamedSchedule>& schedules,
                       const LeaseFence& fence, bool first, const std::vector<UnrecordedRun>& unrecorded) {
  OfficeInfo info;
  set_session_fence(db, fence);
  for (const UnrecordedRun& run : unrecorded) record_failed_refresh(db, run.run_id, run.message);
  info.failures_recorded = unrecorded.size();
  info.earlier_runs = close_runs_of_earlier_leaders(db, fence.epoch);
  info.orphans = close_orphaned_runs(db);
  apply_segmentation_settings(db, config);
  apply_fallback_event(db, config.fallback_event);
  log_event_nodes(enable_event_on_every_node(db, config.database, config.fallback_event));
  heartbeat_start(db, this_process());
  if (first) info.catchup = missed_schedule(db, schedules);
  if (config.refresh.after_ingest) info.owed = refresh_owed(db);
  info.exports_stale = exports_stale(db, config.exports.dir);
  return info;
}

LoadResult load_file(DbSession& db, const fs::path& file, const IngestOptions& options) {
  LoadResult result;
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(file, ec))) {
    result.gone = true;
    return result;
  }
  set_session_fence(db, options.fence);
  RunIdentity who = this_process();
  who.started_by = "segmentd inbox";
  IngestOptions with_hooks = options;
  if (JobHooks* hooks = installed_job_hooks()) {
    with_hooks.before_commit = [hooks](const fs::path& f) { hooks->before_load_commit(f); };
  }
  const IngestRunOutcome run = run_ingest(db, {file}, with_hooks, "file", who);
  result.run_id = run.run_id;
  result.file = run.files.at(0);
  return result;
}

MovePlan plan_move(const LoadResult& load, const InboxConfig& inbox) {
  const FileOutcome& f = load.file;
  MovePlan plan;
  plan.quarantine = !f.ok();
  plan.target_dir = plan.quarantine ? inbox.quarantine : inbox.processed;
  plan.rejects_file = f.rejects_file;
  if (plan.quarantine) {
    plan.reason = std::string("status: ") + to_string(f.status) + "\nrun: " + std::to_string(load.run_id) +
                  "\nreason: " + f.message + "\n";
  }
  return plan;
}

RefreshResult refresh_and_export(DbSession& db, const char* trigger, const std::string& started_by,
                                 const ExportsConfig& exports, const PredictionsConfig& predictions, bool only_if_owed,
                                 bool measure_shift, const std::optional<LeaseFence>& fence, RefreshMode mode) {
  RefreshResult result;
  set_session_fence(db, fence);
  close_orphaned_runs(db);
  if (only_if_owed && !refresh_owed(db)) {
    result.not_needed = true;
    if (!exports_stale(db, exports.dir)) return result;
    // Another session's refresh did the work: its results are published.
    result.outcome.run_id = newest_successful_refresh(db);
    result.outcome.status = RunStatus::Succeeded;
  } else {
    if (JobHooks* hooks = installed_job_hooks()) hooks->before_refresh(db);
    const std::uint64_t previous = measure_shift ? newest_successful_refresh(db) : 0;
    result.outcome = run_refresh(db, trigger, who_for(started_by), mode);
    if (previous != 0 && result.outcome.status == RunStatus::Succeeded) {
      result.shift = segment_shift(db, previous, result.outcome.run_id);
    }
  }
  if (result.outcome.status == RunStatus::Succeeded) result.segments = segment_sizes(db);
  // Predictions follow a refresh this job ran, before the exports that
  // carry them; their failure is recorded, the refresh stands.
  if (result.outcome.status == RunStatus::Succeeded && !result.not_needed) {
    result.predictions = run_predictions(db, predictions);
  }
  if (result.outcome.status != RunStatus::Succeeded || exports.dir.empty()) return result;
  try {
    result.exported = write_exports(db, exports.dir, exports.keep_sets, exports.file_mode);
  } catch (const DbError& e) {
    if (e.connection_lost()) throw;
    result.export_failure = PublishFailure::from(e);
  } catch (const Error& e) {
    result.export_failure = PublishFailure::from(e);
  }
  record_export(db, result.outcome.run_id, exports.dir, result.exported ? &*result.exported : nullptr,
                result.export_failure ? result.export_failure->describe() : std::string());
  // The report beside the exports; a failure is recorded, the refresh stands.
  try {
    result.report = write_report(db, exports.dir / kReportFileName, exports.file_mode);
  } catch (const DbError& e) {
    if (e.connection_lost()) throw;
    result.report_failure = PublishFailure::from(e);
  } catch (const Error& e) {
    result.report_failure = PublishFailure::from(e);
  }
  record_report(db, result.outcome.run_id, result.report ? &*result.report : nullptr,
                result.report_failure ? result.report_failure->describe() : std::string());
  return result;
}

std::size_t sweep_leftovers(const Config& config, const fs::path& temp_dir) {
  std::size_t n = sweep_scratch(temp_dir, kStagePrefix);
  for (const auto& dir : {config.inbox.path, config.inbox.processed, config.inbox.quarantine}) {
    if (dir.empty()) continue;
    n += sweep_scratch(dir, kMoveTempPrefix);
    n += sweep_scratch(dir, kAtomicTempPrefix);
  }
  if (!config.exports.dir.empty()) {
    n += sweep_scratch(config.exports.dir, kExportTempPrefix);
    n += sweep_scratch(config.exports.dir, kAtomicTempPrefix);
  }
  return n;
}

}  // namespace segmentd
