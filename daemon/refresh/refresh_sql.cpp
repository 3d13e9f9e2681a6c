#include "refresh_sql.h"

#include <algorithm>

namespace segmentd::refresh_sql {

bool is_plain_column_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string bi_view_with_predictions(const std::vector<std::string>& columns) {
  std::string sql =
      "SELECT s.customer_unique_id, s.segment_name, s.r_score, s.f_score, s.m_score, s.rfm_code, s.monetary, "
      "s.recency_days, s.frequency";
  for (const auto& c : columns) sql += ", p." + c;
  return sql +
         " FROM vw_customer_segments s LEFT JOIN vw_customer_predictions p ON p.customer_unique_id = "
         "s.customer_unique_id ORDER BY s.segment_name, s.customer_unique_id";
}

}  // namespace segmentd::refresh_sql
