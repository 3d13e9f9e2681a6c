// The folder, loads and moves.
#include "controller.h"
#include "errors.h"
#include "file_move.h"
#include "service_notify.h"
#include "text.h"

namespace segmentd {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

namespace {

// processed/ and quarantine/ when they are inside the inbox: folders the
// daemon made, not drops to report.
std::set<std::string> own_folders(const InboxConfig& inbox) {
  std::set<std::string> out;
  for (const auto& dir : {inbox.processed, inbox.quarantine}) {
    if (dir.parent_path() == inbox.path) out.insert(dir.filename().string());
  }
  return out;
}

}  // namespace

// ---- the inbox ----------------------------------------------------------
std::unique_ptr<InboxTracker> Controller::make_tracker(const InboxConfig& inbox) {
  auto t = std::make_unique<InboxTracker>(inbox.path, inbox.ignore, std::chrono::seconds(inbox.settle_seconds));
  t->set_known_folders(own_folders(inbox));
  return t;
}

std::unique_ptr<InotifyWatch> Controller::make_watch(const fs::path& dir) {
  try {
    return std::make_unique<InotifyWatch>(
        io_, dir, [this](const std::string& name, bool moved_in) { on_inbox_event(name, moved_in); },
        [this](const char* why) { on_inbox_gone(why); });
  } catch (const std::system_error& e) {
    // Still works, only slower: the periodic rescan finds the files.
    log_event(spdlog::level::warn, "inbox.inotify_unavailable", {{"error", e.what()}});
    return nullptr;
  }
}

void Controller::start_inbox() {
  tracker_ = make_tracker(config_.inbox);
  watch_ = make_watch(config_.inbox.path);
}

void Controller::on_inbox_event(const std::string& name, bool moved_in) {
  log_event(spdlog::level::debug, "inbox.event",
            {{"name", name.empty() ? "(overflow)" : escape_bytes(name)}, {"moved_in", moved_in ? "yes" : "no"}});
  // Renamed in = complete (the producers' convention); anything else must
  // first sit unchanged for the settle time.
  if (moved_in && !is_ignored(name, config_.inbox.ignore)) tracker_->mark_complete(name);
  scan_inbox();
}

// The inbox was deleted or moved away: the watch sees nothing more. Until
// a folder is back at the path, it is looked for every second; then it is
// watched again and scanned (a file dropped meanwhile waits no rescan).
void Controller::on_inbox_gone(const char* why) {
  log_event(spdlog::level::warn, "inbox.watch_lost", {{"dir", config_.inbox.path.string()}, {"why", why}});
  // Not destroyed from inside its own handler.
  boost::asio::post(io_, [this] {
    watch_.reset();
    arm_rewatch();
  });
}

void Controller::arm_rewatch() {
  rewatch_timer_.expires_after(std::chrono::seconds(1));
  rewatch_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_ || watch_) return;
    std::error_code missing;
    if (!fs::is_directory(config_.inbox.path, missing)) return arm_rewatch();
    watch_ = make_watch(config_.inbox.path);
    if (!watch_) return arm_rewatch();
    log_event(spdlog::level::info, "inbox.watch_restored", {{"dir", config_.inbox.path.string()}});
    scan_inbox();
  });
}

void Controller::scan_inbox() {
  if (stopping_) return;
  const auto now = clock_.steady_now();
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
    settle_timer_.expires_after(
        std::chrono::milliseconds(std::clamp<long>(static_cast<long>(config_.inbox.settle_seconds) * 500, 200, 5000)));
    settle_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) scan_inbox();
    });
  }
  pump();
}

void Controller::arm_rescan() {
  rescan_timer_.expires_after(std::chrono::seconds(config_.inbox.rescan_seconds));
  rescan_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    scan_inbox();
    arm_rescan();
  });
}

// ---- loading a file -----------------------------------------------------
void Controller::start_load(const std::string& name) {
  const fs::path file = queue_.find(name)->path;
  queue_.start_load(name);
  busy_ = true;
  IngestOptions options = ingest_options(config_);
  options.rejects_dir = config_.inbox.quarantine;
  options.temp_dir = temp_dir_;
  options.cancel = &cancel_;
  options.lock_wait_seconds = 5;
  options.fence = fence();
  notify_status("loading " + escape_bytes(name));
  job_started_ = clock_.steady_now();
  metrics_.run_started(RunKind::Ingest);
  worker_.run<LoadResult>([file, options](DbSession& db) { return load_file(db, file, options); },
                          [this, name](const JobResult<LoadResult>& r) {
                            on_loaded(name, r);
                            after_job();
                          });
}

