#pragma once
// The BG/NBD model (Fader, Hardie & Lee 2005, "Counting Your Customers the
// Easy Way"): while alive a customer buys as a Poisson process with rate
// λ ~ Gamma(r, α); after each purchase they drop out with probability
// p ~ Beta(a, b). Time is in days. Everything is computed in logs, so a
// customer with hundreds of purchases neither overflows nor underflows.

#include <cstdint>

#include "model_fit.h"
#include "purchase_summary.h"

namespace segmentd::predict {

struct BgNbdParams {
  double r = 0, alpha = 0, a = 0, b = 0;
};

// Log-likelihood of one customer with this summary (the paper's eq. 6).
double bgnbd_log_likelihood(const BgNbdParams& p, std::uint32_t x, double t_x, double T);

// Sum over the groups, each weighted by its customers.
double bgnbd_log_likelihood(const BgNbdParams& p, const PurchaseSummary& s);

// Maximum likelihood over all customers.
struct BgNbdFit {
  BgNbdParams params;
  FitReport report;
};
BgNbdFit fit_bgnbd(const PurchaseSummary& s);

// P(alive at T | x, t_x, T) (eq. 11); 1 for x = 0.
double p_alive(const BgNbdParams& p, std::uint32_t x, double t_x, double T);

// Expected purchases in (T, T + t] given the summary (eq. 10). The 2F1 is
// taken through Euler's transformation, (1-z)^(r+x) 2F1(r+x, b+x; c; z) =
// (1-z)^(a-1) 2F1(a+b-r-1, a-1; c; z) with c = a+b+x-1, whose terms stay
// small for any x.
double expected_purchases(const BgNbdParams& p, std::uint32_t x, double t_x, double T, double t);

// The part of eq. 10 that depends on (x, T, t) only: E = this × P(alive).
double expected_purchases_if_alive(const BgNbdParams& p, std::uint32_t x, double T, double t);

}  // namespace segmentd::predict
