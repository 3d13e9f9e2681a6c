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

}  // namespace segmentd
