#include "predict.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <tuple>

#include "db_session.h"
#include "errors.h"
#include "group_predictions.h"
#include "log_event.h"
#include "named_lock.h"
#include "predict_sql.h"
#include "prediction_gate.h"

namespace segmentd {
namespace {

using Clock = std::chrono::steady_clock;
namespace sql = predict_sql;

std::uint64_t ms_since(Clock::time_point t) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count());
}

// Doubles travel as text with every digit (DbParam has no double); the
// statements CAST them back.
DbParam number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return std::string(buf);
}

DbParam maybe(bool present, double v) {
  return present ? number(v) : DbParam(nullptr);
}

std::string horizons_text(const std::vector<unsigned>& h) {
  std::string out;
  for (const unsigned d : h) out += (out.empty() ? "" : ",") + std::to_string(d);
  return out;
}

predict::PurchaseSummary read_summary(DbSession& db, const std::string& as_of) {
  predict::PurchaseSummary s;
  // Same-day repeat orders give a (0, 0, T) group in both queries: merged.
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>, std::uint64_t> groups;
  const auto add = [&groups](const DbResult& r) {
    for (const auto& row : r.rows) {
      groups[{static_cast<std::uint32_t>(std::stoul(row.at(0).value_or("0"))),
              static_cast<std::uint32_t>(std::stoul(row.at(1).value_or("0"))),
              static_cast<std::uint32_t>(std::stoul(row.at(2).value_or("0")))}] += std::stoull(row.at(3).value_or("0"));
    }
  };
  add(db.query(sql::kSingleOrderGroups, {as_of, as_of}));
  add(db.query(sql::kRecencyGroups));
  for (const auto& [key, n] : groups) s.recency.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), n});
  const DbResult spend = db.query(sql::kSpendGroups);
  for (const auto& row : spend.rows) {
    s.spend.push_back({static_cast<std::uint32_t>(std::stoul(row.at(0).value_or("0"))),
                       std::stod(row.at(1).value_or("0")), std::stoull(row.at(2).value_or("0"))});
  }
  return s;
}

void write_groups(DbSession& db, const predict::PurchaseSummary& s, const PredictionsConfig& config,
                  const predict::BgNbdParams& params) {
  constexpr std::size_t kBatch = 200;
  std::vector<DbParam> values;
  std::size_t rows = 0;
  auto flush = [&] {
    if (rows == 0) return;
    db.update(sql::insert_groups(rows), values);
    values.clear();
    rows = 0;
  };
  for (const auto& g : s.recency) {
    const auto p = predict::predict_group(params, g, config.horizons_days, config.discount_rate_annual);
    values.push_back(static_cast<std::int64_t>(g.x));
    values.push_back(static_cast<std::int64_t>(g.t_x));
    values.push_back(static_cast<std::int64_t>(g.T));
    values.push_back(number(p.p_alive));
    for (std::size_t i = 0; i < static_cast<std::size_t>(sql::kMaxHorizons); ++i) {
      const bool has = i < p.expected.size();
      values.push_back(maybe(has, has ? p.expected[i] : 0));
      values.push_back(maybe(has, has ? p.discounted[i] : 0));
    }
    if (++rows == kBatch) flush();
  }
  flush();
}

// One fit row: the model's own parameters (NULL for those it does not have,
// and all NULL when nothing was fitted).
void insert_fit(DbSession& db, std::uint64_t run_id, const char* model,
                const std::vector<std::optional<double>>& params, const predict::FitReport& report, bool fitted,
                std::uint64_t customers) {
  std::vector<DbParam> v;
  v.reserve(15);
  v.emplace_back(static_cast<std::int64_t>(run_id));
  v.emplace_back(std::string(model));
  for (const auto& p : params) v.push_back(p && fitted ? number(*p) : DbParam(nullptr));
  v.push_back(fitted ? number(report.log_likelihood) : DbParam(nullptr));
  v.emplace_back(static_cast<std::int64_t>(customers));
  v.emplace_back(static_cast<std::int64_t>(fitted && report.converged));
  v.emplace_back(static_cast<std::int64_t>(fitted && report.at_bound));
  v.emplace_back(static_cast<std::int64_t>(report.evaluations));
  v.emplace_back(report.stop_reason);
  db.update(sql::kInsertFit, v);
}

