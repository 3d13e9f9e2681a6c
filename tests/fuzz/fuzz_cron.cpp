// libFuzzer target: cron parsing and the next fire time.
//
// Input: one byte choosing a time zone, eight bytes of a start instant, then
// the expression. Oracles: a bad expression is std::invalid_argument and
// nothing else; successive fire times strictly increase; in UTC (no daylight
// saving) every fire time falls on a minute, hour, month and day the fields
// allow.

#include <date/date.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "cron_schedule.h"

namespace {

using namespace std::chrono;
using segmentd::CronFields;
using segmentd::SysSeconds;

constexpr std::array<const char*, 4> kZones = {"UTC", "Europe/Berlin", "America/Sao_Paulo", "Australia/Lord_Howe"};

bool allowed_in_utc(const CronFields& fields, SysSeconds when) {
  const auto day = floor<days>(when);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss clock{when - day};
  const unsigned weekday = date::weekday{day}.c_encoding();
  const bool dom = fields.days_of_month[static_cast<unsigned>(ymd.day())];
  const bool dow = fields.days_of_week[weekday];
  const bool day_ok = (fields.day_of_month_restricted && fields.day_of_week_restricted) ? (dom || dow) : (dom && dow);
  return clock.seconds().count() == 0 && fields.minutes[clock.minutes().count()] &&
         fields.hours[clock.hours().count()] && fields.months[static_cast<unsigned>(ymd.month())] && day_ok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 9) return 0;
  const char* zone = kZones[data[0] % kZones.size()];
  std::int64_t raw = 0;
  std::memcpy(&raw, data + 1, sizeof raw);
  // 1970 to 2100: what a daemon's clock can say.
  const std::int64_t span = 4102444800;
  SysSeconds after{seconds{((raw % span) + span) % span}};
  const std::string expression(reinterpret_cast<const char*>(data + 9), size - 9);

  CronFields fields;
  try {
    fields = segmentd::parse_cron(expression);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  try {
    const segmentd::CronSchedule schedule(expression, zone);
    for (int i = 0; i < 4; ++i) {
      const auto next = schedule.next_after(after);
      if (!next) break;
      if (*next <= after) std::abort();
      if (std::strcmp(zone, "UTC") == 0 && !allowed_in_utc(fields, *next)) std::abort();
      after = *next;
    }
  } catch (const std::invalid_argument&) {
    std::abort();  // parse_cron accepted it: the schedule must too
  }
  return 0;
}
