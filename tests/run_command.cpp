#include "run_command.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>

namespace segmentd::test {

CommandResult run(const std::string& args, const std::string& env) {
  const std::string cmd = env + (env.empty() ? "" : " ") + std::string(SEGMENTD_BINARY) + " " + args + " 2>&1";
  std::FILE* pipe = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  const int rc = pclose(pipe);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, out};
}

}  // namespace segmentd::test
