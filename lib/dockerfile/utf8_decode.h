#pragma once
// One UTF-8 decoding step, shared by the shell lexer and the .dockerignore
// matcher. A byte that does not start a valid sequence (bad lead byte,
// truncated, overlong, surrogate, above U+10FFFF) decodes on its own to
// kBadByteBase + byte: a value outside Unicode, so it never equals a real
// character, and the caller can still carry the original byte through.
#include <cstddef>
#include <string_view>

namespace kiln::dockerfile {

inline constexpr char32_t kMaxRune = 0x10FFFF;
inline constexpr char32_t kBadByteBase = 0x110000;

struct Utf8Step {
  char32_t cp;
  std::size_t len;  // bytes consumed: 1 for a bad byte
};

inline Utf8Step decode_utf8(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  const Utf8Step bad{kBadByteBase + b0, 1};
  if (b0 < 0x80) return {b0, 1};
  std::size_t len;
  char32_t cp;
  char32_t min;
  if ((b0 & 0xE0) == 0xC0) { len = 2; cp = b0 & 0x1F; min = 0x80; }
  else if ((b0 & 0xF0) == 0xE0) { len = 3; cp = b0 & 0x0F; min = 0x800; }
  else if ((b0 & 0xF8) == 0xF0) { len = 4; cp = b0 & 0x07; min = 0x10000; }
  else return bad;
  if (i + len > s.size()) return bad;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return bad;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > kMaxRune || (cp >= 0xD800 && cp <= 0xDFFF)) return bad;
  return {cp, len};
}

}  // namespace kiln::dockerfile
