// The segment report against the database: every figure of the segment
// table, the heatmap, the movement matrix and the lifecycle table equals
// what SQL over the results and the history says; first run, no movement,
// an empty segment and no results at all render; nothing is fetched.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "embedded_sql.h"
#include "refresh.h"
#include "report.h"
#include "sql_script.h"
#include "test_database.h"

namespace segmentd::test {
namespace {

struct Page {
  std::string html;
  std::map<std::string, std::string> v;  // data-k -> data-v
  bool has(const std::string& key) const { return html.find("data-k=\"" + key + "\"") != std::string::npos; }
  const std::string& at(const std::string& key) const {
    const auto it = v.find(key);
    if (it == v.end()) throw std::out_of_range("no figure " + key);
    return it->second;
  }
};

Page report(TestDatabase& t) {
  const auto file = t.scratch() / "report.html";
  const ReportFile r = write_report(t.db(), file);
  EXPECT_GT(r.bytes, 0u);
  Page p;
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  p.html = s.str();
  static const std::regex figure("data-k=\"([^\"]*)\" data-v=\"([^\"]*)\"");
  for (std::sregex_iterator it(p.html.begin(), p.html.end(), figure), end; it != end; ++it) {
    p.v[(*it)[1]] = (*it)[2];
  }
  struct stat st {};
  ::stat(file.c_str(), &st);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  return p;
}

std::uint64_t refresh(TestDatabase& t) {
  const auto out = run_refresh(t.db(), "cli", this_process());
  EXPECT_EQ(to_string(out.status), "succeeded") << out.message;
  return out.run_id;
}

void expect_segments_match(TestDatabase& t, const Page& p) {
  const DbResult rows = t.db().query(
      "SELECT segment_name, COUNT(*), SUM(monetary), ROUND(AVG(monetary), 2), ROUND(AVG(frequency), 2) "
      "FROM customer_segments GROUP BY segment_name");
  ASSERT_FALSE(rows.rows.empty());
  for (const auto& row : rows.rows) {
    const std::string k = "segment." + *row[0] + ".";
    EXPECT_EQ(p.at(k + "customers"), *row[1]) << k;
    EXPECT_EQ(p.at(k + "revenue"), *row[2]) << k;
    EXPECT_EQ(p.at(k + "avg_spend"), *row[3]) << k;
    EXPECT_EQ(p.at(k + "avg_frequency"), *row[4]) << k;
  }
  for (int r = 1; r <= 5; ++r) {
    for (int f = 1; f <= 5; ++f) {
      const std::string n = t.scalar("SELECT COUNT(*) FROM customer_segments WHERE r_score = " + std::to_string(r) +
                                     " AND f_score = " + std::to_string(f));
      EXPECT_EQ(p.at("heat.customers.r" + std::to_string(r) + "f" + std::to_string(f)), n) << r << f;
    }
  }
  EXPECT_EQ(p.at("header.customers"), t.scalar("SELECT COUNT(*) FROM customer_segments"));
  std::uint64_t binned = 0;
  for (const auto& [k, v] : p.v) {
    if (k.rfind("dist.monetary.", 0) == 0) binned += std::stoull(v);
  }
  EXPECT_EQ(std::to_string(binned), t.scalar("SELECT COUNT(*) FROM customer_segments"));
}

TEST(Report, FirstRunMatchesTheDatabaseAndFetchesNothing) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 300);
  t.db().execute(
      "UPDATE rfm_segment_rules SET description = '<script>alert(1)</script> & co' "
      "WHERE segment_name = 'Champions'");
  const auto run = refresh(t);
  const Page p = report(t);
  EXPECT_EQ(p.at("header.run_id"), std::to_string(run));
  expect_segments_match(t, p);
  EXPECT_TRUE(p.has("movement.none"));
  EXPECT_TRUE(p.has("trend.short"));
  EXPECT_EQ(p.at("life.customers.now"), "300");
  EXPECT_EQ(p.at("life.customers.previous"), "");
  EXPECT_EQ(p.html.find("<script"), std::string::npos) << "a description was not escaped";
  EXPECT_NE(p.html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"), std::string::npos);
  EXPECT_NE(p.html.find("default-src 'none'"), std::string::npos);
  for (const char* outside : {"http://", "https://", "src=", "href=", "@import", "url("}) {
    EXPECT_EQ(p.html.find(outside), std::string::npos) << outside;
  }
  EXPECT_TRUE(p.has("action.Champions"));
  EXPECT_NE(p.html.find("Reward them"), std::string::npos) << "the default Champions action";
}

TEST(Report, MovementAndLifecycleMatchTheHistory) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 300);
  const auto first = refresh(t);
  // A third of the customers spend far more: they move up.
  t.db().execute("UPDATE order_payments SET payment_value = payment_value * 20 WHERE MOD(CRC32(order_id), 3) = 0");
  const auto second = refresh(t);
  const Page p = report(t);
  EXPECT_EQ(p.at("header.previous_run_id"), std::to_string(first));
  expect_segments_match(t, p);
  const DbResult flows = t.db().query(
      "SELECT a.segment_name, b.segment_name, COUNT(*) FROM customer_segment_history a "
      "JOIN customer_segment_history b ON b.customer_unique_id = a.customer_unique_id AND b.run_id = ? "
      "WHERE a.run_id = ? GROUP BY a.segment_name, b.segment_name",
      {static_cast<std::int64_t>(second), static_cast<std::int64_t>(first)});
  std::uint64_t moved = 0, total = 0;
  for (const auto& row : flows.rows) {
    EXPECT_EQ(p.at("move." + *row[0] + "." + *row[1]), *row[2]) << *row[0] << " -> " << *row[1];
    total += std::stoull(*row[2]);
    if (*row[0] != *row[1]) moved += std::stoull(*row[2]);
  }
  EXPECT_EQ(total, 300u);
  ASSERT_GT(moved, 0u) << "the change moved nobody: the test proves nothing";
  EXPECT_FALSE(p.has("movement.unchanged"));
  EXPECT_NE(p.html.find(" became "), std::string::npos);
  EXPECT_EQ(p.at("trend.Champions." + std::to_string(first)),
            t.scalar("SELECT COUNT(*) FROM customer_segment_history WHERE segment_name = 'Champions' AND run_id = " +
                     std::to_string(first)));
  EXPECT_EQ(p.at("life.champions_revenue.now"),
            t.scalar("SELECT COALESCE(SUM(monetary), 0) FROM customer_segments WHERE segment_name = 'Champions'"));
  EXPECT_EQ(p.at("life.customers.previous"), "300");
  EXPECT_EQ(p.at("life.new.now"), "0");
}

