#include "ingest_sql.h"

#include <algorithm>

namespace segmentd::ingest_sql {
namespace {

std::string sql_type(const ColumnSpec& c) {
  switch (c.type) {
    case ColumnType::Id:
      return "VARCHAR(" + std::to_string(c.size) + ") CHARACTER SET ascii COLLATE ascii_bin";
    case ColumnType::Text:
      return c.size > 16383 ? "TEXT" : "VARCHAR(" + std::to_string(c.size) + ")";
    case ColumnType::UInt:
      return "BIGINT UNSIGNED";
    case ColumnType::Decimal:
      return "DECIMAL(" + std::to_string(c.size) + ",2)";
    case ColumnType::DateTime:
      return "DATETIME";
    case ColumnType::Double:
      return "DOUBLE";
  }
  return "TEXT";
}

std::string key_list(const Dataset& d) {
  std::string out;
  for (auto k : d.key) out += (out.empty() ? "" : ", ") + std::string(k);
  return out;
}

// The quoted literal of a path segmentd created itself (never an input name).
std::string quoted_own_path(const std::filesystem::path& p) {
  std::string out = "'";
  for (char c : p.string()) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::string column_list(const Dataset& d) {
  std::string out;
  for (const auto& c : d.columns) out += (out.empty() ? "" : ", ") + std::string(c.column);
  return out;
}

std::string create_stage(const Dataset& d) {
  std::string ddl = std::string("CREATE TEMPORARY TABLE ") + kStage + " (";
  for (const auto& c : d.columns) ddl += std::string(c.column) + " " + sql_type(c) + " NULL, ";
  return ddl + "_line BIGINT UNSIGNED NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
}

std::string drop_stage() {
  return std::string("DROP TEMPORARY TABLE IF EXISTS ") + kStage;
}

std::string insert_stage_rows(const Dataset& d, std::size_t rows) {
  std::string sql = std::string("INSERT INTO ") + kStage + " (" + column_list(d) + ", _line) VALUES ";
  std::string one = "(";
  for (std::size_t c = 0; c <= d.columns.size(); ++c) one += c == 0 ? "?" : ", ?";
  one += ")";
  for (std::size_t r = 0; r < rows; ++r) sql += (r == 0 ? "" : ", ") + one;
  return sql;
}

std::string repeated_keys(const Dataset& d) {
  const std::string keys = key_list(d);
  // The key is shown as written on its first line (repeats may differ in
  // trailing spaces), whatever the order of the staged rows.
  return "SELECT SUBSTRING_INDEX(GROUP_CONCAT(CONCAT_WS(', ', " + keys +
         ") ORDER BY _line SEPARATOR '\\n'), '\\n', 1), MIN(_line), GROUP_CONCAT(_line ORDER BY _line) FROM " + kStage +
         " GROUP BY " + keys + " HAVING COUNT(*) > 1 LIMIT ?";
}

std::string delete_staged_line() {
  return std::string("DELETE FROM ") + kStage + " WHERE _line = ?";
}

std::string any_row(const Dataset& d) {
  return any_row_of(d.table);
}

std::string any_row_of(std::string_view table) {
  return "SELECT 1 FROM " + std::string(table) + " LIMIT 1";
}

std::string count_rows_of(std::string_view table) {
  return "SELECT COUNT(*) FROM " + std::string(table);
}

std::string delete_all(const Dataset& d) {
  return "DELETE FROM " + std::string(d.table);
}

std::string merge_from_stage(const Dataset& d) {
  const std::string cols = column_list(d);
  std::string sql =
      "INSERT INTO " + std::string(d.table) + " (" + cols + ") SELECT " + cols + " FROM " + kStage + " ORDER BY _line";
  if (d.key.empty()) return sql;
  sql += " ON DUPLICATE KEY UPDATE ";
  bool first = true;
  for (const auto& c : d.columns) {
    sql += (first ? "" : ", ") + std::string(c.column) + " = VALUES(" + std::string(c.column) + ")";
    first = false;
  }
  return sql;
}

std::string load_scratch(const std::filesystem::path& scratch, std::string_view table, const std::string& columns,
                         bool replace) {
  return "LOAD DATA LOCAL INFILE " + quoted_own_path(scratch) + (replace ? " REPLACE" : "") + " INTO TABLE " +
         std::string(table) +
         " CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (" + columns +
         ")";
}

// ---- reference gaps ----------------------------------------------------------
std::string create_file_refs(const Dataset& d) {
  std::string ddl = std::string("CREATE TEMPORARY TABLE ") + kFileRefs + " (";
  for (const auto column : reference_columns(d)) {
    for (const auto& c : d.columns) {
      if (c.column == column) ddl += std::string(c.column) + " " + sql_type(c) + " NOT NULL, ";
    }
  }
  // The direct path's keys are distinct (ingest.cpp), so they make a key.
  return ddl + "PRIMARY KEY (" + key_list(d) + ")) ENGINE=InnoDB";
}

std::string drop_file_refs() {
  return std::string("DROP TEMPORARY TABLE IF EXISTS ") + kFileRefs;
}

std::string file_refs_columns(const Dataset& d, const std::vector<std::string_view>& keep) {
  std::string out;
  for (const auto& c : d.columns) {
    const bool kept = std::find(keep.begin(), keep.end(), c.column) != keep.end();
    out += (out.empty() ? "" : ", ") + (kept ? std::string(c.column) : std::string("@skipped"));
  }
  return out + ", @line";
}

std::string gap_mark_replaced(const ReferenceCheck& c, const Dataset& child, std::string_view file_rows) {
  std::string on;
  for (auto k : child.key)
    on += std::string(on.empty() ? "" : " AND ") + "t." + std::string(k) + " = f." + std::string(k);
  return "UPDATE reference_gaps g JOIN " + std::string(c.child) + " t ON t." + std::string(c.column) +
         " = g.ref_key JOIN " + std::string(file_rows) + " f ON " + on +
         " SET g.child_rows = NULL WHERE g.check_name = ?";
}

std::string gap_mark_new(const ReferenceCheck& c, std::string_view file_rows) {
  // A key that was no gap before has no rows but the file's (any other
  // row pointing at it would have made it one), so the file's own count is
  // its count; a gap already listed is marked to be counted again.
  const std::string column(c.column);
  return "INSERT INTO reference_gaps (check_name, ref_key, child_rows) SELECT ?, f." + column + ", COUNT(*) FROM " +
         std::string(file_rows) + " f WHERE NOT EXISTS (SELECT 1 FROM " + std::string(c.parent) + " p WHERE p." +
         std::string(c.parent_key) + " = f." + column + ") GROUP BY f." + column +
         " ON DUPLICATE KEY UPDATE child_rows = NULL";
}

std::string gap_recount_marked(const ReferenceCheck& c) {
  return "UPDATE reference_gaps g SET g.child_rows = (SELECT COUNT(*) FROM " + std::string(c.child) + " t WHERE t." +
         std::string(c.column) + " = g.ref_key) WHERE g.check_name = ? AND g.child_rows IS NULL";
}

std::string gap_drop_closed() {
  return "DELETE FROM reference_gaps WHERE check_name = ? AND child_rows = 0";
}

std::string gap_close_by_file(const ReferenceCheck& c, std::string_view file_rows) {
  return "DELETE g FROM reference_gaps g JOIN " + std::string(file_rows) + " f ON f." + std::string(c.parent_key) +
         " = g.ref_key WHERE g.check_name = ?";
}

std::string gap_close_by_table(const ReferenceCheck& c) {
  return "DELETE FROM reference_gaps WHERE check_name = ? AND EXISTS (SELECT 1 FROM " + std::string(c.parent) +
         " p WHERE p." + std::string(c.parent_key) + " = reference_gaps.ref_key)";
}

std::string gap_clear() {
  return "DELETE FROM reference_gaps WHERE check_name = ?";
}

std::string gap_count_all(const ReferenceCheck& c) {
  // Grouped on the referring column's own index first, so each distinct
  // key is looked up once, in key order (the same count as V018's).
  const std::string column(c.column);
  return "INSERT INTO reference_gaps (check_name, ref_key, child_rows) SELECT ?, g.k, g.n FROM (SELECT " + column +
         " AS k, COUNT(*) AS n FROM " + std::string(c.child) + " FORCE INDEX (" + std::string(c.child_index) +
         ") GROUP BY " + column + ") g WHERE NOT EXISTS (SELECT 1 FROM " + std::string(c.parent) + " p WHERE p." +
         std::string(c.parent_key) + " = g.k)";
}

}  // namespace segmentd::ingest_sql
