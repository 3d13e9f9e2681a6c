#pragma once
// Every statement of `segmentd explain`: each one customer's rows through an
// index (customer_unique_id keys), or the run's few rows of settings.

namespace segmentd::explain_sql {

inline constexpr const char* kScores =
    "SELECT DATE_FORMAT(first_purchase_date, '%Y-%m-%d %H:%i:%s'), DATE_FORMAT(last_purchase_date, '%Y-%m-%d "
    "%H:%i:%s'), "
    "recency_days, frequency, monetary, r_score, f_score, m_score, rfm_code, segment_name "
    "FROM customer_segments WHERE customer_unique_id = ?";

inline constexpr const char* kKnown = "SELECT COUNT(*) FROM customers WHERE customer_unique_id = ?";

// The live results' run and its settings.
inline constexpr const char* kRun =
    "SELECT st.run_id, DATE_FORMAT(st.as_of, '%Y-%m-%d'), JSON_UNQUOTE(JSON_EXTRACT(p.details, '$.scoring_method')), "
    "JSON_UNQUOTE(JSON_EXTRACT(p.details, '$.counted_statuses')), st.customers "
    "FROM segment_state st LEFT JOIN pipeline_runs p ON p.run_id = st.run_id WHERE st.id = 1";

// Every order of the customer (by each of their customer_ids), counted or
// not, with what its feed said of it where it came from one.
inline constexpr const char* kOrders =
    "SELECT o.order_id, o.order_status, DATE_FORMAT(o.order_purchase_timestamp, '%Y-%m-%d %H:%i:%s'), "
    "v.order_id IS NOT NULL, v.order_value, v.items_total, v.payments_total, "
    "f.feed, f.outcome, f.status, f.currency, f.amount, f.refunded + f.refunds, f.value_base, f.cancelled "
    "FROM customers c JOIN orders o ON o.customer_id = c.customer_id "
    "LEFT JOIN order_values v ON v.order_id = o.order_id LEFT JOIN feed_orders f ON f.order_id = o.order_id "
    "WHERE c.customer_unique_id = ? ORDER BY o.order_purchase_timestamp, o.order_id";

inline constexpr const char* kBounds =
    "SELECT dimension, score, bound, DATE_FORMAT(last_purchase_day, '%Y-%m-%d'), frequency, monetary, "
    "customer_unique_id FROM segment_score_bounds ORDER BY FIELD(dimension, 'r', 'f', 'm'), score";

inline constexpr const char* kRules =
    "SELECT priority, segment_name, r_min, r_max, f_min, f_max, m_min, m_max FROM rfm_segment_rules ORDER BY priority";

// The segment at every kept run (the history: doc/MODEL.md "Segment history").
inline constexpr const char* kHistory =
    "SELECT h.run_id, DATE_FORMAT(p.started_at, '%Y-%m-%d %H:%i:%s'), DATE_FORMAT(p.as_of_date, '%Y-%m-%d'), "
    "h.segment_name, h.rfm_code FROM vw_customer_segment_at_run h JOIN pipeline_runs p ON p.run_id = h.run_id "
    "WHERE h.customer_unique_id = ? ORDER BY h.run_id";

// Columns follow predictions.horizons_days: read by name.
inline constexpr const char* kPredictions = "SELECT * FROM vw_customer_predictions WHERE customer_unique_id = ?";
// The predictions are swapped in whole: one run for every row.
inline constexpr const char* kPredictionsRun = "SELECT run_id FROM customer_predictions LIMIT 1";
inline constexpr const char* kFit =
    "SELECT model, r, alpha, a, b, p, q, gamma, log_likelihood FROM prediction_fits WHERE run_id = ? ORDER BY model";

}  // namespace segmentd::explain_sql
