// Leadership against a real database (V013, lease.h): who leads, when a
// standby may take over, and that a deposed leader's writes — a file's
// ledger row, a refresh's swap — commit nothing.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_db.h"
#include "ingest_run.h"
#include "lease.h"
#include "refresh.h"
#include "test_database.h"

namespace segmentd::test {
namespace {

LeaseClaimant claimant(const std::string& name, unsigned pid = 1) {
  return {name + " token", "host-" + name, pid};
}

void expire(TestDatabase& t) {
  t.db().execute("UPDATE daemon_lease SET expires_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND");
}

// A pid no process has: a child that has exited and been reaped.
unsigned dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return static_cast<unsigned>(child);
}

const char* kTranslation = "product_category_name,product_category_name_english\nbeleza,beauty\n";

TEST(Lease, OneDaemonLeadsAndAnotherTakesOverOnlyOnceTheLeaseHasExpired) {
  TestDatabase t;
  t.migrate();
  auto other = t.connect();
  const LeaseClaimant a = claimant("a"), b = claimant("b");

  const LeaseState first = hold_lease(t.db(), a, 30);
  ASSERT_TRUE(first.leading);
  EXPECT_TRUE(first.taken_now);
  EXPECT_EQ(first.row.epoch, 1u);
  EXPECT_GT(first.row.expires_in.count(), 25000);

  const LeaseState waiting = hold_lease(*other, b, 30);
  EXPECT_FALSE(waiting.leading);
  EXPECT_EQ(waiting.row.host, "host-a");
  const LeaseState renewed = hold_lease(t.db(), a, 30);
  EXPECT_TRUE(renewed.leading);
  EXPECT_FALSE(renewed.taken_now);
  EXPECT_EQ(renewed.row.epoch, 1u) << "a renewal keeps the epoch";

  // Not renewed in time, but nobody took it: the holder renews it.
  expire(t);
  EXPECT_TRUE(hold_lease(t.db(), a, 30).leading);
  expire(t);
  const LeaseState taken = hold_lease(*other, b, 30);
  ASSERT_TRUE(taken.leading);
  EXPECT_EQ(taken.row.epoch, 2u);
  EXPECT_FALSE(hold_lease(t.db(), a, 30).leading) << "the deposed holder stands by";

  // A clean stop gives it up: the other takes it at once.
  release_lease(*other, b, 2);
  const LeaseState back = hold_lease(t.db(), a, 30);
  EXPECT_TRUE(back.leading);
  EXPECT_EQ(back.row.epoch, 3u);
}

TEST(Lease, AHolderWhoseProcessIsGoneFromThisHostIsReplacedAtOnce) {
  TestDatabase t;
  t.migrate();
  const LeaseClaimant me = this_claimant();
  LeaseClaimant dead{"crashed one", me.host, dead_pid()};
  ASSERT_TRUE(hold_lease(t.db(), dead, 600).leading);
  const LeaseState mine = hold_lease(t.db(), me, 600);
  EXPECT_TRUE(mine.leading) << "a crashed predecessor on this host is not waited for";
  EXPECT_EQ(mine.row.epoch, 2u);

  // A pid that is gone here, on another host, is not this host's to judge.
  LeaseClaimant remote{"remote", "another-host", dead.pid};
  expire(t);
  ASSERT_TRUE(hold_lease(t.db(), remote, 600).leading);
  EXPECT_FALSE(hold_lease(t.db(), me, 600).leading);
}

TEST(Lease, ADeposedLeadersFileCommitsNothingAndItsRunSaysWhy) {
  TestDatabase t;
  t.migrate();
  auto other = t.connect();
  const LeaseClaimant a = claimant("a"), b = claimant("b");
  ASSERT_TRUE(hold_lease(t.db(), a, 30).leading);
  expire(t);
  ASSERT_TRUE(hold_lease(*other, b, 30).leading);

  IngestOptions deposed;
  deposed.fence = LeaseFence{a.holder, 1};
  set_session_fence(t.db(), deposed.fence);
  const auto file = t.write_file("t.csv", kTranslation);
  const IngestRunOutcome out = run_ingest(t.db(), {file}, deposed, "file", this_process());
  ASSERT_EQ(out.files.size(), 1u);
  EXPECT_EQ(out.files[0].status, FileStatus::Interrupted);
  EXPECT_TRUE(out.files[0].fenced);
  EXPECT_NE(out.files[0].message.find("no longer holds the lease"), std::string::npos) << out.files[0].message;
  EXPECT_NE(out.files[0].message.find("epoch 2 is held by host-b"), std::string::npos) << out.files[0].message;
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM ingested_files"), "0");
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM product_category_name_translation"), "0");
  const std::string run = std::to_string(out.run_id);
  EXPECT_EQ(t.scalar("SELECT status FROM pipeline_runs WHERE run_id = " + run), "skipped");
  EXPECT_EQ(t.scalar("SELECT lease_epoch FROM pipeline_runs WHERE run_id = " + run), "1");

  // A refused file (a duplicate, here the header alone for a keyed
  // table) is fenced the same way: no ledger row.
  const auto refused = t.write_file("orders.csv", "nonsense header\n1\n");
  EXPECT_EQ(run_ingest(t.db(), {refused}, deposed, "file", this_process()).files[0].status, FileStatus::Interrupted);
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM ingested_files"), "0");

  // The leader loads it.
  IngestOptions leader;
  leader.fence = LeaseFence{b.holder, 2};
  set_session_fence(*other, leader.fence);
  const IngestRunOutcome loaded = run_ingest(*other, {file}, leader, "file", this_process());
  EXPECT_EQ(loaded.files[0].status, FileStatus::Loaded) << loaded.files[0].message;
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM product_category_name_translation"), "1");
  EXPECT_EQ(t.scalar("SELECT fenced_writes FROM daemon_lease"), "1");
}

TEST(Lease, ADeposedLeadersRefreshLeavesTheResultsItWouldHaveReplaced) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 30);
  auto other = t.connect();
  const LeaseClaimant a = claimant("a"), b = claimant("b");
  ASSERT_TRUE(hold_lease(t.db(), a, 30).leading);
  set_session_fence(t.db(), LeaseFence{a.holder, 1});
  const RefreshOutcome led = run_refresh(t.db(), "file", this_process());
  ASSERT_EQ(led.status, RunStatus::Succeeded) << led.message;
  EXPECT_EQ(t.scalar("SELECT lease_epoch FROM pipeline_runs WHERE run_id = " + std::to_string(led.run_id)), "1");

  expire(t);
  ASSERT_TRUE(hold_lease(*other, b, 30).leading);
  t.db().execute("UPDATE order_payments SET payment_value = payment_value + 50 WHERE order_id = 'o1004'");
  // Both kinds of refresh: the incremental one's transaction, and the full
  // one's swap.
  for (const RefreshMode mode : {RefreshMode::Auto, RefreshMode::Full}) {
    try {
      run_refresh(t.db(), "file", this_process(), mode);
    } catch (const DbError&) {
    }
    const std::string last = t.scalar("SELECT MAX(run_id) FROM pipeline_runs");
    EXPECT_EQ(t.scalar("SELECT status FROM pipeline_runs WHERE run_id = " + last), "failed");
    EXPECT_NE(t.scalar("SELECT message FROM pipeline_runs WHERE run_id = " + last).find("fenced"), std::string::npos);
    EXPECT_EQ(t.scalar("SELECT run_id FROM segment_state"), std::to_string(led.run_id))
        << "the live results are still the leader's";
    EXPECT_EQ(t.scalar("SELECT monetary FROM customer_segments WHERE customer_unique_id = 'u1004'"),
              t.scalar("SELECT ROUND(payment_value - 50, 2) FROM order_payments WHERE order_id = 'o1004'"));
    EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                       "AND TABLE_NAME LIKE '%\\_next'"),
              "0");
    EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM customer_segment_history WHERE run_id = " + last), "0");
    EXPECT_EQ(t.scalar("SELECT COALESCE(run_id, 0) FROM refresh_claim"), "0") << "the claim was released";
  }
  EXPECT_NE(t.scalar("SELECT COUNT(*) FROM segment_input_changes"), "0") << "the change waits for the leader";

  // The leader's refresh, and a client's (no fence), swap as before.
  set_session_fence(*other, LeaseFence{b.holder, 2});
  EXPECT_EQ(run_refresh(*other, "file", this_process()).status, RunStatus::Succeeded);
  set_session_fence(t.db(), std::nullopt);
  EXPECT_EQ(run_refresh(t.db(), "cli", this_process()).status, RunStatus::Succeeded);
}

