// Schedules and refreshes.
#include <algorithm>
#include <cstdio>

#include "controller.h"
#include "service_notify.h"

namespace segmentd {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

namespace {

SysSeconds now_sys() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

}  // namespace

// ---- schedules -------------------------------------------------------
void Controller::arm_schedules() {
  const auto now = now_sys();
  std::optional<SysSeconds> earliest;
  for (auto& s : schedules_) {
    if (!s.next) s.next = s.cron.next_after(now);
    if (s.next && (!earliest || *s.next < *earliest)) earliest = s.next;
    if (s.next) metrics_.schedule_next(s.name, static_cast<double>(s.next->time_since_epoch().count()));
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
        want_refresh({RefreshTrigger::Schedule, "segmentd schedule " + s.name, false, {}, false, s.full});
        s.next = s.cron.next_after(std::max(*s.next, fired_at));
      }
    }
    arm_schedules();
  });
}

void Controller::arm_deadlines() {
  unsigned shortest = 0;
  for (const auto& s : config_.schedules) {
    if (s.deadline_seconds > 0 && (shortest == 0 || s.deadline_seconds < shortest)) shortest = s.deadline_seconds;
  }
  if (shortest == 0) return;
  // Often enough that a short deadline is noticed soon after it passes.
  const auto period = std::chrono::seconds(std::clamp(shortest / 4, 1u, 60u));
  deadline_timer_.expires_after(period);
  deadline_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    check_deadlines();
    arm_deadlines();
  });
}

void Controller::check_deadlines() {
  const auto now = std::chrono::system_clock::now();
  const auto since = last_refresh_ok_.value_or(started_at_);
  const auto quiet = std::chrono::duration_cast<std::chrono::seconds>(now - since);
  for (const auto& s : config_.schedules) {
    if (s.deadline_seconds == 0 || quiet < std::chrono::seconds(s.deadline_seconds)) {
      overdue_.erase(s.name);
      continue;
    }
    // Logged once when it becomes overdue; the alert repeats per target.
    if (overdue_.insert(s.name).second) {
      log_event(spdlog::level::warn, "refresh.overdue",
                {{"schedule", s.name},
                 {"deadline_seconds", std::to_string(s.deadline_seconds)},
                 {"seconds_since_success", std::to_string(quiet.count())}});
    }
    notifier_->raise({"refresh_overdue",
                      "schedule " + s.name,
                      "no successful refresh for " + std::to_string(quiet.count()) + " s (schedule " + s.name +
                          " has a deadline of " + std::to_string(s.deadline_seconds) + " s)",
                      {{"schedule", s.name}},
                      {}});
  }
}

void Controller::want_refresh(RefreshRequest request) {
  merge_refresh(refresh_, std::move(request));
  pump();
}

// After new data: counted from the newest file's arrival, not from the
// end of its load; the quiet time gathers a batch into one refresh, and
// once every file that arrived is loaded, waiting longer gathers nothing.
void Controller::want_refresh_after_data(const std::string& started_by) {
  const auto newest = queue_.newest_found().value_or(last_arrival_);
  last_arrival_ = std::max(last_arrival_, newest);
  want_refresh(
      {RefreshTrigger::File, started_by, true, last_arrival_ + std::chrono::seconds(config_.refresh.debounce_seconds)});
}

// ---- refreshing ----------------------------------------------------------
void Controller::start_refresh() {
  const RefreshRequest wanted = *refresh_;
  refresh_.reset();
  busy_ = true;
  const ExportsConfig exports = config_.exports;
  notify_status(std::string("refreshing (") + to_string(wanted.trigger) + ")");
  log_event(spdlog::level::info, "refresh.started",
            {{"trigger", to_string(wanted.trigger)}, {"mode", wanted.full ? "full" : "auto"}});
  job_started_ = SteadyClock::now();
  metrics_.run_started("refresh");
  const bool measure_shift = notifier_->wants("segment_shift");
  const auto lease = fence();
  worker_.run<RefreshResult>(
      [wanted, exports, measure_shift, lease](DbSession& db) {
        return refresh_and_export(db, to_string(wanted.trigger), wanted.started_by, exports, wanted.only_if_owed,
                                  measure_shift, lease, wanted.full ? RefreshMode::Full : RefreshMode::Auto);
      },
      [this, wanted](const JobResult<RefreshResult>& r) {
        on_refreshed(wanted, r);
        after_job();
      });
}

void Controller::on_refreshed(const RefreshRequest& wanted, const JobResult<RefreshResult>& r) {
  if (r.error) {
    metrics_.run_finished("refresh", to_string(wanted.trigger), "failed",
                          std::chrono::duration<double>(SteadyClock::now() - job_started_).count(), 0);
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
  const RefreshOutcome& out = result.outcome;
  if (!result.not_needed) {
    metrics_.run_finished("refresh", to_string(wanted.trigger), to_string(out.status),
                          std::chrono::duration<double>(SteadyClock::now() - job_started_).count(),
                          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  }
  if (!result.segments.empty()) metrics_.segments(result.segments);
  if (out.status == RunStatus::Succeeded) last_refresh_ok_ = std::chrono::system_clock::now();
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
  if (result.report) {
    log_event(spdlog::level::info, "report.written",
              {{"file", result.report->path.string()},
               {"run_id", std::to_string(result.report->run_id)},
               {"bytes", std::to_string(result.report->bytes)}});
  } else if (!result.report_error.empty()) {
    log_event(spdlog::level::err, "report.failed",
              {{"run_id", std::to_string(out.run_id)}, {"error", result.report_error}});
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

}  // namespace segmentd
