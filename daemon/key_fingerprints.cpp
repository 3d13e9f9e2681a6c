#include "key_fingerprints.h"

#include <algorithm>
#include <functional>

namespace segmentd {

void KeyFingerprints::append_part(std::string& key, std::string_view value) {
  const auto end = value.find_last_not_of(' ');
  key.append(value.substr(0, end == std::string_view::npos ? 0 : end + 1));
  key += '\x1f';
}

void KeyFingerprints::add(std::string_view key) {
  if (over_limit_) return;
  if (fingerprints_.size() == limit_) {
    over_limit_ = true;
    std::vector<std::uint64_t>().swap(fingerprints_);  // give the memory back now
    return;
  }
  fingerprints_.push_back(std::hash<std::string_view>{}(key));
}

bool KeyFingerprints::all_distinct() {
  if (over_limit_) return false;
  std::sort(fingerprints_.begin(), fingerprints_.end());
  return std::adjacent_find(fingerprints_.begin(), fingerprints_.end()) == fingerprints_.end();
}

}  // namespace segmentd
