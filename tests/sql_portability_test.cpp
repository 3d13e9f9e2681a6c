// The MySQL-8 portability guard (sql_lint.h): each rule catches the bug it
// is for, lets the fixed form through, and the source tree is clean.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "sql_lint.h"

namespace segmentd::test {
namespace {

TEST(SqlLint, FlagsBareGreatestInSetOfServerVariable) {
  const auto found = lint_set_greatest(
      "CREATE PROCEDURE p() BEGIN\n"
      "  DECLARE v_sort BIGINT UNSIGNED;\n"
      "  SET SESSION sort_buffer_size = GREATEST(v_sort, 67108864),\n"
      "              tmp_table_size = LEAST(v_sort, 5);\n"
      "  SET @@SESSION.join_buffer_size = GREATEST(@@SESSION.join_buffer_size, 1);\n"
      "END",
      "x.sql");
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].where, "x.sql:3");
  EXPECT_EQ(found[0].rule, "set-greatest");
  EXPECT_EQ(found[1].where, "x.sql:4");
  EXPECT_EQ(found[2].where, "x.sql:5");
}

TEST(SqlLint, AcceptsCastLocalsUserVariablesAndColumns) {
  EXPECT_TRUE(lint_set_greatest("BEGIN\n"
                                "  DECLARE v_a, v_b BIGINT;\n"
                                "  SET SESSION sort_buffer_size = CAST(GREATEST(v_a, 67108864) AS UNSIGNED);\n"
                                "  SET v_b = GREATEST(v_a, 3);\n"
                                "  SET @x = LEAST(1, 2);\n"
                                "  UPDATE t SET c = GREATEST(c, 0);\n"
                                "  -- SET SESSION sort_buffer_size = GREATEST(1, 2);\n"
                                "END",
                                "y.sql")
                  .empty());
}

TEST(SqlLint, FindsJsonColumnsInDdl) {
  const auto cols = json_columns_of(
      "CREATE TABLE pipeline_runs (\n  run_id BIGINT,\n  details JSON NULL,\n  `step_timings` json,\n"
      "  note VARCHAR(10) COMMENT 'JSON text'\n);\nALTER TABLE x ADD COLUMN extra JSON;");
  EXPECT_EQ(cols, (std::set<std::string>{"details", "step_timings", "extra"}));
}

TEST(SqlLint, FlagsJsonSelectedWithoutCast) {
  const std::set<std::string> cols = {"details", "segment_counts"};
  const auto found = lint_json_select(
      "SELECT run_id, details, r.segment_counts AS c, JSON_EXTRACT(x, '$.a'), "
      "(SELECT details FROM pipeline_runs LIMIT 1) FROM pipeline_runs r",
      cols, "a.cpp:1");
  // The subquery counts twice: as its own list and as an item of the outer one.
  ASSERT_EQ(found.size(), 5u);
  EXPECT_EQ(found[0].text, "DETAILS");
  EXPECT_EQ(found[1].text, "R.SEGMENT_COUNTS AS C");
}

TEST(SqlLint, AcceptsJsonAsTextOrScalar) {
  const std::set<std::string> cols = {"details"};
  EXPECT_TRUE(lint_json_select("SELECT CAST(details AS CHAR), JSON_UNQUOTE(JSON_EXTRACT(details, '$.a')) AS a, "
                               "JSON_LENGTH(details), details IS NULL, details_text FROM t WHERE details IS NOT NULL",
                               cols, "b.cpp:1")
                  .empty());
  // Writes are not results.
  EXPECT_TRUE(lint_json_select("UPDATE t SET details = JSON_SET(details, '$.x', 1)", cols, "b.cpp:2").empty());
}

TEST(SqlLint, JoinsAdjacentCppLiterals) {
  const auto st = statements_of_cpp(
      "// \"SELECT details FROM t\" in a comment\n"
      "const char c = '\"';\n"
      "db.query(\"SELECT a, \"\n"
      "         \"details FROM t\", {});\n");
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].text, "SELECT a, details FROM t");
  EXPECT_EQ(st[0].line, 3);
}

// The guard over the real tree: sql/ and daemon/ hold none of either bug.
TEST(SqlLint, SourceTreeIsClean) {
  const auto found = lint_source_tree(SEGMENTD_SOURCE_DIR);
  for (const auto& f : found) ADD_FAILURE() << f.where << ": " << f.rule << ": " << f.text;
  // The tree does declare JSON columns, so the JSON rule had something to check.
  std::ifstream in(std::string(SEGMENTD_SOURCE_DIR) + "/sql/migrations/V002__results_settings_audit.sql");
  const std::string ddl((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(json_columns_of(ddl).count("details"));
}

}  // namespace
}  // namespace segmentd::test
