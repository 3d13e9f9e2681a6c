#include "db_session.h"
#include "explain_sql.h"
#include "explanation.h"

namespace segmentd {
namespace {

namespace sql = explain_sql;

std::string text(const DbValue& v) {
  return v.value_or("");
}
int number(const DbValue& v) {
  return v ? std::stoi(*v) : 0;
}

void read_orders(DbSession& db, Explanation& e) {
  for (const auto& row : db.query(sql::kOrders, {e.customer}).rows) {
    ExplainedOrder o;
    o.order_id = text(row[0]);
    o.status = text(row[1]);
    o.purchased_at = text(row[2]);
    o.counted = text(row[3]) == "1";
    o.value = text(row[4]);
    o.feed = row[7];
    o.outcome = row[8];
    o.feed_status = row[9];
    o.currency = row[10];
    o.amount = row[11];
    o.refunded = row[12];
    o.value_base = row[13];
    o.cancelled = text(row[14]) == "1";
    e.orders.push_back(std::move(o));
  }
}

void read_predictions(DbSession& db, const ExplainRun& run, Explanation& e) {
  const DbResult p = db.query(sql::kPredictions, {e.customer});
  if (p.rows.empty()) return;
  for (std::size_t i = 0; i < p.columns.size(); ++i) {
    if (p.columns[i] != "customer_unique_id") e.predictions.emplace_back(p.columns[i], text(p.rows[0][i]));
  }
  e.fit = run.fit;
}

}  // namespace

ExplainRun read_explain_run(DbSession& db) {
  ExplainRun run;
  const DbResult live = db.query(sql::kRun);
  if (!live.rows.empty()) {
    run.run_id = live.rows[0][0] ? std::stoull(*live.rows[0][0]) : 0;
    run.as_of = text(live.rows[0][1]);
    run.scoring_method = text(live.rows[0][2]);
    run.counted_statuses = text(live.rows[0][3]);
  }
  for (const auto& row : db.query(sql::kBounds).rows) {
    const std::string dim = text(row[0]);
    run.bounds.push_back({dim.empty() ? '?' : dim[0], number(row[1]), text(row[2]), text(row[3]), text(row[4]),
                          text(row[5]), text(row[6])});
  }
  for (const auto& row : db.query(sql::kRules).rows) {
    run.rules.push_back({number(row[0]), text(row[1]), number(row[2]), number(row[3]), number(row[4]), number(row[5]),
                         number(row[6]), number(row[7])});
  }
  const DbValue predictions_run = query_value(db, sql::kPredictionsRun);
  if (!predictions_run) return run;
  static const char* kNames[] = {"r", "alpha", "a", "b", "p", "q", "gamma", "log_likelihood"};
  for (const auto& row : db.query(sql::kFit, {static_cast<std::int64_t>(std::stoull(*predictions_run))}).rows) {
    std::vector<std::pair<std::string, std::string>> params;
    for (std::size_t i = 0; i < 8; ++i) {
      if (row[i + 1]) params.emplace_back(kNames[i], *row[i + 1]);
    }
    run.fit.emplace_back(text(row[0]), std::move(params));
  }
  return run;
}

std::optional<Explanation> explain_customer(DbSession& db, const ExplainRun& run,
                                            const std::string& customer_unique_id) {
  Explanation e;
  e.customer = customer_unique_id;
  const DbResult scores = db.query(sql::kScores, {customer_unique_id});
  if (scores.rows.empty()) {
    if (query_u64(db, sql::kKnown, {customer_unique_id}) == 0) return std::nullopt;
  } else {
    const auto& s = scores.rows[0];
    e.segmented = true;
    e.first_purchase = text(s[0]);
    e.last_purchase = text(s[1]);
    e.recency_days = text(s[2]);
    e.frequency = text(s[3]);
    e.monetary = text(s[4]);
    e.r = number(s[5]);
    e.f = number(s[6]);
    e.m = number(s[7]);
    e.rfm_code = text(s[8]);
    e.segment = text(s[9]);
  }
  e.run_id = run.run_id;
  e.as_of = run.as_of;
  e.scoring_method = run.scoring_method;
  e.counted_statuses = run.counted_statuses;
  e.bounds = run.bounds;
  e.rules = run.rules;
  read_orders(db, e);
  for (const auto& row : db.query(sql::kHistory, {customer_unique_id}).rows) {
    e.history.push_back({std::stoull(text(row[0])), text(row[1]), text(row[2]), text(row[3]), text(row[4])});
  }
  read_predictions(db, run, e);
  return e;
}

}  // namespace segmentd
