// Incremental refresh (V015, R011, R050) against full recomputation: two
// databases get the same random changes, made with plain SQL; one is
// refreshed incrementally, the other in full, and after every round every
// customer, the movement figures, the report's figures and the history
// must be the same in both, for both scoring methods and the as-of modes.
// Also: what makes a refresh full, and a refresh killed half way. Seeded:
// SEGMENTD_TEST_SEED replays a failure.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "errors.h"
#include "refresh.h"
#include "test_database.h"

namespace segmentd::test {
namespace {

// Customers with one to three orders, each with items and payments.
std::vector<std::string> base_data(std::mt19937& rng, int customers) {
  std::vector<std::string> sql;
  std::uniform_int_distribution<int> orders(1, 3), day(0, 500), cents(500, 90000);
  int order = 0;
  for (int c = 0; c < customers; ++c) {
    const std::string id = std::to_string(1000 + c);
    sql.push_back("INSERT INTO customers (customer_id, customer_unique_id) VALUES ('c" + id + "', 'u" + id + "')");
    for (int n = orders(rng); n > 0; --n) {
      const std::string o = "o" + std::to_string(order++);
      sql.push_back("INSERT INTO orders (order_id, customer_id, order_status, order_purchase_timestamp) VALUES ('" + o +
                    "', 'c" + id + "', 'delivered', '2017-01-01 08:00:00' + INTERVAL " + std::to_string(day(rng)) +
                    " DAY)");
      sql.push_back(
          "INSERT INTO order_items (order_id, order_item_id, product_id, seller_id, price, freight_value) VALUES ('" +
          o + "', 1, 'p1', 's1', " + std::to_string(cents(rng) / 100.0) + ", 5)");
      if (rng() % 5 != 0) {
        sql.push_back("INSERT INTO order_payments VALUES ('" + o + "', 1, 'boleto', 1, " +
                      std::to_string(cents(rng) / 100.0) + ")");
      }
    }
  }
  return sql;
}

// A day of changes as any client could make them.
std::vector<std::string> random_changes(std::mt19937& rng, int& next_id, int customers) {
  std::vector<std::string> sql;
  std::uniform_int_distribution<int> pick(1000, 999 + customers), pct(0, 99), day(0, 560), cents(500, 90000);
  for (int n = std::uniform_int_distribution<int>(0, 5)(rng); n > 0; --n) {
    const std::string id = std::to_string(next_id++);
    // Half of the new orders belong to a new customer, half to a known one.
    const std::string customer = pct(rng) < 50 ? "c" + id : "c" + std::to_string(pick(rng));
    if (customer == "c" + id) {
      sql.push_back("INSERT INTO customers (customer_id, customer_unique_id) VALUES ('c" + id + "', 'u" + id + "')");
    }
    sql.push_back("INSERT INTO orders (order_id, customer_id, order_status, order_purchase_timestamp) VALUES ('n" + id +
                  "', '" + customer + "', '" + (pct(rng) < 80 ? "delivered" : "shipped") +
                  "', '2017-01-01 08:00:00' + INTERVAL " + std::to_string(day(rng)) + " DAY)");
    sql.push_back("INSERT INTO order_payments VALUES ('n" + id + "', 1, 'credit_card', 1, " +
                  std::to_string(cents(rng) / 100.0) + ")");
  }
  for (int n = std::uniform_int_distribution<int>(0, 4)(rng); n > 0; --n) {
    const std::string c = std::to_string(pick(rng));
    switch (pct(rng) % 8) {
      case 0:
        sql.push_back("UPDATE order_payments p JOIN orders o ON o.order_id = p.order_id SET p.payment_value = " +
                      std::to_string(cents(rng) / 100.0) + " WHERE o.customer_id = 'c" + c + "'");
        break;
      case 1:
        sql.push_back("UPDATE orders SET order_status = 'canceled' WHERE customer_id = 'c" + c +
                      "' ORDER BY order_id LIMIT 1");
        break;
      case 2:
        sql.push_back(
            "UPDATE orders SET order_status = 'delivered' WHERE order_status = 'canceled' ORDER BY order_id LIMIT 1");
        break;
      case 3:
        sql.push_back(
            "DELETE p FROM order_payments p JOIN orders o ON o.order_id = p.order_id WHERE o.customer_id = 'c" + c +
            "'");
        break;
      case 4:
        sql.push_back("DELETE FROM orders WHERE customer_id = 'c" + c + "'");
        break;
      case 5:
        // Two customer ids of one person: their orders merge.
        sql.push_back("UPDATE customers SET customer_unique_id = 'u" + std::to_string(pick(rng)) +
                      "' WHERE customer_id = 'c" + c + "'");
        break;
      case 6:
        sql.push_back("DELETE FROM customers WHERE customer_id = 'c" + c + "'");
        break;
      default:
        sql.push_back(
            "UPDATE order_items i JOIN orders o ON o.order_id = i.order_id SET i.price = i.price + 7 "
            "WHERE o.customer_id = 'c" +
            c + "'");
        break;
    }
  }
  return sql;
}

void apply_sql(TestDatabase& t, const std::vector<std::string>& sql) {
  for (const auto& s : sql) t.db().execute(s);
}

std::string everyone(TestDatabase& t) {
  return t.scalar(
      "SELECT CONCAT(COUNT(*), ':', COALESCE(GROUP_CONCAT(CONCAT_WS('/', customer_unique_id, first_purchase_date, "
      "last_purchase_date, recency_days, frequency, monetary, rfm_code, segment_name) ORDER BY customer_unique_id "
      "SEPARATOR ' '), '')) FROM customer_segments");
}

std::string figures(TestDatabase& t, std::uint64_t run) {
  const std::string r = std::to_string(run);
  return t.scalar(
      "SELECT CONCAT_WS(' | ', (SELECT GROUP_CONCAT(CONCAT_WS('/', from_segment, to_segment, customers) "
      "ORDER BY from_segment, to_segment) FROM segment_run_transitions WHERE run_id = " +
      r +
      "), (SELECT GROUP_CONCAT(CONCAT_WS('/', r_score, f_score, m_score, recency_bin, frequency_bin, "
      "monetary_bin, customers, revenue, recency_days_sum) ORDER BY r_score, f_score, m_score, "
      "recency_bin, frequency_bin, monetary_bin) FROM segment_run_cells WHERE run_id = " +
      r + "), (SELECT segment_counts FROM pipeline_runs WHERE run_id = " + r + "))");
}

std::string history_at(TestDatabase& t, std::uint64_t run) {
  return t.scalar(
      "SELECT COALESCE(GROUP_CONCAT(CONCAT(customer_unique_id, ':', rfm_code, ':', segment_name) ORDER BY "
      "customer_unique_id), '') FROM vw_customer_segment_at_run WHERE run_id = " +
      std::to_string(run));
}

nlohmann::json details(TestDatabase& t, std::uint64_t run) {
  return nlohmann::json::parse(
      t.scalar("SELECT CAST(details AS CHAR) FROM pipeline_runs WHERE run_id = " + std::to_string(run)));
}

std::uint64_t refresh(TestDatabase& t, RefreshMode mode = RefreshMode::Auto) {
  const auto out = run_refresh(t.db(), "cli", this_process(), mode);
  EXPECT_EQ(to_string(out.status), "succeeded") << out.message;
  return out.run_id;
}

void incremental_equals_full(const std::string& method) {
  const std::uint32_t seed = test_seed();
  SCOPED_TRACE("SEGMENTD_TEST_SEED=" + std::to_string(seed) + " method=" + method);
  std::mt19937 rng(seed);
  TestDatabase inc, full;
  const int customers = 120;
  const auto base = base_data(rng, customers);
  for (TestDatabase* t : {&inc, &full}) {
    t->migrate();
    t->db().execute("UPDATE segmentation_settings SET scoring_method = '" + method + "'");
    apply_sql(*t, base);
  }
  refresh(inc);
  refresh(full, RefreshMode::Full);
  int next_id = 90000;
  unsigned incremental_runs = 0;
  for (int round = 0; round < 15; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const auto changes = random_changes(rng, next_id, customers);
    apply_sql(inc, changes);
    apply_sql(full, changes);
    // A settings change forces a full recomputation, and is exact too.
    if (round == 9) {
      for (TestDatabase* t : {&inc, &full}) t->db().execute("UPDATE segmentation_settings SET as_of = '2018-09-01'");
    }
    // As after the upgrade to V016: the live count unknown, so counted.
    if (round == 5) inc.db().execute("UPDATE segment_state SET customers = NULL");
    const std::uint64_t a = refresh(inc);
    const std::uint64_t b = refresh(full, RefreshMode::Full);
    const auto how = details(inc, a);
    if (round == 9) {
      EXPECT_EQ(how["mode"], "full");
      EXPECT_EQ(how["full_reason"], "the settings or rules changed");
    } else {
      EXPECT_EQ(how["mode"], "incremental") << how.dump();
      ++incremental_runs;
    }
    ASSERT_EQ(everyone(inc), everyone(full));
    EXPECT_EQ(figures(inc, a), figures(full, b));
    EXPECT_EQ(history_at(inc, a), history_at(full, b));
    EXPECT_EQ(inc.scalar("SELECT as_of FROM segment_state"), full.scalar("SELECT as_of FROM segment_state"));
  }
  EXPECT_EQ(incremental_runs, 14u);
  // The log is emptied as it is read.
  EXPECT_EQ(inc.scalar("SELECT COUNT(*) FROM segment_input_changes"), "0");
  // A full refresh over what the incremental ones built agrees with them.
  const std::uint64_t check = refresh(inc, RefreshMode::Full);
  EXPECT_EQ(details(inc, check)["live_check"], "matched the live results");
  EXPECT_EQ(details(inc, check)["live_mismatches"], 0);
}

TEST(Incremental, EqualsAFullRefreshAfterRandomChangesWithNtile) {
  incremental_equals_full("ntile");
}

TEST(Incremental, EqualsAFullRefreshAfterRandomChangesWithQuantile) {
  incremental_equals_full("quantile");
}

TEST(Incremental, SaysWhyARefreshIsFull) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 30);
  const auto first = refresh(t);
  EXPECT_EQ(details(t, first)["full_reason"], "no live results to update");
  t.db().execute("UPDATE order_payments SET payment_value = 999 WHERE order_id = 'o1001'");
  const auto second = refresh(t);
  EXPECT_EQ(details(t, second)["mode"], "incremental");
  EXPECT_EQ(details(t, second)["changed_orders"], 1);
  EXPECT_EQ(t.scalar("SELECT monetary FROM customer_segments WHERE customer_unique_id = 'u1001'"), "999.00");

