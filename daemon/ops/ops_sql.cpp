#include "ops_sql.h"

namespace segmentd::ops_sql {

std::string create_fallback_event(const std::string& every, bool enabled) {
  return "CREATE EVENT ev_refresh_customer_segments ON SCHEDULE EVERY " + every +
         " STARTS UTC_TIMESTAMP() + INTERVAL " + every + " ON COMPLETION PRESERVE " + (enabled ? "ENABLE" : "DISABLE") +
         " COMMENT 'segmentd fallback: refresh RFM segments when segmentd has not'"
         " DO CALL refresh_customer_segments_event()";
}

}  // namespace segmentd::ops_sql
