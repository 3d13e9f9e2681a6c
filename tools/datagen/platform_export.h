#pragma once
// The generated orders in a shop platform's export layout (segmentd's
// feed presets, doc/FEEDS.md): the same orders, customers and values as the
// Olist files of the same scale and seed, so a test can check that both
// give the same segments.

#include <string>

#include "generator.h"

namespace datagen {

// The formats --format takes.
inline constexpr const char* kPlatformFormats[] = {"shopify",     "woocommerce", "magento",
                                                   "bigcommerce", "stripe",      "paypal"};

struct PlatformCounts {
  std::size_t rows = 0, orders = 0, refunded = 0, cancelled = 0, foreign = 0;
  std::string file;
};

// Writes `<out>/<format>-orders.csv` (and `rates.csv`: the second
// currency's rate, where the layout carries a currency) from the Olist
// files generated into a scratch folder under `out`, removed afterwards.
// With a delta day: that day's orders (new and restated, and those whose
// payments it restated), as the platform would export the day.
PlatformCounts generate_platform(const Options& options, const std::string& format);

}  // namespace datagen
