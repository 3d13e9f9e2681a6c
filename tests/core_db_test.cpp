// The daemon-core defects against a real database, one test (or more) each:
// the audit row of a refresh whose client went away after the swap, runs
// left by a dead session, the refresh owed after a stop, hostile names and
// headers, a header-only replacing file, the ingest lock and the run row,
// export sets on a full disk, and migrate keeping the configured event.

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "daemon_db.h"
#include "exports.h"
#include "ingest_run.h"
#include "named_lock.h"
#include "refresh.h"
#include "test_database.h"
#include "text.h"

namespace segmentd::test {
namespace {

namespace fs = std::filesystem;

fs::path write_file(TestDatabase& t, const std::string& name, const std::string& content) {
  return t.write_file(name, content);
}

IngestRunOutcome ingest_run(TestDatabase& t, const fs::path& file, IngestOptions o = {}) {
  return run_ingest(t.db(), {file}, o, "cli", this_process());
}

// An error after the swap (here a trigger that fails the success
// update once, as a client that went away fails the final result) used to
// mark the run failed and delete its history while its segments were live.
TEST(CoreRefresh, AFailureAfterTheSwapIsRecordedAsSucceededAndKeepsHistory) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 40);
  t.db().execute(
      "CREATE TRIGGER fail_success_once BEFORE UPDATE ON pipeline_runs FOR EACH ROW "
      "BEGIN IF NEW.status = 'succeeded' AND @fail_after_swap = 1 THEN SET @fail_after_swap = 0; "
      "SIGNAL SQLSTATE '08S01' SET MESSAGE_TEXT = 'simulated: client went away'; END IF; END");
  t.db().execute("SET @fail_after_swap = 1");
  const RefreshOutcome out = run_refresh(t.db(), "cli", this_process());
  EXPECT_EQ(t.scalar("SELECT @fail_after_swap"), "0") << "the simulated failure did not happen";
  EXPECT_EQ(out.status, RunStatus::Succeeded) << out.message;
  const std::string run = std::to_string(out.run_id);
  EXPECT_EQ(t.scalar("SELECT status FROM pipeline_runs WHERE run_id = " + run), "succeeded");
  EXPECT_NE(t.scalar("SELECT message FROM pipeline_runs WHERE run_id = " + run).find("after the swap"),
            std::string::npos);
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM customer_segment_history WHERE run_id = " + run), "40");
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM customer_segments"), "40");
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
                     "TABLE_NAME LIKE '%\\_old'"),
            "0");
  // The lock was released: the next refresh runs.
  EXPECT_EQ(run_refresh(t.db(), "cli", this_process()).status, RunStatus::Succeeded);
}

TEST(CoreRefresh, AFailureBeforeTheSwapStillFailsAndKeepsTheOldResults) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 10);
  ASSERT_EQ(run_refresh(t.db(), "cli", this_process()).status, RunStatus::Succeeded);
  t.db().execute("UPDATE rfm_segment_rules SET r_max = 2 WHERE segment_name = 'At-Risk Customers'");
  const RefreshOutcome out = run_refresh(t.db(), "cli", this_process());
  EXPECT_EQ(out.status, RunStatus::Failed);
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM customer_segment_history WHERE run_id = " + std::to_string(out.run_id)),
            "0");
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM customer_segments"), "10");
}

// segment_state names the run whose results are live, swapped in with
// them by a full refresh and updated in an incremental one's transaction.
TEST(CoreRefresh, TheLiveStateNamesTheRunThatBuiltIt) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 5);
  const RefreshOutcome full = run_refresh(t.db(), "cli", this_process());
  EXPECT_EQ(t.scalar("SELECT run_id FROM segment_state"), std::to_string(full.run_id));
  EXPECT_EQ(t.scalar("SELECT TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
                     "TABLE_NAME = 'customer_scores'"),
            "segmentd run " + std::to_string(full.run_id));
  const RefreshOutcome incremental = run_refresh(t.db(), "cli", this_process());
  EXPECT_NE(incremental.message.find("incremental"), std::string::npos) << incremental.message;
  EXPECT_EQ(t.scalar("SELECT run_id FROM segment_state"), std::to_string(incremental.run_id));
}

