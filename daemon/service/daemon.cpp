// The controller of `segmentd run`: signals, reload, sd_notify, watchdog,
// timers and the inbox watch, on one Boost.Asio loop. It keeps the state
// (the inbox queue, the waiting refresh, the connection) and asks the
// planner what to do next; the database worker does it. Every decision is
// in planner.h, every job in jobs.h.
#include "daemon.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <memory>
#include <optional>
#include <random>

#include "db_session.h"
#include "db_worker.h"
#include "errors.h"
#include "exit_status.h"
#include "file_move.h"
#include "inbox.h"
#include "inbox_queue.h"
#include "inotify_watch.h"
#include "jobs.h"
#include "log_event.h"
#include "planner.h"
#include "service_notify.h"
#include "text.h"

namespace segmentd {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

spdlog::level::level_enum level_of(const std::string& name) {
  if (name == "debug") return spdlog::level::debug;
  if (name == "warn") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  return spdlog::level::info;
}

SysSeconds now_sys() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

void prepare_folders(const InboxConfig& inbox) {
  for (const auto& dir : {inbox.path, inbox.processed, inbox.quarantine}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw ConfigError(dir.string() + ": cannot create folder: " + ec.message());
  }
}

// processed/ and quarantine/ when they are inside the inbox: folders the
// daemon made, not drops to report.
std::set<std::string> own_folders(const InboxConfig& inbox) {
  std::set<std::string> out;
  for (const auto& dir : {inbox.processed, inbox.quarantine}) {
    if (dir.parent_path() == inbox.path) out.insert(dir.filename().string());
  }
  return out;
}

std::string ms_text(std::chrono::milliseconds d) {
  return std::to_string(d.count());
}

class Daemon {
 public:
  Daemon(fs::path config_path, Config config, bool verbose)
      : config_path_(std::move(config_path)),
        config_(std::move(config)),
        verbose_(verbose),
        schedules_(build_schedules(config_)),
        signals_(io_, SIGHUP, SIGTERM, SIGINT),
        rescan_timer_(io_),
        settle_timer_(io_),
        wake_timer_(io_),
        reconnect_timer_(io_),
        heartbeat_timer_(io_),
        watchdog_timer_(io_),
        schedule_timer_(io_),
        rng_(std::random_device{}()),
        keep_running_(boost::asio::make_work_guard(io_)) {}

  int run() {
    prepare_folders(config_.inbox);
    sweep();
    start_inbox();
    wait_for_signal();
    start_watchdog();
    arm_rescan();
    arm_heartbeat();
    log_event(spdlog::level::info, "daemon.starting",
              {{"config", config_path_.string()},
               {"inbox", config_.inbox.path.string()},
               {"database", describe_endpoint(config_.database)},
               {"schedules", std::to_string(schedules_.size())}});
    notify_status("connecting to " + describe_endpoint(config_.database));
    start_connect();
    io_.run();
    log_event(spdlog::level::info, "daemon.stopped", {{"exit_code", std::to_string(exit_code_)}});
    return exit_code_;
  }

 private:
  // ---- start-up ---------------------------------------------------------
  void sweep() {
    const auto removed = sweep_leftovers(config_, temp_dir_);
    if (removed > 0) {
      log_event(spdlog::level::warn, "daemon.swept",
                {{"removed", std::to_string(removed)}, {"why", "scratch files of a segmentd process that is gone"}});
    }
  }

  // ---- the inbox ----------------------------------------------------------
  std::unique_ptr<InboxTracker> make_tracker(const InboxConfig& inbox) {
    auto t = std::make_unique<InboxTracker>(inbox.path, inbox.ignore, std::chrono::seconds(inbox.settle_seconds));
    t->set_known_folders(own_folders(inbox));
    return t;
  }

