// Files segmentd writes and moves: private modes whatever the umask, the
// sweep of a dead process's scratch files, moves that never leave a
// truncated copy, and read errors that surface as typed errors.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "csv_reader.h"
#include "durable_file.h"
#include "errors.h"
#include "exports.h"
#include "file_move.h"
#include "private_file.h"

namespace segmentd {
namespace {

namespace fs = std::filesystem;

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("segmentd-files-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (mounted_) ::umount(mounted_->c_str());
    fs::remove_all(dir_);
  }
  // A tiny file system of its own (tmpfs), or skip where mounting is not
  // allowed (not root).
  fs::path small_fs(const std::string& name, const char* size) {
    const fs::path p = dir_ / name;
    fs::create_directories(p);
    if (::mount("tmpfs", p.c_str(), "tmpfs", 0, (std::string("size=") + size).c_str()) != 0) return {};
    mounted_ = p;
    return p;
  }
  static void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }
  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  static unsigned mode_of(const fs::path& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return st.st_mode & 0777;
  }
  fs::path dir_;
  std::optional<fs::path> mounted_;
};

TEST_F(FilesTest, PrivateFilesAre0600WhateverTheUmask) {
  const mode_t old = ::umask(0);
  {
    PrivateFile f(dir_ / "scratch.tsv");
    f.write("customer data\n");
    f.close();
    f.keep();
  }
  write_file_atomically(dir_ / "reason.txt", "why\n");
  create_private_file(dir_ / "empty");
  ::umask(old);
  EXPECT_EQ(mode_of(dir_ / "scratch.tsv"), 0600u);
  EXPECT_EQ(mode_of(dir_ / "reason.txt"), 0600u);
  EXPECT_EQ(mode_of(dir_ / "empty"), 0600u);
  EXPECT_EQ(read(dir_ / "reason.txt"), "why\n");
}

TEST_F(FilesTest, PrivateFileNeverReusesAnExistingName) {
  write(dir_ / "taken", "x");
  EXPECT_THROW(PrivateFile(dir_ / "taken"), IoError);
  fs::create_symlink(dir_ / "elsewhere", dir_ / "planted");
  EXPECT_THROW(PrivateFile(dir_ / "planted"), IoError);
  EXPECT_FALSE(fs::exists(dir_ / "elsewhere"));
}

