#pragma once
// Every statement of the daemons' lease and its fence (lease.h), in one
// place. Values are always bound.

#include <string>

namespace segmentd::lease_sql {

inline constexpr const char* kReadLease =
    "SELECT holder, holder_host, holder_pid, epoch, COALESCE(expires_at > UTC_TIMESTAMP(3), 0), "
    "COALESCE(TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(3), expires_at) DIV 1000, 0), node, "
    "DATE_FORMAT(acquired_at, '%Y-%m-%d %H:%i:%s'), DATE_FORMAT(renewed_at, '%Y-%m-%d %H:%i:%s') "
    "FROM daemon_lease WHERE id = 1";
// The same, locking the row for a decision in this transaction.
inline const std::string kReadLeaseForUpdate = std::string(kReadLease) + " FOR UPDATE";

inline constexpr const char* kRenewLease =
    "UPDATE daemon_lease SET renewed_at = UTC_TIMESTAMP(3), "
    "expires_at = UTC_TIMESTAMP(3) + INTERVAL ? SECOND, node = CONCAT(@@hostname, ':', @@port) "
    "WHERE id = 1 AND holder = ? AND epoch = ?";

// node: the server this session is on, as the runs record it (V012).
inline constexpr const char* kTakeLease =
    "UPDATE daemon_lease SET holder = ?, holder_host = ?, holder_pid = ?, epoch = epoch + 1, "
    "acquired_at = UTC_TIMESTAMP(3), renewed_at = UTC_TIMESTAMP(3), "
    "expires_at = UTC_TIMESTAMP(3) + INTERVAL ? SECOND, node = CONCAT(@@hostname, ':', @@port) "
    "WHERE id = 1 AND epoch = ?";

inline constexpr const char* kReleaseLease =
    "UPDATE daemon_lease SET holder = NULL, holder_host = NULL, holder_pid = NULL, expires_at = UTC_TIMESTAMP(3) "
    "WHERE id = 1 AND holder = ? AND epoch = ?";

inline constexpr const char* kCountFencedWrite =
    "UPDATE daemon_lease SET fenced_writes = fenced_writes + 1 WHERE id = 1 AND holder = ? AND epoch = ?";

inline constexpr const char* kSetSessionFence = "SET @segmentd_lease_holder = ?, @segmentd_lease_epoch = ?";

}  // namespace segmentd::lease_sql
