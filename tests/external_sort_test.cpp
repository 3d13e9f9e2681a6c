#include "external_sort.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace segmentd {
namespace {

class ExternalSortTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("segmentd-sort-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::size_t files_left() const {
    return static_cast<std::size_t>(
        std::distance(std::filesystem::directory_iterator(dir_), std::filesystem::directory_iterator()));
  }
  std::filesystem::path dir_;
};

// Keys in a shuffled order, each record naming its key and the order it
// was added in.
std::vector<std::pair<std::string, std::string>> shuffled_records(int n) {
  std::vector<std::pair<std::string, std::string>> records;
  for (int i = 0; i < n; ++i) {
    const std::string key = "k" + std::to_string(i * 7919 % n);
    records.emplace_back(key, key + " #" + std::to_string(i) + "\n");
  }
  std::shuffle(records.begin(), records.end(), std::mt19937(42));
  return records;
}

std::string expected_order(std::vector<std::pair<std::string, std::string>> records) {
  std::stable_sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& r : records) out += r.second;
  return out;
}

TEST_F(ExternalSortTest, SortsInMemoryWhenEverythingFits) {
  ExternalSorter sorter(dir_ / "run", 1 << 20);
  const auto records = shuffled_records(1000);
  for (const auto& [k, r] : records) sorter.add(k, r);
  std::ostringstream out;
  sorter.write_sorted(out);
  EXPECT_EQ(sorter.runs_written(), 0u);
  EXPECT_EQ(out.str(), expected_order(records));
  EXPECT_EQ(files_left(), 0u);
}

TEST_F(ExternalSortTest, MergesRunsWhenTheBudgetIsExceededAndRemovesThem) {
  ExternalSorter sorter(dir_ / "run", 4096);  // about 100 records a run
  const auto records = shuffled_records(5000);
  for (const auto& [k, r] : records) sorter.add(k, r);
  EXPECT_GT(files_left(), 10u);
  std::ostringstream out;
  sorter.write_sorted(out);
  EXPECT_EQ(out.str(), expected_order(records));
  EXPECT_EQ(files_left(), 0u);
}

// The merge's memory is the budget too: a file many times the budget (at
// 100x, hundreds of runs) is merged in groups rather than with a read
// buffer for every run at once.
TEST_F(ExternalSortTest, AMergeReadsNoMoreRunsAtOnceThanItsBudgetAllows) {
  for (std::size_t budget : {std::size_t{4096}, std::size_t{64} << 10}) {
    ExternalSorter sorter(dir_ / "run", budget);
    const auto records = shuffled_records(budget < 10000 ? 5000 : 40000);
    for (const auto& [k, r] : records) sorter.add(k, r);
    const std::size_t widest = std::max<std::size_t>(2, budget / (16u << 10));
    ASSERT_GT(sorter.runs_written(), widest * widest) << budget;  // two rounds of groups at least
    std::ostringstream out;
    EXPECT_TRUE(sorter.write_sorted(out));
    EXPECT_EQ(out.str(), expected_order(records)) << budget;
    EXPECT_LE(sorter.widest_merge(), widest) << budget;
    EXPECT_GE(sorter.intermediate_merges(), sorter.runs_written() / widest) << budget;
    EXPECT_EQ(files_left(), 0u) << budget;
  }
}

TEST_F(ExternalSortTest, EqualKeysKeepTheOrderTheyWereAddedInAcrossRuns) {
  ExternalSorter sorter(dir_ / "run", 256);
  std::string expected;
  for (int i = 0; i < 200; ++i) {
    const std::string key = i % 2 ? "b" : "a";
    const std::string record = key + std::to_string(i) + ";";
    sorter.add(key, record);
  }
  for (int i = 0; i < 200; i += 2) expected += "a" + std::to_string(i) + ";";
  for (int i = 1; i < 200; i += 2) expected += "b" + std::to_string(i) + ";";
  std::ostringstream out;
  sorter.write_sorted(out);
  EXPECT_EQ(out.str(), expected);
}

TEST_F(ExternalSortTest, KeysCompareAsBytesSoAShorterPrefixComesFirst) {
  ExternalSorter sorter(dir_ / "run", 1 << 20);
  sorter.add(std::string("ab\0", 3), "ab,");
  sorter.add(std::string("a\0", 2), "a,");
  sorter.add(std::string("\xff", 1), "high,");
  sorter.add(std::string("a\0\x01", 3), "a1,");
  std::ostringstream out;
  sorter.write_sorted(out);
  EXPECT_EQ(out.str(), "a,a1,ab,high,");
}

TEST_F(ExternalSortTest, RunFilesAreRemovedWhenTheSorterIsDroppedUnfinished) {
  {
    ExternalSorter sorter(dir_ / "run", 1024);
    for (const auto& [k, r] : shuffled_records(2000)) sorter.add(k, r);
    EXPECT_GT(files_left(), 0u);
  }
  EXPECT_EQ(files_left(), 0u);
}

TEST_F(ExternalSortTest, ReportsWhetherAnyKeyRepeatsInMemoryAndAcrossBatches) {
  for (std::size_t budget : {std::size_t{1} << 20, std::size_t{256}}) {
    ExternalSorter distinct(dir_ / "run", budget);
    ExternalSorter repeated(dir_ / "other", budget);
    for (int i = 0; i < 500; ++i) {
      distinct.add("k" + std::to_string(i), "r\n");
      repeated.add("k" + std::to_string(i), "r\n");
    }
    repeated.add("k7", "again\n");  // far from its twin, in a later batch
    std::ostringstream out;
    EXPECT_TRUE(distinct.write_sorted(out)) << budget;
    EXPECT_FALSE(repeated.write_sorted(out)) << budget;
  }
}

TEST_F(ExternalSortTest, ABatchThatCannotBeWrittenIsAnErrorNamingTheFile) {
  ExternalSorter sorter(dir_ / "missing-dir" / "run", 64);
  sorter.add("a", "first record, fills the batch\n");
  try {
    sorter.add("b", "second record, forces a batch file\n");
    FAIL() << "expected an error";
  } catch (const ExternalSortError& e) {
    EXPECT_NE(std::string(e.what()).find("missing-dir/run.0"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace segmentd
