#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace segmentd {

// Proves cheaply that no key repeats within a file, so the file can be
// loaded straight into its keyed table instead of through a staging table
// (where duplicates are found and reported by a GROUP BY).
//
// Keeps one 64-bit fingerprint per key (8 bytes a row, up to `limit` keys).
// Two equal fingerprints mean "maybe a repeat": the caller then takes the
// staging path, which decides exactly. So a hash collision costs speed,
// never correctness.
class KeyFingerprints {
 public:
  explicit KeyFingerprints(std::size_t limit) : limit_(limit) {}

  // Appends one key column's value to `key` the way the database compares
  // it: the tables use PAD SPACE collations, so trailing spaces do not
  // count. Parts are separated so ("ab","c") and ("a","bc") differ.
  static void append_part(std::string& key, std::string_view value);

  void add(std::string_view key);

  // True only when every key added was distinct and none was dropped for
  // the limit. Sorts the fingerprints; call once, after the last add.
  bool all_distinct();

 private:
  std::size_t limit_;
  bool over_limit_ = false;
  std::vector<std::uint64_t> fingerprints_;
};

}  // namespace segmentd