  // Nothing changed: an incremental refresh that touches nobody.
  const auto idle = refresh(t);
  EXPECT_EQ(details(t, idle)["mode"], "incremental");
  EXPECT_EQ(details(t, idle)["changed_orders"], 0);
  EXPECT_EQ(details(t, idle)["history_changes"], 0);

  // Asked for: a full one that checks the incremental state.
  const auto asked = refresh(t, RefreshMode::Full);
  EXPECT_EQ(details(t, asked)["full_reason"], "asked for");
  EXPECT_EQ(details(t, asked)["live_check"], "matched the live results");
  t.db().call("CALL refresh_customer_segments_full()");
  EXPECT_EQ(t.scalar("SELECT JSON_UNQUOTE(JSON_EXTRACT(details, '$.full_reason')) FROM pipeline_runs "
                     "ORDER BY run_id DESC LIMIT 1"),
            "asked for");

  // Results someone changed by hand are found out by the next full one.
  t.db().execute("UPDATE customer_scores SET r_score = 6 - r_score WHERE customer_unique_id IN ('u1002', 'u1003')");
  const auto found = refresh(t, RefreshMode::Full);
  EXPECT_EQ(details(t, found)["live_mismatches"], 2);
  EXPECT_EQ(details(t, found)["live_check"], "2 customers differed from the live results");

