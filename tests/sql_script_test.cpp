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

TEST(SqlScript, ADropAndCreateOfOneRoutineBecomeOneReplaceWhereTheServerHasIt) {
  const auto script = split_sql_script(
      "DELIMITER $$\nDROP PROCEDURE IF EXISTS p $$\nCREATE PROCEDURE p()\nBEGIN SELECT 1; END $$\n"
      "DROP TRIGGER IF EXISTS t $$\nCREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1 $$\n"
      "DROP PROCEDURE IF EXISTS gone $$\nCREATE PROCEDURE other() BEGIN END $$\nDELIMITER ;\n",
      "r.sql");
  ASSERT_EQ(script.size(), 6u);
  const auto mariadb = replace_in_place(script, true);
  ASSERT_EQ(mariadb.size(), 4u);
  EXPECT_EQ(mariadb[0].text.rfind("CREATE OR REPLACE PROCEDURE p()", 0), 0u) << mariadb[0].text;
  EXPECT_EQ(mariadb[0].line, 3u);
  EXPECT_EQ(mariadb[1].text.rfind("CREATE OR REPLACE TRIGGER t BEFORE", 0), 0u) << mariadb[1].text;
  // Another name: the drop stays a drop.
  EXPECT_EQ(mariadb[2].text, "DROP PROCEDURE IF EXISTS gone");
  EXPECT_EQ(mariadb[3].text.rfind("CREATE PROCEDURE other()", 0), 0u);
  EXPECT_EQ(replace_in_place(script, false).size(), 6u);  // MySQL 8: as written
}

}  // namespace
}  // namespace segmentd
