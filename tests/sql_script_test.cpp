#include "sql_script.h"

#include <gtest/gtest.h>

#include "errors.h"

namespace segmentd {
namespace {

TEST(SqlScript, SplitsOnSemicolonsOutsideQuotesAndComments) {
  const auto s = split_sql_script(
      "-- leading comment\nCREATE TABLE a (x INT); # hash comment\n"
      "INSERT INTO a VALUES (';'), (\"a;b\"), ('it''s;'), ('back\\';slash');\n"
      "/* block ; comment */ SELECT `odd;name` FROM a;\n",
      "t.sql");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].text, "CREATE TABLE a (x INT)");
  EXPECT_EQ(s[0].line, 2u);
  EXPECT_EQ(s[1].text, "INSERT INTO a VALUES (';'), (\"a;b\"), ('it''s;'), ('back\\';slash')");
  EXPECT_EQ(s[1].line, 3u);
  EXPECT_EQ(s[2].text, "SELECT `odd;name` FROM a");
  EXPECT_EQ(s[2].line, 4u);
}

TEST(SqlScript, HonoursDelimiterLinesLikeTheMysqlClient) {
  const auto s = split_sql_script(
      "DELIMITER $$\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND $$\nDELIMITER ;\nSELECT 3;\n", "t.sql");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].text, "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND");
  EXPECT_EQ(s[0].line, 2u);
  EXPECT_EQ(s[1].text, "SELECT 3");
  EXPECT_EQ(s[1].line, 8u);
}

TEST(SqlScript, UnterminatedQuoteNamesTheLine) {
  try {
    split_sql_script("SELECT 1;\nSELECT 'oops;\n", "bad.sql");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_STREQ(e.what(), "bad.sql:2: unterminated quote '");
  }
}

TEST(SqlScript, DoubleDashWithoutSpaceIsNotAComment) {
  const auto s = split_sql_script("SELECT 5--1;\n", "t.sql");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].text, "SELECT 5--1");
}

}  // namespace
}  // namespace segmentd