// A session that died between the swap and its success row: closed as
// succeeded because the live results are its own; any other orphan as
// abandoned.
TEST(CoreRefresh, OrphanedRunsAreClosedForWhatTheyDid) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 5);
  const RefreshOutcome out = run_refresh(t.db(), "cli", this_process());
  const std::string run = std::to_string(out.run_id);
  // Pretend it died after the swap: still 'running', owned by a gone connection.
  t.db().execute(
      "UPDATE pipeline_runs SET status = 'running', finished_at = NULL, connection_id = 999999 "
      "WHERE run_id = " +
      run);
  t.db().execute(
      "INSERT INTO pipeline_runs (kind, `trigger`, status, started_at, connection_id) "
      "VALUES ('refresh', 'cli', 'running', UTC_TIMESTAMP(3), 999998), "
      "('ingest', 'file', 'running', UTC_TIMESTAMP(3), 999997)");
  const OrphanedRuns closed = close_orphaned_runs(t.db());
  EXPECT_EQ(closed.succeeded_after_swap, 1u);
  EXPECT_EQ(closed.abandoned, 2u);
  EXPECT_EQ(t.scalar("SELECT status FROM pipeline_runs WHERE run_id = " + run), "succeeded");
  EXPECT_EQ(t.scalar("SELECT customers_segmented FROM pipeline_runs WHERE run_id = " + run), "5");
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM pipeline_runs WHERE status = 'abandoned'"), "2");
}

// On a cluster, a run started on another server holds that server's lock,
// which this one cannot see: the closers of dead runs leave it alone, and
// its claim (V011) makes a refresh here wait its turn ('skipped') until the
// run is no longer running. A claim made on this server by a dead session
// is taken over.
TEST(CoreRefresh, RunsAndClaimsOfAnotherServerAreLeftAloneUntilTheyEnd) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 5);
  t.db().execute(
      "INSERT INTO pipeline_runs (kind, `trigger`, status, started_at, connection_id, server_node) "
      "VALUES ('refresh', 'manual', 'running', UTC_TIMESTAMP(3), 999996, 'node-b:3306')");
  const std::string remote = t.scalar("SELECT MAX(run_id) FROM pipeline_runs");
  t.db().execute(
      "INSERT INTO pipeline_runs (kind, `trigger`, status, started_at, connection_id, server_node) "
      "VALUES ('ingest', 'file', 'running', UTC_TIMESTAMP(3), 999995, 'node-b:3306')");
  const std::string remote_ingest = t.scalar("SELECT MAX(run_id) FROM pipeline_runs");
  t.db().execute("UPDATE refresh_claim SET run_id = " + remote +
                 ", node = 'node-b:3306', connection_id = 999996, claimed_at = UTC_TIMESTAMP(3)");

  EXPECT_EQ(close_orphaned_runs(t.db()).abandoned, 0u);
  EXPECT_EQ(
      ingest_run(t, write_file(t, "t.csv", "product_category_name,product_category_name_english\nbeleza,beauty\n"))
          .all_ok(),
      true);
  EXPECT_EQ(t.scalar("SELECT GROUP_CONCAT(status) FROM pipeline_runs WHERE run_id IN (" + remote + ", " +
                     remote_ingest + ")"),
            "running,running");

  // The holder is read causally (for Galera) and the caller's setting put back.
  t.db().execute("SET SESSION wsrep_sync_wait = 2");
  const RefreshOutcome waited = run_refresh(t.db(), "cli", this_process());
  EXPECT_EQ(waited.status, RunStatus::Skipped);
  EXPECT_NE(waited.message.find("another refresh is running: run " + remote + " (on node-b:3306)"), std::string::npos)
      << waited.message;
  EXPECT_EQ(t.scalar("SELECT @@SESSION.wsrep_sync_wait"), "2");
  t.db().execute("SET SESSION wsrep_sync_wait = 0");

  // The other server's run ends: the claim is free.
  t.db().execute("UPDATE pipeline_runs SET status = 'failed' WHERE run_id = " + remote);
  const RefreshOutcome ran = run_refresh(t.db(), "cli", this_process());
  ASSERT_EQ(ran.status, RunStatus::Succeeded) << ran.message;
  EXPECT_EQ(t.scalar("SELECT COALESCE(run_id, 0) FROM refresh_claim"), "0");
  EXPECT_EQ(t.scalar("SELECT server_node = CONCAT(@@hostname, ':', @@port) FROM pipeline_runs WHERE run_id = " +
                     std::to_string(ran.run_id)),
            "1");

  // A claim of another server that died mid-refresh: free after six hours.
  t.db().execute(
      "INSERT INTO pipeline_runs (kind, `trigger`, status, started_at, connection_id, server_node) "
      "VALUES ('refresh', 'manual', 'running', UTC_TIMESTAMP(3) - INTERVAL 7 HOUR, 999993, 'node-c:3306')");
  t.db().execute(
      "UPDATE refresh_claim SET run_id = (SELECT MAX(run_id) FROM pipeline_runs), node = 'node-c:3306', "
      "connection_id = 999993, claimed_at = UTC_TIMESTAMP(3) - INTERVAL 5 HOUR");
  EXPECT_EQ(run_refresh(t.db(), "cli", this_process()).status, RunStatus::Skipped) << "five hours is not stale";
  t.db().execute("UPDATE refresh_claim SET claimed_at = UTC_TIMESTAMP(3) - INTERVAL 7 HOUR");
  EXPECT_EQ(run_refresh(t.db(), "cli", this_process()).status, RunStatus::Succeeded);

  // A claim this server's dead session left behind, its run still 'running'.
  t.db().execute(
      "INSERT INTO pipeline_runs (kind, `trigger`, status, started_at, connection_id, server_node) "
      "VALUES ('refresh', 'manual', 'running', UTC_TIMESTAMP(3), 999994, CONCAT(@@hostname, ':', @@port))");
  t.db().execute(
      "UPDATE refresh_claim SET run_id = (SELECT MAX(run_id) FROM pipeline_runs), "
      "node = CONCAT(@@hostname, ':', @@port), connection_id = 999994");
  EXPECT_EQ(run_refresh(t.db(), "cli", this_process()).status, RunStatus::Succeeded);
}

