#include "run_identity.h"

#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>

#include "version.h"

namespace segmentd {

RunIdentity this_process() {
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return RunIdentity{"segmentd", host, static_cast<unsigned>(getpid()), kVersion};
}

bool process_exists(unsigned pid) {
  // EPERM: it exists but belongs to someone else.
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH;
}

}  // namespace segmentd
