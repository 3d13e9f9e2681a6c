// Reading a feed's values (feed_values.h).
#include "feed_values.h"

#include <sstream>

// date::from_stream's seconds field trips GCC 12's -Wmaybe-uninitialized
// when inlined here (a false positive inside the library's own header).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "date/date.h"
#include "date/tz.h"
#include "sha256.h"

namespace segmentd {

std::string trimmed(std::string_view t) {
  const auto is_space = [&](std::size_t i) { return t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n'; };
  while (!t.empty()) {
    if (is_space(0)) {
      t.remove_prefix(1);
    } else if (t.size() >= 2 && static_cast<unsigned char>(t[0]) == 0xC2 && static_cast<unsigned char>(t[1]) == 0xA0) {
      t.remove_prefix(2);
    } else {
      break;
    }
  }
  while (!t.empty()) {
    if (is_space(t.size() - 1)) {
      t.remove_suffix(1);
    } else if (t.size() >= 2 && static_cast<unsigned char>(t[t.size() - 2]) == 0xC2 &&
               static_cast<unsigned char>(t[t.size() - 1]) == 0xA0) {
      t.remove_suffix(2);
    } else {
      break;
    }
  }
  return std::string(t);
}

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::optional<Money> parse_money(std::string_view text, bool decimal_comma, std::string& error) {
  const char decimal = decimal_comma ? ',' : '.';
  const char group = decimal_comma ? '.' : ',';
  bool negative = false, seen_digit = false, seen_decimal = false, in_parens = false;
  Money whole = 0, fraction = 0;
  int fraction_digits = 0;
  bool number_ended = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (c >= '0' && c <= '9') {
      if (number_ended) {
        error = "amount '" + std::string(text) + "' is not a number";
        return std::nullopt;
      }
      seen_digit = true;
      if (seen_decimal) {
        if (++fraction_digits > 4) {
          error = "amount '" + std::string(text) + "' has more than 4 decimals";
          return std::nullopt;
        }
        fraction = fraction * 10 + (c - '0');
      } else {
        if (whole > (INT64_MAX / kMoneyScale) / 10) {
          error = "amount '" + std::string(text) + "' is too large";
          return std::nullopt;
        }
        whole = whole * 10 + (c - '0');
      }
    } else if (c == decimal && seen_digit && !seen_decimal && !number_ended) {
      seen_decimal = true;
    } else if (c == decimal && !seen_digit && !seen_decimal) {
      seen_decimal = true;  // ".5"
    } else if (c == group && seen_digit && !seen_decimal && !number_ended) {
      // a thousands separator
    } else if (c == '-' && !seen_digit && !negative) {
      negative = true;
    } else if (c == '(' && !seen_digit && !in_parens) {
      in_parens = negative = true;
    } else if (c == ')' && in_parens && seen_digit) {
      number_ended = true;
    } else if (c == ' ' || c == '\'' || c == '+' || u >= 0x80 || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
               c == '$') {
      // Spaces, currency signs and codes (and decimal_comma's space groups).
      if (seen_digit && c != ' ' && c != '\'' && u < 0x80) number_ended = true;
    } else {
      error = "amount '" + std::string(text) + "' is not a number";
      return std::nullopt;
    }
  }
  if (!seen_digit) {
    error = text.empty() ? "amount is empty" : "amount '" + std::string(text) + "' is not a number";
    return std::nullopt;
  }
  for (int d = fraction_digits; d < 4; ++d) fraction *= 10;
  const Money m = whole * kMoneyScale + fraction;
  return negative ? -m : m;
}

std::string money_text(Money m) {
  const bool negative = m < 0;
  const std::uint64_t a = negative ? static_cast<std::uint64_t>(-(m + 1)) + 1 : static_cast<std::uint64_t>(m);
  std::string frac = std::to_string(a % kMoneyScale);
  frac.insert(0, 4 - frac.size(), '0');
  return (negative ? "-" : "") + std::to_string(a / kMoneyScale) + "." + frac;
}

std::optional<std::chrono::minutes> zone_abbreviation_offset(std::string_view abbreviation) {
  struct Entry {
    const char* name;
    int minutes;
  };
  static constexpr Entry kZones[] = {
      {"UTC", 0},    {"GMT", 0},    {"Z", 0},      {"PST", -480}, {"PDT", -420},  {"MST", -420},  {"MDT", -360},
      {"CST", -360}, {"CDT", -300}, {"EST", -300}, {"EDT", -240}, {"AKST", -540}, {"AKDT", -480}, {"HST", -600},
      {"BST", 60},   {"WET", 0},    {"WEST", 60},  {"CET", 60},   {"CEST", 120},  {"EET", 120},   {"EEST", 180},
      {"MSK", 180},  {"IST", 330},  {"JST", 540},  {"AEST", 600}, {"AEDT", 660},  {"ACST", 570},  {"AWST", 480},
      {"NZST", 720}, {"NZDT", 780}, {"BRT", -180}, {"SGT", 480}};
  const std::string upper = [&] {
    std::string u(abbreviation);
    for (char& c : u) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return u;
  }();
  for (const auto& e : kZones) {
    if (upper == e.name) return std::chrono::minutes(e.minutes);
  }
  return std::nullopt;
}

std::optional<std::chrono::sys_seconds> parse_feed_time(std::string_view text, const std::vector<std::string>& formats,
                                                        const std::string& zone, std::string& error) {
  using namespace std::chrono;
  const std::string value = trimmed(text);
  if (value.empty()) {
    error = "date is empty";
    return std::nullopt;
  }
  for (const auto& format : formats) {
    std::istringstream in(value);
    in.imbue(std::locale::classic());
    date::local_seconds local{};
    minutes offset{minutes::min()};
    in >> date::parse(format, local, offset);
    if (in.fail()) continue;
    in >> std::ws;
    if (!in.eof()) continue;  // something left over: not this format
    if (offset != minutes::min()) return sys_seconds{local.time_since_epoch()} - offset;
    if (const auto fixed = zone_abbreviation_offset(zone)) return sys_seconds{local.time_since_epoch()} - *fixed;
    try {
      const auto* tz = date::locate_zone(zone);
      const auto info = tz->get_info(local);
      // A time the clocks skipped (spring forward) is read as after the
      // change; one they passed twice (fall back), as the first.
      const auto& offset_info = info.result == date::local_info::nonexistent ? info.second : info.first;
      return sys_seconds{local.time_since_epoch()} - offset_info.offset;
    } catch (const std::exception&) {
      error = "time zone '" + zone + "' is not known";
      return std::nullopt;
    }
  }
  error = "date '" + value + "' does not match " + (formats.size() == 1 ? "the date format " : "any date format ");
  for (std::size_t i = 0; i < formats.size(); ++i) error += (i ? " or '" : "'") + formats[i] + "'";
  return std::nullopt;
}

std::string utc_text(std::chrono::sys_seconds t) {
  return date::format("%Y-%m-%d %H:%M:%S", t);
}

std::optional<bool> parse_flag(std::string_view text) {
  const std::string v = lower_ascii(trimmed(text));
  if (v == "yes" || v == "true" || v == "1" || v == "y" || v == "subscribed" || v == "opt-in") return true;
  if (v == "no" || v == "false" || v == "0" || v == "n" || v == "unsubscribed" || v == "opt-out") return false;
  return std::nullopt;
}

std::string canonical_id(std::string_view key) {
  bool fits = !key.empty() && key.size() <= 32 && key[0] != '~';
  for (char c : key) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F) fits = false;
  }
  if (fits) return std::string(key);
  Sha256 sha;
  sha.update(key);
  return "~" + sha.hex_digest().substr(0, 31);
}

}  // namespace segmentd
