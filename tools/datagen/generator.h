#pragma once
// Generates the nine Olist CSV files with the real headers, formats and
// quirks, deterministic for a seed, streaming (memory independent of scale).

#include <cstdint>
#include <string>

namespace datagen {

struct Options {
  std::string out_dir;
  double scale = 1.0;  // 1 ~ 99,441 orders
  std::uint64_t seed = 42;
  // 0: the base files. N > 0: day N's delta after that base (delta.cpp).
  unsigned delta_day = 0;
  // Only the five files of the orders (a platform export's source).
  bool orders_only = false;
};

struct Counts {
  std::size_t customers = 0, orders = 0, order_items = 0, order_payments = 0, order_reviews = 0, products = 0,
              sellers = 0, geolocation = 0, translations = 0;
};

Counts generate(const Options& options);

// Day N's delta (Options::delta_day) for the base of the same scale and
// seed, deterministic per day: new orders (a hundredth of the base's, 10%
// of them from returning customers) with their customers, items,
// payments and reviews, purchased on day N (2018-10-16 + N); earlier
// days' shipped orders restated as delivered (2% canceled) 1-5 days
// later; and 2% of yesterday's orders' first payment restated. Writes the
// five files that change, with the base's names and formats.
struct DeltaCounts {
  std::size_t status_updates = 0, payments_changed = 0;
};
Counts generate_delta(const Options& options, DeltaCounts& changes);

}  // namespace datagen
