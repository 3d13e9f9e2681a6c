// The retention policy with fixed times, and file expiry on a real folder
// with a clock set ahead (a file's change time cannot be set back).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "config.h"
#include "errors.h"
#include "file_expiry.h"
#include "retention_policy.h"

namespace segmentd {
namespace {

using namespace std::chrono;

sys_seconds at(int y, unsigned m, unsigned d, int hour = 12) {
  return sys_days{year{y} / month{m} / day{d}} + hours(hour);
}

TEST(RetentionPolicy, NewestRunsPlusTheFirstOfEachMonthInTheWindow) {
  const std::vector<SucceededRefresh> runs = {{1, at(2026, 8, 1)},   {2, at(2026, 10, 9)},
                                              {3, at(2026, 10, 3)},  // 3 started first in Oct, though id 2 is lower
                                              {4, at(2026, 10, 30)}, {5, at(2026, 11, 1, 0)},
                                              {6, at(2026, 12, 1)},  {7, at(2026, 12, 2)}};
  EXPECT_EQ(history_runs_to_keep(runs, at(2026, 12, 2), 2, 3), (std::set<std::uint64_t>{3, 5, 6, 7}));
  // No monthly snapshots: only the newest two.
  EXPECT_EQ(history_runs_to_keep(runs, at(2026, 12, 2), 2, 0), (std::set<std::uint64_t>{6, 7}));
  // A window of 5 months reaches back to August (Sep has none).
  EXPECT_EQ(history_runs_to_keep(runs, at(2026, 12, 2), 1, 5), (std::set<std::uint64_t>{1, 3, 5, 6, 7}));
  // 0 keeps every run.
  EXPECT_EQ(history_runs_to_keep(runs, at(2026, 12, 2), 0, 0).size(), runs.size());
  // Across a year boundary.
  EXPECT_EQ(
      history_runs_to_keep({{1, at(2025, 12, 31)}, {2, at(2026, 1, 2)}, {3, at(2026, 1, 5)}}, at(2026, 1, 10), 1, 2),
      (std::set<std::uint64_t>{1, 2, 3}));
}

TEST(RetentionPolicy, LedgerNamesOfProcessedFiles) {
  EXPECT_EQ(ledger_names_for("orders.csv"), (std::vector<std::string>{"orders.csv"}));
  EXPECT_EQ(ledger_names_for("orders.2.csv"), (std::vector<std::string>{"orders.2.csv", "orders.csv"}));
  EXPECT_EQ(ledger_names_for("archive.tar.1.gz"), (std::vector<std::string>{"archive.tar.1.gz", "archive.tar.gz"}));
  EXPECT_EQ(ledger_names_for("data.3"), (std::vector<std::string>{"data.3", "data"}));
  // Stored as the ledger stores it: escaped bytes.
  EXPECT_EQ(ledger_names_for("caf\xe9.csv").front(), "caf\\xe9.csv");
  std::set<std::string> processed;
  for (const auto& n : ledger_names_for("orders.2.csv")) processed.insert(n);
  EXPECT_TRUE(ledger_row_names_processed_file("/srv/inbox/orders.csv", processed));
  EXPECT_TRUE(ledger_row_names_processed_file("/srv/inbox/orders.2.csv", processed));
  EXPECT_FALSE(ledger_row_names_processed_file("/srv/inbox/items.csv", processed));
  EXPECT_FALSE(ledger_row_names_processed_file("/srv/inbox/orders.csv/x", processed));
  EXPECT_TRUE(ledger_row_names_processed_file("/srv/inbox/aaaa ... (12 more bytes cut)", processed));
}

class FileExpiry : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("segmentd-expiry-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "sub");
    outside_ = dir_.string() + "-outside";
    std::ofstream(outside_) << "not ours\n";
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
    std::filesystem::remove(outside_);
  }
  void file(const std::string& name, std::size_t bytes = 3) { std::ofstream(dir_ / name) << std::string(bytes, 'x'); }
  std::filesystem::path dir_;
  std::filesystem::path outside_;
};

TEST_F(FileExpiry, RemovesOnlyOldRegularFilesInTheFolder) {
  file("a.csv", 10);
  file("a.csv.reason.txt", 5);
  file(".segmentd-move-123");  // the sweep's, not retention's
  file("sub/inner.csv");
  std::filesystem::create_symlink(outside_, dir_ / "link.csv");
  // Modification time far back: arrival (the change time) is what counts.
  ::timespec old[2] = {{0, 0}, {0, 0}};
  ::utimensat(AT_FDCWD, (dir_ / "a.csv").c_str(), old, 0);
  const auto now = system_clock::now();
  EXPECT_TRUE(expire_files(dir_, days(30), now, false).names.empty()) << "files that arrived now are not old";
  const auto later = now + days(31);
  const ExpiredFiles dry = expire_files(dir_, days(30), later, true);
  EXPECT_EQ(std::set<std::string>(dry.names.begin(), dry.names.end()),
            (std::set<std::string>{"a.csv", "a.csv.reason.txt"}));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "a.csv")) << "a dry run removed a file";
  const ExpiredFiles gone = expire_files(dir_, days(30), later, false);
  EXPECT_EQ(gone.names.size(), 2u);
  EXPECT_EQ(gone.bytes, 15u);
  EXPECT_TRUE(gone.errors.empty());
  EXPECT_FALSE(std::filesystem::exists(dir_ / "a.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / ".segmentd-move-123"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "sub/inner.csv"));
  EXPECT_TRUE(std::filesystem::is_symlink(dir_ / "link.csv"));
  EXPECT_TRUE(std::filesystem::exists(outside_)) << "a link led the removal outside the folder";
  EXPECT_EQ(regular_files_in(dir_), (std::set<std::string>{}));
}

TEST_F(FileExpiry, AFolderThatIsALinkIsRefusedAndAMissingOneIsEmpty) {
  const auto link = dir_.string() + "-link";
  std::filesystem::create_directory_symlink(dir_, link);
  file("a.csv");
  EXPECT_THROW(expire_files(link, days(1), system_clock::now() + days(2), false), IoError);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "a.csv"));
  std::filesystem::remove(link);
  EXPECT_TRUE(expire_files(dir_ / "missing", days(1), system_clock::now(), false).names.empty());
  EXPECT_EQ(regular_files_in(dir_), (std::set<std::string>{"a.csv"}));
}

