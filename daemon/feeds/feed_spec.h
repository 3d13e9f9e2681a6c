#pragma once
// A feed: the layout of one shop platform's export (or any CSV), as
// segmentd reads it into the canonical tables (doc/FEEDS.md). Presets give
// the six platforms' layouts; the configuration may override any key.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace segmentd {

// What one row of the file is.
enum class FeedGrain {
  Order,     // one row per order
  LineItem,  // one row per item; the order's fields on its first row, its rows contiguous
  Payment,   // one row per charge; refunds on the row, or rows pointing at the charge
};

enum class FeedEncoding { Utf8, Windows1252, Iso88591, Utf16 };

const char* to_string(FeedGrain grain);
const char* to_string(FeedEncoding encoding);
std::optional<FeedGrain> feed_grain_from(const std::string& text);
std::optional<FeedEncoding> feed_encoding_from(const std::string& text);

// The columns a feed can name, by role. Keys of `columns:` in the config.
inline const std::vector<std::string> kFeedRoles = {
    "order_id",            // required: the order (for payment grain, the charge)
    "customer_id",         // customer key; when absent or a guest id, the e-mail
    "email",               //
    "purchased_at",        // required: date (and time) of the purchase
    "purchased_time",      // a separate time column (PayPal's Time)
    "timezone_column",     // a column naming each row's time zone (PayPal's TimeZone)
    "amount",              // required: the amount charged, in the row's currency
    "refunded",            // amount refunded, on the same row
    "currency",            // the row's currency; absent: the base currency
    "status",              // compared with counted_statuses
    "cancelled_at",        // not empty: cancelled
    "consent",             // marketing consent (yes/no/true/false/1/0)
    "captured",            // a charge that must also be captured (Stripe)
    "converted_amount",    // the amount in the base currency, from the export
    "converted_refunded",  // the refunded amount in the base currency
    "converted_currency",  // the currency of the converted columns
    "exchange_rate",       // row currency units per base unit (BigCommerce)
    "refers_to",           // payment grain: the charge a refund row points at
    "balance_impact",      // PayPal: rows saying Memo are not money
};

struct FeedSpec {
  std::string name;    // config name; the preset's name when unconfigured
  std::string preset;  // empty for a custom feed
  FeedGrain grain = FeedGrain::Order;
  char delimiter = ',';
  bool decimal_comma = false;
  std::vector<std::string> date_formats = {"%Y-%m-%d %H:%M:%S"};  // tried in order
  std::string timezone = "UTC";
  FeedEncoding encoding = FeedEncoding::Utf8;
  std::vector<std::string> counted_statuses;  // lower case; empty: every status counts
  std::vector<std::string> guest_customer_ids = {"0"};
  std::string store;      // prefixes order and customer keys: store:key
  std::string file_glob;  // narrows recognition by file name; empty: any
  // role -> header as exported; "A|B" accepts either (older exports).
  std::map<std::string, std::string> columns;
  // Mapped roles a header may lack (columns only newer exports have).
  std::vector<std::string> optional_roles;

  bool has(const std::string& role) const { return columns.count(role) > 0; }
  // The roles a header must have for this feed to recognise it.
  std::vector<std::string> required_roles() const;
};

// The presets by name, in a stable order.
const std::vector<FeedSpec>& feed_presets();
const FeedSpec* feed_preset(const std::string& name);

// Checks a spec as the config gives it; returns the problem or empty.
std::string feed_spec_problem(const FeedSpec& spec);

}  // namespace segmentd
