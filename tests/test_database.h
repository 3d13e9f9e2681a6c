#pragma once
// A fresh database on the private test server (started by the ctest fixture),
// dropped again when the test ends.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "config.h"
#include "db_session.h"

namespace segmentd::test {

// Connection settings of the private server, from SEGMENTD_TEST_DB_DIR.
// Returns false when no test server is configured.
bool test_server(DatabaseConfig& out);
// Same, from the connection.env of the server in $env_var; `tls_dir` gets
// its certificate folder (empty when it has no TLS).
bool test_server_from(const char* env_var, DatabaseConfig& out, std::string* tls_dir = nullptr);

// A small dataset: n customers, one delivered order each (purchase days
// spread over 300 days) with one payment of 10 + (7i + value_offset) mod 500.
void load_customers(DbSession& db, int n, int value_offset = 0);

// The seed of a randomised test: SEGMENTD_TEST_SEED when set (to replay a
// failure), else a fresh one; the test prints it.
std::uint32_t test_seed();

class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const DatabaseConfig& config() const { return config_; }
  // A new session on this database.
  std::unique_ptr<DbSession> connect() const { return connect_database(config_); }
  DbSession& db() { return *session_; }
  // Runs `segmentd migrate` logic.
  void migrate();
  // Writes a segmentd YAML config for this database; returns its path.
  std::filesystem::path write_config(const std::string& extra_yaml = "") const;
  // A scratch folder removed with the database.
  const std::filesystem::path& scratch() const { return scratch_; }
  // Writes `content` to scratch()/name, byte for byte; returns the path.
  std::filesystem::path write_file(const std::string& name, const std::string& content) const;
  // Single value of a query, "NULL" for NULL.
  std::string scalar(const std::string& sql);

 private:
  DatabaseConfig config_;
  std::unique_ptr<DbSession> session_;
  std::filesystem::path scratch_;
};

}  // namespace segmentd::test
