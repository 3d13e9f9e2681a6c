#pragma once
// What the daemon's worker does, one function per job: set up a new
// session, load a file, refresh and export, and move a file out of the
// inbox; plus the start-up sweep of a crashed predecessor's scratch files.
// Each runs on the worker thread (db_worker.h) and returns a typed result
// for the controller; none of them decides what happens next.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "connection_facts.h"
#include "cron_schedule.h"
#include "daemon_db.h"
#include "exports.h"
#include "inbox_queue.h"
#include "ingest.h"
#include "lease.h"
#include "predict.h"
#include "publish_failure.h"
#include "refresh.h"
#include "report.h"

namespace segmentd {

class DbSession;

struct NamedSchedule {
  std::string name;
  CronSchedule cron;
  std::optional<SysSeconds> next;
  bool full = false;  // a full refresh (refresh.full_schedule), not one of what changed
};
std::vector<NamedSchedule> build_schedules(const Config& config);

struct ConnectInfo {
  ConnectionFacts connection;
  std::vector<std::string> missing_privileges;    // of doc/CONFIGURATION.md's grants
  std::map<std::string, std::uint64_t> segments;  // customers per segment now
  std::optional<double> last_refresh_success;     // Unix seconds, by anyone
  std::string event_scheduler;
};

// A new session, leader or standby: the schema is current (FatalError when
// it needs a migrate); what the server and account are, for the log and
// the metrics. Nothing is written: a standby writes nothing.
ConnectInfo set_up_session(DbSession& db);

// What a leader finds when it takes office (after winning the lease, and
// after each reconnect while it leads).
// A refresh that failed where the server refused even to record it (read-
// only): recorded by the next office, once the server takes writes.
struct UnrecordedRun {
  std::uint64_t run_id = 0;
  std::string message;
};

struct OfficeInfo {
  std::uint64_t earlier_runs = 0;  // 'running' runs of earlier leaders and sessions, closed
  OrphanedRuns orphans;
  std::optional<std::string> catchup;  // a schedule was missed while down
  std::optional<std::string> owed;     // data loaded after the last successful refresh
  bool exports_stale = false;          // the newest successful refresh has no published set
  std::size_t failures_recorded = 0;   // unrecorded runs now recorded failed
};

// The leader's set-up, on its worker session: runs of deposed leaders and
// of dead sessions are closed, the config's settings and event applied,
// the heartbeat started. `first`: the daemon's first office (a schedule
// missed while it was down is caught up). `unrecorded`: failed refreshes
// to record first, with their real cause (before the sweep calls them
// abandoned).
OfficeInfo take_office(DbSession& db, const Config& config, const std::vector<NamedSchedule>& schedules,
                       const LeaseFence& fence, bool first, const std::vector<UnrecordedRun>& unrecorded);

struct LoadResult {
  bool gone = false;  // the file was no longer there
  std::uint64_t run_id = 0;
  FileOutcome file;
};
// Loads the file as one ingest run (run_ingest closes dead sessions' ingest
// runs once it holds the lock).
// The run and its ledger rows are fenced by options.fence.
LoadResult load_file(DbSession& db, const std::filesystem::path& file, const IngestOptions& options);

// Where a load's file goes and what its reason file says.
MovePlan plan_move(const LoadResult& load, const InboxConfig& inbox);

struct RefreshResult {
  bool not_needed = false;  // asked for only if owed, and nothing was owed
  RefreshOutcome outcome;
  std::optional<ExportSet> exported;
  std::optional<PublishFailure> export_failure;   // set when the export failed (recorded in the run)
  std::optional<ReportFile> report;               // exports.dir/report.html, when written
  std::optional<PublishFailure> report_failure;   // set when writing it failed (recorded in the run)
  std::map<std::string, std::uint64_t> segments;  // after a successful refresh
  std::optional<SegmentShift> shift;              // against the previous success, when asked
  std::optional<PredictionOutcome> predictions;   // after a successful refresh this job ran
};
// `only_if_owed`: first ask the database whether data is still waiting for
// a refresh (a retry after a skipped refresh may find another one did it);
// when none is, the newest results are still published if their set is
// missing.
// `measure_shift`: also count the customers who changed segment since the
// previous successful refresh (the segment_shift alert).
// `fence`: the swap happens only while this daemon leads (R013).
RefreshResult refresh_and_export(DbSession& db, const char* trigger, const std::string& started_by,
                                 const ExportsConfig& exports, const PredictionsConfig& predictions, bool only_if_owed,
                                 bool measure_shift, const std::optional<LeaseFence>& fence,
                                 RefreshMode mode = RefreshMode::Auto);

// Removes what a crashed segmentd process left behind: scratch copies of
// loads, partial export sets, partial moves and temporary files. Returns
// how many entries went.
std::size_t sweep_leftovers(const Config& config, const std::filesystem::path& temp_dir);

}  // namespace segmentd
