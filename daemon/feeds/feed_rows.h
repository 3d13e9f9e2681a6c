#pragma once
// A feed file's header bound to a feed, and its rows read into records of
// orders and refunds (doc/FEEDS.md "The rules"). Pure: no database.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "feed_spec.h"
#include "feed_values.h"

namespace segmentd {

// Which field of the file each mapped role is in.
struct FeedBinding {
  const FeedSpec* spec = nullptr;
  std::map<std::string, std::size_t> field_of_role;
};

struct FeedMatch {
  std::optional<FeedBinding> binding;
  std::string error;  // when no feed (or more than one) takes the header
  // How many mapped columns the closest feed found (for choosing which
  // refusal to show: this one's or the Olist datasets').
  std::size_t closest_found = 0;
};

// Binds `header` (raw fields, decoded per feed) to the one feed among
// `feeds` whose required columns it has and whose file glob (if any)
// matches `file_name`. None: the closest feed and its missing columns.
// Two: both named.
FeedMatch match_feed(const std::vector<FeedSpec>& feeds, const std::vector<std::string>& header,
                     const std::string& file_name);

// The currency-rates layout: date,currency,rate.
bool is_rates_header(const std::vector<std::string>& header);

enum class FeedRowKind {
  Order,    // an order (or a charge), replacing any earlier one of its key
  Refund,   // reduces the charge it points at
  Ignored,  // a line item after its order's first row, a memo, money out
};

struct FeedRecord {
  FeedRowKind kind = FeedRowKind::Ignored;
  std::uint64_t line = 0;
  std::string order_id, order_key;        // canonical id; key as given (store:key)
  std::string customer_id, customer_key;  // likewise
  std::string email;                      // lower case; empty when none
  std::optional<bool> consent;
  std::chrono::sys_seconds purchased_at{};
  std::string status;  // as given, trimmed
  bool status_counted = false;
  bool cancelled = false;
  std::string currency;  // upper case; empty: the base currency
  Money amount = 0, refunded = 0;
  std::optional<Money> converted_net;  // net already in the base currency
  std::string exchange_rate;           // row currency per base unit, decimal text; empty: none
  std::string why_ignored;
};

// Reads one feed's rows. Stateful for the line-item grain (an order's
// later rows are its items).
class FeedRowReader {
 public:
  FeedRowReader(FeedBinding binding, std::string base_currency);
  // The record of `fields` (decoded to UTF-8), or nullopt with `reason`.
  std::optional<FeedRecord> read(std::vector<std::string>& fields, std::uint64_t line, std::string& reason);

 private:
  const std::string* field(std::vector<std::string>& fields, const char* role) const;
  std::string keyed(const std::string& key) const;

  FeedBinding binding_;
  const FeedSpec& spec_;
  std::string base_;
  std::string previous_order_;
};

}  // namespace segmentd
