#include "retention_policy.h"

#include <algorithm>
#include <map>
#include <regex>

#include "text.h"

namespace segmentd {

namespace {
// Months since year 0, so a window of N months is a range of integers.
long month_index(std::chrono::sys_seconds t) {
  const std::chrono::year_month_day d{std::chrono::floor<std::chrono::days>(t)};
  return static_cast<long>(static_cast<int>(d.year())) * 12 + static_cast<long>(static_cast<unsigned>(d.month())) - 1;
}
}  // namespace

std::set<std::uint64_t> history_runs_to_keep(const std::vector<SucceededRefresh>& runs, std::chrono::sys_seconds now,
                                             unsigned keep_last, unsigned monthly_snapshots) {
  std::set<std::uint64_t> keep;
  if (keep_last == 0) {
    for (const auto& r : runs) keep.insert(r.run_id);
    return keep;
  }
  std::vector<SucceededRefresh> newest_first = runs;
  std::sort(newest_first.begin(), newest_first.end(),
            [](const SucceededRefresh& a, const SucceededRefresh& b) { return a.run_id > b.run_id; });
  for (std::size_t i = 0; i < newest_first.size() && i < keep_last; ++i) keep.insert(newest_first[i].run_id);
  if (monthly_snapshots == 0) return keep;
  const long last_month = month_index(now);
  const long first_month = last_month - static_cast<long>(monthly_snapshots) + 1;
  std::map<long, SucceededRefresh> first_of_month;
  for (const auto& r : runs) {
    const long m = month_index(r.started_at);
    if (m < first_month || m > last_month) continue;
    auto [at, fresh] = first_of_month.try_emplace(m, r);
    const bool earlier =
        r.started_at < at->second.started_at || (r.started_at == at->second.started_at && r.run_id < at->second.run_id);
    if (!fresh && earlier) at->second = r;
  }
  for (const auto& [month, r] : first_of_month) keep.insert(r.run_id);
  return keep;
}

std::vector<std::string> ledger_names_for(const std::string& processed_name) {
  std::vector<std::string> out = {escape_bytes(processed_name)};
  // file_move.h: a taken name becomes "<stem>.<n><ext>".
  static const std::regex renamed(R"(^(.+)\.([0-9]+)(\.[^.]*)?$)");
  std::smatch m;
  if (std::regex_match(processed_name, m, renamed)) out.push_back(escape_bytes(m[1].str() + m[3].str()));
  return out;
}

bool ledger_row_names_processed_file(std::string_view original_name, const std::set<std::string>& processed) {
  if (original_name.find(" more bytes cut)") != std::string_view::npos) return true;
  const auto slash = original_name.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? original_name : original_name.substr(slash + 1);
  return processed.count(std::string(base)) > 0;
}

}  // namespace segmentd
