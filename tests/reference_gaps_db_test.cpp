// The kept reference gaps (reference_gaps.h, V018) against a count over the
// whole tables, written out here independently of the product's checks:
// after every file of a random sequence, on both load paths, through
// upserts that move references and parents that arrive late; after a
// recount; and as the migration counts an upgraded database.

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "embedded_sql.h"
#include "ingest_run.h"
#include "migrations.h"
#include "reference_gaps.h"
#include "sql_script.h"
#include "test_database.h"

namespace segmentd::test {
namespace {

struct WholeCount {
  const char* check;
  const char* parent;
  const char* sql;  // ref, rows: every key rows point at that no parent holds
};
const WholeCount kWholeCounts[] = {
    {"order_items_with_unknown_order", "orders",
     "SELECT order_id, COUNT(*) FROM order_items i WHERE order_id NOT IN (SELECT order_id FROM orders) GROUP BY 1"},
    {"orders_with_unknown_customer", "customers",
     "SELECT customer_id, COUNT(*) FROM orders WHERE customer_id NOT IN (SELECT customer_id FROM customers) GROUP BY "
     "1"},
    {"payments_with_unknown_order", "orders",
     "SELECT order_id, COUNT(*) FROM order_payments WHERE order_id NOT IN (SELECT order_id FROM orders) GROUP BY 1"},
    {"reviews_with_unknown_order", "orders",
     "SELECT order_id, COUNT(*) FROM order_reviews WHERE order_id NOT IN (SELECT order_id FROM orders) GROUP BY 1"},
    {"order_items_with_unknown_product", "products",
     "SELECT product_id, COUNT(*) FROM order_items WHERE product_id NOT IN (SELECT product_id FROM products) "
     "GROUP BY 1"},
    {"order_items_with_unknown_seller", "sellers",
     "SELECT seller_id, COUNT(*) FROM order_items WHERE seller_id NOT IN (SELECT seller_id FROM sellers) GROUP BY 1"},
};

// check -> ref -> rows, as counted over the whole tables now.
using Gaps = std::map<std::string, std::map<std::string, std::string>>;

// `listed`: only the gaps that are kept, those of checks whose parent table
// has rows (while it is empty every child row dangles and none is listed).
Gaps counted(TestDatabase& t, bool listed = false) {
  Gaps out;
  for (const auto& c : kWholeCounts) {
    if (listed && t.scalar(std::string("SELECT COUNT(*) FROM ") + c.parent) == "0") continue;
    for (const auto& row : t.db().query(c.sql).rows) out[c.check][row[0].value_or("")] = row[1].value_or("");
  }
  return out;
}

Gaps kept(TestDatabase& t) {
  Gaps out;
  for (const auto& row : t.db().query("SELECT check_name, ref_key, child_rows FROM reference_gaps").rows) {
    out[row[0].value_or("")][row[1].value_or("")] = row[2].value_or("NULL");
  }
  return out;
}

std::string show(const Gaps& g) {
  std::string out;
  for (const auto& [check, refs] : g) {
    for (const auto& [ref, n] : refs) out += check + " " + ref + " " + n + "\n";
  }
  return out.empty() ? "(none)\n" : out;
}

std::uint64_t total(const Gaps& g, const std::string& check) {
  std::uint64_t n = 0;
  const auto it = g.find(check);
  if (it == g.end()) return 0;
  for (const auto& [ref, rows] : it->second) n += std::stoull(rows);
  return n;
}

// Files of a few rows over small key spaces, so that keys repeat, rows are
// replaced with other references and parents come before or after.
class RandomDrops {
 public:
  explicit RandomDrops(std::uint32_t seed) : rng_(seed) {}

  // One file's header and rows; `repeat` writes its first row twice (the
  // staging path, which reports the repeat).
  std::string next(bool repeat) {
    const int kind = pick(7);
    const int rows = 1 + pick(5);
    std::string body;
    std::string first;
    for (int r = 0; r < rows; ++r) {
      std::string line = row(kind);
      if (r == 0) first = line;
      body += line;
    }
    if (repeat) body += first;
    return std::string(kHeaders[kind]) + "\n" + body;
  }

