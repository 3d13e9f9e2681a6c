// Life cycle, connection, what to do next, signals and shutdown.
#include "controller.h"

#include <csignal>

#include "datasets.h"
#include "db_session.h"
#include "errors.h"
#include "service_notify.h"
#include "version.h"

namespace segmentd {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

spdlog::level::level_enum Controller::level_of(const std::string& name) {
  if (name == "debug") return spdlog::level::debug;
  if (name == "warn") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  return spdlog::level::info;
}

void Controller::prepare_folders(const InboxConfig& inbox) {
  for (const auto& dir : {inbox.path, inbox.processed, inbox.quarantine}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw ConfigError(dir.string() + ": cannot create folder: " + ec.message());
  }
}

namespace {

std::vector<std::string> schedule_names(const std::vector<NamedSchedule>& schedules) {
  std::vector<std::string> out;
  for (const auto& s : schedules) out.push_back(s.name);
  return out;
}

// The nine, each feed ("feed:<name>") and the currency rates, and
// "unknown" for files refused before their dataset was known.
std::vector<std::string> dataset_names(const std::vector<FeedSpec>& feeds) {
  std::vector<std::string> out;
  for (const auto& d : olist_datasets()) out.emplace_back(d.name);
  for (const auto& f : feeds) out.push_back("feed:" + f.name);
  out.emplace_back("currency_rates");
  out.emplace_back("unknown");
  return out;
}

}  // namespace

std::string Controller::ms_text(std::chrono::milliseconds d) {
  return std::to_string(d.count());
}

Controller::Controller(fs::path config_path, Config config, bool verbose)
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
      deadline_timer_(io_),
      retention_timer_(io_),
      lease_timer_(io_),
      rewatch_timer_(io_),
      link_(std::chrono::seconds(config_.database.reconnect_initial_seconds),
            std::chrono::seconds(config_.database.reconnect_max_seconds)),
      leadership_(this_claimant(), std::chrono::seconds(config_.ha.lease_seconds)),
      rng_(std::random_device{}()),
      keep_running_(boost::asio::make_work_guard(io_)),
      metrics_(kVersion, schedule_names(schedules_.schedules()), dataset_names(config_.feeds), clock_.unix_seconds()) {}

int Controller::run() {
  prepare_folders(config_.inbox);
  sweep();
  start_inbox();
  wait_for_signal();
  notifier_ = make_notifier(config_.notify);
  start_watchdog();
  start_listener();
  arm_deadlines();
  arm_rescan();
  arm_heartbeat();
  log_event(spdlog::level::info, "daemon.starting",
            {{"config", config_path_.string()},
             {"inbox", config_.inbox.path.string()},
             {"database", describe_endpoint(config_.database)},
             {"schedules", std::to_string(schedules_.schedules().size())}});
  notify_status("connecting to " + describe_endpoint(config_.database));
  start_connect();
  start_lease();
  io_.run();
  log_event(spdlog::level::info, "daemon.stopped", {{"exit_code", std::to_string(exit_code_)}});
  return exit_code_;
}

// ---- start-up ---------------------------------------------------------
std::unique_ptr<Notifier> Controller::make_notifier(const std::vector<NotifyTarget>& targets) {
  std::vector<std::string> names;
  for (const auto& t : targets) names.push_back(t.name);
  metrics_.notify_targets(names);
  return std::make_unique<Notifier>(io_, targets, [this](const Notifier::Progress& p) {
    using O = Notifier::Outcome;
    if (p.outcome == O::sent || p.outcome == O::failed) metrics_.notified(p.target, p.outcome == O::sent);
    if (p.outcome == O::dropped) metrics_.notification_dropped(p.target);
    metrics_.notifications_queued(p.waiting);
    metrics_changed();
  });
}

void Controller::sweep() {
  const auto removed = sweep_leftovers(config_, temp_dir_);
  if (removed > 0) {
    log_event(spdlog::level::warn, "daemon.swept",
              {{"removed", std::to_string(removed)}, {"why", "scratch files of a segmentd process that is gone"}});
  }
}

// ---- what to do next ----------------------------------------------------
void Controller::pump() {
  PlanState state;
  state.now = clock_.steady_now();
  state.connected = link_.is_connected();
  state.leading = leadership_.leading();
  state.office_due = leadership_.office_due();
  state.busy = busy_;
  state.stopping = stopping_;
  state.settings_due = settings_due_;
  state.heartbeat_due = heartbeat_due_;
  state.retention_due = retention_due_;
  state.refresh = refresh_.waiting();
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
    case ActionKind::TakeOffice:
      return start_office();
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
    case ActionKind::Retention:
      return start_retention();
  }
}