// Whether a refresh is owed comes from the database.
TEST(CoreOwed, ARefreshIsOwedWhenDataWasLoadedAfterTheLastSuccessfulOne) {
  TestDatabase t;
  t.migrate();
  EXPECT_FALSE(refresh_owed(t.db()));
  const std::string h = "product_category_name,product_category_name_english\n";
  ASSERT_TRUE(ingest_run(t, write_file(t, "t1.csv", h + "beleza,beauty\n")).all_ok());
  const auto owed = refresh_owed(t.db());
  ASSERT_TRUE(owed);
  EXPECT_NE(owed->find("no refresh has succeeded yet"), std::string::npos) << *owed;
  ASSERT_EQ(run_refresh(t.db(), "cli", this_process()).status, RunStatus::Succeeded);
  EXPECT_FALSE(refresh_owed(t.db()));
  // A duplicate or a refused file owes nothing; a new load does.
  ASSERT_TRUE(ingest_run(t, write_file(t, "t1-copy.csv", h + "beleza,beauty\n")).all_ok());
  EXPECT_FALSE(refresh_owed(t.db()));
  ASSERT_TRUE(ingest_run(t, write_file(t, "t2.csv", h + "casa,home\n")).all_ok());
  EXPECT_TRUE(refresh_owed(t.db()));
  // A failed refresh does not pay the debt.
  t.db().execute("UPDATE rfm_segment_rules SET r_max = 2 WHERE segment_name = 'At-Risk Customers'");
  ASSERT_EQ(run_refresh(t.db(), "cli", this_process()).status, RunStatus::Failed);
  EXPECT_TRUE(refresh_owed(t.db()));
}

