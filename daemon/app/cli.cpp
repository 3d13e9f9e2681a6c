#include "cli.h"

#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "config.h"
#include "cron_schedule.h"
#include "daemon.h"
#include "daemon_db.h"
#include "db_session.h"
#include "errors.h"
#include "explain_format.h"
#include "exports.h"
#include "history.h"
#include "ingest_run.h"
#include "log_event.h"
#include "migrations.h"
#include "predict.h"
#include "refresh.h"
#include "report.h"
#include "retention.h"
#include "run_identity.h"
#include "status_report.h"
#include "text.h"
#include "tls_files.h"
#include "version.h"

namespace segmentd {
namespace {

struct Options {
  std::string config_path = kDefaultConfigPath;
  bool dry_run = false;
  bool full = false;                // refresh --full
  bool recount_references = false;  // ingest --recount-references
  unsigned limit = 20;
  std::string status;
  std::uint64_t run_id = 0;
  bool json = false;
  bool verbose = false;
  std::vector<std::string> files;
  std::string from;
  unsigned count = 5;
  std::string dir;
};

std::unique_ptr<DbSession> open_database(const Config& config) {
  auto db = connect_database(config.database);
  log_event(spdlog::level::debug, "db.connected", {{"endpoint", describe_endpoint(config.database)}});
  return db;
}

// SIGTERM, SIGINT and SIGHUP held back while in scope: a migrate finishes
// the migration it is in (and never stops among the routines), then stops.
class DeferredStop {
 public:
  DeferredStop() {
    sigemptyset(&set_);
    for (const int signal : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set_, signal);
    sigprocmask(SIG_BLOCK, &set_, &old_);
  }
  ~DeferredStop() {
    requested();  // one that came once all was done ends nothing
    sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  DeferredStop(const DeferredStop&) = delete;
  DeferredStop& operator=(const DeferredStop&) = delete;
  // Takes a pending signal, if any; true from then on.
  bool requested() {
    const timespec now{0, 0};
    if (!requested_ && sigtimedwait(&set_, nullptr, &now) > 0) requested_ = true;
    return requested_;
  }

 private:
  sigset_t set_{}, old_{};
  bool requested_ = false;
};

int cmd_migrate(const Options& o) {
  DeferredStop stop;
  const Config config = load_config(o.config_path);
  auto db = open_database(config);
  const MigrateReport report =
      migrate(*db, o.dry_run, std::string("segmentd ") + kVersion, [&stop] { return stop.requested(); });
  if (!report.stopped_before.empty()) {
    for (const auto& m : report.applied) std::cout << "applied " << m << "\n";
    log_event(spdlog::level::warn, "migrate.stopped",
              {{"applied", std::to_string(report.applied.size())}, {"next", report.stopped_before}});
    std::cerr << "segmentd: migrate stopped by a signal before " << report.stopped_before
              << "; the schema is consistent; run segmentd migrate again to finish\n";
    return kExitFailure;
  }
  // The routines create the event only when missing; its schedule and
  // state are the config's.
  if (!o.dry_run) {
    apply_fallback_event(*db, config.fallback_event);
    log_event_nodes(enable_event_on_every_node(*db, config.database, config.fallback_event));
  }
  const char* verb = o.dry_run ? "would apply" : "applied";
  for (const auto& m : report.applied) std::cout << verb << " " << m << "\n";
  if (report.applied.empty()) std::cout << "schema is current: no migrations pending\n";
  for (const auto& r : report.routines) {
    std::cout << (o.dry_run ? "would re-create " : "re-created ") << r << "\n";
  }
  if (!report.change_tracking_error.empty()) {
    std::cout << "warning: change tracking is unavailable, so every refresh is a full one: "
              << report.change_tracking_error << "\n";
    log_event(spdlog::level::warn, "migrate.change_tracking",
              {{"status", "unavailable"}, {"error", report.change_tracking_error}});
  }
  log_event(
      spdlog::level::info, o.dry_run ? "migrate.planned" : "migrate.finished",
      {{"migrations", std::to_string(report.applied.size())}, {"routines", std::to_string(report.routines.size())}});
  return kExitOk;
}

void print_predictions(const PredictionOutcome& p) {
  log_predictions(p);
  std::cout << "predictions for run " << p.run_id << " " << to_string(p.status);
  if (p.status == PredictionStatus::Available) {
    std::cout << ": " << p.customers << " customers; BG/NBD r=" << p.bgnbd.params.r << " alpha=" << p.bgnbd.params.alpha
              << " a=" << p.bgnbd.params.a << " b=" << p.bgnbd.params.b << "; Gamma-Gamma p=" << p.spend.params.p
              << " q=" << p.spend.params.q << " gamma=" << p.spend.params.gamma << "\n";
  } else {
    std::cout << ": " << p.reason << "\n";
  }
}

int cmd_refresh(const Options& o) {
  const Config config = load_config(o.config_path);
  auto db = open_database(config);
  require_current_schema(*db);
  log_event(spdlog::level::info, "refresh.started", {{"trigger", "cli"}});
  const RefreshOutcome out = run_refresh(*db, "cli", this_process(), o.full ? RefreshMode::Full : RefreshMode::Auto);
  log_event(out.status == RunStatus::Failed ? spdlog::level::err : spdlog::level::info, "refresh.finished",
            {{"run_id", std::to_string(out.run_id)},
             {"status", to_string(out.status)},
             {"customers", std::to_string(out.customers)},
             {"message", out.message}});
  std::cout << "run " << out.run_id << " " << to_string(out.status) << ": " << out.message << "\n";
  if (out.status == RunStatus::Succeeded) {
    // Predictions follow the refresh; their failure is recorded, the refresh stands.
    const PredictionOutcome p = run_predictions(*db, config.predictions);
    if (p.status != PredictionStatus::Disabled) print_predictions(p);
    return kExitOk;
  }
  if (out.status == RunStatus::Skipped) return kExitSkipped;
  return kExitFailure;
}

int cmd_predict(const Options& o) {
  const Config config = load_config(o.config_path);
  auto db = open_database(config);
  require_current_schema(*db);
  PredictionsConfig wanted = config.predictions;
  wanted.enabled = true;  // asked for by name
  const PredictionOutcome p = run_predictions(*db, wanted);
  print_predictions(p);
  switch (p.status) {
    case PredictionStatus::Available:
      return kExitOk;
    case PredictionStatus::Unavailable:
    case PredictionStatus::Busy:
      return kExitSkipped;
    default:
      return kExitFailure;
  }
}

// Customer ids from the command line, or one per line from stdin when
// none is given (or "-"): a support tool can pipe a list in.
std::vector<std::string> customers_to_explain(const Options& o) {
  std::vector<std::string> ids;
  for (const auto& id : o.files) {
    if (id != "-") ids.push_back(id);
  }
  if (ids.empty()) {
    for (std::string line; std::getline(std::cin, line);) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (!line.empty()) ids.push_back(line);
    }
  }
  if (ids.empty()) throw UserError("explain: no customer given (as arguments or one per line on stdin)");
  return ids;
}

int cmd_explain(const Options& o) {
  const Config config = load_config(o.config_path);
  auto db = open_database(config);
  require_current_schema(*db);
  int status = kExitOk;
  nlohmann::json all = nlohmann::json::array();
  const ExplainRun run = read_explain_run(*db);
  for (const auto& id : customers_to_explain(o)) {
    const auto e = explain_customer(*db, run, id);
    if (!e) {
      std::cerr << "segmentd: unknown customer '" << escape_bytes(id) << "': not in customers\n";
      status = kExitFailure;
      continue;
    }
    if (o.json) {
      all.push_back(explanation_json(*e));
    } else {
      std::cout << explanation_text(*e);
    }
  }
  if (o.json) std::cout << all.dump(2) << "\n";
  return status;
}

int cmd_retention(const Options& o) {
  const Config config = load_config(o.config_path);
  auto db = open_database(config);
  require_current_schema(*db);
  RetentionOptions options;
  options.dry_run = o.dry_run;
  RunIdentity who = this_process();
  who.started_by = "segmentd retention (cli)";
  const RetentionReport r = run_retention(*db, config.retention, config.inbox, "cli", who, options);
  log_event(r.status == RunStatus::Failed ? spdlog::level::err : spdlog::level::info,
            o.dry_run ? "retention.planned" : "retention.finished",
            {{"run_id", std::to_string(r.run_id)}, {"status", to_string(r.status)}, {"message", r.message}});
  if (o.json) {
    std::cout << r.details_json() << "\n";
  } else {
    if (!o.dry_run) std::cout << "run " << r.run_id << " " << to_string(r.status) << ": ";
    std::cout << r.message << "\n";
    const auto list = [](const char* what, const std::vector<std::uint64_t>& ids) {
      if (ids.empty()) return;
      std::cout << what << ":";
      for (const auto id : ids) std::cout << " " << id;
      std::cout << "\n";
    };
    list(o.dry_run ? "history of runs due" : "history removed of runs", r.history_runs_removed);
    list("history kept of runs", r.history_runs_kept);
    for (const auto* f : {&r.processed, &r.quarantine}) {
      for (const auto& name : f->names) std::cout << (f == &r.processed ? "processed/" : "quarantine/") << name << "\n";
      for (const auto& e : f->errors) std::cout << "error: " << e << "\n";
    }
  }
  if (r.status == RunStatus::Succeeded) return kExitOk;
  if (r.status == RunStatus::Skipped) return kExitSkipped;
  return kExitFailure;
}

int cmd_ingest(const Options& o) {
  const Config config = load_config(o.config_path);
  auto db = open_database(config);
  require_current_schema(*db);
  IngestOptions options = ingest_options(config);
  options.recount_references = o.recount_references;
  std::vector<std::filesystem::path> paths(o.files.begin(), o.files.end());
  const IngestRunOutcome out = run_ingest(*db, paths, options, "cli", this_process());
  for (const auto& f : out.files) {
    std::cout << to_string(f.status) << "\t" << f.name << "\t" << (f.dataset.empty() ? "-" : f.dataset) << "\t"
              << f.message << (f.rejects_file.empty() ? "" : " (rejects: " + f.rejects_file.string() + ")") << "\n";
  }
  std::cout << "run " << out.run_id << ": data quality " << out.data_quality_json << "\n";
  return out.all_ok() ? kExitOk : kExitFailure;
}

int cmd_history(const Options& o) {
  const Config config = load_config(o.config_path);
  auto db = open_database(config);
  HistoryQuery q;
  q.limit = o.limit;
  if (!o.status.empty()) q.status = o.status;
  if (o.run_id != 0) q.run_id = o.run_id;
  const auto runs = fetch_runs(*db, q);
  if (o.run_id != 0 && !o.json && !runs.empty()) {
    std::cout << format_run_detail(runs.front());
  } else {
    std::cout << (o.json ? format_runs_json(runs) : format_runs_table(runs));
  }
  if (o.run_id != 0 && runs.empty()) {
    std::cerr << "segmentd: no run " << o.run_id << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

int cmd_check_config(const Options& o) {
  const Config config = load_config(o.config_path);
  // The certificate and key files too: systemd runs this before start and
  // reload, as the service's user, so an unreadable key shows up there.
  check_tls_files(config.database);
  std::cout << "config OK: " << o.config_path << "\n";
  if (config.inbox.path.empty()) std::cout << "note: inbox.path is not set; `segmentd run` needs it\n";
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  print_schedule(config, now, 3, std::cout);
  return kExitOk;
}

int cmd_schedule(const Options& o) {
  const Config config = load_config(o.config_path);
  SysSeconds from = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  if (!o.from.empty()) {
    try {
      from = parse_iso_instant(o.from);
    } catch (const std::invalid_argument& e) {
      std::cerr << "segmentd: --from: " << e.what() << "\n";
      return kExitUsage;
    }
  }
  print_schedule(config, from, o.count, std::cout);
  return kExitOk;
}

int cmd_status(const Options& o) {
  return print_status(load_config(o.config_path), std::cout);
}

int cmd_export(const Options& o) {
  const Config config = load_config(o.config_path);
  auto db = open_database(config);
  require_current_schema(*db);
  const ExportSet set = write_exports(*db, o.dir, config.exports.keep_sets, config.exports.file_mode);
  for (const auto& f : set.files) std::cout << f.rows << "\t" << f.path.string() << "\n";
  return kExitOk;
}

int cmd_report(const Options& o) {
  const Config config = load_config(o.config_path);
  auto db = open_database(config);
  require_current_schema(*db);
  const ReportFile r = write_report(*db, o.dir, config.exports.file_mode);
  log_event(spdlog::level::info, "report.written",
            {{"file", r.path.string()}, {"run_id", std::to_string(r.run_id)}, {"bytes", std::to_string(r.bytes)}});
  std::cout << "run " << r.run_id << "\t" << r.bytes << " bytes\t" << r.path.string() << "\n";
  return kExitOk;
}

}  // namespace

int segmentd_main(int argc, char** argv) {
  CLI::App app{"segmentd: keeps a MySQL database's RFM customer segmentation fresh"};
  app.require_subcommand(1);
  Options o;
  app.add_option("-c,--config", o.config_path, "YAML config file")->capture_default_str();
  app.add_flag("-v,--verbose", o.verbose, "Log debug events");

  auto* migrate_cmd = app.add_subcommand("migrate", "Create or upgrade the schema; re-create procedures, views, event");
  migrate_cmd->add_flag("--dry-run", o.dry_run, "List what would run without changing anything");
  auto* refresh_cmd = app.add_subcommand("refresh", "Bring the customer segments up to date now (trigger 'cli')");
  refresh_cmd->add_flag("--full", o.full,
                        "Recompute everything from all the data, not only what changed since the last refresh");
  auto* retention_cmd =
      app.add_subcommand("retention", "Remove what the retention settings no longer keep, now (trigger 'cli')");
  retention_cmd->add_flag("--dry-run", o.dry_run, "List what is due without removing or recording anything");
  retention_cmd->add_flag("--json", o.json, "The run's details as JSON");
  auto* ingest_cmd = app.add_subcommand("ingest", "Validate and load Olist CSV files in place (trigger 'cli')");
  auto* files_opt = ingest_cmd->add_option("files", o.files, "CSV files");
  auto* recount_opt = ingest_cmd->add_flag(
      "--recount-references", o.recount_references,
      "Count the reference checks again over the whole tables (after changes made with plain SQL)");
  // One or the other, or both: never nothing.
  ingest_cmd->callback([files_opt, recount_opt] {
    if (files_opt->count() == 0 && recount_opt->count() == 0) {
      throw CLI::RequiredError("files (or --recount-references)");
    }
  });
  auto* history_cmd = app.add_subcommand("history", "Show recorded runs from pipeline_runs");
  history_cmd->add_option("--limit", o.limit, "Most recent N runs")
      ->check(CLI::Range(1u, 100000u))
      ->capture_default_str();
  history_cmd->add_option("--status", o.status, "Only runs with this status")
      ->check(CLI::IsMember({"running", "succeeded", "failed", "skipped", "abandoned"}));
  history_cmd->add_option("--run", o.run_id, "Only this run");
  history_cmd->add_flag("--json", o.json, "JSON instead of a table");
  auto* run_cmd = app.add_subcommand("run", "Run the service: watch the inbox, refresh after drops and on schedules");
  auto* check_cmd = app.add_subcommand("check-config", "Validate the config and print each schedule's next fire times");
  auto* schedule_cmd =
      app.add_subcommand("schedule", "Print the next fire times of every schedule (reads only the config)");
  schedule_cmd->add_option("--from", o.from, "Start instant, ISO 8601 with Z or offset (default: now)");
  schedule_cmd->add_option("--count", o.count, "Fire times per schedule")
      ->check(CLI::Range(1u, 10000u))
      ->capture_default_str();
  auto* status_cmd = app.add_subcommand("status", "Database, event scheduler, last runs, next runs, inbox");
  auto* export_cmd = app.add_subcommand("export", "Write the five CSV deliverables into DIR");
  export_cmd->add_option("dir", o.dir, "Output folder")->required();
  auto* report_cmd =
      app.add_subcommand("report", "Write the segment report (one HTML file) of the newest successful refresh");
  report_cmd->add_option("file", o.dir, "Output file, e.g. report.html")->required();
  auto* predict_cmd =
      app.add_subcommand("predict", "Fit BG/NBD and Gamma-Gamma on the current results and swap in new predictions");
  auto* explain_cmd =
      app.add_subcommand("explain", "Why customers have their segment: orders, cut-offs, rules, history, predictions");
  explain_cmd->add_option("customers", o.files, "customer_unique_id values (none or -: one per line on stdin)");
  explain_cmd->add_flag("--json", o.json, "JSON instead of text");
  auto* version_cmd = app.add_subcommand("version", "Print the version");
  for (auto* sub : app.get_subcommands({})) sub->fallthrough();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  setup_logging(o.verbose ? spdlog::level::debug : spdlog::level::info);

  try {
    if (*version_cmd) {
      std::cout << "segmentd " << kVersion << "\n";
      return kExitOk;
    }
    if (*migrate_cmd) return cmd_migrate(o);
    if (*refresh_cmd) return cmd_refresh(o);
    if (*predict_cmd) return cmd_predict(o);
    if (*explain_cmd) return cmd_explain(o);
    if (*retention_cmd) return cmd_retention(o);
    if (*history_cmd) return cmd_history(o);
    if (*ingest_cmd) return cmd_ingest(o);
    if (*run_cmd) return run_daemon(o.config_path, o.verbose);
    if (*check_cmd) return cmd_check_config(o);
    if (*schedule_cmd) return cmd_schedule(o);
    if (*status_cmd) return cmd_status(o);
    if (*export_cmd) return cmd_export(o);
    if (*report_cmd) return cmd_report(o);
  } catch (const ConfigError& e) {
    std::cerr << "segmentd: " << e.what() << "\n";
    return kExitUsage;
  } catch (const DbError& e) {
    std::cerr << "segmentd: database error " << e.code() << ": " << e.what() << "\n";
    return e.connection_lost() ? kExitUnavailable : kExitFailure;
  } catch (const Error& e) {
    // UserError, IoError, CsvError, LockBusy, FatalError: a plain reason.
    std::cerr << "segmentd: " << e.what() << "\n";
    return kExitFailure;
  } catch (const std::exception& e) {
    // Not expected; still a message and an exit status, never terminate().
    std::cerr << "segmentd: internal error: " << e.what() << "\n";
    return kExitFailure;
  }
  return kExitUsage;
}

}  // namespace segmentd
