#pragma once
// The controller of `segmentd run`: signals, reload, sd_notify, watchdog,
// timers and the inbox watch, on one Boost.Asio loop. It keeps the state
// (the inbox queue, the waiting refresh, the connection), asks the planner
// what to do next (planner.h) and hands the work to the database worker
// (db_worker.h, jobs.h). It decides nothing itself.
//
//   controller.cpp          life cycle, connection, what next, signals
//   controller_inbox.cpp    the folder, loads and moves
//   controller_refresh.cpp  schedules and refreshes
//   controller_observe.cpp  /metrics, /livez, /readyz, the textfile
//   controller_retention.cpp  the daily (and start-up) retention pass
//   controller_lease.cpp    leadership: the lease, taking office, standing by

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "clock.h"
#include "config.h"
#include "daemon_metrics.h"
#include "database_link.h"
#include "db_worker.h"
#include "exit_status.h"
#include "http_listener.h"
#include "inbox.h"
#include "inbox_queue.h"
#include "inotify_watch.h"
#include "jobs.h"
#include "leadership.h"
#include "lease.h"
#include "log_event.h"
#include "notifier.h"
#include "planner.h"
#include "refresh_wanted.h"
#include "retention.h"
#include "schedule_book.h"

namespace segmentd {

class Controller {
  using SteadyClock = std::chrono::steady_clock;
  using path = std::filesystem::path;

 public:
  Controller(path config_path, Config config, bool verbose);
  // Runs until SIGTERM/SIGINT (or a fatal error); returns the exit code.
  int run();

  static spdlog::level::level_enum level_of(const std::string& name);

 private:
  // ---- start-up ---------------------------------------------------------
  void sweep();
  std::unique_ptr<Notifier> make_notifier(const std::vector<NotifyTarget>& targets);

  // ---- the inbox ----------------------------------------------------------
  std::unique_ptr<InboxTracker> make_tracker(const InboxConfig& inbox);
  std::unique_ptr<InotifyWatch> make_watch(const path& dir);
  void start_inbox();
  void on_inbox_event(const std::string& name, bool moved_in);
  void on_inbox_gone(const char* why);
  void arm_rewatch();
  void scan_inbox();
  void arm_rescan();

  // ---- schedules -------------------------------------------------------
  void arm_schedules();
  // refresh_overdue: checked on a timer while any schedule has a deadline.
  void arm_deadlines();
  void check_deadlines();
  void want_refresh(RefreshRequest request);
  void want_refresh_after_data(const std::string& started_by);

  // ---- retention (controller_retention.cpp) ---------------------------
  void arm_retention();
  void start_retention();
  void on_retention(const JobResult<RetentionReport>& r);

  // ---- leadership (controller_lease.cpp) ---------------------------------
  // The lease is held on a session of its own (lease_worker_), renewed every
  // third of ha.lease_seconds whatever the worker is doing.
  void start_lease();
  void on_lease(const JobResult<LeaseState>& r);
  void arm_lease(std::chrono::milliseconds delay);
  void stood_down(const std::string& why);
  void start_office();
  void on_office(const JobResult<OfficeInfo>& r);
  // The fence of this daemon's writes; nullopt while it does not lead.
  std::optional<LeaseFence> fence() const;

  // ---- what to do next ----------------------------------------------------
  void pump();
  void after_job();

  // ---- database connection ----------------------------------------------
  void start_connect();
  void on_connected(const JobResult<ConnectInfo>& r);
  void connection_lost(const JobError& error);
  void job_failed(const JobError& e, const char* event);

  // ---- small jobs ---------------------------------------------------------
  void apply_settings();
  void beat_heartbeat();

  // ---- loading a file -----------------------------------------------------
  void start_load(const std::string& name);
  void on_loaded(const std::string& name, const JobResult<LoadResult>& r);
  static void remove_rejects(const JobResult<LoadResult>& r);
  void count_load(const JobResult<LoadResult>& r, SteadyTime now);
  void give_up(const std::string& name, SteadyTime now, std::uint64_t run_id, const std::string& dataset,
               const std::string& why);

