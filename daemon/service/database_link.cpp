#include "database_link.h"

#include "planner.h"

namespace segmentd {

DatabaseLink::DatabaseLink(std::chrono::seconds reconnect_initial, std::chrono::seconds reconnect_max)
    : initial_(reconnect_initial), max_(reconnect_max) {}

void DatabaseLink::set_backoff(std::chrono::seconds initial, std::chrono::seconds max) {
  initial_ = initial;
  max_ = max;
}

DatabaseLink::Lost DatabaseLink::lost(SteadyTime now, std::chrono::system_clock::time_point wall_now,
                                      std::mt19937& rng) {
  Lost out;
  out.was_connected = connected_;
  connected_ = false;
  if (outage_started_) {
    out.outage_so_far = std::chrono::duration_cast<std::chrono::seconds>(now - *outage_started_);
  } else {
    out.outage_began = true;
    outage_started_ = now;
    outage_subject_ =
        "outage since " +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(wall_now.time_since_epoch()).count());
  }
  out.retry_in = backoff_delay(attempt_, initial_, max_, rng);
  out.attempt = ++attempt_;
  return out;
}

DatabaseLink::Connected DatabaseLink::connected(SteadyTime now) {
  Connected out;
  out.first_ever = !ever_connected_;
  ever_connected_ = true;
  connected_ = true;
  if (outage_started_) out.outage = std::chrono::duration_cast<std::chrono::seconds>(now - *outage_started_);
  out.attempts = attempt_;
  outage_started_.reset();
  attempt_ = 0;
  return out;
}

}  // namespace segmentd
