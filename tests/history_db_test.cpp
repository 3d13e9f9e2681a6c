// Compact segment history (V014) against full snapshots: after random
// changes made with plain SQL, every kept run's state read from the changes
// equals what the live results said right after that run; transitions
// between any two kept runs are right; retention and the migration from
// full copies keep every kept run answerable. Seeded: SEGMENTD_TEST_SEED
// replays a failure.

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "embedded_sql.h"
#include "refresh.h"
#include "retention.h"
#include "sql_script.h"
#include "test_database.h"

namespace segmentd::test {
namespace {

using Snapshot = std::map<std::string, std::string>;  // customer -> "rfm_code segment"

Snapshot read_snapshot(TestDatabase& t, const std::string& sql) {
  Snapshot out;
  for (const auto& row : t.db().query(sql).rows) out[row.at(0).value_or("")] = row.at(1).value_or("NULL");
  return out;
}

Snapshot live(TestDatabase& t) {
  return read_snapshot(t, "SELECT customer_unique_id, CONCAT(rfm_code, ' ', segment_name) FROM customer_segments");
}

Snapshot at_run(TestDatabase& t, std::uint64_t run) {
  return read_snapshot(t,
                       "SELECT customer_unique_id, CONCAT(rfm_code, ' ', segment_name) FROM vw_customer_segment_at_run "
                       "WHERE run_id = " +
                           std::to_string(run));
}

std::string segment_of(const std::string& state) {
  return state.substr(state.find(' ') + 1);
}

// doc/MODEL.md's query for the movement between two kept runs.
std::map<std::string, std::uint64_t> transitions(TestDatabase& t, std::uint64_t from, std::uint64_t to) {
  const std::string a = std::to_string(from), b = std::to_string(to);
  std::map<std::string, std::uint64_t> out;
  const DbResult r = t.db().query(
      "SELECT COALESCE(a.segment_name, '(new)'), COALESCE(b.segment_name, '(gone)'), COUNT(*) "
      "FROM (SELECT DISTINCT customer_unique_id FROM vw_customer_segment_at_run WHERE run_id IN (" +
      a + ", " + b +
      ")) AS k "
      "LEFT JOIN vw_customer_segment_at_run a ON a.run_id = " +
      a +
      " AND a.customer_unique_id = k.customer_unique_id "
      "LEFT JOIN vw_customer_segment_at_run b ON b.run_id = " +
      b + " AND b.customer_unique_id = k.customer_unique_id GROUP BY 1, 2");
  for (const auto& row : r.rows) out[*row.at(0) + " > " + *row.at(1)] = std::stoull(row.at(2).value_or("0"));
  return out;
}

std::map<std::string, std::uint64_t> expected_transitions(const Snapshot& from, const Snapshot& to) {
  std::map<std::string, std::uint64_t> out;
  for (const auto& [id, state] : to) {
    const auto was = from.find(id);
    ++out[(was == from.end() ? "(new)" : segment_of(was->second)) + " > " + segment_of(state)];
  }
  for (const auto& [id, state] : from) {
    if (to.count(id) == 0) ++out[segment_of(state) + " > (gone)"];
  }
  return out;
}

// A day's worth of changes, as any client could make them: new customers
// with an order, changed payments, canceled orders (not counted), and
// customers whose orders are deleted (they leave the results).
void random_changes(TestDatabase& t, std::mt19937& rng, int& next_id) {
  std::uniform_int_distribution<int> pct(0, 99), value(5, 600), day(0, 400);
  for (int n = std::uniform_int_distribution<int>(0, 6)(rng); n > 0; --n) {
    const std::string id = std::to_string(next_id++);
    t.db().update("INSERT INTO customers (customer_id, customer_unique_id) VALUES (?, ?)", {"c" + id, "u" + id});
    t.db().update(
        "INSERT INTO orders (order_id, customer_id, order_status, order_purchase_timestamp) "
        "VALUES (?, ?, 'delivered', '2018-01-01 00:00:00' + INTERVAL ? DAY)",
        {"o" + id, "c" + id, static_cast<std::int64_t>(day(rng))});
    t.db().update("INSERT INTO order_payments VALUES (?, 1, 'boleto', 1, ?)",
                  {"o" + id, std::to_string(value(rng)) + ".00"});
  }
  const DbResult orders = t.db().query("SELECT order_id FROM orders ORDER BY order_id");
  for (const auto& row : orders.rows) {
    const std::string order = row.at(0).value_or("");
    const int roll = pct(rng);
    if (roll < 8) {
      t.db().update("UPDATE order_payments SET payment_value = ? WHERE order_id = ?",
                    {std::to_string(value(rng)) + ".00", order});
    } else if (roll < 10) {
      t.db().update("UPDATE orders SET order_status = 'canceled' WHERE order_id = ?", {order});
    } else if (roll < 12) {
      t.db().update("DELETE FROM order_payments WHERE order_id = ?", {order});
      t.db().update("DELETE FROM orders WHERE order_id = ?", {order});
    }
  }
}

// Retention of history only (no inbox here, so no ledger rows either).
RetentionConfig history_policy(unsigned keep_last) {
  RetentionConfig policy;
  policy.history_runs = keep_last;
  policy.monthly_snapshots = 0;
  policy.ingested_files_days = 0;
  return policy;
}

std::uint64_t refresh(TestDatabase& t) {
  const auto out = run_refresh(t.db(), "cli", this_process());
  EXPECT_EQ(to_string(out.status), "succeeded") << out.message;
  return out.run_id;
}

TEST(History, EveryKeptRunAnswersAsItsFullSnapshotWould) {
  const std::uint32_t seed = test_seed();
  SCOPED_TRACE("SEGMENTD_TEST_SEED=" + std::to_string(seed));
  std::mt19937 rng(seed);
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 60);
  int next_id = 5000;
  std::map<std::uint64_t, Snapshot> snapshots;
  Snapshot previous;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) random_changes(t, rng, next_id);
    // Now and then the live results are no run's (segment_state lost its
    // run): the run stores everything, and who left, instead.
    const bool unnamed = round == 6;
    if (unnamed) t.db().execute("UPDATE segment_state SET run_id = NULL");
    if (round == 4) t.db().execute("UPDATE segmentation_settings SET scoring_method = 'quantile'");
    const std::uint64_t run = refresh(t);
    const Snapshot now = live(t);
    snapshots[run] = now;
    const bool full = round == 0 || unnamed;
    const std::string run_text = std::to_string(run);
    EXPECT_EQ(t.scalar("SELECT full_snapshot FROM segment_history_runs WHERE run_id = " + run_text), full ? "1" : "0")
        << "round " << round;
    // A run stores exactly the customers whose state changed, who came
    // and who left; a full one everybody, and who left.
    std::uint64_t expected = 0;
    for (const auto& [id, state] : now) {
      const auto was = previous.find(id);
      if (full || was == previous.end() || was->second != state) ++expected;
    }
    for (const auto& [id, state] : previous) expected += now.count(id) == 0 ? 1 : 0;
    EXPECT_EQ(t.scalar("SELECT CONCAT(changes, '/', customers) FROM segment_history_runs WHERE run_id = " + run_text),
              std::to_string(expected) + "/" + std::to_string(now.size()))
        << "round " << round;
    EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM customer_segment_changes WHERE run_id = " + run_text),
              std::to_string(expected));
    previous = now;
  }
  for (const auto& [run, snapshot] : snapshots) EXPECT_EQ(at_run(t, run), snapshot) << "run " << run;
  for (auto a = snapshots.begin(); a != snapshots.end(); ++a) {
    for (auto b = std::next(a); b != snapshots.end(); ++b) {
      EXPECT_EQ(transitions(t, a->first, b->first), expected_transitions(a->second, b->second))
          << "runs " << a->first << " > " << b->first;
    }
  }
  // The old table's name still answers, run by run.
  const auto last = snapshots.rbegin();
  EXPECT_EQ(read_snapshot(t,
                          "SELECT customer_unique_id, CONCAT(rfm_code, ' ', segment_name) FROM "
                          "customer_segment_history WHERE run_id = " +
                              std::to_string(last->first)),
            last->second);

  // Retention keeps the newest three (and the two compared): what it
  // removes is carried forward, so the kept runs still answer the same.
  const RetentionConfig policy = history_policy(3);
  RetentionOptions options;
  options.history_batch = 7;  // several batches per run
  const auto report = run_retention(t.db(), policy, InboxConfig{}, "cli", this_process(), options);
  ASSERT_EQ(to_string(report.status), "succeeded") << report.message;
  EXPECT_EQ(report.history_runs_removed.size(), snapshots.size() - 3);
  EXPECT_GT(report.history_rows_carried, 0u);
  std::set<std::uint64_t> kept;
  for (const auto& row : t.db().query("SELECT run_id FROM vw_segment_history_runs").rows) {
    kept.insert(std::stoull(*row.at(0)));
  }
  EXPECT_EQ(kept.size(), 3u);
  for (const auto& [run, snapshot] : snapshots) {
    if (kept.count(run) != 0) {
      EXPECT_EQ(at_run(t, run), snapshot) << "kept run " << run;
    } else {
      EXPECT_TRUE(at_run(t, run).empty()) << "removed run " << run;
    }
  }
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM customer_segment_changes WHERE run_id NOT IN "
                     "(SELECT run_id FROM segment_history_runs)"),
            "0");
  // And the next refresh still compares with the newest kept run.
  random_changes(t, rng, next_id);
  const std::uint64_t after = refresh(t);
  EXPECT_EQ(t.scalar("SELECT full_snapshot FROM segment_history_runs WHERE run_id = " + std::to_string(after)), "0");
  EXPECT_EQ(at_run(t, after), live(t));
}

