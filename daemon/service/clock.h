#pragma once
// The daemon's two clocks behind one interface: the steady clock for
// intervals (debounce, backoff, stuck jobs) and the system clock for
// calendar times (schedules, deadlines, Unix timestamps). The controller
// reads time only through it; its decisions are made by classes that take
// the time as a parameter (planner.h, leadership.h, database_link.h,
// schedule_book.h), unit-tested with made-up times.

#include <chrono>

namespace segmentd {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
  virtual std::chrono::system_clock::time_point system_now() const = 0;

  // Whole seconds of the system clock (cron works in them).
  std::chrono::sys_seconds system_seconds() const { return std::chrono::floor<std::chrono::seconds>(system_now()); }
  // Unix seconds, for metrics.
  double unix_seconds() const { return std::chrono::duration<double>(system_now().time_since_epoch()).count(); }
};

class RealClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point steady_now() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point system_now() const override { return std::chrono::system_clock::now(); }
};

}  // namespace segmentd
