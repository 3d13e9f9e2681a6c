#pragma once
// When the daemon's schedules fire and whether a refresh is overdue. Pure:
// the time is a parameter, so both are unit-tested with made-up times
// (tests/schedule_book_test.cpp); the controller arms one timer from
// wait() and turns what fire() and overdue() return into refreshes, logs
// and alerts.

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config.h"
#include "jobs.h"

namespace segmentd {

class ScheduleBook {
 public:
  using SysTime = std::chrono::system_clock::time_point;

  explicit ScheduleBook(std::vector<NamedSchedule> schedules);

  // How long to sleep until the earliest fire time, at most a minute (the
  // system clock can jump, NTP or a suspend, and a steady timer would not
  // notice); nullopt when no schedule will ever fire.
  std::optional<std::chrono::seconds> wait(SysSeconds now);

  struct Fired {
    const NamedSchedule* schedule;
    SysSeconds due;  // the fire time it was due at
  };
  // Every schedule due at `now`, once each, each moved to its next time
  // after both its due time and now (a jump forward fires once, not once per
  // missed time).
  std::vector<Fired> fire(SysSeconds now);

  const std::vector<NamedSchedule>& schedules() const { return schedules_; }

 private:
  std::vector<NamedSchedule> schedules_;
};

// refresh_overdue: no successful refresh for longer than a schedule's
// deadline. Logged once when it becomes overdue; the alert repeats.
class DeadlineWatch {
 public:
  using SysTime = std::chrono::system_clock::time_point;

  // How often to look: a quarter of the shortest deadline, 1-60 s; nullopt
  // when no schedule has a deadline.
  static std::optional<std::chrono::seconds> period(const std::vector<ScheduleConfig>& schedules);

  struct Overdue {
    std::string schedule;
    unsigned deadline_seconds = 0;
    std::chrono::seconds since_success{};
    bool newly = false;  // it was not overdue at the previous look
  };
  // `last_success`: the newest successful refresh known (by anyone), else
  // the daemon's start.
  std::vector<Overdue> overdue(const std::vector<ScheduleConfig>& schedules, SysTime now, SysTime last_success);

 private:
  std::set<std::string> overdue_;
};

}  // namespace segmentd