// The daemon writes the report after each refresh on one session. A full
// refresh swaps the tables behind the report views (RENAME), so statements
// prepared over those views before it must not be reused after it (MariaDB
// answered 1140, "Mixing of GROUP columns", from the second report on).
TEST(Report, EveryReportOfOneSessionIsWrittenAcrossFullRefreshes) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 120);
  for (int i = 0; i < 3; ++i) {
    const auto out = run_refresh(t.db(), "cli", this_process(), RefreshMode::Full);
    ASSERT_EQ(to_string(out.status), "succeeded") << out.message;
    const Page p = report(t);
    EXPECT_EQ(p.at("header.run_id"), std::to_string(out.run_id)) << "report " << i + 1;
    expect_segments_match(t, p);
    t.db().execute("UPDATE order_payments SET payment_value = payment_value * 2 WHERE MOD(CRC32(order_id), 4) = " +
                   std::to_string(i));
  }
}

TEST(Report, NoMovementAndAnEmptySegmentRenderWithoutGaps) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 100);
  // Never reached: At-Risk (priority 6) takes every R1 customer first.
  t.db().execute(
      "INSERT INTO rfm_segment_rules (priority, segment_name, r_min, r_max, f_min, f_max, m_min, m_max) "
      "VALUES (99, 'Dormant VIPs', 1, 1, 5, 5, 5, 5)");
  refresh(t);
  refresh(t);
  const Page p = report(t);
  EXPECT_TRUE(p.has("movement.unchanged"));
  EXPECT_EQ(p.at("segment.Dormant VIPs.customers"), "0");
  EXPECT_EQ(p.at("segment.Dormant VIPs.avg_spend"), "");
  EXPECT_EQ(p.at("move.Dormant VIPs.Dormant VIPs"), "0");
  EXPECT_NE(p.html.find("No action recorded"), std::string::npos);
  EXPECT_FALSE(std::regex_search(p.html, std::regex("\\b(nan|inf|NaN)\\b"))) << "a figure did not compute";
  expect_segments_match(t, p);
}

