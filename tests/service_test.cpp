// The service's error paths against a fake database (fakes/): how failures
// are classified, what the worker does with a lost session, and how ingest
// reports database failures, without a server.

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <fstream>

#include "db_worker.h"
#include "fakes/fake_db_session.h"
#include "ingest.h"
#include "named_lock.h"
#include "refresh.h"

namespace segmentd {
namespace {

using test::FakeDbSession;

TEST(ErrorCategory, ServerCodesDecideRetries) {
  EXPECT_EQ(DbError::categorize(server_error::kServerGone), ErrorCategory::ConnectionLost);
  EXPECT_EQ(DbError::categorize(server_error::kServerLost), ErrorCategory::ConnectionLost);
  EXPECT_EQ(DbError::categorize(server_error::kDeadlock), ErrorCategory::Transient);
  EXPECT_EQ(DbError::categorize(server_error::kLockWaitTimeout), ErrorCategory::Transient);
  EXPECT_EQ(DbError::categorize(server_error::kIncorrectString), ErrorCategory::Permanent);
  EXPECT_EQ(DbError::categorize(server_error::kWarningAsError), ErrorCategory::Permanent);
  EXPECT_EQ(DbError::categorize(1064), ErrorCategory::Permanent);  // syntax
}

// A server that will not write now is unavailable, not a file's fault
// (issue 39 item 3: a read-only server once quarantined good files).
TEST(ErrorCategory, AServerThatRefusesWritesIsUnavailable) {
  for (const int code : {server_error::kReadOnlyOption, server_error::kReadOnlyTransaction, server_error::kReadOnlyMode,
                         server_error::kNodeNotReady}) {
    EXPECT_EQ(DbError::categorize(code), ErrorCategory::ConnectionLost) << code;
  }
}

JobError classify(auto&& thrower, bool usable = true) {
  try {
    thrower();
  } catch (...) {
    return classify_failure(std::current_exception(), usable);
  }
  return {};
}

TEST(ClassifyFailure, ByTypeNeverByText) {
  EXPECT_EQ(classify([] { throw DbError("database error: deadlock", server_error::kDeadlock, "40001"); }).category,
            ErrorCategory::Transient);
  // A message that merely mentions a database error is not one.
  EXPECT_EQ(classify([] { throw UserError("database error 2013 in the text"); }).category, ErrorCategory::Permanent);
  EXPECT_EQ(classify([] { throw LockBusy("held"); }).category, ErrorCategory::Transient);
  const JobError fatal = classify([] { throw FatalError("another segmentd is already running"); });
  EXPECT_TRUE(fatal.fatal);
  EXPECT_FALSE(classify([] { throw std::runtime_error("x"); }).fatal);
  // Whatever was thrown, a session that no longer answers is a lost connection.
  EXPECT_EQ(classify([] { throw DbError("warned", 0, "HY000"); }, false).category, ErrorCategory::ConnectionLost);
}

TEST(DbWorker, ALostConnectionDropsTheSessionAndLaterJobsSayNotConnected) {
  boost::asio::io_context loop;
  auto guard = boost::asio::make_work_guard(loop);
  std::vector<JobResult<int>> results;
  {
    DbWorker worker(loop);
    FakeDbSession* fake = nullptr;
    worker.connect<int>(
        [&fake] {
          auto s = std::make_unique<FakeDbSession>();
          s->answer("GET_LOCK", FakeDbSession::one("1"));
          fake = s.get();
          return s;
        },
        [](DbSession& db, std::unique_ptr<NamedLock>& hold) {
          hold = std::make_unique<NamedLock>(db, "daemon", 0);
          return 1;
        },
        [&](const JobResult<int>& r) { results.push_back(r); });
    worker.run<int>(
        [&fake](DbSession& db) {
          fake->lose_connection();
          db.execute("SELECT 1");
          return 2;
        },
        [&](const JobResult<int>& r) { results.push_back(r); });
    worker.run<int>([](DbSession&) { return 3; },
                    [&](const JobResult<int>& r) {
                      results.push_back(r);
                      loop.stop();
                    });
    loop.run_for(std::chrono::seconds(10));
  }
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].value.value_or(0), 1);
  ASSERT_TRUE(results[1].error);
  EXPECT_EQ(results[1].error->category, ErrorCategory::ConnectionLost);
  ASSERT_TRUE(results[2].error);
  EXPECT_EQ(results[2].error->message, "not connected");
}

