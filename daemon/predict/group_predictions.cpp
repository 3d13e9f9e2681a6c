#include "group_predictions.h"

#include <algorithm>
#include <cmath>

namespace segmentd::predict {

GroupPrediction predict_group(const BgNbdParams& params, const RecencyGroup& group,
                              const std::vector<unsigned>& horizons_days, double annual_rate) {
  constexpr unsigned kStepDays = 30;
  GroupPrediction out;
  out.p_alive = p_alive(params, group.x, group.t_x, group.T);
  for (const unsigned h : horizons_days) {
    const double e = out.p_alive * expected_purchases_if_alive(params, group.x, group.T, h);
    out.expected.push_back(e);
    if (annual_rate == 0) {
      out.discounted.push_back(e);
      continue;
    }
    double value = 0, before = 0;
    for (unsigned s = std::min(kStepDays, h);; s = std::min(s + kStepDays, h)) {
      const double upto = out.p_alive * expected_purchases_if_alive(params, group.x, group.T, s);
      value += (upto - before) * std::pow(1 + annual_rate, -static_cast<double>(s) / 365.0);
      before = upto;
      if (s == h) break;
    }
    out.discounted.push_back(value);
  }
  return out;
}

}  // namespace segmentd::predict
