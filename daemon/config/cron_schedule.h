#pragma once
// Cron schedules: the standard five fields (lists, ranges, steps, month and
// weekday names; day-of-month and day-of-week OR-ed when both are restricted,
// as Vixie cron does), the @hourly…@yearly macros, and an IANA time zone.
//
// Daylight saving follows the rule cronie documents: a local time skipped by
// a spring-forward fires once, at the first valid instant after the jump; a
// local time that occurs twice (fall-back) fires once, at its first occurrence.

#include <bitset>
#include <chrono>
#include <optional>
#include <string>

namespace date {
class time_zone;
}

namespace segmentd {

using SysSeconds = std::chrono::sys_seconds;

struct CronFields {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days_of_month;  // 1..31
  std::bitset<13> months;         // 1..12
  std::bitset<7> days_of_week;    // 0 = Sunday (7 is folded into 0)
  // Vixie cron: a field is "restricted" unless it starts with '*'. Only when
  // both day fields are restricted is a day matched by either of them.
  bool day_of_month_restricted = false;
  bool day_of_week_restricted = false;
};

// Parses "m h dom mon dow" or a macro. Throws std::invalid_argument whose
// message names the field and the reason.
CronFields parse_cron(const std::string& expression);

class CronSchedule {
 public:
  // Throws std::invalid_argument for a bad expression or an unknown zone.
  CronSchedule(const std::string& expression, const std::string& time_zone);

  // The first fire time strictly after `after`; nullopt when the expression
  // can never match (e.g. "0 0 30 2 *").
  std::optional<SysSeconds> next_after(SysSeconds after) const;

  // The UTC offset in force at `when` in this schedule's zone, in seconds.
  std::chrono::seconds offset_at(SysSeconds when) const;
  const std::string& time_zone_name() const { return zone_name_; }
  const std::string& expression() const { return expression_; }

 private:
  std::string expression_;
  std::string zone_name_;
  CronFields fields_;
  const date::time_zone* zone_;
};

// "YYYY-MM-DDTHH:MM:SS±HH:MM" in the given offset.
std::string format_local_iso(SysSeconds when, std::chrono::seconds offset);

// Parses "YYYY-MM-DDTHH:MM[:SS]" followed by "Z" or "±HH:MM" (required).
// Throws std::invalid_argument.
SysSeconds parse_iso_instant(const std::string& text);

}  // namespace segmentd