// A customer who leaves at a run that retention removes must stay gone at
// the next kept run, not come back with the state it had before.
TEST(History, ADepartureAtARemovedRunIsCarriedForward) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 20);
  const std::uint64_t r1 = refresh(t);
  t.db().execute("DELETE FROM order_payments WHERE order_id = 'o1003'");
  t.db().execute("DELETE FROM orders WHERE order_id = 'o1003'");
  const std::uint64_t r2 = refresh(t);
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM customer_segment_changes WHERE run_id = " + std::to_string(r2) +
                     " AND customer_unique_id = 'u1003' AND segment_name IS NULL"),
            "1");
  t.db().execute("UPDATE order_payments SET payment_value = payment_value + 100 WHERE order_id = 'o1010'");
  const std::uint64_t r3 = refresh(t);
  const Snapshot at_r3 = at_run(t, r3);
  const std::uint64_t r4 = refresh(t);
  ASSERT_EQ(at_r3.count("u1003"), 0u);
  const RetentionConfig policy = history_policy(1);  // keeps r4 and, as the compared pair, r3
  const auto report = run_retention(t.db(), policy, InboxConfig{}, "cli", this_process());
  ASSERT_EQ(report.history_runs_removed, (std::vector<std::uint64_t>{r1, r2}));
  EXPECT_EQ(at_run(t, r3), at_r3);
  EXPECT_EQ(at_run(t, r4), live(t));
  // r3 is now the oldest kept run: a departure there says nothing.
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM customer_segment_changes WHERE segment_name IS NULL"), "0");
}

