#pragma once
// What `segmentd status` and the logs say about a session: where it is
// connected, whether it is encrypted, and how the account authenticates.

#include <string>
#include <string_view>

#include "db_session.h"

namespace segmentd {

struct ConnectionFacts {
  std::string endpoint;     // tcp://host:port or unix:///path
  std::string tls_version;  // empty: not encrypted
  std::string tls_cipher;
  std::string auth_plugin;  // "unknown" when the server does not say
  bool encrypted() const { return !tls_cipher.empty(); }
};

ConnectionFacts read_connection_facts(DbSession& db);

// Whether the session's server is a Galera node (wsrep_on is ON). MySQL
// and a plain MariaDB answer no.
bool galera_node(DbSession& db);

// Throws a DbError (category ConnectionLost: "database unavailable") when
// the server will not take writes now: read_only or super_read_only on, or
// a Galera node that is not ready. segmentd then waits with backoff instead
// of failing loads one by one (doc/OPERATIONS.md "Database unavailable").
void require_writable(DbSession& db);

// "TLSv1.3/TLS_AES_256_GCM_SHA384", or "none", for log fields.
std::string tls_text(const ConnectionFacts& facts);

// The plugin named in SHOW CREATE USER's text: MySQL's "IDENTIFIED WITH
// 'caching_sha2_password' AS ...", MariaDB's "IDENTIFIED VIA ed25519" or
// "IDENTIFIED BY PASSWORD '*...'" (mysql_native_password). Only the plugin
// name is kept: the text also holds the password hash.
std::string auth_plugin_of(std::string_view create_user);

}  // namespace segmentd
