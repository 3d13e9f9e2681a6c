// The retention pass: once after the first connect, then on
// retention.schedule, sliced so it never holds up a load or a refresh.
#include <algorithm>

#include "controller.h"
#include "cron_schedule.h"
#include "run_identity.h"
#include "service_notify.h"

namespace segmentd {

using SteadyClock = std::chrono::steady_clock;

namespace {

// How long one slice of a pass may run before it yields to other work
// (the planner starts the next slice when nothing else waits).
constexpr std::chrono::seconds kRetentionSlice{10};

}  // namespace

void Controller::arm_retention() {
  const CronSchedule cron(config_.retention.schedule, config_.retention.timezone);
  const auto now = clock_.system_seconds();
  if (!retention_next_) retention_next_ = cron.next_after(now);
  if (!retention_next_) return;
  // At least once a minute, as the refresh schedules: the clock can jump.
  const auto wait =
      std::clamp<std::chrono::seconds>(*retention_next_ - now, std::chrono::seconds(0), std::chrono::seconds(60));
  retention_timer_.expires_after(wait);
  retention_timer_.async_wait([this, cron](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    const auto fired_at = clock_.system_seconds();
    if (retention_next_ && *retention_next_ <= fired_at) {
      log_event(spdlog::level::info, "retention.due",
                {{"schedule", config_.retention.schedule}, {"timezone", config_.retention.timezone}});
      retention_due_ = true;
      retention_next_ = cron.next_after(std::max(*retention_next_, fired_at));
      if (!busy_) pump();
    }
    arm_retention();
  });
}

void Controller::start_retention() {
  busy_ = true;
  job_started_ = clock_.steady_now();
  metrics_.run_started(RunKind::Retention);
  notify_status("retention pass");
  const RetentionConfig retention = config_.retention;
  const InboxConfig inbox = config_.inbox;
  RunIdentity who = this_process();
  who.started_by = "segmentd retention";
  worker_.run<RetentionReport>(
      [this, retention, inbox, who](DbSession& db) {
        RetentionOptions options;
        options.budget = kRetentionSlice;
        options.cancel = &cancel_;
        return run_retention(db, retention, inbox, "schedule", who, options);
      },
      [this](const JobResult<RetentionReport>& r) {
        on_retention(r);
        after_job();
      });
}

void Controller::on_retention(const JobResult<RetentionReport>& r) {
  const double seconds = std::chrono::duration<double>(clock_.steady_now() - job_started_).count();
  if (r.error) {
    metrics_.run_finished(RunKind::Retention, "schedule", RunStatus::Failed, seconds, 0);
    log_event(spdlog::level::err, "retention.not_run",
              {{"category", to_string(r.error->category)}, {"error", r.error->message}});
    if (r.error->category == ErrorCategory::ConnectionLost) {
      connection_lost(*r.error);  // still due: it goes on after the reconnect
    } else {
      retention_due_ = false;  // tried again at its next scheduled time
    }
    return;
  }
  const RetentionReport& report = *r.value;
  metrics_.run_finished(RunKind::Retention, "schedule", report.status, seconds, clock_.unix_seconds());
  metrics_.retention_removed("history_rows", report.history_rows_removed);
  metrics_.retention_removed("pipeline_runs", report.runs_removed);
  metrics_.retention_removed("ingested_files", report.ledger_rows_removed);
  metrics_.retention_removed("processed_files", report.processed.count);
  metrics_.retention_removed("quarantine_files", report.quarantine.count);
  // A slice that ran out of time goes on as soon as nothing else waits; a
  // pass skipped for another one, or finished, waits for the schedule.
  retention_due_ = !report.complete && report.status == RunStatus::Succeeded && !stopping_;
  log_event(report.status == RunStatus::Failed ? spdlog::level::err : spdlog::level::info, "retention.finished",
            {{"run_id", std::to_string(report.run_id)},
             {"status", to_string(report.status)},
             {"complete", report.complete ? "yes" : "no"},
             {"history_runs", std::to_string(report.history_runs_removed.size())},
             {"history_rows", std::to_string(report.history_rows_removed)},
             {"runs", std::to_string(report.runs_removed)},
             {"ledger_rows", std::to_string(report.ledger_rows_removed)},
             {"processed_files", std::to_string(report.processed.count)},
             {"quarantine_files", std::to_string(report.quarantine.count)},
             {"message", report.message}});
  if (report.status == RunStatus::Failed) {
    const std::string run = std::to_string(report.run_id);
    notifier_->raise({"run_failed",
                      "retention run " + run,
                      "retention run " + run + " failed: " + report.message,
                      {{"kind", "retention"}, {"trigger", "schedule"}, {"run_id", run}},
                      {}});
  }
}

}  // namespace segmentd
