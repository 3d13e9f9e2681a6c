// The statements of a feed load that take their table (feed_sql.h).
#include "feed_sql.h"

namespace segmentd::feed_sql {
namespace {

std::string where(const std::string& orders) {
  return orders == kStagedOrders ? kStagedOrdersWhere : "";
}

// Orders of one file (the stage) or touched ones, joined as `f`.
std::string source(bool staged) {
  return staged ? "segmentd_feed_stage f WHERE f.kind = 'o'"
                : "feed_touched t JOIN feed_orders f ON f.order_id = t.order_id";
}

}  // namespace

std::string compute_refunds(const std::string& orders) {
  return "UPDATE " + orders +
         " SET f.refunds = COALESCE((SELECT SUM(r.amount) FROM feed_refunds r WHERE r.order_id = f.order_id), 0)" +
         where(orders);
}

// Only where no other conversion applies (bound: the base currency).
std::string compute_rate_dates(const std::string& orders) {
  return "UPDATE " + orders +
         " SET f.rate_date = CASE WHEN f.currency = ? OR f.converted_net IS NOT NULL OR f.exchange_rate IS NOT NULL "
         "THEN NULL ELSE (SELECT MAX(r.rate_date) FROM currency_rates r "
         "WHERE r.currency = f.currency AND r.rate_date <= DATE(f.purchased_at)) END" +
         where(orders);
}

// Net = amount - refunded (on the row) - refunds (refund rows), converted
// and rounded to cents once (ROUND of a DECIMAL: half away from zero).
// Bound: the base currency.
std::string compute_values(const std::string& orders) {
  return "UPDATE " + orders +
         " LEFT JOIN currency_rates r ON r.currency = f.currency AND r.rate_date = f.rate_date "
         "SET f.value_base = CASE "
         " WHEN f.currency = ? THEN ROUND(f.amount - f.refunded - f.refunds, 2) "
         " WHEN f.converted_net IS NOT NULL AND f.refunds = 0 THEN ROUND(f.converted_net, 2) "
         " WHEN f.converted_net IS NOT NULL AND f.amount - f.refunded <> 0 "
         "  THEN ROUND(f.converted_net * (f.amount - f.refunded - f.refunds) / (f.amount - f.refunded), 2) "
         " WHEN f.exchange_rate IS NOT NULL THEN ROUND((f.amount - f.refunded - f.refunds) / f.exchange_rate, 2) "
         " WHEN r.rate IS NOT NULL THEN ROUND((f.amount - f.refunded - f.refunds) * r.rate, 2) "
         " ELSE NULL END" +
         where(orders);
}

std::string compute_outcomes(const std::string& orders) {
  return "UPDATE " + orders +
         " SET f.outcome = CASE WHEN f.cancelled THEN 'cancelled' WHEN NOT f.status_counted THEN 'not_counted' "
         "WHEN f.value_base IS NULL THEN 'held' ELSE 'counted' END" +
         where(orders);
}

std::string project_customers(bool staged) {
  return "INSERT IGNORE INTO customers (customer_id, customer_unique_id) SELECT DISTINCT f.customer_id, "
         "f.customer_id FROM " +
         source(staged);
}

std::string project_orders(bool staged) {
  return "INSERT INTO orders (order_id, customer_id, order_status, order_purchase_timestamp) "
         "SELECT f.order_id, f.customer_id, f.outcome, f.purchased_at FROM " +
         source(staged) +
         " ON DUPLICATE KEY UPDATE customer_id = VALUES(customer_id), order_status = VALUES(order_status), "
         "order_purchase_timestamp = VALUES(order_purchase_timestamp)";
}

std::string project_payments(bool staged) {
  return "INSERT INTO order_payments (order_id, payment_sequential, payment_type, payment_installments, "
         "payment_value) SELECT f.order_id, 1, 'feed', 1, COALESCE(f.value_base, 0) FROM " +
         source(staged) +
         " ON DUPLICATE KEY UPDATE payment_type = VALUES(payment_type), payment_value = "
         "VALUES(payment_value)";
}

}  // namespace segmentd::feed_sql
