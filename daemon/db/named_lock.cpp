#include "named_lock.h"

#include "db_session.h"
#include "errors.h"

namespace segmentd {

NamedLock::NamedLock(DbSession& db, const std::string& purpose, unsigned wait_seconds)
    : db_(db), prefix_("segmentd." + purpose + ".") {
  if (query_value(db_, "SELECT GET_LOCK(LEFT(CONCAT(?, DATABASE()), 64), ?)",
                  {prefix_, static_cast<std::int64_t>(wait_seconds)})
          .value_or("0") != "1") {
    throw LockBusy("another segmentd " + purpose + " has held its lock for " + std::to_string(wait_seconds) +
                   " seconds");
  }
}

NamedLock::~NamedLock() {
  try {
    db_.query("SELECT RELEASE_LOCK(LEFT(CONCAT(?, DATABASE()), 64))", {prefix_});
  } catch (const Error&) {
    // Released with the session anyway.
  }
}

}  // namespace segmentd
