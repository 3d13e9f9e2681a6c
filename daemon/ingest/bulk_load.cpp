#include "bulk_load.h"

#include <charconv>

#include "db_session.h"
#include "errors.h"

namespace segmentd {

bool bulk_loads_empty_tables(std::string_view version) {
  if (version.find("MariaDB") == std::string_view::npos) return false;
  unsigned part[3] = {0, 0, 0};
  const char* p = version.data();
  const char* end = p + version.size();
  for (int i = 0; i < 3; ++i) {
    auto [next, ec] = std::from_chars(p, end, part[i]);
    if (ec != std::errc()) return false;
    p = next;
    if (i < 2) {
      if (p == end || *p != '.') return false;
      ++p;
    }
  }
  const unsigned v = part[0] * 10000 + part[1] * 100 + part[2];
  // The releases that carry the fix; 11.5 and 11.6 never did.
  return v >= 110702 || (v >= 110405 && v < 110500) || (v >= 101111 && v < 101200);
}

BulkLoadSession::BulkLoadSession(DbSession& db) : db_(db) {
  db_.execute("SET SESSION unique_checks = 0, foreign_key_checks = 0");
}

BulkLoadSession::~BulkLoadSession() {
  try {
    db_.execute("SET SESSION unique_checks = 1, foreign_key_checks = 1");
  } catch (const DbError&) {
    // The connection is gone, and the settings with it.
  }
}

}  // namespace segmentd
