#include "daemon.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cmath>
#include <csignal>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>

#include "cli.h"
#include "cron_schedule.h"
#include "daemon_db.h"
#include "db_session.h"
#include "durable_file.h"
#include "errors.h"
#include "exports.h"
#include "inbox.h"
#include "ingest_run.h"
#include "inotify_watch.h"
#include "log_event.h"
#include "migrations.h"
#include "named_lock.h"
#include "refresh.h"
#include "run_identity.h"
#include "service_notify.h"

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

std::string iso(SysSeconds t) {
  return format_local_iso(t, std::chrono::seconds{0});
}

struct NamedSchedule {
  std::string name;
  CronSchedule cron;
  std::optional<SysSeconds> next;
};

std::vector<NamedSchedule> build_schedules(const Config& config) {
  std::vector<NamedSchedule> out;
  for (const auto& s : config.schedules) out.push_back({s.name, CronSchedule(s.cron, s.timezone), std::nullopt});
  return out;
}

void prepare_folders(const InboxConfig& inbox) {
  for (const auto& dir : {inbox.path, inbox.processed, inbox.quarantine}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw ConfigError(dir.string() + ": cannot create folder: " + ec.message());
  }
}

// What a worker job reports back to the loop.
struct JobResult {
  bool connection_lost = false;
  std::string error;  // a failure that is not the file's or the refresh's own
};

struct ConnectResult : JobResult {
  bool fatal = false;  // no point retrying (schema, another daemon)
  bool catchup = false;
  std::string catchup_reason;
};

struct IngestResult : JobResult {
  std::string status;  // loaded, duplicate, rejected, failed, interrupted, retry
  std::string message;
  std::uint64_t run_id = 0;
};

class Daemon {
 public:
  Daemon(fs::path config_path, Config config)
      : config_path_(std::move(config_path)),
        config_(std::move(config)),
        schedules_(build_schedules(config_)),
        signals_(io_, SIGHUP, SIGTERM, SIGINT),
        rescan_timer_(io_),
        settle_timer_(io_),
        debounce_timer_(io_),
        reconnect_timer_(io_),
        heartbeat_timer_(io_),
        watchdog_timer_(io_),
        schedule_timer_(io_),
        rng_(std::random_device{}()),
        keep_running_(boost::asio::make_work_guard(io_)) {}

  int run() {
    prepare_folders(config_.inbox);
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
    worker_.join();
    log_event(spdlog::level::info, "daemon.stopped", {{"exit_code", std::to_string(exit_code_)}});
    return exit_code_;
  }

 private:
  // ---- inbox ----------------------------------------------------------
  void start_inbox() {
    tracker_ = std::make_unique<InboxTracker>(config_.inbox.path, config_.inbox.ignore,
                                              std::chrono::seconds(config_.inbox.settle_seconds));
    try {
      watch_ = std::make_unique<InotifyWatch>(
          io_, config_.inbox.path, [this](const std::string& name, bool moved_in) { on_inbox_event(name, moved_in); });
    } catch (const std::system_error& e) {
      // Still works, only slower: the periodic rescan finds the files.
      watch_.reset();
      log_event(spdlog::level::warn, "inbox.inotify_unavailable", {{"error", e.what()}});
    }
  }

  void on_inbox_event(const std::string& name, bool moved_in) {
    log_event(spdlog::level::debug, "inbox.event",
              {{"name", name.empty() ? "(overflow)" : name}, {"moved_in", moved_in ? "yes" : "no"}});
    // Renamed in = complete (the producers' convention); anything else must
    // first sit unchanged for the settle time.
    if (moved_in && !is_ignored(name, config_.inbox.ignore)) tracker_->mark_complete(name);
    scan_inbox();
  }

