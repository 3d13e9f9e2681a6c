// refresh_customer_segments() behaviour around the model: rule coverage, the
// atomic swap, one refresh at a time, failures keeping old results, the
// fallback event's skip logic, and the audit trail.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "errors.h"
#include "refresh.h"
#include "test_database.h"

namespace segmentd::test {
namespace {

TEST(Refresh, RulesThatLeaveCombinationsUnmatchedAreRefusedByName) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 20);
  // With At-Risk narrowed to R 1-2, nothing covers R=3, F=1 (New needs R4-5,
  // Potential F2-3, Lost R1-2): exactly 311..315 are left.
  t.db().execute("UPDATE rfm_segment_rules SET r_max = 2 WHERE segment_name = 'At-Risk Customers'");
  const auto out = run_refresh(t.db(), "cli", this_process());
  EXPECT_EQ(to_string(out.status), "failed");
  EXPECT_NE(out.message.find("311, 312, 313, 314, 315"), std::string::npos) << out.message;
  EXPECT_NE(out.message.find("rfm_segment_rules"), std::string::npos) << out.message;
  EXPECT_EQ(t.scalar("SELECT status FROM pipeline_runs WHERE run_id = " + std::to_string(out.run_id)), "failed");
}

TEST(Refresh, DefaultRulesCoverAll125Combinations) {
  TestDatabase t;
  t.migrate();
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM (SELECT 1 v UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 "
                     "UNION ALL SELECT 5) r, (SELECT 1 v UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 "
                     "UNION ALL SELECT 5) f WHERE EXISTS (SELECT 1 FROM rfm_segment_rules x WHERE r.v BETWEEN "
                     "x.r_min AND x.r_max AND f.v BETWEEN x.f_min AND x.f_max AND x.m_min = 1 AND x.m_max = 5)"),
            "25");
}

TEST(Refresh, FailedRefreshKeepsPreviousResultsAndRecordsWhy) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 50);
  ASSERT_EQ(to_string(run_refresh(t.db(), "cli", this_process()).status), "succeeded");
  const std::string before = t.scalar(
      "SELECT CONCAT(COUNT(*), ':', SUM(monetary), ':', GROUP_CONCAT(segment_name ORDER BY customer_unique_id)) "
      "FROM customer_segments");
  t.db().execute("DELETE FROM rfm_segment_rules WHERE segment_name = 'Lost Customers'");
  t.db().execute("UPDATE rfm_segment_rules SET r_min = 2 WHERE segment_name = 'At-Risk Customers'");
  t.db().execute("UPDATE order_payments SET payment_value = payment_value + 1");
  const auto out = run_refresh(t.db(), "cli", this_process());
  EXPECT_EQ(to_string(out.status), "failed");
  EXPECT_EQ(t.scalar("SELECT CONCAT(COUNT(*), ':', SUM(monetary), ':', GROUP_CONCAT(segment_name ORDER BY "
                     "customer_unique_id)) FROM customer_segments"),
            before);
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND "
                     "table_name LIKE '%\\_next'"),
            "0");
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM customer_segment_history WHERE run_id = " + std::to_string(out.run_id)),
            "0");
  // Without Lost and with At-Risk from R2, R=1 with F 1-2 has no segment.
  EXPECT_NE(t.scalar("SELECT message FROM pipeline_runs WHERE run_id = " + std::to_string(out.run_id))
                .find("111, 112, 113, 114, 115, 121"),
            std::string::npos);
}

// The procedure raises buffer sizes and, on MariaDB, the join cache level
// for its own statements; the caller's session must get its values back
// whether the refresh succeeds or fails after raising them.
TEST(Refresh, CallersSessionSettingsAreRestoredAfterSuccessAndAfterFailure) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 30);
  const bool mariadb = t.scalar("SELECT VERSION() LIKE '%MariaDB%'") == "1";
  t.db().execute("SET SESSION join_buffer_size = 1048576, sort_buffer_size = 1048576");
  if (mariadb) t.db().execute("SET SESSION join_cache_level = 3, join_buffer_space_limit = 4194304");
  const std::string settings_sql =
      mariadb ? "SELECT CONCAT_WS('/', @@SESSION.join_buffer_size, @@SESSION.sort_buffer_size, "
                "@@SESSION.join_cache_level, @@SESSION.join_buffer_space_limit)"
              : "SELECT CONCAT_WS('/', @@SESSION.join_buffer_size, @@SESSION.sort_buffer_size)";
  const std::string before = t.scalar(settings_sql);

  ASSERT_EQ(to_string(run_refresh(t.db(), "cli", this_process()).status), "succeeded");
  EXPECT_EQ(t.scalar(settings_sql), before);

  // Fails while building order values (the join settings are raised): an
  // items total beyond order_values' DECIMAL(14,2) is refused in strict mode.
  for (int item = 1; item <= 101; ++item) {
    t.db().update(
        "INSERT INTO order_items (order_id, order_item_id, product_id, seller_id, price, freight_value) "
        "VALUES ('o1000', ?, 'p', 's', 9999999999.99, 0)",
        {static_cast<std::int64_t>(item)});
  }
  const auto overflow = run_refresh(t.db(), "cli", this_process());
  EXPECT_EQ(to_string(overflow.status), "failed");
  EXPECT_NE(overflow.message.find("items_total"), std::string::npos) << overflow.message;
  EXPECT_EQ(t.scalar(settings_sql), before);
  t.db().execute("DELETE FROM order_items");

  // Fails at the history step, after the order values were built (a
  // full copy: the live results are no run's).
  t.db().execute("UPDATE segment_state SET run_id = NULL");
  t.db().execute(
      "CREATE TRIGGER test_history_fails BEFORE INSERT ON customer_segment_changes FOR EACH ROW "
      "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'history refused by test'");
  const auto failed = run_refresh(t.db(), "cli", this_process());
  EXPECT_EQ(to_string(failed.status), "failed");
  EXPECT_NE(failed.message.find("history refused by test"), std::string::npos) << failed.message;
  EXPECT_EQ(t.scalar(settings_sql), before);
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM customer_segments"), "30");
}

