#pragma once
// `segmentd explain`'s judgements and pages, pure: why each order counted
// or not, why each segment rule matched or not, and the text and JSON
// shown for an Explanation.

#include <nlohmann/json.hpp>
#include <string>

#include "explanation.h"

namespace segmentd {

// "counted: ..." or "not counted: <reason>", from the order's own record
// (its feed's verdict where it came from a feed; else its status against
// the run's counted statuses).
std::string order_reason(const ExplainedOrder& order, const std::string& counted_statuses);

struct RuleVerdict {
  bool matches = false;
  std::string why;  // "R 3 in 3-4, F 4 in 4-5, M 2 in 1-5" or "R 2 not in 3-4"
};
RuleVerdict judge_rule(const SegmentRule& rule, int r, int f, int m);

// Each rule in priority order with its verdict: "matched" (the first that
// matches), "no match", "not reached" (after the match) or "not scored".
struct RuleOutcome {
  const SegmentRule* rule = nullptr;
  std::string verdict, why;
};
std::vector<RuleOutcome> rule_outcomes(const Explanation& e);

std::string explanation_text(const Explanation& e);
nlohmann::json explanation_json(const Explanation& e);

}  // namespace segmentd
