#pragma once
// Why a customer has their segment (`segmentd explain`): the figures, the
// orders behind them, the score boundaries of the run, each segment rule
// in priority order, the segment at every kept run and the predictions.
// Read with indexed lookups only (explain.cpp); judged and shown by the
// pure functions of explain_format.h.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace segmentd {

class DbSession;

struct ExplainedOrder {
  std::string order_id, status, purchased_at;
  bool counted = false;
  std::string value;  // the model's order value when counted
  // From a feed (doc/FEEDS.md), when the order came from one.
  std::optional<std::string> feed, outcome, feed_status, currency, amount, refunded, value_base;
  bool cancelled = false;
};

struct ScoreBound {
  char dimension = 'r';  // r, f or m
  int score = 2;         // the score that begins at (ntile) or after (quantile) this key
  std::string bound;     // key, below_all, above_all
  std::string day, frequency, monetary, customer;
};

struct SegmentRule {
  int priority = 0;
  std::string segment;
  int r_min = 1, r_max = 5, f_min = 1, f_max = 5, m_min = 1, m_max = 5;
};

struct HistoryPoint {
  std::uint64_t run_id = 0;
  std::string started_at, as_of, segment, rfm_code;
};

struct Explanation {
  std::string customer;
  bool segmented = false;  // false: known, but no counted order in the results
  std::uint64_t run_id = 0;
  std::string as_of, scoring_method, counted_statuses;
  std::string first_purchase, last_purchase, recency_days, frequency, monetary;
  int r = 0, f = 0, m = 0;
  std::string rfm_code, segment;
  std::vector<ExplainedOrder> orders;
  std::vector<ScoreBound> bounds;
  std::vector<SegmentRule> rules;
  std::vector<HistoryPoint> history;
  // column → value of vw_customer_predictions, in its order; empty: none.
  std::vector<std::pair<std::string, std::string>> predictions;
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> fit;  // model → parameters
};

// What is the same for every customer of one `explain`: the live run, its
// cut-offs, the rules and the fit of the predictions in place. Read once.
struct ExplainRun {
  std::uint64_t run_id = 0;
  std::string as_of, scoring_method, counted_statuses;
  std::vector<ScoreBound> bounds;
  std::vector<SegmentRule> rules;
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> fit;
};
ExplainRun read_explain_run(DbSession& db);

// nullopt: no such customer (not in customers at all).
std::optional<Explanation> explain_customer(DbSession& db, const ExplainRun& run,
                                            const std::string& customer_unique_id);

}  // namespace segmentd
