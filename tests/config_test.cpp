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

}  // namespace
}  // namespace segmentd
