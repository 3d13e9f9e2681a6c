#pragma once
// Versioned schema migrations (sql/migrations/V<NNN>__<what>.sql), applied in
// order exactly once and recorded with their SHA-256 in schema_migrations;
// routines (sql/routines/*.sql: procedures, views, the event) are re-created
// on every migrate.

#include <functional>
#include <string>
#include <vector>

#include "embedded_sql.h"

namespace segmentd {

class DbSession;

struct MigrationFile {
  unsigned version = 0;
  std::string path;  // e.g. migrations/V001__canonical_tables.sql
  std::string description;
  std::string_view content;
  std::string checksum;
};

struct AppliedMigration {
  unsigned version = 0;
  std::string checksum;
};

struct MigrationPlan {
  std::vector<MigrationFile> pending;
  std::vector<EmbeddedFile> routines;
};

// Migration files among `files`, sorted by version. Throws UserError on a
// malformed name or a repeated version.
std::vector<MigrationFile> migration_files(const std::vector<EmbeddedFile>& files);
std::vector<EmbeddedFile> routine_files(const std::vector<EmbeddedFile>& files);

// What a migrate would do. Throws UserError when an applied migration's file
// changed or the database has migrations this build does not know.
MigrationPlan plan_migrations(const std::vector<EmbeddedFile>& files, const std::vector<AppliedMigration>& applied);

struct MigrateReport {
  std::vector<std::string> applied;   // migration paths run now
  std::vector<std::string> routines;  // routine files re-created
  bool dry_run = false;
  // Why the change-tracking triggers could not be created (empty: they
  // were); refreshes are then always full.
  std::string change_tracking_error;
  // Set when stop_requested() said so before this migration: the ones
  // before it are applied, it and the rest are not, nor the routines.
  std::string stopped_before;
};

// Each migration runs statement by statement with its progress recorded
// (schema_migration_progress), so a migrate cut anywhere, even by SIGKILL,
// resumes where it stopped. `stop_requested` is asked between migrations
// (SIGTERM: the current one is finished first).
MigrateReport migrate(DbSession& db, bool dry_run, const std::string& applied_by,
                      const std::function<bool()>& stop_requested = {});

// Throws UserError when migrations are pending ("run segmentd migrate").
void require_current_schema(DbSession& db);

}  // namespace segmentd
