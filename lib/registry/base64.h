#pragma once
// Standard base64 (RFC 4648 §4, padded) for Basic auth and config.json's
// "auth" field.
#include <optional>
#include <string>
#include <string_view>

namespace kiln::registry {

std::string base64_encode(std::string_view in);
// nullopt when the text is not valid base64 (padding optional).
std::optional<std::string> base64_decode(std::string_view in);

}  // namespace kiln::registry
