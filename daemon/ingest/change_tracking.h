#pragma once
// A load and the change-tracking triggers (R050) the incremental refresh
// reads: which tables are tracked, and when a load is not logged row by row.

#include <cstdint>
#include <string_view>

#include "datasets.h"
#include "db_session.h"
#include "ingest_sql.h"

namespace segmentd {

// The tables a refresh reads, whose changes the triggers log (R050).
inline bool tracked_by_refresh(const Dataset& d) {
  const std::string_view t = d.table;
  return t == "orders" || t == "order_items" || t == "order_payments" || t == "customers";
}

// Above this many rows (or into an empty table, the first load) a load is
// not logged row by row: the log would be as big as the load and a full
// refresh is cheaper than reading it back.
constexpr std::uint64_t kTrackedRowsLimit = 200000;

// Above this many rows a file's reference checks are counted over the
// whole table rather than at the file's keys: the file is then a large
// part of the table, and copying its keys would cost about as much.
constexpr std::uint64_t kFileGapRowsLimit = 200000;

// Turns the change-tracking triggers off for this session until destroyed.
// logged() writes the one "anything changed" row instead, after the load
// (a row written before it, in its transaction, could cost MariaDB's bulk
// path into an empty table).
class UntrackedLoad {
 public:
  explicit UntrackedLoad(DbSession& db) : db_(db) { db_.execute(ingest_sql::kUntrack); }
  void logged() { db_.execute(ingest_sql::kLogAnyChange); }
  ~UntrackedLoad() {
    try {
      db_.execute(ingest_sql::kTrack);
    } catch (const std::exception&) {
      // The session is gone, and the variable with it.
    }
  }
  UntrackedLoad(const UntrackedLoad&) = delete;
  UntrackedLoad& operator=(const UntrackedLoad&) = delete;

 private:
  DbSession& db_;
};

}  // namespace segmentd
