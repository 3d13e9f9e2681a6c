// Connection decisions without a server: the TLS and key options each mode
// asks of Connector/C++, the greeting parser, hosts and tls config, and the
// account's plugin as SHOW CREATE USER names it.
#include "connect_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

#include "config.h"
#include "connection_facts.h"
#include "errors.h"
#include "privileges.h"
#include "server_greeting.h"

namespace segmentd {
namespace {

DatabaseConfig with_mode(TlsMode mode) {
  DatabaseConfig db;
  db.tls.mode = mode;
  return db;
}

bool has(const ConnectAttempt& a, const std::string& name) {
  return std::any_of(a.tls_options.begin(), a.tls_options.end(), [&](const auto& o) { return o.name == name; });
}

std::string string_of(const ConnectAttempt& a, const std::string& name) {
  for (const auto& o : a.tls_options) {
    if (o.name == name) return std::get<std::string>(o.value);
  }
  return "(absent)";
}

const DatabaseEndpoint kHost{"db.example", 3306};

TEST(ConnectPlan, DisabledSendsNoTlsOptionsAndUsesTheDecoyKey) {
  const auto a = plan_tcp_attempt(with_mode(TlsMode::Disabled), kHost, true, "/decoy");
  EXPECT_FALSE(has(a, "sslEnforce"));
  EXPECT_FALSE(a.must_be_encrypted);
  // Never asks the server for its RSA key unless told to trust the network.
  EXPECT_EQ(string_of(a, "rsaKey"), "/decoy");
}

TEST(ConnectPlan, PreferredUsesTlsOnlyWhenOffered) {
  const auto offered = plan_tcp_attempt(with_mode(TlsMode::Preferred), kHost, true, "/decoy");
  EXPECT_TRUE(has(offered, "sslEnforce"));
  EXPECT_TRUE(offered.must_be_encrypted);  // offered, then plaintext = a downgrade
  EXPECT_FALSE(has(offered, "sslCA"));
  EXPECT_FALSE(has(offered, "rsaKey"));
  const auto not_offered = plan_tcp_attempt(with_mode(TlsMode::Preferred), kHost, false, "/decoy");
  EXPECT_FALSE(has(not_offered, "sslEnforce"));
  EXPECT_FALSE(not_offered.must_be_encrypted);
}

TEST(ConnectPlan, RequiredModesRefuseAServerWithoutTlsBeforeSendingAnything) {
  for (auto mode : {TlsMode::Required, TlsMode::VerifyCa, TlsMode::VerifyIdentity}) {
    try {
      plan_tcp_attempt(with_mode(mode), kHost, false, "/decoy");
      ADD_FAILURE() << to_string(mode) << " planned a plaintext connection";
    } catch (const DbError& e) {
      EXPECT_NE(std::string(e.what()).find("does not offer TLS"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(to_string(mode)), std::string::npos) << e.what();
    }
  }
}

TEST(ConnectPlan, VerifyModesMapToCaAndHostCheck) {
  auto db = with_mode(TlsMode::VerifyCa);
  db.tls.ca = "/etc/ca.pem";
  auto a = plan_tcp_attempt(db, kHost, true, "");
  EXPECT_EQ(string_of(a, "sslCA"), "/etc/ca.pem");
  EXPECT_FALSE(has(a, "sslVerify"));
  EXPECT_TRUE(a.must_be_encrypted);
  db.tls.mode = TlsMode::VerifyIdentity;
  a = plan_tcp_attempt(db, kHost, true, "");
  EXPECT_TRUE(has(a, "sslVerify"));
  // No CA configured: the system's trust store.
  db.tls.ca.clear();
  a = plan_tcp_attempt(db, kHost, true, "");
  EXPECT_EQ(string_of(a, "sslCAPath"), kSystemCaPath);
  EXPECT_FALSE(has(a, "sslCA"));
}

TEST(ConnectPlan, ClientCertificateAndTlsVersion) {
  auto db = with_mode(TlsMode::Required);
  db.tls.cert = "/c.pem";
  db.tls.key = "/c.key";
  auto a = plan_tcp_attempt(db, kHost, true, "");
  EXPECT_EQ(string_of(a, "sslCert"), "/c.pem");
  EXPECT_EQ(string_of(a, "sslKey"), "/c.key");
  EXPECT_FALSE(has(a, "sslCA"));  // required does not check the server
  EXPECT_EQ(string_of(a, "OPT_TLS_VERSION"), "TLSv1.2,TLSv1.3");
  db.tls.min_version = "TLSv1.3";
  EXPECT_EQ(string_of(plan_tcp_attempt(db, kHost, true, ""), "OPT_TLS_VERSION"), "TLSv1.3");
}

TEST(ConnectPlan, ServerPublicKeyRules) {
  auto db = with_mode(TlsMode::Disabled);
  db.server_public_key = "/srv.pub";
  EXPECT_EQ(string_of(plan_tcp_attempt(db, kHost, false, "/decoy"), "rsaKey"), "/srv.pub");
  db.server_public_key.clear();
  db.get_server_public_key = true;
  EXPECT_FALSE(has(plan_tcp_attempt(db, kHost, false, "/decoy"), "rsaKey"));
  // Over TLS the password travels encrypted: no RSA key at all.
  db.tls.mode = TlsMode::Required;
  db.get_server_public_key = false;
  EXPECT_FALSE(has(plan_tcp_attempt(db, kHost, true, "/decoy"), "rsaKey"));
}

TEST(ConnectPlan, SocketNeverUsesTls) {
  auto db = with_mode(TlsMode::VerifyIdentity);
  db.socket = "/run/mysqld/mysqld.sock";
  const auto a = plan_socket_attempt(db);
  EXPECT_EQ(a.url, "unix:///run/mysqld/mysqld.sock");
  EXPECT_TRUE(a.tls_options.empty());
  EXPECT_FALSE(a.must_be_encrypted);
}

TEST(GreetingMemory, KeptOnlyWhileLoginsAreRefused) {
  GreetingMemory memory;
  EXPECT_FALSE(memory.offers_tls("tcp://a:1"));
  memory.after_attempt("tcp://a:1", true, 1045);  // wrong password: no new greeting next time
  EXPECT_EQ(memory.offers_tls("tcp://a:1"), true);
  EXPECT_FALSE(memory.offers_tls("tcp://b:1"));
  memory.after_attempt("tcp://a:1", true, 1045);
  EXPECT_EQ(memory.offers_tls("tcp://a:1"), true);
  memory.after_attempt("tcp://a:1", true, 2013);  // the server went away: read it again
  EXPECT_FALSE(memory.offers_tls("tcp://a:1"));
  memory.after_attempt("tcp://a:1", false, 1045);
  memory.after_attempt("tcp://a:1", false, 0);  // a session
  EXPECT_FALSE(memory.offers_tls("tcp://a:1"));
}

TEST(ConnectPlan, EndpointUrls) {
  EXPECT_EQ(endpoint_url({"db1", 3307}), "tcp://db1:3307");
  EXPECT_EQ(endpoint_url({"::1", 3306}), "tcp://[::1]:3306");
  DatabaseConfig db;
  db.hosts = {{"a", 1}, {"b", 2}};
  EXPECT_EQ(describe_endpoint(db), "tcp://a:1,tcp://b:2");
}

std::string greeting(const std::string& version, std::uint16_t caps) {
  std::string p(1, '\x0a');
  p += version;
  p += '\0';
  p += std::string(4, '\x01');  // thread id
  p += std::string(8, 'x');     // scramble part 1
  p += '\0';                    // filler
  p += static_cast<char>(caps & 0xff);
  p += static_cast<char>(caps >> 8);
  p += std::string(20, '\0');  // the rest, unread
  return p;
}

TEST(ServerGreeting, ReadsVersionAndTlsCapability) {
  auto g = parse_server_greeting(greeting("8.4.3", 0xffff));
  ASSERT_TRUE(g);
  EXPECT_EQ(g->server_version, "8.4.3");
  EXPECT_TRUE(g->offers_tls);
  g = parse_server_greeting(greeting("10.11.9-MariaDB", 0xffff & ~0x0800));
  ASSERT_TRUE(g);
  EXPECT_FALSE(g->offers_tls);
  EXPECT_FALSE(parse_server_greeting(std::string("\x09old", 4)));
  EXPECT_FALSE(parse_server_greeting(greeting("8.0", 0xffff).substr(0, 10)));  // truncated
}

TEST(ServerGreeting, ErrorPacketIsADbErrorWithTheServersCode) {
  std::string p = "\xff";
  p += static_cast<char>(1040 & 0xff);
  p += static_cast<char>(1040 >> 8);
  p += "Too many connections";
  try {
    parse_server_greeting(p);
    FAIL() << "no error";
  } catch (const DbError& e) {
    EXPECT_EQ(e.code(), 1040);
    EXPECT_NE(std::string(e.what()).find("Too many connections"), std::string::npos);
  }
}

TEST(ConnectionFacts, AuthPluginFromShowCreateUser) {
  EXPECT_EQ(auth_plugin_of("CREATE USER `s`@`%` IDENTIFIED WITH 'caching_sha2_password' AS '$A$005$xyz' "
                           "REQUIRE NONE PASSWORD EXPIRE DEFAULT"),
            "caching_sha2_password");
  EXPECT_EQ(auth_plugin_of("CREATE USER `s`@`%` IDENTIFIED BY PASSWORD '*D821809F681A40A6E379B50D0463EFAE20BDD122'"),
            "mysql_native_password");
  EXPECT_EQ(auth_plugin_of("CREATE USER `s`@`%` IDENTIFIED VIA ed25519 USING 'abc'"), "ed25519");
  EXPECT_EQ(auth_plugin_of("CREATE USER `s`@`localhost`"), "none");
}

Config parse(const std::string& database_yaml) {
  return parse_config("database:\n" + database_yaml, "t.yaml");
}

std::string error_of(const std::string& database_yaml) {
  try {
    parse(database_yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(DatabaseConfigTls, ReadsModesFilesAndHosts) {
  const Config c = parse(
      "  hosts: [\"db1:3307\", db2, \"[::1]:3308\"]\n"
      "  port: 3310\n"
      "  tls:\n    mode: verify_identity\n    ca: /etc/ca.pem\n    cert: /c.pem\n    key: /c.key\n"
      "    min_version: TLSv1.3\n"
      "  server_public_key: /srv.pub\n");
  EXPECT_EQ(c.database.tls.mode, TlsMode::VerifyIdentity);
  EXPECT_EQ(c.database.tls.ca, "/etc/ca.pem");
  EXPECT_EQ(c.database.tls.min_version, "TLSv1.3");
  EXPECT_EQ(c.database.server_public_key, "/srv.pub");
  const std::vector<DatabaseEndpoint> expected = {{"db1", 3307}, {"db2", 3310}, {"::1", 3308}};
  EXPECT_EQ(endpoints_of(c.database), expected);
  // Defaults: preferred, one host from host and port.
  const Config d = parse("  host: db\n");
  EXPECT_EQ(d.database.tls.mode, TlsMode::Preferred);
  EXPECT_EQ(endpoints_of(d.database), (std::vector<DatabaseEndpoint>{{"db", 3306}}));
}

TEST(DatabaseConfigTls, RefusesContradictions) {
  EXPECT_NE(error_of("  tls: {mode: strict}\n").find("database.tls.mode: must be disabled, preferred"),
            std::string::npos);
  EXPECT_NE(error_of("  tls: {mode: required, ca: /ca.pem}\n").find("database.tls.ca: is only used by verify_ca"),
            std::string::npos);
  EXPECT_NE(error_of("  tls: {mode: disabled, cert: /c, key: /k}\n").find("database.tls.mode: is disabled"),
            std::string::npos);
  EXPECT_NE(error_of("  tls: {mode: required, cert: /c}\n").find("database.tls.key: cert and key go together"),
            std::string::npos);
  EXPECT_NE(error_of("  tls: {min_version: TLSv1.1}\n").find("must be TLSv1.2 or TLSv1.3"), std::string::npos);
  EXPECT_NE(error_of("  host: a\n  hosts: [b]\n").find("set host or hosts, not both"), std::string::npos);
  EXPECT_NE(error_of("  hosts: [\"db:99999\"]\n").find("port must be 1..65535"), std::string::npos);
  EXPECT_NE(error_of("  hosts: [\"::1\"]\n").find("[address]:port"), std::string::npos);
  EXPECT_NE(error_of("  hosts: []\n").find("at least one host"), std::string::npos);
  EXPECT_NE(error_of("  server_public_key: /k\n  get_server_public_key: true\n").find("not both"), std::string::npos);
  EXPECT_NE(error_of("  tls: {mode: required, surprise: 1}\n").find("surprise"), std::string::npos);
}

}  // namespace
}  // namespace segmentd

namespace segmentd {
namespace {

// doc/CONFIGURATION.md "Database account" lists exactly the privileges segmentd checks
// for (the least_privilege daemon test runs with that block).
TEST(Privileges, DocumentedGrantsAreTheRequiredPrivileges) {
  std::ifstream in(std::string(SEGMENTD_SOURCE_DIR) + "/doc/CONFIGURATION.md");
  const std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto grant = readme.find("\nGRANT ");
  ASSERT_NE(grant, std::string::npos);
  const auto on = readme.find(" ON segmentd.*", grant);
  ASSERT_NE(on, std::string::npos);
  std::string list = readme.substr(grant + 7, on - grant - 7);
  std::vector<std::string> listed;
  std::stringstream items(list);
  std::string item;
  while (std::getline(items, item, ',')) {
    const auto b = item.find_first_not_of(" \n");
    const auto e = item.find_last_not_of(" \n");
    listed.push_back(item.substr(b, e - b + 1));
  }
  const std::vector<std::string> required(kRequiredPrivileges.begin(), kRequiredPrivileges.end());
  EXPECT_EQ(listed, required);
}

TEST(Privileges, AccessDeniedCodes) {
  for (int code : {1044, 1142, 1143, 1227, 1370}) EXPECT_TRUE(is_access_denied(code)) << code;
  for (int code : {1045, 1213, 2013}) EXPECT_FALSE(is_access_denied(code)) << code;
}

}  // namespace
}  // namespace segmentd
