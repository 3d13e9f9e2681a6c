#include "config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "errors.h"

namespace segmentd {
namespace {

std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml, "segmentd.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Config, ReadsTheDatabaseSectionWithDefaults) {
  const Config c = parse_config("database:\n  host: db.example\n  port: 3307\n  database: crm\n", "x.yaml");
  EXPECT_EQ(c.database.host, "db.example");
  EXPECT_EQ(c.database.port, 3307u);
  EXPECT_EQ(c.database.database, "crm");
  EXPECT_EQ(c.database.user, "segmentd");
  EXPECT_TRUE(c.database.socket.empty());
}

TEST(Config, ErrorsNameFileLineColumnAndKey) {
  EXPECT_EQ(error_of("database:\n  host: x\n  hots: y\n"), "segmentd.yaml:3:3: database.hots: unknown key");
  EXPECT_EQ(error_of("database:\n  port: abc\n"),
            "segmentd.yaml:2:9: database.port: expected a whole number, got \"abc\"");
  EXPECT_EQ(error_of("database:\n  port: 70000\n"),
            "segmentd.yaml:2:9: database.port: must be between 1 and 65535, got 70000");
  EXPECT_EQ(error_of("databse:\n  host: x\n"), "segmentd.yaml:1:1: database: missing required section");
  EXPECT_EQ(error_of("database:\n  host: x\nextra: 1\n"), "segmentd.yaml:3:1: extra: unknown key");
  EXPECT_EQ(error_of("database: [1, 2]\n"), "segmentd.yaml:1:11: database: expected a mapping of keys");
}

TEST(Config, InvalidYamlIsReportedWithItsPosition) {
  EXPECT_EQ(error_of("database:\n  host: [x\n").rfind("segmentd.yaml:", 0), 0u);
  EXPECT_NE(error_of("database:\n  host: [x\n").find("invalid YAML"), std::string::npos);
}

TEST(Config, PasswordsAreRefusedInTheFileAndNeverEchoed) {
  const std::string e = error_of("database:\n  password: s3cr3t-value\n");
  EXPECT_NE(e.find("database.password: passwords do not belong in the config"), std::string::npos) << e;
  EXPECT_EQ(e.find("s3cr3t-value"), std::string::npos);
  EXPECT_NE(error_of("database:\n  password_file: /a\n  password_env: B\n").find("not both"), std::string::npos);
}

TEST(Config, PasswordComesFromFileWithoutTrailingNewlineOrFromEnvironment) {
  const auto file = std::filesystem::temp_directory_path() / "segmentd-config-test-secret";
  std::ofstream(file) << "pa ss\n";
  DatabaseConfig db;
  db.password_file = file.string();
  EXPECT_EQ(resolve_password(db), "pa ss");
  std::filesystem::remove(file);
  EXPECT_THROW(resolve_password(db), ConfigError);

  DatabaseConfig env;
  env.password_env = "SEGMENTD_CONFIG_TEST_PW";
  EXPECT_THROW(resolve_password(env), ConfigError);
  setenv("SEGMENTD_CONFIG_TEST_PW", "from-env", 1);
  EXPECT_EQ(resolve_password(env), "from-env");
  unsetenv("SEGMENTD_CONFIG_TEST_PW");
}

TEST(Config, MissingFileIsAConfigError) {
  EXPECT_THROW(load_config("/nonexistent/segmentd.yaml"), ConfigError);
}

TEST(Config, DaemonSectionsHaveWorkingDefaultsWithOnlyDatabaseAndInbox) {
  const Config c = parse_config("database: {}\ninbox:\n  path: /srv/inbox\n", "x.yaml");
  EXPECT_EQ(c.inbox.processed, "/srv/inbox/processed");
  EXPECT_EQ(c.inbox.quarantine, "/srv/inbox/quarantine");
  EXPECT_EQ(c.inbox.settle_seconds, 3u);
  EXPECT_TRUE(c.refresh.after_ingest);
  EXPECT_EQ(c.refresh.full_schedule, "0 4 * * 0");
  ASSERT_EQ(c.schedules.size(), 1u);
  EXPECT_EQ(c.schedules[0].cron, "@daily");
  EXPECT_TRUE(c.fallback_event.enabled);
  EXPECT_EQ(c.fallback_event.interval_unit, "DAY");
  EXPECT_EQ(c.segmentation.counted_statuses, (std::vector<std::string>{"delivered", "shipped"}));
  EXPECT_TRUE(c.exports.dir.empty());
  EXPECT_TRUE(parse_config("database: {}\nschedules: []\n", "x.yaml").schedules.empty());
}

TEST(Config, TheShippedExampleIsValidAndComplete) {
  const Config c = load_config(std::filesystem::path(SEGMENTD_SOURCE_DIR) / "config" / "segmentd.yaml");
  EXPECT_EQ(c.inbox.path, "/var/lib/segmentd/inbox");
  ASSERT_EQ(c.schedules.size(), 1u);
  EXPECT_EQ(c.schedules[0].timezone, "Europe/Berlin");
  EXPECT_EQ(c.exports.dir, "/var/lib/segmentd/exports");
  EXPECT_EQ(c.database.tls, TlsConfig{});  // shown with the default values
  EXPECT_EQ(c.observability, ObservabilityConfig{});
  load_config(std::filesystem::path(SEGMENTD_SOURCE_DIR) / "config" / "docker.yaml");
}

TEST(Config, DaemonSectionErrorsNamePositionAndReason) {
  EXPECT_EQ(error_of("database: {}\ninbox:\n  path: relative/inbox\n"),
            "segmentd.yaml:3:9: inbox.path: must be an absolute path");
  EXPECT_EQ(error_of("database: {}\nschedules:\n  - name: a\n    cron: \"61 * * * *\"\n"),
            "segmentd.yaml:4:11: schedules[0].cron: minute field \"61\": 61 is outside 0-59");
  EXPECT_EQ(error_of("database: {}\nschedules:\n  - name: a\n    cron: \"@daily\"\n    timezone: Mars/Base\n"),
            "segmentd.yaml:5:15: schedules[0].timezone: unknown time zone \"Mars/Base\"");
  EXPECT_EQ(error_of("database: {}\nschedules:\n  - {name: a, cron: \"@daily\"}\n  - {name: a, cron: \"@hourly\"}\n"),
            "segmentd.yaml:4:12: schedules[1].name: duplicate schedule name \"a\"");
  EXPECT_EQ(error_of("database: {}\nschedules:\n  - {name: a, cron: \"0 0 30 2 *\"}\n"),
            "segmentd.yaml:3:21: schedules[0].cron: \"0 0 30 2 *\" never fires");
  EXPECT_EQ(error_of("database: {}\nfallback_event:\n  interval: weekly\n"),
            "segmentd.yaml:3:13: fallback_event.interval: expected a number with m, h or d (e.g. 30m, 6h, 1d), got "
            "\"weekly\"");
  EXPECT_EQ(error_of("database: {}\nsegmentation:\n  scoring_method: fancy\n"),
            "segmentd.yaml:3:19: segmentation.scoring_method: must be ntile or quantile, got \"fancy\"");
  EXPECT_EQ(error_of("database: {}\nsegmentation:\n  counted_statuses: [delivered, \"x;DROP\"]\n"),
            "segmentd.yaml:3:21: segmentation.counted_statuses: \"x;DROP\" is not an order status (lower-case "
            "letters and _)");
  EXPECT_EQ(error_of("database: {}\nrefresh:\n  debounce: 5\n"), "segmentd.yaml:3:3: refresh.debounce: unknown key");
  EXPECT_NE(error_of("database: {}\nrefresh:\n  full_schedule: \"0 4 31 2 *\"\n").find("refresh.full_schedule"),
            std::string::npos);
  EXPECT_EQ(error_of("database: {}\nlogging:\n  level: loud\n"),
            "segmentd.yaml:3:10: logging.level: must be debug, info, warn or error, got \"loud\"");
}

// A step near INT_MAX overflowed the walk over the field (found by fuzzing)
// and surfaced as "internal error: bitset::set" with no position; a
// duration of 49711 days wrapped to 17.5 hours without a word.
TEST(Config, OutOfRangeStepsAndDurationsAreRefusedWithTheirKey) {
  EXPECT_EQ(error_of("database: {}\nschedules:\n  - name: a\n    cron: \"5/2147483647 * * * *\"\n"),
            "segmentd.yaml:4:11: schedules[0].cron: minute field \"5/2147483647\": step 2147483647 is outside 1-60");
  EXPECT_EQ(error_of("database: {}\nschedules:\n  - name: a\n    cron: \"@daily\"\n    deadline: 49711d\n"),
            "segmentd.yaml:5:15: schedules[0].deadline: \"49711d\" is too long: at most 4294967295 s (49710d)");
  EXPECT_EQ(error_of("database: {}\nschedules:\n  - name: a\n    cron: \"@daily\"\n    deadline: 49710d\n"),
            "no error");
}

}  // namespace
}  // namespace segmentd