  std::unique_ptr<InotifyWatch> make_watch(const fs::path& dir) {
    try {
      return std::make_unique<InotifyWatch>(
          io_, dir, [this](const std::string& name, bool moved_in) { on_inbox_event(name, moved_in); });
    } catch (const std::system_error& e) {
      // Still works, only slower: the periodic rescan finds the files.
      log_event(spdlog::level::warn, "inbox.inotify_unavailable", {{"error", e.what()}});
      return nullptr;
    }
  }

  void start_inbox() {
    tracker_ = make_tracker(config_.inbox);
    watch_ = make_watch(config_.inbox.path);
  }

  void on_inbox_event(const std::string& name, bool moved_in) {
    log_event(spdlog::level::debug, "inbox.event",
              {{"name", name.empty() ? "(overflow)" : escape_bytes(name)}, {"moved_in", moved_in ? "yes" : "no"}});
    // Renamed in = complete (the producers' convention); anything else must
    // first sit unchanged for the settle time.
    if (moved_in && !is_ignored(name, config_.inbox.ignore)) tracker_->mark_complete(name);
    scan_inbox();
  }

  void scan_inbox() {
    if (stopping_) return;
    const auto now = SteadyClock::now();
    for (const auto& file : tracker_->scan(now)) {
      if (queue_.offer(file, now)) {
        log_event(spdlog::level::info, "inbox.file_ready", {{"file", escape_bytes(file.filename().string())}});
      }
    }
    queue_.forget_missing(tracker_->present());
    for (const auto& s : tracker_->take_new_skipped()) {
      log_event(spdlog::level::warn, "inbox.entry_skipped",
                {{"name", escape_bytes(s.name)}, {"type", s.type}, {"why", "only regular files are taken"}});
    }
    if (tracker_->settling() > 0) {
      settle_timer_.expires_after(std::chrono::milliseconds(
          std::clamp<long>(static_cast<long>(config_.inbox.settle_seconds) * 500, 200, 5000)));
      settle_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) scan_inbox();
      });
    }
    pump();
  }

  void arm_rescan() {
    rescan_timer_.expires_after(std::chrono::seconds(config_.inbox.rescan_seconds));
    rescan_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      scan_inbox();
      arm_rescan();
    });
  }

  // ---- schedules -------------------------------------------------------
  void arm_schedules() {
    const auto now = now_sys();
    std::optional<SysSeconds> earliest;
    for (auto& s : schedules_) {
      if (!s.next) s.next = s.cron.next_after(now);
      if (s.next && (!earliest || *s.next < *earliest)) earliest = s.next;
    }
    if (!earliest) return;
    // Wake at least once a minute: the system clock can jump (NTP, suspend)
    // and a steady timer would not notice.
    const auto wait = std::min<std::chrono::seconds>(*earliest - now, std::chrono::seconds(60));
    schedule_timer_.expires_after(std::max<std::chrono::seconds>(wait, std::chrono::seconds(0)));
    schedule_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      const auto fired_at = now_sys();
      for (auto& s : schedules_) {
        if (s.next && *s.next <= fired_at) {
          log_event(spdlog::level::info, "schedule.fired",
                    {{"schedule", s.name}, {"due", format_local_iso(*s.next, std::chrono::seconds{0})}});
          want_refresh({RefreshTrigger::Schedule, "segmentd schedule " + s.name, false, {}});
          s.next = s.cron.next_after(std::max(*s.next, fired_at));
        }
      }
      arm_schedules();
    });
  }

  void want_refresh(RefreshRequest request) {
    merge_refresh(refresh_, std::move(request));
    pump();
  }

  // After new data: counted from the newest file's arrival, not from the
  // end of its load; the quiet time gathers a batch into one refresh, and
  // once every file that arrived is loaded, waiting longer gathers nothing.
  void want_refresh_after_data(const std::string& started_by) {
    const auto newest = queue_.newest_found().value_or(last_arrival_);
    last_arrival_ = std::max(last_arrival_, newest);
    want_refresh({RefreshTrigger::File, started_by, true,
                  last_arrival_ + std::chrono::seconds(config_.refresh.debounce_seconds)});
  }

  // ---- what to do next ----------------------------------------------------
  void pump() {
    PlanState state;
    state.now = SteadyClock::now();
    state.connected = connected_;
    state.busy = busy_;
    state.stopping = stopping_;
    state.settings_due = settings_due_;
    state.heartbeat_due = heartbeat_due_;
    state.refresh = refresh_;
    state.settling = tracker_ ? tracker_->settling() : 0;
    state.queue = &queue_;
    const Action action = plan_next(state);
    switch (action.kind) {
      case ActionKind::Nothing:
        return;
      case ActionKind::WaitUntil:
        wake_timer_.expires_at(action.until);
        wake_timer_.async_wait([this](const boost::system::error_code& ec) {
          if (!ec) pump();
        });
        return;
      case ActionKind::ApplySettings:
        return apply_settings();
      case ActionKind::Heartbeat:
        return beat_heartbeat();
      case ActionKind::Refresh:
        return start_refresh();
      case ActionKind::Load:
        return start_load(action.file);
      case ActionKind::Move:
        return start_move(action.file);
    }
  }

  // Every job ends here, on the loop.
  void after_job() {
    busy_ = false;
    if (stopping_) {
      // A file whose load committed is still moved out before the exit.
      PlanState state;
      state.now = SteadyClock::now();
      state.queue = &queue_;
      state.connected = false;
      const Action action = plan_next(state);
      if (action.kind == ActionKind::Move && queue_.find(action.file)->move_failures == 0) {
        return start_move(action.file);
      }
      return finish_shutdown();
    }
    if (reconnect_due_) {
      reconnect_due_ = false;
      return start_connect();
    }
    pump();
  }

  // ---- database connection ----------------------------------------------
  void start_connect() {
    busy_ = true;
    const Config config = config_;
    const auto schedules = schedules_;
    const bool first = !ever_connected_;
    worker_.connect<ConnectInfo>([config] { return connect_database(config.database); },
                                 [config, schedules, first](DbSession& db, std::unique_ptr<NamedLock>& hold) {
                                   return set_up_session(db, hold, config, schedules, first);
                                 },
                                 [this](const JobResult<ConnectInfo>& r) { on_connected(r); });
  }

  void on_connected(const JobResult<ConnectInfo>& r) {
    busy_ = false;
    if (r.error && r.error->fatal) {
      log_event(spdlog::level::critical, "daemon.fatal", {{"error", r.error->message}});
      exit_code_ = kExitFailure;
      return begin_shutdown("fatal error");
    }
    if (r.error) {
      connection_lost(*r.error);
      if (stopping_) finish_shutdown();
      return;
    }
    const ConnectInfo& info = *r.value;
    connected_ = true;
    settings_due_ = false;  // the set-up applied them
    if (outage_started_) {
      const auto seconds =
          std::chrono::duration_cast<std::chrono::seconds>(SteadyClock::now() - *outage_started_).count();
      log_event(spdlog::level::info, "db.recovered",
                {{"endpoint", describe_endpoint(config_.database)},
                 {"outage_seconds", std::to_string(seconds)},
                 {"attempts", std::to_string(reconnect_attempt_)}});
    } else {
      log_event(spdlog::level::info, "db.connected", {{"endpoint", describe_endpoint(config_.database)}});
    }
    outage_started_.reset();
    reconnect_attempt_ = 0;
    if (info.orphans.abandoned || info.orphans.succeeded_after_swap) {
      log_event(spdlog::level::warn, "runs.abandoned",
                {{"count", std::to_string(info.orphans.abandoned)},
                 {"succeeded_after_swap", std::to_string(info.orphans.succeeded_after_swap)}});
    }
    if (config_.fallback_event.enabled && info.event_scheduler != "ON") {
      log_event(spdlog::level::warn, "event.scheduler_off",
                {{"event_scheduler", info.event_scheduler},
                 {"hint", "the fallback event only runs with event_scheduler=ON"}});
    }
    if (!ever_connected_) {
      ever_connected_ = true;
      arm_schedules();
      notify_ready("watching " + config_.inbox.path.string());
      log_event(spdlog::level::info, "daemon.ready", {{"inbox", config_.inbox.path.string()}});
    } else {
      notify_status("watching " + config_.inbox.path.string());
    }
    if (info.catchup) {
      log_event(spdlog::level::info, "schedule.catchup", {{"reason", *info.catchup}});
      merge_refresh(refresh_, {RefreshTrigger::Catchup, "segmentd catch-up", false, {}});
    }
    if (info.owed) {
      // Owed from before a stop, a crash or an outage: decided from the
      // database, so nothing in memory can lose it.
      log_event(spdlog::level::info, "refresh.owed", {{"reason", *info.owed}});
      merge_refresh(refresh_, {RefreshTrigger::File, "segmentd after ingest (owed)", true, SteadyClock::now()});
    }
    if (stopping_) return finish_shutdown();
    scan_inbox();
  }

  void connection_lost(const JobError& error) {
    const bool was_connected = connected_;
    connected_ = false;
    if (!outage_started_) {
      outage_started_ = SteadyClock::now();
      log_event(spdlog::level::err, was_connected ? "db.connection_lost" : "db.unavailable",
                {{"endpoint", describe_endpoint(config_.database)},
                 {"category", to_string(error.category)},
                 {"error", error.message}});
      notify_status("database unavailable: " + error.message);
    }
    if (stopping_) return;
    const auto delay =
        backoff_delay(reconnect_attempt_, std::chrono::seconds(config_.database.reconnect_initial_seconds),
                      std::chrono::seconds(config_.database.reconnect_max_seconds), rng_);
    ++reconnect_attempt_;
    log_event(spdlog::level::info, "db.reconnect_scheduled",
              {{"attempt", std::to_string(reconnect_attempt_)}, {"delay_ms", ms_text(delay)}});
    reconnect_timer_.expires_after(delay);
    reconnect_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_ || connected_) return;
      if (busy_) {
        reconnect_due_ = true;  // after the running move
      } else {
        start_connect();
      }
    });
    pump();  // moves go on without the database
  }

  // A job's failure that is not the file's or the refresh's own.
  void job_failed(const JobError& e, const char* event) {
    if (e.category == ErrorCategory::ConnectionLost) return connection_lost(e);
    log_event(spdlog::level::err, event, {{"category", to_string(e.category)}, {"error", e.message}});
  }

  // ---- small jobs ---------------------------------------------------------
  void apply_settings() {
    settings_due_ = false;
    busy_ = true;
    const Config config = config_;
    worker_.run<bool>(
        [config](DbSession& db) {
          apply_segmentation_settings(db, config);
          apply_fallback_event(db, config.fallback_event);
          return true;
        },
        [this](const JobResult<bool>& r) {
          if (r.error) job_failed(*r.error, "config.apply_failed");
          after_job();
        });
  }

  void beat_heartbeat() {
    heartbeat_due_ = false;
    busy_ = true;
    worker_.run<bool>(
        [](DbSession& db) {
          heartbeat_touch(db);
          return true;
        },
        [this](const JobResult<bool>& r) {
          if (r.error) job_failed(*r.error, "heartbeat.failed");
          after_job();
        });
  }

  // ---- loading a file -----------------------------------------------------
  void start_load(const std::string& name) {
    const fs::path file = queue_.find(name)->path;
    queue_.start_load(name);
    busy_ = true;
    IngestOptions options;
    options.max_rejected_rows = config_.ingest.max_rejected_rows;
    options.load_path = config_.ingest.load_path;
    options.allow_empty_replace = config_.ingest.allow_empty_replace;
    options.rejects_dir = config_.inbox.quarantine;
    options.temp_dir = temp_dir_;
    options.cancel = &cancel_;
    options.lock_wait_seconds = 5;
    notify_status("loading " + escape_bytes(name));
    worker_.run<LoadResult>([file, options](DbSession& db) { return load_file(db, file, options); },
                            [this, name](const JobResult<LoadResult>& r) {
                              on_loaded(name, r);
                              after_job();
                            });
  }

  void on_loaded(const std::string& name, const JobResult<LoadResult>& r) {
    const auto now = SteadyClock::now();
    const std::string shown = escape_bytes(name);
    LoadFacts facts;
    facts.after_ingest = config_.refresh.after_ingest;
    if (r.error) {
      facts.job_error = r.error->category;
    } else {
      facts.gone = r.value->gone;
      facts.status = r.value->file.status;
      facts.failure = r.value->file.failure;
    }
    const unsigned failures = queue_.find(name)->transient_failures;
    const LoadDecision d = judge_load(facts, failures, policy_, rng_);
    const std::string why = r.error ? r.error->message : r.value->file.message;
    switch (d.verdict) {
      case LoadVerdict::WaitForConnection:
        // Not the file's fault: it waits, untouched, for the connection.
        queue_.load_deferred(name, now, false);
        log_event(spdlog::level::warn, "inbox.file_deferred", {{"file", shown}, {"error", why}});
        return connection_lost(*r.error);
      case LoadVerdict::RetrySoon:
        queue_.load_deferred(name, now + d.retry_after, false);
        log_event(spdlog::level::info, "inbox.file_deferred",
                  {{"file", shown}, {"error", why}, {"retry_ms", ms_text(d.retry_after)}});
        return;
      case LoadVerdict::RetryWithBackoff:
        remove_rejects(r);
        queue_.load_deferred(name, now + d.retry_after, true);
        log_event(spdlog::level::warn, "inbox.file_deferred",
                  {{"file", shown},
                   {"attempt", std::to_string(failures + 1)},
                   {"retry_ms", ms_text(d.retry_after)},
                   {"error", why}});
        return;
      case LoadVerdict::GiveUp:
        remove_rejects(r);
        return give_up(name, now, r.value ? r.value->run_id : 0,
                       "gave up after " + std::to_string(failures + 1) + " attempts: " + why);
      case LoadVerdict::LetGo:
        queue_.drop(name);
        tracker_->forget(name);
        log_event(spdlog::level::warn, "inbox.file_left",
                  {{"file", shown},
                   {"status", r.value->gone ? "gone" : to_string(r.value->file.status)},
                   {"message", r.value->gone ? "no longer in the inbox" : why}});
        return;
      case LoadVerdict::Move:
        break;
    }
    const LoadResult& load = *r.value;
    MovePlan plan = plan_move(load, config_.inbox);
    plan.run_id = load.run_id;
    plan.status = to_string(load.file.status);
    plan.message = load.file.message;
    queue_.load_finished(name, std::move(plan), now);
    // The refresh is owed from the commit on, whatever happens to the move.
    if (d.owes_refresh) want_refresh_after_data("segmentd after ingest");
    notify_status("watching " + config_.inbox.path.string());
  }

  // A load that is tried again leaves no rejects file behind.
  static void remove_rejects(const JobResult<LoadResult>& r) {
    std::error_code ec;
    if (r.value && !r.value->file.rejects_file.empty()) fs::remove(r.value->file.rejects_file, ec);
  }

  // Quarantined with the reason, after too many failures that might have
  // passed.
  void give_up(const std::string& name, SteadyTime now, std::uint64_t run_id, const std::string& why) {
    MovePlan plan;
    plan.quarantine = true;
    plan.target_dir = config_.inbox.quarantine;
    plan.run_id = run_id;
    plan.status = "failed";
    plan.message = why;
    plan.reason = "status: failed\nrun: " + std::to_string(run_id) + "\nreason: " + why + "\n";
    queue_.load_finished(name, std::move(plan), now);
  }

  // ---- moving a file out --------------------------------------------------
  void start_move(const std::string& name) {
    const InboxQueue::Entry* entry = queue_.find(name);
    const fs::path file = entry->path;
    auto plan = std::make_shared<MovePlan>(entry->move);
    busy_ = true;
    worker_.run_local<fs::path>([file, plan] { return carry_out(file, *plan); },
                                [this, name, plan](const JobResult<fs::path>& r) {
                                  on_moved(name, *plan, r);
                                  after_job();
                                });
  }

  void on_moved(const std::string& name, const MovePlan& plan, const JobResult<fs::path>& r) {
    const std::string shown = escape_bytes(name);
    const unsigned earlier_failures = queue_.find(name)->move_failures;
    if (r.error) {
      const unsigned failures = earlier_failures + 1;
      const auto delay = backoff_delay(earlier_failures, policy_.first_move_retry, policy_.max_move_retry, rng_);
      queue_.move_failed(name, plan, SteadyClock::now() + delay);
      // Alert once; the retries that follow are not news.
      log_event(failures == 1 ? spdlog::level::err : spdlog::level::debug,
                failures == 1 ? "inbox.move_failed" : "inbox.move_retry",
                {{"file", shown},
                 {"to", plan.target_dir.string()},
                 {"attempt", std::to_string(failures)},
                 {"retry_ms", ms_text(delay)},
                 {"error", r.error->message}});
      return;
    }
    queue_.move_finished(name);
    tracker_->forget(name);
    if (earlier_failures > 0) {
      log_event(spdlog::level::info, "inbox.move_recovered",
                {{"file", shown}, {"attempts", std::to_string(earlier_failures + 1)}});
    }
    log_event(plan.quarantine ? spdlog::level::warn : spdlog::level::info,
              plan.quarantine ? "inbox.file_quarantined" : "inbox.file_processed",
              {{"file", shown},
               {"status", plan.status},
               {"run_id", std::to_string(plan.run_id)},
               {"message", plan.message + "; moved to " + escape_bytes(r.value->string())}});
  }

  // ---- refreshing ----------------------------------------------------------
  void start_refresh() {
    const RefreshRequest wanted = *refresh_;
    refresh_.reset();
    busy_ = true;
    const ExportsConfig exports = config_.exports;
    notify_status(std::string("refreshing (") + to_string(wanted.trigger) + ")");
    log_event(spdlog::level::info, "refresh.started", {{"trigger", to_string(wanted.trigger)}});
    worker_.run<RefreshResult>(
        [wanted, exports](DbSession& db) {
          return refresh_and_export(db, to_string(wanted.trigger), wanted.started_by, exports, wanted.only_if_owed);
        },
        [this, wanted](const JobResult<RefreshResult>& r) {
          on_refreshed(wanted, r);
          after_job();
        });
  }

  void on_refreshed(const RefreshRequest& wanted, const JobResult<RefreshResult>& r) {
    if (r.error) {
      log_event(spdlog::level::err, "refresh.not_run",
                {{"trigger", to_string(wanted.trigger)},
                 {"category", to_string(r.error->category)},
                 {"error", r.error->message}});
      // Kept: it runs once the database is back (and the reconnect also
      // finds it owed from the database).
      if (r.error->category == ErrorCategory::ConnectionLost) {
        RefreshRequest again = wanted;
        again.due = SteadyClock::now();
        merge_refresh(refresh_, again);
        connection_lost(*r.error);
      }
      return;
    }
    const RefreshResult& result = *r.value;
    if (result.not_needed) {
      log_event(spdlog::level::info, "refresh.not_needed",
                {{"trigger", to_string(wanted.trigger)}, {"why", "no data waits for a refresh any more"}});
      return;
    }
    const RefreshOutcome& out = result.outcome;
    log_event(out.status == RunStatus::Failed ? spdlog::level::err : spdlog::level::info, "refresh.finished",
              {{"trigger", to_string(wanted.trigger)},
               {"run_id", std::to_string(out.run_id)},
               {"status", to_string(out.status)},
               {"customers", std::to_string(out.customers)},
               {"message", out.message}});
    if (out.status == RunStatus::Skipped && wanted.trigger == RefreshTrigger::File) {
      // Another session's refresh held the lock; it may have started before
      // our data was committed. Asked again later, run only if still owed.
      RefreshRequest again = wanted;
      again.debounced = true;
      again.due = SteadyClock::now() + policy_.skipped_refresh_retry;
      again.only_if_owed = true;
      merge_refresh(refresh_, again);
      log_event(spdlog::level::info, "refresh.retry_scheduled",
                {{"trigger", to_string(wanted.trigger)}, {"retry_ms", ms_text(policy_.skipped_refresh_retry)}});
    }
    if (result.exported) {
      log_event(spdlog::level::info, "export.finished",
                {{"run_id", std::to_string(out.run_id)},
                 {"dir", config_.exports.dir.string()},
                 {"set", result.exported->dir.filename().string()},
                 {"files", std::to_string(result.exported->files.size())},
                 {"rows", std::to_string(result.exported->rows())}});
    } else if (!result.export_error.empty()) {
      log_event(spdlog::level::err, "export.failed",
                {{"run_id", std::to_string(out.run_id)},
                 {"dir", config_.exports.dir.string()},
                 {"error", result.export_error}});
    }
    notify_status("watching " + config_.inbox.path.string());
  }

  // ---- heartbeat and watchdog -----------------------------------------
  void arm_heartbeat() {
    heartbeat_timer_.expires_after(std::chrono::seconds(kHeartbeatSeconds));
    heartbeat_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      heartbeat_due_ = true;
      pump();
      arm_heartbeat();
    });
  }

  void start_watchdog() {
    const auto interval = watchdog_interval();
    if (!interval) return;
    watchdog_period_ = *interval / 2;
    ping_watchdog();
  }

  void ping_watchdog() {
    notify_watchdog();
    watchdog_timer_.expires_after(watchdog_period_);
    watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) ping_watchdog();
    });
  }

  // ---- signals ----------------------------------------------------------
  void wait_for_signal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        reload();
      } else {
        log_event(spdlog::level::info, "daemon.signal", {{"signal", signo == SIGTERM ? "TERM" : "INT"}});
        begin_shutdown(signo == SIGTERM ? "SIGTERM" : "SIGINT");
      }
      if (!stopping_ || signo == SIGHUP) wait_for_signal();
    });
  }

  // All of the new config or none of it: everything that can fail is built
  // first; only then is anything swapped.
  void reload() {
    if (stopping_) return;
    notify_reloading();
    try {
      Config next = load_config(config_path_);
      if (next.inbox.path.empty())
        throw ConfigError(config_path_.string() + ": inbox.path: required by `segmentd run`");
      prepare_folders(next.inbox);
      auto next_schedules = build_schedules(next);
      auto next_tracker = make_tracker(next.inbox);
      auto next_watch = make_watch(next.inbox.path);
      const bool database_changed = config_.database != next.database;
      const bool inbox_changed = config_.inbox.path != next.inbox.path;
      config_ = std::move(next);
      schedules_ = std::move(next_schedules);
      watch_ = std::move(next_watch);
      tracker_ = std::move(next_tracker);
      // The file being loaded (or moved) stays the queue's, so the new
      // tracker finding it again changes nothing; files of an inbox that is
      // no longer watched and not yet started are let go.
      if (inbox_changed) queue_.forget_missing({});
      spdlog::set_level(verbose_ ? spdlog::level::debug : level_of(config_.logging.level));
      schedule_timer_.cancel();
      if (ever_connected_) arm_schedules();
      rescan_timer_.cancel();
      arm_rescan();
      log_event(spdlog::level::info, "config.reloaded",
                {{"config", config_path_.string()}, {"database_changed", database_changed ? "yes" : "no"}});
      if (database_changed) {
        connected_ = false;
        // A running job finishes on the old session; the reconnect follows.
        if (busy_) {
          reconnect_due_ = true;
        } else {
          start_connect();
        }
      } else {
        settings_due_ = true;
      }
    } catch (const std::exception& e) {
      log_event(spdlog::level::err, "config.reload_failed",
                {{"config", config_path_.string()}, {"error", e.what()}, {"kept", "previous configuration"}});
    }
    notify_ready("watching " + config_.inbox.path.string());
    scan_inbox();
  }

  void begin_shutdown(const std::string& why) {
    if (stopping_) return;
    stopping_ = true;
    cancel_ = true;  // an in-flight load stops before its commit
    notify_stopping();
    log_event(
        spdlog::level::info, "daemon.stopping",
        {{"reason", why}, {"in_flight", busy_ ? "yes" : "no"}, {"waiting_files", std::to_string(queue_.waiting())}});
    for (auto* t :
         {&rescan_timer_, &settle_timer_, &wake_timer_, &reconnect_timer_, &heartbeat_timer_, &schedule_timer_}) {
      t->cancel();
    }
    watch_.reset();
    if (!busy_) after_job();
  }

  void finish_shutdown() {
    if (shutdown_posted_) return;
    shutdown_posted_ = true;
    busy_ = true;
    worker_.disconnect([](DbSession& db) { heartbeat_stop(db); },
                       [this] {
                         keep_running_.reset();
                         watchdog_timer_.cancel();
                         signals_.cancel();
                         io_.stop();
                       });
  }

  fs::path config_path_;
  Config config_;
  bool verbose_;
  std::vector<NamedSchedule> schedules_;
  fs::path temp_dir_ = fs::temp_directory_path();
  RetryPolicy policy_;
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer rescan_timer_, settle_timer_, wake_timer_, reconnect_timer_, heartbeat_timer_,
      watchdog_timer_, schedule_timer_;
  std::unique_ptr<InotifyWatch> watch_;
  std::unique_ptr<InboxTracker> tracker_;
  InboxQueue queue_;
  std::optional<RefreshRequest> refresh_;
  SteadyTime last_arrival_{};
  bool busy_ = false, stopping_ = false, connected_ = false, ever_connected_ = false, heartbeat_due_ = false,
       shutdown_posted_ = false, settings_due_ = false, reconnect_due_ = false;
  std::optional<SteadyTime> outage_started_;
  unsigned reconnect_attempt_ = 0;
  std::chrono::microseconds watchdog_period_{0};
  std::mt19937 rng_;
  // The loop must outlive an in-flight job even when no timer or signal is
  // pending any more (during shutdown), so the job's completion still runs.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> keep_running_;
  std::atomic<bool> cancel_{false};
  int exit_code_ = kExitOk;
  // Last, so it is destroyed first: its destructor waits for the running
  // job, which may use any member above.
  DbWorker worker_{io_};
};

}  // namespace

int run_daemon(const fs::path& config_path, bool verbose) {
  Config config = load_config(config_path);
  if (config.inbox.path.empty()) throw ConfigError(config_path.string() + ": inbox.path: required by `segmentd run`");
  setup_logging(verbose ? spdlog::level::debug : level_of(config.logging.level));
  // The Daemon's signal_set is constructed before its worker thread, so
  // SIGHUP/SIGTERM/SIGINT are routed to the loop from the start.
  Daemon daemon(config_path, std::move(config), verbose);
  return daemon.run();
}

}  // namespace segmentd
