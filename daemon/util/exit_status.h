#pragma once

namespace segmentd {

// Exit statuses of the segmentd command (README "Commands").
enum ExitStatus : int {
  kExitOk = 0,
  kExitFailure = 1,      // a run failed, the database refused, a file was refused
  kExitUsage = 2,        // bad command line or config
  kExitSkipped = 3,      // refresh skipped: another refresh holds the lock
  kExitUnavailable = 4,  // the database cannot be reached
};

}  // namespace segmentd
