// segmentd ingest against a real database: real Olist files, generated data,
// a corpus of bad files, duplicates and deltas, both load paths, rejects.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "bulk_load.h"
#include "ingest_run.h"
#include "test_database.h"

namespace segmentd::test {
namespace {

// The real Olist files live beside the project (../shared/olist-real); a
// clone elsewhere can point SEGMENTD_OLIST_REAL at them.
std::filesystem::path real_files_dir() {
  if (const char* env = std::getenv("SEGMENTD_OLIST_REAL")) return env;
  for (const auto& p : {std::filesystem::path(SEGMENTD_SOURCE_DIR) / ".." / "shared" / "olist-real",
                        std::filesystem::path("/work/shared/olist-real")}) {
    if (std::filesystem::exists(p)) return p;
  }
  return {};
}
const std::filesystem::path kReal = real_files_dir();
const char* kTables[] = {"customers",      "orders",        "order_items",
                         "order_payments", "order_reviews", "products",
                         "sellers",        "geolocation",   "product_category_name_translation"};

std::string fingerprint(TestDatabase& t) {
  std::string out;
  for (const char* table : kTables) {
    DbResult r = t.db().query(std::string("CHECKSUM TABLE ") + table);
    out += std::string(table) + "=" + r.rows.at(0).at(1).value_or("NULL") + ";";
  }
  return out;
}

std::filesystem::path write_file(TestDatabase& t, const std::string& name, const std::string& content) {
  return t.write_file(name, content);
}

FileOutcome ingest(TestDatabase& t, const std::filesystem::path& path, unsigned max_rejected = 0,
                   LoadPath load_path = LoadPath::Auto) {
  IngestOptions o;
  o.max_rejected_rows = max_rejected;
  o.load_path = load_path;
  return ingest_file(t.db(), path, o, std::nullopt);
}

TEST(Ingest, EveryRealOlistFileLoadsWithExactRowCounts) {
  if (kReal.empty()) GTEST_SKIP() << "no ../shared/olist-real (set SEGMENTD_OLIST_REAL)";
  TestDatabase t;
  t.migrate();
  const std::vector<std::pair<std::string, std::string>> files = {
      {"full/olist_products_dataset.csv", "products=32951"},
      {"full/olist_sellers_dataset.csv", "sellers=3095"},
      {"full/product_category_name_translation.csv", "product_category_name_translation=71"},
      {"head/olist_customers_dataset.csv", "customers=200"},
      {"head/olist_orders_dataset.csv", "orders=4071"},
      {"head/olist_order_items_dataset.csv", "order_items=5154"},
      {"head/olist_order_payments_dataset.csv", "order_payments=4733"},
      {"head/olist_order_reviews_dataset.csv", "order_reviews=6123"}};
  for (const auto& [file, expected] : files) {
    const auto out = ingest(t, kReal / file);
    EXPECT_EQ(to_string(out.status), "loaded") << file << ": " << out.message;
    const auto table = expected.substr(0, expected.find('='));
    EXPECT_EQ(table + "=" + t.scalar("SELECT COUNT(*) FROM " + table), expected);
    EXPECT_EQ(out.rows_loaded, std::stoull(expected.substr(expected.find('=') + 1)));
  }
  // Leading zeros survive; the BOM is not part of the first category name.
  EXPECT_EQ(
      t.scalar("SELECT seller_zip_code_prefix FROM sellers WHERE seller_zip_code_prefix LIKE '0%' LIMIT 1").size(), 5u);
  EXPECT_EQ(
      t.scalar("SELECT COUNT(*) FROM product_category_name_translation WHERE product_category_name = 'beleza_saude'"),
      "1");
  // Empty timestamps are NULL; empty categories and measures are NULL.
  EXPECT_NE(t.scalar("SELECT COUNT(*) FROM orders WHERE order_delivered_customer_date IS NULL"), "0");
  EXPECT_NE(
      t.scalar("SELECT COUNT(*) FROM products WHERE product_category_name IS NULL AND product_name_length IS NULL"),
      "0");
  // The multi-line review texts come back byte for byte, CRLF included: 237
  // records span several lines, holding 357 line breaks between them (both
  // counted with Python's csv module on the same file).
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM order_reviews WHERE review_comment_title LIKE '%\\n%' "
                     "OR review_comment_message LIKE '%\\n%'"),
            "237");
  EXPECT_EQ(t.scalar("SELECT SUM((LENGTH(COALESCE(review_comment_title,'')) - "
                     "LENGTH(REPLACE(COALESCE(review_comment_title,''), '\\n', ''))) + "
                     "(LENGTH(COALESCE(review_comment_message,'')) - "
                     "LENGTH(REPLACE(COALESCE(review_comment_message,''), '\\n', '')))) "
                     "FROM order_reviews"),
            "357");
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM order_reviews WHERE review_comment_message LIKE '%\\r\\n%'"),
            t.scalar("SELECT COUNT(*) FROM order_reviews WHERE review_comment_message LIKE '%\\n%'"));
}

