#include "model_fit.h"

#include <cmath>
#include <limits>
#include <nlopt.hpp>

namespace segmentd::predict {
namespace {

// The search runs between e^-18 and e^18 (1.5e-8 .. 6.6e7). A fit that ends
// outside e^-12 .. e^12 (6e-6 .. 1.6e5), far from any plausible shop in days,
// is running towards an edge: the data do not pin the model down (a shop
// whose customers never came back drives r to 0 and b to infinity).
constexpr double kLogBound = 18.0;
constexpr double kLogPlausible = 12.0;

struct Objective {
  const std::function<double(const std::vector<double>&)>* log_likelihood;
  std::vector<double> params;
  int evaluations = 0;
};

double negative_log_likelihood(const std::vector<double>& logs, std::vector<double>& /*gradient*/, void* data) {
  auto* o = static_cast<Objective*>(data);
  ++o->evaluations;
  for (std::size_t i = 0; i < logs.size(); ++i) o->params[i] = std::exp(logs[i]);
  const double ll = (*o->log_likelihood)(o->params);
  // A non-finite value (a parameter so extreme lgamma overflows) is the
  // worst possible point, never a stop.
  return std::isfinite(ll) ? -ll : std::numeric_limits<double>::max();
}

const char* describe(nlopt::result r) {
  switch (r) {
    case nlopt::SUCCESS:
      return "success";
    case nlopt::STOPVAL_REACHED:
      return "stopval reached";
    case nlopt::FTOL_REACHED:
      return "ftol reached";
    case nlopt::XTOL_REACHED:
      return "xtol reached";
    case nlopt::MAXEVAL_REACHED:
      return "evaluation limit reached";
    case nlopt::MAXTIME_REACHED:
      return "time limit reached";
    default:
      return "failed";
  }
}

}  // namespace

FitReport maximise_likelihood(const std::function<double(const std::vector<double>&)>& log_likelihood,
                              std::vector<double>& start) {
  const std::size_t n = start.size();
  Objective objective{&log_likelihood, std::vector<double>(n), 0};
  std::vector<double> logs(n);
  for (std::size_t i = 0; i < n; ++i) logs[i] = std::log(start[i]);
  FitReport report;
  nlopt::result result = nlopt::FAILURE;
  double best = 0;
  // BOBYQA can stop early on a flat stretch; a second start from its answer
  // either confirms it or moves on.
  for (int pass = 0; pass < 2; ++pass) {
    nlopt::opt opt(nlopt::LN_BOBYQA, static_cast<unsigned>(n));
    opt.set_lower_bounds(std::vector<double>(n, -kLogBound));
    opt.set_upper_bounds(std::vector<double>(n, kLogBound));
    opt.set_min_objective(negative_log_likelihood, &objective);
    opt.set_xtol_rel(1e-10);
    opt.set_ftol_rel(1e-13);
    opt.set_maxeval(20000);
    opt.set_initial_step(std::vector<double>(n, pass == 0 ? 0.5 : 0.05));
    try {
      result = opt.optimize(logs, best);
    } catch (const std::exception& e) {
      report.stop_reason = e.what();
      result = nlopt::FAILURE;
      break;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    start[i] = std::exp(logs[i]);
    if (std::abs(logs[i]) > kLogPlausible) report.at_bound = true;
  }
  report.evaluations = objective.evaluations;
  report.log_likelihood = -best;
  report.converged = result == nlopt::SUCCESS || result == nlopt::FTOL_REACHED || result == nlopt::XTOL_REACHED;
  if (report.stop_reason.empty()) report.stop_reason = describe(result);
  return report;
}

}  // namespace segmentd::predict