// Rows a refresh left behind when it died before its swap belong to a run
// that did not succeed: never read, and no obstacle to the next run.
TEST(History, RowsOfARunThatDidNotSucceedAreNeverRead) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 15);
  const std::uint64_t r1 = refresh(t);
  const Snapshot before = at_run(t, r1);
  t.db().execute(
      "INSERT INTO pipeline_runs (kind, `trigger`, status, started_at) VALUES ('refresh', 'cli', 'failed', "
      "UTC_TIMESTAMP())");
  const std::string dead = t.scalar("SELECT LAST_INSERT_ID()");
  t.db().execute("INSERT INTO customer_segment_changes VALUES (" + dead + ", 'u1000', 5, 5, 5, '555', 'Champions')");
  t.db().execute("INSERT INTO customer_segment_changes (run_id, customer_unique_id) VALUES (" + dead + ", 'u1001')");
  t.db().execute("INSERT INTO segment_history_runs VALUES (" + dead + ", 15, 2, 0)");
  EXPECT_EQ(at_run(t, r1), before);
  EXPECT_TRUE(at_run(t, std::stoull(dead)).empty());
  t.db().execute("UPDATE order_payments SET payment_value = payment_value * 3 WHERE order_id < 'o1005'");
  const std::uint64_t r2 = refresh(t);
  EXPECT_EQ(at_run(t, r2), live(t));
  EXPECT_EQ(at_run(t, r1), before);
  const auto report = run_retention(t.db(), history_policy(30), InboxConfig{}, "cli", this_process());
  EXPECT_EQ(report.history_runs_removed, (std::vector<std::uint64_t>{std::stoull(dead)}));
  EXPECT_EQ(report.history_rows_carried, 0u);
  EXPECT_EQ(at_run(t, r2), live(t));
}

