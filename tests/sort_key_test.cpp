#include "sort_key.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>

namespace segmentd {
namespace {

std::string key(std::initializer_list<std::pair<ColumnType, std::string_view>> parts) {
  std::string k;
  for (const auto& [type, value] : parts) append_sort_key_part(k, type, value);
  return k;
}

TEST(SortKey, PartsAreSeparatedAndTrailingSpacesIgnoredLikeTheDatabase) {
  EXPECT_NE(key({{ColumnType::Id, "ab"}, {ColumnType::Id, "c"}}), key({{ColumnType::Id, "a"}, {ColumnType::Id, "bc"}}));
  EXPECT_EQ(key({{ColumnType::Text, "beleza  "}}), key({{ColumnType::Text, "beleza"}}));
  EXPECT_NE(key({{ColumnType::Text, " beleza"}}), key({{ColumnType::Text, "beleza"}}));
  EXPECT_EQ(key({{ColumnType::Id, "   "}}), key({{ColumnType::Id, ""}}));
}

TEST(SortKey, NumbersCompareByValue) {
  EXPECT_EQ(key({{ColumnType::Id, "o1"}, {ColumnType::UInt, "01"}}),
            key({{ColumnType::Id, "o1"}, {ColumnType::UInt, "1"}}));
  EXPECT_LT(key({{ColumnType::Id, "o1"}, {ColumnType::UInt, "9"}}),
            key({{ColumnType::Id, "o1"}, {ColumnType::UInt, "10"}}));
  EXPECT_LT(key({{ColumnType::Id, "o1"}, {ColumnType::UInt, "4294967295"}}),
            key({{ColumnType::Id, "o2"}, {ColumnType::UInt, "0"}}));
}

TEST(SortKey, TextOrdersByBytesWithAShorterPrefixFirst) {
  EXPECT_LT(key({{ColumnType::Id, "a"}}), key({{ColumnType::Id, "ab"}}));
  EXPECT_LT(key({{ColumnType::Id, "a"}, {ColumnType::Id, "z"}}), key({{ColumnType::Id, "ab"}, {ColumnType::Id, "a"}}));
  EXPECT_LT(key({{ColumnType::Id, "B"}}), key({{ColumnType::Id, "a"}}));
}

}  // namespace
}  // namespace segmentd