class FakeIngest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("segmentd-fake-ingest-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    file_ = dir_ / "translation.csv";
    std::ofstream(file_) << "product_category_name,product_category_name_english\nbeleza,beauty\n";
    db_.answer("GET_LOCK", FakeDbSession::one("1"))
        .answer("DATE_FORMAT(UTC_TIMESTAMP", FakeDbSession::one("2026-01-01 00:00:00.000000"))
        .answer("local_infile", FakeDbSession::one("0"))
        .answer("VERSION()", FakeDbSession::one("10.11.6-MariaDB"))
        .answer("LAST_INSERT_ID", FakeDbSession::one("9"));
    options_.temp_dir = dir_;
    options_.rejects_dir = dir_;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_, file_;
  FakeDbSession db_;
  IngestOptions options_;
};

// A deadlock, or a Galera certification conflict (both 1213), rolls the
// file's transaction back; it is run again before it counts as a failure.
TEST_F(FakeIngest, ADeadlockIsRetriedAndTheFileLoads) {
  db_.fail("INSERT INTO product_category_name_translation", DbError("Deadlock found", server_error::kDeadlock, "40001"),
           2);
  const FileOutcome out = ingest_file(db_, file_, options_, std::nullopt);
  EXPECT_EQ(out.status, FileStatus::Loaded) << out.message;
  EXPECT_EQ(db_.count("ROLLBACK"), 2u);
  EXPECT_EQ(db_.count("COMMIT"), 1u);
}

TEST_F(FakeIngest, ADeadlockOnEveryAttemptIsATransientFailureAndNothingIsLeftOpen) {
  db_.fail("INSERT INTO product_category_name_translation",
           DbError("Deadlock found", server_error::kDeadlock, "40001"));
  const FileOutcome out = ingest_file(db_, file_, options_, std::nullopt);
  EXPECT_EQ(out.status, FileStatus::Failed);
  EXPECT_EQ(out.failure, ErrorCategory::Transient);
  EXPECT_NE(out.message.find("database error 1213"), std::string::npos) << out.message;
  EXPECT_EQ(db_.count("ROLLBACK"), 4u) << "four attempts";
  EXPECT_EQ(db_.count("COMMIT"), 0u);
  EXPECT_EQ(db_.count("INSERT INTO ingested_files"), 1u);  // the failed row
}

TEST_F(FakeIngest, ARefusedStatementIsPermanent) {
  db_.fail("INSERT INTO product_category_name_translation", DbError("Data too long", 1406, "22001"), 1);
  const FileOutcome out = ingest_file(db_, file_, options_, std::nullopt);
  EXPECT_EQ(out.status, FileStatus::Failed);
  EXPECT_EQ(out.failure, ErrorCategory::Permanent);
}

TEST_F(FakeIngest, ALostConnectionEscapesSoTheFileIsNotJudged) {
  db_.fail("INSERT INTO product_category_name_translation",
           DbError("Lost connection", server_error::kServerLost, "HY000"), 1);
  EXPECT_THROW(ingest_file(db_, file_, options_, std::nullopt), DbError);
  EXPECT_EQ(db_.count("INSERT INTO ingested_files"), 0u);
}

TEST_F(FakeIngest, ALedgerRowTheServerRefusesBecomesTheOutcomeNotAnException) {
  // The file is refused (no dataset matches), and then its ledger row is
  // refused too: the outcome says both.
  std::ofstream(file_) << "no,such,header\n1,2,3\n";
  db_.fail("INSERT INTO ingested_files", DbError("Incorrect string value", server_error::kIncorrectString, "HY000"));
  const FileOutcome out = ingest_file(db_, file_, options_, std::nullopt);
  EXPECT_EQ(out.status, FileStatus::Failed);
  EXPECT_NE(out.message.find("the ledger row could not be written"), std::string::npos) << out.message;
}

