#pragma once
// The PEM files a connection hands to the client library, checked by
// segmentd first: the library's own errors ("TLS/SSL error: ...") do not say
// which file is wrong, and a server key it cannot read makes it ask the
// server instead.

#include <string>

#include "config.h"

namespace segmentd {

// Checks database.tls.ca / cert / key and database.server_public_key:
// readable, the right kind of PEM, certificates in date, key matching cert.
// Throws ConfigError naming the key, the file and the check that failed.
void check_tls_files(const DatabaseConfig& db);

// A path to an RSA public key nobody holds the private half of (made once
// per process, in memory). Given to the client library as the server's key
// when segmentd must not fetch the real one: caching_sha2_password over
// plaintext TCP then fails to log in instead of trusting the network.
const std::string& decoy_public_key_path();

}  // namespace segmentd
