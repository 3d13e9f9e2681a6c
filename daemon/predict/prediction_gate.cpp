#include "prediction_gate.h"

#include <cmath>

namespace segmentd::predict {
namespace {

std::optional<std::string> refuse_fit(const char* model, const FitReport& r) {
  if (!r.converged) return std::string(model) + " fit did not converge (" + r.stop_reason + ")";
  if (r.at_bound) return std::string(model) + " fit ran to the bound of a parameter";
  if (!std::isfinite(r.log_likelihood)) return std::string(model) + " fit has no finite log-likelihood";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> refuse_data(const PredictionsConfig& config, const PurchaseSummary& summary) {
  const auto n = summary.customers();
  if (n < config.min_customers) {
    return std::to_string(n) + " customers, fewer than predictions.min_customers (" +
           std::to_string(config.min_customers) + ")";
  }
  const auto repeat = summary.repeat_customers();
  if (repeat < config.min_repeat_customers) {
    return std::to_string(repeat) + " repeat customers, fewer than predictions.min_repeat_customers (" +
           std::to_string(config.min_repeat_customers) + ")";
  }
  const auto days = summary.longest_T();
  if (days < config.min_history_days) {
    return "a history of " + std::to_string(days) + " days, shorter than predictions.min_history_days (" +
           std::to_string(config.min_history_days) + ")";
  }
  return std::nullopt;
}

std::optional<std::string> refuse_fits(const BgNbdFit& bgnbd, const GammaGammaFit& spend) {
  if (auto why = refuse_fit("BG/NBD", bgnbd.report)) return why;
  if (auto why = refuse_fit("Gamma-Gamma", spend.report)) return why;
  if (spend.params.q <= 1) return "Gamma-Gamma q <= 1: the population's mean spend is unbounded";
  return std::nullopt;
}

}  // namespace segmentd::predict
