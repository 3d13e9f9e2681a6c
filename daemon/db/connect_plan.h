#pragma once
// What one connection attempt asks of Connector/C++, decided from the config
// and the server's greeting alone, so every TLS and key choice is tested
// without a server. The option names are Connector/C++ 1.1's; the README's
// TLS table maps each config key to them.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "config.h"

namespace segmentd {

struct ConnectOption {
  std::string name;
  std::variant<std::string, int, bool> value;
  bool operator==(const ConnectOption&) const = default;
};

struct ConnectAttempt {
  std::string url;  // tcp://host:port or unix:///path, also used in messages
  std::vector<ConnectOption> tls_options;
  // The session must report a TLS cipher, or it is closed before use.
  bool must_be_encrypted = false;
};

// The connector URL of one endpoint ("tcp://[::1]:3306" for IPv6).
std::string endpoint_url(const DatabaseEndpoint& endpoint);

// A unix socket attempt: no TLS (the server counts a socket as secure).
ConnectAttempt plan_socket_attempt(const DatabaseConfig& db);

// A TCP attempt to `endpoint` whose greeting did (or did not) offer TLS.
// Throws DbError before anything is sent when the mode requires TLS and the
// server does not offer it. `decoy_key` is decoy_public_key_path(), passed in
// so the plan stays a pure function.
ConnectAttempt plan_tcp_attempt(const DatabaseConfig& db, const DatabaseEndpoint& endpoint, bool server_offers_tls,
                                const std::string& decoy_key);

// What a server's greeting said (server_greeting.h), kept while its logins
// are refused: a greeting read and dropped counts as a handshake error on
// MySQL, and max_connect_errors (default 100) of them in a row block the
// client's host, so a daemon retrying a wrong password must not add one per
// attempt. Any other outcome (a session, the server gone) forgets it, so the
// next connect reads the greeting again. Thread-safe.
class GreetingMemory {
 public:
  std::optional<bool> offers_tls(const std::string& url) const;
  // After a connect attempt: `error_code` 0 for a session.
  void after_attempt(const std::string& url, bool offers_tls, int error_code);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, bool> known_;
};

// The CA directory verify_ca and verify_identity use when tls.ca is not set.
inline constexpr const char* kSystemCaPath = "/etc/ssl/certs";

}  // namespace segmentd
