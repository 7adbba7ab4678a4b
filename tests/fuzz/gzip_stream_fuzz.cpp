// libFuzzer target for the layer decompressor (layer/decompressor.h), whose
// gzip path is isa-l with kiln's own handling of members, trailing bytes and
// headers gathered whole (see header_gathered). Input: the first byte picks
// a piece size, the rest is the blob. The blob is decompressed twice, in one
// piece and in pieces of that size; both runs must agree, byte for byte or
// in failing: the answer may never depend on how the network cut the blob
// up (isa-l 2.30's FHCRC bug was exactly that). A kiln::Error is the
// expected answer to bad input. Findings: crashes, leaks, UB, any other
// exception, and (__builtin_trap) two runs that disagree.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "base/error.h"
#include "layer/decompressor.h"

namespace {

std::optional<std::string> decompress(const std::uint8_t* data, std::size_t size, std::size_t piece) {
  std::string out;
  try {
    kiln::layer::Decompressor d(
        [&out](const char* p, std::size_t n) {
          // Bombs are not this target's concern: stop early, same for both runs.
          if (out.size() < (std::size_t{8} << 20)) out.append(p, n);
        },
        "fuzz layer");
    for (std::size_t at = 0; at < size; at += piece)
      d.write(reinterpret_cast<const char*>(data) + at, std::min(piece, size - at));
    d.finish();
  } catch (const kiln::Error&) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t piece = 1 + data[0] % 64;
  auto whole = decompress(data + 1, size - 1, size);
  auto pieces = decompress(data + 1, size - 1, piece);
  // zstd 1.5.4 itself checks a frame's declared content size only when the
  // whole frame arrives in one call: streamed, a frame whose blocks hold
  // fewer bytes than it declares is accepted (found here; the blob's digest
  // is still checked). zstd input is fuzzed for crashes and UB only.
  static const std::uint8_t kZstdMagic[4] = {0x28, 0xb5, 0x2f, 0xfd};
  if (size >= 5 && std::equal(kZstdMagic, kZstdMagic + 4, data + 1)) return 0;
  if (whole.has_value() != pieces.has_value()) __builtin_trap();
  if (whole && *whole != *pieces) __builtin_trap();
  return 0;
}
