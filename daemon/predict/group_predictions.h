#pragma once
// The predictions of one recency group (customers with equal x, t_x, T):
// P(alive) and, per horizon, the expected purchases and the same purchases
// discounted to today. Customers differ only in their spend after this, so
// the per-customer values are one multiplication in SQL. Pure.

#include <vector>

#include "bgnbd.h"

namespace segmentd::predict {

struct GroupPrediction {
  double p_alive = 1;
  std::vector<double> expected;    // per horizon
  std::vector<double> discounted;  // per horizon; equal to expected at rate 0
};

// The discount follows the purchases: the horizon is cut into 30-day steps
// and each step's expected purchases are discounted at its end, at
// (1 + annual_rate)^(-days / 365).
GroupPrediction predict_group(const BgNbdParams& params, const RecencyGroup& group,
                              const std::vector<unsigned>& horizons_days, double annual_rate);

}  // namespace segmentd::predict
