#pragma once
// A test-time guard for SQL that MariaDB accepts and MySQL 8 does not, so the
// next such bug fails on the MariaDB CI too (doc/CONFIGURATION.md "MySQL"):
//  - `SET` of a server variable to a bare GREATEST()/LEAST(): mixing an
//    unsigned value with a signed literal types the result DECIMAL on MySQL,
//    and SET of an integer variable refuses it (error 1232). Wrap it in
//    CAST(... AS UNSIGNED).
//  - a JSON column (or a JSON-valued function) in the select list of a
//    statement in C++: MySQL sends JSON as its own type, which Connector/C++
//    1.1's prepared-statement results cannot bind. Select CAST(col AS CHAR).

#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace segmentd::test {

struct LintFinding {
  std::string where;  // file:line
  std::string rule;   // "set-greatest" or "json-select"
  std::string text;   // the offending piece
};

// Columns declared JSON in CREATE TABLE / ALTER TABLE text.
std::set<std::string> json_columns_of(std::string_view sql);

// The set-greatest rule over SQL text (a file of sql/, or one statement).
std::vector<LintFinding> lint_set_greatest(std::string_view sql, const std::string& name);

// The json-select rule over one SQL statement.
std::vector<LintFinding> lint_json_select(std::string_view statement, const std::set<std::string>& json_columns,
                                          const std::string& where);

// The statements of a C++ source: adjacent string literals joined, each with
// the line it starts on.
struct CppStatement {
  std::string text;
  int line = 0;
};
std::vector<CppStatement> statements_of_cpp(std::string_view source);

// Both rules over sql/ and every .cpp/.h under daemon/ of a source tree.
std::vector<LintFinding> lint_source_tree(const std::filesystem::path& root);

}  // namespace segmentd::test
