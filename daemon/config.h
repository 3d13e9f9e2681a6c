#pragma once
// The YAML configuration. Every key is checked in one pass; unknown keys and
// wrong types are errors that name file:line:column and the key.

#include <filesystem>
#include <optional>
#include <string>

namespace segmentd {

inline constexpr const char* kDefaultConfigPath = "/etc/segmentd/segmentd.yaml";

struct DatabaseConfig {
  std::string host = "localhost";
  unsigned port = 3306;
  std::string socket;  // when set, used instead of host/port
  std::string user = "segmentd";
  std::string password_file;
  std::string password_env;
  std::string database = "segmentd";
};

enum class LoadPath { Auto, LoadData, Insert };

struct IngestConfig {
  unsigned max_rejected_rows = 0;  // above it a file is refused whole
  LoadPath load_path = LoadPath::Auto;
};

struct Config {
  std::filesystem::path source;  // file it was read from
  DatabaseConfig database;
  IngestConfig ingest;
};

// Reads and validates a config file. Throws ConfigError.
Config load_config(const std::filesystem::path& path);
// Same, from text (tests); `name` is used in messages.
Config parse_config(const std::string& text, const std::string& name);

// Resolves the password from password_file or password_env. Throws
// ConfigError naming the source (never the secret) when it cannot be read.
std::string resolve_password(const DatabaseConfig& db);

}  // namespace segmentd
