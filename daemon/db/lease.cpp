#include "lease.h"

#include <random>
#include <sstream>

#include "db_session.h"
#include "lease_sql.h"
#include "run_identity.h"
#include "transaction.h"

namespace segmentd {

namespace {

LeaseRow row_of(const DbResult& r) {
  LeaseRow row;
  if (r.rows.empty()) return row;
  const auto& v = r.rows.front();
  row.holder = v[0];
  row.host = v[1].value_or("");
  row.pid = v[2] ? static_cast<unsigned>(std::stoul(*v[2])) : 0;
  row.epoch = v[3] ? std::stoull(*v[3]) : 0;
  row.live = v[4].value_or("0") == "1";
  row.expires_in = std::chrono::milliseconds(v[5] ? std::stoll(*v[5]) : 0);
  row.node = v[6].value_or("");
  row.acquired_at = v[7].value_or("");
  row.renewed_at = v[8].value_or("");
  return row;
}

std::string token() {
  std::random_device rd;
  std::ostringstream out;
  out << std::hex << ((static_cast<std::uint64_t>(rd()) << 32) | rd());
  return out.str();
}

}  // namespace

LeaseClaimant this_claimant() {
  static const std::string kToken = token();
  const RunIdentity me = this_process();
  return {me.host + " pid " + std::to_string(me.pid) + " token " + kToken, me.host, me.pid};
}

const char* to_string(LeaseMove m) {
  switch (m) {
    case LeaseMove::Renew:
      return "renew";
    case LeaseMove::Take:
      return "take";
    case LeaseMove::Stand:
      return "stand";
  }
  return "?";
}

LeaseMove decide_lease(const LeaseRow& row, const LeaseClaimant& me, bool holder_process_gone) {
  if (row.holder && *row.holder == me.holder) return LeaseMove::Renew;
  if (!row.holder || !row.live || holder_process_gone) return LeaseMove::Take;
  return LeaseMove::Stand;
}

LeaseState hold_lease(DbSession& db, const LeaseClaimant& me, unsigned seconds) {
  LeaseState state;
  const auto length = static_cast<std::int64_t>(seconds);
  try {
    Transaction transaction(db);
    const LeaseRow row = row_of(db.query(lease_sql::kReadLeaseForUpdate));
    const bool gone =
        row.holder && row.host == me.host && row.pid != 0 && row.pid != me.pid && !process_exists(row.pid);
    const LeaseMove move = decide_lease(row, me, gone);
    if (move == LeaseMove::Renew) {
      db.update(lease_sql::kRenewLease, {length, me.holder, static_cast<std::int64_t>(row.epoch)});
    } else if (move == LeaseMove::Take) {
      db.update(lease_sql::kTakeLease,
                {me.holder, me.host, static_cast<std::int64_t>(me.pid), length, static_cast<std::int64_t>(row.epoch)});
    }
    state.row = row_of(db.query(lease_sql::kReadLease));
    transaction.commit();
    state.leading = move != LeaseMove::Stand && state.row.holder == me.holder;
    state.taken_now = move == LeaseMove::Take && state.leading;
  } catch (const DbError& e) {
    // Two standbys on two nodes of a cluster took it at once: the other won.
    if (e.code() != server_error::kDeadlock) throw;
    state = LeaseState{};
    state.row = row_of(db.query(lease_sql::kReadLease));
  }
  return state;
}

void release_lease(DbSession& db, const LeaseClaimant& me, std::uint64_t epoch) {
  db.update(lease_sql::kReleaseLease, {me.holder, static_cast<std::int64_t>(epoch)});
}

std::optional<LeaseRow> read_lease(DbSession& db) {
  const DbResult r = db.query(lease_sql::kReadLease);
  if (r.rows.empty()) return std::nullopt;
  return row_of(r);
}

void fence_write(DbSession& db, const LeaseFence& fence) {
  if (db.update(lease_sql::kCountFencedWrite, {fence.holder, static_cast<std::int64_t>(fence.epoch)}) == 1) {
    return;
  }
  const LeaseRow now = row_of(db.query(lease_sql::kReadLease));
  throw LeaseLost("this daemon no longer holds the lease (its epoch " + std::to_string(fence.epoch) + "; epoch " +
                  std::to_string(now.epoch) + " is held by " +
                  (now.holder ? now.host + " pid " + std::to_string(now.pid) : std::string("nobody")) +
                  "): nothing was committed");
}

void set_session_fence(DbSession& db, const std::optional<LeaseFence>& fence) {
  db.update(lease_sql::kSetSessionFence, {fence ? DbParam(fence->holder) : DbParam(nullptr),
                                          fence ? DbParam(static_cast<std::int64_t>(fence->epoch)) : DbParam(nullptr)});
}

}  // namespace segmentd
