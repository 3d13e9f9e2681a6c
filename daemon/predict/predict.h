#pragma once
// The prediction step (doc/PREDICTIONS.md): after a refresh, the live
// results' counted orders are summarised per customer, BG/NBD and
// Gamma-Gamma are fitted on the distinct summaries, every customer is
// scored in SQL and the new table is renamed in whole. Nothing is built in
// the live table: a step that fails or is killed leaves the previous
// predictions, and its prediction_runs row (and the refresh run's details)
// say why.

#include <cstdint>
#include <string>

#include "bgnbd.h"
#include "config.h"
#include "gamma_gamma.h"

namespace segmentd {

class DbSession;

enum class PredictionStatus {
  Available,    // fitted, scored and swapped in
  Unavailable,  // the gate refused the data or the fit; previous predictions stay
  Failed,       // an error; previous predictions stay
  Busy,         // another process is predicting: nothing done
  Disabled,     // predictions.enabled is false
};
const char* to_string(PredictionStatus s);

struct PredictionOutcome {
  PredictionStatus status = PredictionStatus::Failed;
  std::uint64_t run_id = 0;  // the refresh run the predictions follow
  std::string reason;        // why not available
  std::uint64_t customers = 0, repeat_customers = 0;
  std::uint64_t spend_customers = 0;  // those Gamma-Gamma is fitted on
  predict::BgNbdFit bgnbd;
  predict::GammaGammaFit spend;
  bool fitted = false;
  // Milliseconds of each part.
  std::uint64_t summary_ms = 0, fit_ms = 0, score_ms = 0, swap_ms = 0, total_ms = 0;
  // The run's details entry ($.predictions): the fit and the timings.
  std::string details_json() const;
};

// The step's log line, `predict.finished` (the CLI's and the daemon's).
void log_predictions(const PredictionOutcome& outcome);

// Predicts for the live results. Throws DbError only when the session is
// lost (the caller reconnects); every other failure is a Failed outcome,
// recorded where the server still takes writes.
PredictionOutcome run_predictions(DbSession& db, const PredictionsConfig& config);

}  // namespace segmentd
