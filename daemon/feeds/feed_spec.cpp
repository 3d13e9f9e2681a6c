// The feed layouts segmentd knows (doc/FEEDS.md "Presets" says where each
// header and convention comes from).
#include "feed_spec.h"

#include <algorithm>

#include "date/tz.h"

namespace segmentd {
namespace {

FeedSpec shopify_orders() {
  FeedSpec s;
  s.name = s.preset = "shopify_orders";
  s.grain = FeedGrain::LineItem;
  s.date_formats = {"%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S"};
  s.counted_statuses = {"paid", "partially_refunded"};
  s.columns = {{"order_id", "Name"},
               {"email", "Email"},
               {"status", "Financial Status"},
               {"purchased_at", "Created at"},
               {"amount", "Total"},
               {"refunded", "Refunded Amount"},
               {"currency", "Currency"},
               {"cancelled_at", "Cancelled at"},
               {"consent", "Accepts Marketing"}};
  s.optional_roles = {"refunded", "consent"};
  return s;
}

FeedSpec woocommerce_orders() {
  FeedSpec s;
  s.name = s.preset = "woocommerce_orders";
  s.date_formats = {"%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M"};
  s.counted_statuses = {"completed", "processing", "wc-completed", "wc-processing"};
  s.columns = {{"order_id", "order_number"},   {"customer_id", "customer_id"}, {"email", "customer_email"},
               {"purchased_at", "order_date"}, {"amount", "order_total"},      {"currency", "order_currency"},
               {"status", "status"},           {"refunded", "order_refund"}};
  s.optional_roles = {"refunded"};
  return s;
}

FeedSpec magento_orders_grid() {
  FeedSpec s;
  s.name = s.preset = "magento_orders_grid";
  s.date_formats = {"%b %d, %Y %I:%M:%S %p", "%b %d, %Y, %I:%M:%S %p", "%Y-%m-%d %H:%M:%S"};
  s.counted_statuses = {"complete", "processing"};
  // Grand Total (Base) is in the store's base currency: no currency column.
  s.columns = {{"order_id", "ID"},
               {"email", "Customer Email"},
               {"purchased_at", "Purchase Date"},
               {"amount", "Grand Total (Base)"},
               {"refunded", "Total Refunded"},
               {"status", "Status"}};
  return s;
}

FeedSpec bigcommerce_orders() {
  FeedSpec s;
  s.name = s.preset = "bigcommerce_orders";
  s.date_formats = {"%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%a, %d %b %Y %H:%M:%S %z"};
  s.counted_statuses = {"completed",         "shipped",         "partially shipped", "awaiting fulfillment",
                        "awaiting shipment", "awaiting pickup", "partially refunded"};
  s.columns = {{"order_id", "Order ID"},
               {"customer_id", "Customer ID"},
               {"email", "Customer Email"},
               {"purchased_at", "Order Date"},
               {"status", "Order Status"},
               {"amount", "Order Total (inc tax)"},
               {"currency", "Order Currency Code"},
               {"exchange_rate", "Exchange Rate"},
               {"refunded", "Refund Amount"}};
  s.optional_roles = {"exchange_rate", "refunded"};
  return s;
}

FeedSpec stripe_payments() {
  FeedSpec s;
  s.name = s.preset = "stripe_payments";
  s.grain = FeedGrain::Payment;
  s.date_formats = {"%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"};
  s.counted_statuses = {"paid"};
  s.guest_customer_ids = {};
  s.columns = {{"order_id", "id"},
               {"purchased_at", "Created (UTC)|Created"},
               {"amount", "Amount"},
               {"refunded", "Amount Refunded"},
               {"currency", "Currency"},
               {"converted_amount", "Converted Amount"},
               {"converted_refunded", "Converted Amount Refunded"},
               {"converted_currency", "Converted Currency"},
               {"status", "Status"},
               {"customer_id", "Customer ID"},
               {"email", "Customer Email"},
               {"captured", "Captured"}};
  s.optional_roles = {"converted_amount", "converted_refunded", "converted_currency", "captured", "customer_id"};
  return s;
}

FeedSpec paypal_activity() {
  FeedSpec s;
  s.name = s.preset = "paypal_activity";
  s.grain = FeedGrain::Payment;
  s.date_formats = {"%m/%d/%Y %H:%M:%S"};
  s.counted_statuses = {"completed"};
  s.columns = {{"order_id", "Transaction ID"},    {"email", "From Email Address"},
               {"purchased_at", "Date"},          {"purchased_time", "Time"},
               {"timezone_column", "TimeZone"},   {"amount", "Gross"},
               {"currency", "Currency"},          {"status", "Status"},
               {"refers_to", "Reference Txn ID"}, {"balance_impact", "Balance Impact"}};
  s.optional_roles = {"balance_impact", "timezone_column"};
  return s;
}

}  // namespace

const char* to_string(FeedGrain grain) {
  switch (grain) {
    case FeedGrain::Order:
      return "order";
    case FeedGrain::LineItem:
      return "line_item";
    case FeedGrain::Payment:
      return "payment";
  }
  return "order";
}

const char* to_string(FeedEncoding encoding) {
  switch (encoding) {
    case FeedEncoding::Utf8:
      return "utf-8";
    case FeedEncoding::Windows1252:
      return "windows-1252";
    case FeedEncoding::Iso88591:
      return "iso-8859-1";
    case FeedEncoding::Utf16:
      return "utf-16";
  }
  return "utf-8";
}

std::optional<FeedGrain> feed_grain_from(const std::string& text) {
  for (auto g : {FeedGrain::Order, FeedGrain::LineItem, FeedGrain::Payment}) {
    if (text == to_string(g)) return g;
  }
  return std::nullopt;
}

std::optional<FeedEncoding> feed_encoding_from(const std::string& text) {
  std::string t;
  for (char c : text) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "utf-8" || t == "utf8") return FeedEncoding::Utf8;
  if (t == "windows-1252" || t == "cp1252") return FeedEncoding::Windows1252;
  if (t == "iso-8859-1" || t == "latin1" || t == "latin-1") return FeedEncoding::Iso88591;
  if (t == "utf-16") return FeedEncoding::Utf16;
  return std::nullopt;
}

