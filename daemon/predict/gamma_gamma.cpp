#include "gamma_gamma.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace segmentd::predict {

double gamma_gamma_log_likelihood(const GammaGammaParams& g, std::uint32_t x, double m) {
  const double px = g.p * x;
  return std::lgamma(px + g.q) - std::lgamma(px) - std::lgamma(g.q) + g.q * std::log(g.gamma) + (px - 1) * std::log(m) +
         px * std::log(static_cast<double>(x)) - (px + g.q) * std::log(g.gamma + m * x);
}

double gamma_gamma_log_likelihood(const GammaGammaParams& g, const PurchaseSummary& s) {
  // As in BG/NBD's: the lgamma terms once per x.
  std::uint32_t max_x = 0;
  for (const auto& c : s.spend) max_x = std::max(max_x, c.x);
  std::vector<double> by_x(max_x + 1);
  for (std::uint32_t x = 1; x <= max_x; ++x) {
    const double px = g.p * x;
    by_x[x] = std::lgamma(px + g.q) - std::lgamma(px) - std::lgamma(g.q) + g.q * std::log(g.gamma) +
              px * std::log(static_cast<double>(x));
  }
  double sum = 0;
  for (const auto& c : s.spend) {
    const double px = g.p * c.x;
    sum += static_cast<double>(c.customers) *
           (by_x[c.x] + (px - 1) * std::log(c.mean_spend) - (px + g.q) * std::log(g.gamma + c.mean_spend * c.x));
  }
  return sum;
}

GammaGammaFit fit_gamma_gamma(const PurchaseSummary& s) {
  double mean = 0, n = 0;
  for (const auto& c : s.spend) {
    mean += static_cast<double>(c.customers) * c.mean_spend;
    n += static_cast<double>(c.customers);
  }
  mean = n > 0 ? mean / n : 1;
  // Started at a spread of moderate width around the observed mean.
  std::vector<double> v = {1.0, 2.0, mean > 0 ? mean : 1.0};
  GammaGammaFit fit;
  fit.report = maximise_likelihood(
      [&s](const std::vector<double>& q) {
        return gamma_gamma_log_likelihood({q[0], q[1], q[2]}, s);
      },
      v);
  fit.params = {v[0], v[1], v[2]};
  return fit;
}

double population_mean_spend(const GammaGammaParams& g) {
  return g.p * g.gamma / (g.q - 1);
}

double expected_spend(const GammaGammaParams& g, std::uint32_t x, double m) {
  if (x == 0) return population_mean_spend(g);
  return g.p * (g.gamma + m * x) / (g.p * x + g.q - 1);
}

}  // namespace segmentd::predict