TEST(RetentionConfig, DefaultsAndChecks) {
  const Config c = parse_config("database: {database: d}\n", "t.yaml");
  EXPECT_EQ(c.retention.pipeline_runs_days, 400u);
  EXPECT_EQ(c.retention.ingested_files_days, 400u);
  EXPECT_EQ(c.retention.history_runs, 30u);
  EXPECT_EQ(c.retention.monthly_snapshots, 24u);
  EXPECT_EQ(c.retention.processed_files_days, 30u);
  EXPECT_EQ(c.retention.quarantine_files_days, 90u);
  const Config off = parse_config(
      "database: {database: d}\nretention: {pipeline_runs_days: 0, history_runs: 0, schedule: '0 4 * * 0', "
      "timezone: Europe/Berlin}\n",
      "t.yaml");
  EXPECT_EQ(off.retention.pipeline_runs_days, 0u);
  EXPECT_EQ(off.retention.history_runs, 0u);
  EXPECT_EQ(off.retention.timezone, "Europe/Berlin");
  for (const char* bad : {"retention: {schedule: 'nope'}", "retention: {timezone: Mars/Base}",
                          "retention: {history_runs: -1}", "retention: {keep: 3}"}) {
    EXPECT_THROW(parse_config(std::string("database: {database: d}\n") + bad + "\n", "t.yaml"), ConfigError) << bad;
  }
  try {
    parse_config("database: {database: d}\nretention: {schedule: '61 * * * *'}\n", "t.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("retention.schedule"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace segmentd
