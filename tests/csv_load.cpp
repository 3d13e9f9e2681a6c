#include "csv_load.h"

#include <fstream>
#include <map>
#include <stdexcept>

namespace segmentd::test {

void load_csv(DbSession& db, const std::filesystem::path& file) {
  static const std::map<std::string, std::string> specs = {
      {"olist_customers_dataset.csv", "customers"},
      {"olist_orders_dataset.csv",
       "orders (order_id, customer_id, order_status, order_purchase_timestamp, @a, @c, @d, @e) SET "
       "order_approved_at = NULLIF(@a, ''), order_delivered_carrier_date = NULLIF(@c, ''), "
       "order_delivered_customer_date = NULLIF(@d, ''), order_estimated_delivery_date = NULLIF(@e, '')"},
      {"olist_order_items_dataset.csv",
       "order_items (order_id, order_item_id, product_id, seller_id, @s, price, freight_value) SET "
       "shipping_limit_date = NULLIF(@s, '')"},
      {"olist_order_payments_dataset.csv", "order_payments"},
  };
  auto it = specs.find(file.filename().string());
  if (it == specs.end()) throw std::runtime_error("test loader does not know " + file.string());
  std::ifstream in(file, std::ios::binary);
  std::string first;
  std::getline(in, first);
  const bool crlf = !first.empty() && first.back() == '\r';
  const auto table_end = it->second.find(' ');
  const std::string table = it->second.substr(0, table_end);
  const std::string rest = table_end == std::string::npos ? "" : it->second.substr(table_end);
  // Paths here are the tests' own temporary files, quoted defensively.
  std::string path = file.string();
  std::string quoted;
  for (char c : path) {
    if (c == '\'' || c == '\\') quoted += c;
    quoted += c;
  }
  db.execute("LOAD DATA LOCAL INFILE '" + quoted + "' INTO TABLE " + table +
             " CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' "
             "LINES TERMINATED BY '" +
             (crlf ? "\\r\\n" : "\\n") + "' IGNORE 1 LINES" + rest);
}

}  // namespace segmentd::test
