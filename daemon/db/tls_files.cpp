#include "tls_files.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <vector>

#include "errors.h"

namespace segmentd {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Certificate = std::unique_ptr<X509, X509Free>;
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

[[noreturn]] void fail(const std::string& key, const std::string& file, const std::string& reason) {
  throw ConfigError("database." + key + ": " + file + ": " + reason);
}

std::string read_file(const std::string& key, const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(key, file, std::string("cannot read (") + std::strerror(errno) + ")");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Bio bio_of(const std::string& text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string not_after(const X509* cert) {
  Bio out(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(out.get(), X509_get0_notAfter(cert));
  char* data = nullptr;
  const long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::vector<Certificate> read_certificates(const std::string& key, const std::string& file) {
  const std::string text = read_file(key, file);
  Bio bio = bio_of(text);
  std::vector<Certificate> certs;
  while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) certs.emplace_back(c);
  ERR_clear_error();  // the read that ends the loop leaves "no start line"
  if (certs.empty()) fail(key, file, "no PEM certificate in it");
  for (const auto& c : certs) {
    if (X509_cmp_current_time(X509_get0_notAfter(c.get())) < 0)
      fail(key, file, "certificate expired " + not_after(c.get()));
    if (X509_cmp_current_time(X509_get0_notBefore(c.get())) > 0) fail(key, file, "certificate is not valid yet");
  }
  return certs;
}

}  // namespace

void check_tls_files(const DatabaseConfig& db) {
  const TlsConfig& tls = db.tls;
  if (!tls.ca.empty()) read_certificates("tls.ca", tls.ca);
  if (!tls.cert.empty()) {
    const auto certs = read_certificates("tls.cert", tls.cert);
    const std::string text = read_file("tls.key", tls.key);
    Bio bio = bio_of(text);
    Key key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    if (!key) fail("tls.key", tls.key, "no unencrypted PEM private key in it");
    if (X509_check_private_key(certs.front().get(), key.get()) != 1) {
      ERR_clear_error();
      fail("tls.key", tls.key, "does not match the certificate in database.tls.cert (" + tls.cert + ")");
    }
  }
  if (!db.server_public_key.empty()) {
    const std::string text = read_file("server_public_key", db.server_public_key);
    Bio bio = bio_of(text);
    Key key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    if (!key) fail("server_public_key", db.server_public_key, "no PEM public key (BEGIN PUBLIC KEY) in it");
  }
}

const std::string& decoy_public_key_path() {
  static std::once_flag once;
  static std::string path;
  std::call_once(once, [] {
    Key key(EVP_RSA_gen(2048));
    if (!key) throw FatalError("cannot make an RSA key");
    Bio out(BIO_new(BIO_s_mem()));
    PEM_write_bio_PUBKEY(out.get(), key.get());
    char* data = nullptr;
    const long n = BIO_get_mem_data(out.get(), &data);
    // A memory file that lives as long as the process; the private key is
    // dropped here and never written anywhere.
    const int fd = memfd_create("segmentd-decoy-key", MFD_CLOEXEC);
    if (fd < 0 || ::write(fd, data, static_cast<std::size_t>(n)) != n) {
      throw FatalError(std::string("cannot write the decoy key: ") + std::strerror(errno));
    }
    path = "/proc/self/fd/" + std::to_string(fd);
  });
  return path;
}

}  // namespace segmentd
