#include "key_fingerprints.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

namespace segmentd {
namespace {

std::string key(std::initializer_list<std::string_view> parts) {
  std::string k;
  for (auto p : parts) KeyFingerprints::append_part(k, p);
  return k;
}

TEST(KeyFingerprints, DistinctKeysAreProvenDistinct) {
  KeyFingerprints f(100);
  for (int i = 0; i < 50; ++i) f.add(key({"order" + std::to_string(i), "1"}));
  EXPECT_TRUE(f.all_distinct());
}

TEST(KeyFingerprints, ARepeatedKeyAnywhereIsNoticed) {
  KeyFingerprints f(100);
  f.add(key({"o1", "1"}));
  for (int i = 0; i < 20; ++i) f.add(key({"x" + std::to_string(i), "1"}));
  f.add(key({"o1", "1"}));
  EXPECT_FALSE(f.all_distinct());
}

TEST(KeyFingerprints, PartsAreSeparatedAndTrailingSpacesIgnoredLikeTheDatabase) {
  EXPECT_NE(key({"ab", "c"}), key({"a", "bc"}));
  EXPECT_EQ(key({"beleza  ", "1"}), key({"beleza", "1"}));
  EXPECT_NE(key({" beleza"}), key({"beleza"}));
  EXPECT_EQ(key({"   "}), key({""}));
}

TEST(KeyFingerprints, PastTheLimitNothingIsProven) {
  KeyFingerprints f(3);
  for (int i = 0; i < 4; ++i) f.add(key({std::to_string(i)}));
  EXPECT_FALSE(f.all_distinct());
  KeyFingerprints g(3);
  for (int i = 0; i < 3; ++i) g.add(key({std::to_string(i)}));
  EXPECT_TRUE(g.all_distinct());
}

TEST(KeyFingerprints, NoKeysAreTriviallyDistinct) {
  KeyFingerprints f(3);
  EXPECT_TRUE(f.all_distinct());
}

}  // namespace
}  // namespace segmentd
