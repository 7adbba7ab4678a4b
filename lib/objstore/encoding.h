#pragma once
// Byte encodings the object-store signers need: hex, base64 (standard and
// URL-safe), RFC 3986 percent-encoding, and HMAC-SHA256 / SHA-256 as raw bytes.
// Pure functions over mbedTLS.
#include <optional>
#include <string>
#include <string_view>

namespace kiln::objstore {

std::string hex(std::string_view bytes);  // lower-case
// ASCII lower case (header names, connection-string keys); other bytes kept.
std::string lower(std::string_view s);
// Without leading and trailing spaces and tabs.
std::string trim(std::string_view v);
std::string sha256_raw(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // 32 raw bytes

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
// RFC 4648 §5 without padding, as JWT (RFC 7515) wants.
std::string base64url_encode(std::string_view bytes);

// Percent-encodes everything but RFC 3986 unreserved characters; '/' too
// unless keep_slash (paths keep their separators).
std::string uri_encode(std::string_view s, bool keep_slash = false);
// Decodes %XX sequences; malformed ones are kept as written.
std::string uri_decode(std::string_view s);

}  // namespace kiln::objstore
