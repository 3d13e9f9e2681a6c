#include "daemon_metrics.h"

namespace segmentd {

namespace {
const std::vector<std::string> kKinds = {to_string(RunKind::Ingest), to_string(RunKind::Refresh),
                                         to_string(RunKind::Retention)};
// The triggers of the runs this daemon starts.
const std::vector<std::string> kRunSeries[] = {{"ingest", "file"},
                                               {"refresh", "file"},
                                               {"refresh", "schedule"},
                                               {"refresh", "catchup"},
                                               {"retention", "schedule"}};
const std::vector<std::string> kRunStatuses = {to_string(RunStatus::Succeeded), to_string(RunStatus::Failed),
                                               to_string(RunStatus::Skipped)};
// The ledger's outcomes, and quarantined (a refusal moved to quarantine/).
const std::vector<std::string> kFileStatuses = {to_string(FileStatus::Loaded), to_string(FileStatus::Duplicate),
                                                to_string(FileStatus::Rejected), to_string(FileStatus::Failed),
                                                "quarantined"};
}  // namespace

DaemonMetrics::DaemonMetrics(const std::string& version, const std::vector<std::string>& schedules,
                             const std::vector<std::string>& datasets, double start_time_seconds) {
  using T = MetricType;
  metrics_.define("segmentd_build_info", T::Gauge, "Always 1; the version is a label.", {"version"});
  metrics_.set("segmentd_build_info", {version}, 1);
  metrics_.define("segmentd_up", T::Gauge, "1 while the daemon runs.");
  metrics_.set("segmentd_up", {}, 1);
  metrics_.define("segmentd_start_time_seconds", T::Gauge, "When the daemon started, Unix seconds.");
  metrics_.set("segmentd_start_time_seconds", {}, start_time_seconds);
  metrics_.define("segmentd_database_up", T::Gauge, "1 while the daemon holds a working database session.");
  metrics_.touch("segmentd_database_up");
  metrics_.define("segmentd_leader", T::Gauge,
                  "1 while this daemon holds the lease and loads and refreshes; 0 while it stands by.");
  metrics_.touch("segmentd_leader");
  metrics_.define("segmentd_lease_epoch", T::Gauge, "The epoch of the lease this daemon last held (0: never).");
  metrics_.touch("segmentd_lease_epoch");
  metrics_.define("segmentd_database_reconnects_total", T::Counter,
                  "Sessions opened again after the database was lost or unreachable.");
  metrics_.touch("segmentd_database_reconnects_total");
  metrics_.define("segmentd_runs_total", T::Counter, "Runs this daemon finished, by kind, trigger and status.",
                  {"kind", "trigger", "status"});
  metrics_.define("segmentd_run_duration_seconds", T::Histogram, "How long this daemon's runs took.", {"kind"},
                  {0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600});
  metrics_.define("segmentd_last_success_timestamp_seconds", T::Gauge,
                  "When this daemon's last successful run of each kind finished, Unix seconds (0: none yet).",
                  {"kind"});
  metrics_.define("segmentd_running", T::Gauge, "1 while a run of this kind is in progress.", {"kind"});
  for (const auto& kind : kKinds) {
    metrics_.touch("segmentd_run_duration_seconds", {kind});
    metrics_.touch("segmentd_last_success_timestamp_seconds", {kind});
    metrics_.touch("segmentd_running", {kind});
  }
  for (const auto& s : kRunSeries) {
    for (const auto& status : kRunStatuses) metrics_.touch("segmentd_runs_total", {s[0], s[1], status});
  }
  metrics_.define("segmentd_files_total", T::Counter,
                  "Inbox files by dataset and outcome (quarantined counts refusals moved to quarantine/).",
                  {"dataset", "status"});
  metrics_.define("segmentd_rows_loaded_total", T::Counter, "Rows loaded from inbox files.", {"dataset"});
  metrics_.define("segmentd_rows_rejected_total", T::Counter, "Rows refused in inbox files.", {"dataset"});
  for (const auto& d : datasets) {
    for (const auto& status : kFileStatuses) metrics_.touch("segmentd_files_total", {d, status});
    metrics_.touch("segmentd_rows_loaded_total", {d});
    metrics_.touch("segmentd_rows_rejected_total", {d});
  }
  metrics_.define("segmentd_refresh_swap_wait_seconds", T::Gauge,
                  "How long the last successful refresh's swap waited for readers holding the results.");
  metrics_.touch("segmentd_refresh_swap_wait_seconds");
  metrics_.define("segmentd_predictions_available", T::Gauge,
                  "1 when the last prediction step published predictions, 0 when it could not (see its run).");
  metrics_.touch("segmentd_predictions_available");
  metrics_.define("segmentd_prediction_parameter", T::Gauge, "The last published fit's parameters (time unit: days).",
                  {"model", "parameter"});
  metrics_.define("segmentd_prediction_log_likelihood", T::Gauge, "The last published fit's log-likelihood.",
                  {"model"});
  metrics_.define("segmentd_inbox_files", T::Gauge, "Files waiting in the inbox (settling, queued or loading).");
  metrics_.touch("segmentd_inbox_files");
  metrics_.define("segmentd_inbox_oldest_file_age_seconds", T::Gauge,
                  "How long the oldest waiting file has been in the inbox (0: none).");
  metrics_.touch("segmentd_inbox_oldest_file_age_seconds");
  metrics_.define("segmentd_segment_customers", T::Gauge, "Customers in each segment of the current results.",
                  {"segment"});
  metrics_.define("segmentd_customers_segmented", T::Gauge, "Customers in the current results.");
  metrics_.touch("segmentd_customers_segmented");
  metrics_.define("segmentd_schedule_next_run_timestamp_seconds", T::Gauge,
                  "When each schedule fires next, Unix seconds.", {"schedule"});
  for (const auto& s : schedules) metrics_.touch("segmentd_schedule_next_run_timestamp_seconds", {s});
  metrics_.define("segmentd_worker_stuck", T::Gauge,
                  "1 when the running job exceeded observability.stuck_after_seconds (/livez fails, the "
                  "watchdog stops).");
  metrics_.touch("segmentd_worker_stuck");
  metrics_.define("segmentd_job_running_seconds", T::Gauge, "How long the current database job has run (0: idle).");
  metrics_.touch("segmentd_job_running_seconds");
  metrics_.define("segmentd_notifications_total", T::Counter,
                  "Alerts posted to each webhook target, by result (sent: a 2xx answer; failed: anything else).",
                  {"target", "result"});
  metrics_.define("segmentd_notifications_dropped_total", T::Counter,
                  "Alerts dropped unsent because the delivery queue was full (the oldest goes first).", {"target"});
  metrics_.define("segmentd_notifications_queued", T::Gauge, "Alerts waiting to be posted, retries included.");
  metrics_.touch("segmentd_notifications_queued");
  metrics_.define("segmentd_retention_removed_total", T::Counter,
                  "What this daemon's retention passes removed: history_rows, pipeline_runs, ingested_files, "
                  "processed_files, quarantine_files.",
                  {"what"});
  for (const char* w : {"history_rows", "pipeline_runs", "ingested_files", "processed_files", "quarantine_files"}) {
    metrics_.touch("segmentd_retention_removed_total", {w});
  }
  metrics_.define("segmentd_refresh_waiting", T::Gauge, "1 while a refresh is owed or scheduled but not started.");
  metrics_.touch("segmentd_refresh_waiting");
}

void DaemonMetrics::database_up(bool up) {
  metrics_.set("segmentd_database_up", {}, up ? 1 : 0);
}

void DaemonMetrics::leader(bool leading, std::uint64_t epoch) {
  metrics_.set("segmentd_leader", {}, leading ? 1 : 0);
  if (epoch != 0) metrics_.set("segmentd_lease_epoch", {}, static_cast<double>(epoch));
}

void DaemonMetrics::reconnected() {
  metrics_.add("segmentd_database_reconnects_total", {});
}

void DaemonMetrics::run_started(RunKind kind) {
  metrics_.set("segmentd_running", {to_string(kind)}, 1);
}

void DaemonMetrics::run_finished(RunKind kind, const std::string& trigger, RunStatus status, double duration_seconds,
                                 double finished_at) {
  const std::string k = to_string(kind);
  metrics_.set("segmentd_running", {k}, 0);
  metrics_.add("segmentd_runs_total", {k, trigger, to_string(status)});
  metrics_.observe("segmentd_run_duration_seconds", {k}, duration_seconds);
  if (status == RunStatus::Succeeded) metrics_.set("segmentd_last_success_timestamp_seconds", {k}, finished_at);
}

void DaemonMetrics::last_success(RunKind kind, double at_seconds) {
  if (at_seconds > metrics_.value("segmentd_last_success_timestamp_seconds", {to_string(kind)})) {
    metrics_.set("segmentd_last_success_timestamp_seconds", {to_string(kind)}, at_seconds);
  }
}

void DaemonMetrics::run_finished_without_run(RunKind kind) {
  metrics_.set("segmentd_running", {to_string(kind)}, 0);
}

void DaemonMetrics::file_finished(const std::string& dataset, FileStatus status, std::uint64_t rows_loaded,
                                  std::uint64_t rows_rejected) {
  metrics_.add("segmentd_files_total", {dataset, to_string(status)});
  metrics_.add("segmentd_rows_loaded_total", {dataset}, static_cast<double>(rows_loaded));
  metrics_.add("segmentd_rows_rejected_total", {dataset}, static_cast<double>(rows_rejected));
}

void DaemonMetrics::file_quarantined(const std::string& dataset) {
  metrics_.add("segmentd_files_total", {dataset, "quarantined"});
}

void DaemonMetrics::swap_waited(double seconds) {
  metrics_.set("segmentd_refresh_swap_wait_seconds", {}, seconds);
}

void DaemonMetrics::predictions(const PredictionOutcome& p) {
  if (p.status == PredictionStatus::Busy || p.status == PredictionStatus::Disabled) return;
  const bool available = p.status == PredictionStatus::Available;
  metrics_.set("segmentd_predictions_available", {}, available ? 1 : 0);
  if (!available) return;
  const auto& b = p.bgnbd.params;
  const auto& g = p.spend.params;
  for (const auto& [name, value] : {std::pair{"r", b.r}, {"alpha", b.alpha}, {"a", b.a}, {"b", b.b}}) {
    metrics_.set("segmentd_prediction_parameter", {"bgnbd", name}, value);
  }
  for (const auto& [name, value] : {std::pair{"p", g.p}, {"q", g.q}, {"gamma", g.gamma}}) {
    metrics_.set("segmentd_prediction_parameter", {"gammagamma", name}, value);
  }
  metrics_.set("segmentd_prediction_log_likelihood", {"bgnbd"}, p.bgnbd.report.log_likelihood);
  metrics_.set("segmentd_prediction_log_likelihood", {"gammagamma"}, p.spend.report.log_likelihood);
}

void DaemonMetrics::segments(const std::map<std::string, std::uint64_t>& customers_by_segment) {
  double total = 0;
  for (const auto& [segment, n] : customers_by_segment) {
    metrics_.set("segmentd_segment_customers", {segment}, static_cast<double>(n));
    total += static_cast<double>(n);
  }
  metrics_.set("segmentd_customers_segmented", {}, total);
}

void DaemonMetrics::schedule_next(const std::string& schedule, double at_seconds) {
  metrics_.set("segmentd_schedule_next_run_timestamp_seconds", {schedule}, at_seconds);
}

void DaemonMetrics::inbox(std::size_t files, double oldest_age_seconds) {
  metrics_.set("segmentd_inbox_files", {}, static_cast<double>(files));
  metrics_.set("segmentd_inbox_oldest_file_age_seconds", {}, oldest_age_seconds);
}

void DaemonMetrics::worker(bool stuck, double job_seconds) {
  metrics_.set("segmentd_worker_stuck", {}, stuck ? 1 : 0);
  metrics_.set("segmentd_job_running_seconds", {}, job_seconds);
}

void DaemonMetrics::notify_targets(const std::vector<std::string>& names) {
  for (const auto& n : names) {
    metrics_.touch("segmentd_notifications_total", {n, "sent"});
    metrics_.touch("segmentd_notifications_total", {n, "failed"});
    metrics_.touch("segmentd_notifications_dropped_total", {n});
  }
}

void DaemonMetrics::notified(const std::string& target, bool delivered) {
  metrics_.add("segmentd_notifications_total", {target, delivered ? "sent" : "failed"});
}

void DaemonMetrics::notification_dropped(const std::string& target) {
  metrics_.add("segmentd_notifications_dropped_total", {target});
}

void DaemonMetrics::notifications_queued(std::size_t waiting) {
  metrics_.set("segmentd_notifications_queued", {}, static_cast<double>(waiting));
}

void DaemonMetrics::retention_removed(const std::string& what, std::uint64_t n) {
  if (n > 0) metrics_.add("segmentd_retention_removed_total", {what}, static_cast<double>(n));
}

void DaemonMetrics::refresh_waiting(bool waiting) {
  metrics_.set("segmentd_refresh_waiting", {}, waiting ? 1 : 0);
}

}  // namespace segmentd
