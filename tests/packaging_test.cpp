// The container setup agrees with itself and with doc/OPERATIONS.md: the config
// baked into the image is valid for segmentd and points at the compose
// services, volumes and environment; the Dockerfile runs as the user it
// creates. `docker-compose config` itself runs in tests/docker_compose.sh.
// (The image cannot be built here: no Docker engine. doc/OPERATIONS.md "Containers".)

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>

#include "config.h"

namespace segmentd {
namespace {

const std::string kRoot = SEGMENTD_SOURCE_DIR;

std::string read(const std::string& relative) {
  std::ifstream in(kRoot + "/" + relative);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The value of `NAME: value` or `NAME=value` in a compose environment block.
std::string env_value(const YAML::Node& env, const std::string& name) {
  if (env.IsMap()) return env[name] ? env[name].as<std::string>() : "";
  for (const auto& e : env) {
    const auto s = e.as<std::string>();
    if (s.rfind(name + "=", 0) == 0) return s.substr(name.size() + 1);
  }
  return "";
}

std::set<std::string> volume_targets(const YAML::Node& volumes) {
  std::set<std::string> out;
  for (const auto& v : volumes) {
    const auto s = v.as<std::string>();
    const auto colon = s.find(':');
    out.insert(s.substr(colon + 1, s.find(':', colon + 1) - colon - 1));
  }
  return out;
}

TEST(Packaging, ImageConfigAgreesWithComposeAndDockerfile) {
  const Config config = load_config(kRoot + "/config/docker.yaml");
  const YAML::Node compose = YAML::LoadFile(kRoot + "/docker-compose.yml");
  const YAML::Node mysql = compose["services"]["mysql"];
  const YAML::Node segmentd = compose["services"]["segmentd"];
  ASSERT_TRUE(mysql && segmentd);

  // The database the image talks to is the compose service, as the account
  // the MySQL image creates.
  ASSERT_EQ(config.database.hosts.size() + (config.database.hosts.empty() ? 1u : 0u), 1u);
  EXPECT_EQ(endpoints_of(config.database).front().host, "mysql");
  EXPECT_EQ(endpoints_of(config.database).front().port, 3306u);
  EXPECT_EQ(env_value(mysql["environment"], "MYSQL_DATABASE"), config.database.database);
  EXPECT_EQ(env_value(mysql["environment"], "MYSQL_USER"), config.database.user);
  // The password reaches segmentd through the variable its config names,
  // and it is the one the MySQL image gives that account.
  ASSERT_FALSE(config.database.password_env.empty());
  const std::string password = env_value(segmentd["environment"], config.database.password_env);
  EXPECT_FALSE(password.empty()) << config.database.password_env << " is not set for the segmentd service";
  EXPECT_EQ(password, env_value(mysql["environment"], "MYSQL_PASSWORD"));
  // MySQL's image always serves TLS (auto-generated certificates): never
  // plaintext between the containers.
  EXPECT_EQ(config.database.tls.mode, TlsMode::Required);

  // The bind mounts are the config's inbox and exports, and the image's volumes.
  const std::set<std::string> mounts = volume_targets(segmentd["volumes"]);
  const std::set<std::string> wanted = {config.inbox.path.string(), config.exports.dir.string()};
  EXPECT_EQ(mounts, wanted);
  const std::string dockerfile = read("Dockerfile");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dockerfile, m, std::regex(R"(\nVOLUME \[([^\]]*)\])")));
  std::set<std::string> image_volumes;
  const std::string list = m[1];
  const std::regex quoted("\"([^\"]+)\"");
  for (std::sregex_iterator it(list.begin(), list.end(), quoted), end; it != end; ++it) {
    image_volumes.insert((*it)[1]);
  }
  EXPECT_EQ(image_volumes, wanted);

  // The config file the image runs is this one, as the user it creates.
  EXPECT_NE(dockerfile.find("COPY config/docker.yaml /etc/segmentd/segmentd.yaml"), std::string::npos);
  EXPECT_NE(dockerfile.find("--config /etc/segmentd/segmentd.yaml run"), std::string::npos);
  ASSERT_TRUE(std::regex_search(dockerfile, m, std::regex(R"(\nUSER (\w+))")));
  const std::string user = m[1];
  EXPECT_NE(user, "root");
  EXPECT_NE(dockerfile.find("useradd --system --home-dir /var/lib/segmentd --create-home " + user), std::string::npos);
  EXPECT_NE(dockerfile.find("chown -R " + user + ":" + user + " /var/lib/segmentd"), std::string::npos);

  // MySQL runs with what segmentd needs.
  const auto command = mysql["command"].as<std::vector<std::string>>();
  EXPECT_NE(std::find(command.begin(), command.end(), "--event-scheduler=ON"), command.end());
}

TEST(Packaging, OperationsDocDescribesTheComposeFile) {
  std::string readme = read("doc/OPERATIONS.md");
  std::replace(readme.begin(), readme.end(), '\n', ' ');  // sentences wrap
  const YAML::Node compose = YAML::LoadFile(kRoot + "/docker-compose.yml");
  EXPECT_NE(readme.find("MYSQL_ROOT_PASSWORD=... SEGMENTD_DB_PASSWORD=... docker-compose up -d --build"),
            std::string::npos);
  EXPECT_EQ(compose["services"]["mysql"]["image"].as<std::string>(), "mysql:8.4");
  EXPECT_NE(readme.find("runs MySQL 8.4"), std::string::npos);
  for (const auto& mount : compose["services"]["segmentd"]["volumes"]) {
    const auto source = mount.as<std::string>().substr(0, mount.as<std::string>().find(':'));
    EXPECT_NE(readme.find("`" + source + "`"), std::string::npos) << source << " is not in doc/OPERATIONS.md";
  }
  EXPECT_NE(readme.find("The image itself is not built by the tests"), std::string::npos);
}

}  // namespace
}  // namespace segmentd
