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

// `DROP {PROCEDURE|FUNCTION|TRIGGER|EVENT} IF EXISTS x` followed by the
// CREATE of the same x becomes one `CREATE OR REPLACE ...`, so the object
// never is missing while it is replaced (a CALL in between failed with
// 1305; a trigger missing while a load ran lost its changes). MariaDB has
// CREATE OR REPLACE for all four; MySQL 8 for none of them (views have it on
// both and are written that way): `or_replace` false keeps the pairs.
std::vector<SqlStatement> replace_in_place(std::vector<SqlStatement> statements, bool or_replace);

}  // namespace segmentd
