#include "schedule_book.h"

#include <algorithm>

namespace segmentd {

ScheduleBook::ScheduleBook(std::vector<NamedSchedule> schedules) : schedules_(std::move(schedules)) {}

std::optional<std::chrono::seconds> ScheduleBook::wait(SysSeconds now) {
  std::optional<SysSeconds> earliest;
  for (auto& s : schedules_) {
    if (!s.next) s.next = s.cron.next_after(now);
    if (s.next && (!earliest || *s.next < *earliest)) earliest = s.next;
  }
  if (!earliest) return std::nullopt;
  return std::clamp<std::chrono::seconds>(*earliest - now, std::chrono::seconds(0), std::chrono::seconds(60));
}

std::vector<ScheduleBook::Fired> ScheduleBook::fire(SysSeconds now) {
  std::vector<Fired> out;
  for (auto& s : schedules_) {
    if (s.next && *s.next <= now) {
      out.push_back({&s, *s.next});
      s.next = s.cron.next_after(std::max(*s.next, now));
    }
  }
  return out;
}

std::optional<std::chrono::seconds> DeadlineWatch::period(const std::vector<ScheduleConfig>& schedules) {
  unsigned shortest = 0;
  for (const auto& s : schedules) {
    if (s.deadline_seconds > 0 && (shortest == 0 || s.deadline_seconds < shortest)) shortest = s.deadline_seconds;
  }
  if (shortest == 0) return std::nullopt;
  // Often enough that a short deadline is noticed soon after it passes.
  return std::chrono::seconds(std::clamp(shortest / 4, 1u, 60u));
}

std::vector<DeadlineWatch::Overdue> DeadlineWatch::overdue(const std::vector<ScheduleConfig>& schedules, SysTime now,
                                                           SysTime last_success) {
  std::vector<Overdue> out;
  const auto quiet = std::chrono::duration_cast<std::chrono::seconds>(now - last_success);
  for (const auto& s : schedules) {
    if (s.deadline_seconds == 0 || quiet < std::chrono::seconds(s.deadline_seconds)) {
      overdue_.erase(s.name);
      continue;
    }
    const bool newly = overdue_.insert(s.name).second;
    out.push_back({s.name, s.deadline_seconds, quiet, newly});
  }
  return out;
}

}  // namespace segmentd
