#include "predict_sql.h"

#include <string>

namespace segmentd::predict_sql {
namespace {

std::string horizon(unsigned days) { return std::to_string(days) + "d"; }

// Gamma-Gamma's conditional mean spend (gamma_gamma.h); the population mean
// for a customer without repeat purchases.
constexpr const char* kSpend =
    "(CASE WHEN s.x = 0 OR s.repeat_spend IS NULL "
    "THEN @segmentd_gg_p * @segmentd_gg_gamma / (@segmentd_gg_q - 1) "
    "ELSE @segmentd_gg_p * (@segmentd_gg_gamma + s.repeat_spend * s.x) / (@segmentd_gg_p * s.x + @segmentd_gg_q - 1) "
    "END)";

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
  std::string columns =
      "customer_unique_id, run_id, x, t_x, t_days, repeat_spend, p_alive, expected_avg_spend";
  std::string values =
      "s.customer_unique_id, ?, s.x, s.t_x, s.t_days, ROUND(s.repeat_spend, 2), g.p_alive, ROUND(" +
      std::string(kSpend) + ", 2)";
  for (std::size_t i = 0; i < horizons_days.size(); ++i) {
    const std::string n = std::to_string(i + 1);
    columns += ", expected_purchases_" + horizon(horizons_days[i]) + ", predicted_value_" + horizon(horizons_days[i]);
    values += ", g.e" + n + ", ROUND(g.d" + n + " * " + kSpend + ", 2)";
  }
  return "INSERT INTO customer_predictions_next (" + columns + ") SELECT " + values +
         " FROM prediction_summary_next s JOIN prediction_groups_next g "
         "ON g.x = s.x AND g.t_x = s.t_x AND g.t_days = s.t_days ORDER BY s.customer_unique_id";
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
