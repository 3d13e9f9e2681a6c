#pragma once
// Splits a SQL script into statements the way the mysql client does, so the
// files in sql/ run unchanged both from `mysql DB < file` and from segmentd:
// `DELIMITER xx` lines change the terminator; quotes ('', "", ``) and
// comments (--, #, /* */) never end a statement.

#include <string>
#include <string_view>
#include <vector>

namespace segmentd {

struct SqlStatement {
  std::string text;   // without the terminator, trimmed
  unsigned line = 0;  // 1-based line where the statement starts
};

// Throws UserError on an unterminated quote or comment.
std::vector<SqlStatement> split_sql_script(std::string_view script, const std::string& name);

}  // namespace segmentd
