#include "refresh.h"

#include "db_session.h"
#include "errors.h"
#include "refresh_sql.h"

namespace segmentd {
namespace {

RefreshOutcome read_run(DbSession& db, std::uint64_t run_id) {
  DbResult r = db.query(refresh_sql::kReadRun, {static_cast<std::int64_t>(run_id)});
  RefreshOutcome out;
  if (r.rows.empty()) return out;
  out.run_id = run_id;
  out.status = parse_run_status(r.rows[0][1].value_or("")).value_or(RunStatus::Failed);
  out.customers = std::stoull(r.rows[0][2].value_or("0"));
  out.message = r.rows[0][3].value_or("");
  if (r.rows[0].size() > 4 && r.rows[0][4]) out.swap_wait_ms = std::stoull(*r.rows[0][4]);
  return out;
}

std::optional<std::uint64_t> recorded_run(DbSession& db) {
  const DbValue id = query_value(db, refresh_sql::kRecordedRun);
  if (!id) return std::nullopt;
  return std::stoull(*id);
}

// The CALL failed with the session still open. The procedure's handler has
// recorded the run unless the server refused that too (read-only); then it
// is undone here, or left for record_failed_refresh() when it cannot be.
RefreshOutcome after_failed_call(DbSession& db, const DbError& e) {
  const auto id = recorded_run(db);
  RefreshOutcome out = id ? read_run(db, *id) : RefreshOutcome{};
  if (!id || out.run_id == 0) {
    out = RefreshOutcome{0, RunStatus::Failed, 0, e.what()};
  } else if (out.status == RunStatus::Running) {
    out.status = RunStatus::Failed;
    out.message = e.what();
    try {
      db.update(refresh_sql::kUndoRefresh, {static_cast<std::int64_t>(out.run_id), out.message});
    } catch (const DbError& undo) {
      if ((undo.connection_lost() && !undo.refuses_writes()) || !db.usable()) throw;
      out.recorded = false;
    }
  } else if (out.status != RunStatus::Succeeded) {
    // The procedure records what is true (a run whose swap was done has
    // succeeded whatever failed after it); it re-raises only for failures.
    out.status = RunStatus::Failed;
    if (out.message.empty()) out.message = e.what();
  }
  // Held by this session only when the procedure's own release was not
  // reached; releasing a lock one does not hold does nothing.
  db.update(refresh_sql::kReleaseRefreshLock);
  out.unavailable = e.connection_lost();
  out.transient = e.category() == ErrorCategory::Transient;
  return out;
}

}  // namespace

void record_failed_refresh(DbSession& db, std::uint64_t run_id, const std::string& message) {
  // With the lock, the undo also drops the half-built tables; without it
  // (a refresh runs now) those are that refresh's, and only the run's own
  // rows are undone.
  query_value(db, refresh_sql::kTakeRefreshLock);
  db.update(refresh_sql::kUndoRefresh, {static_cast<std::int64_t>(run_id), message});
  db.update(refresh_sql::kReleaseRefreshLock);
}

std::uint64_t newest_successful_refresh(DbSession& db) {
  return query_u64(db, refresh_sql::kNewestSuccessfulRefresh);
}

RefreshOutcome run_refresh(DbSession& db, std::string_view trigger, const RunIdentity& who, RefreshMode mode) {
  // Parameters travel as session variables bound through a prepared SET, so
  // nothing of them is ever part of the statement text.
  db.update(refresh_sql::kSetRefreshParameters,
            {std::string(trigger), who.started_by, who.host, static_cast<std::int64_t>(who.pid), who.version,
             std::string(mode == RefreshMode::Full ? "full" : "auto")});
  try {
    db.call(refresh_sql::kCallRefresh);
    // A full refresh renamed the tables behind the views: statements this
    // session prepared over them are stale (db_session.h).
    db.forget_prepared();
  } catch (const DbError& e) {
    // The session is gone: the orphan sweep closes its run, and the server
    // released its lock with it.
    if ((e.connection_lost() && !e.refuses_writes()) || !db.usable()) throw;
    db.forget_prepared();
    return after_failed_call(db, e);
  }
  const auto id = recorded_run(db);
  if (!id) throw UserError("refresh finished without recording its run");
  return read_run(db, *id);
}

std::map<std::string, std::uint64_t> segment_sizes(DbSession& db) {
  const DbResult r = db.query(refresh_sql::kSegmentSizes);
  std::map<std::string, std::uint64_t> out;
  for (const auto& row : r.rows) out[row.at(0).value_or("")] = std::stoull(row.at(1).value_or("0"));
  return out;
}

SegmentShift segment_shift(DbSession& db, std::uint64_t previous_run, std::uint64_t run) {
  SegmentShift out{previous_run, run, 0, 0};
  const std::vector<DbParam> runs = {static_cast<std::int64_t>(run), static_cast<std::int64_t>(previous_run)};
  // The run's own movement figures (V010) when it compared against
  // previous_run; else both runs' states from the history (V014).
  DbResult r = db.query(refresh_sql::kTransitionCounts, runs);
  if (r.rows.at(0).at(0).value_or("0") != "0") {
    out.in_both = std::stoull(r.rows.at(0).at(1).value_or("0"));
    out.moved = std::stoull(r.rows.at(0).at(2).value_or("0"));
    return out;
  }
  r = db.query(refresh_sql::kShiftFromHistory,
               {static_cast<std::int64_t>(previous_run), static_cast<std::int64_t>(run)});
  out.in_both = std::stoull(r.rows.at(0).at(0).value_or("0"));
  out.moved = std::stoull(r.rows.at(0).at(1).value_or("0"));
  return out;
}

}  // namespace segmentd
