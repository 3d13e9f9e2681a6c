#include "predict_sql.h"

#include <string>

namespace segmentd::predict_sql {
namespace {

std::string horizon(unsigned days) {
  return std::to_string(days) + "d";
}

// Gamma-Gamma's conditional mean spend (gamma_gamma.h) of a repeat
// customer; a repeat spend below zero (refunds larger than the orders)
// counts as zero, so no prediction is negative.
constexpr const char* kRepeatSpend =
    "(CASE WHEN m.x = 0 OR m.repeat_spend IS NULL "
    "THEN @segmentd_gg_p * @segmentd_gg_gamma / (@segmentd_gg_q - 1) "
    "ELSE @segmentd_gg_p * (@segmentd_gg_gamma + GREATEST(m.repeat_spend, 0) * m.x) / "
    "(@segmentd_gg_p * m.x + @segmentd_gg_q - 1) END)";
// Without repeat purchases: the population's mean.
constexpr const char* kPopulationSpend = "(@segmentd_gg_p * @segmentd_gg_gamma / (@segmentd_gg_q - 1))";

std::string insert_predictions(const std::vector<unsigned>& horizons_days, const std::string& leading,
                               const std::string& spend) {
  std::string columns = "customer_unique_id, run_id, x, t_x, t_days, repeat_spend, p_alive, expected_avg_spend";
  std::string values = leading + ", g.p_alive, ROUND(" + spend + ", 2)";
  for (std::size_t i = 0; i < horizons_days.size(); ++i) {
    const std::string n = std::to_string(i + 1);
    columns += ", expected_purchases_" + horizon(horizons_days[i]) + ", predicted_value_" + horizon(horizons_days[i]);
    values += ", g.e" + n + ", ROUND(g.d" + n + " * " + spend + ", 2)";
  }
  return "INSERT INTO customer_predictions_next (" + columns + ") SELECT " + values;
}

}  // namespace

std::string insert_groups(std::size_t rows) {
  std::string row = "(";
  for (int i = 0; i < kGroupColumns; ++i) row += i == 0 ? "?" : ", CAST(? AS DOUBLE)";
  row += ")";
  std::string sql =
      "INSERT INTO prediction_groups_next (x, t_x, t_days, p_alive, e1, d1, e2, d2, e3, d3, e4, d4, e5, d5, e6, d6) "
      "VALUES ";
  for (std::size_t i = 0; i < rows; ++i) sql += (i == 0 ? "" : ", ") + row;
  // x, t_x and t_days are whole numbers: not cast.
  return sql;
}

std::string create_predictions_next(const std::vector<unsigned>& horizons_days) {
  std::string sql =
      "CREATE TABLE customer_predictions_next ("
      "customer_unique_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, "
      "run_id BIGINT UNSIGNED NOT NULL, x INT UNSIGNED NOT NULL, t_x INT UNSIGNED NOT NULL, "
      "t_days INT UNSIGNED NOT NULL, repeat_spend DECIMAL(14,2) NULL, p_alive DOUBLE NOT NULL, "
      "expected_avg_spend DECIMAL(14,2) NOT NULL";
  for (const unsigned h : horizons_days) {
    sql += ", expected_purchases_" + horizon(h) + " DOUBLE NOT NULL, predicted_value_" + horizon(h) +
           " DECIMAL(14,2) NOT NULL";
  }
  return sql + ", PRIMARY KEY (customer_unique_id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
}

// Two statements: the one-order customers straight from customer_scores
// (their summary is their first purchase's day), in key order, then the
// repeat customers from the summary. A customer whose purchases all came
// after the as-of date is in neither. One statement for both, joining the
// summary to every customer, cost 40% more (doc/PREDICTIONS.md "Numerics").
std::string fill_one_order_customers(const std::vector<unsigned>& horizons_days) {
  return insert_predictions(
             horizons_days,
             "c.customer_unique_id, ?, 0, 0, DATEDIFF(@segmentd_as_of, DATE(c.first_purchase_date)), NULL",
             kPopulationSpend) +
         " FROM customer_scores c JOIN prediction_groups_next g ON g.x = 0 AND g.t_x = 0 "
         "AND g.t_days = DATEDIFF(@segmentd_as_of, DATE(c.first_purchase_date)) "
         "WHERE c.frequency = 1 AND c.first_purchase_date < DATE_ADD(@segmentd_as_of, INTERVAL 1 DAY) "
         "ORDER BY c.customer_unique_id";
}

std::string fill_repeat_customers(const std::vector<unsigned>& horizons_days) {
  return insert_predictions(horizons_days, "m.customer_unique_id, ?, m.x, m.t_x, m.t_days, ROUND(m.repeat_spend, 2)",
                            kRepeatSpend) +
         " FROM prediction_summary_next m JOIN prediction_groups_next g ON g.x = m.x AND g.t_x = m.t_x "
         "AND g.t_days = m.t_days ORDER BY m.customer_unique_id";
}

std::vector<std::string> view_columns(const std::vector<unsigned>& horizons_days) {
  std::vector<std::string> out = {"customer_unique_id", "p_alive"};
  for (const unsigned h : horizons_days) {
    out.push_back("expected_purchases_" + horizon(h));
    out.push_back("predicted_value_" + horizon(h));
  }
  out.push_back("expected_avg_spend");
  out.push_back("run_id");
  return out;
}

std::string create_predictions_view(const std::vector<unsigned>& horizons_days) {
  std::string sql = "CREATE OR REPLACE SQL SECURITY INVOKER VIEW vw_customer_predictions AS SELECT ";
  const auto columns = view_columns(horizons_days);
  for (std::size_t i = 0; i < columns.size(); ++i) sql += (i == 0 ? "" : ", ") + columns[i];
  return sql + " FROM customer_predictions";
}

}  // namespace segmentd::predict_sql
