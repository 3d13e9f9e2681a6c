// Schedules and refreshes.
#include <algorithm>
#include <cstdio>

#include "controller.h"
#include "service_notify.h"

namespace segmentd {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

// ---- schedules -------------------------------------------------------
void Controller::arm_schedules() {
  const auto now = clock_.system_seconds();
  const auto wait = schedules_.wait(now);
  for (const auto& s : schedules_.schedules()) {
    if (s.next) metrics_.schedule_next(s.name, static_cast<double>(s.next->time_since_epoch().count()));
  }
  if (!wait) return;
  schedule_timer_.expires_after(*wait);
  schedule_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    for (const auto& fired : schedules_.fire(clock_.system_seconds())) {
      const NamedSchedule& s = *fired.schedule;
      log_event(spdlog::level::info, "schedule.fired",
                {{"schedule", s.name}, {"due", format_local_iso(fired.due, std::chrono::seconds{0})}});
      want_refresh({RefreshTrigger::Schedule, "segmentd schedule " + s.name, false, {}, false, s.full});
    }
    arm_schedules();
  });
}

void Controller::arm_deadlines() {
  const auto period = DeadlineWatch::period(config_.schedules);
  if (!period) return;
  deadline_timer_.expires_after(*period);
  deadline_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    check_deadlines();
    arm_deadlines();
  });
}

void Controller::check_deadlines() {
  const auto now = clock_.system_now();
  for (const auto& o : deadlines_.overdue(config_.schedules, now, last_refresh_ok_.value_or(started_at_))) {
    const std::string quiet = std::to_string(o.since_success.count());
    if (o.newly) {
      log_event(spdlog::level::warn, "refresh.overdue",
                {{"schedule", o.schedule},
                 {"deadline_seconds", std::to_string(o.deadline_seconds)},
                 {"seconds_since_success", quiet}});
    }
    notifier_->raise({"refresh_overdue",
                      "schedule " + o.schedule,
                      "no successful refresh for " + quiet + " s (schedule " + o.schedule + " has a deadline of " +
                          std::to_string(o.deadline_seconds) + " s)",
                      {{"schedule", o.schedule}},
                      {}});
  }
}

void Controller::want_refresh(RefreshRequest request) {
  refresh_.want(std::move(request));
  pump();
}

// After new data: counted from the newest file's arrival, not from the
// end of its load; the quiet time gathers a batch into one refresh, and
// once every file that arrived is loaded, waiting longer gathers nothing.
void Controller::want_refresh_after_data(const std::string& started_by) {
  refresh_.after_data(started_by, queue_.newest_found(), std::chrono::seconds(config_.refresh.debounce_seconds));
  pump();
}

// ---- refreshing ----------------------------------------------------------
void Controller::start_refresh() {
  const RefreshRequest wanted = refresh_.take();
  busy_ = true;
  const ExportsConfig exports = config_.exports;
  const PredictionsConfig predictions = config_.predictions;
  notify_status(std::string("refreshing (") + to_string(wanted.trigger) + ")");
  log_event(spdlog::level::info, "refresh.started",
            {{"trigger", to_string(wanted.trigger)}, {"mode", wanted.full ? "full" : "auto"}});
  job_started_ = clock_.steady_now();
  metrics_.run_started(RunKind::Refresh);
  const bool measure_shift = notifier_->wants("segment_shift");
  const auto lease = fence();
  worker_.run<RefreshResult>(
      [wanted, exports, predictions, measure_shift, lease](DbSession& db) {
        return refresh_and_export(db, to_string(wanted.trigger), wanted.started_by, exports, predictions,
                                  wanted.only_if_owed, measure_shift, lease,
                                  wanted.full ? RefreshMode::Full : RefreshMode::Auto);
      },
      [this, wanted](const JobResult<RefreshResult>& r) {
        on_refreshed(wanted, r);
        after_job();
      });
}

void Controller::predictions_finished(const PredictionOutcome& p) {
  metrics_.predictions(p);
  if (p.status == PredictionStatus::Disabled) return;
  log_predictions(p);
}

