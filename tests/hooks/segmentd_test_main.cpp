// segmentd-test: the segmentd binary with the test hooks installed
// (job_hooks.h), for the whole-binary tests that must catch a refresh
// half-way. SEGMENTD_TEST_REFRESH_SLEEP=N makes each refresh first wait N
// seconds inside the server (SELECT SLEEP), on the worker's session, so the
// job is running and the server is busy while the test looks.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "cli.h"
#include "db_session.h"
#include "job_hooks.h"

namespace {

class SleepBeforeRefresh : public segmentd::JobHooks {
 public:
  explicit SleepBeforeRefresh(std::int64_t seconds) : seconds_(seconds) {}
  void before_refresh(segmentd::DbSession& db) override { db.query("SELECT SLEEP(?)", {seconds_}); }

 private:
  std::int64_t seconds_;
};

}  // namespace

int main(int argc, char** argv) {
  const char* sleep = std::getenv("SEGMENTD_TEST_REFRESH_SLEEP");
  SleepBeforeRefresh hooks(sleep != nullptr ? std::stoll(sleep) : 0);
  if (sleep != nullptr) segmentd::install_job_hooks(&hooks);
  return segmentd::segmentd_main(argc, argv);
}
