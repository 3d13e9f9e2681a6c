// Real connections to a private server that requires TLS (the testdb_tls
// fixture: scripts/privdb.sh with PRIVDB_TLS=1, require_secure_transport=ON,
// a certificate for "localhost" only) and to the plain test server (no TLS).
// Every encrypted case is checked with the server's own Ssl_cipher for the
// session, not with what the client believes.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "connection_facts.h"
#include "errors.h"
#include "run_command.h"
#include "test_database.h"

namespace segmentd::test {
namespace {

constexpr const char* kPassword = "tls-test-pw";

std::string cipher_of(DbSession& db) {
  std::string cipher;
  db.for_each_row(
      "SHOW SESSION STATUS LIKE 'Ssl_cipher'", [](const auto&) {},
      [&](const std::vector<DbValue>& row) { cipher = row.at(1).value_or(""); });
  return cipher;
}

// Port 1 on loopback: nothing listens there, so a connect is refused at once.
unsigned closed_port() {
  return 1;
}

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    DatabaseConfig server;
    ASSERT_TRUE(test_server_from("SEGMENTD_TEST_DB_DIR", server, &tls_dir_));
    ASSERT_FALSE(tls_dir_.empty()) << "SEGMENTD_TEST_DB_DIR is not a TLS server";
    db_ = std::make_unique<TestDatabase>();
    port_ = server.port;
    user_ = "tls_" + db_->config().database.substr(2, 12);
    password_file_ = db_->write_file("password", kPassword);
    db_->db().execute("CREATE USER '" + user_ + "'@'%' IDENTIFIED BY '" + kPassword + "'");
    db_->db().execute("GRANT ALL ON `" + db_->config().database + "`.* TO '" + user_ + "'@'%'");
  }
  void TearDown() override {
    if (db_) db_->db().execute("DROP USER IF EXISTS '" + user_ + "'@'%'");
  }

  DatabaseConfig tcp(TlsMode mode, const std::string& host = "127.0.0.1") const {
    DatabaseConfig c;
    c.host = host;
    c.port = port_;
    c.user = user_;
    c.password_file = password_file_.string();
    c.database = db_->config().database;
    c.connect_timeout_seconds = 5;
    c.tls.mode = mode;
    return c;
  }
  std::string file(const std::string& name) const { return tls_dir_ + "/" + name; }

  std::string tls_dir_;
  std::unique_ptr<TestDatabase> db_;
  unsigned port_ = 0;
  std::string user_;
  std::filesystem::path password_file_;
};

