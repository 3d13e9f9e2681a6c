#include "report_sql.h"

namespace segmentd::report_sql {

std::string predictions_by_segment(const std::string& value_column) {
  return "SELECT s.segment_name, COUNT(*), ROUND(AVG(p.p_alive), 3), ROUND(SUM(p." + value_column +
         "), 2) FROM customer_segments s JOIN customer_predictions p ON p.customer_unique_id = s.customer_unique_id "
         "GROUP BY s.segment_name ORDER BY SUM(p." +
         value_column + ") DESC, s.segment_name";
}

std::string valuable_at_risk(const std::string& value_column) {
  return "SELECT s.customer_unique_id, s.segment_name, s.monetary, ROUND(p.p_alive, 3), p." + value_column +
         " FROM customer_segments s JOIN customer_predictions p ON p.customer_unique_id = s.customer_unique_id "
         "WHERE p.p_alive < 0.5 ORDER BY s.monetary DESC, s.customer_unique_id LIMIT 10";
}

}  // namespace segmentd::report_sql