TEST(Ingest, GeneratedOneXFilesLoadEveryRecord) {
  TestDatabase t;
  t.migrate();
  const auto dir = t.scratch() / "gen";
  const auto counts = t.scratch() / "counts.txt";
  const std::string cmd =
      std::string(SEGMENTD_DATAGEN) + " --scale 1 --seed 3 --out '" + dir.string() + "' > '" + counts.string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  const auto run = run_ingest(t.db(), files, IngestOptions{}, "cli", this_process());
  ASSERT_TRUE(run.all_ok());
  std::ifstream in(counts);
  std::string name;
  std::uint64_t records = 0;
  std::size_t checked = 0;
  while (in >> name >> records) {
    for (const auto& f : run.files) {
      if (std::filesystem::path(f.name).filename() != name) continue;
      EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM " + f.dataset), std::to_string(records)) << name;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 9u);
  EXPECT_EQ(t.scalar("SELECT CONCAT(kind, '/', `trigger`, '/', status) FROM pipeline_runs"), "ingest/cli/succeeded");
  EXPECT_EQ(t.scalar("SELECT JSON_LENGTH(details, '$.files') FROM pipeline_runs"), "9");
  EXPECT_EQ(t.scalar("SELECT JSON_EXTRACT(details, '$.data_quality.orders_with_unknown_customer') FROM pipeline_runs"),
            "0");
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM ingested_files WHERE status = 'loaded' AND run_id = 1"), "9");
}

// Each check counts the referencing rows whose parent is missing; a run
// reports the checks whose child or parent dataset it loaded.
TEST(Ingest, DataQualityCountsDanglingReferences) {
  TestDatabase t;
  t.migrate();
  const std::string oh =
      "order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,order_delivered_carrier_date,order_"
      "delivered_customer_date,order_estimated_delivery_date\n";
  const std::string ih = "order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value\n";
  const auto orders = write_file(t, "o.csv", oh + "o1,c1,shipped,2018-01-01 10:00:00,,,,\n");
  const auto items = write_file(t, "i.csv",
                                ih + "o1,1,p1,s1,,1.00,1.00\no1,2,p2,s1,,1.00,1.00\no2,1,p2,s2,,1.00,1.00\n"
                                     "o3,1,p1,s1,,1.00,1.00\no3,2,p1,s3,,1.00,1.00\n");
  const auto products = write_file(t, "p.csv",
                                   "product_id,product_category_name,product_name_lenght,product_description_lenght,"
                                   "product_photos_qty,product_weight_g,product_length_cm,product_height_cm,"
                                   "product_width_cm\np1,beleza,,,,,,,\n");
  const auto sellers =
      write_file(t, "s.csv", "seller_id,seller_zip_code_prefix,seller_city,seller_state\ns1,01001,sp,SP\n");
  // Reviews count once each: two of the unknown o9, one of the unknown o8.
  const auto reviews = write_file(t, "r.csv",
                                  "review_id,order_id,review_score,review_comment_title,review_comment_message,"
                                  "review_creation_date,review_answer_timestamp\n"
                                  "r1,o9,5,,,,\nr2,o1,4,,,,\nr3,o8,3,,,,\nr4,o9,1,,,,\n");
  const auto run =
      run_ingest(t.db(), {orders, items, products, sellers, reviews}, IngestOptions{}, "cli", this_process());
  ASSERT_TRUE(run.all_ok());
  const auto quality = nlohmann::json::parse(run.data_quality_json);
  EXPECT_EQ(quality.value("orders_with_unknown_customer", -1), 1);
  EXPECT_EQ(quality.value("order_items_with_unknown_order", -1), 3);    // o2, o3 twice
  EXPECT_EQ(quality.value("order_items_with_unknown_product", -1), 2);  // p2 twice
  EXPECT_EQ(quality.value("order_items_with_unknown_seller", -1), 2);   // s2, s3
  EXPECT_EQ(quality.value("reviews_with_unknown_order", -1), 3);        // o9 twice, o8
  // A run that loads none of a check's datasets does not run it.
  const auto later = run_ingest(
      t.db(), {write_file(t, "s2.csv", "seller_id,seller_zip_code_prefix,seller_city,seller_state\ns2,01001,sp,SP\n")},
      IngestOptions{}, "cli", this_process());
  EXPECT_EQ(later.data_quality_json, "{\"order_items_with_unknown_seller\":1}");
}

struct BadCase {
  std::string name, content, status, message_part;
};

TEST(Ingest, BadFilesAreRefusedWithReasonAndChangeNothing) {
  TestDatabase t;
  t.migrate();
  ASSERT_EQ(to_string(ingest(t, write_file(t, "base.csv",
                                           "customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,"
                                           "customer_state\nc0,u0,01001,sp,SP\n"))
                          .status),
            "loaded");
  const std::string before = fingerprint(t);
  const std::string h = "customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state\n";
  const std::string oh =
      "order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,order_delivered_carrier_date,order_"
      "delivered_customer_date,order_estimated_delivery_date\n";
  const std::string ih = "order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value\n";
  const std::vector<BadCase> cases = {
      {"empty.csv", "", "rejected", "is empty"},
      {"unknown.csv", "a,b,c\n1,2,3\n", "rejected", "matches no Olist dataset"},
      {"near.csv", "customer_id,customer_unique_id,customer_city\nc1,u1,x\n", "rejected",
       "closest is customers, missing customer_zip_code_prefix, customer_state, extra none"},
      {"fields.csv", h + "c1,u1,01001,sp,SP\nc2,u2,01001,sp\n", "rejected", "line 3: expected 5 fields, found 4"},
      {"quote.csv", h + "c1,u1,01001,\"sp,SP\nc2,u2,01001,sp,SP\n", "rejected", "line 2: quoted field is never closed"},
      {"utf8.csv", h + "c1,u1,01001,s\xC3\x28o,SP\n", "rejected", "customer_city: is not valid UTF-8"},
      {"nul.csv", h + std::string("c1,u1,01001,s\0o,SP\n", 19), "rejected", "contains a NUL byte"},
      {"long.csv", h + "c1" + std::string(40, 'f') + ",u1,01001,sp,SP\n", "rejected", "longer than 32"},
      {"date.csv", oh + "o1,c1,delivered,2018-02-30 10:00:00,,,,\n", "rejected", "not a valid YYYY-MM-DD HH:MM:SS"},
      {"decimal.csv", ih + "o1,1,p1,s1,2018-01-01 00:00:00,12.345,1.00\n", "rejected",
       "price: \"12.345\" is not a decimal"},
      {"integer.csv", ih + "o1,one,p1,s1,2018-01-01 00:00:00,12.34,1.00\n", "rejected",
       "order_item_id: \"one\" is not a whole number"},
      {"dupkey.csv", h + "c1,u1,01001,sp,SP\nc1,u2,01001,sp,SP\n", "rejected",
       "line 3: duplicate key (c1) within the file; first on line 2"},
      {"junk.csv",
       std::string("\x7f"
                   "ELF\x02\x01\x01\0\0\0\0\x03\0>\0",
                   16),
       "rejected", "header"},
      {"name with 'quote'; DROP TABLE customers; --.csv", h + "c1,u1,01001,sp,SP\nbroken\n", "rejected",
       "line 3: expected 5 fields"},
  };
  for (const auto& c : cases) {
    const auto out = ingest(t, write_file(t, c.name, c.content));
    EXPECT_EQ(to_string(out.status), c.status) << c.name << ": " << out.message;
    EXPECT_NE(out.message.find(c.message_part), std::string::npos) << c.name << ": " << out.message;
    EXPECT_EQ(fingerprint(t), before) << c.name;
    EXPECT_EQ(t.scalar("SELECT status FROM ingested_files ORDER BY id DESC LIMIT 1"), c.status) << c.name;
  }
  // A directory, a symlink and a FIFO are refused without reading.
  std::filesystem::create_directory(t.scratch() / "dir.csv");
  std::filesystem::create_symlink(t.scratch() / "base.csv", t.scratch() / "link.csv");
  ASSERT_EQ(mkfifo((t.scratch() / "fifo.csv").c_str(), 0600), 0);
  EXPECT_NE(ingest(t, t.scratch() / "dir.csv").message.find("not a regular file (a directory)"), std::string::npos);
  EXPECT_NE(ingest(t, t.scratch() / "link.csv").message.find("symbolic link"), std::string::npos);
  EXPECT_NE(ingest(t, t.scratch() / "fifo.csv").message.find("a FIFO"), std::string::npos);
  EXPECT_EQ(to_string(ingest(t, t.scratch() / "missing.csv").status), "failed");
  EXPECT_EQ(fingerprint(t), before);
  // The odd name works and is recorded exactly as given.
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM ingested_files WHERE original_name LIKE '%DROP TABLE customers; --.csv'"),
            "1");
}

TEST(Ingest, HeaderOnlyLoadsNothingAndSucceeds) {
  TestDatabase t;
  t.migrate();
  const auto out =
      ingest(t, write_file(t, "h.csv", "\"seller_id\",\"seller_zip_code_prefix\",\"seller_city\",\"seller_state\""));
  EXPECT_EQ(to_string(out.status), "loaded") << out.message;
  EXPECT_EQ(out.rows_loaded, 0u);
}

TEST(Ingest, HeaderIsRecognisedInAnyOrderCaseAndQuoting) {
  TestDatabase t;
  t.migrate();
  const auto out = ingest(
      t,
      write_file(t, "x.txt",
                 "\xEF\xBB\xBF\"SELLER_STATE\",Seller_City,seller_id,seller_zip_code_prefix\r\nSP,campinas,s1,01001"));
  ASSERT_EQ(to_string(out.status), "loaded") << out.message;
  EXPECT_EQ(out.dataset, "sellers");
  EXPECT_EQ(
      t.scalar(
          "SELECT CONCAT(seller_id, '|', seller_zip_code_prefix, '|', seller_city, '|', seller_state) FROM sellers"),
      "s1|01001|campinas|SP");
}

TEST(Ingest, RejectsWithinTheLimitLoadTheGoodRowsAndWriteARejectsFile) {
  TestDatabase t;
  t.migrate();
  const auto path = write_file(t, "p.csv",
                               "order_id,payment_sequential,payment_type,payment_installments,payment_value\n"
                               "o1,1,boleto,1,10.00\no2,x,boleto,1,5.00\no3,1,\"multi\nline\",1,7.50\n");
  auto out = ingest(t, path, 0);
  EXPECT_EQ(to_string(out.status), "rejected");
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM order_payments"), "0");
  out = ingest(t, path, 1);
  EXPECT_EQ(to_string(out.status), "loaded") << out.message;
  EXPECT_EQ(out.rows_loaded, 2u);
  EXPECT_EQ(out.rows_rejected, 1u);
  EXPECT_EQ(t.scalar("SELECT GROUP_CONCAT(order_id ORDER BY order_id) FROM order_payments"), "o1,o3");
  EXPECT_EQ(t.scalar("SELECT payment_type FROM order_payments WHERE order_id = 'o3'"), "multi\nline");
  ASSERT_EQ(out.rejects_file, t.scratch() / "p.csv.rejects.csv");
  std::ifstream in(out.rejects_file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text,
            "line,reason,record\n3,\"payment_sequential: \"\"x\"\" is not a whole number\",\"o2,x,boleto,1,5.00\"\n");
}

TEST(Ingest, SameContentTwiceIsADuplicateAndADeltaUpdatesRows) {
  TestDatabase t;
  t.migrate();
  const std::string h =
      "order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,"
      "order_delivered_carrier_date,order_delivered_customer_date,order_estimated_delivery_date\n";
  const auto first =
      write_file(t, "orders.csv", h + "o1,c1,shipped,2018-01-01 10:00:00,,,,\no2,c2,shipped,2018-01-02 10:00:00,,,,\n");
  EXPECT_EQ(to_string(ingest(t, first).status), "loaded");
  const std::string before = fingerprint(t);
  const auto again =
      ingest(t, write_file(t, "orders-copy.csv",
                           h + "o1,c1,shipped,2018-01-01 10:00:00,,,,\no2,c2,shipped,2018-01-02 10:00:00,,,,\n"));
  EXPECT_EQ(to_string(again.status), "duplicate");
  EXPECT_NE(again.message.find("same content as ingested file #1"), std::string::npos) << again.message;
  EXPECT_EQ(fingerprint(t), before);
  const auto delta = ingest(
      t,
      write_file(
          t, "orders.csv",
          h + "o1,c1,delivered,2018-01-01 10:00:00,,,2018-01-05 12:00:00,\no3,c3,shipped,2018-01-03 10:00:00,,,,\n"));
  EXPECT_EQ(to_string(delta.status), "loaded") << delta.message;
  EXPECT_FALSE(delta.staged);  // the direct load replaces existing keys
  EXPECT_EQ(t.scalar("SELECT GROUP_CONCAT(CONCAT(order_id, ':', order_status) ORDER BY order_id) FROM orders"),
            "o1:delivered,o2:shipped,o3:shipped");
  EXPECT_EQ(t.scalar("SELECT order_delivered_customer_date FROM orders WHERE order_id = 'o1'"), "2018-01-05 12:00:00");
}

bool server_bulk_loads(TestDatabase& t) {
  return bulk_loads_empty_tables(t.scalar("SELECT VERSION()"));
}

// "11" when the session that loaded has unique_checks and foreign_key_checks
// back on, as every load must leave them.
std::string session_checks(TestDatabase& t) {
  return t.scalar("SELECT CONCAT(@@SESSION.unique_checks + 0, @@SESSION.foreign_key_checks + 0)");
}

// The first file of a dataset goes into an empty table: without REPLACE, and
// where the server can, with its indexes built in bulk. A later file
// replaces rows as before, and the session's checks are back on after both.
TEST(Ingest, AnEmptyTableIsLoadedInBulkAndLaterFilesReplaceRows) {
  TestDatabase t;
  t.migrate();
  const std::string h = "order_id,payment_sequential,payment_type,payment_installments,payment_value\n";
  const auto first = ingest(t, write_file(t, "p1.csv", h + "o2,1,boleto,1,20.00\no1,1,voucher,1,10.00\n"));
  ASSERT_EQ(to_string(first.status), "loaded") << first.message;
  EXPECT_EQ(first.bulk, server_bulk_loads(t));
  EXPECT_EQ(session_checks(t), "11");
  EXPECT_EQ(t.scalar("SELECT GROUP_CONCAT(order_id, '=', payment_value ORDER BY order_id) FROM order_payments"),
            "o1=10.00,o2=20.00");
  const auto delta = ingest(t, write_file(t, "p2.csv", h + "o2,1,boleto,1,25.00\no3,1,boleto,1,30.00\n"));
  ASSERT_EQ(to_string(delta.status), "loaded") << delta.message;
  EXPECT_FALSE(delta.bulk);
  EXPECT_EQ(session_checks(t), "11");
  EXPECT_EQ(t.scalar("SELECT GROUP_CONCAT(order_id, '=', payment_value ORDER BY order_id) FROM order_payments"),
            "o1=10.00,o2=25.00,o3=30.00");
}

// Geolocation has no natural key: each file replaces the table. The first
// one, into an empty table, is loaded in bulk; a later one deletes the old
// rows in the same transaction and so loads row by row.
TEST(Ingest, AGeolocationFileIntoAnEmptyTableIsLoadedInBulkAndLaterOnesReplaceIt) {
  TestDatabase t;
  t.migrate();
  const std::string h =
      "geolocation_zip_code_prefix,geolocation_lat,geolocation_lng,geolocation_city,geolocation_state\n";
  const auto first =
      ingest(t, write_file(t, "g1.csv", h + "01037,-23.5,-46.6,sao paulo,SP\n01046,-23.6,-46.7,sao paulo,SP\n"));
  ASSERT_EQ(to_string(first.status), "loaded") << first.message;
  EXPECT_EQ(first.bulk, server_bulk_loads(t));
  EXPECT_EQ(t.scalar("SELECT GROUP_CONCAT(geolocation_zip_code_prefix ORDER BY geolocation_id) FROM geolocation"),
            "01037,01046");
  const auto next = ingest(t, write_file(t, "g2.csv", h + "20000,-22.9,-43.2,rio de janeiro,RJ\n"));
  ASSERT_EQ(to_string(next.status), "loaded") << next.message;
  EXPECT_FALSE(next.bulk);
  EXPECT_EQ(session_checks(t), "11");
  EXPECT_EQ(t.scalar("SELECT GROUP_CONCAT(geolocation_zip_code_prefix) FROM geolocation"), "20000");
}

TEST(Ingest, AFailedLoadIntoAnEmptyTableAppliesNothingAndRestoresTheSession) {
  TestDatabase t;
  t.migrate();
  t.db().execute(
      "CREATE TRIGGER test_payment_refused BEFORE INSERT ON order_payments FOR EACH ROW "
      "IF NEW.order_id = 'o3' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'payment refused by test'; END IF");
  const std::string h = "order_id,payment_sequential,payment_type,payment_installments,payment_value\n";
  const auto out =
      ingest(t, write_file(t, "p.csv", h + "o1,1,boleto,1,1.00\no2,1,boleto,1,2.00\no3,1,boleto,1,3.00\n"));
  EXPECT_EQ(to_string(out.status), "failed");
  EXPECT_NE(out.message.find("payment refused by test"), std::string::npos) << out.message;
  EXPECT_FALSE(out.bulk);
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM order_payments"), "0");
  EXPECT_EQ(t.scalar("SELECT GROUP_CONCAT(status) FROM ingested_files"), "failed");
  EXPECT_EQ(session_checks(t), "11");
}

// A keyed file is put in primary-key order before it is loaded; beyond the
// sort memory it is sorted in batches on disk and merged. Every row must
// arrive exactly as in the file, and no scratch file may be left behind.
TEST(Ingest, AFileSortedInManyBatchesLoadsExactlyAndLeavesNoScratch) {
  TestDatabase t;
  t.migrate();
  std::string csv = "order_id,payment_sequential,payment_type,payment_installments,payment_value\n";
  std::vector<std::string> rows;
  for (int i = 0; i < 3000; ++i) {
    // Keys out of order, several payments per order, sequence 10 before 9.
    const std::string order = "o" + std::to_string(i * 7 % 1000);
    const int seq = 10 - i / 1000;
    rows.push_back(order + "," + std::to_string(seq) + ",boleto,1," + std::to_string(i) + ".50");
  }
  for (const auto& r : rows) csv += r + "\n";
  const auto scratch = t.scratch() / "sort-scratch";
  std::filesystem::create_directories(scratch);
  IngestOptions o;
  o.temp_dir = scratch;
  o.sort_memory = 8192;  // dozens of batches
  const auto out = ingest_file(t.db(), write_file(t, "payments.csv", csv), o, std::nullopt);
  ASSERT_EQ(to_string(out.status), "loaded") << out.message;
  EXPECT_FALSE(out.staged);
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM order_payments"), "3000");
  // Row i is order o(i*7 mod 1000), sequence 10 - i/1000, value i.50.
  EXPECT_EQ(t.scalar("SELECT payment_value FROM order_payments WHERE order_id = 'o7' AND payment_sequential = 10"),
            "1.50");
  EXPECT_EQ(t.scalar("SELECT payment_value FROM order_payments WHERE order_id = 'o7' AND payment_sequential = 9"),
            "1001.50");
  EXPECT_EQ(t.scalar("SELECT payment_value FROM order_payments WHERE order_id = 'o3' AND payment_sequential = 8"),
            "2429.50");
  EXPECT_EQ(t.scalar("SELECT SUM(payment_value) FROM order_payments"), "4500000.00");
  EXPECT_TRUE(std::filesystem::is_empty(scratch));
}

// Repeated keys send a file through the staging table, where the server
// finds them with the tables' own collation: trailing spaces do not count.
TEST(Ingest, RepeatedKeysAreReportedAndTheRestMergedOnTheStagingPath) {
  TestDatabase t;
  t.migrate();
  const std::string h = "product_category_name,product_category_name_english\n";
  ASSERT_EQ(to_string(ingest(t, write_file(t, "base.csv", h + "beleza,beauty\ncasa,home\n")).status), "loaded");
  const auto out =
      ingest(t, write_file(t, "again.csv", h + "casa,house\nbeleza  ,beauty2\nbeleza,beauty3\nnovo,new\n"), 1);
  EXPECT_EQ(to_string(out.status), "loaded") << out.message;
  EXPECT_TRUE(out.staged);
  EXPECT_EQ(out.rows_rejected, 1u);
  EXPECT_EQ(t.scalar("SELECT GROUP_CONCAT(CONCAT(product_category_name, '=', product_category_name_english) "
                     "ORDER BY product_category_name) FROM product_category_name_translation"),
            "beleza  =beauty2,casa=house,novo=new");
  std::ifstream in(out.rejects_file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("4,\"duplicate key (beleza  ) within the file; first on line 3\""), std::string::npos) << text;
}

// The database reads "01" and "1" as the same payment_sequential, so a file
// holding both repeats a key: it must be reported, not silently replaced.
TEST(Ingest, NumericKeysRepeatByValue) {
  TestDatabase t;
  t.migrate();
  const std::string h = "order_id,payment_sequential,payment_type,payment_installments,payment_value\n";
  const auto out =
      ingest(t, write_file(t, "p.csv", h + "o1,1,boleto,1,10.00\no2,1,boleto,1,5.00\no1,01,voucher,1,3.00\n"), 1);
  EXPECT_EQ(to_string(out.status), "loaded") << out.message;
  EXPECT_TRUE(out.staged);
  EXPECT_EQ(out.rows_rejected, 1u);
  EXPECT_EQ(t.scalar("SELECT GROUP_CONCAT(CONCAT(order_id, ':', payment_value) ORDER BY order_id) FROM order_payments"),
            "o1:10.00,o2:5.00");
}

TEST(Ingest, BothLoadPathsGiveIdenticalTables) {
  TestDatabase a, b;
  a.migrate();
  b.migrate();
  const auto dir = a.scratch() / "gen";
  const std::string cmd =
      std::string(SEGMENTD_DATAGEN) + " --scale 0.02 --seed 5 --out '" + dir.string() + "' >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  if (!kReal.empty()) files.push_back(kReal / "head" / "olist_order_reviews_dataset.csv");
  for (const auto& f : files) {
    const auto x = ingest(a, f, 0, LoadPath::LoadData);
    const auto y = ingest(b, f, 0, LoadPath::Insert);
    EXPECT_EQ(to_string(x.status), "loaded") << f << x.message;
    EXPECT_EQ(to_string(y.status), "loaded") << f << y.message;
    EXPECT_EQ(x.load_path, "load_data");
    EXPECT_EQ(y.load_path, "insert");
    // Generated keys are distinct, so LOAD DATA goes straight to the table.
    EXPECT_FALSE(x.staged) << f;
    EXPECT_TRUE(y.staged) << f;
  }
  // geolocation's surrogate keys are assigned in file order on both paths.
  EXPECT_EQ(fingerprint(a), fingerprint(b));
}

TEST(Ingest, KilledMidLoadLeavesNothingAndTheRerunEqualsACleanLoad) {
  TestDatabase t;
  t.migrate();
  const auto dir = t.scratch() / "gen";
  const std::string cmd =
      std::string(SEGMENTD_DATAGEN) + " --scale 0.5 --seed 9 --out '" + dir.string() + "' >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const auto config = t.write_config();
  const auto geo = dir / "olist_geolocation_dataset.csv";
  const auto orders = dir / "olist_orders_dataset.csv";
  for (int delay_ms : {300, 900, 1800}) {
    const pid_t pid = fork();
    if (pid == 0) {
      const int devnull = ::open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
      dup2(devnull, 2);
      execl(SEGMENTD_BINARY, SEGMENTD_BINARY, "--config", config.c_str(), "ingest", orders.c_str(), geo.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    // Whatever was committed is complete: a table is empty or whole.
    const std::string n = t.scalar("SELECT COUNT(*) FROM geolocation");
    EXPECT_TRUE(n == "0" || n == "500082") << n;
  }
  const std::string run = std::string(SEGMENTD_BINARY) + " --config '" + config.string() + "' ingest '" +
                          orders.string() + "' '" + geo.string() + "' >/dev/null 2>&1";
  ASSERT_EQ(std::system(run.c_str()), 0);
  TestDatabase clean;
  clean.migrate();
  ASSERT_EQ(to_string(ingest(clean, orders).status), "loaded");
  ASSERT_EQ(to_string(ingest(clean, geo).status), "loaded");
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM orders"), "49721");
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM geolocation"), clean.scalar("SELECT COUNT(*) FROM geolocation"));
  EXPECT_EQ(t.db().query("CHECKSUM TABLE orders").rows.at(0).at(1),
            clean.db().query("CHECKSUM TABLE orders").rows.at(0).at(1));
  EXPECT_EQ(t.scalar("SELECT COUNT(*) FROM ingested_files WHERE status = 'loaded'"), "2");
}

}  // namespace
}  // namespace segmentd::test
