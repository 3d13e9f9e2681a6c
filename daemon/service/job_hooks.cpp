#include "job_hooks.h"

#include <atomic>

namespace segmentd {

namespace {
std::atomic<JobHooks*> g_hooks{nullptr};
}

void install_job_hooks(JobHooks* hooks) {
  g_hooks.store(hooks);
}

JobHooks* installed_job_hooks() {
  return g_hooks.load();
}

}  // namespace segmentd
