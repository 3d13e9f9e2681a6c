// A generated 1x dataset, refreshed, and checked customer by customer against
// an independent implementation of the model written here in C++ straight
// from the CSV files (not from the database).

#include <date/date.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

#include "csv_load.h"
#include "ingest_run.h"
#include "refresh.h"
#include "test_database.h"

namespace segmentd::test {
namespace {

// The four files used here never quote commas or line breaks; quotes around
// IDs are stripped.
std::vector<std::vector<std::string>> read_simple_csv(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> fields;
    std::string field;
    std::istringstream ls(line);
    while (std::getline(ls, field, ',')) {
      if (field.size() >= 2 && field.front() == '"') field = field.substr(1, field.size() - 2);
      fields.push_back(field);
    }
    if (!line.empty() && line.back() == ',') fields.emplace_back();
    rows.push_back(std::move(fields));
  }
  return rows;
}

std::int64_t cents(const std::string& decimal) {
  const auto dot = decimal.find('.');
  std::int64_t whole = std::stoll(decimal.substr(0, dot));
  std::int64_t frac = 0;
  if (dot != std::string::npos) {
    std::string f = decimal.substr(dot + 1);
    f.resize(2, '0');
    frac = std::stoll(f);
  }
  return whole * 100 + frac;
}

std::string money(std::int64_t c) {
  std::ostringstream out;
  out << c / 100 << '.' << (c % 100 < 10 ? "0" : "") << c % 100;
  return out.str();
}

date::sys_days day_of(const std::string& ts) {
  return date::sys_days{date::year{std::stoi(ts.substr(0, 4))} / std::stoi(ts.substr(5, 2)) /
                        std::stoi(ts.substr(8, 2))};
}

struct Customer {
  std::string id, first, last;
  int recency = 0, frequency = 0;
  std::int64_t monetary = 0;
  int r = 0, f = 0, m = 0;
  std::string segment;
};

std::string segment_for(int r, int f) {
  if (r == 5 && f >= 4) return "Champions";
  if (r >= 3 && r <= 4 && f >= 4) return "Loyal Customers";
  if (r >= 4 && f == 1) return "New Customers";
  if (r >= 3 && f >= 2 && f <= 3) return "Potential Loyalists";
  if (r <= 2 && f <= 2) return "Lost Customers";
  return "At-Risk Customers";
}

template <typename Less, typename Set>
void ntile(std::vector<Customer*>& all, Less less, Set set) {
  std::sort(all.begin(), all.end(), less);
  const std::size_t n = all.size(), q = n / 5, rem = n % 5;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t big = rem * (q + 1);
    const int tile = static_cast<int>(i < big ? i / (q + 1) + 1 : rem + (i - big) / q + 1);
    set(*all[i], tile);
  }
}

template <typename Key, typename Set>
void quantile(std::vector<Customer*>& all, Key key, Set set) {
  std::vector<double> keys;
  for (auto* c : all) keys.push_back(key(*c));
  std::sort(keys.begin(), keys.end());
  const double n = static_cast<double>(all.size());
  for (auto* c : all) {
    const double rank = static_cast<double>(std::lower_bound(keys.begin(), keys.end(), key(*c)) - keys.begin()) + 1;
    const double pr = n > 1 ? (rank - 1) / (n - 1) : 0;
    set(*c, 1 + std::min(4, static_cast<int>(std::floor(5 * pr))));
  }
}

