#pragma once
// The reference checks: rows that point at rows not (yet) loaded. Drops
// arrive in any order, so these are reported, not refused.
//
// They are kept, not counted: the table reference_gaps (V018) lists every
// key that rows point at and no parent row holds, with how many rows point
// at it. Each file's load brings it up to date in the load's own
// transaction, so it is exactly as current as the data and is never half
// applied; the cost is in proportion to the file and the gaps, not to the
// tables (bench/reference/2026-12-06/NOTES.md "Reference checks in proportion to the file").
//
// Ingest never deletes a parent row (keyed files upsert; the key-less
// geolocation is in no check), which is what lets a file's keys settle
// every gap it can close. Changes made with plain SQL are not seen until
// the gaps are counted again (`segmentd ingest --recount-references`).
//
// While a check's parent table is empty, every row of its child dangles:
// its gaps are not kept (any listed are ignored) and its total is the
// child's row count. The parent's first load counts the check over the
// whole tables. So a first load with the children before their parents
// (alphabetical order puts order_items before orders) does not list, and
// then close, a gap for nearly every order.

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "datasets.h"

namespace segmentd {

class DbSession;

struct ReferenceCheck {
  std::string_view name;
  std::string_view child;        // the referring table (also its dataset's name)
  std::string_view column;       // its referring column
  std::string_view child_index;  // an index of `child` that starts with `column`
  std::string_view parent;       // the table referred to
  std::string_view parent_key;   // its one-column primary key
};

const std::vector<ReferenceCheck>& reference_checks();

// The columns of `d` that keeping the gaps reads from a file: its key and
// what it refers to. Empty when `d` is in no check.
std::vector<std::string_view> reference_columns(const Dataset& d);

// Brings the gaps up to date for one file of dataset `d`, inside the
// file's merge transaction: before_merge() before its rows are written,
// after_merge() after.
//  - `file_rows`: a session table holding the file's rows (at least
//    reference_columns(d)). The gaps then change only at the file's keys
//    and at gaps already listed.
//  - nullopt (a first or very large load): each check `d` refers through
//    is counted again over the whole table, which the load is most of.
//  - `into_empty`: `d`'s table had no row before this file; the checks
//    that refer to it are then counted over the whole tables.
class ReferenceGapUpdate {
 public:
  ReferenceGapUpdate(DbSession& db, const Dataset& d, std::optional<std::string> file_rows, bool into_empty);
  void before_merge();
  void after_merge();

 private:
  DbSession& db_;
  const Dataset& dataset_;
  std::optional<std::string> file_rows_;
  bool into_empty_;
};

// Counts every check again over the whole tables, replacing the gaps (in
// the caller's transaction; a check whose parent is empty keeps none).
void recount_reference_gaps(DbSession& db);

// {"check": rows pointing at unknown parents} as JSON, for the checks that
// involve any of `datasets` (all of them when empty).
std::string reference_gap_summary(DbSession& db, const std::set<std::string>& datasets);

}  // namespace segmentd
