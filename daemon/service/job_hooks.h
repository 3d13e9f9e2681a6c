#pragma once
// A seam for the whole-binary tests: what a test build does inside a job,
// at points production leaves alone. The production binary installs none;
// the test build `segmentd-test` (tests/hooks/) installs one that holds each
// refresh inside the server, or each load just before its commit, so a test
// can catch a job half-way (a leader paused mid-refresh, a stuck worker, a
// file changed under a load) without a timer or an environment variable in
// the daemon's own code.

#include <filesystem>

namespace segmentd {

class DbSession;

class JobHooks {
 public:
  virtual ~JobHooks() = default;
  // On the worker's session, just before a refresh is started.
  virtual void before_refresh(DbSession& db) = 0;
  // On the worker, when a load has read its file and is about to commit.
  virtual void before_load_commit(const std::filesystem::path& file) = 0;
};

// Installed once, before the daemon starts (it must outlive it); nullptr:
// none, which is production.
void install_job_hooks(JobHooks* hooks);
JobHooks* installed_job_hooks();

}  // namespace segmentd