TEST_F(FilesTest, AFullDiskIsReportedAsSuch) {
  const fs::path small = small_fs("small", "64k");
  if (small.empty()) GTEST_SKIP() << "cannot mount a tmpfs here (not root)";
  try {
    PrivateFile f(small / "big");
    f.write(std::string(1 << 20, 'x'));
    f.sync();
    FAIL() << "a 1 MB write fitted into 64 KB";
  } catch (const IoError& e) {
    EXPECT_EQ(e.error_number(), ENOSPC);
    EXPECT_NE(std::string(e.what()).find("No space left on device"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(small / "big"));  // not kept: removed
}

TEST_F(FilesTest, SweepRemovesOnlyWhatDeadProcessesLeft) {
  // A child that exits gives a pid that is surely not running.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  const std::string dead = std::to_string(child), alive = std::to_string(::getpid());
  write(dir_ / ("segmentd-stage-" + dead + "-abc.tsv"), "x");
  write(dir_ / ("segmentd-stage-" + dead + "-abc.tsv.sort.0"), "x");
  fs::create_directories(dir_ / (std::string(kExportTempPrefix) + dead + "-set") / "inner");
  write(dir_ / ("segmentd-stage-" + alive + "-mine.tsv"), "x");
  write(dir_ / "segmentd-stage-notapid.tsv", "x");
  write(dir_ / "orders.csv", "x");
  EXPECT_EQ(sweep_scratch(dir_, "segmentd-stage-"), 2u);
  EXPECT_EQ(sweep_scratch(dir_, kExportTempPrefix), 1u);
  EXPECT_TRUE(fs::exists(dir_ / ("segmentd-stage-" + alive + "-mine.tsv")));
  EXPECT_TRUE(fs::exists(dir_ / "segmentd-stage-notapid.tsv"));
  EXPECT_TRUE(fs::exists(dir_ / "orders.csv"));
  EXPECT_FALSE(fs::exists(dir_ / ("segmentd-stage-" + dead + "-abc.tsv")));
}

TEST_F(FilesTest, MoveAcrossFileSystemsIsWholeAndLeavesNoTemporaryName) {
  const fs::path other = small_fs("other", "4m");
  if (other.empty()) GTEST_SKIP() << "cannot mount a tmpfs here (not root)";
  const std::string content(300000, 'o');
  write(dir_ / "orders.csv", content);
  write(other / "orders.csv", "older drop");
  const fs::path moved = move_into(dir_ / "orders.csv", other);
  EXPECT_EQ(moved, other / "orders.1.csv");
  EXPECT_EQ(read(moved), content);
  EXPECT_EQ(read(other / "orders.csv"), "older drop");
  EXPECT_FALSE(fs::exists(dir_ / "orders.csv"));
  for (const auto& e : fs::directory_iterator(other)) {
    EXPECT_NE(e.path().filename().string().rfind(kMoveTempPrefix, 0), 0u) << e.path();
  }
}

TEST_F(FilesTest, AMoveThatDoesNotFitLeavesTheSourceAndNothingElse) {
  const fs::path other = small_fs("tiny", "64k");
  if (other.empty()) GTEST_SKIP() << "cannot mount a tmpfs here (not root)";
  const std::string content(1 << 20, 'g');
  write(dir_ / "geo.csv", content);
  EXPECT_THROW(move_into(dir_ / "geo.csv", other), IoError);
  EXPECT_EQ(read(dir_ / "geo.csv"), content);
  EXPECT_TRUE(fs::is_empty(other)) << "a truncated copy or an empty NAME.N.csv was left";
}

TEST_F(FilesTest, AMoveIntoSomethingThatIsNotAFolderFailsCleanly) {
  write(dir_ / "a.csv", "a");
  write(dir_ / "processed", "not a folder");
  EXPECT_THROW(move_into(dir_ / "a.csv", dir_ / "processed"), IoError);
  EXPECT_TRUE(fs::exists(dir_ / "a.csv"));
}

TEST_F(FilesTest, CarryOutIsResumable) {
  write(dir_ / "bad.csv", "x");
  write(dir_ / "bad.csv.rejects.csv", "line,reason,record\n");
  MovePlan plan;
  plan.quarantine = true;
  plan.target_dir = dir_ / "quarantine";
  plan.reason = "status: rejected\nrun: 3\nreason: line 2: bad\n";
  plan.rejects_file = dir_ / "bad.csv.rejects.csv";
  // The reason file cannot be written the first time: its name is a folder.
  fs::create_directories(dir_ / "quarantine" / "bad.csv.reason.txt");
  EXPECT_THROW(carry_out(dir_ / "bad.csv", plan), IoError);
  ASSERT_TRUE(plan.moved_to);
  EXPECT_EQ(*plan.moved_to, dir_ / "quarantine" / "bad.csv");
  fs::remove(dir_ / "quarantine" / "bad.csv.reason.txt");
  const fs::path moved = carry_out(dir_ / "bad.csv", plan).value();  // the file is not moved twice
  EXPECT_EQ(moved, dir_ / "quarantine" / "bad.csv");
  EXPECT_TRUE(fs::exists(dir_ / "quarantine" / "bad.csv.rejects.csv"));
  EXPECT_NE(read(dir_ / "quarantine" / "bad.csv.reason.txt").find("reason: line 2: bad"), std::string::npos);
}

// Issue 39 items 1 and 2: a file renamed over the loaded one, or the loaded
// one appended to, is not moved as if it were what was loaded: it stays in
// the inbox, a new drop.
TEST_F(FilesTest, CarryOutMovesOnlyTheFileThatWasLoaded) {
  write(dir_ / "orders.csv", "loaded content\n");
  MovePlan plan;
  plan.target_dir = dir_ / "processed";
  plan.loaded = FileIdentity::of_path(dir_ / "orders.csv");
  write(dir_ / ".e.part", "another file\n");
  fs::rename(dir_ / ".e.part", dir_ / "orders.csv");
  EXPECT_EQ(carry_out(dir_ / "orders.csv", plan), std::nullopt);
  EXPECT_EQ(read(dir_ / "orders.csv"), "another file\n");
  EXPECT_FALSE(fs::exists(dir_ / "processed" / "orders.csv"));
  EXPECT_FALSE(plan.moved_to);

  plan.loaded = FileIdentity::of_path(dir_ / "orders.csv");
  {
    std::ofstream append(dir_ / "orders.csv", std::ios::app);
    append << "one more row\n";
  }
  EXPECT_EQ(plan.loaded->change_to(FileIdentity::of_path(dir_ / "orders.csv")), "size 13 -> 26 bytes");
  EXPECT_EQ(carry_out(dir_ / "orders.csv", plan), std::nullopt);
  EXPECT_TRUE(fs::exists(dir_ / "orders.csv"));

  plan.loaded = FileIdentity::of_path(dir_ / "orders.csv");
  EXPECT_EQ(carry_out(dir_ / "orders.csv", plan), dir_ / "processed" / "orders.csv");
  EXPECT_FALSE(fs::exists(dir_ / "orders.csv"));
}

TEST_F(FilesTest, ACsvReadErrorIsATypedError) {
  // read(2) on a folder fails with EISDIR: the reader reports it as an
  // IoError (part of segmentd::Error), not as a bare runtime_error.
  const int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  CsvReader reader(fd);
  CsvRecord record;
  EXPECT_THROW(reader.next(record), IoError);
  ::close(fd);
}

}  // namespace
}  // namespace segmentd