std::vector<std::string> FeedSpec::required_roles() const {
  std::vector<std::string> out;
  for (const auto& [role, header] : columns) {
    if (std::find(optional_roles.begin(), optional_roles.end(), role) == optional_roles.end()) out.push_back(role);
  }
  return out;
}

const std::vector<FeedSpec>& feed_presets() {
  static const std::vector<FeedSpec> all = {shopify_orders(),     woocommerce_orders(), magento_orders_grid(),
                                            bigcommerce_orders(), stripe_payments(),    paypal_activity()};
  return all;
}

const FeedSpec* feed_preset(const std::string& name) {
  for (const auto& p : feed_presets()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::string feed_spec_problem(const FeedSpec& spec) {
  for (const auto& role : {"order_id", "purchased_at", "amount"}) {
    if (!spec.has(role)) return std::string("columns.") + role + " is required";
  }
  if (!spec.has("customer_id") && !spec.has("email")) return "columns.customer_id or columns.email is required";
  if (spec.has("refers_to") && spec.grain != FeedGrain::Payment) return "columns.refers_to needs grain: payment";
  for (const auto& [role, header] : spec.columns) {
    if (header.empty()) return "columns." + role + " is empty";
  }
  if (spec.date_formats.empty()) return "date_format is empty";
  if (spec.store.find(':') != std::string::npos) return "store must not contain ':'";
  try {
    (void)date::locate_zone(spec.timezone);
  } catch (const std::exception&) {
    return "timezone " + spec.timezone + " is not a known time zone";
  }
  return {};
}

}  // namespace segmentd
