#include "cron_schedule.h"

#include <date/date.h>
#include <date/tz.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace segmentd {
namespace {

struct FieldSpec {
  const char* name;
  int min;
  int max;
  const char* const* names;  // three-letter names, index 0 = value `min` (or null)
};

constexpr std::array<const char*, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                     "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<const char*, 7> kDayNames = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

const FieldSpec kMinute{"minute", 0, 59, nullptr};
const FieldSpec kHour{"hour", 0, 23, nullptr};
const FieldSpec kDayOfMonth{"day-of-month", 1, 31, nullptr};
const FieldSpec kMonth{"month", 1, 12, kMonthNames.data()};
// 7 is Sunday too, as in every cron.
const FieldSpec kDayOfWeek{"day-of-week", 0, 7, kDayNames.data()};

[[noreturn]] void bad(const FieldSpec& f, const std::string& text, const std::string& reason) {
  throw std::invalid_argument(std::string(f.name) + " field \"" + text + "\": " + reason);
}

int parse_value(const FieldSpec& f, const std::string& field, const std::string& token) {
  if (f.names != nullptr && token.size() == 3) {
    const int count = f.max == 12 ? 12 : 7;
    for (int i = 0; i < count; ++i) {
      std::string lower = token;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == f.names[i]) return f.min == 1 ? i + 1 : i;
    }
  }
  int value = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (token.empty() || ec != std::errc() || end != token.data() + token.size()) {
    bad(f, field, "\"" + token + "\" is not a number" + (f.names ? " or name" : ""));
  }
  if (value < f.min || value > f.max) {
    bad(f, field, std::to_string(value) + " is outside " + std::to_string(f.min) + "-" + std::to_string(f.max));
  }
  return value;
}

// Returns the set bits over [0, 60) indexed by value.
std::bitset<60> parse_field(const FieldSpec& f, const std::string& field) {
  if (field.empty()) bad(f, field, "empty");
  std::bitset<60> bits;
  std::stringstream items(field);
  std::string item;
  while (std::getline(items, item, ',')) {
    if (item.empty()) bad(f, field, "empty list element");
    int step = 1;
    std::string range = item;
    if (const auto slash = item.find('/'); slash != std::string::npos) {
      range = item.substr(0, slash);
      const std::string step_text = item.substr(slash + 1);
      const auto [end, ec] = std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (step_text.empty() || ec != std::errc() || end != step_text.data() + step_text.size() || step < 1) {
        bad(f, field, "step \"" + step_text + "\" is not a positive number");
      }
      // A step longer than the field's whole range would only ever fire
      // at its first value, and one near INT_MAX would overflow the walk.
      const int span = f.max - f.min + 1;
      if (step > span) bad(f, field, "step " + step_text + " is outside 1-" + std::to_string(span));
    }
    int first = f.min;
    int last = f.max;
    if (range == "*") {
      // whole range
    } else if (const auto dash = range.find('-'); dash != std::string::npos) {
      first = parse_value(f, field, range.substr(0, dash));
      last = parse_value(f, field, range.substr(dash + 1));
      if (first > last) bad(f, field, "range " + range + " runs backwards");
    } else {
      first = parse_value(f, field, range);
      // "5/15" means 5-max/15; a bare value without a step is just itself.
      last = item.find('/') == std::string::npos ? first : f.max;
    }
    for (int v = first; v <= last; v += step) {
      bits.set(static_cast<std::size_t>(v));
      if (step > last - v) break;  // the next value is past the range (and v + step cannot overflow)
    }
  }
  return bits;
}

template <std::size_t N>
std::bitset<N> narrow(const std::bitset<60>& bits) {
  std::bitset<N> out;
  for (std::size_t i = 0; i < N; ++i) out[i] = bits[i];
  return out;
}

std::string expand_macro(const std::string& expression) {
  if (expression == "@hourly") return "0 * * * *";
  if (expression == "@daily" || expression == "@midnight") return "0 0 * * *";
  if (expression == "@weekly") return "0 0 * * 0";
  if (expression == "@monthly") return "0 0 1 * *";
  if (expression == "@yearly" || expression == "@annually") return "0 0 1 1 *";
  throw std::invalid_argument("unknown macro \"" + expression +
                              "\" (use @hourly, @daily, @weekly, @monthly or @yearly)");
}

bool day_matches(const CronFields& f, date::year_month_day ymd) {
  if (!f.months[static_cast<unsigned>(ymd.month())]) return false;
  const bool dom = f.days_of_month[static_cast<unsigned>(ymd.day())];
  const bool dow = f.days_of_week[date::weekday(ymd).c_encoding()];
  if (f.day_of_month_restricted && f.day_of_week_restricted) return dom || dow;
  return dom && dow;
}

}  // namespace

