#include "explain_format.h"

#include <sstream>

namespace segmentd {
namespace {

bool listed(const std::string& list, const std::string& item) {
  std::stringstream in(list);
  for (std::string s; std::getline(in, s, ',');) {
    if (s == item) return true;
  }
  return false;
}

std::string range(int lo, int hi) {
  return lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi);
}

std::string check(char name, int score, int lo, int hi, bool& ok) {
  const bool in = score >= lo && score <= hi;
  ok = ok && in;
  return std::string(1, name) + " " + std::to_string(score) + (in ? " in " : " not in ") + range(lo, hi);
}

// The customer's key in the order a dimension is scored by.
std::string key_of(const Explanation& e, char dimension) {
  switch (dimension) {
    case 'r':
      return "last purchase day " + e.last_purchase.substr(0, 10);
    case 'f':
      return "frequency " + e.frequency + ", monetary " + e.monetary;
    default:
      return "monetary " + e.monetary;
  }
}

std::string bound_text(const ScoreBound& b, const std::string& method) {
  if (b.bound == "above_all") return "nobody";
  if (b.bound == "below_all") return "everybody";
  std::string key;
  switch (b.dimension) {
    case 'r':
      key = "last purchase day " + b.day;
      break;
    case 'f':
      key = "frequency " + b.frequency + ", monetary " + b.monetary;
      break;
    default:
      key = "monetary " + b.monetary;
      break;
  }
  // NTILE ranks ties by customer id; PERCENT_RANK gives ties one score.
  return method == "quantile" ? "above " + key : "from " + key + " (customer " + b.customer + ")";
}

int score_of(const Explanation& e, char dimension) {
  return dimension == 'r' ? e.r : dimension == 'f' ? e.f : e.m;
}

}  // namespace

std::string order_reason(const ExplainedOrder& o, const std::string& counted_statuses) {
  if (o.counted) {
    if (o.feed && o.amount && o.refunded && *o.refunded != "0.0000") {
      return "counted: " + o.value + " (" + *o.amount + " " + o.currency.value_or("") + " less " + *o.refunded +
             " refunded, in the base currency)";
    }
    return "counted: " + o.value;
  }
  if (o.feed) {
    const std::string outcome = o.outcome.value_or("");
    if (outcome == "held") {
      return "not counted: held: no exchange rate for " + o.currency.value_or("?") + " on or before " +
             o.purchased_at.substr(0, 10);
    }
    if (outcome == "cancelled" || o.cancelled) return "not counted: cancelled";
    if (outcome == "not_counted") {
      return "not counted: status '" + o.feed_status.value_or("") + "' is not a counted status of feed " + *o.feed;
    }
  }
  if (!listed(counted_statuses, o.status)) {
    return "not counted: status '" + o.status + "' is not in segmentation.counted_statuses (" + counted_statuses + ")";
  }
  return "not counted: not in the live results (loaded after the refresh)";
}

RuleVerdict judge_rule(const SegmentRule& rule, int r, int f, int m) {
  RuleVerdict v;
  bool ok = true;
  v.why = check('R', r, rule.r_min, rule.r_max, ok) + ", " + check('F', f, rule.f_min, rule.f_max, ok) + ", " +
          check('M', m, rule.m_min, rule.m_max, ok);
  v.matches = ok;
  return v;
}

std::vector<RuleOutcome> rule_outcomes(const Explanation& e) {
  std::vector<RuleOutcome> out;
  bool decided = false;
  for (const auto& r : e.rules) {
    const RuleVerdict v = judge_rule(r, e.r, e.f, e.m);
    const char* verdict = !e.segmented ? "not scored" : decided ? "not reached" : v.matches ? "matched" : "no match";
    decided = decided || (e.segmented && v.matches);
    out.push_back({&r, verdict, v.why});
  }
  return out;
}

