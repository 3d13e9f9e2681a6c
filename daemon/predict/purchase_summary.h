#pragma once
// The per-customer summary both models are fitted on (the papers' and
// lifetimes' convention, time in days): a purchase day is a day with at
// least one counted order; x = purchase days after the first, t_x = days
// from the first to the last purchase day, T = days from the first purchase
// day to the as-of date. Customers are grouped by equal summaries, so a fit
// costs in proportion to the distinct summaries, not to the customers.

#include <cstdint>
#include <vector>

namespace segmentd::predict {

// Customers sharing one (x, t_x, T).
struct RecencyGroup {
  std::uint32_t x = 0;
  std::uint32_t t_x = 0;
  std::uint32_t T = 0;
  std::uint64_t customers = 0;
};

// Repeat customers (x > 0) sharing one (x, mean spend of the purchase days
// after the first).
struct SpendGroup {
  std::uint32_t x = 0;
  double mean_spend = 0;
  std::uint64_t customers = 0;
};

struct PurchaseSummary {
  std::vector<RecencyGroup> recency;
  std::vector<SpendGroup> spend;

  std::uint64_t customers() const;
  std::uint64_t repeat_customers() const;  // x > 0
  std::uint32_t longest_T() const;         // days of the longest history
};

}  // namespace segmentd::predict
