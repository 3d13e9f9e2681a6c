#pragma once
// The server's first packet (the protocol-10 handshake), read on a TCP
// connection of its own before segmentd connects for real.
//
// Why: under Connector/C++ on Debian sits MariaDB Connector/C 3.3, which,
// asked for TLS by a server that does not offer it, falls back to plaintext
// without an error unless it also checks the host name; and it then treats
// the session as secure, so caching_sha2_password would send the password
// in clear. Reading the greeting first lets segmentd refuse (tls.mode
// required and above) or not ask for TLS at all (preferred) before any
// credential is sent. doc/CONFIGURATION.md "TLS" has the whole story.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace segmentd {

struct ServerGreeting {
  std::string server_version;
  bool offers_tls = false;  // CLIENT_SSL in the capability flags
};

// Parses a greeting packet's payload (after the 4-byte header). Returns
// nullopt when it is not a protocol-10 greeting; an error packet (0xFF: too
// many connections, host blocked) throws DbError with the server's code.
std::optional<ServerGreeting> parse_server_greeting(std::string_view payload);

// Connects to host:port, reads the greeting and closes. Throws DbError
// (connection-lost codes 2003/2005/2013) when the server cannot be reached or
// sends no greeting within `timeout`.
ServerGreeting read_server_greeting(const std::string& host, unsigned port, std::chrono::seconds timeout);

}  // namespace segmentd