// A full refresh sizes its join buffer and temporary-table limits from the
// data. Above 10x those exceed the minimums, and the server refuses, in
// the routines' strict mode, a value that is not a multiple of the
// variable's block size: a 100x refresh of 9,758,403 counted orders failed
// so. Setting a limit allocates nothing, so 100x sizes can be asked for
// here.
TEST(Refresh, LimitsSizedFromTheDataAreAcceptedAtAnyCount) {
  TestDatabase t;
  t.migrate();
  const auto as_number = [&](const std::string& sql) { return std::stoull(t.scalar(sql)); };
  // Ascending: the limits never go below the session's.
  for (const std::uint64_t orders : {2000001ULL, 9758403ULL, 9758404ULL}) {
    SCOPED_TRACE(orders);
    t.db().execute("CALL segmentd_temp_table_settings(" + std::to_string(orders) + ")");
    EXPECT_GE(as_number("SELECT @@SESSION.tmp_table_size"), orders * 512);
    EXPECT_GE(as_number("SELECT @@SESSION.max_heap_table_size"), orders * 512);
    EXPECT_LT(as_number("SELECT @@SESSION.tmp_table_size"), orders * 512 + 2 * 1048576);
  }
  const std::string join_before = t.scalar("SELECT @@SESSION.join_buffer_size");
  t.db().execute("CALL segmentd_hash_join_settings(TRUE, 9944101)");
  EXPECT_GE(as_number("SELECT @@SESSION.join_buffer_size"), 9944101ULL * 256);
  t.db().execute("CALL segmentd_hash_join_settings(FALSE, NULL)");
  EXPECT_EQ(t.scalar("SELECT @@SESSION.join_buffer_size"), join_before);
}

TEST(Refresh, SecondCallerWhileLockIsHeldRecordsSkippedNamingTheHolder) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 10);
  // Another session plays a refresh in progress: a running run and the lock.
  auto holder = t.connect();
  holder->execute(
      "INSERT INTO pipeline_runs (kind, `trigger`, status, started_at, connection_id) "
      "VALUES ('refresh', 'schedule', 'running', UTC_TIMESTAMP(3), CONNECTION_ID())");
  const std::string holder_run = holder->query("SELECT LAST_INSERT_ID()").rows[0][0].value();
  ASSERT_EQ(holder->query("SELECT GET_LOCK(LEFT(CONCAT('segmentd.refresh.', DATABASE()), 64), 0)").rows[0][0], "1");

  const auto out = run_refresh(t.db(), "cli", this_process());
  EXPECT_EQ(to_string(out.status), "skipped");
  EXPECT_NE(out.message.find("run " + holder_run), std::string::npos) << out.message;
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM customer_segments"), "0");

  holder->query("SELECT RELEASE_LOCK(LEFT(CONCAT('segmentd.refresh.', DATABASE()), 64))");
  EXPECT_EQ(to_string(run_refresh(t.db(), "cli", this_process()).status), "succeeded");
}

TEST(Refresh, ConcurrentRefreshesNeverOverlap) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 3000);
  std::atomic<int> succeeded{0}, skipped{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto db = t.connect();
      for (int k = 0; k < 3; ++k) {
        const auto out = run_refresh(*db, "cli", this_process());
        (out.status == RunStatus::Succeeded ? succeeded : skipped)++;
        EXPECT_NE(to_string(out.status), "failed") << out.message;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(succeeded + skipped, 12);
  EXPECT_GE(succeeded.load(), 1);
  // Whatever interleaving happened, no two succeeded runs overlap in time.
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM pipeline_runs a JOIN pipeline_runs b ON a.run_id < b.run_id "
                     "WHERE a.status = 'succeeded' AND b.status = 'succeeded' "
                     "AND a.started_at < b.finished_at AND b.started_at < a.finished_at"),
            "0");
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM customer_segments"), "3000");
}

