#include "refresh.h"

#include "db_session.h"
#include "errors.h"

namespace segmentd {
namespace {

RefreshOutcome read_run(DbSession& db, std::uint64_t run_id) {
  DbResult r = db.query("SELECT run_id, status, customers_segmented, message FROM pipeline_runs WHERE run_id = ?",
                        {static_cast<std::int64_t>(run_id)});
  RefreshOutcome out;
  if (r.rows.empty()) return out;
  out.run_id = run_id;
  out.status = parse_run_status(r.rows[0][1].value_or("")).value_or(RunStatus::Failed);
  out.customers = std::stoull(r.rows[0][2].value_or("0"));
  out.message = r.rows[0][3].value_or("");
  return out;
}

std::optional<std::uint64_t> recorded_run(DbSession& db) {
  const DbValue id = query_value(db, "SELECT @segmentd_run_id");
  if (!id) return std::nullopt;
  return std::stoull(*id);
}

}  // namespace

std::uint64_t newest_successful_refresh(DbSession& db) {
  return query_u64(db, "SELECT MAX(run_id) FROM pipeline_runs WHERE kind = 'refresh' AND status = 'succeeded'");
}

RefreshOutcome run_refresh(DbSession& db, std::string_view trigger, const RunIdentity& who, RefreshMode mode) {
  // Parameters travel as session variables bound through a prepared SET, so
  // nothing of them is ever part of the statement text.
  db.update(
      "SET @segmentd_run_id = NULL, @segmentd_p_trigger = ?, @segmentd_p_by = ?, @segmentd_p_host = ?, "
      "@segmentd_p_pid = ?, @segmentd_p_version = ?, @segmentd_p_mode = ?",
      {std::string(trigger), who.started_by, who.host, static_cast<std::int64_t>(who.pid), who.version,
       std::string(mode == RefreshMode::Full ? "full" : "auto")});
  try {
    db.call(
        "CALL segmentd_refresh_run(@segmentd_p_trigger, @segmentd_p_by, @segmentd_p_host, @segmentd_p_pid, "
        "@segmentd_p_version, @segmentd_p_mode)");
  } catch (const DbError& e) {
    if (e.connection_lost()) throw;
    const auto id = recorded_run(db);
    if (!id) return RefreshOutcome{0, RunStatus::Failed, 0, e.what()};
    RefreshOutcome out = read_run(db, *id);
    // The procedure records what is true (a run whose swap was done has
    // succeeded whatever failed after it); it re-raises only for failures.
    if (out.status != RunStatus::Succeeded) out.status = RunStatus::Failed;
    if (out.message.empty()) out.message = e.what();
    return out;
  }
  const auto id = recorded_run(db);
  if (!id) throw UserError("refresh finished without recording its run");
  return read_run(db, *id);
}

std::map<std::string, std::uint64_t> segment_sizes(DbSession& db) {
  const DbResult r = db.query(
      "SELECT r.segment_name, (SELECT COUNT(*) FROM customer_segments c WHERE c.segment_name = r.segment_name) "
      "FROM rfm_segment_rules r GROUP BY r.segment_name");
  std::map<std::string, std::uint64_t> out;
  for (const auto& row : r.rows) out[row.at(0).value_or("")] = std::stoull(row.at(1).value_or("0"));
  return out;
}

SegmentShift segment_shift(DbSession& db, std::uint64_t previous_run, std::uint64_t run) {
  SegmentShift out{previous_run, run, 0, 0};
  const std::vector<DbParam> runs = {static_cast<std::int64_t>(run), static_cast<std::int64_t>(previous_run)};
  // The run's own movement figures (V010) when it compared against
  // previous_run; else both runs' states from the history (V014).
  DbResult r = db.query(
      "SELECT COUNT(*), COALESCE(SUM(customers), 0), COALESCE(SUM(IF(from_segment <> to_segment, customers, 0)), 0) "
      "FROM segment_run_transitions WHERE run_id = ? AND previous_run_id = ? "
      "AND from_segment <> '(new)' AND to_segment <> '(gone)'",
      runs);
  if (r.rows.at(0).at(0).value_or("0") != "0") {
    out.in_both = std::stoull(r.rows.at(0).at(1).value_or("0"));
    out.moved = std::stoull(r.rows.at(0).at(2).value_or("0"));
    return out;
  }
  r = db.query(
      "SELECT COUNT(*), COALESCE(SUM(p.segment_name <> c.segment_name), 0) FROM vw_customer_segment_at_run c "
      "JOIN vw_customer_segment_at_run p ON p.run_id = ? AND p.customer_unique_id = c.customer_unique_id "
      "WHERE c.run_id = ?",
      {static_cast<std::int64_t>(previous_run), static_cast<std::int64_t>(run)});
  out.in_both = std::stoull(r.rows.at(0).at(0).value_or("0"));
  out.moved = std::stoull(r.rows.at(0).at(1).value_or("0"));
  return out;
}

}  // namespace segmentd
