#include "status_report.h"

#include <algorithm>
#include <ostream>

#include "connection_facts.h"
#include "cron_schedule.h"
#include "daemon_db.h"
#include "db_session.h"
#include "errors.h"
#include "exit_status.h"
#include "inbox.h"
#include "lease.h"
#include "ops_sql.h"

namespace segmentd {
namespace {

namespace fs = std::filesystem;

void print_inbox(const Config& config, std::ostream& out) {
  if (config.inbox.path.empty()) {
    out << "inbox:           (inbox.path not set)\n";
    return;
  }
  std::error_code ec;
  std::vector<std::string> waiting;
  for (const auto& entry : list_inbox(config.inbox.path, config.inbox.ignore, ec)) {
    waiting.push_back(entry.path.filename().string());
  }
  std::sort(waiting.begin(), waiting.end());
  out << "inbox:           " << config.inbox.path.string();
  if (ec) {
    out << " (cannot list: " << ec.message() << ")\n";
    return;
  }
  out << ": " << waiting.size() << " file(s) waiting\n";
  for (const auto& name : waiting) out << "  " << name << "\n";
}

void print_next_runs(const Config& config, std::ostream& out) {
  out << "next scheduled runs:\n";
  if (config.schedules.empty()) out << "  (no schedules)\n";
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  for (const auto& s : config.schedules) {
    CronSchedule cron(s.cron, s.timezone);
    const auto next = cron.next_after(now);
    out << "  " << s.name << "\t" << (next ? format_local_iso(*next, cron.offset_at(*next)) : "never") << "\t("
        << s.cron << ", " << s.timezone << ")\n";
  }
  if (!config.refresh.full_schedule.empty()) {
    CronSchedule cron(config.refresh.full_schedule, "UTC");
    const auto next = cron.next_after(now);
    out << "  full-refresh\t" << (next ? format_local_iso(*next, cron.offset_at(*next)) : "never") << "\t("
        << config.refresh.full_schedule << ", UTC; refresh.full_schedule: everything recomputed)\n";
  }
}

}  // namespace

void print_schedule(const Config& config, std::chrono::sys_seconds from, unsigned count, std::ostream& out) {
  for (const auto& s : config.schedules) {
    CronSchedule cron(s.cron, s.timezone);
    auto t = from;
    for (unsigned i = 0; i < count; ++i) {
      const auto next = cron.next_after(t);
      if (!next) break;
      out << s.name << "\t" << format_local_iso(*next, cron.offset_at(*next)) << "\n";
      t = *next;
    }
  }
}

// A replica holds the events it received SLAVESIDE_DISABLED, rightly: they
// run on the primary. A promoted replica keeps them so until they are
// created again (segmentd migrate, or the daemon's start), and meanwhile no
// fallback runs anywhere.
std::string replica_note(DbSession& db, const std::string& event_state) {
  if (event_state != "SLAVESIDE_DISABLED") return "";
  std::optional<bool> replica;
  try {
    replica = !db.query(ops_sql::kReplicaStatus).rows.empty();
  } catch (const DbError&) {
    // Without the privilege to ask (SLAVE MONITOR or SUPER), say both.
  }
  if (replica && *replica) return " (this server is a replica: the event runs on its primary)";
  if (replica) {
    return "  WARNING: this server is not a replica, yet its event is disabled as a replica's, so the fallback never "
           "runs; run segmentd migrate (or start the daemon) to enable it";
  }
  return " (as on a replica; if this server was promoted to primary, run segmentd migrate to enable it)";
}

// Who leads (doc/OPERATIONS.md "Two daemons"): the lease's holder, since when, and
// whether the lease is still live.
void print_lease(DbSession& db, std::ostream& out) {
  const auto lease = read_lease(db);
  if (!lease || !lease->holder) {
    out << "leader:          none (no daemon holds the lease"
        << (lease && lease->epoch ? ", last epoch " + std::to_string(lease->epoch) : std::string()) << ")\n";
    return;
  }
  const long long seconds = lease->expires_in.count() / 1000;
  out << "leader:          " << lease->host << " pid " << lease->pid << ", epoch " << lease->epoch << " on "
      << lease->node << ", since " << lease->acquired_at << " UTC; renewed " << lease->renewed_at << " UTC, "
      << (lease->live ? "expires in " + std::to_string(seconds) + " s"
                      : "expired " + std::to_string(-seconds) + " s ago (a standby takes over)")
      << "\n";
}

// The settings, when the daemon's next pass is, and what the last pass did.
static void print_retention(const Config& config, DbSession& db, std::ostream& out) {
  const RetentionConfig& r = config.retention;
  const auto days = [](unsigned n) { return n == 0 ? std::string("forever") : std::to_string(n) + "d"; };
  out << "retention:       runs " << days(r.pipeline_runs_days) << ", ledger " << days(r.ingested_files_days)
      << ", history "
      << (r.history_runs == 0 ? std::string("forever")
                              : "last " + std::to_string(r.history_runs) + " runs + " +
                                    std::to_string(r.monthly_snapshots) + " monthly")
      << ", processed/ " << days(r.processed_files_days) << ", quarantine/ " << days(r.quarantine_files_days);
  try {
    const CronSchedule cron(r.schedule, r.timezone);
    const auto next = cron.next_after(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
    out << "; next pass " << (next ? format_local_iso(*next, cron.offset_at(*next)) : "never") << " (\"" << r.schedule
        << "\" " << r.timezone << ", and at daemon start)";
  } catch (const std::invalid_argument&) {
  }
  out << "\n";
  const auto last = db.query(ops_sql::kLastRetentionRun);
  if (last.rows.empty()) {
    out << "last retention:  none recorded\n";
  } else {
    const auto& row = last.rows.front();
    out << "last retention:  run " << row[0].value_or("?") << " " << row[1].value_or("?") << " at "
        << row[2].value_or("?") << " UTC: " << row[3].value_or("") << "\n";
  }
}

int print_status(const Config& config, std::ostream& out) {
  int code = kExitOk;
  std::unique_ptr<DbSession> db;
  try {
    db = connect_database(config.database);
  } catch (const DbError& e) {
    out << "database:        UNREACHABLE " << describe_endpoint(config.database) << ": " << e.what() << "\n";
    code = kExitUnavailable;
  }
  if (db) {
    const auto version = query_value(*db, ops_sql::kServerVersion).value_or("?");
    const ConnectionFacts facts = read_connection_facts(*db);
    out << "database:        reachable " << facts.endpoint << " (" << version << "), schema "
        << config.database.database << "\n";
    out << "connection:      "
        << (facts.encrypted() ? "encrypted " + facts.tls_version + " " + facts.tls_cipher
                              : std::string(facts.endpoint.rfind("unix://", 0) == 0 ? "local socket, not encrypted"
                                                                                    : "NOT encrypted"))
        << ", tls.mode " << to_string(config.database.tls.mode) << ", account " << config.database.user << " via "
        << facts.auth_plugin << "\n";
    const auto scheduler = event_scheduler_state(*db);
    out << "event_scheduler: " << scheduler;
    if (scheduler != "ON") out << "  WARNING: the fallback event cannot run; set event_scheduler=ON on the server";
    out << "\n";
    const auto event = db->query(ops_sql::kFallbackEvent);
    if (event.rows.empty()) {
      out << "fallback event:  missing (run segmentd migrate, or start the daemon)\n";
    } else {
      const std::string state = event.rows[0][0].value_or("?");
      out << "fallback event:  " << state << ", every " << event.rows[0][1].value_or("?") << " "
          << event.rows[0][2].value_or("?") << replica_note(*db, state) << "\n";
    }
    try {
      const auto hb = db->query(ops_sql::kHeartbeat);
      if (!hb.rows.empty() && hb.rows[0][3].value_or("0") == "1") {
        out << "daemon:          running on " << hb.rows[0][0].value_or("?") << " pid " << hb.rows[0][1].value_or("?")
            << " (seen " << hb.rows[0][2].value_or("?") << " UTC)\n";
      } else {
        out << "daemon:          not running"
            << (hb.rows.empty() || !hb.rows[0][2] ? "" : " (last seen " + *hb.rows[0][2] + " UTC)") << "\n";
      }
      print_lease(*db, out);
      // From the config: the daemon on this host serves it while running.
      out << "metrics:         "
          << (config.observability.listen.empty()
                  ? std::string("no listener (observability.listen is empty)")
                  : "http://" + config.observability.listen + "/metrics, /livez, /readyz")
          << (config.observability.textfile.empty() ? "" : "; textfile " + config.observability.textfile.string())
          << "\n";
      print_retention(config, *db, out);
      const auto last = db->query(ops_sql::kLastRunOfEachTrigger);
      out << "last run of each trigger:\n";
      if (last.rows.empty()) out << "  (no runs recorded)\n";
      for (const auto& row : last.rows) {
        out << "  " << row[0].value_or("") << "/" << row[1].value_or("") << "\trun " << row[2].value_or("") << " "
            << row[3].value_or("") << " at " << row[4].value_or("") << " UTC\t" << row[5].value_or("") << "\n";
      }
    } catch (const DbError& e) {
      out << "runs:            cannot read (" << e.what() << "); run segmentd migrate?\n";
    }
  }
  print_next_runs(config, out);
  print_inbox(config, out);
  return code;
}

}  // namespace segmentd