void Controller::on_refreshed(const RefreshRequest& wanted, const JobResult<RefreshResult>& r) {
  if (r.error) {
    metrics_.run_finished(RunKind::Refresh, to_string(wanted.trigger), RunStatus::Failed,
                          std::chrono::duration<double>(clock_.steady_now() - job_started_).count(), 0);
    log_event(spdlog::level::err, "refresh.not_run",
              {{"trigger", to_string(wanted.trigger)},
               {"category", to_string(r.error->category)},
               {"error", r.error->message}});
    // Kept: it runs once the database is back (and the reconnect also
    // finds it owed from the database).
    if (r.error->category == ErrorCategory::ConnectionLost) {
      refresh_.lost_with_connection(wanted, clock_.steady_now());
      connection_lost(*r.error);
    }
    return;
  }
  const RefreshResult& result = *r.value;
  const RefreshOutcome& out = result.outcome;
  if (!result.not_needed) {
    metrics_.run_finished(RunKind::Refresh, to_string(wanted.trigger), out.status,
                          std::chrono::duration<double>(clock_.steady_now() - job_started_).count(),
                          clock_.unix_seconds());
  }
  if (!result.segments.empty()) metrics_.segments(result.segments);
  if (result.predictions) predictions_finished(*result.predictions);
  if (out.status == RunStatus::Succeeded) {
    last_refresh_ok_ = clock_.system_now();
    metrics_.swap_waited(static_cast<double>(out.swap_wait_ms) / 1000);
    if (out.swap_wait_ms > 0) {
      log_event(spdlog::level::warn, "refresh.swap_waited",
                {{"run_id", std::to_string(out.run_id)},
                 {"seconds", std::to_string(out.swap_wait_ms / 1000)},
                 {"why", "a reader kept a transaction open over the results"}});
    }
  }
  if (result.shift) {
    const SegmentShift& shift = *result.shift;
    const std::string run = std::to_string(shift.run);
    char share[16];
    std::snprintf(share, sizeof share, "%.1f%%", 100 * shift.share());
    notifier_->raise({"segment_shift",
                      "refresh run " + run,
                      "refresh run " + run + " moved " + std::to_string(shift.moved) + " of " +
                          std::to_string(shift.in_both) + " customers (" + share + ") to another segment since run " +
                          std::to_string(shift.previous_run),
                      {{"run_id", run}, {"previous_run_id", std::to_string(shift.previous_run)}},
                      {},
                      shift.share()});
  }
  if (!result.not_needed && out.status == RunStatus::Failed) {
    const std::string run = std::to_string(out.run_id);
    notifier_->raise({"run_failed",
                      "refresh run " + run,
                      "refresh run " + run + " (" + to_string(wanted.trigger) + ") failed: " + out.message,
                      {{"kind", "refresh"}, {"trigger", to_string(wanted.trigger)}, {"run_id", run}},
                      {}});
  }
  if (result.not_needed) {
    log_event(spdlog::level::info, "refresh.not_needed",
              {{"trigger", to_string(wanted.trigger)}, {"why", "no data waits for a refresh any more"}});
  } else {
    log_event(out.status == RunStatus::Failed ? spdlog::level::err : spdlog::level::info, "refresh.finished",
              {{"trigger", to_string(wanted.trigger)},
               {"run_id", std::to_string(out.run_id)},
               {"status", to_string(out.status)},
               {"customers", std::to_string(out.customers)},
               {"message", out.message}});
  }
  // Skipped behind another session's refresh: again later, if owed. Failed
  // while data is owed (its swap waited its limit for a reader, a routine
  // missing while a migrate replaced it, rules fixed meanwhile): the same,
  // backing off while it keeps failing; files load meanwhile.
  std::optional<std::chrono::milliseconds> retry;
  if (out.status == RunStatus::Skipped &&
      refresh_.skipped(wanted, clock_.steady_now(), policy_.skipped_refresh_retry)) {
    retry = policy_.skipped_refresh_retry;
  } else if (out.status == RunStatus::Failed) {
    retry = refresh_.failed_transiently(wanted, clock_.steady_now(), policy_.skipped_refresh_retry);
  }
  if (out.status == RunStatus::Succeeded) refresh_.succeeded();
  if (retry) {
    log_event(spdlog::level::info, "refresh.retry_scheduled",
              {{"trigger", to_string(wanted.trigger)},
               {"retry_ms", ms_text(*retry)},
               {"after", out.status == RunStatus::Skipped ? "skipped"
                         : out.transient                  ? "a failure that passes"
                                                          : "a failure"}});
  }
  if (result.report) {
    log_event(spdlog::level::info, "report.written",
              {{"file", result.report->path.string()},
               {"run_id", std::to_string(result.report->run_id)},
               {"bytes", std::to_string(result.report->bytes)}});
  } else if (result.report_failure) {
    log_event(spdlog::level::err, "report.failed",
              {{"run_id", std::to_string(out.run_id)}, {"error", result.report_failure->describe()}});
  }
  if (result.exported) {
    log_event(spdlog::level::info, "export.finished",
              {{"run_id", std::to_string(out.run_id)},
               {"dir", config_.exports.dir.string()},
               {"set", result.exported->dir.filename().string()},
               {"files", std::to_string(result.exported->files.size())},
               {"rows", std::to_string(result.exported->rows())}});
  } else if (result.export_failure) {
    log_event(spdlog::level::err, "export.failed",
              {{"run_id", std::to_string(out.run_id)},
               {"dir", config_.exports.dir.string()},
               {"error", result.export_failure->describe()}});
  }
  if (out.unavailable || !out.recorded) {
    if (!out.recorded) {
      unrecorded_runs_.push_back({out.run_id, out.message});
      log_event(spdlog::level::warn, "refresh.unrecorded",
                {{"run_id", std::to_string(out.run_id)}, {"why", "the server refused to record the failure"}});
    }
    // The server refuses writes: the database is unavailable until it takes
    // them again; the refresh runs then (it is also owed by the database).
    refresh_.lost_with_connection(wanted, clock_.steady_now());
    return connection_lost({ErrorCategory::ConnectionLost, out.message});
  }
  notify_status("watching " + config_.inbox.path.string());
}

}  // namespace segmentd