// Every job ends here, on the loop.
void Controller::after_job() {
  busy_ = false;
  metrics_changed();
  if (stopping_) {
    // A file whose load committed is still moved out before the exit.
    PlanState state;
    state.now = clock_.steady_now();
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
void Controller::start_connect() {
  busy_ = true;
  const DatabaseConfig database = config_.database;
  worker_.connect<ConnectInfo>([database] { return connect_database(database); },
                               [](DbSession& db, std::unique_ptr<NamedLock>&) { return set_up_session(db); },
                               [this](const JobResult<ConnectInfo>& r) { on_connected(r); });
}

void Controller::on_connected(const JobResult<ConnectInfo>& r) {
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
  const DatabaseLink::Connected link = link_.connected(clock_.steady_now());
  metrics_.database_up(true);
  if (!link.first_ever) metrics_.reconnected();
  metrics_.segments(info.segments);
  if (info.last_refresh_success) {
    const auto at =
        std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::duration<double>(*info.last_refresh_success)));
    if (!last_refresh_ok_ || at > *last_refresh_ok_) last_refresh_ok_ = at;
    metrics_.last_success(RunKind::Refresh, *info.last_refresh_success);
  }
  metrics_changed();
  // A leader takes office again on each new session (pump: TakeOffice).
  leadership_.session_lost();
  if (link.outage) {
    log_event(spdlog::level::info, "db.recovered",
              {{"endpoint", info.connection.endpoint},
               {"tls", tls_text(info.connection)},
               {"outage_seconds", std::to_string(link.outage->count())},
               {"attempts", std::to_string(link.attempts)}});
  } else {
    log_event(spdlog::level::info, "db.connected",
              {{"endpoint", info.connection.endpoint},
               {"tls", tls_text(info.connection)},
               {"auth_plugin", info.connection.auth_plugin}});
  }
  if (link.outage) {
    notifier_->raise({"recovered",
                      link_.outage_subject(),
                      "segmentd reached the database again (" + info.connection.endpoint + ")",
                      {{"endpoint", info.connection.endpoint}},
                      {}});
  }
  if (!info.missing_privileges.empty()) {
    std::string list;
    for (const auto& p : info.missing_privileges) list += (list.empty() ? "" : ",") + p;
    log_event(
        spdlog::level::warn, "privileges.missing",
        {{"account", config_.database.user}, {"missing", list}, {"hint", "doc/CONFIGURATION.md \"Database account\""}});
  }
  if (config_.fallback_event.enabled && info.event_scheduler != "ON") {
    log_event(
        spdlog::level::warn, "event.scheduler_off",
        {{"event_scheduler", info.event_scheduler}, {"hint", "the fallback event only runs with event_scheduler=ON"}});
  }
  if (link.first_ever) {
    arm_schedules();
    // Once at start, then on its schedule.
    retention_due_ = true;
    arm_retention();
    notify_ready("watching " + config_.inbox.path.string());
    log_event(spdlog::level::info, "daemon.ready", {{"inbox", config_.inbox.path.string()}});
  } else {
    notify_status("watching " + config_.inbox.path.string());
  }
  if (stopping_) return finish_shutdown();
  scan_inbox();
}

void Controller::connection_lost(const JobError& error) {
  const DatabaseLink::Lost lost = link_.lost(clock_.steady_now(), clock_.system_now(), rng_);
  leadership_.session_lost();
  metrics_.database_up(false);
  metrics_changed();
  if (lost.outage_so_far) {
    notifier_->raise(
        {"database_unavailable",
         link_.outage_subject(),
         "segmentd cannot reach the database (" + describe_endpoint(config_.database) + "): " + error.message,
         {{"endpoint", describe_endpoint(config_.database)}},
         *lost.outage_so_far});
  }
  if (lost.outage_began) {
    log_event(spdlog::level::err, lost.was_connected ? "db.connection_lost" : "db.unavailable",
              {{"endpoint", describe_endpoint(config_.database)},
               {"category", to_string(error.category)},
               {"error", error.message}});
    notify_status("database unavailable: " + error.message);
  }
  if (stopping_) return;
  // After the first, each attempt's own reason (a certificate fixed or a
  // host that came back changes it).
  log_event(spdlog::level::info, "db.reconnect_scheduled",
            {{"attempt", std::to_string(lost.attempt)},
             {"delay_ms", ms_text(lost.retry_in)},
             {"error", lost.attempt > 1 ? error.message : std::string("")}});
  reconnect_timer_.expires_after(lost.retry_in);
  reconnect_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_ || link_.is_connected()) return;
    if (busy_) {
      reconnect_due_ = true;  // after the running move
    } else {
      start_connect();
    }
  });
  pump();  // moves go on without the database
}

// A job's failure that is not the file's or the refresh's own.
void Controller::job_failed(const JobError& e, const char* event) {
  if (e.category == ErrorCategory::ConnectionLost) return connection_lost(e);
  log_event(spdlog::level::err, event, {{"category", to_string(e.category)}, {"error", e.message}});
}

