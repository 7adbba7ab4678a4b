#include "layer/incompressible.h"

#include <array>
#include <cstdint>
#include <vector>

namespace kiln::layer {

namespace {

constexpr std::size_t kWindow = 32 * 1024;  // how far back deflate looks
constexpr unsigned kHashBits = 13;          // 8 Ki slots: 32 KiB, stays in L1

// Collision entropy of at least log2(239) bits a byte: sum c_i^2 * 239 <= n^2.
// Integers only, so the answer is the same on every machine.
bool high_entropy(std::span<const unsigned char> block) {
  std::array<std::uint64_t, 256> count{};
  for (unsigned char c : block) ++count[c];
  unsigned __int128 sum_sq = 0;
  for (std::uint64_t c : count) sum_sq += static_cast<unsigned __int128>(c) * c;
  const auto n = static_cast<unsigned __int128>(block.size());
  return sum_sq * 239 <= n * n;
}

// Little-endian whatever the machine: the hash, and so which repeats are
// found, must not depend on byte order.
std::uint32_t le32(const unsigned char* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
}

// At most one position in 64 of `block` starts a 4-byte repeat within
// deflate's window. One slot a hash (the latest position), as a fast LZ77
// matcher keeps: it misses some repeats, never invents one. Positions count
// through the window and on into the block, without copying either.
bool few_repeats(std::span<const unsigned char> window, std::span<const unsigned char> block) {
  if (window.size() > kWindow) window = window.subspan(window.size() - kWindow);
  const std::size_t w = window.size(), end = w + block.size();
  auto word = [&](std::size_t i) {
    if (i >= w) return le32(&block[i - w]);
    if (i + 4 <= w) return le32(&window[i]);
    unsigned char t[4];  // straddles the cut
    for (std::size_t k = 0; k < 4; ++k) t[k] = i + k < w ? window[i + k] : block[i + k - w];
    return le32(t);
  };
  auto hash = [](std::uint32_t v) { return (v * 2654435761u) >> (32 - kHashBits); };
  std::vector<std::uint32_t> slot(std::size_t{1} << kHashBits, 0);  // position + 1; 0 is empty
  for (std::size_t i = 0; i < w && i + 4 <= end; ++i) slot[hash(word(i))] = static_cast<std::uint32_t>(i + 1);
  const std::size_t limit = block.size() / 64;
  std::size_t repeats = 0;
  for (std::size_t i = w; i + 4 <= end; ++i) {
    const std::uint32_t v = le32(&block[i - w]);
    std::uint32_t& s = slot[hash(v)];
    const std::size_t at = s;  // position + 1
    s = static_cast<std::uint32_t>(i + 1);
    if (at != 0 && i + 1 - at <= kWindow && word(at - 1) == v && ++repeats > limit) return false;
  }
  return true;
}

}  // namespace

bool incompressible(std::span<const unsigned char> window, std::span<const unsigned char> block) {
  if (block.size() < kIncompressibleMinBlock) return false;
  // The histogram first: it rules out ordinary data at a fraction of the
  // cost of the repeat scan.
  return high_entropy(block) && few_repeats(window, block);
}

}  // namespace kiln::layer
