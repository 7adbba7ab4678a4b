// libFuzzer target for the WWW-Authenticate parser (registry/www_authenticate.h),
// which reads a header any registry or man in the middle can write. The
// parser promises never to throw, so any exception is a finding, as are
// crashes, leaks, UB and broken invariants (__builtin_trap): schemes and
// parameter names come back lower-case and non-empty.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "registry/www_authenticate.h"

namespace {
bool lower_nonempty(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (std::isupper(c)) return false;
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view header(reinterpret_cast<const char*>(data), size);
  const auto challenges = kiln::registry::parse_www_authenticate(header);
  if (challenges.size() > size) __builtin_trap();  // each challenge needs at least one byte
  for (const auto& c : challenges) {
    if (!lower_nonempty(c.scheme)) __builtin_trap();
    for (const auto& [name, value] : c.params)
      if (!lower_nonempty(name)) __builtin_trap();
  }
  return 0;
}
