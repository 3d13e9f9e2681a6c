#pragma once
// Who starts a run, as recorded in pipeline_runs.

#include <string>

namespace segmentd {

struct RunIdentity {
  std::string started_by;  // e.g. "segmentd"
  std::string host;
  unsigned pid = 0;
  std::string version;
};

RunIdentity this_process();

// Whether a process with this pid exists on this host (kill(pid, 0)).
bool process_exists(unsigned pid);

}  // namespace segmentd
