// The statements of a feed load that take their table (feed_sql.h).
#include "feed_sql.h"

namespace segmentd::feed_sql {
namespace {

// Orders of one file (the stage) or touched ones, joined as `f`.
std::string source(bool staged) {
  return staged ? "segmentd_feed_stage f WHERE f.kind = 'o'"
                : "feed_touched t JOIN feed_orders f ON f.order_id = t.order_id";
}

}  // namespace

std::string insert_orders(bool into_empty) {
  return std::string(
             "INSERT INTO feed_orders (order_id, order_key, feed, customer_id, purchased_at, status, status_counted, "
             "cancelled, currency, amount, refunded, converted_net, exchange_rate, source_line, refunds, rate_date, "
             "value_base, outcome) "
             "SELECT order_id, order_key, ?, customer_id, purchased_at, status, status_counted, cancelled, currency, "
             "amount, refunded, converted_net, exchange_rate, line, refunds, rate_date, value_base, outcome "
             "FROM segmentd_feed_stage WHERE kind = 'o'") +
         (into_empty
              ? ""
              : " ON DUPLICATE KEY UPDATE order_key = VALUES(order_key), feed = VALUES(feed), "
                "customer_id = VALUES(customer_id), purchased_at = VALUES(purchased_at), status = VALUES(status), "
                "status_counted = VALUES(status_counted), cancelled = VALUES(cancelled), currency = VALUES(currency), "
                "amount = VALUES(amount), refunded = VALUES(refunded), converted_net = VALUES(converted_net), "
                "exchange_rate = VALUES(exchange_rate), source_line = VALUES(source_line), refunds = VALUES(refunds), "
                "rate_date = VALUES(rate_date), value_base = VALUES(value_base), outcome = VALUES(outcome)");
}

// One single-table UPDATE, whose assignments MySQL and MariaDB evaluate
// left to right, each seeing the ones before: the refund rows' sum, the
// rate date (the newest on or before the purchase date, UTC, only where no
// other conversion applies), the value (net = amount - refunded on the row
// - refunds, converted and rounded to cents once: ROUND of a DECIMAL is
// half away from zero), the outcome. Bound: the base currency, twice.
std::string compute_orders(bool staged) {
  return std::string("UPDATE ") + (staged ? "segmentd_feed_stage" : "feed_orders") +
         " f SET "
         "f.refunds = COALESCE((SELECT SUM(r.amount) FROM feed_refunds r WHERE r.order_id = f.order_id), 0), "
         "f.rate_date = CASE WHEN f.currency = ? OR f.converted_net IS NOT NULL OR f.exchange_rate IS NOT NULL "
         " THEN NULL ELSE (SELECT MAX(r.rate_date) FROM currency_rates r "
         "                  WHERE r.currency = f.currency AND r.rate_date <= DATE(f.purchased_at)) END, "
         "f.value_base = CASE "
         " WHEN f.currency = ? THEN ROUND(f.amount - f.refunded - f.refunds, 2) "
         " WHEN f.converted_net IS NOT NULL AND f.refunds = 0 THEN ROUND(f.converted_net, 2) "
         " WHEN f.converted_net IS NOT NULL AND f.amount - f.refunded <> 0 "
         "  THEN ROUND(f.converted_net * (f.amount - f.refunded - f.refunds) / (f.amount - f.refunded), 2) "
         " WHEN f.exchange_rate IS NOT NULL THEN ROUND((f.amount - f.refunded - f.refunds) / f.exchange_rate, 2) "
         " WHEN f.rate_date IS NOT NULL THEN ROUND((f.amount - f.refunded - f.refunds) * "
         "  (SELECT r.rate FROM currency_rates r WHERE r.currency = f.currency AND r.rate_date = f.rate_date), 2) "
         " ELSE NULL END, "
         "f.outcome = CASE WHEN f.cancelled THEN 'cancelled' WHEN NOT f.status_counted THEN 'not_counted' "
         " WHEN f.value_base IS NULL THEN 'held' ELSE 'counted' END " +
         (staged ? "WHERE f.kind = 'o'" : "WHERE f.order_id IN (SELECT t.order_id FROM feed_touched t)");
}

// Into empty tables (`into_empty`) nothing can be replaced: plain inserts,
// which MariaDB can build in bulk (bulk_load.h).
// Into empty tables the file's customers are feed_customers, one row each
// (its upsert took the file's rows): no DISTINCT over every order row,
// which at 10x spills to disk. Otherwise each order row's customer, those
// already there ignored.
std::string project_customers(bool staged, bool into_empty) {
  if (staged && into_empty) {
    return "INSERT INTO customers (customer_id, customer_unique_id) SELECT customer_id, customer_id "
           "FROM feed_customers";
  }
  return "INSERT IGNORE INTO customers (customer_id, customer_unique_id) SELECT f.customer_id, f.customer_id FROM " +
         source(staged);
}

std::string project_orders(bool staged, bool into_empty) {
  return "INSERT INTO orders (order_id, customer_id, order_status, order_purchase_timestamp) "
         "SELECT f.order_id, f.customer_id, f.outcome, f.purchased_at FROM " +
         source(staged) +
         (into_empty ? ""
                     : " ON DUPLICATE KEY UPDATE customer_id = VALUES(customer_id), order_status = "
                       "VALUES(order_status), order_purchase_timestamp = VALUES(order_purchase_timestamp)");
}

std::string project_payments(bool staged, bool into_empty) {
  return "INSERT INTO order_payments (order_id, payment_sequential, payment_type, payment_installments, "
         "payment_value) SELECT f.order_id, 1, 'feed', 1, COALESCE(f.value_base, 0) FROM " +
         source(staged) +
         (into_empty ? ""
                     : " ON DUPLICATE KEY UPDATE payment_type = VALUES(payment_type), payment_value = "
                       "VALUES(payment_value)");
}

}  // namespace segmentd::feed_sql
