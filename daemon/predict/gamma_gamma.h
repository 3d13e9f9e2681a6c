#pragma once
// The Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV:
// Using Iso-value Curves"): a customer's spend per purchase varies around
// their mean ζ as Gamma(p, ν), with ν ~ Gamma(q, γ) across customers.
// Fitted on the repeat customers' mean spend of their purchases after the
// first.

#include <cstdint>

#include "model_fit.h"
#include "purchase_summary.h"

namespace segmentd::predict {

struct GammaGammaParams {
  double p = 0, q = 0, gamma = 0;
};

// Log-likelihood of a customer's mean spend m over x purchases.
double gamma_gamma_log_likelihood(const GammaGammaParams& g, std::uint32_t x, double m);
double gamma_gamma_log_likelihood(const GammaGammaParams& g, const PurchaseSummary& s);

struct GammaGammaFit {
  GammaGammaParams params;
  FitReport report;
};
GammaGammaFit fit_gamma_gamma(const PurchaseSummary& s);

// E[spend per purchase | x, m]: the weighted mean of the population mean
// and the customer's own (eq. 5); the population mean p γ / (q - 1) for
// x = 0. Needs q > 1 (the gate refuses a fit without it).
double expected_spend(const GammaGammaParams& g, std::uint32_t x, double m);
double population_mean_spend(const GammaGammaParams& g);

}  // namespace segmentd::predict
