#pragma once
// SHA-256 (OpenSSL EVP), incremental so files can be hashed while streamed.

#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace segmentd {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view bytes);
  // Lower-case hex digest; the object cannot be updated afterwards.
  std::string hex_digest();

  static std::string of(std::string_view bytes);

 private:
  struct Free {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, Free> ctx_;
};

}  // namespace segmentd
