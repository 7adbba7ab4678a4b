#pragma once
// Streaming SHA-256. nettle underneath, for its SHA-NI code (chosen at run
// time, ~8x mbedTLS 2.28's software SHA-256): every blob, diff_id, layer and
// snapshot hash goes through here.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kiln::digest {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // Lower-case hex of the digest; the object may not be updated afterwards.
  std::string hex_final();

 private:
  alignas(16) unsigned char ctx_[128];  // nettle's sha256_ctx, kept opaque here
  bool finished_ = false;
};

std::string sha256_hex(std::string_view data);

}  // namespace kiln::digest