  void scan_inbox() {
    if (stopping_) return;
    const auto ready = tracker_->scan(SteadyClock::now());
    for (const auto& file : ready) {
      const auto name = file.filename().string();
      if (queued_.count(name)) continue;
      queued_.insert(name);
      pending_.push_back(file);
      last_arrival_ = SteadyClock::now();
      log_event(spdlog::level::info, "inbox.file_ready", {{"file", name}});
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
    for (auto& s : schedules_) {
      if (!s.next) s.next = s.cron.next_after(now);
    }
    std::optional<SysSeconds> earliest;
    for (const auto& s : schedules_) {
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
          log_event(spdlog::level::info, "schedule.fired", {{"schedule", s.name}, {"due", iso(*s.next)}});
          request_refresh("schedule", "segmentd schedule " + s.name, false);
          s.next = s.cron.next_after(std::max(*s.next, fired_at));
        }
      }
      arm_schedules();
    });
  }

  // ---- refresh requests ------------------------------------------------
  // At most one refresh waits: a new request joins the waiting one (a
  // scheduled or catch-up request replaces a debounced after-ingest one).
  void request_refresh(const std::string& trigger, const std::string& started_by, bool debounced) {
    if (!refresh_wanted_ || refresh_wanted_->debounced) {
      refresh_wanted_ = WantedRefresh{trigger, started_by, debounced};
    }
    // Counted from the newest file's arrival, not from the end of its load:
    // the quiet time is there to gather a batch into one refresh, and once
    // every file that arrived is loaded, waiting longer gathers nothing.
    if (debounced) refresh_due_ = last_arrival_ + std::chrono::seconds(config_.refresh.debounce_seconds);
    pump();
  }

  // ---- the scheduler of work -------------------------------------------
  void pump() {
    if (busy_ || stopping_) return;
    if (!connected_) return;  // the reconnect timer calls back
    if (settings_due_) {
      settings_due_ = false;
      const Config config = config_;
      run_job<JobResult>(
          [this, config] {
            apply_segmentation_settings(*db_, config);
            apply_fallback_event(*db_, config.fallback_event);
            return JobResult{};
          },
          [](const JobResult& r) {
            if (!r.error.empty()) log_event(spdlog::level::err, "config.apply_failed", {{"error", r.error}});
          });
      return;
    }
    if (heartbeat_due_) {
      heartbeat_due_ = false;
      run_job<JobResult>(
          [this] {
            heartbeat_touch(*db_);
            return JobResult{};
          },
          [](const JobResult&) {});
      return;
    }
    if (refresh_wanted_ && !refresh_wanted_->debounced) return start_refresh();
    if (!pending_.empty()) return start_ingest();
    if (refresh_wanted_) {
      const auto now = SteadyClock::now();
      if (now >= refresh_due_ && tracker_->settling() == 0) return start_refresh();
      debounce_timer_.expires_at(std::max(refresh_due_, now + std::chrono::milliseconds(500)));
      debounce_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) scan_inbox();
      });
    }
  }

  // Runs `work` on the worker thread, then `done` on the loop. Connection
  // loss and unexpected errors are turned into the result, never thrown.
  template <typename Result>
  void run_job(std::function<Result()> work, std::function<void(const Result&)> done) {
    busy_ = true;
    boost::asio::post(worker_, [this, work = std::move(work), done = std::move(done)] {
      Result result;
      try {
        if (!db_) throw DbError("not connected", 2006, "HY000");
        result = work();
      } catch (const DbError& e) {
        result.error = std::string("database error ") + std::to_string(e.code()) + ": " + e.what();
        result.connection_lost = e.connection_lost() || !db_ || !db_->usable();
      } catch (const std::exception& e) {
        result.error = e.what();
        result.connection_lost = db_ && !db_->usable();
      }
      if (result.connection_lost) {
        daemon_lock_.reset();
        db_.reset();
      }
      boost::asio::post(io_, [this, result, done] {
        busy_ = false;
        if (result.connection_lost) connection_lost(result.error);
        done(result);
        after_job();
      });
    });
  }

  void after_job() {
    if (stopping_) return finish_shutdown();
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
    boost::asio::post(worker_, [this, config, schedules, first] {
      ConnectResult result;
      try {
        daemon_lock_.reset();
        db_.reset();
        db_ = connect_database(config.database);
        require_current_schema(*db_);
        try {
          daemon_lock_ = std::make_unique<NamedLock>(*db_, "daemon", 0);
        } catch (const UserError&) {
          result.fatal = true;
          throw UserError("another segmentd is already running against database " + config.database.database);
        }
        const auto abandoned = abandon_orphaned_runs(*db_);
        if (abandoned) log_event(spdlog::level::warn, "runs.abandoned", {{"count", std::to_string(abandoned)}});
        apply_segmentation_settings(*db_, config);
        apply_fallback_event(*db_, config.fallback_event);
        heartbeat_start(*db_, this_process());
        const auto scheduler = event_scheduler_state(*db_);
        if (config.fallback_event.enabled && scheduler != "ON") {
          log_event(spdlog::level::warn, "event.scheduler_off",
                    {{"event_scheduler", scheduler}, {"hint", "the fallback event only runs with event_scheduler=ON"}});
        }
        if (first) decide_catchup(*db_, schedules, result);
      } catch (const DbError& e) {
        result.error = std::string("database error ") + std::to_string(e.code()) + ": " + e.what();
        // Unreachable, refused or lost: all worth retrying with backoff.
        result.connection_lost = true;
      } catch (const std::exception& e) {
        result.error = e.what();
        result.fatal = true;
      }
      if (!result.error.empty()) {
        daemon_lock_.reset();
        db_.reset();
      }
      boost::asio::post(io_, [this, result] {
        busy_ = false;
        on_connected(result);
      });
    });
  }

  static void decide_catchup(DbSession& db, const std::vector<NamedSchedule>& schedules, ConnectResult& result) {
    // Only runs missed while the daemon was down count; a database that has
    // never been refreshed has missed nothing (the first drop refreshes it).
    const auto last = last_refresh_started(db);
    if (schedules.empty() || !last) return;
    const auto now = now_sys();
    for (const auto& s : schedules) {
      const auto due = s.cron.next_after(*last);
      if (due && *due <= now) {
        result.catchup = true;
        result.catchup_reason =
            "schedule " + s.name + " was due at " + iso(*due) + "; last refresh started " + iso(*last);
        return;
      }
    }
  }

  void on_connected(const ConnectResult& result) {
    if (result.fatal) {
      log_event(spdlog::level::critical, "daemon.fatal", {{"error", result.error}});
      exit_code_ = kExitFailure;
      return begin_shutdown("fatal error");
    }
    if (!result.error.empty()) {
      connection_lost(result.error);
      if (stopping_) return finish_shutdown();
      return;
    }
    connected_ = true;
    settings_due_ = false;  // the connect job applied them
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
    if (!ever_connected_) {
      ever_connected_ = true;
      arm_schedules();
      notify_ready("watching " + config_.inbox.path.string());
      log_event(spdlog::level::info, "daemon.ready", {{"inbox", config_.inbox.path.string()}});
      if (result.catchup) {
        log_event(spdlog::level::info, "schedule.catchup", {{"reason", result.catchup_reason}});
        request_refresh("catchup", "segmentd catch-up", false);
      }
    } else {
      notify_status("watching " + config_.inbox.path.string());
    }
    if (stopping_) return finish_shutdown();
    scan_inbox();
  }

  void connection_lost(const std::string& error) {
    const bool was_connected = connected_;
    connected_ = false;
    if (!outage_started_) {
      outage_started_ = SteadyClock::now();
      log_event(spdlog::level::err, was_connected ? "db.connection_lost" : "db.unavailable",
                {{"endpoint", describe_endpoint(config_.database)}, {"error", error}});
      notify_status("database unavailable: " + error);
    }
    if (stopping_) return;
    // Exponential backoff with jitter, capped.
    const double base =
        std::min<double>(config_.database.reconnect_max_seconds,
                         config_.database.reconnect_initial_seconds * std::pow(2.0, std::min(reconnect_attempt_, 20u)));
    std::uniform_real_distribution<double> jitter(0.0, 0.25);
    const auto delay = std::chrono::milliseconds(static_cast<long>(base * (1.0 + jitter(rng_)) * 1000));
    ++reconnect_attempt_;
    log_event(spdlog::level::info, "db.reconnect_scheduled",
              {{"attempt", std::to_string(reconnect_attempt_)}, {"delay_ms", std::to_string(delay.count())}});
    reconnect_timer_.expires_after(delay);
    reconnect_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_ || busy_ || connected_) return;
      start_connect();
    });
  }

  // ---- jobs -------------------------------------------------------------
  void start_ingest() {
    const fs::path file = pending_.front();
    pending_.pop_front();
    IngestOptions options;
    options.max_rejected_rows = config_.ingest.max_rejected_rows;
    options.load_path = config_.ingest.load_path;
    options.rejects_dir = config_.inbox.quarantine;
    options.cancel = &cancel_;
    const InboxConfig inbox = config_.inbox;
    const unsigned attempts = ++attempts_[file.filename().string()];
    notify_status("loading " + file.filename().string());
    run_job<IngestResult>([this, file, options, inbox, attempts] { return ingest_one(file, options, inbox, attempts); },
                          [this, file](const IngestResult& r) { on_ingested(file, r); });
  }

  // Worker side: load one file and move it where it belongs.
  IngestResult ingest_one(const fs::path& file, const IngestOptions& options, const InboxConfig& inbox,
                          unsigned attempts) {
    IngestResult result;
    std::error_code ec;
    if (!fs::exists(file, ec)) {
      result.status = "gone";
      return result;
    }
    RunIdentity who = this_process();
    who.started_by = "segmentd inbox";
    const IngestRunOutcome run = run_ingest(*db_, {file}, options, "file", who);
    const FileOutcome& f = run.files.at(0);
    result.run_id = run.run_id;
    result.status = f.status;
    result.message = f.message;
    // A database hiccup is not the file's fault: retry it a few times first.
    const bool transient = f.status == "failed" && f.message.rfind("database error", 0) == 0 && attempts < 3;
    if (f.status == "interrupted" || transient) {
      if (transient) result.status = "retry";
      if (!f.rejects_file.empty()) fs::remove(f.rejects_file, ec);
      return result;
    }
    const fs::path target_dir = f.ok() ? inbox.processed : inbox.quarantine;
    const fs::path moved = move_into(file, target_dir);
    if (!f.rejects_file.empty() && fs::exists(f.rejects_file, ec)) {
      fs::rename(f.rejects_file, moved.string() + ".rejects.csv", ec);
    }
    if (!f.ok()) {
      write_file_atomically(moved.string() + ".reason.txt",
                            "file: " + file.string() + "\nstatus: " + f.status +
                                "\nrun: " + std::to_string(run.run_id) + "\nreason: " + f.message + "\n" +
                                (f.rejects_file.empty() ? "" : "rejects: " + moved.string() + ".rejects.csv\n"));
    }
    result.message += "; moved to " + moved.string();
    return result;
  }

  void on_ingested(const fs::path& file, const IngestResult& r) {
    const auto name = file.filename().string();
    if (!r.error.empty()) {
      // Connection lost or similar: the file is untouched in the inbox.
      log_event(spdlog::level::warn, "inbox.file_deferred", {{"file", name}, {"error", r.error}});
      queued_.erase(name);
      tracker_->forget(file);
      return;
    }
    if (r.status == "interrupted" || r.status == "retry" || r.status == "gone") {
      log_event(spdlog::level::warn, "inbox.file_left", {{"file", name}, {"status", r.status}, {"message", r.message}});
      queued_.erase(name);
      tracker_->forget(file);
      return;
    }
    attempts_.erase(name);
    queued_.erase(name);
    tracker_->forget(file);
    const bool ok = r.status == "loaded" || r.status == "duplicate";
    log_event(ok ? spdlog::level::info : spdlog::level::warn, ok ? "inbox.file_processed" : "inbox.file_quarantined",
              {{"file", name}, {"status", r.status}, {"run_id", std::to_string(r.run_id)}, {"message", r.message}});
    if (r.status == "loaded" && config_.refresh.after_ingest) {
      request_refresh("file", "segmentd after ingest", true);
    }
    notify_status("watching " + config_.inbox.path.string());
  }

  void start_refresh() {
    const WantedRefresh wanted = *refresh_wanted_;
    refresh_wanted_.reset();
    const fs::path exports_dir = config_.exports.dir;
    notify_status("refreshing (" + wanted.trigger + ")");
    log_event(spdlog::level::info, "refresh.started", {{"trigger", wanted.trigger}});
    struct RefreshResult : JobResult {
      RefreshOutcome outcome;
      bool requeue = false;
    };
    run_job<RefreshResult>(
        [this, wanted, exports_dir] {
          RefreshResult result;
          RunIdentity who = this_process();
          who.started_by = wanted.started_by;
          result.outcome = run_refresh(*db_, wanted.trigger, who);
          if (result.outcome.status == "succeeded" && !exports_dir.empty()) {
            try {
              const auto files = write_exports(*db_, exports_dir);
              std::uint64_t rows = 0;
              for (const auto& f : files) rows += f.rows;
              log_event(spdlog::level::info, "export.finished",
                        {{"run_id", std::to_string(result.outcome.run_id)},
                         {"dir", exports_dir.string()},
                         {"files", std::to_string(files.size())},
                         {"rows", std::to_string(rows)}});
            } catch (const UserError& e) {
              log_event(spdlog::level::err, "export.failed", {{"dir", exports_dir.string()}, {"error", e.what()}});
            }
          }
          return result;
        },
        [this, wanted](const RefreshResult& r) {
          if (!r.error.empty()) {
            log_event(spdlog::level::err, "refresh.not_run", {{"trigger", wanted.trigger}, {"error", r.error}});
            // Keep the request: it runs once the database is back.
            if (r.connection_lost && !refresh_wanted_) refresh_wanted_ = wanted;
            return;
          }
          log_event(r.outcome.status == "failed" ? spdlog::level::err : spdlog::level::info, "refresh.finished",
                    {{"trigger", wanted.trigger},
                     {"run_id", std::to_string(r.outcome.run_id)},
                     {"status", r.outcome.status},
                     {"customers", std::to_string(r.outcome.customers)},
                     {"message", r.outcome.message}});
          notify_status("watching " + config_.inbox.path.string());
        });
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
      prepare_folders(next.inbox);
      auto next_schedules = build_schedules(next);
      std::unique_ptr<InotifyWatch> next_watch;
      auto next_tracker = std::make_unique<InboxTracker>(next.inbox.path, next.inbox.ignore,
                                                         std::chrono::seconds(next.inbox.settle_seconds));
      try {
        next_watch = std::make_unique<InotifyWatch>(
            io_, next.inbox.path, [this](const std::string& name, bool moved_in) { on_inbox_event(name, moved_in); });
      } catch (const std::system_error& e) {
        log_event(spdlog::level::warn, "inbox.inotify_unavailable", {{"error", e.what()}});
      }
      const bool database_changed = config_.database != next.database;
      config_ = std::move(next);
      schedules_ = std::move(next_schedules);
      watch_ = std::move(next_watch);
      tracker_ = std::move(next_tracker);
      queued_.clear();
      for (const auto& f : pending_) queued_.insert(f.filename().string());
      spdlog::set_level(level_of(config_.logging.level));
      schedule_timer_.cancel();
      if (ever_connected_) arm_schedules();
      rescan_timer_.cancel();
      arm_rescan();
      log_event(spdlog::level::info, "config.reloaded",
                {{"config", config_path_.string()}, {"database_changed", database_changed ? "yes" : "no"}});
      if (database_changed) {
        reconnect_after_reload();
      } else {
        apply_settings_after_reload();
      }
    } catch (const std::exception& e) {
      log_event(spdlog::level::err, "config.reload_failed",
                {{"config", config_path_.string()}, {"error", e.what()}, {"kept", "previous configuration"}});
    }
    notify_ready("watching " + config_.inbox.path.string());
    scan_inbox();
  }

  void apply_settings_after_reload() {
    settings_due_ = true;
    pump();
  }

  void reconnect_after_reload() {
    connected_ = false;
    // A running job finishes on the old session; the reconnect follows it.
    if (busy_) {
      reconnect_due_ = true;
    } else {
      start_connect();
    }
  }

  void begin_shutdown(const std::string& why) {
    if (stopping_) return;
    stopping_ = true;
    cancel_ = true;  // an in-flight load stops before its commit
    notify_stopping();
    log_event(
        spdlog::level::info, "daemon.stopping",
        {{"reason", why}, {"in_flight", busy_ ? "yes" : "no"}, {"waiting_files", std::to_string(pending_.size())}});
    for (auto* t :
         {&rescan_timer_, &settle_timer_, &debounce_timer_, &reconnect_timer_, &heartbeat_timer_, &schedule_timer_}) {
      t->cancel();
    }
    watch_.reset();
    if (!busy_) finish_shutdown();
  }

  void finish_shutdown() {
    if (shutdown_posted_) return;
    shutdown_posted_ = true;
    boost::asio::post(worker_, [this] {
      try {
        if (db_) heartbeat_stop(*db_);
      } catch (const std::exception&) {
        // The server is gone; the heartbeat goes stale on its own.
      }
      daemon_lock_.reset();
      db_.reset();
      boost::asio::post(io_, [this] {
        keep_running_.reset();
        watchdog_timer_.cancel();
        signals_.cancel();
        io_.stop();
      });
    });
  }

  struct WantedRefresh {
    std::string trigger;
    std::string started_by;
    bool debounced = false;
  };

  fs::path config_path_;
  Config config_;
  std::vector<NamedSchedule> schedules_;
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer rescan_timer_, settle_timer_, debounce_timer_, reconnect_timer_, heartbeat_timer_,
      watchdog_timer_, schedule_timer_;
  std::unique_ptr<InotifyWatch> watch_;
  std::unique_ptr<InboxTracker> tracker_;
  std::deque<fs::path> pending_;
  std::set<std::string> queued_;
  std::map<std::string, unsigned> attempts_;
  std::optional<WantedRefresh> refresh_wanted_;
  SteadyClock::time_point refresh_due_{};
  SteadyClock::time_point last_arrival_{};  // newest file ready in the inbox
  bool busy_ = false, stopping_ = false, connected_ = false, ever_connected_ = false, heartbeat_due_ = false,
       shutdown_posted_ = false, settings_due_ = false, reconnect_due_ = false;
  std::optional<SteadyClock::time_point> outage_started_;
  unsigned reconnect_attempt_ = 0;
  std::chrono::microseconds watchdog_period_{0};
  std::mt19937 rng_;
  // The loop must outlive an in-flight job even when no timer or signal is
  // pending any more (during shutdown), so the job's completion still runs.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> keep_running_;
  std::atomic<bool> cancel_{false};
  int exit_code_ = kExitOk;
  // Worker-thread state: only touched by jobs running on worker_.
  boost::asio::thread_pool worker_{1};
  std::unique_ptr<DbSession> db_;
  std::unique_ptr<NamedLock> daemon_lock_;
};

}  // namespace

int run_daemon(const fs::path& config_path) {
  Config config = load_config(config_path);
  if (config.inbox.path.empty()) throw ConfigError(config_path.string() + ": inbox.path: required by `segmentd run`");
  setup_logging(level_of(config.logging.level));
  // The Daemon's signal_set is constructed before its worker thread, so
  // SIGHUP/SIGTERM/SIGINT are routed to the loop from the start.
  Daemon daemon(config_path, std::move(config));
  return daemon.run();
}

}  // namespace segmentd
