#include "datasets.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "errors.h"

namespace segmentd {
namespace {

using T = ColumnType;
constexpr unsigned long long kUInt32 = 4294967295ULL;

std::vector<Dataset> build() {
  return {
      {"customers",
       "customers",
       {{"customer_id", "customer_id", T::Id, 32, false},
        {"customer_unique_id", "customer_unique_id", T::Id, 32, false},
        {"customer_zip_code_prefix", "customer_zip_code_prefix", T::Text, 10, true},
        {"customer_city", "customer_city", T::Text, 100, true},
        {"customer_state", "customer_state", T::Text, 8, true}},
       {"customer_id"}},
      {"orders",
       "orders",
       {{"order_id", "order_id", T::Id, 32, false},
        {"customer_id", "customer_id", T::Id, 32, false},
        {"order_status", "order_status", T::Text, 20, false},
        {"order_purchase_timestamp", "order_purchase_timestamp", T::DateTime, 0, false},
        {"order_approved_at", "order_approved_at", T::DateTime, 0, true},
        {"order_delivered_carrier_date", "order_delivered_carrier_date", T::DateTime, 0, true},
        {"order_delivered_customer_date", "order_delivered_customer_date", T::DateTime, 0, true},
        {"order_estimated_delivery_date", "order_estimated_delivery_date", T::DateTime, 0, true}},
       {"order_id"}},
      {"order_items",
       "order_items",
       {{"order_id", "order_id", T::Id, 32, false},
        {"order_item_id", "order_item_id", T::UInt, 0, false, kUInt32},
        {"product_id", "product_id", T::Id, 32, false},
        {"seller_id", "seller_id", T::Id, 32, false},
        {"shipping_limit_date", "shipping_limit_date", T::DateTime, 0, true},
        {"price", "price", T::Decimal, 12, false},
        {"freight_value", "freight_value", T::Decimal, 12, false}},
       {"order_id", "order_item_id"}},
      {"order_payments",
       "order_payments",
       {{"order_id", "order_id", T::Id, 32, false},
        {"payment_sequential", "payment_sequential", T::UInt, 0, false, kUInt32},
        {"payment_type", "payment_type", T::Text, 20, false},
        {"payment_installments", "payment_installments", T::UInt, 0, false, kUInt32},
        {"payment_value", "payment_value", T::Decimal, 12, false}},
       {"order_id", "payment_sequential"}},
      {"order_reviews",
       "order_reviews",
       {{"review_id", "review_id", T::Id, 32, false},
        {"order_id", "order_id", T::Id, 32, false},
        {"review_score", "review_score", T::UInt, 0, false, 255},
        {"review_comment_title", "review_comment_title", T::Text, 255, true},
        {"review_comment_message", "review_comment_message", T::Text, 65535, true},
        {"review_creation_date", "review_creation_date", T::DateTime, 0, true},
        {"review_answer_timestamp", "review_answer_timestamp", T::DateTime, 0, true}},
       {"review_id", "order_id"}},
      {"products",
       "products",
       {{"product_id", "product_id", T::Id, 32, false},
        {"product_category_name", "product_category_name", T::Text, 100, true},
        {"product_name_lenght", "product_name_length", T::UInt, 0, true, kUInt32},
        {"product_description_lenght", "product_description_length", T::UInt, 0, true, kUInt32},
        {"product_photos_qty", "product_photos_qty", T::UInt, 0, true, kUInt32},
        {"product_weight_g", "product_weight_g", T::UInt, 0, true, kUInt32},
        {"product_length_cm", "product_length_cm", T::UInt, 0, true, kUInt32},
        {"product_height_cm", "product_height_cm", T::UInt, 0, true, kUInt32},
        {"product_width_cm", "product_width_cm", T::UInt, 0, true, kUInt32}},
       {"product_id"}},
      {"sellers",
       "sellers",
       {{"seller_id", "seller_id", T::Id, 32, false},
        {"seller_zip_code_prefix", "seller_zip_code_prefix", T::Text, 10, true},
        {"seller_city", "seller_city", T::Text, 100, true},
        {"seller_state", "seller_state", T::Text, 8, true}},
       {"seller_id"}},
      {"geolocation",
       "geolocation",
       {{"geolocation_zip_code_prefix", "geolocation_zip_code_prefix", T::Text, 10, false},
        {"geolocation_lat", "geolocation_lat", T::Double, 0, true},
        {"geolocation_lng", "geolocation_lng", T::Double, 0, true},
        {"geolocation_city", "geolocation_city", T::Text, 100, true},
        {"geolocation_state", "geolocation_state", T::Text, 8, true}},
       {}},
      {"product_category_name_translation",
       "product_category_name_translation",
       {{"product_category_name", "product_category_name", T::Text, 100, false},
        {"product_category_name_english", "product_category_name_english", T::Text, 100, true}},
       {"product_category_name"}},
  };
}

std::string normalise(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (!std::isspace(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

}  // namespace

const std::vector<Dataset>& olist_datasets() {
  static const std::vector<Dataset> all = build();
  return all;
}

const Dataset* dataset_by_name(std::string_view name) {
  for (const auto& d : olist_datasets()) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

HeaderMatch recognise_header(const std::vector<std::string>& header) {
  std::map<std::string, std::size_t> position;
  std::vector<std::string> repeated;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (!position.emplace(normalise(header[i]), i).second) repeated.push_back(normalise(header[i]));
  }
  if (!repeated.empty()) throw UserError("header repeats column(s) " + join(repeated));

  const Dataset* best = nullptr;
  std::vector<std::string> best_missing, best_extra;
  std::size_t best_score = 0;
  for (const auto& d : olist_datasets()) {
    std::vector<std::string> missing, extra;
    std::size_t common = 0;
    for (const auto& c : d.columns) {
      if (position.count(std::string(c.header))) {
        ++common;
      } else {
        missing.emplace_back(c.header);
      }
    }
    for (const auto& entry : position) {
      // Not a structured binding: clang (the fuzz build) cannot capture one.
      const auto& name = entry.first;
      const bool known =
          std::any_of(d.columns.begin(), d.columns.end(), [&](const auto& c) { return c.header == name; });
      if (!known) extra.push_back(header[entry.second]);
    }
    if (missing.empty() && extra.empty()) {
      HeaderMatch m;
      m.dataset = &d;
      for (const auto& c : d.columns) m.field_of_column.push_back(position[std::string(c.header)]);
      return m;
    }
    if (best == nullptr || common > best_score) {
      best = &d;
      best_score = common;
      best_missing = missing;
      best_extra = extra;
    }
  }
  if (best_score == 0) {
    throw UserError("header matches no Olist dataset (columns: " + join(header) + ")");
  }
  throw UserError("header is not a known Olist dataset; closest is " + std::string(best->name) + ", missing " +
                  join(best_missing) + ", extra " + join(best_extra));
}

std::size_t olist_header_overlap(const std::vector<std::string>& header) {
  std::size_t best = 0;
  for (const auto& d : olist_datasets()) {
    std::size_t common = 0;
    for (const auto& h : header) {
      const std::string name = normalise(h);
      if (std::any_of(d.columns.begin(), d.columns.end(), [&](const auto& c) { return c.header == name; })) ++common;
    }
    best = std::max(best, common);
  }
  return best;
}

}  // namespace segmentd
