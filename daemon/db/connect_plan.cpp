#include "connect_plan.h"

#include "errors.h"

namespace segmentd {

std::string endpoint_url(const DatabaseEndpoint& endpoint) {
  const bool v6 = endpoint.host.find(':') != std::string::npos;
  return "tcp://" + (v6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" + std::to_string(endpoint.port);
}

ConnectAttempt plan_socket_attempt(const DatabaseConfig& db) {
  return {"unix://" + db.socket, {}, false};
}

ConnectAttempt plan_tcp_attempt(const DatabaseConfig& db, const DatabaseEndpoint& endpoint, bool server_offers_tls,
                                const std::string& decoy_key) {
  ConnectAttempt out{endpoint_url(endpoint), {}, false};
  const TlsMode mode = db.tls.mode;
  const bool must = mode == TlsMode::Required || mode == TlsMode::VerifyCa || mode == TlsMode::VerifyIdentity;
  if (must && !server_offers_tls) {
    throw DbError(out.url + " does not offer TLS, and database.tls.mode is " + to_string(mode) +
                      ": nothing was sent (enable TLS on the server, or lower tls.mode)",
                  server_error::kTlsConnectionError, "HY000");
  }
  const bool use_tls = mode != TlsMode::Disabled && server_offers_tls;
  if (use_tls) {
    // sslEnforce asks for TLS; a CA makes the library check the chain;
    // sslVerify adds the host-name check (X509_check_host).
    out.tls_options.push_back({"sslEnforce", true});
    out.tls_options.push_back(
        {"OPT_TLS_VERSION", std::string(db.tls.min_version == "TLSv1.3" ? "TLSv1.3" : "TLSv1.2,TLSv1.3")});
    if (mode == TlsMode::VerifyCa || mode == TlsMode::VerifyIdentity) {
      if (db.tls.ca.empty()) {
        out.tls_options.push_back({"sslCAPath", std::string(kSystemCaPath)});
      } else {
        out.tls_options.push_back({"sslCA", db.tls.ca});
      }
    }
    if (mode == TlsMode::VerifyIdentity) out.tls_options.push_back({"sslVerify", true});
    if (!db.tls.cert.empty()) {
      out.tls_options.push_back({"sslCert", db.tls.cert});
      out.tls_options.push_back({"sslKey", db.tls.key});
    }
    // The greeting offered TLS: a plaintext session now means someone in
    // between took the offer away.
    out.must_be_encrypted = true;
  } else if (!db.server_public_key.empty()) {
    out.tls_options.push_back({"rsaKey", db.server_public_key});
  } else if (!db.get_server_public_key) {
    // Without a key the library would fetch one from whoever answers.
    out.tls_options.push_back({"rsaKey", decoy_key});
  }
  return out;
}

std::optional<bool> GreetingMemory::offers_tls(const std::string& url) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = known_.find(url);
  return it == known_.end() ? std::nullopt : std::optional<bool>(it->second);
}

void GreetingMemory::after_attempt(const std::string& url, bool offers_tls, int error_code) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (error_code == server_error::kAccessDenied) {
    known_[url] = offers_tls;
  } else {
    known_.erase(url);
  }
}

}  // namespace segmentd