CronFields parse_cron(const std::string& expression) {
  std::string text = expression;
  if (!text.empty() && text.front() == '@') text = expand_macro(text);
  std::stringstream in(text);
  std::vector<std::string> fields;
  for (std::string field; in >> field;) fields.push_back(field);
  if (fields.size() != 5) {
    throw std::invalid_argument("expected 5 fields (minute hour day-of-month month day-of-week), got " +
                                std::to_string(fields.size()));
  }
  CronFields out;
  out.minutes = parse_field(kMinute, fields[0]);
  out.hours = narrow<24>(parse_field(kHour, fields[1]));
  out.days_of_month = narrow<32>(parse_field(kDayOfMonth, fields[2]));
  out.months = narrow<13>(parse_field(kMonth, fields[3]));
  auto dow = parse_field(kDayOfWeek, fields[4]);
  if (dow[7]) dow.set(0);
  out.days_of_week = narrow<7>(dow);
  out.day_of_month_restricted = fields[2].front() != '*';
  out.day_of_week_restricted = fields[4].front() != '*';
  return out;
}

CronSchedule::CronSchedule(const std::string& expression, const std::string& time_zone)
    : expression_(expression), zone_name_(time_zone), fields_(parse_cron(expression)) {
  try {
    zone_ = date::locate_zone(time_zone);
  } catch (const std::exception&) {
    throw std::invalid_argument("unknown time zone \"" + time_zone + "\"");
  }
}

std::optional<SysSeconds> CronSchedule::next_after(SysSeconds after) const {
  using namespace std::chrono;
  // Walk local calendar days from the local date of `after` (one day back,
  // so a gap or overlap around midnight is not missed); resolve each matching
  // local minute to an instant and keep the first that lies after `after`.
  const auto local_after = zone_->to_local(after);
  auto day = floor<days>(local_after) - days{1};
  // Eight years covers every satisfiable combination (Feb 29 on a weekday).
  const auto last_day = day + days{366 * 8 + 2};
  for (; day <= last_day; day += days{1}) {
    const date::year_month_day ymd{day};
    if (!day_matches(fields_, ymd)) continue;
    for (unsigned h = 0; h < 24; ++h) {
      if (!fields_.hours[h]) continue;
      for (unsigned m = 0; m < 60; ++m) {
        if (!fields_.minutes[m]) continue;
        const date::local_seconds local = day + hours{h} + minutes{m};
        if (local + days{1} < local_after) continue;
        const auto info = zone_->get_info(local);
        SysSeconds instant{};
        switch (info.result) {
          case date::local_info::unique:
            instant = SysSeconds{local.time_since_epoch() - info.first.offset};
            break;
          case date::local_info::nonexistent:
            // Skipped by spring-forward: the first valid instant after the jump.
            instant = info.second.begin;
            break;
          case date::local_info::ambiguous:
          default:
            // Repeated by fall-back: only the first occurrence.
            instant = SysSeconds{local.time_since_epoch() - info.first.offset};
            break;
        }
        if (instant > after) return instant;
      }
    }
  }
  return std::nullopt;
}

std::chrono::seconds CronSchedule::offset_at(SysSeconds when) const {
  return zone_->get_info(when).offset;
}

std::string format_local_iso(SysSeconds when, std::chrono::seconds offset) {
  const auto local = date::local_seconds{(when + offset).time_since_epoch()};
  const long total = static_cast<long>(offset.count());
  const long magnitude = total < 0 ? -total : total;
  char zone[32];
  std::snprintf(zone, sizeof zone, "%c%02ld:%02ld", total < 0 ? '-' : '+', magnitude / 3600 % 100,
                (magnitude % 3600) / 60);
  return date::format("%Y-%m-%dT%H:%M:%S", local) + zone;
}

SysSeconds parse_iso_instant(const std::string& text) {
  // Strict fixed layout: YYYY-MM-DDTHH:MM[:SS] then Z or ±HH:MM.
  static const std::regex layout(R"((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(Z|z|([+-])(\d{2}):(\d{2})))");
  std::smatch m;
  if (!std::regex_match(text, m, layout)) {
    throw std::invalid_argument("\"" + text + "\" is not YYYY-MM-DDTHH:MM[:SS] followed by Z or ±HH:MM");
  }
  auto num = [&](int i) { return m[i].matched ? std::stoi(m[i].str()) : 0; };
  const date::year_month_day ymd{date::year{num(1)}, date::month{static_cast<unsigned>(num(2))},
                                 date::day{static_cast<unsigned>(num(3))}};
  if (!ymd.ok() || num(4) > 23 || num(5) > 59 || num(6) > 59) {
    throw std::invalid_argument("\"" + text + "\" is not a valid date and time");
  }
  std::chrono::seconds offset{0};
  if (m[8].matched) offset = std::chrono::seconds{(num(9) * 3600 + num(10) * 60) * (m[8].str() == "-" ? -1 : 1)};
  const auto local =
      date::sys_days{ymd} + std::chrono::hours{num(4)} + std::chrono::minutes{num(5)} + std::chrono::seconds{num(6)};
  return SysSeconds{local - offset};
}

}  // namespace segmentd
