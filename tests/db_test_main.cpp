// Real-database tests need the private server the ctest fixture starts. Run
// without it, the suite reports SKIPPED (exit 77), never a silent pass.
#include <gtest/gtest.h>

#include <iostream>

#include "test_database.h"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  segmentd::DatabaseConfig config;
  if (!segmentd::test::test_server(config) && !testing::GTEST_FLAG(list_tests)) {
    std::cerr << "SKIPPED: no test database server; set SEGMENTD_TEST_DB_DIR (scripts/test.sh does)\n";
    return 77;
  }
  return RUN_ALL_TESTS();
}