 private:
  static constexpr const char* kHeaders[] = {
      "customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state",
      "order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,order_delivered_carrier_date,"
      "order_delivered_customer_date,order_estimated_delivery_date",
      "order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value",
      "order_id,payment_sequential,payment_type,payment_installments,payment_value",
      "review_id,order_id,review_score,review_comment_title,review_comment_message,review_creation_date,"
      "review_answer_timestamp",
      "product_id,product_category_name,product_name_lenght,product_description_lenght,product_photos_qty,"
      "product_weight_g,product_length_cm,product_height_cm,product_width_cm",
      "seller_id,seller_zip_code_prefix,seller_city,seller_state",
  };

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  std::string id(const char* prefix, int n) { return prefix + std::to_string(pick(n)); }

  std::string row(int kind) {
    const std::string value = std::to_string(1 + pick(90)) + ".00";
    switch (kind) {
      case 0:
        return id("c", 8) + "," + id("u", 6) + ",01001,sp,SP\n";
      case 1:
        return id("o", 12) + "," + id("c", 8) + ",delivered,2018-01-0" + std::to_string(1 + pick(9)) +
               " 10:00:00,,,,\n";
      case 2:
        return id("o", 12) + "," + std::to_string(1 + pick(3)) + "," + id("p", 6) + "," + id("s", 4) + ",," + value +
               ",1.00\n";
      case 3:
        return id("o", 12) + "," + std::to_string(1 + pick(2)) + ",credit_card,1," + value + "\n";
      case 4:
        return id("r", 6) + "," + id("o", 12) + "," + std::to_string(1 + pick(5)) + ",,,,\n";
      case 5:
        return id("p", 6) + ",beleza," + std::to_string(pick(50)) + ",,,,,,\n";
      default:
        return id("s", 4) + ",0100" + std::to_string(pick(9)) + ",sp,SP\n";
    }
  }

