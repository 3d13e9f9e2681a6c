#include "write_set.h"

#include <algorithm>

#include "db_session.h"

namespace segmentd {

WriteSetLimits read_write_set_limits(DbSession& db) {
  WriteSetLimits out;
  const DbResult r =
      db.query("SHOW VARIABLES WHERE Variable_name IN ('wsrep_on', 'wsrep_max_ws_rows', 'wsrep_max_ws_size')");
  for (const auto& row : r.rows) {
    const std::string name = row.at(0).value_or("");
    const std::string value = row.at(1).value_or("");
    if (name == "wsrep_on") out.galera = value == "ON" || value == "1";
    if (name == "wsrep_max_ws_rows" && !value.empty()) out.max_rows = std::stoull(value);
    if (name == "wsrep_max_ws_size" && !value.empty()) out.max_bytes = std::stoull(value);
  }
  return out;
}

std::optional<Fragment> streaming_fragment(const WriteSetLimits& limits) {
  if (!limits.galera) return std::nullopt;
  if (limits.max_rows > 0) return Fragment{"rows", std::max<std::uint64_t>(1, limits.max_rows / 2)};
  constexpr std::uint64_t kLargest = 16u << 20;
  const std::uint64_t quarter = limits.max_bytes / 4;
  return Fragment{"bytes", std::max<std::uint64_t>(1024, quarter == 0 ? kLargest : std::min(kLargest, quarter))};
}

StreamingReplication::StreamingReplication(DbSession& db, const Fragment& fragment) : db_(db) {
  db_.update("SET SESSION wsrep_trx_fragment_unit = ?, wsrep_trx_fragment_size = ?",
             {fragment.unit, static_cast<std::int64_t>(fragment.size)});
}

StreamingReplication::~StreamingReplication() {
  try {
    db_.execute("SET SESSION wsrep_trx_fragment_size = 0");
  } catch (const std::exception&) {
    // The session is gone; so is the setting.
  }
}

}  // namespace segmentd
