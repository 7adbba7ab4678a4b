#pragma once
// Byte encodings the object-store signers need: hex, base64 (standard and
// URL-safe), RFC 3986 percent-decoding, and HMAC-SHA256 / SHA-256 as raw bytes.
// Pure functions over mbedTLS.
#include <optional>
#include <string>
#include <string_view>

#include "http/url.h"

namespace kiln::objstore {

std::string hex(std::string_view bytes);  // lower-case
std::string sha256_raw(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // 32 raw bytes

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
// RFC 4648 §5 without padding, as JWT (RFC 7515) wants.
std::string base64url_encode(std::string_view bytes);

// RFC 3986 percent-encoding: http/url.h (shared with the registry client).
using http::uri_encode;
// Decodes %XX sequences; malformed ones are kept as written.
std::string uri_decode(std::string_view s);

}  // namespace kiln::objstore
