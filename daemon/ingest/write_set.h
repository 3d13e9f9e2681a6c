#pragma once
// A file is one transaction, however large. On a Galera node (wsrep) a
// transaction is one write set, certified and applied by every node, and a
// write set larger than wsrep_max_ws_size (or with more rows than
// wsrep_max_ws_rows) is refused at commit. Galera 4's streaming
// replication sends a big transaction in fragments while it runs; it still
// commits (or rolls back) as one, so a file stays all-or-nothing.

#include <cstdint>
#include <optional>
#include <string>

namespace segmentd {

class DbSession;

struct WriteSetLimits {
  bool galera = false;          // wsrep_on is ON
  std::uint64_t max_rows = 0;   // wsrep_max_ws_rows; 0 = no limit
  std::uint64_t max_bytes = 0;  // wsrep_max_ws_size
};

// Read with SHOW VARIABLES, which MySQL answers too (without wsrep rows).
WriteSetLimits read_write_set_limits(DbSession& db);

struct Fragment {
  std::string unit;  // "rows" or "bytes"
  std::uint64_t size = 0;
};

// The fragments a load streams in, well within the limits: half the row
// limit when there is one, else a quarter of the size limit up to 16 MiB.
// nullopt off Galera.
std::optional<Fragment> streaming_fragment(const WriteSetLimits& limits);

// Streams this session's transactions in `fragment`s until destroyed.
class StreamingReplication {
 public:
  StreamingReplication(DbSession& db, const Fragment& fragment);
  ~StreamingReplication();
  StreamingReplication(const StreamingReplication&) = delete;
  StreamingReplication& operator=(const StreamingReplication&) = delete;

 private:
  DbSession& db_;
};

}  // namespace segmentd
