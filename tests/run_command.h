#pragma once
// Runs the segmentd binary the way an operator would, for whole-binary tests.

#include <string>

namespace segmentd::test {

struct CommandResult {
  int status;
  std::string output;  // stdout and stderr together
};

// `segmentd ARGS`; `env`: assignments put before the command, e.g.
// "JOURNAL_STREAM=8:1".
CommandResult run(const std::string& args, const std::string& env = "");

}  // namespace segmentd::test