  // Without the triggers a change could go unseen: full, saying why.
  t.db().execute("DROP TRIGGER segmentd_track_order_items_update");
  const auto untracked = refresh(t);
  EXPECT_EQ(details(t, untracked)["full_reason"],
            "change tracking is not installed (the input tables lack segmentd's triggers)");
  t.migrate();  // puts them back
  EXPECT_EQ(details(t, refresh(t))["mode"], "incremental");

  // A load too big to log row by row leaves one "anything changed" row.
  t.db().execute("INSERT INTO segment_input_changes (order_id, customer_id) VALUES (NULL, NULL)");
  EXPECT_EQ(details(t, refresh(t))["full_reason"], "a change too large to track row by row (a bulk load)");
  EXPECT_EQ(details(t, refresh(t))["mode"], "incremental");

  // Rules that resolve differently: full. (Rules that resolve the same,
  // whatever their text, change nothing and stay incremental.)
  t.db().execute("UPDATE rfm_segment_rules SET priority = priority + 100 WHERE segment_name = 'Champions'");
  EXPECT_EQ(details(t, refresh(t))["mode"], "incremental");
  t.db().execute("UPDATE rfm_segment_rules SET segment_name = 'Top Customers' WHERE segment_name = 'Champions'");
  EXPECT_EQ(details(t, refresh(t))["full_reason"], "the settings or rules changed");
}

