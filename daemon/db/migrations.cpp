#include "migrations.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <regex>

#include "db_session.h"
#include "errors.h"
#include "named_lock.h"
#include "sha256.h"
#include "sql_script.h"
#include "transaction.h"

namespace segmentd {
namespace {

constexpr std::string_view kChangeTrackingRoutines = "routines/R050__change_tracking.sql";

// The server's refusals to create a trigger: no TRIGGER privilege (1142),
// or binary logging without SUPER or log_bin_trust_function_creators
// (1419, 1227).
bool refused_trigger(const DbError& e) {
  return e.code() == 1142 || e.code() == 1419 || e.code() == 1227;
}

constexpr const char* kCreateLedger =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INT UNSIGNED NOT NULL,"
    " description VARCHAR(200) NOT NULL,"
    " checksum CHAR(64) NOT NULL,"
    " applied_at DATETIME(3) NOT NULL,"
    " duration_ms BIGINT UNSIGNED NOT NULL,"
    " applied_by VARCHAR(64) NOT NULL,"
    " PRIMARY KEY (version)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

// A migration's progress, statement by statement, while it runs: a migrate
// cut anywhere (SIGKILL, a lost connection) resumes where it stopped.
constexpr const char* kCreateProgress =
    "CREATE TABLE IF NOT EXISTS schema_migration_progress ("
    " version INT UNSIGNED NOT NULL,"
    " statements_done INT UNSIGNED NOT NULL,"
    " PRIMARY KEY (version)"
    ") ENGINE=InnoDB";
constexpr const char* kReadProgress = "SELECT statements_done FROM schema_migration_progress WHERE version = ?";
constexpr const char* kStartProgress = "INSERT INTO schema_migration_progress (version, statements_done) VALUES (?, 0)";
constexpr const char* kRecordProgress = "UPDATE schema_migration_progress SET statements_done = ? WHERE version = ?";
constexpr const char* kEndProgress = "DELETE FROM schema_migration_progress WHERE version = ?";
constexpr const char* kRecordMigration =
    "INSERT INTO schema_migrations (version, description, checksum, applied_at, duration_ms, applied_by) "
    "VALUES (?, ?, ?, UTC_TIMESTAMP(3), ?, ?)";

// How a statement of a migration is made safe to run again.
enum class StatementKind {
  Session,        // SET, PREPARE, DEALLOCATE: no lasting effect; run again on every resume
  Transactional,  // INSERT, UPDATE, DELETE, REPLACE: committed with its progress, atomically
  Ddl,            // the rest (CREATE, ALTER, DROP, RENAME, EXECUTE): commits on its own
};

std::string first_word(const std::string& statement) {
  std::string word;
  for (const char c : statement) {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      word += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else if (!word.empty()) {
      break;
    }
  }
  return word;
}

StatementKind kind_of(const std::string& word) {
  if (word == "SET" || word == "PREPARE" || word == "DEALLOCATE") return StatementKind::Session;
  if (word == "INSERT" || word == "UPDATE" || word == "DELETE" || word == "REPLACE") {
    return StatementKind::Transactional;
  }
  return StatementKind::Ddl;
}

// A DDL statement cut after its commit but before its progress row is run
// again on resume; these refusals say it had already been done.
bool already_done(const DbError& e, const std::string& word) {
  switch (e.code()) {
    case 1050:  // table exists
    case 1051:  // unknown table (DROP TABLE without IF EXISTS)
    case 1060:  // duplicate column
    case 1061:  // duplicate key name
    case 1091:  // cannot drop: column or key does not exist
    case 1826:  // duplicate foreign key
      return true;
    case 1146:  // RENAME of a table already renamed
      return word == "RENAME";
    default:
      return false;
  }
}

std::vector<AppliedMigration> read_applied(DbSession& db) {
  std::vector<AppliedMigration> applied;
  DbResult r = db.query("SELECT version, checksum FROM schema_migrations ORDER BY version");
  for (const auto& row : r.rows) {
    applied.push_back({static_cast<unsigned>(std::stoul(row[0].value_or("0"))), row[1].value_or("")});
  }
  return applied;
}

bool ledger_exists(DbSession& db) {
  return query_u64(db,
                   "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
                   {std::string("schema_migrations")}) != 0;
}

void run_script(DbSession& db, const EmbeddedFile& file, bool or_replace = false) {
  for (const auto& statement : replace_in_place(split_sql_script(file.content, std::string(file.path)), or_replace)) {
    try {
      db.execute(statement.text);
    } catch (const DbError& e) {
      throw DbError(std::string(file.path) + ":" + std::to_string(statement.line) + ": " + e.what(), e.code(),
                    e.sql_state());
    }
  }
}

// Runs one migration's statements, recording each one done; resumes after
// the last one recorded when an earlier migrate was cut in its middle.
void run_migration(DbSession& db, const MigrationFile& m) {
  const auto version = static_cast<std::int64_t>(m.version);
  const DbValue recorded = query_value(db, kReadProgress, {version});
  const bool resumed = recorded.has_value();
  const std::size_t done = resumed ? std::stoul(*recorded) : 0;
  if (!resumed) db.update(kStartProgress, {version});
  const auto statements = split_sql_script(m.content, m.path);
  for (std::size_t i = 0; i < statements.size(); ++i) {
    const SqlStatement& statement = statements[i];
    const std::string word = first_word(statement.text);
    const StatementKind kind = kind_of(word);
    if (kind != StatementKind::Session && i < done) continue;
    const std::vector<DbParam> progress = {static_cast<std::int64_t>(i + 1), version};
    try {
      if (kind == StatementKind::Session) {
        db.execute(statement.text);
      } else if (kind == StatementKind::Transactional) {
        Transaction transaction(db);
        db.execute(statement.text);
        db.update(kRecordProgress, progress);
        transaction.commit();
      } else {
        try {
          db.execute(statement.text);
        } catch (const DbError& e) {
          // Only the one statement that may have run unrecorded.
          if (!(resumed && i == done && already_done(e, word))) throw;
        }
        db.update(kRecordProgress, progress);
      }
    } catch (const DbError& e) {
      throw DbError(m.path + ":" + std::to_string(statement.line) + ": " + e.what(), e.code(), e.sql_state());
    }
  }
}

}  // namespace

std::vector<MigrationFile> migration_files(const std::vector<EmbeddedFile>& files) {
  static const std::regex name_re(R"(^migrations/V([0-9]+)__([A-Za-z0-9_]+)\.sql$)");
  std::vector<MigrationFile> out;
  for (const auto& f : files) {
    const std::string path(f.path);
    if (path.rfind("migrations/", 0) != 0) continue;
    std::smatch m;
    if (!std::regex_match(path, m, name_re)) {
      throw UserError(path + ": migration files must be named V<number>__<description>.sql");
    }
    out.push_back({static_cast<unsigned>(std::stoul(m[1])), path, m[2], f.content, Sha256::of(f.content)});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < out.size(); ++i) {
    if (out[i].version == out[i - 1].version) {
      throw UserError(out[i].path + ": repeats migration version " + std::to_string(out[i].version));
    }
  }
  return out;
}

std::vector<EmbeddedFile> routine_files(const std::vector<EmbeddedFile>& files) {
  std::vector<EmbeddedFile> out;
  for (const auto& f : files) {
    if (f.path.rfind("routines/", 0) == 0) out.push_back(f);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

MigrationPlan plan_migrations(const std::vector<EmbeddedFile>& files, const std::vector<AppliedMigration>& applied) {
  MigrationPlan plan;
  const auto known = migration_files(files);
  std::map<unsigned, const MigrationFile*> by_version;
  for (const auto& m : known) by_version[m.version] = &m;
  std::map<unsigned, std::string> done;
  for (const auto& a : applied) {
    auto it = by_version.find(a.version);
    if (it == by_version.end()) {
      throw UserError("the database has migration " + std::to_string(a.version) +
                      " which this segmentd does not know; it is newer than this build");
    }
    if (it->second->checksum != a.checksum) {
      throw UserError(it->second->path + " changed after it was applied (recorded sha256 " + a.checksum +
                      ", file sha256 " + it->second->checksum + "); add a new migration instead");
    }
    done[a.version] = a.checksum;
  }
  for (const auto& m : known) {
    if (!done.count(m.version)) plan.pending.push_back(m);
  }
  plan.routines = routine_files(files);
  return plan;
}

MigrateReport migrate(DbSession& db, bool dry_run, const std::string& applied_by,
                      const std::function<bool()>& stop_requested) {
  MigrateReport report;
  report.dry_run = dry_run;
  const auto& files = embedded_sql_files();
  if (dry_run) {
    const auto applied = ledger_exists(db) ? read_applied(db) : std::vector<AppliedMigration>{};
    const auto plan = plan_migrations(files, applied);
    for (const auto& m : plan.pending) report.applied.push_back(m.path);
    for (const auto& r : plan.routines) report.routines.emplace_back(r.path);
    return report;
  }
  NamedLock lock(db, "migrate", 60);  // concurrent migrates wait their turn
  db.execute(kCreateLedger);
  db.execute(kCreateProgress);
  const auto plan = plan_migrations(files, read_applied(db));
  for (const auto& m : plan.pending) {
    // Between two migrations, never inside one: the schema is always at a
    // version the next migrate starts from.
    if (stop_requested && stop_requested()) {
      report.stopped_before = m.path;
      return report;
    }
    const auto start = std::chrono::steady_clock::now();
    run_migration(db, m);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    Transaction done(db);
    db.update(kRecordMigration, {static_cast<std::int64_t>(m.version), m.description, m.checksum,
                                 static_cast<std::int64_t>(ms), applied_by});
    db.update(kEndProgress, {static_cast<std::int64_t>(m.version)});
    done.commit();
    report.applied.push_back(m.path);
  }
  // MariaDB replaces each routine and trigger in place (sql_script.h).
  const bool or_replace = query_value(db, "SELECT VERSION()").value_or("").find("MariaDB") != std::string::npos;
  for (const auto& r : plan.routines) {
    try {
      run_script(db, r, or_replace);
    } catch (const DbError& e) {
      // Triggers need privileges some accounts lack (doc/MODEL.md "Incremental
      // refresh"); without them every refresh is a full one, which the run
      // records, so the migrate goes on.
      if (r.path != kChangeTrackingRoutines || !refused_trigger(e)) throw;
      report.change_tracking_error = e.what();
    }
    report.routines.emplace_back(r.path);
  }
  return report;
}

void require_current_schema(DbSession& db) {
  if (!ledger_exists(db)) throw UserError("the database has no segmentd schema; run segmentd migrate");
  const auto plan = plan_migrations(embedded_sql_files(), read_applied(db));
  if (!plan.pending.empty()) {
    throw UserError(std::to_string(plan.pending.size()) + " migration(s) pending, first " + plan.pending.front().path +
                    "; run segmentd migrate");
  }
}

}  // namespace segmentd