// A killed process's ingest session can end after the next daemon looked
// for dead runs; the next ingest, once it holds the lock, closes its row.
TEST(CoreIngestLock, HoldingTheLockAnIngestClosesDeadIngestRuns) {
  TestDatabase t;
  t.migrate();
  t.db().execute(
      "INSERT INTO pipeline_runs (kind, `trigger`, status, started_at, connection_id) "
      "VALUES ('ingest', 'file', 'running', UTC_TIMESTAMP(3), 999999), "
      "('refresh', 'file', 'running', UTC_TIMESTAMP(3), 999998)");
  const auto path = write_file(t, "t.csv", "product_category_name,product_category_name_english\nbeleza,beauty\n");
  ASSERT_TRUE(ingest_run(t, path).all_ok());
  EXPECT_EQ(t.scalar("SELECT status FROM pipeline_runs WHERE connection_id = 999999"), "abandoned");
  // Refresh runs are not the ingest's to judge.
  EXPECT_EQ(t.scalar("SELECT status FROM pipeline_runs WHERE connection_id = 999998"), "running");
}

// A name that is not UTF-8 is stored escaped, the file loads once.
TEST(CoreNames, AFileNameThatIsNotUtf8LoadsAndIsStoredEscaped) {
  TestDatabase t;
  t.migrate();
  const std::string raw =
      "categor\xed"
      "a\xff.csv";  // Latin-1 i-acute, then 0xFF
  const auto path = write_file(t, raw, "product_category_name,product_category_name_english\nbeleza,beauty\n");
  const IngestRunOutcome run = ingest_run(t, path);
  ASSERT_TRUE(run.all_ok()) << run.files.at(0).message;
  const std::string stored = t.scalar("SELECT original_name FROM ingested_files");
  EXPECT_NE(stored.find("categor\\xeda\\xff.csv"), std::string::npos) << stored;
  EXPECT_EQ(unescape_bytes(stored), path.string());
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM pipeline_runs WHERE status = 'running'"), "0");
  EXPECT_EQ(t.scalar("SELECT status FROM pipeline_runs"), "succeeded");
}

// Hostile headers are refused as what they are, with a bounded,
// valid message, and the ledger row is written.
TEST(CoreHeaders, TenThousandColumnsAndUtf16AreRefusedWithTheRealCause) {
  TestDatabase t;
  t.migrate();
  std::string wide;
  for (int i = 0; i < 10000; ++i) wide += (i ? ",col\xff" : "col\xff") + std::to_string(i);
  const IngestRunOutcome a = ingest_run(t, write_file(t, "wide.csv", wide + "\n1,2\n"));
  ASSERT_EQ(a.files.at(0).status, FileStatus::Rejected) << a.files.at(0).message;
  EXPECT_NE(a.files.at(0).message.find("line 1"), std::string::npos);
  EXPECT_LE(a.files.at(0).message.size(), 4200u);
  EXPECT_TRUE(is_clean_utf8(a.files.at(0).message));

  const std::string utf16 = std::string("\xff\xfe", 2) + std::string("o\0r\0d\0e\0r\0_\0i\0d\0\n\0", 18);
  const IngestRunOutcome b = ingest_run(t, write_file(t, "utf16.csv", utf16));
  ASSERT_EQ(b.files.at(0).status, FileStatus::Rejected);
  EXPECT_NE(b.files.at(0).message.find("UTF-16"), std::string::npos) << b.files.at(0).message;
  const std::string nul = std::string("o\0r\0d\0e\0r\0\n\0", 12);
  const IngestRunOutcome c = ingest_run(t, write_file(t, "nul.csv", nul));
  EXPECT_NE(c.files.at(0).message.find("NUL bytes"), std::string::npos) << c.files.at(0).message;
  EXPECT_EQ(t.scalar("SELECT GROUP_CONCAT(status ORDER BY id) FROM ingested_files"), "rejected,rejected,rejected");
}

