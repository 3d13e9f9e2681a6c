#include "bulk_load.h"

#include <gtest/gtest.h>

#include "write_set.h"

namespace segmentd {
namespace {

TEST(BulkLoad, OnlyMariaDbReleasesWithTheLoadFixBuildIndexesInBulk) {
  EXPECT_TRUE(bulk_loads_empty_tables("10.11.19-MariaDB-0+deb12u1"));
  EXPECT_TRUE(bulk_loads_empty_tables("10.11.11-MariaDB"));
  EXPECT_FALSE(bulk_loads_empty_tables("10.11.10-MariaDB-log"));
  EXPECT_FALSE(bulk_loads_empty_tables("10.6.21-MariaDB"));
  EXPECT_TRUE(bulk_loads_empty_tables("11.4.5-MariaDB"));
  EXPECT_FALSE(bulk_loads_empty_tables("11.4.4-MariaDB"));
  EXPECT_FALSE(bulk_loads_empty_tables("11.6.2-MariaDB"));
  EXPECT_TRUE(bulk_loads_empty_tables("11.7.2-MariaDB"));
  EXPECT_TRUE(bulk_loads_empty_tables("12.0.1-MariaDB"));
}

TEST(BulkLoad, MySqlAndUnreadableVersionsLoadRowByRow) {
  EXPECT_FALSE(bulk_loads_empty_tables("8.0.36"));
  EXPECT_FALSE(bulk_loads_empty_tables("8.4.3-0ubuntu0.24.04.1"));
  EXPECT_FALSE(bulk_loads_empty_tables("5.5.5-10.11.19-MariaDB"));  // the old replication prefix: 5.5.5
  EXPECT_FALSE(bulk_loads_empty_tables("MariaDB"));
  EXPECT_FALSE(bulk_loads_empty_tables(""));
}

// Streaming replication on Galera (write_set.h): fragments well within
// the node's write-set limits, none off Galera.
TEST(WriteSet, FragmentsStayWithinTheNodesLimits) {
  EXPECT_FALSE(streaming_fragment({false, 0, 2147483647}));
  const auto defaults = streaming_fragment({true, 0, 2147483647});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->unit, "bytes");
  EXPECT_EQ(defaults->size, 16u << 20);
  const auto small = streaming_fragment({true, 0, 8u << 20});
  ASSERT_TRUE(small);
  EXPECT_EQ(small->size, 2u << 20);
  const auto rows = streaming_fragment({true, 10000, 2147483647});
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->unit, "rows");
  EXPECT_EQ(rows->size, 5000u);
  EXPECT_EQ(streaming_fragment({true, 1, 0})->size, 1u);
}

}  // namespace
}  // namespace segmentd