// Taking office on a new session, a leader of epoch 2 closes the runs of
// epoch 1 (a deposed leader) and of epoch 2 (its own earlier session, on
// a node that died with it), whichever server they ran on; runs no daemon
// started (NULL) and any of a later epoch are left alone.
TEST(Lease, TakingOfficeClosesTheRunsOfEarlierLeadersAndSessionsOnly) {
  TestDatabase t;
  t.migrate();
  for (const char* epoch : {"1", "2", "3", "NULL"}) {
    t.db().execute(
        std::string("INSERT INTO pipeline_runs (kind, `trigger`, status, started_at, connection_id, server_node, "
                    "lease_epoch) VALUES ('ingest', 'file', 'running', UTC_TIMESTAMP(3), 999990, 'node-b:3306', ") +
        epoch + ")");
  }
  EXPECT_EQ(close_runs_of_earlier_leaders(t.db(), 2), 2u);
  EXPECT_EQ(t.scalar("SELECT GROUP_CONCAT(COALESCE(lease_epoch, 'none'), '=', status ORDER BY run_id) "
                     "FROM pipeline_runs"),
            "1=abandoned,2=abandoned,3=running,none=running");
  EXPECT_NE(t.scalar("SELECT message FROM pipeline_runs WHERE lease_epoch = 1").find("(epoch 1; epoch 2 leads now)"),
            std::string::npos);
}

}  // namespace
}  // namespace segmentd::test