// A header-only geolocation file does not empty the table.
TEST(CoreEmptyReplace, AHeaderOnlyGeolocationFileIsRefusedUnlessAllowed) {
  TestDatabase t;
  t.migrate();
  const std::string h =
      "geolocation_zip_code_prefix,geolocation_lat,geolocation_lng,geolocation_city,geolocation_state\n";
  ASSERT_TRUE(ingest_run(t, write_file(t, "g1.csv", h + "01037,-23.5,-46.6,sao paulo,SP\n")).all_ok());
  const IngestRunOutcome empty = ingest_run(t, write_file(t, "g2.csv", h));
  ASSERT_EQ(empty.files.at(0).status, FileStatus::Rejected);
  EXPECT_NE(empty.files.at(0).message.find("allow_empty_replace"), std::string::npos) << empty.files.at(0).message;
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM geolocation"), "1");
  IngestOptions allow;
  allow.allow_empty_replace = true;
  const IngestRunOutcome allowed = ingest_run(t, write_file(t, "g3.csv", h), allow);
  EXPECT_EQ(allowed.files.at(0).status, FileStatus::Loaded) << allowed.files.at(0).message;
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM geolocation"), "0");
}

// A rejects file is private.
TEST(CorePrivateFiles, RejectsFilesAre0600WhateverTheUmask) {
  TestDatabase t;
  t.migrate();
  const mode_t old = ::umask(0);
  IngestOptions o;
  o.max_rejected_rows = 5;
  const IngestRunOutcome run = ingest_run(
      t, write_file(t, "s.csv", "seller_id,seller_zip_code_prefix,seller_city,seller_state\ns1,01001,sp,SP\ns2,x,y\n"),
      o);
  ::umask(old);
  ASSERT_FALSE(run.files.at(0).rejects_file.empty()) << run.files.at(0).message;
  struct stat st {};
  ASSERT_EQ(::stat(run.files.at(0).rejects_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// A run that cannot take the ingest lock leaves no row behind.
TEST(CoreIngestLock, ALockHeldElsewhereLeavesNoRunningRow) {
  TestDatabase t;
  t.migrate();
  auto other = t.connect();
  NamedLock held(*other, "ingest", 0);
  IngestOptions o;
  o.lock_wait_seconds = 1;
  const auto path = write_file(t, "t.csv", "product_category_name,product_category_name_english\nbeleza,beauty\n");
  EXPECT_THROW(run_ingest(t.db(), {path}, o, "cli", this_process()), LockBusy);
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM pipeline_runs"), "0");
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM ingested_files"), "0");
}

// The newest successful refresh's set is missing after another session's
// refresh or a failed export: the daemon can tell, and publishes it.
TEST(CoreExports, StaleWhenTheNewestRefreshHasNoPublishedSet) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 5);
  const fs::path dir = t.scratch() / "exports";
  EXPECT_FALSE(exports_stale(t.db(), dir));  // nothing refreshed yet
  const RefreshOutcome first = run_refresh(t.db(), "cli", this_process());
  EXPECT_TRUE(exports_stale(t.db(), dir));
  write_exports(t.db(), dir);
  EXPECT_EQ(published_run(dir), first.run_id);
  EXPECT_FALSE(exports_stale(t.db(), dir));
  t.db().call("CALL refresh_customer_segments()");  // a BI user's refresh
  EXPECT_TRUE(exports_stale(t.db(), dir));
  EXPECT_FALSE(exports_stale(t.db(), ""));  // exports off
}

// Sets are published whole; a disk that fills half-way leaves the
// previous set current and complete, names ENOSPC, and the run records it.
TEST(CoreExports, AFullDiskLeavesThePreviousSetCurrentAndIsRecorded) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 60);
  const fs::path dir = t.scratch() / "exports";
  fs::create_directories(dir);
  if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=256k") != 0) GTEST_SKIP() << "cannot mount a tmpfs (not root)";
  struct Unmount {
    fs::path p;
    ~Unmount() { ::umount(p.c_str()); }
  } unmount{dir};
  const RefreshOutcome first = run_refresh(t.db(), "cli", this_process());
  const ExportSet a = write_exports(t.db(), dir, 2);
  EXPECT_EQ(a.files.size(), 5u);
  EXPECT_EQ(fs::read_symlink(dir / "current"), fs::path("run-" + std::to_string(first.run_id)));
  std::ifstream current(dir / "final_customer_segments.csv");
  std::string header;
  std::getline(current, header);
  EXPECT_EQ(header.rfind("customer_unique_id,", 0), 0u);

  // Fill the disk but for a few KB: the next set cannot be written whole.
  std::string fill_error;
  {
    std::ofstream filler(dir / "filler", std::ios::binary);
    const std::string block(4096, 'x');
    while (filler.write(block.data(), block.size())) {
    }
  }
  fs::resize_file(dir / "filler", fs::file_size(dir / "filler") - 6000);
  const RefreshOutcome second = run_refresh(t.db(), "cli", this_process());
  ASSERT_EQ(second.status, RunStatus::Succeeded);
  try {
    write_exports(t.db(), dir, 2);
    FAIL() << "the export fitted";
  } catch (const IoError& e) {
    fill_error = e.what();
  }
  EXPECT_NE(fill_error.find("No space left on device"), std::string::npos) << fill_error;
  EXPECT_EQ(fs::read_symlink(dir / "current"), fs::path("run-" + std::to_string(first.run_id)));
  for (const auto& f : a.files) EXPECT_TRUE(fs::exists(dir / "current" / f.path.filename())) << f.path;
  for (const auto& e : fs::directory_iterator(dir)) {
    EXPECT_NE(e.path().filename().string().rfind(kExportTempPrefix, 0), 0u) << "partial set left: " << e.path();
  }
  record_export(t.db(), second.run_id, dir, nullptr, fill_error);
  const auto details = nlohmann::json::parse(
      t.scalar("SELECT details FROM pipeline_runs WHERE run_id = " + std::to_string(second.run_id)));
  EXPECT_EQ(details["export"]["status"], "failed");
  EXPECT_NE(details["export"]["error"].get<std::string>().find("No space left"), std::string::npos);

  // Space again: the next set replaces it, older sets beyond keep_sets go.
  fs::remove(dir / "filler");
  const ExportSet b = write_exports(t.db(), dir, 1, 0640);
  EXPECT_EQ(fs::read_symlink(dir / "current"), b.dir.filename());
  EXPECT_FALSE(fs::exists(a.dir));
  struct stat st {};
  ASSERT_EQ(::stat((b.dir / "final_customer_segments.csv").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);  // exports.file_mode
  ASSERT_EQ(::stat((fs::path(a.dir.parent_path()) / "current" / "customer_rfm_scores.csv").c_str(), &st), 0);
}

}  // namespace
}  // namespace segmentd::test