// ---- small jobs ---------------------------------------------------------
void Controller::apply_settings() {
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

void Controller::beat_heartbeat() {
  heartbeat_due_ = false;
  busy_ = true;
  worker_.run<bool>(
      [](DbSession& db) {
        heartbeat_touch(db);
        // A safety net: runs of sessions that ended since the last look.
        close_orphaned_runs(db);
        return true;
      },
      [this](const JobResult<bool>& r) {
        if (r.error) job_failed(*r.error, "heartbeat.failed");
        after_job();
      });
}

// ---- heartbeat and watchdog -----------------------------------------
void Controller::arm_heartbeat() {
  heartbeat_timer_.expires_after(std::chrono::seconds(kHeartbeatSeconds));
  heartbeat_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    heartbeat_due_ = true;
    pump();
    arm_heartbeat();
  });
}

void Controller::start_watchdog() {
  const auto interval = watchdog_interval();
  if (!interval) return;
  watchdog_period_ = *interval / 2;
  ping_watchdog();
}

void Controller::ping_watchdog() {
  // The same rule as /livez: a stuck worker is not fed to the watchdog, so
  // systemd restarts the daemon.
  if (worker_stuck()) {
    if (!stuck_logged_) {
      log_event(spdlog::level::err, "watchdog.withheld",
                {{"stuck_after_seconds", std::to_string(config_.observability.stuck_after_seconds)}});
    }
    stuck_logged_ = true;
  } else {
    stuck_logged_ = false;
    notify_watchdog();
  }
  watchdog_timer_.expires_after(watchdog_period_);
  watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) ping_watchdog();
  });
}

// ---- signals ----------------------------------------------------------
void Controller::wait_for_signal() {
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
void Controller::reload() {
  if (stopping_) return;
  notify_reloading();
  try {
    Config next = load_config(config_path_);
    if (next.inbox.path.empty()) throw ConfigError(config_path_.string() + ": inbox.path: required by `segmentd run`");
    prepare_folders(next.inbox);
    auto next_schedules = build_schedules(next);
    auto next_tracker = make_tracker(next.inbox);
    auto next_watch = make_watch(next.inbox.path);
    auto next_notifier = make_notifier(next.notify);
    const bool database_changed = config_.database != next.database;
    const bool inbox_changed = config_.inbox.path != next.inbox.path;
    config_ = std::move(next);
    leadership_.set_lease_length(std::chrono::seconds(config_.ha.lease_seconds));
    schedules_ = ScheduleBook(std::move(next_schedules));
    watch_ = std::move(next_watch);
    tracker_ = std::move(next_tracker);
    notifier_ = std::move(next_notifier);
    // The file being loaded (or moved) stays the queue's, so the new
    // tracker finding it again changes nothing; files of an inbox that is
    // no longer watched and not yet started are let go.
    if (inbox_changed) queue_.forget_missing({});
    spdlog::set_level(verbose_ ? spdlog::level::debug : level_of(config_.logging.level));
    schedule_timer_.cancel();
    if (link_.ever_connected()) arm_schedules();
    rescan_timer_.cancel();
    arm_rescan();
    deadline_timer_.cancel();
    arm_deadlines();
    retention_timer_.cancel();
    retention_next_.reset();
    if (link_.ever_connected()) arm_retention();
    log_event(spdlog::level::info, "config.reloaded",
              {{"config", config_path_.string()}, {"database_changed", database_changed ? "yes" : "no"}});
    link_.set_backoff(std::chrono::seconds(config_.database.reconnect_initial_seconds),
                      std::chrono::seconds(config_.database.reconnect_max_seconds));
    if (database_changed) {
      link_.disconnected();
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

void Controller::begin_shutdown(const std::string& why) {
  if (stopping_) return;
  stopping_ = true;
  cancel_ = true;  // an in-flight load stops before its commit
  notify_stopping();
  log_event(
      spdlog::level::info, "daemon.stopping",
      {{"reason", why}, {"in_flight", busy_ ? "yes" : "no"}, {"waiting_files", std::to_string(queue_.waiting())}});
  for (auto* t : {&rescan_timer_, &settle_timer_, &wake_timer_, &reconnect_timer_, &heartbeat_timer_, &schedule_timer_,
                  &deadline_timer_, &retention_timer_, &lease_timer_, &rewatch_timer_}) {
    t->cancel();
  }
  watch_.reset();
  if (!busy_) after_job();
}

void Controller::finish_shutdown() {
  if (shutdown_posted_) return;
  shutdown_posted_ = true;
  busy_ = true;
  listener_.reset();
  const bool leading = leadership_.fence().has_value();
  const LeaseClaimant me = leadership_.claimant();
  const std::uint64_t epoch = leadership_.epoch();
  // The worker's job has ended: only then is the lease given up, so a
  // standby takes over at once.
  worker_.disconnect(
      [leading](DbSession& db) {
        if (leading) heartbeat_stop(db);
      },
      [this, leading, me, epoch] {
        lease_worker_.disconnect(
            [leading, me, epoch](DbSession& db) {
              if (leading) release_lease(db, me, epoch);
            },
            [this] {
              keep_running_.reset();
              watchdog_timer_.cancel();
              signals_.cancel();
              io_.stop();
            });
      });
}

}  // namespace segmentd
