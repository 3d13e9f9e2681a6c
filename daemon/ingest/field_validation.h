#pragma once
// Checks one CSV field against its column before anything touches a table.

#include <optional>
#include <string>
#include <string_view>

#include "datasets.h"

namespace segmentd {

// Empty (optional) fields become NULL: the CSV cannot tell NULL from ''.
struct FieldCheck {
  bool ok = true;
  bool is_null = false;
  std::string error;  // when !ok: "column: reason"
};

FieldCheck check_field(const ColumnSpec& column, std::string_view value);

// True for well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool valid_utf8(std::string_view s);
std::size_t utf8_length(std::string_view s);
// "YYYY-MM-DD HH:MM:SS" naming a real calendar moment.
bool valid_datetime(std::string_view s);

}  // namespace segmentd
