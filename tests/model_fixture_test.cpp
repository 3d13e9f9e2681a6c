// The model, customer by customer, on a hand-made fixture whose every value
// below was worked out by hand (see the comments) — not read back from the
// procedure. Covers: ties, an order without payments, an order with neither
// payments nor items, a canceled order, an order whose customer is unknown,
// a repeat customer, one customer_unique_id behind two customer_ids.

#include <gtest/gtest.h>

#include <map>

#include "refresh.h"
#include "test_database.h"

namespace segmentd::test {
namespace {

struct Expected {
  std::string first, last;
  int recency, frequency;
  std::string monetary;
  int r, f, m;
  std::string segment;
};

void load_fixture(DbSession& db) {
  db.execute(
      "INSERT INTO customers (customer_id, customer_unique_id, customer_zip_code_prefix, customer_city, "
      "customer_state) VALUES "
      "('c1','ua','01001','sao paulo','SP'), ('c2','ub','01002','sao paulo','SP'), "
      "('c3','ub','01002','sao paulo','SP'), ('c4','uc','20000','rio de janeiro','RJ'), "
      "('c5','ud','30000','belo horizonte','MG'), ('c6','ue','40000','salvador','BA'), "
      "('c7','uf','50000','recife','PE'), ('c8','ug','60000','fortaleza','CE')");
  db.execute(
      "INSERT INTO orders (order_id, customer_id, order_status, order_purchase_timestamp) VALUES "
      "('o1','c1','delivered','2018-01-10 10:00:00'), ('o2','c2','delivered','2018-03-01 12:00:00'), "
      "('o3','c3','shipped','2018-06-01 09:00:00'), ('o4','c4','delivered','2018-06-01 18:00:00'), "
      "('o5','c5','canceled','2018-06-10 10:00:00'), ('o6','c5','delivered','2018-02-15 08:00:00'), "
      "('o7','c6','delivered','2018-06-10 23:59:59'), ('o8','c7','delivered','2017-12-01 00:00:00'), "
      "('o9','c8','delivered','2018-06-10 08:00:00'), ('o10','c9','delivered','2018-06-15 10:00:00')");
  db.execute(
      "INSERT INTO order_items (order_id, order_item_id, product_id, seller_id, price, freight_value) VALUES "
      "('o1',1,'p1','s1',90.00,10.00), ('o3',1,'p1','s1',30.00,5.00), ('o9',1,'p2','s1',150.00,20.00)");
  db.execute(
      "INSERT INTO order_payments (order_id, payment_sequential, payment_type, payment_installments, "
      "payment_value) VALUES "
      "('o1',1,'credit_card',3,60.00), ('o1',2,'voucher',1,40.00), ('o2',1,'boleto',1,50.00), "
      "('o5',1,'credit_card',1,500.00), ('o6',1,'credit_card',1,20.00), ('o7',1,'debit_card',1,50.00), "
      "('o8',1,'credit_card',2,50.00), ('o9',1,'credit_card',4,200.00), ('o10',1,'boleto',1,999.00)");
}

std::map<std::string, Expected> read_segments(DbSession& db) {
  DbResult r = db.query(
      "SELECT customer_unique_id, first_purchase_date, last_purchase_date, recency_days, frequency, monetary, "
      "r_score, f_score, m_score, rfm_code, segment_name FROM customer_segments");
  std::map<std::string, Expected> out;
  for (const auto& row : r.rows) {
    Expected e{*row[1],
               *row[2],
               std::stoi(*row[3]),
               std::stoi(*row[4]),
               *row[5],
               std::stoi(*row[6]),
               std::stoi(*row[7]),
               std::stoi(*row[8]),
               *row[10]};
    EXPECT_EQ(*row[9], std::to_string(e.r) + std::to_string(e.f) + std::to_string(e.m)) << *row[0];
    out[*row[0]] = e;
  }
  return out;
}

void expect_customers(const std::map<std::string, Expected>& actual, const std::map<std::string, Expected>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (const auto& [id, e] : expected) {
    ASSERT_TRUE(actual.count(id)) << id;
    const Expected& a = actual.at(id);
    EXPECT_EQ(a.first, e.first) << id;
    EXPECT_EQ(a.last, e.last) << id;
    EXPECT_EQ(a.recency, e.recency) << id;
    EXPECT_EQ(a.frequency, e.frequency) << id;
    EXPECT_EQ(a.monetary, e.monetary) << id;
    EXPECT_EQ(a.r, e.r) << id << " r_score";
    EXPECT_EQ(a.f, e.f) << id << " f_score";
    EXPECT_EQ(a.m, e.m) << id << " m_score";
    EXPECT_EQ(a.segment, e.segment) << id;
  }
}

// As of 2018-06-10, the date of the latest counted purchase (o10 on
// 2018-06-15 does not count: its customer c9 is unknown; o5 is canceled).
//   ua: o1, payments 60+40                      recency 151, F1, M 100.00
//   ub: o2 (50.00) + o3 (no payments: 30+5)     recency   9, F2, M  85.00
//   uc: o4, neither payments nor items          recency   9, F1, M   0.00
//   ud: o6 only (o5 canceled)                   recency 115, F1, M  20.00
//   ue: o7                                      recency   0, F1, M  50.00
//   uf: o8                                      recency 191, F1, M  50.00
//   ug: o9, payments 200 (not items 170)        recency   0, F1, M 200.00
const char* kFirst[] = {"2018-01-10 10:00:00", "2018-03-01 12:00:00", "2018-06-01 18:00:00", "2018-02-15 08:00:00",
                        "2018-06-10 23:59:59", "2017-12-01 00:00:00", "2018-06-10 08:00:00"};

TEST(ModelFixture, NtileScoresAndSegmentsMatchHandComputation) {
  TestDatabase t;
  t.migrate();
  load_fixture(t.db());
  const auto out = run_refresh(t.db(), "cli", this_process());
  ASSERT_EQ(to_string(out.status), "succeeded") << out.message;
  EXPECT_EQ(out.customers, 7u);
  // 7 customers in 5 tiles: sizes 2,2,1,1,1.
  // R by recency desc, id: uf ua | ud ub | uc | ue | ug
  // F by frequency, monetary, id: uc ud | ue uf | ua | ug | ub
  // M by monetary, id: uc ud | ue uf | ub | ua | ug
  expect_customers(read_segments(t.db()),
                   {{"ua", {kFirst[0], kFirst[0], 151, 1, "100.00", 1, 3, 4, "At-Risk Customers"}},
                    {"ub", {kFirst[1], "2018-06-01 09:00:00", 9, 2, "85.00", 2, 5, 3, "At-Risk Customers"}},
                    {"uc", {kFirst[2], kFirst[2], 9, 1, "0.00", 3, 1, 1, "At-Risk Customers"}},
                    {"ud", {kFirst[3], kFirst[3], 115, 1, "20.00", 2, 1, 1, "Lost Customers"}},
                    {"ue", {kFirst[4], kFirst[4], 0, 1, "50.00", 4, 2, 2, "Potential Loyalists"}},
                    {"uf", {kFirst[5], kFirst[5], 191, 1, "50.00", 1, 2, 2, "Lost Customers"}},
                    {"ug", {kFirst[6], kFirst[6], 0, 1, "200.00", 5, 4, 5, "Champions"}}});
  // The original's order_values deliverable: counted orders only.
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM order_values"), "8");
  EXPECT_EQ(t.scalar("SELECT CONCAT(COALESCE(items_total,'NULL'),'/',COALESCE(payments_total,'NULL'),'/',order_value)"
                     " FROM order_values WHERE order_id='o3'"),
            "35.00/NULL/35.00");
  EXPECT_EQ(t.scalar("SELECT order_value FROM order_values WHERE order_id='o4'"), "0.00");
  EXPECT_EQ(t.scalar("SELECT as_of_date FROM pipeline_runs WHERE run_id=" + std::to_string(out.run_id)), "2018-06-10");
}

TEST(ModelFixture, QuantileScoresGiveTiesEqualScores) {
  TestDatabase t;
  t.migrate();
  load_fixture(t.db());
  t.db().execute("UPDATE segmentation_settings SET scoring_method = 'quantile'");
  const auto out = run_refresh(t.db(), "cli", this_process());
  ASSERT_EQ(to_string(out.status), "succeeded") << out.message;
  // score = 1 + LEAST(4, FLOOR(5 * (rank - 1) / 6)).
  // R by -recency: uf 1, ua 2, ud 3, ub 4, uc 4, ue 6, ug 6 -> 1 1 2 3 3 5 5
  // F: six at frequency 1 share rank 1 -> 1; ub rank 7 -> 5
  // M: uc 1, ud 2, ue 3, uf 3, ub 5, ua 6, ug 7 -> 1 1 2 2 4 5 5
  expect_customers(read_segments(t.db()),
                   {{"ua", {kFirst[0], kFirst[0], 151, 1, "100.00", 1, 1, 5, "Lost Customers"}},
                    {"ub", {kFirst[1], "2018-06-01 09:00:00", 9, 2, "85.00", 3, 5, 4, "Loyal Customers"}},
                    {"uc", {kFirst[2], kFirst[2], 9, 1, "0.00", 3, 1, 1, "At-Risk Customers"}},
                    {"ud", {kFirst[3], kFirst[3], 115, 1, "20.00", 2, 1, 1, "Lost Customers"}},
                    {"ue", {kFirst[4], kFirst[4], 0, 1, "50.00", 5, 1, 2, "New Customers"}},
                    {"uf", {kFirst[5], kFirst[5], 191, 1, "50.00", 1, 1, 2, "Lost Customers"}},
                    {"ug", {kFirst[6], kFirst[6], 0, 1, "200.00", 5, 1, 5, "New Customers"}}});
}

TEST(ModelFixture, FixedAsOfDateAndStatusListAreHonoured) {
  TestDatabase t;
  t.migrate();
  load_fixture(t.db());
  t.db().execute("UPDATE segmentation_settings SET as_of = '2018-07-01', counted_statuses = 'delivered, canceled'");
  const auto out = run_refresh(t.db(), "cli", this_process());
  ASSERT_EQ(to_string(out.status), "succeeded") << out.message;
  // o3 (shipped) no longer counts, o5 (canceled, 500.00) now does.
  EXPECT_EQ(t.scalar("SELECT CONCAT(frequency,'/',monetary,'/',recency_days) FROM customer_segments "
                     "WHERE customer_unique_id='ub'"),
            "1/50.00/122");
  EXPECT_EQ(t.scalar("SELECT CONCAT(frequency,'/',monetary,'/',recency_days) FROM customer_segments "
                     "WHERE customer_unique_id='ud'"),
            "2/520.00/21");
}

}  // namespace
}  // namespace segmentd::test