void record_fits(DbSession& db, const PredictionOutcome& out) {
  db.update(sql::kDeleteFits, {static_cast<std::int64_t>(out.run_id)});
  const auto& b = out.bgnbd.params;
  const auto& g = out.spend.params;
  const std::optional<double> none;
  insert_fit(db, out.run_id, "bgnbd", {b.r, b.alpha, b.a, b.b, none, none, none}, out.bgnbd.report, out.fitted,
             out.customers);
  insert_fit(db, out.run_id, "gammagamma", {none, none, none, none, g.p, g.q, g.gamma}, out.spend.report, out.fitted,
             out.spend_customers);
}

void finish(DbSession& db, PredictionOutcome& out) {
  if (out.run_id == 0) return;
  record_fits(db, out);
  nlohmann::json timings = {{"summary_ms", out.summary_ms},
                            {"fit_ms", out.fit_ms},
                            {"score_ms", out.score_ms},
                            {"swap_ms", out.swap_ms},
                            {"total_ms", out.total_ms}};
  db.update(sql::kFinishRun,
            {std::string(to_string(out.status)), out.reason.substr(0, 1000), static_cast<std::int64_t>(out.customers),
             static_cast<std::int64_t>(out.repeat_customers), timings.dump(), static_cast<std::int64_t>(out.run_id)});
  db.update(sql::kRecordInRun, {out.details_json(), static_cast<std::int64_t>(out.run_id)});
}

void swap_in(DbSession& db, const PredictionsConfig& config) {
  db.execute(sql::kDropOld);
  db.execute(sql::kShortLockWait);
  try {
    db.execute(sql::kSwap);
  } catch (...) {
    db.execute(sql::kDefaultLockWait);
    throw;
  }
  db.execute(sql::kDefaultLockWait);
  db.execute(sql::kDropOld);
  // Other horizons than the view shows: the view follows the new columns.
  std::vector<std::string> shown;
  for (const auto& row : db.query(sql::kViewColumns).rows) shown.push_back(row.at(0).value_or(""));
  if (shown != sql::view_columns(config.horizons_days)) db.execute(sql::create_predictions_view(config.horizons_days));
}

void predict_locked(DbSession& db, const PredictionsConfig& config, PredictionOutcome& out) {
  const auto started = Clock::now();
  const DbResult state = db.query(sql::kLiveState);
  if (state.rows.empty() || !state.rows[0][0] || !state.rows[0][1]) {
    out.status = PredictionStatus::Unavailable;
    out.reason = "no refresh has succeeded yet";
    return;
  }
  out.run_id = std::stoull(*state.rows[0][0]);
  const std::string as_of = *state.rows[0][1];
  db.update(sql::kStartRun, {static_cast<std::int64_t>(out.run_id), as_of, horizons_text(config.horizons_days),
                             number(config.discount_rate_annual)});
  db.update(sql::kCloseInterrupted, {static_cast<std::int64_t>(out.run_id)});
  db.execute(sql::kDropScratch);
  db.execute(sql::kCreateSummary);
  db.update(sql::kFillSummary, {as_of, as_of});
  predict::PurchaseSummary summary = read_summary(db, as_of);
  out.customers = summary.customers();
  out.repeat_customers = summary.repeat_customers();
  out.summary_ms = ms_since(started);

  if (auto why = predict::refuse_data(config, summary)) {
    out.status = PredictionStatus::Unavailable;
    out.reason = *why;
    return;
  }
  auto t = Clock::now();
  out.bgnbd = predict::fit_bgnbd(summary);
  out.spend = predict::fit_gamma_gamma(summary);
  for (const auto& g : summary.spend) out.spend_customers += g.customers;
  out.fitted = true;
  out.fit_ms = ms_since(t);
  if (auto why = predict::refuse_fits(out.bgnbd, out.spend)) {
    out.status = PredictionStatus::Unavailable;
    out.reason = *why;
    return;
  }

  t = Clock::now();
  db.execute(sql::kCreateGroups);
  write_groups(db, summary, config, out.bgnbd.params);
  db.update(sql::kSetStepParameters,
            {number(out.spend.params.p), number(out.spend.params.q), number(out.spend.params.gamma), as_of});
  db.execute(sql::create_predictions_next(config.horizons_days));
  db.update(sql::fill_one_order_customers(config.horizons_days), {static_cast<std::int64_t>(out.run_id)});
  db.update(sql::fill_repeat_customers(config.horizons_days), {static_cast<std::int64_t>(out.run_id)});
  out.score_ms = ms_since(t);
  t = Clock::now();
  swap_in(db, config);
  out.swap_ms = ms_since(t);
  out.status = PredictionStatus::Available;
}

}  // namespace

