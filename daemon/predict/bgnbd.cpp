#include "bgnbd.h"

// hypergeometric_pFq.hpp uses lgamma and expm1 without including them.
#include <algorithm>
#include <boost/math/special_functions/expm1.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <boost/math/special_functions/hypergeometric_pFq.hpp>
#include <cmath>
#include <limits>
#include <vector>

namespace segmentd::predict {
namespace {

double log_add_exp(double u, double v) {
  if (u < v) std::swap(u, v);
  if (v == -std::numeric_limits<double>::infinity()) return u;
  return u + std::log1p(std::exp(v - u));
}

// b + x - 1 for x ≥ 1, summed so that x = 1 gives b exactly: (b + 1) - 1
// rounds a tiny b to 0, and its log to -inf.
double repeat_b(const BgNbdParams& p, std::uint32_t x) {
  return p.b + (static_cast<double>(x) - 1);
}

// ln of a/(b+x-1) ((α+T)/(α+t_x))^(r+x): the odds of having dropped out.
double log_dropout_odds(const BgNbdParams& p, std::uint32_t x, double t_x, double T) {
  return std::log(p.a) - std::log(repeat_b(p, x)) + (p.r + x) * (std::log(p.alpha + T) - std::log(p.alpha + t_x));
}

}  // namespace

double bgnbd_log_likelihood(const BgNbdParams& p, std::uint32_t x, double t_x, double T) {
  const double a1 = std::lgamma(p.r + x) - std::lgamma(p.r) + p.r * std::log(p.alpha);
  const double a2 = std::lgamma(p.a + p.b) + std::lgamma(p.b + x) - std::lgamma(p.b) - std::lgamma(p.a + p.b + x);
  const double a3 = -(p.r + x) * std::log(p.alpha + T);
  const double a4 = x > 0 ? std::log(p.a) - std::log(repeat_b(p, x)) - (p.r + x) * std::log(p.alpha + t_x)
                          : -std::numeric_limits<double>::infinity();
  return a1 + a2 + log_add_exp(a3, a4);
}

double bgnbd_log_likelihood(const BgNbdParams& p, const PurchaseSummary& s) {
  // The lgamma terms depend on x alone, and a shop's x takes few values:
  // computed once per x, each group costs three logs (the fit's hot loop).
  std::uint32_t max_x = 0;
  for (const auto& g : s.recency) max_x = std::max(max_x, g.x);
  std::vector<double> by_x(max_x + 1);
  const double base = -std::lgamma(p.r) + p.r * std::log(p.alpha) + std::lgamma(p.a + p.b) - std::lgamma(p.b);
  for (std::uint32_t x = 0; x <= max_x; ++x) {
    by_x[x] = base + std::lgamma(p.r + x) + std::lgamma(p.b + x) - std::lgamma(p.a + p.b + x);
  }
  const double log_a = std::log(p.a);
  double sum = 0;
  for (const auto& g : s.recency) {
    const double a3 = -(p.r + g.x) * std::log(p.alpha + g.T);
    const double a4 = g.x > 0 ? log_a - std::log(repeat_b(p, g.x)) - (p.r + g.x) * std::log(p.alpha + g.t_x)
                              : -std::numeric_limits<double>::infinity();
    sum += static_cast<double>(g.customers) * (by_x[g.x] + log_add_exp(a3, a4));
  }
  return sum;
}

BgNbdFit fit_bgnbd(const PurchaseSummary& s) {
  // Started where a typical shop's customers are: a purchase a month while
  // alive, a one-in-two chance of leaving after a purchase.
  std::vector<double> v = {1.0, 30.0, 1.0, 1.0};
  BgNbdFit fit;
  fit.report = maximise_likelihood(
      [&s](const std::vector<double>& q) {
        return bgnbd_log_likelihood({q[0], q[1], q[2], q[3]}, s);
      },
      v);
  fit.params = {v[0], v[1], v[2], v[3]};
  return fit;
}

double p_alive(const BgNbdParams& p, std::uint32_t x, double t_x, double T) {
  if (x == 0) return 1.0;
  const double odds = log_dropout_odds(p, x, t_x, T);
  // 1 / (1 + e^odds), without overflowing for large odds.
  return odds > 0 ? std::exp(-odds) / (1.0 + std::exp(-odds)) : 1.0 / (1.0 + std::exp(odds));
}

double expected_purchases_if_alive(const BgNbdParams& p, std::uint32_t x, double T, double t) {
  const double c = p.a + p.b + x - 1;
  const double z = t / (p.alpha + T + t);
  const double hyp = boost::math::hypergeometric_pFq({p.a + p.b - p.r - 1, p.a - 1}, {c}, z);
  // (1-z)^(a-1) × the transformed 2F1 equals ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; c; z).
  const double tail = std::pow(1 - z, p.a - 1) * hyp;
  return c / (p.a - 1) * (1 - tail);
}

double expected_purchases(const BgNbdParams& p, std::uint32_t x, double t_x, double T, double t) {
  return expected_purchases_if_alive(p, x, T, t) * p_alive(p, x, t_x, T);
}

}  // namespace segmentd::predict
