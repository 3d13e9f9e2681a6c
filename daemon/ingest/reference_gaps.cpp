#include "reference_gaps.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "db_session.h"
#include "ingest_sql.h"

namespace segmentd {

const std::vector<ReferenceCheck>& reference_checks() {
  // The child index is the narrowest that starts with the referring column.
  static const std::vector<ReferenceCheck> all = {
      {"order_items_with_unknown_order", "order_items", "order_id", "ix_order_items_value", "orders", "order_id"},
      {"orders_with_unknown_customer", "orders", "customer_id", "ix_orders_customer", "customers", "customer_id"},
      {"payments_with_unknown_order", "order_payments", "order_id", "ix_order_payments_value", "orders", "order_id"},
      {"reviews_with_unknown_order", "order_reviews", "order_id", "ix_order_reviews_order", "orders", "order_id"},
      {"order_items_with_unknown_product", "order_items", "product_id", "ix_order_items_product", "products",
       "product_id"},
      {"order_items_with_unknown_seller", "order_items", "seller_id", "ix_order_items_seller", "sellers", "seller_id"},
  };
  return all;
}

std::vector<std::string_view> reference_columns(const Dataset& d) {
  std::vector<std::string_view> out;
  const auto add = [&out](std::string_view c) {
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  };
  bool involved = false;
  for (const auto& c : reference_checks()) {
    if (c.child == d.table) add(c.column);
    involved = involved || c.child == d.table || c.parent == d.table;
  }
  if (!involved) return {};
  for (auto k : d.key) add(k);
  return out;
}

namespace {

bool is_empty(DbSession& db, std::string_view table) {
  return db.query(ingest_sql::any_row_of(table)).rows.empty();
}

// The check's gaps, counted over the whole tables; none while its parent
// is empty (every child row dangles: reference_gap_summary counts them).
void count_whole(DbSession& db, const ReferenceCheck& c) {
  const std::string name(c.name);
  db.update(ingest_sql::gap_clear(), {name});
  if (!is_empty(db, c.parent)) db.update(ingest_sql::gap_count_all(c), {name});
}

}  // namespace

ReferenceGapUpdate::ReferenceGapUpdate(DbSession& db, const Dataset& d, std::optional<std::string> file_rows,
                                       bool into_empty)
    : db_(db), dataset_(d), file_rows_(std::move(file_rows)), into_empty_(into_empty) {}

void ReferenceGapUpdate::before_merge() {
  if (!file_rows_) return;  // counted over the whole table afterwards
  for (const auto& c : reference_checks()) {
    // A replaced row may have pointed at a gap that it no longer does.
    if (c.child == dataset_.table && !is_empty(db_, c.parent)) {
      db_.update(ingest_sql::gap_mark_replaced(c, dataset_, *file_rows_), {std::string(c.name)});
    }
  }
}

void ReferenceGapUpdate::after_merge() {
  for (const auto& c : reference_checks()) {
    const std::string name(c.name);
    if (c.child == dataset_.table && !is_empty(db_, c.parent)) {
      if (file_rows_) {
        db_.update(ingest_sql::gap_mark_new(c, *file_rows_), {name});
        db_.update(ingest_sql::gap_recount_marked(c), {name});
        db_.update(ingest_sql::gap_drop_closed(), {name});
      } else {
        count_whole(db_, c);
      }
    }
    if (c.parent == dataset_.table) {
      if (into_empty_) {
        count_whole(db_, c);  // the gaps were not kept while it was empty
      } else if (file_rows_) {
        db_.update(ingest_sql::gap_close_by_file(c, *file_rows_), {name});
      } else {
        db_.update(ingest_sql::gap_close_by_table(c), {name});
      }
    }
  }
}

void recount_reference_gaps(DbSession& db) {
  for (const auto& c : reference_checks()) count_whole(db, c);
}

std::string reference_gap_summary(DbSession& db, const std::set<std::string>& datasets) {
  std::map<std::string, std::uint64_t> totals;
  for (const auto& row : db.query(ingest_sql::kGapTotals).rows) {
    totals[row[0].value_or("")] = std::stoull(row[1].value_or("0"));
  }
  nlohmann::json j = nlohmann::json::object();
  for (const auto& c : reference_checks()) {
    const bool involved =
        datasets.empty() || datasets.count(std::string(c.child)) || datasets.count(std::string(c.parent));
    if (!involved) continue;
    if (is_empty(db, c.parent)) {
      j[std::string(c.name)] = std::stoull(query_value(db, ingest_sql::count_rows_of(c.child)).value_or("0"));
      continue;
    }
    const auto it = totals.find(std::string(c.name));
    j[std::string(c.name)] = it == totals.end() ? 0 : it->second;
  }
  return j.dump();
}

}  // namespace segmentd