// Changes made with a client while no refresh runs are all in the log, in
// their own transactions: one rolled back leaves nothing.
TEST(Incremental, TheLogHoldsEveryCommittedChangeAndNoRolledBackOne) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 5);
  refresh(t);
  t.db().execute("START TRANSACTION");
  t.db().execute("UPDATE orders SET order_status = 'canceled' WHERE order_id = 'o1000'");
  t.db().execute("ROLLBACK");
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM segment_input_changes"), "0");
  t.db().execute("UPDATE customers SET customer_unique_id = 'u1001' WHERE customer_id = 'c1002'");
  t.db().execute("DELETE FROM order_payments WHERE order_id = 'o1003'");
  t.db().execute(
      "INSERT INTO order_items (order_id, order_item_id, product_id, seller_id, price, freight_value) VALUES "
      "('o1004', 1, 'p1', 's1', 5, 1)");
  EXPECT_EQ(t.scalar("SELECT GROUP_CONCAT(COALESCE(order_id, customer_id) ORDER BY seq) FROM segment_input_changes"),
            "c1002,o1003,o1004");
  const auto run = refresh(t);
  EXPECT_EQ(details(t, run)["mode"], "incremental");
  // u1001 now has two orders (its own and c1002's), and u1002 left.
  EXPECT_EQ(t.scalar("SELECT frequency FROM customer_segments WHERE customer_unique_id = 'u1001'"), "2");
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM customer_segments WHERE customer_unique_id = 'u1002'"), "0");
  EXPECT_EQ(t.scalar("SELECT segment_name IS NULL FROM customer_segment_changes WHERE run_id = " + std::to_string(run) +
                     " AND customer_unique_id = 'u1002'"),
            "1");
}

// The connection of an incremental refresh is killed at its end, holding
// everything: the live results, the log and the boundaries are as before,
// the run is not a success, and the next refresh is still exact.
TEST(Incremental, AKilledRefreshLeavesThePreviousResultsAndTheNextIsExact) {
  TestDatabase t;
  t.migrate();
  std::mt19937 rng(11);
  apply_sql(t, base_data(rng, 60));
  refresh(t);
  int next_id = 90000;
  apply_sql(t, random_changes(rng, next_id, 60));
  apply_sql(t, random_changes(rng, next_id, 60));
  const std::string before = everyone(t);
  const std::string logged = t.scalar("SELECT COUNT(*) FROM segment_input_changes");
  ASSERT_NE(logged, "0");
  // Another session holds the boundaries' rows, which the refresh rewrites
  // last: it waits there with all its work done, until killed.
  auto blocker = t.connect();
  blocker->execute("START TRANSACTION");
  blocker->query("SELECT * FROM segment_score_bounds FOR UPDATE");
  auto victim = t.connect();
  const std::string victim_id = victim->query("SELECT CONNECTION_ID()").rows.at(0).at(0).value_or("");
  std::thread runner([&] {
    try {
      run_refresh(*victim, "cli", this_process());
    } catch (const DbError&) {
      // The connection is gone: that is the point.
    }
  });
  bool waiting = false;
  for (int i = 0; i < 200 && !waiting; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    waiting = t.scalar("SELECT COUNT(*) FROM information_schema.innodb_trx WHERE trx_mysql_thread_id = " + victim_id +
                       " AND trx_state = 'LOCK WAIT'") != "0";
  }
  EXPECT_TRUE(waiting) << "the refresh never reached the boundaries";
  t.db().execute("KILL " + victim_id);
  runner.join();
  blocker->execute("ROLLBACK");
  EXPECT_EQ(everyone(t), before);
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM segment_input_changes"), logged);
  EXPECT_EQ(t.scalar("SELECT status FROM pipeline_runs ORDER BY run_id DESC LIMIT 1"), "running");

  const auto next = refresh(t);
  EXPECT_EQ(details(t, next)["mode"], "incremental");
  const std::string incremental = everyone(t);
  refresh(t, RefreshMode::Full);
  EXPECT_EQ(everyone(t), incremental);
}

}  // namespace
}  // namespace segmentd::test
