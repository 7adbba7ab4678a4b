#pragma once
// Streaming SHA-256 (mbedTLS underneath, the same library in every build).
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
  alignas(16) unsigned char ctx_[256];  // mbedtls_sha256_context, kept opaque here
  bool finished_ = false;
};

std::string sha256_hex(std::string_view data);

}  // namespace kiln::digest