nlohmann::json explanation_json(const Explanation& e) {
  using nlohmann::json;
  json j = {{"customer_unique_id", e.customer},
            {"segmented", e.segmented},
            {"run_id", e.run_id},
            {"as_of", e.as_of},
            {"scoring_method", e.scoring_method},
            {"counted_statuses", e.counted_statuses}};
  if (e.segmented) {
    j["recency_days"] = e.recency_days;
    j["frequency"] = e.frequency;
    j["monetary"] = e.monetary;
    j["first_purchase"] = e.first_purchase;
    j["last_purchase"] = e.last_purchase;
    j["scores"] = {{"r", e.r}, {"f", e.f}, {"m", e.m}};
    j["rfm_code"] = e.rfm_code;
    j["segment"] = e.segment;
  }
  json orders = json::array();
  for (const auto& o : e.orders) {
    json oj = {{"order_id", o.order_id},
               {"status", o.status},
               {"purchased_at", o.purchased_at},
               {"counted", o.counted},
               {"reason", order_reason(o, e.counted_statuses)}};
    if (o.counted) oj["value"] = o.value;
    if (o.feed) oj["feed"] = *o.feed;
    orders.push_back(oj);
  }
  j["orders"] = orders;
  json bounds = json::object();
  for (const char d : {'r', 'f', 'm'}) {
    json dj = {{"customer_key", e.segmented ? key_of(e, d) : ""}, {"score", score_of(e, d)}};
    json starts = json::object();
    for (const auto& b : e.bounds) {
      if (b.dimension == d) starts[std::to_string(b.score)] = bound_text(b, e.scoring_method);
    }
    dj["score_begins"] = starts;
    bounds[std::string(1, d)] = dj;
  }
  j["cut_offs"] = bounds;
  json rules = json::array();
  for (const auto& r : rule_outcomes(e)) {
    rules.push_back(
        {{"priority", r.rule->priority}, {"segment", r.rule->segment}, {"verdict", r.verdict}, {"why", r.why}});
  }
  j["rules"] = rules;
  json history = json::array();
  for (const auto& h : e.history) {
    history.push_back({{"run_id", h.run_id},
                       {"started_at", h.started_at},
                       {"as_of", h.as_of},
                       {"segment", h.segment},
                       {"rfm_code", h.rfm_code}});
  }
  j["history"] = history;
  if (!e.predictions.empty()) {
    json p = json::object();
    for (const auto& [k, v] : e.predictions) p[k] = v;
    j["predictions"] = p;
    json fit = json::object();
    for (const auto& [model, params] : e.fit) {
      json m = json::object();
      for (const auto& [k, v] : params) m[k] = v;
      fit[model] = m;
    }
    j["fit"] = fit;
  }
  return j;
}

std::string explanation_text(const Explanation& e) {
  std::ostringstream out;
  out << "customer " << e.customer << "\n";
  if (e.segmented) {
    out << "  segment " << e.segment << " (RFM " << e.rfm_code << ") in run " << e.run_id << ", as of " << e.as_of
        << ", " << e.scoring_method << " scoring\n"
        << "  recency " << e.recency_days << " days (last purchase " << e.last_purchase << "), frequency "
        << e.frequency << " orders, monetary " << e.monetary << "\n";
  } else {
    out << "  not segmented in run " << e.run_id << ": no counted order\n";
  }
  out << "  orders:\n";
  for (const auto& o : e.orders) {
    out << "    " << o.order_id << "  " << o.purchased_at << "  " << o.status << "  "
        << order_reason(o, e.counted_statuses) << "\n";
  }
  if (e.segmented) {
    out << "  cut-offs:\n";
    for (const char d : {'r', 'f', 'm'}) {
      out << "    " << static_cast<char>(d - 32) << " score " << score_of(e, d) << " for " << key_of(e, d) << ";";
      for (const auto& b : e.bounds) {
        if (b.dimension == d) out << " " << b.score << ": " << bound_text(b, e.scoring_method) << ";";
      }
      out << "\n";
    }
  }
  out << "  rules (priority order):\n";
  for (const auto& r : rule_outcomes(e)) {
    out << "    " << r.rule->priority << ". " << r.rule->segment << ": " << r.verdict << " (" << r.why << ")\n";
  }
  out << "  history:\n";
  for (const auto& h : e.history) {
    out << "    run " << h.run_id << " (" << h.started_at << ", as of " << h.as_of << "): " << h.segment << " ("
        << h.rfm_code << ")\n";
  }
  if (!e.predictions.empty()) {
    out << "  predictions:";
    for (const auto& [k, v] : e.predictions) out << " " << k << "=" << v;
    out << "\n";
    for (const auto& [model, params] : e.fit) {
      out << "    fit " << model << ":";
      for (const auto& [k, v] : params) out << " " << k << "=" << v;
      out << "\n";
    }
  }
  return out.str();
}

}  // namespace segmentd
