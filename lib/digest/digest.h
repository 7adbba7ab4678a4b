#pragma once
// A content digest as the OCI spec writes it: "sha256:<64 hex>".
#include <string>
#include <string_view>

namespace kiln::digest {

struct Digest {
  std::string algorithm;  // "sha256" (sha512 accepted when parsing, not computed)
  std::string hex;

  std::string str() const { return algorithm + ":" + hex; }
  bool empty() const { return hex.empty(); }
  friend bool operator==(const Digest&, const Digest&) = default;
};

// Throws kiln::Error naming the text when it is not a valid digest. Only
// lower-case hex of the right length is accepted, so a digest can be used as a
// file name without further checks.
Digest parse(std::string_view text);
bool is_valid(std::string_view text);
Digest of_sha256_hex(std::string hex);
Digest sha256_of(std::string_view data);

}  // namespace kiln::digest
