#include "digest/sha256.h"

#include <nettle/sha2.h>

#include "base/error.h"

namespace kiln::digest {
namespace {
static_assert(sizeof(sha256_ctx) <= 128, "context buffer too small");
sha256_ctx* ctx(unsigned char* p) { return reinterpret_cast<sha256_ctx*>(p); }
}  // namespace

Sha256::Sha256() { sha256_init(ctx(ctx_)); }

Sha256::~Sha256() = default;

void Sha256::update(const void* data, std::size_t n) {
  if (n == 0) return;
  sha256_update(ctx(ctx_), n, static_cast<const std::uint8_t*>(data));
}

std::string Sha256::hex_final() {
  if (finished_) throw Error("sha256: finished twice");
  finished_ = true;
  std::uint8_t out[SHA256_DIGEST_SIZE];
  sha256_digest(ctx(ctx_), sizeof out, out);
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
