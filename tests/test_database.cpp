#include "test_database.h"

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "migrations.h"

namespace segmentd::test {

bool test_server(DatabaseConfig& out) {
  return test_server_from("SEGMENTD_TEST_DB_DIR", out);
}

bool test_server_from(const char* env_var, DatabaseConfig& out, std::string* tls_dir) {
  const char* dir = std::getenv(env_var);
  if (dir == nullptr) return false;
  std::ifstream env(std::filesystem::path(dir) / "connection.env");
  if (!env) return false;
  std::string line;
  while (std::getline(env, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "PRIVDB_SOCKET") out.socket = value;
    if (key == "PRIVDB_PORT") out.port = static_cast<unsigned>(std::stoul(value));
    if (key == "PRIVDB_HOST") out.host = value;
    if (key == "PRIVDB_USER") out.user = value;
    if (key == "PRIVDB_TLS_DIR" && tls_dir) *tls_dir = value;
  }
  return !out.socket.empty();
}

TestDatabase::TestDatabase() {
  if (!test_server(config_)) throw std::runtime_error("no test database server (SEGMENTD_TEST_DB_DIR)");
  std::random_device rd;
  std::ostringstream name;
  name << "t_" << std::hex << rd() << rd();
  config_.database = "mysql";
  auto admin = connect_database(config_);
  admin->execute("CREATE DATABASE `" + name.str() + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
  config_.database = name.str();
  session_ = connect_database(config_);
  scratch_ = std::filesystem::temp_directory_path() / ("segmentd-test-" + name.str());
  std::filesystem::create_directories(scratch_);
}

TestDatabase::~TestDatabase() {
  try {
    session_.reset();
    DatabaseConfig admin_config = config_;
    admin_config.database = "mysql";
    auto admin = connect_database(admin_config);
    admin->execute("DROP DATABASE IF EXISTS `" + config_.database + "`");
  } catch (...) {
  }
  std::error_code ec;
  std::filesystem::remove_all(scratch_, ec);
}

void TestDatabase::migrate() {
  segmentd::migrate(*session_, false, "test");
}

std::filesystem::path TestDatabase::write_config(const std::string& extra_yaml) const {
  const auto path = scratch_ / "segmentd.yaml";
  std::ofstream out(path);
  out << "database:\n"
      << "  socket: " << config_.socket << "\n"
      << "  user: " << config_.user << "\n"
      << "  database: " << config_.database << "\n"
      << extra_yaml;
  return path;
}

std::uint32_t test_seed() {
  const char* env = std::getenv("SEGMENTD_TEST_SEED");
  return env != nullptr ? static_cast<std::uint32_t>(std::stoul(env)) : std::random_device{}();
}

void load_customers(DbSession& db, int n, int value_offset) {
  for (int i = 0; i < n; ++i) {
    const std::string id = std::to_string(1000 + i);
    db.update("INSERT INTO customers (customer_id, customer_unique_id) VALUES (?, ?)", {"c" + id, "u" + id});
    db.update(
        "INSERT INTO orders (order_id, customer_id, order_status, order_purchase_timestamp) "
        "VALUES (?, ?, 'delivered', '2018-01-01 00:00:00' + INTERVAL ? DAY)",
        {"o" + id, "c" + id, static_cast<std::int64_t>(i % 300)});
    db.update("INSERT INTO order_payments VALUES (?, 1, 'boleto', 1, ?)",
              {"o" + id, std::to_string(10 + (i * 7 + value_offset) % 500) + ".00"});
  }
}

std::filesystem::path TestDatabase::write_file(const std::string& name, const std::string& content) const {
  const auto path = scratch_ / name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::string TestDatabase::scalar(const std::string& sql) {
  DbResult r = session_->query(sql);
  if (r.rows.empty() || r.rows[0].empty()) return "";
  return r.rows[0][0].value_or("NULL");
}

}  // namespace segmentd::test