TEST(Report, BeforeAnyRefreshItSaysSo) {
  TestDatabase t;
  t.migrate();
  const Page p = report(t);
  EXPECT_TRUE(p.has("report.empty"));
  EXPECT_EQ(p.at("header.run_id"), "0");
}

// A failure after the report's figures were written (at the transitions)
// takes them back with the rest: the report still describes the run before.
TEST(Report, AFailedRefreshLeavesNoFiguresBehind) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 50);
  const auto first = refresh(t);
  t.db().execute(
      "CREATE TRIGGER test_transitions_fail BEFORE INSERT ON segment_run_transitions FOR EACH ROW "
      "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'transitions refused by test'");
  const auto failed = run_refresh(t.db(), "cli", this_process());
  ASSERT_EQ(to_string(failed.status), "failed");
  EXPECT_NE(failed.message.find("transitions refused by test"), std::string::npos) << failed.message;
  for (const char* table : {"segment_run_cells", "segment_run_stats", "segment_run_transitions"}) {
    EXPECT_EQ(
        t.scalar(std::string("SELECT COUNT(*) FROM ") + table + " WHERE run_id = " + std::to_string(failed.run_id)),
        "0")
        << table;
  }
  t.db().execute("DROP TRIGGER test_transitions_fail");
  const Page p = report(t);
  EXPECT_EQ(p.at("header.run_id"), std::to_string(first));
  expect_segments_match(t, p);
}

// A database upgraded to V010 gets the figures of its current results and
// the movement into them from the history, as the view computed it before.
TEST(Report, AnUpgradedDatabaseGetsItsFiguresFromItsResultsAndHistory) {
  TestDatabase t;
  t.migrate();
  load_customers(t.db(), 300);
  const auto first = refresh(t);
  t.db().execute("UPDATE order_payments SET payment_value = payment_value * 20 WHERE MOD(CRC32(order_id), 3) = 0");
  t.db().execute("DELETE FROM orders WHERE MOD(CRC32(order_id), 17) = 0");
  const auto second = refresh(t);
  // As before V010: no figures at all.
  t.db().execute("DROP TABLE segment_run_cells, segment_run_transitions");
  const EmbeddedFile* v010 = nullptr;
  for (const auto& f : embedded_sql_files()) {
    if (f.path == "migrations/V010__report_run_figures.sql") v010 = &f;
  }
  ASSERT_NE(v010, nullptr);
  for (const auto& statement : split_sql_script(v010->content, std::string(v010->path))) {
    t.db().execute(statement.text);
  }
  EXPECT_EQ(t.scalar("SELECT GROUP_CONCAT(DISTINCT run_id) FROM segment_run_cells"), std::to_string(second));
  // Moves and arrivals, from the two runs' history.
  const DbResult flows = t.db().query(
      "SELECT COALESCE(a.segment_name, '(new)'), b.segment_name, COUNT(*) FROM customer_segment_history b "
      "LEFT JOIN customer_segment_history a ON a.customer_unique_id = b.customer_unique_id AND a.run_id = ? "
      "WHERE b.run_id = ? GROUP BY 1, 2",
      {static_cast<std::int64_t>(first), static_cast<std::int64_t>(second)});
  for (const auto& row : flows.rows) {
    EXPECT_EQ(t.scalar("SELECT CONCAT(previous_run_id, ':', customers) FROM vw_segment_transitions "
                       "WHERE from_segment = '" +
                       *row[0] + "' AND to_segment = '" + *row[1] + "'"),
              std::to_string(first) + ":" + *row[2])
        << *row[0] << " -> " << *row[1];
  }
  const std::string gone =
      t.scalar("SELECT COUNT(*) FROM customer_segment_history a WHERE a.run_id = " + std::to_string(first) +
               " AND NOT EXISTS (SELECT 1 FROM customer_segment_history b WHERE b.run_id = " + std::to_string(second) +
               " AND b.customer_unique_id = a.customer_unique_id)");
  ASSERT_NE(gone, "0") << "nobody left: the test proves nothing about '(gone)'";
  EXPECT_EQ(t.scalar("SELECT SUM(customers) FROM vw_segment_transitions WHERE to_segment = '(gone)'"), gone);
  EXPECT_EQ(t.scalar("SELECT SUM(customers) FROM vw_segment_transitions WHERE to_segment <> '(gone)'"),
            t.scalar("SELECT COUNT(*) FROM customer_segments"));
  expect_segments_match(t, report(t));
}

}  // namespace
}  // namespace segmentd::test
