#include "bulk_load.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace segmentd