// A database migrated from full copies (V013 and before) answers every
// kept successful run as its copy did; a failed run's copy is dropped.
TEST(History, MigratingFullCopiesKeepsEveryRunAnswerable) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 30);
  std::mt19937 rng(7);
  int next_id = 5000;
  std::map<std::uint64_t, Snapshot> snapshots;
  t.db().execute(
      "CREATE TABLE test_copies (run_id BIGINT UNSIGNED, customer_unique_id VARCHAR(32), r_score TINYINT UNSIGNED, "
      "f_score TINYINT UNSIGNED, m_score TINYINT UNSIGNED, rfm_code CHAR(3), segment_name VARCHAR(64))");
  for (int round = 0; round < 5; ++round) {
    if (round > 0) random_changes(t, rng, next_id);
    const std::uint64_t run = refresh(t);
    snapshots[run] = live(t);
    t.db().update(
        "INSERT INTO test_copies SELECT ?, customer_unique_id, r_score, f_score, m_score, rfm_code, segment_name "
        "FROM customer_segments",
        {static_cast<std::int64_t>(run)});
  }
  t.db().execute(
      "INSERT INTO pipeline_runs (kind, `trigger`, status, started_at) VALUES ('refresh', 'cli', 'failed', "
      "UTC_TIMESTAMP())");
  const std::string failed = t.scalar("SELECT LAST_INSERT_ID()");
  t.db().execute("INSERT INTO test_copies SELECT " + failed +
                 ", customer_unique_id, 1, 1, 1, '111', 'Lost Customers' FROM customer_segments");
  // Back to V013's table of full copies.
  t.db().execute("DROP VIEW customer_segment_history");
  t.db().execute("DROP TABLE customer_segment_changes, segment_history_runs");
  t.db().execute(
      "CREATE TABLE customer_segment_history (run_id BIGINT UNSIGNED NOT NULL, customer_unique_id VARCHAR(32) "
      "CHARACTER SET ascii COLLATE ascii_bin NOT NULL, r_score TINYINT UNSIGNED NOT NULL, f_score TINYINT UNSIGNED "
      "NOT NULL, m_score TINYINT UNSIGNED NOT NULL, rfm_code CHAR(3) NOT NULL, segment_name VARCHAR(64) NOT NULL, "
      "PRIMARY KEY (run_id, customer_unique_id))");
  t.db().execute("INSERT INTO customer_segment_history SELECT * FROM test_copies");
  t.db().execute("DELETE FROM schema_migrations WHERE version = 14");
  t.migrate();
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND "
                     "table_name = 'customer_segment_history' AND table_type = 'VIEW'"),
            "1");
  for (const auto& [run, snapshot] : snapshots) EXPECT_EQ(at_run(t, run), snapshot) << "run " << run;
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM customer_segment_changes WHERE run_id = " + failed), "0");
  EXPECT_EQ(t.scalar("SELECT SUM(full_snapshot) FROM segment_history_runs"), "1");
  // The next refresh goes on from the migrated history.
  random_changes(t, rng, next_id);
  const std::uint64_t next = refresh(t);
  EXPECT_EQ(t.scalar("SELECT full_snapshot FROM segment_history_runs WHERE run_id = " + std::to_string(next)), "0");
  EXPECT_EQ(at_run(t, next), live(t));
}

}  // namespace
}  // namespace segmentd::test
