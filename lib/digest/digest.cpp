#include "digest/digest.h"

#include "base/error.h"
#include "digest/sha256.h"

namespace kiln::digest {

bool is_valid(std::string_view t) {
  auto colon = t.find(':');
  if (colon == std::string_view::npos) return false;
  auto alg = t.substr(0, colon);
  auto hex = t.substr(colon + 1);
  std::size_t want = alg == "sha256" ? 64 : alg == "sha512" ? 128 : 0;
  if (want == 0 || hex.size() != want) return false;
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Digest parse(std::string_view t) {
  if (!is_valid(t)) throw Error("invalid digest '" + std::string(t.substr(0, 150)) + "'");
  auto colon = t.find(':');
  return Digest{std::string(t.substr(0, colon)), std::string(t.substr(colon + 1))};
}

Digest of_sha256_hex(std::string hex) { return Digest{"sha256", std::move(hex)}; }

Digest sha256_of(std::string_view data) { return of_sha256_hex(sha256_hex(data)); }

}  // namespace kiln::digest
