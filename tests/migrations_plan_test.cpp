#include <gtest/gtest.h>

#include "errors.h"
#include "migrations.h"
#include "sha256.h"

namespace segmentd {
namespace {

const std::vector<EmbeddedFile> kFiles = {{"migrations/V002__two.sql", "CREATE TABLE b (x INT);"},
                                          {"migrations/V001__one.sql", "CREATE TABLE a (x INT);"},
                                          {"routines/R010__p.sql", "SELECT 1;"}};

TEST(MigrationPlan, OrdersByVersionAndSkipsApplied) {
  auto plan = plan_migrations(kFiles, {});
  ASSERT_EQ(plan.pending.size(), 2u);
  EXPECT_EQ(plan.pending[0].path, "migrations/V001__one.sql");
  EXPECT_EQ(plan.pending[0].description, "one");
  EXPECT_EQ(plan.routines.size(), 1u);
  plan = plan_migrations(kFiles, {{1, Sha256::of("CREATE TABLE a (x INT);")}});
  ASSERT_EQ(plan.pending.size(), 1u);
  EXPECT_EQ(plan.pending[0].version, 2u);
}

TEST(MigrationPlan, ChangedChecksumIsAnError) {
  EXPECT_THROW(plan_migrations(kFiles, {{1, Sha256::of("something else")}}), UserError);
}

TEST(MigrationPlan, UnknownAppliedVersionMeansANewerDatabase) {
  try {
    plan_migrations(kFiles, {{9, "x"}});
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("migration 9"), std::string::npos);
  }
}

TEST(MigrationPlan, MalformedNamesAndRepeatedVersionsAreRefused) {
  EXPECT_THROW(migration_files({{"migrations/create.sql", ""}}), UserError);
  EXPECT_THROW(migration_files({{"migrations/V1__a.sql", ""}, {"migrations/V001__b.sql", ""}}), UserError);
}

TEST(MigrationPlan, EmbeddedFilesAreWellFormed) {
  const auto files = migration_files(embedded_sql_files());
  ASSERT_GE(files.size(), 2u);
  EXPECT_EQ(files.front().version, 1u);
  EXPECT_FALSE(routine_files(embedded_sql_files()).empty());
}

TEST(Sha256, KnownVector) {
  EXPECT_EQ(Sha256::of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace segmentd
