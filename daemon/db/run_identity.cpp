#include "run_identity.h"

#include <unistd.h>

#include <climits>

#include "version.h"

namespace segmentd {

RunIdentity this_process() {
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return RunIdentity{"segmentd", host, static_cast<unsigned>(getpid()), kVersion};
}

}  // namespace segmentd
