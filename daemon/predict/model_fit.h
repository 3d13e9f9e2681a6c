#pragma once
// Maximum likelihood by NLopt's BOBYQA over the logs of the parameters (all
// are positive; in logs the search is unconstrained but for wide bounds
// that flag a runaway fit). Derivative-free: each evaluation runs over the
// distinct summaries only, so a few thousand evaluations cost milliseconds.

#include <functional>
#include <string>
#include <vector>

namespace segmentd::predict {

struct FitReport {
  double log_likelihood = 0;
  bool converged = false;  // the optimiser stopped on its tolerances
  bool at_bound = false;   // a parameter ran out of the plausible range (model_fit.cpp)
  int evaluations = 0;
  std::string stop_reason;  // NLopt's result, for the run's details
};

// Maximises log_likelihood(params) from `start` (all > 0); writes the best
// parameters back into `start`.
FitReport maximise_likelihood(const std::function<double(const std::vector<double>&)>& log_likelihood,
                              std::vector<double>& start);

}  // namespace segmentd::predict
