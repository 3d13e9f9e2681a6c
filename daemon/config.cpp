#include "config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "errors.h"
#include "yaml_section.h"

namespace segmentd {
namespace {

DatabaseConfig read_database(YamlSection section) {
  DatabaseConfig db;
  section.read("host", db.host);
  section.read("port", db.port, 1, 65535);
  section.read("socket", db.socket);
  section.read("user", db.user);
  section.read("password_file", db.password_file);
  section.read("password_env", db.password_env);
  section.read("database", db.database);
  if (section.has("password")) {
    section.fail("password", "passwords do not belong in the config; use password_file or password_env");
  }
  section.finish();
  if (db.user.empty()) section.fail("user", "must not be empty");
  if (db.database.empty()) section.fail("database", "must not be empty");
  if (!db.password_file.empty() && !db.password_env.empty()) {
    section.fail("password_env", "set password_file or password_env, not both");
  }
  return db;
}

IngestConfig read_ingest(YamlSection section) {
  IngestConfig ingest;
  section.read("max_rejected_rows", ingest.max_rejected_rows, 0, 1000000000);
  std::string path = "auto";
  section.read("load_path", path);
  if (path == "auto") {
    ingest.load_path = LoadPath::Auto;
  } else if (path == "load_data") {
    ingest.load_path = LoadPath::LoadData;
  } else if (path == "insert") {
    ingest.load_path = LoadPath::Insert;
  } else {
    section.fail("load_path", "must be auto, load_data or insert, got \"" + path + "\"");
  }
  section.finish();
  return ingest;
}

Config from_root(const YAML::Node& root, const std::string& name) {
  Config config;
  config.source = name;
  YamlSection top(root, "", name);
  if (!top.has("database")) top.fail("database", "missing required section");
  config.database = read_database(top.section("database"));
  config.ingest = read_ingest(top.section("ingest"));
  top.finish();
  return config;
}

YAML::Node parse_yaml(const std::string& text, const std::string& name) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(position(name, e.mark) + "invalid YAML: " + e.msg);
  }
}

}  // namespace

Config parse_config(const std::string& text, const std::string& name) {
  return from_root(parse_yaml(text, name), name);
}

Config load_config(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path.string() + ": cannot read config file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path.string());
}

std::string resolve_password(const DatabaseConfig& db) {
  if (!db.password_file.empty()) {
    std::ifstream in(db.password_file, std::ios::binary);
    if (!in) throw ConfigError("database.password_file: cannot read " + db.password_file);
    std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Files written by `echo` end with a newline that is not part of the secret.
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    return secret;
  }
  if (!db.password_env.empty()) {
    const char* value = std::getenv(db.password_env.c_str());
    if (value == nullptr) {
      throw ConfigError("database.password_env: environment variable " + db.password_env + " is not set");
    }
    return value;
  }
  return "";
}

}  // namespace segmentd
