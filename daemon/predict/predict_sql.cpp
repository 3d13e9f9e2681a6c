#include "predict_sql.h"

#include <string>

namespace segmentd::predict_sql {
namespace {

std::string horizon(unsigned days) {
  return std::to_string(days) + "d";
}

// Gamma-Gamma's conditional mean spend (gamma_gamma.h); the population mean
// for a customer without repeat purchases. A repeat spend below zero (refunds
// larger than the orders) counts as zero, so no prediction is negative.
constexpr const char* kSpend =
    "(CASE WHEN m.x IS NULL OR m.x = 0 OR m.repeat_spend IS NULL "
    "THEN @segmentd_gg_p * @segmentd_gg_gamma / (@segmentd_gg_q - 1) "
    "ELSE @segmentd_gg_p * (@segmentd_gg_gamma + GREATEST(m.repeat_spend, 0) * m.x) / (@segmentd_gg_p * m.x + "
    "@segmentd_gg_q - 1) "
    "END)";

// A one-order customer (no summary row) has x = 0, t_x = 0 and T from
// their first purchase.
constexpr const char* kT = "COALESCE(m.t_days, DATEDIFF(@segmentd_as_of, DATE(c.first_purchase_date)))";

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

std::string fill_predictions_next(const std::vector<unsigned>& horizons_days) {
  std::string columns = "customer_unique_id, run_id, x, t_x, t_days, repeat_spend, p_alive, expected_avg_spend";
  std::string values = "c.customer_unique_id, ?, COALESCE(m.x, 0), COALESCE(m.t_x, 0), " + std::string(kT) +
                       ", ROUND(m.repeat_spend, 2), g.p_alive, ROUND(" + kSpend + ", 2)";
  for (std::size_t i = 0; i < horizons_days.size(); ++i) {
    const std::string n = std::to_string(i + 1);
    columns += ", expected_purchases_" + horizon(horizons_days[i]) + ", predicted_value_" + horizon(horizons_days[i]);
    values += ", g.e" + n + ", ROUND(g.d" + n + " * " + kSpend + ", 2)";
  }
  // Every customer of the results, in key order; those whose purchases all
  // came after the as-of date have neither a summary row nor a T >= 0.
  return "INSERT INTO customer_predictions_next (" + columns + ") SELECT " + values +
         " FROM customer_scores c LEFT JOIN prediction_summary_next m ON m.customer_unique_id = c.customer_unique_id "
         "JOIN prediction_groups_next g ON g.x = COALESCE(m.x, 0) AND g.t_x = COALESCE(m.t_x, 0) AND g.t_days = " +
         kT +
         " WHERE m.customer_unique_id IS NOT NULL OR (c.frequency = 1 AND c.first_purchase_date < "
         "DATE_ADD(@segmentd_as_of, INTERVAL 1 DAY)) ORDER BY c.customer_unique_id";
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
