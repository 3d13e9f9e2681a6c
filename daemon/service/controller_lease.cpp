// Leadership: one daemon per database loads and refreshes; the others
// stand by (README "Two daemons"). The lease lives on its own session so a
// long load on the worker never lets it lapse; what the lease row says is
// decided by lease.h, and every write the leader commits is fenced there.
#include "controller.h"
#include "db_session.h"
#include "service_notify.h"

namespace segmentd {

using SteadyClock = std::chrono::steady_clock;

std::optional<LeaseFence> Controller::fence() const {
  if (!in_office_) return std::nullopt;
  return LeaseFence{claimant_.holder, epoch_};
}

void Controller::start_lease() {
  if (stopping_ || lease_busy_) return;
  lease_busy_ = true;
  const LeaseClaimant me = claimant_;
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
  const auto now = SteadyClock::now();
  const auto length = std::chrono::seconds(config_.ha.lease_seconds);
  auto next = std::chrono::duration_cast<std::chrono::milliseconds>(length) / 3;
  office_retry_wait_ = false;  // an office that failed is tried again now
  if (r.error) {
    lease_connected_ = lease_connected_ && r.error->category != ErrorCategory::ConnectionLost;
    if (!lease_failing_) {
      log_event(spdlog::level::warn, "lease.renew_failed",
                {{"epoch", std::to_string(epoch_)},
                 {"leading", in_office_ ? "yes" : "no"},
                 {"category", to_string(r.error->category)},
                 {"error", r.error->message}});
    }
    lease_failing_ = true;
    // Past its length the lease may be someone else's: stop starting work
    // (what is in flight is fenced by the database anyway).
    if (in_office_ && (!last_renewed_ || now - *last_renewed_ >= length)) {
      step_down("the lease could not be renewed for " + std::to_string(config_.ha.lease_seconds) +
                " s: " + r.error->message);
    }
    if (r.error->fatal) next = std::chrono::duration_cast<std::chrono::milliseconds>(length);
    arm_lease(next);
    pump();
    return;
  }
  lease_connected_ = true;
  if (lease_failing_) log_event(spdlog::level::info, "lease.renewed_again", {{"epoch", std::to_string(epoch_)}});
  lease_failing_ = false;
  const LeaseState& state = *r.value;
  if (state.leading) {
    last_renewed_ = now;
    if (!in_office_ || state.row.epoch != epoch_) {
      in_office_ = true;
      office_taken_ = false;
      epoch_ = state.row.epoch;
      standing_for_.clear();
      metrics_.leader(true, epoch_);
      log_event(spdlog::level::info, "lease.acquired",
                {{"epoch", std::to_string(epoch_)},
                 {"node", state.row.node},
                 {"lease_seconds", std::to_string(config_.ha.lease_seconds)}});
      notify_status("leading (epoch " + std::to_string(epoch_) + "), watching " + config_.inbox.path.string());
    }
  } else {
    if (in_office_) {
      step_down("epoch " + std::to_string(state.row.epoch) + " is held by " + state.row.host + " pid " +
                std::to_string(state.row.pid));
    }
    const std::string holder = state.row.holder.value_or("");
    if (holder != standing_for_) {
      standing_for_ = holder;
      log_event(spdlog::level::info, "lease.standby",
                {{"holder_host", state.row.host},
                 {"holder_pid", std::to_string(state.row.pid)},
                 {"epoch", std::to_string(state.row.epoch)},
                 {"since", state.row.acquired_at},
                 {"expires_in_ms", std::to_string(state.row.expires_in.count())}});
      notify_status("standing by: " + state.row.host + " pid " + std::to_string(state.row.pid) + " leads");
    }
    // Tried again just after it expires, so a standby takes over within
    // ha.lease_seconds of the leader's last renewal.
    const auto until_expiry =
        std::max(state.row.expires_in, std::chrono::milliseconds(0)) + std::chrono::milliseconds(50);
    next = std::min(next, until_expiry);
  }
  metrics_changed();
  arm_lease(next);
  pump();
}

void Controller::step_down(const std::string& why) {
  log_event(spdlog::level::warn, "lease.lost", {{"epoch", std::to_string(epoch_)}, {"why", why}});
  in_office_ = false;
  office_taken_ = false;
  last_renewed_.reset();
  // The next leader decides from the database what is owed.
  refresh_.reset();
  metrics_.leader(false, epoch_);
  notify_status("standing by: " + why);
}

void Controller::start_office() {
  busy_ = true;
  const Config config = config_;
  const auto schedules = schedules_;
  const LeaseFence lease{claimant_.holder, epoch_};
  const bool first = first_office_;
  worker_.run<OfficeInfo>(
      [config, schedules, lease, first](DbSession& db) { return take_office(db, config, schedules, lease, first); },
      [this](const JobResult<OfficeInfo>& r) {
        on_office(r);
        after_job();
      });
}

void Controller::on_office(const JobResult<OfficeInfo>& r) {
  if (r.error) {
    office_retry_wait_ = true;  // until the next lease tick
    return job_failed(*r.error, "lease.office_failed");
  }
  if (!in_office_) return;  // deposed meanwhile
  office_taken_ = true;
  settings_due_ = false;  // the office applied them
  const OfficeInfo& info = *r.value;
  log_event(spdlog::level::info, "lease.office",
            {{"epoch", std::to_string(epoch_)},
             {"earlier_runs_closed", std::to_string(info.earlier_runs)},
             {"first", first_office_ ? "yes" : "no"}});
  first_office_ = false;
  if (info.orphans.abandoned || info.orphans.succeeded_after_swap) {
    log_event(spdlog::level::warn, "runs.abandoned",
              {{"count", std::to_string(info.orphans.abandoned)},
               {"succeeded_after_swap", std::to_string(info.orphans.succeeded_after_swap)}});
  }
  if (info.catchup) {
    log_event(spdlog::level::info, "schedule.catchup", {{"reason", *info.catchup}});
    merge_refresh(refresh_, {RefreshTrigger::Catchup, "segmentd catch-up", false, {}});
  }
  if (info.owed) {
    // Owed from before a stop, a crash, an outage or another leader:
    // decided from the database, so nothing in memory can lose it.
    log_event(spdlog::level::info, "refresh.owed", {{"reason", *info.owed}});
    merge_refresh(refresh_, {RefreshTrigger::File, "segmentd after ingest (owed)", true, SteadyClock::now()});
  } else if (info.exports_stale) {
    // The newest results have no published set (another session's refresh,
    // or an export that failed): published without refreshing again.
    log_event(spdlog::level::info, "export.stale", {{"dir", config_.exports.dir.string()}});
    merge_refresh(refresh_, {RefreshTrigger::File, "segmentd after ingest (export)", true, SteadyClock::now(), true});
  }
}

}  // namespace segmentd