namespace segmentd::test {
namespace {

std::map<std::string, std::string> segment_of_each(DbSession& db) {
  std::map<std::string, std::string> out;
  for (const auto& row : db.query("SELECT customer_unique_id, segment_name FROM customer_segments").rows) {
    out[*row.at(0)] = *row.at(1);
  }
  return out;
}

// The segment_shift alert's count equals the customers whose segment
// differs between the two results, counted here from the live table.
TEST(CoreRefresh, SegmentShiftCountsCustomersWhoChangedSegment) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 60);
  const RefreshOutcome first = run_refresh(t.db(), "cli", this_process());
  ASSERT_EQ(first.status, RunStatus::Succeeded);
  const auto before = segment_of_each(t.db());
  // Half the customers buy much more: their monetary scores move.
  t.db().execute("UPDATE order_payments SET payment_value = payment_value * 40 WHERE order_id LIKE 'o10_0%'");
  t.db().execute("UPDATE order_payments SET payment_value = payment_value * 40 WHERE order_id LIKE 'o10%5'");
  const RefreshOutcome second = run_refresh(t.db(), "cli", this_process());
  ASSERT_EQ(second.status, RunStatus::Succeeded);
  const auto after = segment_of_each(t.db());
  std::uint64_t moved = 0;
  for (const auto& [id, segment] : after) moved += before.count(id) && before.at(id) != segment;
  ASSERT_GT(moved, 0u) << "the data change moved nobody: the test proves nothing";
  const SegmentShift shift = segment_shift(t.db(), first.run_id, second.run_id);
  EXPECT_EQ(shift.moved, moved);
  EXPECT_EQ(shift.in_both, 60u);
  EXPECT_DOUBLE_EQ(shift.share(), static_cast<double>(moved) / 60);
  // The same run against itself: nothing moved.
  EXPECT_EQ(segment_shift(t.db(), second.run_id, second.run_id).moved, 0u);
}

}  // namespace
}  // namespace segmentd::test