const char* to_string(PredictionStatus s) {
  switch (s) {
    case PredictionStatus::Available:
      return "available";
    case PredictionStatus::Unavailable:
      return "unavailable";
    case PredictionStatus::Failed:
      return "failed";
    case PredictionStatus::Busy:
      return "busy";
    case PredictionStatus::Disabled:
      return "disabled";
  }
  return "failed";
}

std::string PredictionOutcome::details_json() const {
  nlohmann::json j = {
      {"status", to_string(status)},
      {"reason", reason},
      {"customers", customers},
      {"repeat_customers", repeat_customers},
      {"time_unit", "day"},
      {"timings_ms",
       {{"summary", summary_ms}, {"fit", fit_ms}, {"score", score_ms}, {"swap", swap_ms}, {"total", total_ms}}}};
  if (fitted) {
    j["bgnbd"] = {{"r", bgnbd.params.r},
                  {"alpha", bgnbd.params.alpha},
                  {"a", bgnbd.params.a},
                  {"b", bgnbd.params.b},
                  {"log_likelihood", bgnbd.report.log_likelihood},
                  {"converged", bgnbd.report.converged}};
    j["gammagamma"] = {{"p", spend.params.p},          {"q", spend.params.q},
                       {"gamma", spend.params.gamma},  {"log_likelihood", spend.report.log_likelihood},
                       {"customers", spend_customers}, {"converged", spend.report.converged}};
  }
  return j.dump();
}

void log_predictions(const PredictionOutcome& p) {
  log_event(p.status == PredictionStatus::Failed ? spdlog::level::err : spdlog::level::info, "predict.finished",
            {{"run_id", std::to_string(p.run_id)},
             {"status", to_string(p.status)},
             {"customers", std::to_string(p.customers)},
             {"seconds", std::to_string(static_cast<double>(p.total_ms) / 1000)},
             {"reason", p.reason}});
}

PredictionOutcome run_predictions(DbSession& db, const PredictionsConfig& config) {
  PredictionOutcome out;
  if (!config.enabled) {
    out.status = PredictionStatus::Disabled;
    return out;
  }
  const auto started = Clock::now();
  try {
    NamedLock lock(db, "predict", 0);
    // No refresh may swap the results between the step's statements (the
    // exports take the same lock).
    NamedLock results(db, "refresh", 300);
    try {
      predict_locked(db, config, out);
    } catch (const DbError& e) {
      if (e.connection_lost() || !db.usable()) throw;
      out.status = PredictionStatus::Failed;
      out.reason = e.what();
    }
    out.total_ms = ms_since(started);
    try {
      // The scratch tables go whatever happened; a killed step leaves them
      // for the next one's kDropScratch.
      db.execute(sql::kDropScratch);
      finish(db, out);
    } catch (const DbError& e) {
      if (e.connection_lost() && !e.refuses_writes()) throw;
      if (!db.usable()) throw;
      out.reason += (out.reason.empty() ? "" : "; ") + std::string("not recorded: ") + e.what();
    }
  } catch (const LockBusy& e) {
    // Another process predicts, or a refresh held the results too long.
    out.status = PredictionStatus::Busy;
    out.reason = e.what();
  }
  return out;
}

}  // namespace segmentd
