// The segmentd binary itself: exit statuses, messages and output formats.

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>

#include "run_command.h"
#include "test_database.h"

namespace segmentd::test {
namespace {

TEST(Cli, MigrateRefreshHistoryEndToEnd) {
  TestDatabase t;
  const auto config = t.write_config();
  const std::string c = "--config '" + config.string() + "' ";

  CommandResult dry = run(c + "migrate --dry-run");
  EXPECT_EQ(dry.status, 0) << dry.output;
  EXPECT_NE(dry.output.find("would apply migrations/V001__canonical_tables.sql"), std::string::npos) << dry.output;

  CommandResult m = run(c + "migrate");
  EXPECT_EQ(m.status, 0) << m.output;
  EXPECT_NE(m.output.find("migrate.finished migrations="), std::string::npos) << m.output;
  EXPECT_NE(run(c + "migrate").output.find("no migrations pending"), std::string::npos);

  t.db().execute("INSERT INTO customers (customer_id, customer_unique_id) VALUES ('c1','u1'), ('c2','u2')");
  t.db().execute(
      "INSERT INTO orders (order_id, customer_id, order_status, order_purchase_timestamp) VALUES "
      "('o1','c1','delivered','2018-01-01 10:00:00'), ('o2','c2','shipped','2018-02-01 10:00:00')");
  CommandResult r = run(c + "refresh");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("refresh.finished run_id=1 status=succeeded customers=2"), std::string::npos) << r.output;

  CommandResult h = run(c + "history");
  EXPECT_EQ(h.status, 0) << h.output;
  EXPECT_NE(h.output.find("RUN  KIND     TRIGGER  STATUS"), std::string::npos) << h.output;
  EXPECT_NE(h.output.find("1    refresh  cli      succeeded"), std::string::npos) << h.output;

  CommandResult j = run(c + "history --json --status succeeded");
  EXPECT_EQ(j.status, 0);
  EXPECT_NE(j.output.find("\"customers_segmented\": 2"), std::string::npos) << j.output;
  EXPECT_NE(j.output.find("\"trigger\": \"cli\""), std::string::npos) << j.output;

  EXPECT_EQ(run(c + "history --status failed").output.find("succeeded"), std::string::npos);
  EXPECT_EQ(run(c + "history --run 99").status, 1);
}

TEST(Cli, RefreshBeforeMigrateSaysWhatToDo) {
  TestDatabase t;
  CommandResult r = run("--config '" + t.write_config().string() + "' refresh");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("run segmentd migrate"), std::string::npos) << r.output;
}

TEST(Cli, ConfigErrorsNameFileLineColumnAndKey) {
  TestDatabase t;
  const auto path = t.scratch() / "bad.yaml";
  std::ofstream(path) << "database:\n  host: db\n  prot: 3306\n";
  CommandResult r = run("--config '" + path.string() + "' history");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find(path.string() + ":3:3: database.prot: unknown key"), std::string::npos) << r.output;
}

TEST(Cli, UnreachableDatabaseIsExitFourAndNeverPrintsThePassword) {
  TestDatabase t;
  const auto secret = t.scratch() / "secret";
  std::ofstream(secret) << "hunter2-very-secret\n";
  const auto path = t.scratch() / "down.yaml";
  std::ofstream(path) << "database:\n  socket: " << (t.scratch() / "nope.sock").string()
                      << "\n  user: someone\n  password_file: " << secret.string() << "\n";
  CommandResult r = run("--config '" + path.string() + "' refresh");
  EXPECT_EQ(r.status, 4) << r.output;
  EXPECT_NE(r.output.find("cannot connect"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("hunter2"), std::string::npos) << r.output;
}

TEST(Cli, VersionAndHelp) {
  EXPECT_EQ(run("version").output.substr(0, 9), "segmentd ");
  CommandResult h = run("history --help");
  EXPECT_EQ(h.status, 0);
  EXPECT_NE(h.output.find("--limit"), std::string::npos);
  EXPECT_EQ(run("frobnicate").status, 2);
}

}  // namespace
}  // namespace segmentd::test

namespace segmentd::test {
namespace {

// Migrate re-created the event as monthly and enabled,
// overriding fallback_event until the daemon next started.
TEST(Cli, MigrateKeepsTheConfiguredFallbackEvent) {
  TestDatabase t;
  const auto config = t.write_config("fallback_event:\n  enabled: false\n  interval: 6h\n");
  const std::string c = "--config '" + config.string() + "' ";
  for (int i = 0; i < 2; ++i) {
    const auto m = run(c + "migrate");
    ASSERT_EQ(m.status, 0) << m.output;
    EXPECT_EQ(t.scalar("SELECT CONCAT(STATUS, ' ', INTERVAL_VALUE, ' ', INTERVAL_FIELD) FROM information_schema.EVENTS "
                       "WHERE EVENT_SCHEMA = DATABASE() AND EVENT_NAME = 'ev_refresh_customer_segments'"),
              "DISABLED 6 HOUR")
        << "after migrate #" << i + 1;
  }
}

// Under journald each line starts with its priority, so errors are not
// filed as info.
TEST(Cli, JournaldLinesCarryTheirPriority) {
  TestDatabase t;
  const auto config = t.write_config();
  const auto m = run("--config '" + config.string() + "' migrate");
  ASSERT_EQ(m.status, 0) << m.output;
  EXPECT_EQ(m.output.find("<6>"), std::string::npos) << "a priority prefix outside journald";
  const auto j = run("--config '" + config.string() + "' migrate", "JOURNAL_STREAM=8:1");
  EXPECT_NE(j.output.find("<6>info migrate.finished"), std::string::npos) << j.output;
}

// Whatever reaches a command's boundary is a message and an exit
// status, never std::terminate.
TEST(Cli, AFileThatCannotBeReadIsAMessageAndAnExitStatus) {
  TestDatabase t;
  t.migrate();
  const auto config = t.write_config();
  const auto r = run("--config '" + config.string() + "' ingest '" + t.scratch().string() + "'");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("is not a regular file (a directory)"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("terminate"), std::string::npos) << r.output;
}

// Either files or --recount-references; the recount alone is a run that
// reports every check, counted from what the tables hold now.
TEST(Cli, IngestWantsFilesOrARecount) {
  TestDatabase t;
  t.migrate();
  const std::string c = "--config '" + t.write_config().string() + "' ";
  const auto none = run(c + "ingest");
  EXPECT_NE(none.status, 0);
  EXPECT_NE(none.output.find("--recount-references"), std::string::npos) << none.output;
  t.db().execute("INSERT INTO customers (customer_id, customer_unique_id) VALUES ('c1', 'u1')");
  t.db().execute(
      "INSERT INTO orders (order_id, customer_id, order_status, order_purchase_timestamp) VALUES "
      "('o1', 'c9', 'delivered', '2018-01-01')");
  const auto recount = run(c + "ingest --recount-references");
  EXPECT_EQ(recount.status, 0) << recount.output;
  EXPECT_NE(recount.output.find("\"orders_with_unknown_customer\":1"), std::string::npos) << recount.output;
  EXPECT_EQ(t.scalar("SELECT child_rows FROM reference_gaps WHERE ref_key = 'c9'"), "1");
}

}  // namespace
}  // namespace segmentd::test