TEST_F(FakeIngest, ALockHeldElsewhereIsLockBusy) {
  FakeDbSession busy;
  busy.answer("GET_LOCK", FakeDbSession::one("0"));
  options_.lock_wait_seconds = 1;
  EXPECT_THROW(ingest_file(busy, file_, options_, std::nullopt), LockBusy);
}

TEST(FakeRefresh, AConnectionLostDuringTheCallEscapes) {
  FakeDbSession db;
  db.fail("CALL segmentd_refresh_run", DbError("gone", server_error::kServerGone, "HY000"));
  EXPECT_THROW(run_refresh(db, "cli", RunIdentity{}), DbError);
}

// The CALL failed with `error`; the session's run is `run_id`, recorded as
// `status` (what the procedure's handler managed to write).
void call_failed_leaving(FakeDbSession& db, const DbError& error, const std::string& run_id,
                         const std::string& status) {
  db.fail("CALL segmentd_refresh_run", error);
  db.answer("SELECT @segmentd_run_id", FakeDbSession::one(run_id));
  DbResult run;
  run.columns = {"run_id", "status", "customers_segmented", "message"};
  run.rows = {{run_id, status, std::nullopt, std::nullopt}};
  db.answer("FROM pipeline_runs WHERE run_id", run);
}

// Issue 39 item 4: the server refused the refresh's writes half-way and its
// clean-up too. The lock is released, the run comes back failed with the
// real cause, unrecorded, and the database unavailable.
TEST(FakeRefresh, AFailureTheServerRefusesToRecordComesBackUnrecorded) {
  FakeDbSession db;
  const DbError read_only("The MariaDB server is running with the --read-only option", server_error::kReadOnlyOption,
                          "HY000");
  db.fail("CALL segmentd_refresh_undo", read_only);
  call_failed_leaving(db, read_only, "7", "running");
  const RefreshOutcome out = run_refresh(db, "file", RunIdentity{});
  EXPECT_EQ(out.run_id, 7u);
  EXPECT_EQ(out.status, RunStatus::Failed);
  EXPECT_NE(out.message.find("read-only"), std::string::npos) << out.message;
  EXPECT_FALSE(out.recorded);
  EXPECT_TRUE(out.unavailable);
  EXPECT_EQ(db.count("RELEASE_LOCK"), 1u);
}

// The handler could not record the run, but the undo can (the failure was
// not the server's refusal): recorded, the lock released.
TEST(FakeRefresh, AFailureTheHandlerLeftRunningIsUndoneByTheDaemon) {
  FakeDbSession db;
  call_failed_leaving(db, DbError("Query execution was interrupted", server_error::kQueryInterrupted, "70100"), "8",
                      "running");
  const RefreshOutcome out = run_refresh(db, "file", RunIdentity{});
  EXPECT_EQ(out.status, RunStatus::Failed);
  EXPECT_TRUE(out.recorded);
  EXPECT_FALSE(out.unavailable);
  EXPECT_EQ(db.count("CALL segmentd_refresh_undo"), 1u);
  EXPECT_EQ(db.count("RELEASE_LOCK"), 1u);
}

TEST(FakeRefresh, AFailureAfterTheSwapKeepsTheRecordedSuccess) {
  // The procedure re-raised an error but recorded the run as succeeded (the
  // swap was done): the outcome follows the record.
  FakeDbSession db;
  db.fail("CALL segmentd_refresh_run", DbError("net write failed", 1160, "08S01"));
  db.answer("SELECT @segmentd_run_id", FakeDbSession::one("12"));
  DbResult run;
  run.columns = {"run_id", "status", "customers_segmented", "message"};
  run.rows = {{"12", "succeeded", "40", "segmented 40 customers"}};
  db.answer("FROM pipeline_runs WHERE run_id", run);
  const RefreshOutcome out = run_refresh(db, "cli", RunIdentity{});
  EXPECT_EQ(out.status, RunStatus::Succeeded);
  EXPECT_EQ(out.run_id, 12u);
}

}  // namespace
}  // namespace segmentd
