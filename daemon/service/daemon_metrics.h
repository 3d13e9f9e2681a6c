#pragma once
// What `GET /metrics` (and the optional node_exporter textfile) says about
// the daemon: every series the doc/OPERATIONS.md "Metrics and health" table lists, created at
// start-up with zero values so alerts work before the first run. The
// controller updates it from events it already handles; a scrape only
// renders it.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "file_status.h"
#include "metrics.h"
#include "predict.h"
#include "run_status.h"

namespace segmentd {

class DaemonMetrics {
 public:
  // `version`: segmentd's; `schedules`: their names; `datasets`: the nine.
  DaemonMetrics(const std::string& version, const std::vector<std::string>& schedules,
                const std::vector<std::string>& datasets, double start_time_seconds);

  void database_up(bool up);
  void reconnected();
  // 1 while this daemon holds the lease (lease.h), with its epoch.
  void leader(bool leading, std::uint64_t epoch);
  void run_started(RunKind kind);
  // `finished_at`: Unix seconds.
  void run_finished(RunKind kind, const std::string& trigger, RunStatus status, double duration_seconds,
                    double finished_at);
  // A job that ended without a run (its file had gone): not counted.
  void run_finished_without_run(RunKind kind);
  // A success known from the database (another session's, or before start).
  void last_success(RunKind kind, double at_seconds);
  void file_finished(const std::string& dataset, FileStatus status, std::uint64_t rows_loaded,
                     std::uint64_t rows_rejected);
  void file_quarantined(const std::string& dataset);
  void segments(const std::map<std::string, std::uint64_t>& customers_by_segment);
  // The prediction step's outcome: availability, and the fit once published.
  void predictions(const PredictionOutcome& outcome);
  // A successful refresh's swap waited this long for readers (0: not).
  void swap_waited(double seconds);
  void schedule_next(const std::string& schedule, double at_seconds);
  // Updated just before each render.
  void inbox(std::size_t files, double oldest_age_seconds);
  void worker(bool stuck, double job_seconds);
  void refresh_waiting(bool waiting);
  // The webhook targets (their series start at 0) and each post's outcome.
  void notify_targets(const std::vector<std::string>& names);
  void notified(const std::string& target, bool delivered);
  void notification_dropped(const std::string& target);
  void retention_removed(const std::string& what, std::uint64_t n);
  void notifications_queued(std::size_t waiting);

  std::string render() const { return metrics_.render(); }
  const Metrics& metrics() const { return metrics_; }

 private:
  Metrics metrics_;
};

}  // namespace segmentd