TEST(Refresh, ReadersDuringRefreshNeverSeeAnEmptyTableOrAnError) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 4000);
  ASSERT_EQ(to_string(run_refresh(t.db(), "cli", this_process()).status), "succeeded");
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, bad{0};
  std::string first_problem;
  std::thread reader([&] {
    auto db = t.connect();
    while (!stop) {
      try {
        const auto n = db->query("SELECT COUNT(*) FROM vw_customer_segments").rows.at(0).at(0).value_or("0");
        const auto m = db->query("SELECT COUNT(*) FROM customer_rfm").rows.at(0).at(0).value_or("0");
        if (n != "4000" || m != "4000") {
          if (bad++ == 0) first_problem = "count " + n + "/" + m;
        }
      } catch (const std::exception& e) {
        if (bad++ == 0) first_problem = e.what();
      }
      ++reads;
    }
  });
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(to_string(run_refresh(t.db(), "cli", this_process()).status), "succeeded");
  }
  stop = true;
  reader.join();
  EXPECT_GT(reads.load(), 10);
  EXPECT_EQ(bad.load(), 0) << first_problem;
}

TEST(Refresh, ManualCallFromAnyClientIsRecordedAsManual) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 5);
  t.db().call("CALL refresh_customer_segments()");
  EXPECT_EQ(t.scalar("SELECT CONCAT(`trigger`, '/', status, '/', customers_segmented) FROM pipeline_runs"),
            "manual/succeeded/5");
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM customer_segment_history"), "5");
  EXPECT_EQ(t.scalar("SELECT CAST(JSON_EXTRACT(segment_counts, '$.\"Champions\"') + "
                     "JSON_EXTRACT(segment_counts, '$.\"Lost Customers\"') + "
                     "JSON_EXTRACT(segment_counts, '$.\"At-Risk Customers\"') + "
                     "JSON_EXTRACT(segment_counts, '$.\"New Customers\"') + "
                     "JSON_EXTRACT(segment_counts, '$.\"Loyal Customers\"') + "
                     "JSON_EXTRACT(segment_counts, '$.\"Potential Loyalists\"') AS SIGNED) FROM pipeline_runs"),
            "5");
  EXPECT_NE(t.scalar("SELECT JSON_EXTRACT(step_timings, '$.order_values_ms') FROM pipeline_runs"), "NULL");
}

TEST(Refresh, EventWrapperSkipsWhileRecentRunsSucceedAndRefreshesWhenStale) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 5);
  ASSERT_EQ(to_string(run_refresh(t.db(), "cli", this_process()).status), "succeeded");
  t.db().call("CALL refresh_customer_segments_event()");
  EXPECT_EQ(t.scalar("SELECT CONCAT(`trigger`, '/', status) FROM pipeline_runs ORDER BY run_id DESC LIMIT 1"),
            "event/skipped");
  EXPECT_NE(t.scalar("SELECT message FROM pipeline_runs ORDER BY run_id DESC LIMIT 1").find("within the last 35 days"),
            std::string::npos);

  // The last success is now older than the stale limit: the event refreshes.
  t.db().execute(
      "UPDATE pipeline_runs SET started_at = started_at - INTERVAL 40 DAY, "
      "finished_at = finished_at - INTERVAL 40 DAY WHERE status = 'succeeded'");
  t.db().call("CALL refresh_customer_segments_event()");
  EXPECT_EQ(t.scalar("SELECT CONCAT(`trigger`, '/', status, '/', started_by) FROM pipeline_runs "
                     "ORDER BY run_id DESC LIMIT 1"),
            "event/succeeded/event ev_refresh_customer_segments");

  // A shorter stale limit from the settings table is honoured too.
  t.db().execute("UPDATE segmentation_settings SET event_stale_after_days = 0");
  t.db().call("CALL refresh_customer_segments_event()");
  EXPECT_EQ(t.scalar("SELECT status FROM pipeline_runs ORDER BY run_id DESC LIMIT 1"), "succeeded");
}

TEST(Refresh, TransitionsViewCountsMovesBetweenTheLastTwoSuccessfulRuns) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 30);
  ASSERT_EQ(to_string(run_refresh(t.db(), "cli", this_process()).status), "succeeded");
  EXPECT_EQ(t.scalar("SELECT SUM(customers) FROM vw_segment_transitions WHERE from_segment = '(new)'"), "30");
  t.db().execute("UPDATE order_payments SET payment_value = 1000 WHERE order_id = 'o1000'");
  t.db().execute("DELETE FROM orders WHERE order_id = 'o1001'");
  ASSERT_EQ(to_string(run_refresh(t.db(), "cli", this_process()).status), "succeeded");
  EXPECT_EQ(t.scalar("SELECT SUM(customers) FROM vw_segment_transitions WHERE to_segment <> '(gone)'"), "29");
  EXPECT_EQ(t.scalar("SELECT SUM(customers) FROM vw_segment_transitions WHERE to_segment = '(gone)'"), "1");
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM vw_segment_transitions WHERE from_segment = '(new)'"), "0");
  EXPECT_EQ(t.scalar("SELECT ROUND(SUM(share_pct)) FROM vw_segment_summary"), "100");
}

}  // namespace
}  // namespace segmentd::test
