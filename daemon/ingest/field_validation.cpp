#include "field_validation.h"

#include <charconv>
#include <cstdlib>

namespace segmentd {

bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra = 0;
    unsigned cp = 0;
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    for (int k = 1; k <= extra; ++k) {
      if ((p[k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[k] & 0x3F);
    }
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000)) return false;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += extra + 1;
  }
  return true;
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

namespace {

bool digits(std::string_view s, std::size_t from, std::size_t count, int& out) {
  out = 0;
  for (std::size_t i = from; i < from + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

bool valid_decimal(std::string_view s, unsigned precision, unsigned scale) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  std::size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    ++i;
    ++int_digits;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      ++i;
      ++frac_digits;
    }
    if (frac_digits == 0) return false;
  }
  return i == s.size() && int_digits > 0 && frac_digits <= scale && int_digits <= precision - scale;
}

}  // namespace

bool valid_datetime(std::string_view s) {
  if (s.size() != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':') return false;
  int y, mo, d, h, mi, se;
  if (!digits(s, 0, 4, y) || !digits(s, 5, 2, mo) || !digits(s, 8, 2, d) || !digits(s, 11, 2, h) ||
      !digits(s, 14, 2, mi) || !digits(s, 17, 2, se)) {
    return false;
  }
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59) return false;
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const int month_days = days[mo - 1] + (mo == 2 && leap ? 1 : 0);
  return d <= month_days;
}

FieldCheck check_field(const ColumnSpec& column, std::string_view value) {
  FieldCheck r;
  auto fail = [&](const std::string& why) {
    r.ok = false;
    r.error = std::string(column.header) + ": " + why;
    return r;
  };
  if (value.find('\0') != std::string_view::npos) return fail("contains a NUL byte");
  if (value.empty()) {
    if (!column.nullable) return fail("is required but empty");
    r.is_null = true;
    return r;
  }
  switch (column.type) {
    case ColumnType::Id:
      for (unsigned char c : value) {
        if (c < 0x21 || c > 0x7E) return fail("identifier has a character that is not printable ASCII");
      }
      if (value.size() > column.size) {
        return fail("is " + std::to_string(value.size()) + " characters, longer than " + std::to_string(column.size));
      }
      break;
    case ColumnType::Text:
      if (!valid_utf8(value)) return fail("is not valid UTF-8");
      if (utf8_length(value) > column.size) {
        return fail("is " + std::to_string(utf8_length(value)) + " characters, longer than " +
                    std::to_string(column.size));
      }
      break;
    case ColumnType::UInt: {
      unsigned long long v = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec == std::errc::result_out_of_range ||
          (ec == std::errc() && ptr == value.data() + value.size() && v > column.max)) {
        return fail("\"" + std::string(value) + "\" is out of range (0.." + std::to_string(column.max) + ")");
      }
      if (ec != std::errc() || ptr != value.data() + value.size()) {
        return fail("\"" + std::string(value.substr(0, 40)) + "\" is not a whole number");
      }
      break;
    }
    case ColumnType::Decimal:
      if (!valid_decimal(value, column.size, 2)) {
        return fail("\"" + std::string(value.substr(0, 40)) + "\" is not a decimal with at most " +
                    std::to_string(column.size - 2) + " digits before and 2 after the point");
      }
      break;
    case ColumnType::DateTime:
      if (!valid_datetime(value)) {
        return fail("\"" + std::string(value.substr(0, 40)) + "\" is not a valid YYYY-MM-DD HH:MM:SS timestamp");
      }
      break;
    case ColumnType::Double: {
      double v = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || ptr != value.data() + value.size()) {
        return fail("\"" + std::string(value.substr(0, 40)) + "\" is not a number");
      }
      break;
    }
  }
  return r;
}

}  // namespace segmentd
