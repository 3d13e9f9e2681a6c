#include "purchase_summary.h"

#include <algorithm>

namespace segmentd::predict {

std::uint64_t PurchaseSummary::customers() const {
  std::uint64_t n = 0;
  for (const auto& g : recency) n += g.customers;
  return n;
}

std::uint64_t PurchaseSummary::repeat_customers() const {
  std::uint64_t n = 0;
  for (const auto& g : recency) n += g.x > 0 ? g.customers : 0;
  return n;
}

std::uint32_t PurchaseSummary::longest_T() const {
  std::uint32_t t = 0;
  for (const auto& g : recency) t = std::max(t, g.T);
  return t;
}

}  // namespace segmentd::predict
