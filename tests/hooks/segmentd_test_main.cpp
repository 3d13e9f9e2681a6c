// segmentd-test: the segmentd binary with the test hooks installed
// (job_hooks.h), for the whole-binary tests that must catch a job half-way.
//   SEGMENTD_TEST_REFRESH_SLEEP=N  each refresh first waits N seconds inside
//     the server (SELECT SLEEP), on the worker's session, so the job is
//     running and the server is busy while the test looks;
//   SEGMENTD_TEST_LOAD_PAUSE=N  each load, its file read and about to
//     commit, logs test.load_paused and waits N seconds, so a test can
//     change the file under it.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>

#include "cli.h"
#include "db_session.h"
#include "job_hooks.h"
#include "log_event.h"

namespace {

std::int64_t seconds_from(const char* variable) {
  const char* value = std::getenv(variable);
  return value != nullptr ? std::stoll(value) : 0;
}

class TestHooks : public segmentd::JobHooks {
 public:
  TestHooks(std::int64_t refresh_sleep, std::int64_t load_pause)
      : refresh_sleep_(refresh_sleep), load_pause_(load_pause) {}
  void before_refresh(segmentd::DbSession& db) override {
    if (refresh_sleep_ > 0) db.query("SELECT SLEEP(?)", {refresh_sleep_});
  }
  void before_load_commit(const std::filesystem::path& file) override {
    if (load_pause_ <= 0) return;
    segmentd::log_event(spdlog::level::info, "test.load_paused",
                        {{"file", file.filename().string()}, {"seconds", std::to_string(load_pause_)}});
    std::this_thread::sleep_for(std::chrono::seconds(load_pause_));
  }

 private:
  std::int64_t refresh_sleep_, load_pause_;
};

}  // namespace

int main(int argc, char** argv) {
  TestHooks hooks(seconds_from("SEGMENTD_TEST_REFRESH_SLEEP"), seconds_from("SEGMENTD_TEST_LOAD_PAUSE"));
  segmentd::install_job_hooks(&hooks);
  return segmentd::segmentd_main(argc, argv);
}
