// Leadership: one daemon per database loads and refreshes; the others
// stand by (doc/OPERATIONS.md "Two daemons"). The lease lives on its own
// session so a long load on the worker never lets it lapse; what the lease
// row says is decided by lease.h, what it means for this daemon by
// leadership.h, and every write the leader commits is fenced there.
#include "controller.h"
#include "db_session.h"
#include "service_notify.h"

namespace segmentd {

std::optional<LeaseFence> Controller::fence() const {
  return leadership_.fence();
}

void Controller::start_lease() {
  if (stopping_ || lease_busy_) return;
  lease_busy_ = true;
  const LeaseClaimant me = leadership_.claimant();
  const unsigned seconds = config_.ha.lease_seconds;
  auto done = [this](const JobResult<LeaseState>& r) { on_lease(r); };
  if (lease_connected_) {
    lease_worker_.run<LeaseState>([me, seconds](DbSession& db) { return hold_lease(db, me, seconds); }, done);
    return;
  }
  const DatabaseConfig database = config_.database;
  lease_worker_.connect<LeaseState>(
      [database] { return connect_database(database); },
      [me, seconds](DbSession& db, std::unique_ptr<NamedLock>&) { return hold_lease(db, me, seconds); }, done);
}

void Controller::arm_lease(std::chrono::milliseconds delay) {
  if (stopping_) return;
  lease_timer_.expires_after(delay);
  lease_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) start_lease();
  });
}

void Controller::on_lease(const JobResult<LeaseState>& r) {
  lease_busy_ = false;
  if (stopping_) return;
  const auto now = clock_.steady_now();
  if (r.error) {
    lease_connected_ = lease_connected_ && r.error->category != ErrorCategory::ConnectionLost;
    const bool was_leading = leadership_.fence().has_value();
    const Leadership::Verdict v = leadership_.renewal_failed(r.error->message, r.error->fatal, now);
    if (v.first_failure) {
      log_event(spdlog::level::warn, "lease.renew_failed",
                {{"epoch", std::to_string(leadership_.epoch())},
                 {"leading", was_leading ? "yes" : "no"},
                 {"category", to_string(r.error->category)},
                 {"error", r.error->message}});
    }
    if (v.stepped_down) stood_down(*v.stepped_down);
    arm_lease(v.next);
    // The lease session is the one that talks to the server when the daemon
    // is idle: its loss is the database's, for /readyz, the metric and
    // status too, and the worker reconnects (its session went with it).
    if (r.error->category == ErrorCategory::ConnectionLost && link_.is_connected()) {
      return connection_lost(*r.error);
    }
    pump();
    return;
  }
  lease_connected_ = true;
  const LeaseState& state = *r.value;
  const Leadership::Verdict v = leadership_.renewed(state, now);
  const std::string epoch = std::to_string(leadership_.epoch());
  if (v.renewed_again) log_event(spdlog::level::info, "lease.renewed_again", {{"epoch", epoch}});
  if (v.acquired) {
    metrics_.leader(true, leadership_.epoch());
    log_event(
        spdlog::level::info, "lease.acquired",
        {{"epoch", epoch}, {"node", state.row.node}, {"lease_seconds", std::to_string(config_.ha.lease_seconds)}});
    notify_status("leading (epoch " + epoch + "), watching " + config_.inbox.path.string());
  }
  if (v.stepped_down) stood_down(*v.stepped_down);
  if (v.holder_changed) {
    log_event(spdlog::level::info, "lease.standby",
              {{"holder_host", state.row.host},
               {"holder_pid", std::to_string(state.row.pid)},
               {"epoch", std::to_string(state.row.epoch)},
               {"since", state.row.acquired_at},
               {"expires_in_ms", std::to_string(state.row.expires_in.count())}});
    notify_status("standing by: " + state.row.host + " pid " + std::to_string(state.row.pid) + " leads");
  }
  metrics_changed();
  arm_lease(v.next);
  pump();
}

// Leadership has stepped down: say so, and forget the waiting refresh (the
// next leader decides from the database what is owed).
void Controller::stood_down(const std::string& why) {
  log_event(spdlog::level::warn, "lease.lost", {{"epoch", std::to_string(leadership_.epoch())}, {"why", why}});
  refresh_.drop();
  metrics_.leader(false, leadership_.epoch());
  notify_status("standing by: " + why);
}

void Controller::start_office() {
  busy_ = true;
  const Config config = config_;
  const auto schedules = schedules_.schedules();
  const LeaseFence lease{leadership_.claimant().holder, leadership_.epoch()};
  const bool first = leadership_.first_office();
  const std::vector<UnrecordedRun> unrecorded = unrecorded_runs_;
  worker_.run<OfficeInfo>([config, schedules, lease, first, unrecorded](
                              DbSession& db) { return take_office(db, config, schedules, lease, first, unrecorded); },
                          [this](const JobResult<OfficeInfo>& r) {
                            on_office(r);
                            after_job();
                          });
}

void Controller::on_office(const JobResult<OfficeInfo>& r) {
  if (r.error) {
    leadership_.office_failed();  // until the next lease tick
    return job_failed(*r.error, "lease.office_failed");
  }
  const bool first = leadership_.first_office();
  leadership_.office_taken();
  if (!leadership_.leading()) return;  // deposed meanwhile
  settings_due_ = false;               // the office applied them
  const OfficeInfo& info = *r.value;
  if (info.failures_recorded > 0) {
    // Recorded now; none is added while the office runs (it is the job).
    for (const UnrecordedRun& run : unrecorded_runs_) {
      log_event(spdlog::level::info, "refresh.failure_recorded",
                {{"run_id", std::to_string(run.run_id)}, {"message", run.message}});
    }
    unrecorded_runs_.clear();
  }
  log_event(spdlog::level::info, "lease.office",
            {{"epoch", std::to_string(leadership_.epoch())},
             {"earlier_runs_closed", std::to_string(info.earlier_runs)},
             {"first", first ? "yes" : "no"}});
  if (info.orphans.abandoned || info.orphans.succeeded_after_swap) {
    log_event(spdlog::level::warn, "runs.abandoned",
              {{"count", std::to_string(info.orphans.abandoned)},
               {"succeeded_after_swap", std::to_string(info.orphans.succeeded_after_swap)}});
  }
  if (info.catchup) {
    log_event(spdlog::level::info, "schedule.catchup", {{"reason", *info.catchup}});
    refresh_.want({RefreshTrigger::Catchup, "segmentd catch-up", false, {}});
  }
  const SteadyTime now = clock_.steady_now();
  if (info.owed) {
    // Owed from before a stop, a crash, an outage or another leader:
    // decided from the database, so nothing in memory can lose it.
    log_event(spdlog::level::info, "refresh.owed", {{"reason", *info.owed}});
    refresh_.want({RefreshTrigger::File, "segmentd after ingest (owed)", true, now});
  } else if (info.exports_stale) {
    // The newest results have no published set (another session's refresh,
    // or an export that failed): published without refreshing again.
    log_event(spdlog::level::info, "export.stale", {{"dir", config_.exports.dir.string()}});
    refresh_.want({RefreshTrigger::File, "segmentd after ingest (export)", true, now, true});
  }
}

}  // namespace segmentd
