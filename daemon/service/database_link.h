#pragma once
// The worker's database session as the daemon sees it: connected or not,
// the outage in progress (since when, its name in alerts, the reconnect
// attempts) and the delay before the next attempt. Pure: the times are
// parameters and the jitter comes from the caller's generator, so it is
// unit-tested with made-up times (tests/database_link_test.cpp).

#include <chrono>
#include <optional>
#include <random>
#include <string>

namespace segmentd {

class DatabaseLink {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  // The session was lost, or a connect failed.
  struct Lost {
    bool outage_began = false;   // the first failure of this outage (log it, alert)
    bool was_connected = false;  // a working session was lost (not a failed connect)
    // How long the outage has lasted, when it had already begun.
    std::optional<std::chrono::seconds> outage_so_far;
    std::chrono::milliseconds retry_in{};  // backoff before the next attempt
    unsigned attempt = 0;                  // the next attempt's number (1-based)
  };
  // A connect succeeded.
  struct Connected {
    bool first_ever = false;  // the daemon's first session (it becomes ready)
    // When it ended an outage: how long it lasted and the attempts it took.
    std::optional<std::chrono::seconds> outage;
    unsigned attempts = 0;
  };

  DatabaseLink(std::chrono::seconds reconnect_initial, std::chrono::seconds reconnect_max);

  Lost lost(SteadyTime now, std::chrono::system_clock::time_point wall_now, std::mt19937& rng);
  Connected connected(SteadyTime now);
  // A reload that changes the database: the session is closed on purpose;
  // the next connect is not a recovery.
  void disconnected() { connected_ = false; }
  // A reload's new backoff, from the next failure on.
  void set_backoff(std::chrono::seconds initial, std::chrono::seconds max);

  bool is_connected() const { return connected_; }
  bool ever_connected() const { return ever_connected_; }
  bool in_outage() const { return outage_started_.has_value(); }
  // Names the outage in its alerts (so a receiver groups them).
  const std::string& outage_subject() const { return outage_subject_; }

 private:
  std::chrono::seconds initial_, max_;
  bool connected_ = false, ever_connected_ = false;
  std::optional<SteadyTime> outage_started_;
  std::string outage_subject_;
  unsigned attempt_ = 0;
};

}  // namespace segmentd
