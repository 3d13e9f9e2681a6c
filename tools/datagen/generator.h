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
};

struct Counts {
  std::size_t customers = 0, orders = 0, order_items = 0, order_payments = 0, order_reviews = 0, products = 0,
              sellers = 0, geolocation = 0, translations = 0;
};

Counts generate(const Options& options);

}  // namespace datagen