void Controller::on_loaded(const std::string& name, const JobResult<LoadResult>& r) {
  const auto now = clock_.steady_now();
  count_load(r, now);
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
      return give_up(name, now, r.value ? r.value->run_id : 0, r.value ? r.value->file.dataset : std::string(),
                     "gave up after " + std::to_string(failures + 1) + " attempts: " + why);
    case LoadVerdict::LetGo:
      queue_.drop(name);
      tracker_->forget(name);  // found again, it must settle first
      if (r.value && r.value->file.status == FileStatus::Changed) {
        remove_rejects(r);
        log_event(spdlog::level::info, "inbox.file_changing", {{"file", shown}, {"message", why}});
        return;
      }
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
  plan.loaded = load.file.identity;
  plan.run_id = load.run_id;
  plan.status = load.file.status;
  plan.message = load.file.message;
  if (plan.quarantine) {
    const std::string dataset = load.file.dataset.empty() ? "unknown" : load.file.dataset;
    metrics_.file_quarantined(dataset);
    notifier_->raise({"file_quarantined",
                      shown,
                      "file " + shown + " was refused and moved to quarantine: " + load.file.message,
                      {{"file", shown}, {"dataset", dataset}, {"run_id", std::to_string(load.run_id)}},
                      {}});
  }
  queue_.load_finished(name, std::move(plan), now);
  // The refresh is owed from the commit on, whatever happens to the move.
  if (d.owes_refresh) want_refresh_after_data("segmentd after ingest");
  notify_status("watching " + config_.inbox.path.string());
}

// The metrics of one load: its run, and the file's outcome when it had one.
void Controller::count_load(const JobResult<LoadResult>& r, SteadyTime now) {
  const double seconds = std::chrono::duration<double>(now - job_started_).count();
  const double unix_now = clock_.unix_seconds();
  if (r.value && r.value->gone)
    return metrics_.run_finished_without_run(RunKind::Ingest);  // nothing was loaded or recorded
  if (!r.value) {
    metrics_.run_finished(RunKind::Ingest, "file", RunStatus::Failed, seconds, unix_now);
    return;
  }
  const FileOutcome& f = r.value->file;
  // As the run is recorded: a file still changing makes it skipped.
  const RunStatus run = f.ok()                            ? RunStatus::Succeeded
                        : f.status == FileStatus::Changed ? RunStatus::Skipped
                                                          : RunStatus::Failed;
  metrics_.run_finished(RunKind::Ingest, "file", run, seconds, unix_now);
  metrics_.file_finished(f.dataset.empty() ? "unknown" : f.dataset, f.status, f.rows_loaded, f.rows_rejected);
}

// A load that is tried again leaves no rejects file behind.
void Controller::remove_rejects(const JobResult<LoadResult>& r) {
  std::error_code ec;
  if (r.value && !r.value->file.rejects_file.empty()) fs::remove(r.value->file.rejects_file, ec);
}

// Quarantined with the reason, after too many failures that might have
// passed.
void Controller::give_up(const std::string& name, SteadyTime now, std::uint64_t run_id, const std::string& dataset,
                         const std::string& why) {
  metrics_.file_quarantined(dataset.empty() ? "unknown" : dataset);
  notifier_->raise({"file_quarantined",
                    escape_bytes(name),
                    "file " + escape_bytes(name) + " was moved to quarantine: " + why,
                    {{"file", escape_bytes(name)},
                     {"dataset", dataset.empty() ? "unknown" : dataset},
                     {"run_id", std::to_string(run_id)}},
                    {}});
  MovePlan plan;
  plan.quarantine = true;
  plan.target_dir = config_.inbox.quarantine;
  plan.run_id = run_id;
  plan.status = FileStatus::Failed;
  plan.message = why;
  plan.reason = "status: failed\nrun: " + std::to_string(run_id) + "\nreason: " + why + "\n";
  queue_.load_finished(name, std::move(plan), now);
}

// ---- moving a file out --------------------------------------------------
void Controller::start_move(const std::string& name) {
  const InboxQueue::Entry* entry = queue_.find(name);
  const fs::path file = entry->path;
  auto plan = std::make_shared<MovePlan>(entry->move);
  busy_ = true;
  worker_.run_local<std::optional<fs::path>>([file, plan] { return carry_out(file, *plan); },
                                             [this, name, plan](const JobResult<std::optional<fs::path>>& r) {
                                               on_moved(name, *plan, r);
                                               after_job();
                                             });
}

void Controller::on_moved(const std::string& name, const MovePlan& plan, const JobResult<std::optional<fs::path>>& r) {
  const std::string shown = escape_bytes(name);
  const unsigned earlier_failures = queue_.find(name)->move_failures;
  if (r.error) {
    const unsigned failures = earlier_failures + 1;
    const auto delay = backoff_delay(earlier_failures, policy_.first_move_retry, policy_.max_move_retry, rng_);
    queue_.move_failed(name, plan, clock_.steady_now() + delay);
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
  if (!*r.value) {
    // The name no longer is the file that was loaded (renamed over, or
    // appended to since): what it holds now is a new drop, and settles.
    const auto now_there = FileIdentity::of_path(queue_.find(name)->path);
    queue_.drop(name);
    tracker_->forget(name);
    log_event(spdlog::level::warn, "inbox.file_changed_after_load",
              {{"file", shown},
               {"run_id", std::to_string(plan.run_id)},
               {"change", plan.loaded ? plan.loaded->change_to(now_there) : "?"},
               {"why", "not moved: the file in the inbox is not the one loaded; it is taken as a new drop"}});
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
             {"status", to_string(plan.status)},
             {"run_id", std::to_string(plan.run_id)},
             {"message", plan.message + "; moved to " + escape_bytes((*r.value)->string())}});
}

}  // namespace segmentd