  // ---- moving a file out --------------------------------------------------
  void start_move(const std::string& name);
  void on_moved(const std::string& name, const MovePlan& plan, const JobResult<std::optional<path>>& r);

  // ---- refreshing ----------------------------------------------------------
  void start_refresh();
  void on_refreshed(const RefreshRequest& wanted, const JobResult<RefreshResult>& r);
  void predictions_finished(const PredictionOutcome& p);

  // ---- observability (controller_observe.cpp) -------------------------
  void start_listener();
  HttpResponse serve(const HttpRequest& request);
  // A job running longer than observability.stuck_after_seconds.
  bool worker_stuck() const;
  // Fills the gauges read at scrape time (inbox, worker) and writes the
  // textfile when one is configured.
  void metrics_changed();
  void refresh_gauges();
  std::string readiness(bool verbose, bool& ready) const;

  // ---- heartbeat and watchdog -----------------------------------------
  void arm_heartbeat();
  void start_watchdog();
  void ping_watchdog();

  // ---- signals ----------------------------------------------------------
  void wait_for_signal();
  void reload();
  void begin_shutdown(const std::string& why);
  void finish_shutdown();

  // Helpers of more than one part.
  static void prepare_folders(const InboxConfig& inbox);
  static std::string ms_text(std::chrono::milliseconds d);

  // Time, only through this (clock.h).
  RealClock real_clock_;
  const Clock& clock_ = real_clock_;
  path config_path_;
  Config config_;
  bool verbose_;
  ScheduleBook schedules_;
  path temp_dir_ = std::filesystem::temp_directory_path();
  RetryPolicy policy_;
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer rescan_timer_, settle_timer_, wake_timer_, reconnect_timer_, heartbeat_timer_,
      watchdog_timer_, schedule_timer_, deadline_timer_, retention_timer_, lease_timer_, rewatch_timer_;
  std::unique_ptr<InotifyWatch> watch_;
  std::unique_ptr<InboxTracker> tracker_;
  InboxQueue queue_;
  RefreshWanted refresh_;  // the one waiting refresh (refresh_wanted.h)
  // Failed refreshes the server refused to record; the next office does.
  std::vector<UnrecordedRun> unrecorded_runs_;
  bool busy_ = false, stopping_ = false, heartbeat_due_ = false, shutdown_posted_ = false, settings_due_ = false,
       reconnect_due_ = false, retention_due_ = false;
  std::optional<SysSeconds> retention_next_;  // the retention schedule's next time
  // The newest successful refresh known (by anyone), for deadlines.
  std::optional<std::chrono::system_clock::time_point> last_refresh_ok_;
  std::chrono::system_clock::time_point started_at_ = clock_.system_now();
  DeadlineWatch deadlines_;
  // The worker's session and its outages (database_link.h).
  DatabaseLink link_;
  // Whether this daemon leads (leadership.h); the lease worker's own
  // session state stays here, with the timer.
  Leadership leadership_;
  bool lease_connected_ = false, lease_busy_ = false;
  std::chrono::microseconds watchdog_period_{0};
  std::mt19937 rng_;
  // The loop must outlive an in-flight job even when no timer or signal is
  // pending any more (during shutdown), so the job's completion still runs.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> keep_running_;
  std::atomic<bool> cancel_{false};
  int exit_code_ = kExitOk;
  DaemonMetrics metrics_;
  std::unique_ptr<HttpListener> listener_;
  std::unique_ptr<Notifier> notifier_;
  SteadyTime job_started_{};  // of the load or refresh in progress
  bool stuck_logged_ = false;
  // Last, so they are destroyed first: their destructors wait for the
  // running job, which may use any member above.
  DbWorker lease_worker_{io_};
  DbWorker worker_{io_};
};

}  // namespace segmentd