std::map<std::string, Customer> independent_model(const std::filesystem::path& dir, bool use_quantile) {
  std::unordered_map<std::string, std::string> unique_of;
  for (auto& row : read_simple_csv(dir / "olist_customers_dataset.csv")) unique_of[row[0]] = row[1];
  std::unordered_map<std::string, std::int64_t> items, payments;
  for (auto& row : read_simple_csv(dir / "olist_order_items_dataset.csv"))
    items[row[0]] += cents(row[5]) + cents(row[6]);
  for (auto& row : read_simple_csv(dir / "olist_order_payments_dataset.csv")) payments[row[0]] += cents(row[4]);
  std::map<std::string, Customer> customers;
  for (auto& row : read_simple_csv(dir / "olist_orders_dataset.csv")) {
    if (row[2] != "delivered" && row[2] != "shipped") continue;
    auto u = unique_of.find(row[1]);
    if (u == unique_of.end()) continue;
    Customer& c = customers[u->second];
    c.id = u->second;
    if (c.first.empty() || row[3] < c.first) c.first = row[3];
    if (c.last.empty() || row[3] > c.last) c.last = row[3];
    c.frequency++;
    auto p = payments.find(row[0]);
    auto i = items.find(row[0]);
    c.monetary += p != payments.end() ? p->second : i != items.end() ? i->second : 0;
  }
  std::string latest;
  for (auto& [id, c] : customers) latest = std::max(latest, c.last);
  std::vector<Customer*> all;
  for (auto& [id, c] : customers) {
    c.recency = static_cast<int>((day_of(latest) - day_of(c.last)).count());
    all.push_back(&c);
  }
  if (!use_quantile) {
    ntile(
        all, [](auto* a, auto* b) { return a->recency != b->recency ? a->recency > b->recency : a->id < b->id; },
        [](Customer& c, int t) { c.r = t; });
    ntile(
        all,
        [](auto* a, auto* b) {
          if (a->frequency != b->frequency) return a->frequency < b->frequency;
          if (a->monetary != b->monetary) return a->monetary < b->monetary;
          return a->id < b->id;
        },
        [](Customer& c, int t) { c.f = t; });
    ntile(
        all, [](auto* a, auto* b) { return a->monetary != b->monetary ? a->monetary < b->monetary : a->id < b->id; },
        [](Customer& c, int t) { c.m = t; });
  } else {
    quantile(
        all, [](const Customer& c) { return -static_cast<double>(c.recency); }, [](Customer& c, int s) { c.r = s; });
    quantile(
        all, [](const Customer& c) { return static_cast<double>(c.frequency); }, [](Customer& c, int s) { c.f = s; });
    quantile(
        all, [](const Customer& c) { return static_cast<double>(c.monetary); }, [](Customer& c, int s) { c.m = s; });
  }
  for (auto* c : all) c->segment = segment_for(c->r, c->f);
  return customers;
}

void compare_with_database(DbSession& db, const std::map<std::string, Customer>& expected) {
  DbResult r = db.query(
      "SELECT customer_unique_id, first_purchase_date, last_purchase_date, recency_days, frequency, monetary, "
      "r_score, f_score, m_score, segment_name FROM customer_segments");
  ASSERT_EQ(r.rows.size(), expected.size());
  std::size_t mismatches = 0;
  for (const auto& row : r.rows) {
    auto it = expected.find(*row[0]);
    ASSERT_NE(it, expected.end()) << *row[0];
    const Customer& c = it->second;
    const std::string want = c.first + "|" + c.last + "|" + std::to_string(c.recency) + "|" +
                             std::to_string(c.frequency) + "|" + money(c.monetary) + "|" + std::to_string(c.r) + "|" +
                             std::to_string(c.f) + "|" + std::to_string(c.m) + "|" + c.segment;
    std::string got;
    for (std::size_t i = 1; i < row.size(); ++i) got += (i > 1 ? "|" : "") + row[i].value_or("NULL");
    if (got != want && mismatches++ < 5) ADD_FAILURE() << *row[0] << ": got " << got << ", want " << want;
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(GeneratedData, OneXRefreshMatchesAnIndependentImplementationForEveryCustomer) {
  TestDatabase t;
  t.migrate();
  const auto dir = t.scratch() / "data";
  const std::string cmd = std::string(SEGMENTD_DATAGEN) + " --scale 1 --seed 7 --out '" + dir.string() + "' >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  for (const char* f : {"olist_customers_dataset.csv", "olist_orders_dataset.csv", "olist_order_items_dataset.csv",
                        "olist_order_payments_dataset.csv"}) {
    load_csv(t.db(), dir / f);
  }
  ASSERT_EQ(t.scalar("SELECT COUNT(*) FROM orders"), "99441");

  const auto out = run_refresh(t.db(), "cli", this_process());
  ASSERT_EQ(to_string(out.status), "succeeded") << out.message;
  EXPECT_GT(out.customers, 90000u);
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM customer_segments WHERE segment_name NOT IN ('Champions', "
                     "'Loyal Customers', 'Potential Loyalists', 'New Customers', 'At-Risk Customers', "
                     "'Lost Customers')"),
            "0");
  EXPECT_EQ(t.scalar("SELECT COUNT(DISTINCT segment_name) FROM customer_segments"), "6");
  // About 3% of customers ordered more than once, as in the real data.
  const double repeat = std::stod(t.scalar("SELECT AVG(frequency > 1) FROM customer_segments"));
  EXPECT_GT(repeat, 0.015);
  EXPECT_LT(repeat, 0.05);
  compare_with_database(t.db(), independent_model(dir, false));

  t.db().execute("UPDATE segmentation_settings SET scoring_method = 'quantile'");
  ASSERT_EQ(to_string(run_refresh(t.db(), "cli", this_process()).status), "succeeded");
  compare_with_database(t.db(), independent_model(dir, true));
}

