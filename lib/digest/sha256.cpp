#include "digest/sha256.h"

#include <mbedtls/sha256.h>

#include <cstring>

#include "base/error.h"

namespace kiln::digest {
namespace {
static_assert(sizeof(mbedtls_sha256_context) <= 256, "context buffer too small");
mbedtls_sha256_context* ctx(unsigned char* p) { return reinterpret_cast<mbedtls_sha256_context*>(p); }
}  // namespace

Sha256::Sha256() {
  mbedtls_sha256_init(ctx(ctx_));
  if (mbedtls_sha256_starts_ret(ctx(ctx_), 0) != 0) throw Error("sha256: init failed");
}

Sha256::~Sha256() { mbedtls_sha256_free(ctx(ctx_)); }

void Sha256::update(const void* data, std::size_t n) {
  if (n == 0) return;
  mbedtls_sha256_update_ret(ctx(ctx_), static_cast<const unsigned char*>(data), n);
}

std::string Sha256::hex_final() {
  if (finished_) throw Error("sha256: finished twice");
  finished_ = true;
  unsigned char out[32];
  mbedtls_sha256_finish_ret(ctx(ctx_), out);
  static const char* hexd = "0123456789abcdef";
  std::string s(64, '0');
  for (int i = 0; i < 32; ++i) {
    s[2 * i] = hexd[out[i] >> 4];
    s[2 * i + 1] = hexd[out[i] & 15];
  }
  return s;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex_final();
}

}  // namespace kiln::digest
