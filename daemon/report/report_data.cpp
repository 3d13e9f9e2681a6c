#include "report_data.h"

#include <nlohmann/json.hpp>

#include "db_session.h"
#include "report_sql.h"

namespace segmentd {

namespace sql = report_sql;

namespace {
std::uint64_t u64(const DbValue& v) {
  return v ? std::stoull(*v) : 0;
}
std::string text(const DbValue& v) {
  return v.value_or("");
}
std::int64_t param(std::uint64_t v) {
  return static_cast<std::int64_t>(v);
}

// A name made by the prediction step from a whole number of days.
bool is_value_column(const std::string& name) {
  const std::string prefix = "predicted_value_";
  if (name.rfind(prefix, 0) != 0 || name.size() < prefix.size() + 2 || name.back() != 'd') return false;
  for (std::size_t i = prefix.size(); i + 1 < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  return true;
}

ReportPredictions read_predictions(DbSession& db) {
  ReportPredictions out;
  const DbResult step = db.query(sql::kPredictionStep);
  if (step.rows.empty()) return out;
  out.step_run_id = u64(step.rows[0][0]);
  out.status = text(step.rows[0][1]);
  out.reason = text(step.rows[0][2]);
  out.predictions_run_id = u64(query_value(db, sql::kPredictionsRun));
  if (out.predictions_run_id == 0) return out;
  for (const auto& row : db.query(sql::kPredictedValueColumns).rows) out.value_column = text(row[0]);
  if (!is_value_column(out.value_column)) return out;
  for (const auto& row : db.query(sql::predictions_by_segment(out.value_column)).rows) {
    out.by_segment.push_back({text(row[0]), u64(row[1]), text(row[2]), text(row[3])});
  }
  for (const auto& row : db.query(sql::valuable_at_risk(out.value_column)).rows) {
    out.at_risk.push_back({text(row[0]), text(row[1]), text(row[2]), text(row[3]), text(row[4])});
  }
  return out;
}

}  // namespace

ReportData read_report_data(DbSession& db, unsigned trend_runs) {
  ReportData d;
  const DbResult latest = db.query(sql::kLatestRun);
  if (latest.rows.empty()) return d;
  const auto& run = latest.rows.front();
  ReportHeader& h = d.header;
  h.run_id = u64(run[0]);
  h.started_at = text(run[1]);
  h.finished_at = text(run[2]);
  h.as_of_date = text(run[3]);
  h.customers = u64(run[4]);
  h.scoring_method = text(run[5]);
  h.counted_statuses = text(run[6]);
  d.previous_run_id = u64(query_value(db, sql::kPreviousRun, {param(h.run_id)}));
  const DbResult window = db.query(sql::kWindow);
  if (!window.rows.empty()) {
    h.first_purchase = text(window.rows[0][0]);
    h.last_purchase = text(window.rows[0][1]);
  }
  h.files_loaded_total = query_u64(db, sql::kFilesLoaded);
  for (const auto& row : db.query(sql::kFilesSince, {param(h.run_id), param(d.previous_run_id)}).rows) {
    h.files_since_previous.push_back(text(row[0]));
  }
  for (const auto& row : db.query(sql::kSegments).rows) {
    d.segments.push_back({text(row[0]), u64(row[1]), text(row[2]), text(row[3]), text(row[4]), text(row[5]),
                          text(row[6]), text(row[7]), text(row[8]), text(row[9])});
  }
  for (const auto& row : db.query(sql::kHeatmap).rows) {
    d.heatmap.push_back({std::stoi(text(row[0])), std::stoi(text(row[1])), u64(row[2]), text(row[3])});
  }
  for (const auto& row : db.query(sql::kDistribution).rows) {
    d.distribution.push_back({text(row[0]), text(row[1]), u64(row[2])});
  }
  // The view compares the newest two successful refreshes: the same pair as
  // this report's, unless there is only one.
  if (d.previous_run_id != 0) {
    for (const auto& row : db.query(sql::kMovement).rows) {
      d.movement.push_back({text(row[1]), text(row[2]), u64(row[3])});
      if (d.movement.back().from == "(new)") d.new_customers += d.movement.back().customers;
      if (d.movement.back().to == "Lost Customers" && d.movement.back().from != "Lost Customers" &&
          d.movement.back().from != "(new)") {
        d.lost_to_lost += d.movement.back().customers;
      }
    }
  }
  for (const auto& row : db.query(sql::kTrend, {static_cast<std::int64_t>(trend_runs)}).rows) {
    d.trend.push_back({u64(row[0]), text(row[1]), text(row[2]), u64(row[3])});
  }
  const auto figures = [&](std::uint64_t id) {
    ReportRunFigures f;
    if (id == 0) return f;
    const DbResult r = db.query(sql::kRunFigures, {param(id)});
    f.customers = u64(r.rows[0][0]);
    f.repeat_customers = u64(r.rows[0][1]);
    f.champions_revenue = text(r.rows[0][2]);
    f.loyal_revenue = text(r.rows[0][3]);
    return f;
  };
  d.latest = figures(h.run_id);
  d.previous = figures(d.previous_run_id);
  const DbResult q = db.query(sql::kDataQuality);
  if (!q.rows.empty()) {
    const auto& row = q.rows.front();
    d.quality = {u64(row[0]), u64(row[1]), u64(row[2]), u64(row[3]), u64(row[4]), {}};
    if (row[5]) {
      const auto checks = nlohmann::json::parse(*row[5], nullptr, false);
      if (checks.is_object()) {
        for (const auto& [name, value] : checks.items()) {
          if (value.is_number_unsigned()) d.quality.reference_checks.emplace_back(name, value.get<std::uint64_t>());
        }
      }
    }
  }
  d.predictions = read_predictions(db);
  return d;
}

}  // namespace segmentd
