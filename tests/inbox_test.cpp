// The inbox's file-system rules: which names are ignored, when a file counts
// as settled, and that moving never overwrites.
#include "inbox.h"

#include <gtest/gtest.h>

#include <fstream>

#include "file_move.h"

namespace segmentd {
namespace {

namespace fs = std::filesystem;

class InboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("segmentd-inbox-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }
  fs::path dir_;
};

TEST(InboxIgnore, PatternsMatchNamesAndDotsNeedExplicitPatterns) {
  const std::vector<std::string> defaults = {".*", "*.part", "*.tmp"};
  EXPECT_TRUE(is_ignored(".orders.csv", defaults));
  EXPECT_TRUE(is_ignored("orders.csv.part", defaults));
  EXPECT_FALSE(is_ignored("orders.csv", defaults));
  EXPECT_FALSE(is_ignored(".orders.csv", {"*.csv"}));  // '*' does not match a leading dot
  EXPECT_TRUE(is_ignored("orders.csv", {"orders.*"}));
}

TEST_F(InboxTest, AFileIsReadyOnlyAfterTheSettleTimeWithoutChange) {
  using namespace std::chrono_literals;
  InboxTracker tracker(dir_, {"*.part"}, 5s);
  write(dir_ / "a.csv", "x");
  write(dir_ / "b.csv.part", "x");
  fs::create_directories(dir_ / "processed");
  const auto t0 = InboxTracker::Clock::now();
  EXPECT_TRUE(tracker.scan(t0).empty());
  EXPECT_EQ(tracker.settling(), 1u);
  EXPECT_TRUE(tracker.scan(t0 + 4s).empty());
  // It grew: the clock starts again.
  write(dir_ / "a.csv", "xy");
  EXPECT_TRUE(tracker.scan(t0 + 6s).empty());
  EXPECT_TRUE(tracker.scan(t0 + 10s).empty());
  const auto ready = tracker.scan(t0 + 11s);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].filename(), "a.csv");
  EXPECT_EQ(tracker.settling(), 0u);
}

TEST_F(InboxTest, AFileRenamedInIsCompleteAtOnce) {
  InboxTracker tracker(dir_, {}, std::chrono::seconds(60));
  write(dir_ / "a.csv", "x");
  write(dir_ / "b.csv", "x");
  tracker.mark_complete("a.csv");
  const auto ready = tracker.scan(InboxTracker::Clock::now());
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].filename(), "a.csv");
  EXPECT_EQ(tracker.settling(), 1u);
}

TEST_F(InboxTest, ZeroSettleTimeTakesFilesAtOnce) {
  InboxTracker tracker(dir_, {}, std::chrono::seconds(0));
  write(dir_ / "a.csv", "x");
  EXPECT_EQ(tracker.scan(InboxTracker::Clock::now()).size(), 1u);
}

TEST_F(InboxTest, MoveIntoNeverOverwrites) {
  write(dir_ / "a.csv", "first");
  const auto first = move_into(dir_ / "a.csv", dir_ / "processed");
  write(dir_ / "a.csv", "second");
  const auto second = move_into(dir_ / "a.csv", dir_ / "processed");
  EXPECT_EQ(first, dir_ / "processed" / "a.csv");
  EXPECT_EQ(second, dir_ / "processed" / "a.1.csv");
  EXPECT_FALSE(fs::exists(dir_ / "a.csv"));
  std::ifstream in(first);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "first");
}

}  // namespace
}  // namespace segmentd
