#pragma once
// The narrow database interface the rest of segmentd talks to. Values travel
// as text (or NULL), parameters are always bound, never pasted into SQL.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config.h"

namespace segmentd {

using DbValue = std::optional<std::string>;
using DbParam = std::variant<std::nullptr_t, std::string, std::int64_t>;

struct DbResult {
  std::vector<std::string> columns;
  std::vector<std::vector<DbValue>> rows;

  // Index of a column by name; throws std::out_of_range when absent.
  std::size_t column(std::string_view name) const;
  const DbValue& at(std::size_t row, std::string_view name) const { return rows.at(row).at(column(name)); }
};

class DbSession {
 public:
  virtual ~DbSession() = default;
  // Runs a statement (or a CALL) and discards any results.
  virtual void execute(std::string_view sql) = 0;
  // Runs a prepared statement with bound parameters and returns the first
  // result set (empty when it has none). Statements are prepared once per
  // session and reused while their text repeats.
  virtual DbResult query(std::string_view sql, const std::vector<DbParam>& params = {}) = 0;
  // Runs a prepared statement with bound parameters; returns affected rows.
  virtual std::uint64_t update(std::string_view sql, const std::vector<DbParam>& params = {}) = 0;
  // Runs a statement that may return several result sets (CALL) and returns
  // the last non-empty one.
  virtual DbResult call(std::string_view sql) = 0;
  // Streams the rows of a statement without holding them all in memory;
  // `on_columns` is called once before the first row.
  virtual void for_each_row(std::string_view sql,
                            const std::function<void(const std::vector<std::string>&)>& on_columns,
                            const std::function<void(const std::vector<DbValue>&)>& on_row) = 0;
  // Drops the statements prepared so far. A statement prepared over a view
  // keeps the plan of the tables behind it; once a full refresh has renamed
  // them, reusing it fails (MariaDB: 1140, "Mixing of GROUP columns").
  virtual void forget_prepared() {}
  // Warnings of the last statement, as "code: message" lines.
  virtual std::vector<std::string> warnings() = 0;
  virtual bool usable() = 0;
  // Where this session is connected ("tcp://db2:3306"); empty for fakes.
  virtual std::string endpoint() const { return {}; }
};

// Typed reads of a one-value result, instead of .rows.at(0).at(0) chains.
// The first column of the first row; nullopt when there is no row or NULL.
DbValue query_value(DbSession& db, std::string_view sql, const std::vector<DbParam>& params = {});
// Same, as a non-negative whole number; 0 for no row or NULL. Throws DbError
// (permanent) when the value is not a number.
std::uint64_t query_u64(DbSession& db, std::string_view sql, const std::vector<DbParam>& params = {});
// LAST_INSERT_ID() of this session.
std::uint64_t last_insert_id(DbSession& db);

// Opens a real session: the socket, or each of the config's hosts in order
// until one answers (each failure logged as db.host_failed when another host
// follows), with the TLS and key rules of connect_plan.h. Session settings
// (sql_mode, time zone, charset) are pinned so behaviour does not depend on
// server defaults. Throws DbError naming every endpoint tried.
std::unique_ptr<DbSession> connect_database(const DatabaseConfig& config);

// "unix:///run/mysqld.sock", "tcp://host:port" or, for several hosts,
// "tcp://a:3306,tcp://b:3306": where the config points, for messages; never
// includes credentials.
std::string describe_endpoint(const DatabaseConfig& config);

// The sql_mode segmentd pins for its sessions and for the routines it creates.
inline constexpr const char* kSqlMode =
    "STRICT_TRANS_TABLES,STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
    "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,ONLY_FULL_GROUP_BY";

}  // namespace segmentd