namespace segmentd {
namespace {

TEST(Config, DuplicateKeysAreRefusedWhereTheSecondIs) {
  EXPECT_EQ(error_of("database:\n  host: a\n  host: b\n"),
            "segmentd.yaml:3:3: database.host: duplicate key (it is already set above)");
  EXPECT_EQ(error_of("database:\n  host: a\ndatabase:\n  host: b\n"),
            "segmentd.yaml:3:1: database: duplicate key (it is already set above)");
}

TEST(Config, PredictionsHaveDefaultsAndCheckedHorizons) {
  const Config d = parse_config("database: {}\n", "segmentd.yaml");
  EXPECT_TRUE(d.predictions.enabled);
  EXPECT_EQ(d.predictions.horizons_days, (std::vector<unsigned>{30, 90, 365}));
  EXPECT_EQ(d.predictions.discount_rate_annual, 0);
  const Config c = parse_config(
      "database: {}\npredictions:\n  enabled: false\n  horizons_days: [7, 273]\n  discount_rate_annual: 0.1\n"
      "  min_repeat_customers: 5\n",
      "segmentd.yaml");
  EXPECT_FALSE(c.predictions.enabled);
  EXPECT_EQ(c.predictions.horizons_days, (std::vector<unsigned>{7, 273}));
  EXPECT_DOUBLE_EQ(c.predictions.discount_rate_annual, 0.1);
  EXPECT_EQ(c.predictions.min_repeat_customers, 5u);
  EXPECT_EQ(error_of("database: {}\npredictions:\n  horizons_days: [30, 30]\n"),
            "segmentd.yaml:3:18: predictions.horizons_days: lists 30 twice");
  EXPECT_EQ(error_of("database: {}\npredictions:\n  horizons_days: [30, \"1; DROP\"]\n"),
            "segmentd.yaml:3:18: predictions.horizons_days: \"1; DROP\" is not a number of days from 1 to 3650");
  EXPECT_EQ(error_of("database: {}\npredictions:\n  horizons_days: [0]\n"),
            "segmentd.yaml:3:18: predictions.horizons_days: \"0\" is not a number of days from 1 to 3650");
  EXPECT_EQ(error_of("database: {}\npredictions:\n  horizons_days: [1, 2, 3, 4, 5, 6, 7]\n"),
            "segmentd.yaml:3:18: predictions.horizons_days: must list 1 to 6 horizons");
  EXPECT_EQ(error_of("database: {}\npredictions:\n  discount_rate_annual: 1.5\n"),
            "segmentd.yaml:3:25: predictions.discount_rate_annual: must be between 0 and 1, got 1.5");
  EXPECT_EQ(error_of("database: {}\npredictions:\n  discount_rate_annual: ten\n"),
            "segmentd.yaml:3:25: predictions.discount_rate_annual: expected a number, got \"ten\"");
  EXPECT_EQ(error_of("database: {}\npredictions:\n  horizon: 30\n"),
            "segmentd.yaml:3:3: predictions.horizon: unknown key");
}

TEST(Config, AsOfMustBeADayThatExists) {
  EXPECT_NE(error_of("database: {}\nsegmentation:\n  as_of: 2024-13-45\n").find("segmentation.as_of: must be"),
            std::string::npos);
  EXPECT_NE(error_of("database: {}\nsegmentation:\n  as_of: 2023-02-29\n").find("segmentation.as_of"),
            std::string::npos);
  EXPECT_EQ(parse_config("database: {}\nsegmentation:\n  as_of: 2024-02-29\n", "x").segmentation.as_of, "2024-02-29");
}

TEST(Config, NewKeysOfTheCore) {
  const Config c = parse_config(
      "database:\n  read_timeout_seconds: 120\n  write_timeout_seconds: 30\ningest:\n  allow_empty_replace: true\n"
      "exports:\n  dir: /x\n  keep_sets: 5\n",
      "x");
  EXPECT_EQ(c.database.read_timeout_seconds, 120u);
  EXPECT_EQ(c.database.write_timeout_seconds, 30u);
  EXPECT_TRUE(c.ingest.allow_empty_replace);
  EXPECT_EQ(c.exports.keep_sets, 5u);
  EXPECT_EQ(parse_config("database: {}\nexports:\n  file_mode: \"0640\"\n", "x").exports.file_mode, 0640u);
  EXPECT_NE(error_of("database: {}\nexports:\n  file_mode: \"0666\"\n").find("exports.file_mode: must be"),
            std::string::npos);
  const Config d = parse_config("database: {}\n", "x");
  EXPECT_FALSE(d.ingest.allow_empty_replace);
  EXPECT_EQ(d.exports.keep_sets, 2u);
  EXPECT_EQ(d.exports.file_mode, 0600u);
}

}  // namespace
}  // namespace segmentd
