#include "cache/cache_key.h"

namespace kiln::cache {

namespace {
// Bumped whenever what goes into a key changes meaning, so keys written by an
// older kiln never match steps they did not describe.
constexpr std::string_view kVersion = "kiln-layer-cache-v1";
}  // namespace

CacheKey::CacheKey(std::string_view previous) {
  field(kVersion);
  field(previous);
}

void CacheKey::field(std::string_view bytes) {
  std::string len = std::to_string(bytes.size()) + ":";
  h_.update(len.data(), len.size());
  h_.update(bytes.data(), bytes.size());
}

CacheKey& CacheKey::add(std::string_view name, std::string_view value) {
  field(name);
  field(value);
  return *this;
}

CacheKey& CacheKey::add(std::string_view name, const std::vector<std::string>& values) {
  field(name);
  field(std::to_string(values.size()));
  for (const auto& v : values) field(v);
  return *this;
}

std::string CacheKey::hex() { return h_.hex_final(); }

}  // namespace kiln::cache
