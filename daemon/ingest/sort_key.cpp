#include "sort_key.h"

#include <charconv>
#include <cstdint>

namespace segmentd {

void append_sort_key_part(std::string& key, ColumnType type, std::string_view value) {
  if (type == ColumnType::UInt) {
    std::uint64_t n = 0;
    std::from_chars(value.data(), value.data() + value.size(), n);
    for (int shift = 56; shift >= 0; shift -= 8) key += static_cast<char>((n >> shift) & 0xff);
    return;
  }
  const auto end = value.find_last_not_of(' ');
  key.append(value.substr(0, end == std::string_view::npos ? 0 : end + 1));
  key += '\0';
}

}  // namespace segmentd