std::string connect_error(const DatabaseConfig& c) {
  try {
    connect_database(c);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST_F(Tls, RequiredEncryptsWithoutCheckingTheCertificate) {
  auto session = connect_database(tcp(TlsMode::Required));
  EXPECT_FALSE(cipher_of(*session).empty());
  const ConnectionFacts facts = read_connection_facts(*session);
  EXPECT_TRUE(facts.encrypted());
  EXPECT_EQ(facts.tls_version.rfind("TLSv1.", 0), 0u) << facts.tls_version;
  EXPECT_EQ(facts.endpoint, "tcp://127.0.0.1:" + std::to_string(port_));
  EXPECT_EQ(facts.auth_plugin, "mysql_native_password");
}

TEST_F(Tls, PreferredEncryptsWhenTheServerOffersTls) {
  auto session = connect_database(tcp(TlsMode::Preferred));
  EXPECT_FALSE(cipher_of(*session).empty());
}

TEST_F(Tls, VerifyCaAcceptsTheRightCaAndRefusesAnother) {
  auto c = tcp(TlsMode::VerifyCa);  // 127.0.0.1 is not in the certificate: no host check here
  c.tls.ca = file("ca.pem");
  auto session = connect_database(c);
  EXPECT_FALSE(cipher_of(*session).empty());

  c.tls.ca = file("wrong-ca.pem");
  const std::string error = connect_error(c);
  EXPECT_NE(error.find("certificate"), std::string::npos) << error;
  EXPECT_NE(error.find("TLS"), std::string::npos) << error;
  EXPECT_NE(error.find("checked against " + file("wrong-ca.pem")), std::string::npos) << error;
}

TEST_F(Tls, VerifyIdentityChecksTheHostName) {
  auto c = tcp(TlsMode::VerifyIdentity, "localhost");
  c.tls.ca = file("ca.pem");
  auto session = connect_database(c);
  EXPECT_FALSE(cipher_of(*session).empty());

  c.host = "127.0.0.1";  // same server, a name the certificate does not carry
  const std::string error = connect_error(c);
  EXPECT_NE(error.find("Validation of SSL server certificate failed"), std::string::npos) << error;
  EXPECT_NE(error.find("for the name in tcp://127.0.0.1:"), std::string::npos) << error;
}

TEST_F(Tls, ClientCertificateForAnAccountThatRequiresX509) {
  db_->db().execute("ALTER USER '" + user_ + "'@'%' REQUIRE X509");
  auto c = tcp(TlsMode::Required);
  EXPECT_NE(connect_error(c).find("Access denied"), std::string::npos);
  c.tls.cert = file("client.pem");
  c.tls.key = file("client.key");
  auto session = connect_database(c);
  EXPECT_FALSE(cipher_of(*session).empty());
}

TEST_F(Tls, DisabledIsRefusedByTheServerWithAClearMessage) {
  const std::string error = connect_error(tcp(TlsMode::Disabled));
  EXPECT_NE(error.find("Access denied"), std::string::npos) << error;
  EXPECT_NE(error.find("not encrypted"), std::string::npos) << error;
  EXPECT_NE(error.find("require_secure_transport"), std::string::npos) << error;
  EXPECT_NE(error.find("database.tls.mode"), std::string::npos) << error;
}

// A refused login keeps what the greeting said (no new greeting per retry);
// the next connect with the right password still gets TLS.
TEST_F(Tls, ARefusedLoginThenTheRightPassword) {
  auto c = tcp(TlsMode::Required);
  c.password_file = db_->write_file("wrong-password", "not-the-password").string();
  for (int i = 0; i < 2; ++i) EXPECT_NE(connect_error(c).find("Access denied"), std::string::npos);
  c.password_file = password_file_.string();
  auto session = connect_database(c);
  EXPECT_FALSE(cipher_of(*session).empty());
  // Disabled reads no greeting, so it teaches the memory nothing.
  EXPECT_NE(connect_error(tcp(TlsMode::Disabled)).find("Access denied"), std::string::npos);
  EXPECT_FALSE(cipher_of(*connect_database(tcp(TlsMode::Required))).empty());
}

TEST_F(Tls, MinimumVersionIsHonoured) {
  auto c = tcp(TlsMode::Required);
  c.tls.min_version = "TLSv1.3";
  auto session = connect_database(c);
  EXPECT_EQ(read_connection_facts(*session).tls_version, "TLSv1.3");
}

TEST_F(Tls, BadFilesAreNamedWithTheCheckThatFailed) {
  auto c = tcp(TlsMode::VerifyCa);
  c.tls.ca = file("missing.pem");
  EXPECT_NE(connect_error(c).find("database.tls.ca: " + file("missing.pem") + ": cannot read"), std::string::npos)
      << connect_error(c);
  c.tls.ca = file("ca.key");
  EXPECT_NE(connect_error(c).find("database.tls.ca: " + file("ca.key") + ": no PEM certificate"), std::string::npos)
      << connect_error(c);
  c.tls.ca = file("ca.pem");
  c.tls.cert = file("client.pem");
  c.tls.key = file("server.key");
  EXPECT_NE(connect_error(c).find("database.tls.key: " + file("server.key") + ": does not match"), std::string::npos)
      << connect_error(c);
  auto k = tcp(TlsMode::Disabled);
  k.server_public_key = file("ca.pem");
  EXPECT_NE(connect_error(k).find("database.server_public_key: " + file("ca.pem") + ": no PEM public key"),
            std::string::npos)
      << connect_error(k);
}

TEST_F(Tls, HostsAreTriedInOrder) {
  auto c = tcp(TlsMode::VerifyIdentity, "localhost");
  c.tls.ca = file("ca.pem");
  c.hosts = {{"127.0.0.1", closed_port()}, {"localhost", port_}};
  auto session = connect_database(c);
  EXPECT_EQ(session->endpoint(), "tcp://localhost:" + std::to_string(port_));
  EXPECT_FALSE(cipher_of(*session).empty());

  c.hosts = {{"127.0.0.1", closed_port()}, {"localhost", closed_port()}};
  try {
    connect_database(c);
    FAIL() << "connected to nothing";
  } catch (const DbError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("tcp://127.0.0.1:1"), std::string::npos) << what;
    EXPECT_NE(what.find("tcp://localhost:1"), std::string::npos) << what;
    EXPECT_TRUE(e.connection_lost()) << what;  // the daemon backs off and retries
  }
}

TEST_F(Tls, StatusShowsTheEncryptionAndTheAccountsPlugin) {
  const auto config = db_->write_file("segmentd.yaml",
                                      "database:\n"
                                      "  hosts: [\"127.0.0.1:1\", \"localhost:" +
                                          std::to_string(port_) +
                                          "\"]\n"
                                          "  user: " +
                                          user_ + "\n  password_file: " + password_file_.string() +
                                          "\n  database: " + db_->config().database +
                                          "\n  tls:\n    mode: verify_identity\n    ca: " + file("ca.pem") + "\n");
  ASSERT_EQ(run("--config " + config.string() + " migrate").status, 0);
  const CommandResult s = run("--config " + config.string() + " status");
  EXPECT_NE(s.output.find("reachable tcp://localhost:" + std::to_string(port_)), std::string::npos) << s.output;
  EXPECT_NE(s.output.find("connection:      encrypted TLSv1."), std::string::npos) << s.output;
  EXPECT_NE(s.output.find("tls.mode verify_identity, account " + user_ + " via mysql_native_password"),
            std::string::npos)
      << s.output;
  // The unreachable first host is named in the log, the password never.
  EXPECT_NE(s.output.find("db.host_failed endpoint=tcp://127.0.0.1:1"), std::string::npos) << s.output;
  EXPECT_EQ(s.output.find(kPassword), std::string::npos) << s.output;
}

// The plain test server offers no TLS.
class PlainServer : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test_server_from("SEGMENTD_TEST_PLAIN_DB_DIR", server_)) << "SEGMENTD_TEST_PLAIN_DB_DIR";
    admin_ = server_;
    admin_.database = "mysql";
    user_ = "plain_tls_" + std::to_string(::getpid());
    auto admin = connect_database(admin_);
    admin->execute("CREATE USER IF NOT EXISTS '" + user_ + "'@'%' IDENTIFIED BY '" + kPassword + "'");
    ::setenv("SEGMENTD_TLS_TEST_PASSWORD", kPassword, 1);
  }
  void TearDown() override { connect_database(admin_)->execute("DROP USER IF EXISTS '" + user_ + "'@'%'"); }

  DatabaseConfig tcp(TlsMode mode, const std::string& user) const {
    DatabaseConfig c;
    c.host = "127.0.0.1";
    c.port = server_.port;
    c.user = user;
    c.password_env = "SEGMENTD_TLS_TEST_PASSWORD";
    c.database = "information_schema";  // open to every account
    c.tls.mode = mode;
    return c;
  }

  DatabaseConfig server_, admin_;
  std::string user_;
};

TEST_F(PlainServer, RequiredModesRefuseBeforeSendingCredentials) {
  for (auto mode : {TlsMode::Required, TlsMode::VerifyCa, TlsMode::VerifyIdentity}) {
    // An account that does not exist: had anything been sent, the server
    // would answer "Access denied"; the greeting alone decides.
    const std::string error = connect_error(tcp(mode, "no_such_account"));
    EXPECT_NE(error.find("does not offer TLS"), std::string::npos) << error;
    EXPECT_EQ(error.find("Access denied"), std::string::npos) << error;
  }
}

TEST_F(PlainServer, PreferredFallsBackToPlaintext) {
  auto session = connect_database(tcp(TlsMode::Preferred, user_));
  EXPECT_TRUE(cipher_of(*session).empty());
  EXPECT_FALSE(read_connection_facts(*session).encrypted());
}

}  // namespace
}  // namespace segmentd::test
