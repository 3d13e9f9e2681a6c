#pragma once
// Whether a server builds a table's indexes in bulk when rows are loaded
// into it while it is empty, and the session settings that ask for it.
#include <string_view>

namespace segmentd {

class DbSession;

// MariaDB (from 10.6, usable for LOAD DATA from 10.11.11, 11.4.5 and 11.7.2,
// where MDEV-34703 was fixed) sorts the rows of an INSERT or LOAD DATA into
// an empty InnoDB table and builds each index in one pass, when the session
// has unique_checks and foreign_key_checks off. Loaded row by row instead,
// the indexes' pages are interleaved on disk and the secondary indexes are
// left half full, so every later scan reads up to twice as many pages.
// `version` is the server's VERSION(); MySQL has no such path.
bool bulk_loads_empty_tables(std::string_view version);

// Turns unique_checks and foreign_key_checks off for this session until
// destroyed. Harmless for segmentd's tables, which have no foreign keys and
// no unique key but the primary key, which InnoDB checks regardless.
class BulkLoadSession {
 public:
  explicit BulkLoadSession(DbSession& db);
  ~BulkLoadSession();
  BulkLoadSession(const BulkLoadSession&) = delete;
  BulkLoadSession& operator=(const BulkLoadSession&) = delete;

 private:
  DbSession& db_;
};

}  // namespace segmentd
