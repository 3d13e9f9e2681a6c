#pragma once
// Whether a summary and its fits are worth publishing: below the configured
// minimums, or with a fit that did not settle, predictions are marked
// unavailable with the reason and the refresh stands. Pure.

#include <optional>
#include <string>

#include "bgnbd.h"
#include "config.h"
#include "gamma_gamma.h"
#include "purchase_summary.h"

namespace segmentd::predict {

// The data are too thin to fit: too few customers, too few repeat
// customers, too short a history. nullopt: fit.
std::optional<std::string> refuse_data(const PredictionsConfig& config, const PurchaseSummary& summary);

// A fit that did not converge, ran to a bound, or has no finite mean spend
// (Gamma-Gamma's q ≤ 1). nullopt: publish.
std::optional<std::string> refuse_fits(const BgNbdFit& bgnbd, const GammaGammaFit& spend);

}  // namespace segmentd::predict
