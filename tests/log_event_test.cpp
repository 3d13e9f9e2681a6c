#include "log_event.h"

#include <gtest/gtest.h>

namespace segmentd {
namespace {

TEST(LogEvent, KeyValueFieldsQuotedOnlyWhenNeeded) {
  EXPECT_EQ(format_event("refresh.finished", {{"run_id", "7"}, {"status", "succeeded"}}),
            "refresh.finished run_id=7 status=succeeded");
  EXPECT_EQ(format_event("file.rejected", {{"file", "a b.csv"}, {"reason", "say \"hi\"\nnow"}, {"empty", ""}}),
            "file.rejected file=\"a b.csv\" reason=\"say \\\"hi\\\"\\nnow\" empty=\"\"");
}

}  // namespace
}  // namespace segmentd

namespace segmentd {
namespace {

TEST(LogEvent, JournaldPriorityPrefixFollowsTheLevel) {
  EXPECT_EQ(journal_priority_prefix(spdlog::level::err), "<3>");
  EXPECT_EQ(journal_priority_prefix(spdlog::level::warn), "<4>");
  EXPECT_EQ(journal_priority_prefix(spdlog::level::info), "<6>");
  EXPECT_EQ(journal_priority_prefix(spdlog::level::debug), "<7>");
  EXPECT_EQ(journal_priority_prefix(spdlog::level::critical), "<2>");
}

}  // namespace
}  // namespace segmentd
