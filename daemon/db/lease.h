#pragma once
// Leadership among daemons that share one database (V013 daemon_lease):
// one leads, any number stand by. The lease is taken and renewed in a
// transaction of its own on a connection of its own, so a long load on the
// worker never lets it lapse. Expiry is judged by the database's clock, so
// the daemons' clocks do not matter. A write that commits data for the
// leader is fenced: fence_write() bumps the row only while holder and epoch
// are still the writer's, inside the write's own transaction.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "errors.h"

namespace segmentd {

class DbSession;

// Who asks for the lease: this process, told apart from a restarted one
// with the same pid by a random token.
struct LeaseClaimant {
  std::string holder;  // "host pid N token T"
  std::string host;
  unsigned pid = 0;
};
LeaseClaimant this_claimant();

// The lease row as read, with the database's verdict on its expiry.
struct LeaseRow {
  std::optional<std::string> holder;  // nullopt: never taken, or released
  std::string host;
  unsigned pid = 0;
  std::uint64_t epoch = 0;
  bool live = false;                       // expires_at is still ahead
  std::chrono::milliseconds expires_in{};  // negative once expired
  std::string node;                        // the server the holder renews on
  std::string acquired_at;                 // UTC, "YYYY-MM-DD HH:MM:SS"
  std::string renewed_at;
};

enum class LeaseMove {
  Renew,  // the claimant holds it (expired or not: nobody else took it)
  Take,   // free, expired, or its holder's process is gone from this host
  Stand,  // another live daemon holds it
};
const char* to_string(LeaseMove m);

// `holder_process_gone`: the holder ran on this host under a pid that no
// longer exists (a restart right after a crash need not wait out the lease).
LeaseMove decide_lease(const LeaseRow& row, const LeaseClaimant& me, bool holder_process_gone);

struct LeaseState {
  bool leading = false;
  bool taken_now = false;  // this call took it (a new epoch)
  LeaseRow row;            // after this call
};

// One attempt: renews or takes the lease for `seconds`, or stands by. A
// take that loses a race on another node of a cluster (certification
// conflict) stands by.
LeaseState hold_lease(DbSession& db, const LeaseClaimant& me, unsigned seconds);

// Gives the lease up at a clean stop, so a standby takes over at once.
void release_lease(DbSession& db, const LeaseClaimant& me, std::uint64_t epoch);

std::optional<LeaseRow> read_lease(DbSession& db);

// What a write checks: the holder and epoch it was started under.
struct LeaseFence {
  std::string holder;
  std::uint64_t epoch = 0;
};

// A write that would commit under a lease this daemon no longer holds.
class LeaseLost : public Error {
 public:
  using Error::Error;
};

// In the caller's transaction, just before its commit: bumps the lease row
// if `fence` still holds it, else throws LeaseLost naming the new holder.
void fence_write(DbSession& db, const LeaseFence& fence);

// Sets @segmentd_lease_holder and @segmentd_lease_epoch on the session (or
// clears them): the refresh procedure fences its swap with them, and run
// rows record the epoch (pipeline_runs.lease_epoch).
void set_session_fence(DbSession& db, const std::optional<LeaseFence>& fence);

}  // namespace segmentd