TEST(GeneratedData, SameSeedSameFilesDifferentSeedDifferentFiles) {
  TestDatabase t;
  auto gen = [&](const std::string& name, int seed) {
    const auto dir = t.scratch() / name;
    const std::string cmd = std::string(SEGMENTD_DATAGEN) + " --scale 0.01 --seed " + std::to_string(seed) +
                            " --out '" + dir.string() + "' >/dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    std::ifstream in(dir / "olist_order_reviews_dataset.csv", std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  const std::string a = gen("a", 1), b = gen("b", 1), c = gen("c", 2);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a.find("\r\n"), std::string::npos);
  EXPECT_NE(a.back(), '\n');  // no line break after the last row, like the real files
}

// Seven daily deltas (datagen --delta-day) onto their base, through the
// ingest: each day's five files load whole, and afterwards every order and
// payment row of every day says what its file said (new orders, and
// earlier orders restated as delivered or canceled, payments restated).
TEST(GeneratedData, SevenDailyDeltasLoadOntoTheirBaseAsTheirFilesSay) {
  TestDatabase t;
  t.migrate();
  const auto generate = [&](const std::string& extra, const std::filesystem::path& dir) {
    const std::string cmd =
        std::string(SEGMENTD_DATAGEN) + " --scale 0.02 --seed 7 " + extra + " --out '" + dir.string() + "' >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  };
  const auto files_in = [](const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  };
  generate("", t.scratch() / "base");
  ASSERT_TRUE(run_ingest(t.db(), files_in(t.scratch() / "base"), {}, "cli", this_process()).all_ok());
  const auto base_orders = std::stoull(t.scalar("SELECT COUNT(*) FROM orders"));
  std::size_t restated = 0;
  for (int day = 1; day <= 7; ++day) {
    const auto dir = t.scratch() / ("day" + std::to_string(day));
    generate("--delta-day " + std::to_string(day), dir);
    const auto files = files_in(dir);
    ASSERT_EQ(files.size(), 5u);
    const IngestRunOutcome run = run_ingest(t.db(), files, {}, "cli", this_process());
    for (const auto& f : run.files) {
      EXPECT_EQ(f.status, FileStatus::Loaded) << "day " << day << ": " << f.name << ": " << f.message;
      EXPECT_EQ(f.rows_rejected, 0u) << f.name;
    }
    for (const auto& row : read_simple_csv(dir / "olist_orders_dataset.csv")) {
      EXPECT_EQ(t.scalar("SELECT order_status FROM orders WHERE order_id = '" + row.at(0) + "'"), row.at(2))
          << "day " << day << ", order " << row.at(0);
    }
    for (const auto& row : read_simple_csv(dir / "olist_order_payments_dataset.csv")) {
      EXPECT_EQ(t.scalar("SELECT payment_value FROM order_payments WHERE order_id = '" + row.at(0) +
                         "' AND payment_sequential = " + row.at(1)),
                row.at(4))
          << "day " << day << ", payment of " << row.at(0);
    }
    restated += read_simple_csv(dir / "olist_orders_dataset.csv").size() -
                read_simple_csv(dir / "olist_customers_dataset.csv").size();
  }
  const std::uint64_t per_day = std::llround(std::llround(99441 * 0.02) * 0.01);
  EXPECT_EQ(std::stoull(t.scalar("SELECT COUNT(*) FROM orders")), base_orders + 7 * per_day);
  EXPECT_GT(restated, 0u) << "no order was restated in seven days";
  EXPECT_EQ(run_refresh(t.db(), "cli", this_process()).status, RunStatus::Succeeded);
}

}  // namespace
}  // namespace segmentd::test