  std::mt19937 rng_;
};

TEST(ReferenceGaps, KeptGapsEqualAWholeCountAfterEveryFile) {
  const std::uint32_t seed = test_seed();
  SCOPED_TRACE("SEGMENTD_TEST_SEED=" + std::to_string(seed));
  TestDatabase t;
  t.migrate();
  RandomDrops drops(seed);
  std::mt19937 coin(seed ^ 0x9e3779b9u);
  int loaded = 0;
  for (int step = 0; step < 150; ++step) {
    IngestOptions options;
    options.max_rejected_rows = 10;  // random rows may repeat a key too
    const bool repeat = coin() % 4 == 0;
    options.load_path = coin() % 3 == 0 ? LoadPath::Insert : LoadPath::LoadData;
    const auto file = t.write_file("drop-" + std::to_string(step) + ".csv", drops.next(repeat));
    const auto run = run_ingest(t.db(), {file}, options, "cli", this_process());
    ASSERT_TRUE(run.all_ok()) << "step " << step << ": " << run.files.at(0).message;
    if (run.files.at(0).status == FileStatus::Loaded) ++loaded;
    const Gaps want = counted(t);
    ASSERT_EQ(show(kept(t)), show(counted(t, true))) << "after step " << step << " (" << run.files.at(0).dataset
                                                     << (run.files.at(0).staged ? ", staged" : ", direct") << ")";
    // The run reports the kept totals of the checks its dataset is in.
    const auto quality = nlohmann::json::parse(run.data_quality_json);
    for (const auto& [check, n] : quality.items()) {
      EXPECT_EQ(n.get<std::uint64_t>(), total(want, check)) << check << " after step " << step;
    }
  }
  EXPECT_GT(loaded, 100);  // most drops were new content, not duplicates
}

// Children before their parents (the alphabetical order of the Olist
// files): nothing is listed while the parent is empty, every row is
// counted, and the parent's first load lists what is left.
TEST(ReferenceGaps, ChildrenBeforeTheirParentsListNothingUntilTheParentArrives) {
  TestDatabase t;
  t.migrate();
  const auto items =
      t.write_file("i.csv",
                   "order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value\n"
                   "o1,1,p1,s1,,1.00,1.00\no1,2,p1,s1,,1.00,1.00\no2,1,p1,s1,,1.00,1.00\n");
  const auto first = run_ingest(t.db(), {items}, IngestOptions{}, "cli", this_process());
  ASSERT_TRUE(first.all_ok());
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM reference_gaps"), "0");
  EXPECT_EQ(nlohmann::json::parse(first.data_quality_json).value("order_items_with_unknown_order", -1), 3);
  const auto orders = t.write_file(
      "o.csv",
      "order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,order_delivered_carrier_date,"
      "order_delivered_customer_date,order_estimated_delivery_date\n"
      "o1,c1,delivered,2018-01-01 10:00:00,,,,\n");
  const auto second = run_ingest(t.db(), {orders}, IngestOptions{}, "cli", this_process());
  ASSERT_TRUE(second.all_ok());
  EXPECT_EQ(show(kept(t)), "order_items_with_unknown_order o2 1\n");
  EXPECT_EQ(show(kept(t)), show(counted(t, true)));
  EXPECT_EQ(nlohmann::json::parse(second.data_quality_json).value("order_items_with_unknown_order", -1), 1);
  EXPECT_EQ(nlohmann::json::parse(second.data_quality_json).value("orders_with_unknown_customer", -1), 1);
}

// The gaps commit with the file's rows or not at all: a load whose gap
// update fails (here a lock held elsewhere, past a one-second wait) leaves
// the table and the gaps as they were, and loading it again is exact.
TEST(ReferenceGaps, AFailedLoadLeavesTheGapsAsTheyWere) {
  TestDatabase t;
  t.migrate();
  const auto base = t.write_file(
      "o.csv",
      "order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,order_delivered_carrier_date,"
      "order_delivered_customer_date,order_estimated_delivery_date\n"
      "o1,c1,delivered,2018-01-01 10:00:00,,,,\n");
  const auto items =
      t.write_file("i.csv",
                   "order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value\n"
                   "o1,1,p1,s1,,1.00,1.00\no9,1,p1,s1,,1.00,1.00\no9,2,p1,s1,,1.00,1.00\n");
  ASSERT_TRUE(run_ingest(t.db(), {base, items}, IngestOptions{}, "cli", this_process()).all_ok());
  ASSERT_EQ(show(kept(t)), "order_items_with_unknown_order o9 2\n");

  const auto late = t.write_file(
      "o9.csv",
      "order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,order_delivered_carrier_date,"
      "order_delivered_customer_date,order_estimated_delivery_date\n"
      "o9,c1,delivered,2018-01-09 10:00:00,,,,\n");
  auto other = t.connect();
  other->execute("START TRANSACTION");
  other->query("SELECT * FROM reference_gaps FOR UPDATE");
  t.db().execute("SET SESSION innodb_lock_wait_timeout = 1");
  const auto blocked = run_ingest(t.db(), {late}, IngestOptions{}, "cli", this_process());
  ASSERT_EQ(blocked.files.at(0).status, FileStatus::Failed) << blocked.files.at(0).message;
  other->execute("ROLLBACK");
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM orders WHERE order_id = 'o9'"), "0");
  EXPECT_EQ(show(kept(t)), "order_items_with_unknown_order o9 2\n");

  const auto again = run_ingest(t.db(), {late}, IngestOptions{}, "cli", this_process());
  ASSERT_EQ(again.files.at(0).status, FileStatus::Loaded) << again.files.at(0).message;
  EXPECT_EQ(show(kept(t)), show(counted(t, true)));
  EXPECT_EQ(show(kept(t)), "(none)\n");
}

// Plain SQL changes are not seen by the kept gaps: a recount brings them
// back in line, and is recorded as a run with every check.
TEST(ReferenceGaps, ARecountSeesChangesMadeWithPlainSql) {
  TestDatabase t;
  t.migrate();
  const auto customers =
      t.write_file("c.csv",
                   "customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state\n"
                   "c1,u1,01001,sp,SP\nc2,u2,01001,sp,SP\n");
  const auto orders = t.write_file(
      "o.csv",
      "order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,order_delivered_carrier_date,"
      "order_delivered_customer_date,order_estimated_delivery_date\n"
      "o1,c1,delivered,2018-01-01 10:00:00,,,,\no2,c1,delivered,2018-01-02 10:00:00,,,,\n"
      "o3,c2,delivered,2018-01-03 10:00:00,,,,\n");
  ASSERT_TRUE(run_ingest(t.db(), {customers, orders}, IngestOptions{}, "cli", this_process()).all_ok());
  ASSERT_EQ(show(kept(t)), "(none)\n");
  t.db().execute("DELETE FROM customers WHERE customer_id = 'c1'");
  EXPECT_EQ(show(kept(t)), "(none)\n");  // not seen yet
  IngestOptions recount;
  recount.recount_references = true;
  const auto run = run_ingest(t.db(), {}, recount, "cli", this_process());
  EXPECT_EQ(show(kept(t)), show(counted(t, true)));
  EXPECT_EQ(show(kept(t)), "orders_with_unknown_customer c1 2\n");
  const auto quality = nlohmann::json::parse(run.data_quality_json);
  EXPECT_EQ(quality.size(), 6u);
  EXPECT_EQ(quality.value("orders_with_unknown_customer", -1), 2);
  const std::string of_run = " FROM pipeline_runs WHERE run_id = " + std::to_string(run.run_id);
  EXPECT_EQ(t.scalar("SELECT status" + of_run), "succeeded");
  EXPECT_EQ(t.scalar("SELECT JSON_EXTRACT(details, '$.references_recounted')" + of_run), "true");
  EXPECT_EQ(t.scalar("SELECT JSON_EXTRACT(details, '$.data_quality.orders_with_unknown_customer')" + of_run), "2");
}

// An upgraded database's gaps are counted by the migration itself.
TEST(ReferenceGaps, TheMigrationCountsTheGapsOfExistingData) {
  TestDatabase t;
  t.migrate();
  t.db().execute(
      "INSERT INTO orders (order_id, customer_id, order_status, order_purchase_timestamp) VALUES "
      "('o1', 'c9', 'delivered', '2018-01-01'), ('o2', 'c9', 'delivered', '2018-01-01'), "
      "('o3', 'c8', 'delivered', '2018-01-01')");
  t.db().execute(
      "INSERT INTO order_items (order_id, order_item_id, product_id, seller_id, price, freight_value) VALUES "
      "('o1', 1, 'p1', 's1', 1, 1), ('o7', 1, 'p1', 's1', 1, 1), ('o7', 2, 'p2', 's1', 1, 1)");
  t.db().execute("INSERT INTO order_reviews (review_id, order_id, review_score) VALUES ('r1', 'o6', 5)");
  t.db().execute("INSERT INTO products (product_id) VALUES ('p1')");
  const EmbeddedFile* v018 = nullptr;
  for (const auto& f : embedded_sql_files()) {
    if (f.path == "migrations/V018__reference_gaps.sql") v018 = &f;
  }
  ASSERT_NE(v018, nullptr);
  for (const auto& statement : split_sql_script(v018->content, std::string(v018->path))) {
    t.db().execute(statement.text);
  }
  EXPECT_EQ(show(kept(t)), show(counted(t, true)));
  EXPECT_EQ(total(kept(t), "order_items_with_unknown_order"), 2u);
  EXPECT_EQ(total(kept(t), "order_items_with_unknown_product"), 1u);
  EXPECT_EQ(total(kept(t), "reviews_with_unknown_order"), 1u);
  // No customer and no seller: nothing listed, every row counted.
  EXPECT_EQ(total(kept(t), "orders_with_unknown_customer"), 0u);
  const auto quality = nlohmann::json::parse(reference_gap_summary(t.db(), {}));
  EXPECT_EQ(quality.value("orders_with_unknown_customer", -1), 3);
  EXPECT_EQ(quality.value("order_items_with_unknown_seller", -1), 3);
  EXPECT_EQ(quality.value("order_items_with_unknown_product", -1), 1);
}

}  // namespace
}  // namespace segmentd::test
